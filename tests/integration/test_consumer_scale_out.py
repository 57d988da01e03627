"""Three instances of a consumer share its group while events stream in; one SIGKILLed
mid-stream hands its partitions over to the other two, and every event is applied
exactly once (issue 9: scale out, for real)."""

from __future__ import annotations

import asyncio
import signal
import uuid
from datetime import UTC, datetime

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from grassroots_contracts.envelope import EnvelopeMeta
from grassroots_eventkit.codec import encode
from grassroots_eventkit.kafka import client_security, reliable_producer
from grassroots_eventkit.settings import KafkaSecurity

from tests.support.databases import fresh_database
from tests.support.kafka import create_topic, wait_for
from tests.support.processes import spawn, terminate, wait_exit
from tests.support.tally import TALLY_MIGRATION
from tests.support.ticker import public_ticked

pytestmark = pytest.mark.integration

PARTITIONS = 6
EVENTS = 3000
CHUNK = 100


async def _stream(bootstrap: str, topic: str, security: KafkaSecurity) -> None:
    """EVENTS events over 20 counters, in paced chunks: still flowing when one dies."""
    public = public_ticked(topic)
    producer = reliable_producer(bootstrap, client_id="test-scale-out", security=security)
    await producer.start()
    try:
        for start in range(0, EVENTS, CHUNK):
            for i in range(start, start + CHUNK):
                cid, n = f"counter-{i % 20}", i // 20 + 1
                record = encode(
                    public(counter_id=cid, n=n),
                    EnvelopeMeta(
                        event_id=uuid.uuid4(),
                        event_type=public.event_type,
                        source="/test",
                        time=datetime.now(UTC),
                        subject=cid,
                        community_id=f"community-{i % 20}",
                        stream_version=n,
                    ),
                )
                await producer.send(
                    record.topic, record.value, key=record.key, headers=list(record.headers)
                )
            await producer.flush()
            await asyncio.sleep(0.1)
    finally:
        await producer.stop()


async def _committed(bootstrap: str, group: str, topic: str, security: KafkaSecurity) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **client_security(security))
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return sum(o.offset for tp, o in offsets.items() if tp.topic == topic and o.offset > 0)


async def test_a_consumer_killed_mid_stream_hands_over_its_partitions_losing_and_doubling_nothing(
    stack, tmp_path
):
    security = stack.kafka_security
    topic = await create_topic(stack.kafka, partitions=PARTITIONS, security=security)
    group = f"test-scale-{uuid.uuid4().hex[:8]}"
    async with fresh_database(stack, extra=(TALLY_MIGRATION,)) as (dsn, pool):
        args = ("--dsn", dsn, "--bootstrap", stack.kafka, "--topic", topic, "--group", group)
        instances = [
            spawn(
                "tests.support.consumer_process", *args, "--batch", "20", log=tmp_path / f"{i}.log"
            )
            for i in range(3)
        ]
        try:
            streaming = asyncio.create_task(_stream(stack.kafka, topic, security))

            async def well_under_way() -> bool:
                return int(await pool.fetchval("SELECT count(*) FROM tally")) >= EVENTS // 4

            await wait_for(well_under_way, timeout=120)
            assert not streaming.done(), "the stream still flows when the instance dies"
            victim = instances[0]
            victim.send_signal(signal.SIGKILL)
            assert await wait_exit(victim) == -signal.SIGKILL
            await streaming

            async def all_committed() -> bool:
                return await _committed(stack.kafka, group, topic, security) == EVENTS

            await wait_for(all_committed, timeout=180)
            assert all(p.poll() is None for p in instances[1:]), "the others kept running"
        finally:
            for proc in instances:
                terminate(proc)

        total = await pool.fetchval("SELECT count(*) FROM tally")
        distinct = await pool.fetchval("SELECT count(DISTINCT event_id) FROM tally")
        assert (total, distinct) == (EVENTS, EVENTS)
        per_partition = await pool.fetch(
            'SELECT partition, count(*) AS n, max("offset") AS last FROM tally GROUP BY 1'
        )
        # The keys hash onto most of the partitions, so each instance held some.
        assert len(per_partition) >= PARTITIONS // 2
        # Every partition read to its end, each record once: none was left with the dead.
        assert all(r["n"] == r["last"] + 1 for r in per_partition)
