"""Test 2: the relay SIGKILLed between the database commit and the publish loses nothing."""

from __future__ import annotations

import signal
import uuid

import pytest
from grassroots_contracts.envelope import H_ID
from grassroots_eventkit.commands import CommandContext, CommandRunner
from grassroots_eventkit.store.postgres import PostgresEventStore

from tests.support.databases import fresh_database
from tests.support.kafka import create_topic, read_until, wait_for
from tests.support.processes import spawn, terminate, wait_exit
from tests.support.ticker import DECIDER, Tick, community_of_counter, publication

pytestmark = pytest.mark.integration

EVENTS = 300


async def _write(pool, topic: str) -> set[str]:
    runner = CommandRunner(
        PostgresEventStore(pool, outbox_shards=2), source="/test", publication=publication(topic)
    )
    for i in range(EVENTS):
        cid = f"counter-{i % 30}"
        await runner.run(
            DECIDER,
            stream_id=cid,
            command=Tick(counter_id=cid, community_id=community_of_counter(cid)),
            ctx=CommandContext(actor="test"),
            community_of=lambda _s, cid=cid: community_of_counter(cid),
        )
    return {str(r["event_id"]) for r in await pool.fetch("SELECT event_id FROM es_events")}


@pytest.mark.parametrize("failpoint", ["relay.before_publish", "relay.after_publish"])
async def test_nothing_is_lost_when_the_relay_is_killed_mid_batch(stack, tmp_path, failpoint):
    topic = await create_topic(stack.kafka, partitions=3, security=stack.kafka_security)
    async with fresh_database(stack) as (dsn, pool):
        stored = await _write(pool, topic)
        assert len(stored) == EVENTS
        args = ("--dsn", dsn, "--bootstrap", stack.kafka, "--shards", "2", "--batch", "50")
        log = tmp_path / "relay.log"

        doomed = spawn("tests.support.relay_process", *args, failpoints=failpoint, log=log)
        assert await wait_exit(doomed) == -signal.SIGKILL, log.read_text()
        # It died holding a batch: every row is still in the outbox.
        assert await pool.fetchval("SELECT count(*) FROM es_outbox") == EVENTS
        published_before = len(
            await read_until(
                stack.kafka, topic, expected=0, timeout=10, security=stack.kafka_security
            )
        )
        if failpoint == "relay.before_publish":
            assert published_before == 0
        else:
            assert published_before > 0

        survivor = spawn("tests.support.relay_process", *args, log=log)
        try:

            async def drained() -> bool:
                return await pool.fetchval("SELECT count(*) FROM es_outbox") == 0

            await wait_for(drained, timeout=60)
        finally:
            terminate(survivor)

    records = await read_until(stack.kafka, topic, expected=EVENTS, security=stack.kafka_security)
    on_kafka = [dict(r.headers)[H_ID].decode() for r in records]
    assert set(on_kafka) == stored  # nothing lost
    # Killed after publishing: that batch went out twice; consumers dedupe by ce_id.
    assert len(on_kafka) == EVENTS + published_before
    uuid.UUID(on_kafka[0])  # ce_id is the store's event id
