"""The settings every service shares; each service subclasses it once."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Role = Literal["api", "relay", "consumer"]
KafkaProtocol = Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL", "SSL"]
SaslMechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"]


class KafkaSecurity(BaseModel):
    """How a client proves who it is to the brokers (see kafka.client_security).

    The default is PLAINTEXT with no credentials, so a developer's own broker keeps
    working; the local stack and docker-compose give every process a SCRAM principal.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    security_protocol: KafkaProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism = "SCRAM-SHA-512"
    username: str | None = None
    password: SecretStr | None = None
    ssl_cafile: Path | None = None

    @model_validator(mode="after")
    def _credentials_match_protocol(self) -> KafkaSecurity:
        sasl = self.security_protocol.startswith("SASL_")
        if (self.username is None) != (self.password is None):
            raise ValueError("kafka username and password go together: set both or neither")
        if sasl and self.username is None:
            raise ValueError(f"{self.security_protocol} needs a kafka username and password")
        if not sasl and self.username is not None:
            raise ValueError(
                "kafka credentials are set but the security protocol is "
                f"{self.security_protocol}: use SASL_PLAINTEXT or SASL_SSL"
            )
        return self


class ServiceSettings(BaseSettings):
    """Read from `GRASSROOTS_*` environment variables; built once at start-up.

    Each process gets its own environment, so the same names serve every service
    (the local stack, docker-compose and Kubernetes all set them per process).
    """

    model_config = SettingsConfigDict(env_prefix="GRASSROOTS_", frozen=True, extra="ignore")

    service_name: str
    pg_dsn: SecretStr = Field(description="this service's own database")
    kafka_bootstrap: str = "127.0.0.1:9092"
    # This process's own Kafka principal (ADR 0015): each service writes only its own
    # topics and reads only what it consumes. No credentials: PLAINTEXT, as before.
    kafka_security_protocol: KafkaProtocol = "PLAINTEXT"
    kafka_sasl_mechanism: SaslMechanism = "SCRAM-SHA-512"
    kafka_username: str | None = None
    kafka_password: SecretStr | None = None
    # Or the password in a file (the local stack's and compose's keys/kafka/, a k8s secret).
    kafka_password_file: Path | None = None
    kafka_ssl_cafile: Path | None = None
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
    # During a master key rotation only: the key being rotated away from, so an instance
    # opens data keys wrapped by either (ADR 0021). Remove it once the rotation finished.
    personal_data_previous_key: SecretStr | None = None
    personal_data_previous_key_file: Path | None = None
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

    @model_validator(mode="after")
    def _kafka_security_is_whole(self) -> ServiceSettings:
        self.kafka_security()  # fails at start-up, not at the first connection
        return self

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

    def personal_data_previous_master_key(self) -> str | None:
        if self.personal_data_previous_key:
            return self.personal_data_previous_key.get_secret_value()
        if self.personal_data_previous_key_file:
            return self.personal_data_previous_key_file.read_text()
        return None

    def kafka_security(self) -> KafkaSecurity:
        password = self.kafka_password
        if password is None and self.kafka_password_file is not None:
            password = SecretStr(self.kafka_password_file.read_text().strip())
        return KafkaSecurity(
            security_protocol=self.kafka_security_protocol,
            sasl_mechanism=self.kafka_sasl_mechanism,
            username=self.kafka_username,
            password=password,
            ssl_cafile=self.kafka_ssl_cafile,
        )

    def dsn(self) -> str:
        return self.pg_dsn.get_secret_value()
