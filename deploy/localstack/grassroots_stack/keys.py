"""The local token issuer's key pair, made once per run folder."""

from __future__ import annotations

import os
import secrets

from grassroots_eventkit.auth import generate_keypair
from grassroots_eventkit.personal.cipher import new_master_key_text

from grassroots_stack.layout import Layout


def ensure_keys(layout: Layout) -> None:
    ensure_open311_key(layout)
    ensure_personal_data_key(layout)
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
