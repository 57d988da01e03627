"""Where the stack keeps things, and which ports it uses. Everything is overridable by env."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

KAFKA_VERSION = "4.1.1"


def project_root() -> Path:
    env = os.environ.get("GRASSROOTS_ROOT")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "deploy" / "kafka" / "pom.xml").exists():
            return parent
    raise RuntimeError("cannot find the project root (deploy/kafka/pom.xml); set GRASSROOTS_ROOT")


@dataclass(frozen=True)
class ServicePlan:
    name: str
    module: str
    port: int
    roles: str = "api,relay,consumer"


@dataclass(frozen=True)
class Layout:
    root: Path
    run_dir: Path
    cache_dir: Path
    kafka_port: int
    controller_port: int
    pg_port: int
    external_pg_dsn: str | None
    services: tuple[ServicePlan, ...]

    def service(self, name: str) -> ServicePlan:
        return next(p for p in self.services if p.name == name)

    @property
    def logs(self) -> Path:
        return self.run_dir / "logs"

    @property
    def pids(self) -> Path:
        return self.run_dir / "pids"

    @property
    def keys(self) -> Path:
        return self.run_dir / "keys"

    @property
    def state_file(self) -> Path:
        return self.run_dir / "services.json"

    @property
    def kafka_bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def kafka_jars(self) -> Path:
        return self.cache_dir / "kafka" / KAFKA_VERSION

    @property
    def jwt_private_key(self) -> Path:
        return self.keys / "jwt-ed25519.pem"

    @property
    def jwt_public_key(self) -> Path:
        return self.keys / "jwt-ed25519.pub.pem"

    @property
    def personal_data_key(self) -> Path:
        """The master key wrapping residents' data keys (base64 of 32 bytes)."""
        return self.keys / "personal-data.key"

    @property
    def personal_data_previous_key(self) -> Path:
        """During `grassroots keys rotate` only: the master key being rotated away from."""
        return self.keys / "personal-data.previous.key"

    @property
    def open311_key(self) -> Path:
        return self.keys / "open311.key"

    def kafka_password_file(self, user: str) -> Path:
        return self.keys / "kafka" / f"{user}.password"

    @property
    def kafka_access_ledger(self) -> Path:
        """Every change to agencies' Kafka access, one JSON line each (agencies.py)."""
        return self.run_dir / "kafka-access.jsonl"


def load_layout() -> Layout:
    """Ports shift together by GRASSROOTS_PORT_OFFSET, so two stacks can share a machine."""
    root = project_root()
    offset = int(os.environ.get("GRASSROOTS_PORT_OFFSET", "0"))
    run_dir = Path(os.environ.get("GRASSROOTS_RUN_DIR", root / ".run")).resolve()
    cache_dir = Path(os.environ.get("GRASSROOTS_CACHE_DIR", root / ".cache")).resolve()
    return Layout(
        root=root,
        run_dir=run_dir,
        cache_dir=cache_dir,
        kafka_port=19092 + offset,
        controller_port=19093 + offset,
        pg_port=15432 + offset,
        external_pg_dsn=os.environ.get("GRASSROOTS_PG_DSN") or None,
        services=(
            ServicePlan("organisation", "organisation_service", 18001 + offset),
            ServicePlan("requests", "requests_service", 18002 + offset),
            ServicePlan("volunteering", "volunteering_service", 18003 + offset),
            ServicePlan("points", "points_service", 18004 + offset),
            ServicePlan("projections", "projections_service", 18005 + offset),
        ),
    )
