"""The same records through real Kafka: produced to scratch topics of the stack's broker
(24 partitions, keyed by community, as the relays publish), then consumed by each view's
real `IdempotentConsumer` (fetch, decode, dedupe, apply, offsets committed after the
database) into a database of its own, all views at once as in the service.

It tells whether the direct feed's rates (feed.py) hold once Kafka is in the path."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from grassroots_contracts.topics import ALL_TOPICS, DEFAULT_PARTITIONS
from grassroots_eventkit.codec import ReceivedEvent
from grassroots_eventkit.consumer import IdempotentConsumer, Projector
from grassroots_eventkit.kafka import client_security, reliable_producer
from grassroots_eventkit.settings import KafkaSecurity
from projections_service.views.registry import VIEWS

from grassroots_stack.capacity.timeline import Published

WAIT_S = 900.0


@dataclass(frozen=True, slots=True)
class Renamed:
    """A view's projector reading scratch topics in a group of its own."""

    inner: Projector
    group: str
    topics: Sequence[str]

    async def apply(self, conn: asyncpg.Connection, events: Sequence[ReceivedEvent]) -> None:
        await self.inner.apply(conn, events)


async def _create(bootstrap: str, security: KafkaSecurity, names: Sequence[str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **client_security(security))
    await admin.start()
    try:
        await admin.create_topics([NewTopic(n, DEFAULT_PARTITIONS, 1) for n in names])
    finally:
        await admin.close()


async def _delete(bootstrap: str, security: KafkaSecurity, names: Sequence[str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **client_security(security))
    await admin.start()
    try:
        await admin.delete_topics(list(names))
    finally:
        await admin.close()


async def _produce(
    bootstrap: str, security: KafkaSecurity, scratch: dict[str, str], records: Sequence[Published]
) -> float:
    producer = reliable_producer(bootstrap, client_id="capacity-producer", security=security)
    await producer.start()
    started = time.perf_counter()
    try:
        for p in records:
            r = p.record
            await producer.send(scratch[r.topic], r.value, key=r.key, headers=list(r.headers))
        await producer.flush()
    finally:
        await producer.stop()
    return time.perf_counter() - started


async def run(
    bootstrap: str, security: KafkaSecurity, pool: asyncpg.Pool, records: Sequence[Published]
) -> dict[str, object]:
    run_id = uuid.uuid4().hex[:8]
    scratch = {t.name: f"capacity.{run_id}.{t.name}" for t in ALL_TOPICS}
    await _create(bootstrap, security, list(scratch.values()))
    dlq = reliable_producer(bootstrap, client_id="capacity-dlq", security=security)
    try:
        produce_s = await _produce(bootstrap, security, scratch, records)
        await dlq.start()
        consumers = []
        for view in VIEWS:
            inner = view.projector()
            topics = [scratch[t] for t in inner.topics]
            expected = sum(1 for p in records if p.record.topic in set(inner.topics))
            renamed = Renamed(inner, f"capacity.{run_id}.{view.name}", topics)
            consumer = IdempotentConsumer(
                renamed, bootstrap=bootstrap, pool=pool, dlq_producer=dlq, security=security
            )
            consumers.append((view.name, consumer, expected))
        started = time.perf_counter()
        tasks = [asyncio.create_task(c.run()) for _, c, _ in consumers]
        done: dict[str, float] = {}
        while len(done) < len(consumers) and time.perf_counter() - started < WAIT_S:
            await asyncio.sleep(0.2)
            for name, c, expected in consumers:
                if name not in done and c.applied >= expected:
                    done[name] = time.perf_counter() - started
        for _, c, _ in consumers:
            c.stop()
        await asyncio.gather(*tasks)
    finally:
        await dlq.stop()
        await _delete(bootstrap, security, list(scratch.values()))
    return {
        "records": len(records),
        "produce_events_per_s": round(len(records) / produce_s, 1),
        "views": [
            {
                "view": name,
                "events": expected,
                "applied": c.applied,
                "seconds": round(done.get(name, float("nan")), 2),
                "events_per_s": round(expected / done[name], 1) if name in done else None,
            }
            for name, c, expected in consumers
        ],
        "all_views_seconds": round(max(done.values(), default=0.0), 2),
        "note": "the five consumers ran side by side in one process, as in the service",
    }
