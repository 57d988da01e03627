"""The settings every service shares; each service subclasses it once."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Role = Literal["api", "relay", "consumer"]


class ServiceSettings(BaseSettings):
    """Read from `GRASSROOTS_*` environment variables; built once at start-up.

    Each process gets its own environment, so the same names serve every service
    (the local stack, docker-compose and Kubernetes all set them per process).
    """

    model_config = SettingsConfigDict(env_prefix="GRASSROOTS_", frozen=True, extra="ignore")

    service_name: str
    pg_dsn: SecretStr = Field(description="this service's own database")
    kafka_bootstrap: str = "127.0.0.1:9092"
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    roles: frozenset[Role] = frozenset({"api", "relay", "consumer"})
    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "json"

    jwt_public_key: str | None = Field(default=None, description="PEM; or set jwt_public_key_file")
    jwt_public_key_file: Path | None = None
    # Fixed here, never read from the token: rejects alg=none and key-confusion tricks.
    jwt_algorithms: tuple[str, ...] = ("EdDSA",)
    jwt_issuer: str = "grassroots-local"
    jwt_audience: str = "grassroots"
    jwt_leeway_s: int = 30

    # Wraps the per-resident keys of personal data (base64 of 32 random bytes); needed by
    # services that declare personal fields. Losing it loses every resident's data;
    # leaking it with a database copy exposes it. See docs/personal-data.md.
    personal_data_key: SecretStr | None = None
    personal_data_key_file: Path | None = None
    # How long another instance may keep using a key after an erasure elsewhere.
    personal_key_cache_s: float = Field(default=10.0, ge=0, le=300)

    pg_pool_min: int = 2
    pg_pool_max: int = 20
    create_database: bool = True
    create_topics: bool = True
    topic_partitions: int = 24
    topic_replication_factor: int = 1

    outbox_shards: int = Field(default=8, ge=1, le=1024)
    relay_batch_size: int = Field(default=2000, ge=1)
    relay_idle_poll_s: float = Field(default=0.02, gt=0)
    consumer_batch_size: int = Field(default=2000, ge=1)
    consumer_max_attempts: int = Field(default=3, ge=1)
    command_max_retries: int = Field(default=10, ge=0)
    # Appended to every consumer group (and its dead-letter topic): a second deployment of
    # a service on the same brokers, with its own database, keeps groups of its own.
    consumer_group_suffix: str = Field(default="", pattern=r"^[A-Za-z0-9._-]*$", max_length=60)

    # Named crash points for fault-injection tests (see failpoints.py); empty in production.
    failpoints: frozenset[str] = frozenset()

    @field_validator("jwt_algorithms")
    @classmethod
    def _no_symmetric_or_none(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        allowed = {"EdDSA", "ES256", "ES384", "RS256", "RS384", "RS512", "PS256"}
        bad = [a for a in value if a not in allowed]
        if bad or not value:
            raise ValueError(f"jwt_algorithms must be asymmetric, one of {sorted(allowed)}")
        return value

    def public_key_pem(self) -> str:
        if self.jwt_public_key:
            return self.jwt_public_key
        if self.jwt_public_key_file:
            return self.jwt_public_key_file.read_text()
        raise ValueError("set GRASSROOTS_JWT_PUBLIC_KEY or GRASSROOTS_JWT_PUBLIC_KEY_FILE")

    def personal_data_master_key(self) -> str:
        if self.personal_data_key:
            return self.personal_data_key.get_secret_value()
        if self.personal_data_key_file:
            return self.personal_data_key_file.read_text()
        raise ValueError(
            "this service keeps personal data: set GRASSROOTS_PERSONAL_DATA_KEY or"
            " GRASSROOTS_PERSONAL_DATA_KEY_FILE (base64 of 32 random bytes)"
        )

    def dsn(self) -> str:
        return self.pg_dsn.get_secret_value()
