"""Test 3: a consumer SIGKILLed after its database commit, before its offset commit,
applies nothing twice when it comes back."""

from __future__ import annotations

import signal
import uuid

import pytest

from tests.support.databases import fresh_database
from tests.support.kafka import committed, create_topic, produce_ticks, wait_for
from tests.support.processes import spawn, terminate, wait_exit
from tests.support.tally import TALLY_MIGRATION

pytestmark = pytest.mark.integration

EVENTS = 500


async def test_nothing_is_applied_twice_when_the_consumer_dies_before_committing_offsets(
    stack, tmp_path
):
    topic = await create_topic(stack.kafka, partitions=2, security=stack.kafka_security)
    group = f"test-{uuid.uuid4().hex[:8]}"
    await produce_ticks(stack.kafka, topic, stack.kafka_security, events=EVENTS, counters=10)
    async with fresh_database(stack, extra=(TALLY_MIGRATION,)) as (dsn, pool):
        args = (
            "--dsn",
            dsn,
            "--bootstrap",
            stack.kafka,
            "--topic",
            topic,
            "--group",
            group,
            "--batch",
            "50",
        )
        log = tmp_path / "consumer.log"

        doomed = spawn(
            "tests.support.consumer_process", *args, failpoints="consumer.after_db_commit", log=log
        )
        assert await wait_exit(doomed) == -signal.SIGKILL, log.read_text()
        applied_before = await pool.fetchval("SELECT count(*) FROM tally")
        assert applied_before > 0  # the database committed a batch...
        assert (
            await committed(stack.kafka, group, topic, stack.kafka_security) == 0
        )  # ...Kafka never heard of it

        survivor = spawn("tests.support.consumer_process", *args, log=log)
        try:

            async def caught_up() -> bool:
                return await committed(stack.kafka, group, topic, stack.kafka_security) == EVENTS

            await wait_for(caught_up, timeout=60)
        finally:
            terminate(survivor)

        total = await pool.fetchval("SELECT count(*) FROM tally")
        distinct = await pool.fetchval("SELECT count(DISTINCT event_id) FROM tally")
        assert (total, distinct) == (EVENTS, EVENTS)
        # The redelivered batch was seen again and skipped by the dedupe.
        assert await pool.fetchval("SELECT count(*) FROM ek_processed_events") == EVENTS
