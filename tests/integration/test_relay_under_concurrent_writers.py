"""Test 1: 16 concurrent writers, the relay running all along, nothing lost or reordered."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import defaultdict

import pytest
from grassroots_contracts.envelope import H_STREAM_VERSION, H_SUBJECT
from grassroots_eventkit.commands import CommandContext, CommandRunner
from grassroots_eventkit.consumer import IdempotentConsumer
from grassroots_eventkit.kafka import reliable_producer
from grassroots_eventkit.relay import OutboxRelay
from grassroots_eventkit.store.postgres import PostgresEventStore

from tests.support.databases import fresh_database
from tests.support.kafka import create_topic, read_until, wait_for
from tests.support.tally import TALLY_MIGRATION, TallyProjector
from tests.support.ticker import DECIDER, Tick, community_of_counter, publication

pytestmark = pytest.mark.integration

WRITERS = 16
COMMANDS_PER_WRITER = 500  # 8,000 commands in all
AGGREGATES = 100


async def test_every_event_reaches_kafka_once_in_stream_order_when_16_writers_race(stack):
    topic = await create_topic(stack.kafka, partitions=6, security=stack.kafka_security)
    async with fresh_database(stack, extra=(TALLY_MIGRATION,), pool_size=24) as (dsn, pool):
        store = PostgresEventStore(pool, outbox_shards=4)
        runner = CommandRunner(
            store, source="/test", publication=publication(topic), max_retries=100
        )
        producer = reliable_producer(
            stack.kafka, client_id="test-relay", security=stack.kafka_security
        )
        await producer.start()
        relay = OutboxRelay(dsn, producer, shards=4, batch_size=100, idle_poll_s=0.005)
        consumer = IdempotentConsumer(
            TallyProjector(f"test-{uuid.uuid4().hex[:8]}", topic),
            bootstrap=stack.kafka,
            security=stack.kafka_security,
            pool=pool,
            dlq_producer=producer,
            batch_size=100,
        )
        workers = [asyncio.create_task(relay.run()), asyncio.create_task(consumer.run())]
        counters = [f"counter-{i}" for i in range(AGGREGATES)]

        async def writer(w: int) -> int:
            rng = random.Random(w)
            for _ in range(COMMANDS_PER_WRITER):
                cid = rng.choice(counters)
                await runner.run(
                    DECIDER,
                    stream_id=cid,
                    command=Tick(counter_id=cid, community_id=community_of_counter(cid)),
                    ctx=CommandContext(actor=f"writer-{w}"),
                    community_of=lambda _state, cid=cid: community_of_counter(cid),
                )
            return COMMANDS_PER_WRITER

        try:
            written = sum(await asyncio.gather(*(writer(w) for w in range(WRITERS))))
            assert written == WRITERS * COMMANDS_PER_WRITER

            versions = {
                r["stream_id"]: r["version"]
                for r in await pool.fetch("SELECT stream_id, version FROM es_streams")
            }
            assert sum(versions.values()) == written
            assert len(versions) >= 50

            async def all_applied() -> bool:
                return await pool.fetchval("SELECT count(*) FROM tally") >= written

            await wait_for(all_applied, timeout=60)
            assert await pool.fetchval("SELECT count(*) FROM es_outbox") == 0
        finally:
            relay.stop()
            consumer.stop()
            await asyncio.gather(*workers)
            await producer.stop()

        # The read model: every version of every aggregate applied exactly once, in order.
        rows = await pool.fetch("SELECT subject, version FROM tally ORDER BY seq")
        applied: dict[str, list[int]] = defaultdict(list)
        for row in rows:
            applied[row["subject"]].append(row["version"])
        assert len(rows) == written
        for cid, version in versions.items():
            assert applied[cid] == list(range(1, version + 1)), cid

    # The topic itself: per aggregate, versions strictly increasing, none missing.
    records = await read_until(stack.kafka, topic, expected=written, security=stack.kafka_security)
    on_kafka: dict[str, list[int]] = defaultdict(list)
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        headers = dict(record.headers)
        on_kafka[headers[H_SUBJECT].decode()].append(int(headers[H_STREAM_VERSION]))
    for cid, version in versions.items():
        assert on_kafka[cid] == list(range(1, version + 1)), cid
