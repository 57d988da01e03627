"""Fresh topics per test, and reading a topic to its end."""

from __future__ import annotations

import asyncio
import time
import uuid

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.structs import ConsumerRecord
from grassroots_eventkit.kafka import PLAINTEXT, client_security
from grassroots_eventkit.settings import KafkaSecurity


async def create_topic(
    bootstrap: str,
    *,
    partitions: int = 6,
    prefix: str = "test",
    security: KafkaSecurity = PLAINTEXT,
) -> str:
    name = f"{prefix}.{uuid.uuid4().hex[:12]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **client_security(security))
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, partitions, 1)])
    finally:
        await admin.close()
    return name


async def read_until(
    bootstrap: str,
    topic: str,
    *,
    expected: int,
    timeout: float = 60.0,
    security: KafkaSecurity = PLAINTEXT,
) -> list[ConsumerRecord]:
    """Every record of `topic` from the beginning, once at least `expected` have arrived
    and the topic's end is reached."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **client_security(security),
    )
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic)
        deadline = time.monotonic() + 10
        while not partitions and time.monotonic() < deadline:
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic)
        tps = [TopicPartition(topic, p) for p in sorted(partitions or ())]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        records: list[ConsumerRecord] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for recs in batch.values():
                records.extend(recs)
            if len(records) >= expected and not batch:
                ends = await consumer.end_offsets(tps)
                if all([await _at_end(consumer, tp, ends[tp]) for tp in tps]):
                    return records
        raise AssertionError(f"only {len(records)} of {expected} records on {topic} in {timeout}s")
    finally:
        await consumer.stop()


async def _at_end(consumer: AIOKafkaConsumer, tp: TopicPartition, end: int) -> bool:
    return await consumer.position(tp) >= end


async def wait_for(predicate, *, timeout: float = 30.0, interval: float = 0.1):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        result = await predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met in {timeout}s")
        await asyncio.sleep(interval)
