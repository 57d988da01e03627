"""Kafka clients with the settings Grassroots relies on, and topic creation."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from aiokafka.helpers import create_ssl_context
from grassroots_contracts.topics import TopicSpec

from grassroots_eventkit.settings import KafkaSecurity

log = structlog.get_logger()

PLAINTEXT = KafkaSecurity()


def client_security(security: KafkaSecurity) -> dict[str, Any]:
    """The keyword arguments that make an aiokafka client (producer, consumer or admin)
    authenticate as `security` says; every client Grassroots builds goes through here."""
    kwargs: dict[str, Any] = {"security_protocol": security.security_protocol}
    if security.security_protocol in ("SSL", "SASL_SSL"):
        cafile = str(security.ssl_cafile) if security.ssl_cafile else None
        kwargs["ssl_context"] = create_ssl_context(cafile=cafile)
    if security.username is not None and security.password is not None:
        kwargs |= {
            "sasl_mechanism": security.sasl_mechanism,
            "sasl_plain_username": security.username,
            "sasl_plain_password": security.password.get_secret_value(),
        }
    return kwargs


def reliable_producer(
    bootstrap: str, *, client_id: str, security: KafkaSecurity = PLAINTEXT
) -> AIOKafkaProducer:
    """Idempotent, acks=all, batched: no loss, no reordering within a partition on retry."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        **client_security(security),
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        max_batch_size=512 * 1024,
        max_request_size=1024 * 1024,
        request_timeout_ms=30_000,
    )


async def ensure_topics(
    bootstrap: str,
    specs: Iterable[TopicSpec],
    *,
    partitions: int | None = None,
    replication_factor: int = 1,
    security: KafkaSecurity = PLAINTEXT,
) -> None:
    """Create missing topics; existing ones are left as they are.

    With ACLs on, list_topics shows only the topics the principal may describe, so a
    service sees its own as missing only until it has created them.
    """
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, client_id="grassroots-admin", **client_security(security)
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(
                name=spec.name,
                num_partitions=partitions
                if (partitions and spec.partitions > 1)
                else spec.partitions,
                replication_factor=replication_factor,
                topic_configs={"retention.ms": str(spec.retention_ms)},
            )
            for spec in specs
            if spec.name not in existing
        ]
        if wanted:
            # Another instance may create them between our list and our create.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(wanted)
            log.info("kafka.topics_created", topics=[t.name for t in wanted])
    finally:
        await admin.close()
