"""Test 3: a consumer SIGKILLed after its database commit, before its offset commit,
applies nothing twice when it comes back."""

from __future__ import annotations

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

EVENTS = 500


async def _produce(bootstrap: str, topic: str, security: KafkaSecurity) -> None:
    public = public_ticked(topic)
    producer = reliable_producer(bootstrap, client_id="test-producer", security=security)
    await producer.start()
    try:
        for i in range(EVENTS):
            cid, n = f"counter-{i % 10}", i // 10 + 1
            record = encode(
                public(counter_id=cid, n=n),
                EnvelopeMeta(
                    event_id=uuid.uuid4(),
                    event_type=public.event_type,
                    source="/test",
                    time=datetime.now(UTC),
                    subject=cid,
                    community_id=f"community-{i % 10}",
                    stream_version=n,
                ),
            )
            await producer.send(
                record.topic, record.value, key=record.key, headers=list(record.headers)
            )
        await producer.flush()
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


async def test_nothing_is_applied_twice_when_the_consumer_dies_before_committing_offsets(
    stack, tmp_path
):
    topic = await create_topic(stack.kafka, partitions=2, security=stack.kafka_security)
    group = f"test-{uuid.uuid4().hex[:8]}"
    await _produce(stack.kafka, topic, stack.kafka_security)
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
            await _committed(stack.kafka, group, topic, stack.kafka_security) == 0
        )  # ...Kafka never heard of it

        survivor = spawn("tests.support.consumer_process", *args, log=log)
        try:

            async def caught_up() -> bool:
                return await _committed(stack.kafka, group, topic, stack.kafka_security) == EVENTS

            await wait_for(caught_up, timeout=60)
        finally:
            terminate(survivor)

        total = await pool.fetchval("SELECT count(*) FROM tally")
        distinct = await pool.fetchval("SELECT count(DISTINCT event_id) FROM tally")
        assert (total, distinct) == (EVENTS, EVENTS)
        # The redelivered batch was seen again and skipped by the dedupe.
        assert await pool.fetchval("SELECT count(*) FROM ek_processed_events") == EVENTS
