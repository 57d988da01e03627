"""Kafka clients with the settings Grassroots relies on, and topic creation."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from grassroots_contracts.topics import TopicSpec

log = structlog.get_logger()


def reliable_producer(bootstrap: str, *, client_id: str) -> AIOKafkaProducer:
    """Idempotent, acks=all, batched: no loss, no reordering within a partition on retry."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
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
) -> None:
    """Create missing topics; existing ones are left as they are."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="grassroots-admin")
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
