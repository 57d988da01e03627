"""What the tests know about the running local stack (.run/services.json)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from grassroots_eventkit.auth import issue_token

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Stack:
    state: dict[str, Any]

    @property
    def kafka(self) -> str:
        return str(self.state["kafka"])

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
