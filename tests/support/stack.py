"""What the tests know about the running local stack (.run/services.json)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from grassroots_eventkit.auth import issue_token
from grassroots_eventkit.kafka import PLAINTEXT
from grassroots_eventkit.settings import KafkaSecurity
from pydantic import SecretStr

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Stack:
    state: dict[str, Any]

    @property
    def kafka(self) -> str:
        return str(self.state["kafka"])

    @property
    def kafka_security(self) -> KafkaSecurity:
        """The stack's super user: tests make topics and groups of their own."""
        return self.kafka_principal(self.state["kafka_security"]["username"])

    def kafka_principal(self, user: str) -> KafkaSecurity:
        """A principal whose password the stack keeps (admin, service-<name>, agency-<name>)."""
        if "kafka_security" not in self.state:
            return PLAINTEXT
        found = self.state["kafka_security"]
        password = self.kafka_password_file(user).read_text().strip()
        return KafkaSecurity(
            security_protocol=found["security_protocol"],
            sasl_mechanism=found["sasl_mechanism"],
            username=user,
            password=SecretStr(password),
        )

    def kafka_password_file(self, user: str) -> Path:
        admin_file = Path(self.state["kafka_security"]["password_file"])
        return admin_file.with_name(f"{user}.password")

    def kafka_env(self, user: str | None = None) -> dict[str, str]:
        """GRASSROOTS_KAFKA_* for a process the test starts (a service, a test consumer)."""
        if "kafka_security" not in self.state:
            return {}
        found = self.state["kafka_security"]
        user = user or found["username"]
        return {
            "GRASSROOTS_KAFKA_SECURITY_PROTOCOL": found["security_protocol"],
            "GRASSROOTS_KAFKA_SASL_MECHANISM": found["sasl_mechanism"],
            "GRASSROOTS_KAFKA_USERNAME": user,
            "GRASSROOTS_KAFKA_PASSWORD_FILE": str(self.kafka_password_file(user)),
        }

    @property
    def postgres(self) -> str:
        return str(self.state["postgres"])

    def url(self, service: str) -> str:
        return str(self.state["services"][service]["url"])

    def dsn(self, database: str) -> str:
        head, _, _ = self.postgres.rpartition("/")
        return f"{head}/{database}"

    @property
    def public_key_file(self) -> str:
        return str(self.state["jwt"]["public_key_file"])

    @property
    def personal_data_key_file(self) -> str:
        return str(self.state["personal_data"]["master_key_file"])

    def token(
        self,
        *roles: str,
        subject: str = "test-user",
        county: str | None = None,
        communities: list[str] | None = None,
        ttl: timedelta = timedelta(hours=1),
    ) -> str:
        private = Path(self.state["jwt"]["private_key_file"]).read_text()
        return issue_token(
            private,
            subject=subject,
            roles=list(roles),
            county=county,
            communities=communities or [],
            ttl=ttl,
        )


def load_stack() -> Stack | None:
    run_dir = Path(os.environ.get("GRASSROOTS_RUN_DIR", ROOT / ".run"))
    state_file = run_dir / "services.json"
    if not state_file.exists():
        return None
    return Stack(json.loads(state_file.read_text()))


def kafka_security_from_env() -> KafkaSecurity:
    """What `Stack.kafka_env` handed to this process (tests' consumer and relay processes)."""
    user = os.environ.get("GRASSROOTS_KAFKA_USERNAME")
    if not user:
        return PLAINTEXT
    password = Path(os.environ["GRASSROOTS_KAFKA_PASSWORD_FILE"]).read_text().strip()
    return KafkaSecurity(
        security_protocol=os.environ["GRASSROOTS_KAFKA_SECURITY_PROTOCOL"],  # type: ignore[arg-type]
        sasl_mechanism=os.environ["GRASSROOTS_KAFKA_SASL_MECHANISM"],  # type: ignore[arg-type]
        username=user,
        password=SecretStr(password),
    )
