"""Three instances of a consumer share its group while events stream in; one SIGKILLed
mid-stream hands its partitions over to the other two, and every event is applied
exactly once (issue 9: scale out, for real)."""

from __future__ import annotations

import asyncio
import signal
import uuid

import pytest

from tests.support.databases import fresh_database
from tests.support.kafka import committed, create_topic, produce_ticks, wait_for
from tests.support.processes import spawn, terminate, wait_exit
from tests.support.tally import TALLY_MIGRATION

pytestmark = pytest.mark.integration

PARTITIONS = 6
# The stream runs until the test ends it; the cap only bounds a run gone wrong. At 50 a
# chunk and 0.1 s between chunks it lasts at least a minute, however slow the machine.
MAX_EVENTS = 30_000
CHUNK = 50
# Applied before the kill, and again by the survivors after it.
BEFORE_KILL = 750
AFTER_KILL = 750


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
            stop = asyncio.Event()
            streaming = asyncio.create_task(
                produce_ticks(
                    stack.kafka,
                    topic,
                    security,
                    events=MAX_EVENTS,
                    counters=20,
                    chunk=CHUNK,
                    pause_s=0.1,
                    until=stop,
                )
            )

            async def applied() -> int:
                return int(await pool.fetchval("SELECT count(*) FROM tally"))

            async def applied_at_least(n: int) -> bool:
                return await applied() >= n

            await wait_for(lambda: applied_at_least(BEFORE_KILL), timeout=180)
            assert not streaming.done(), "the stream still flows when the instance dies"
            victim = instances[0]
            victim.send_signal(signal.SIGKILL)
            assert await wait_exit(victim) == -signal.SIGKILL
            at_kill = await applied()

            await wait_for(lambda: applied_at_least(at_kill + AFTER_KILL), timeout=180)
            assert not streaming.done(), "the survivors applied events streamed after the kill"
            stop.set()
            sent = await streaming

            async def all_committed() -> bool:
                return await committed(stack.kafka, group, topic, security) == sent

            await wait_for(all_committed, timeout=180)
            assert all(p.poll() is None for p in instances[1:]), "the others kept running"
        finally:
            for proc in instances:
                terminate(proc)

        total = await pool.fetchval("SELECT count(*) FROM tally")
        distinct = await pool.fetchval("SELECT count(DISTINCT event_id) FROM tally")
        assert (total, distinct) == (sent, sent)
        per_partition = await pool.fetch(
            'SELECT partition, count(*) AS n, max("offset") AS last FROM tally GROUP BY 1'
        )
        # The keys hash onto most of the partitions, so each instance held some.
        assert len(per_partition) >= PARTITIONS // 2
        # Every partition read to its end, each record once: none was left with the dead.
        assert all(r["n"] == r["last"] + 1 for r in per_partition)
