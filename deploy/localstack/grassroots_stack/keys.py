"""The local token issuer's key pair, made once per run folder."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from grassroots_eventkit.auth import generate_keypair
from grassroots_eventkit.personal.cipher import new_master_key_text
from grassroots_eventkit.settings import KafkaSecurity
from pydantic import SecretStr

from grassroots_stack.kafka_access import service_principal
from grassroots_stack.layout import Layout


def ensure_keys(layout: Layout) -> None:
    ensure_open311_key(layout)
    ensure_personal_data_key(layout)
    for plan in layout.services:
        ensure_kafka_password(layout, service_principal(plan.name))
    if layout.jwt_private_key.exists() and layout.jwt_public_key.exists():
        return
    layout.keys.mkdir(parents=True, exist_ok=True)
    private_pem, public_pem = generate_keypair()
    layout.jwt_private_key.write_text(private_pem)
    os.chmod(layout.jwt_private_key, 0o600)
    layout.jwt_public_key.write_text(public_pem)


def ensure_open311_key(layout: Layout) -> str:
    """The local Open311 API key (for the city hotline's client in the demo and tests)."""
    if not layout.open311_key.exists():
        layout.keys.mkdir(parents=True, exist_ok=True)
        layout.open311_key.write_text(secrets.token_urlsafe(24))
        os.chmod(layout.open311_key, 0o600)
    return layout.open311_key.read_text().strip()


def ensure_personal_data_key(layout: Layout) -> None:
    """The master key of residents' personal data, made once per run folder. Deleting it
    makes every resident's sealed data unreadable: the services then refuse to start."""
    if layout.personal_data_key.exists():
        return
    layout.keys.mkdir(parents=True, exist_ok=True)
    layout.personal_data_key.write_text(new_master_key_text())
    os.chmod(layout.personal_data_key, 0o600)


# The stack's Kafka super user (ADR 0015); services and agencies get principals of their own.
KAFKA_ADMIN = "admin"


def ensure_kafka_password(layout: Layout, user: str) -> str:
    """A Kafka principal's SCRAM password, made once per run folder and kept for restarts."""
    path = layout.kafka_password_file(user)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_secret(path, secrets.token_urlsafe(24))
    return path.read_text().strip()


def new_kafka_password(layout: Layout, user: str) -> str:
    """A fresh password for `user`, replacing the one on file (agency rotation)."""
    password = secrets.token_urlsafe(24)
    path = layout.kafka_password_file(user)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_secret(path, password)
    return password


def forget_kafka_password(layout: Layout, user: str) -> None:
    layout.kafka_password_file(user).unlink(missing_ok=True)


def kafka_security(layout: Layout, user: str) -> KafkaSecurity:
    return KafkaSecurity(
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism="SCRAM-SHA-512",
        username=user,
        password=SecretStr(ensure_kafka_password(layout, user)),
    )


def write_secret(path: Path, value: str) -> None:
    """Written owner-only from the first byte (no window with a wider mode)."""
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(value)
    partial.replace(path)
