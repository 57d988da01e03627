"""A rebuild's swap and the live consumer take their locks in the same order, so they
queue instead of deadlocking (ADR 0012). The live consumer claims an event in the dedupe
table, then writes the view's tables; the swap used to lock the view's tables first and
then write the dedupe table, and PostgreSQL broke the cycle by aborting one of them."""

from __future__ import annotations

import asyncio

import pytest
from grassroots_eventkit.codec import decode
from grassroots_eventkit.consumer import claim_fresh
from projections_service.replay.rebuild import rebuild
from projections_service.views.registry import View

from tests.support.databases import fresh_database
from tests.support.kafka import create_topic, produce_ticks, read_until, wait_for
from tests.support.tally import TALLY_MIGRATION, TallyProjector

pytestmark = pytest.mark.integration

EVENTS = 200


async def test_the_swap_waits_for_a_live_batch_in_flight_instead_of_deadlocking(stack):
    security = stack.kafka_security
    topic = await create_topic(stack.kafka, partitions=3, security=security)
    await produce_ticks(stack.kafka, topic, security, events=EVENTS, counters=10)
    [first, *_] = await read_until(stack.kafka, topic, expected=EVENTS, security=security)
    event = decode(first.topic, first.partition, first.offset, first.value, first.headers)
    group = f"tally-{topic}"
    view = View("tally", (TALLY_MIGRATION,), lambda: TallyProjector(group, topic))

    async with fresh_database(stack, extra=(TALLY_MIGRATION,)) as (_dsn, pool):
        live = await pool.acquire()
        try:
            # The live consumer's batch, half done: the event is claimed, not yet applied.
            batch = live.transaction()
            await batch.start()
            assert await claim_fresh(live, group, [event]) == [event]

            rebuilding = asyncio.create_task(rebuild(pool, stack.kafka, view, security=security))

            async def swap_waits() -> bool:
                waiting = await pool.fetchval(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
                return bool(waiting)

            await wait_for(swap_waits, timeout=60)
            assert not rebuilding.done()
            # The batch goes on to the view's tables and commits: nothing waits on it.
            await asyncio.wait_for(TallyProjector(group, topic).apply(live, [event]), timeout=10)
            await batch.commit()
        finally:
            await pool.release(live)

        report = await asyncio.wait_for(rebuilding, timeout=60)
        assert report.swap_attempts == 1
        assert (report.events_read, report.events_applied) == (EVENTS, EVENTS)
        rows = await pool.fetchval("SELECT count(*) FROM tally")
        distinct = await pool.fetchval("SELECT count(DISTINCT event_id) FROM tally")
        assert (rows, distinct) == (EVENTS, EVENTS)
        claimed = await pool.fetchval(
            "SELECT count(*) FROM ek_processed_events WHERE consumer = $1", group
        )
        assert claimed == EVENTS
