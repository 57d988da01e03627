"""Fresh topics per test, ticking counters onto them, reading a topic to its end, and what
a group has committed."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.structs import ConsumerRecord
from grassroots_contracts.envelope import EnvelopeMeta
from grassroots_eventkit.codec import encode
from grassroots_eventkit.kafka import PLAINTEXT, client_security, reliable_producer
from grassroots_eventkit.settings import KafkaSecurity

from tests.support.ticker import public_ticked


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


async def produce_ticks(
    bootstrap: str,
    topic: str,
    security: KafkaSecurity,
    *,
    events: int,
    counters: int,
    chunk: int | None = None,
    pause_s: float = 0.0,
    until: asyncio.Event | None = None,
) -> int:
    """Up to `events` Ticked events over `counters` counters (each its own community, so
    its own key), flushed every `chunk` events with a pause between: a stream still
    flowing. With `until`, the stream stops at the first chunk boundary after it is set,
    so a test decides when the stream ends instead of racing a fixed count. Returns how
    many were sent."""
    public = public_ticked(topic)
    producer = reliable_producer(bootstrap, client_id="test-ticks", security=security)
    await producer.start()
    sent = 0
    try:
        for i in range(events):
            cid, n = f"counter-{i % counters}", i // counters + 1
            record = encode(
                public(counter_id=cid, n=n),
                EnvelopeMeta(
                    event_id=uuid.uuid4(),
                    event_type=public.event_type,
                    source="/test",
                    time=datetime.now(UTC),
                    subject=cid,
                    community_id=f"community-{i % counters}",
                    stream_version=n,
                ),
            )
            await producer.send(
                record.topic, record.value, key=record.key, headers=list(record.headers)
            )
            sent = i + 1
            if chunk and sent % chunk == 0:
                await producer.flush()
                if until is not None and until.is_set():
                    break
                await asyncio.sleep(pause_s)
        await producer.flush()
    finally:
        await producer.stop()
    return sent


async def committed(bootstrap: str, group: str, topic: str, security: KafkaSecurity) -> int:
    """How many records of `topic` the group has committed, over its partitions."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **client_security(security))
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return sum(o.offset for tp, o in offsets.items() if tp.topic == topic and o.offset > 0)
