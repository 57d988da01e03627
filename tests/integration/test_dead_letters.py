"""Test 4: poison messages go to the dead-letter topic with their headers, and the
partition moves on."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaProducer
from grassroots_contracts.envelope import H_ID, EnvelopeMeta
from grassroots_contracts.topics import dead_letter_spec, dead_letter_topic
from grassroots_eventkit.codec import encode
from grassroots_eventkit.consumer import H_DLQ_VALUE_OMITTED, IdempotentConsumer
from grassroots_eventkit.kafka import client_security, ensure_topics, reliable_producer

from tests.support.databases import fresh_database
from tests.support.kafka import create_topic, read_until, wait_for
from tests.support.tally import TALLY_MIGRATION, TallyProjector
from tests.support.ticker import public_ticked

pytestmark = pytest.mark.integration


async def test_poison_goes_to_the_dead_letter_topic_and_later_messages_still_apply(stack):
    topic = await create_topic(
        stack.kafka, partitions=1, security=stack.kafka_security
    )  # one partition: "later" is well defined
    group = f"test-{uuid.uuid4().hex[:8]}"
    await ensure_topics(stack.kafka, [dead_letter_spec(group)], security=stack.kafka_security)
    public = public_ticked(topic)
    producer = reliable_producer(stack.kafka, client_id="test-dlq", security=stack.kafka_security)
    await producer.start()

    def good(n: int, note: str = "") -> tuple[str, object]:
        event_id = uuid.uuid4()
        event = public(counter_id="c", n=n)
        meta = EnvelopeMeta(
            event_id=event_id,
            event_type=public.event_type,
            source="/test",
            time=datetime.now(UTC),
            subject="c",
            community_id="k",
            stream_version=n,
        )
        record = encode(event, meta)
        # The projector refuses a note it cannot handle: a failure in the read model.
        value = record.value if not note else record.value[:-1] + f', "note": "{note}"}}'.encode()
        return str(event_id), (record.topic, value, record.key, list(record.headers))

    sent: list[tuple[str, object]] = [
        good(1),
        ("undecodable", (topic, b"{not json", b"k", [(H_ID, b"not-a-uuid")])),
        good(2),
        good(3, note="explode"),
        good(4),
    ]
    for _, (t, value, key, headers) in sent:  # type: ignore[misc]
        await producer.send_and_wait(t, value, key=key, headers=headers)

    async with fresh_database(stack, extra=(TALLY_MIGRATION,)) as (_dsn, pool):
        consumer = IdempotentConsumer(
            TallyProjector(group, topic, fail_on_note="explode"),
            bootstrap=stack.kafka,
            security=stack.kafka_security,
            pool=pool,
            dlq_producer=producer,
            batch_size=100,
            max_attempts=2,
        )
        task = asyncio.create_task(consumer.run())
        try:

            async def applied() -> bool:
                return await pool.fetchval("SELECT count(*) FROM tally") == 3

            await wait_for(applied, timeout=60)
            versions = [
                r["version"] for r in await pool.fetch("SELECT version FROM tally ORDER BY seq")
            ]
            assert versions == [1, 2, 4]
            dead = await pool.fetch('SELECT "offset", error FROM ek_dead_letters ORDER BY "offset"')
            assert [r["offset"] for r in dead] == [1, 3]
        finally:
            consumer.stop()
            await task
            await producer.stop()

    letters = await read_until(
        stack.kafka, dead_letter_topic(group), expected=2, security=stack.kafka_security
    )
    assert len(letters) == 2
    undecodable, failed = (dict(r.headers) for r in letters)
    assert undecodable["dlq_original_topic"].decode() == topic
    assert undecodable["dlq_original_partition"] == b"0"
    assert undecodable["dlq_original_offset"] == b"1"
    assert "missing CloudEvents headers" in undecodable["dlq_error"].decode()
    assert failed["dlq_original_offset"] == b"3"
    assert failed["dlq_error_type"] == b"ValueError"
    assert "cannot apply event with note 'explode'" in failed["dlq_error"].decode()
    assert failed[H_ID].decode() == sent[3][0]  # the original headers travel with it
    assert letters[1].value == sent[3][1][1]  # type: ignore[index]


# The broker's default message.max.bytes, which the local stack keeps.
BROKER_MAX_BYTES = 1_048_588


async def test_a_poison_record_too_big_to_copy_is_dead_lettered_without_its_value(stack):
    """Found by `grassroots chaos` (oversized-messages): a record just under the broker's
    limit that a consumer must dead-letter no longer fits once the error headers are added;
    the send failed as a Kafka error, taken for an outage, and the partition was retried
    forever. Now the copy goes without its value and says where the original is."""
    topic = await create_topic(stack.kafka, partitions=1, security=stack.kafka_security)
    group = f"test-{uuid.uuid4().hex[:8]}"
    await ensure_topics(stack.kafka, [dead_letter_spec(group)], security=stack.kafka_security)
    public = public_ticked(topic)
    producer = reliable_producer(stack.kafka, client_id="test-dlq", security=stack.kafka_security)
    await producer.start()
    # The client's own size check off, so that the broker decides what it stores.
    big = AIOKafkaProducer(
        bootstrap_servers=stack.kafka,
        max_request_size=4 * BROKER_MAX_BYTES,
        **client_security(stack.kafka_security),
    )
    await big.start()
    try:
        huge = b"x" * (BROKER_MAX_BYTES - 200)  # stored: the broker takes it
        await big.send_and_wait(topic, huge, key=b"k", headers=[(H_ID, b"not-a-uuid")])
        event = public(counter_id="c", n=1)
        meta = EnvelopeMeta(
            event_id=uuid.uuid4(),
            event_type=public.event_type,
            source="/test",
            time=datetime.now(UTC),
            subject="c",
            community_id="k",
            stream_version=1,
        )
        record = encode(event, meta)
        await producer.send_and_wait(
            topic, record.value, key=record.key, headers=list(record.headers)
        )
        async with fresh_database(stack, extra=(TALLY_MIGRATION,)) as (_dsn, pool):
            consumer = IdempotentConsumer(
                TallyProjector(group, topic),
                bootstrap=stack.kafka,
                security=stack.kafka_security,
                pool=pool,
                dlq_producer=producer,
                batch_size=100,
            )
            task = asyncio.create_task(consumer.run())
            try:

                async def applied() -> bool:
                    return await pool.fetchval("SELECT count(*) FROM tally") == 1

                await wait_for(applied, timeout=60)
                dead = await pool.fetch('SELECT "offset" FROM ek_dead_letters')
                assert [r["offset"] for r in dead] == [0]
            finally:
                consumer.stop()
                await task
    finally:
        await big.stop()
        await producer.stop()

    [letter] = await read_until(
        stack.kafka, dead_letter_topic(group), expected=1, security=stack.kafka_security
    )
    headers = dict(letter.headers)
    assert letter.value is None
    assert headers[H_DLQ_VALUE_OMITTED] == str(len(huge)).encode()
    assert headers["dlq_original_topic"].decode() == topic
    assert headers["dlq_original_offset"] == b"0"
    assert "missing CloudEvents headers" in headers["dlq_error"].decode()


class _Counted(TallyProjector):
    """The tally, counting the transactions that reach it."""

    def __init__(self, group: str, topic: str, *, fail_on_note: str) -> None:
        super().__init__(group, topic, fail_on_note=fail_on_note)
        self.calls = 0

    async def apply(self, conn, events):  # type: ignore[no-untyped-def]
        self.calls += 1
        await super().apply(conn, events)


async def test_one_poison_event_in_a_big_batch_costs_a_few_transactions_not_one_per_event(stack):
    """Found by `grassroots chaos`: a consumer replaying a topic from offset 0 meets every
    poison record ever published, and each made its whole batch apply one event per
    transaction (6-11 s a record on the local stack)."""
    topic = await create_topic(stack.kafka, partitions=1, security=stack.kafka_security)
    group = f"test-{uuid.uuid4().hex[:8]}"
    await ensure_topics(stack.kafka, [dead_letter_spec(group)], security=stack.kafka_security)
    public = public_ticked(topic)
    producer = reliable_producer(stack.kafka, client_id="test-dlq", security=stack.kafka_security)
    await producer.start()
    events = 400
    for n in range(1, events + 1):
        event = public(counter_id="c", n=n)
        meta = EnvelopeMeta(
            event_id=uuid.uuid4(),
            event_type=public.event_type,
            source="/test",
            time=datetime.now(UTC),
            subject="c",
            community_id="k",
            stream_version=n,
        )
        record = encode(event, meta)
        value = record.value
        if n == 250:  # the projector refuses this one
            value = value[:-1] + b', "note": "explode"}'
        await producer.send(topic, value, key=record.key, headers=list(record.headers))
    await producer.flush()
    projector = _Counted(group, topic, fail_on_note="explode")
    async with fresh_database(stack, extra=(TALLY_MIGRATION,)) as (_dsn, pool):
        consumer = IdempotentConsumer(
            projector,
            bootstrap=stack.kafka,
            security=stack.kafka_security,
            pool=pool,
            dlq_producer=producer,
            batch_size=1000,
            max_attempts=2,
        )
        task = asyncio.create_task(consumer.run())
        try:

            async def applied() -> bool:
                return await pool.fetchval("SELECT count(*) FROM tally") == events - 1

            await wait_for(applied, timeout=60)
            versions = [
                r["version"] for r in await pool.fetch("SELECT version FROM tally ORDER BY seq")
            ]
            assert versions == [n for n in range(1, events + 1) if n != 250]  # in order
            dead = await pool.fetch('SELECT "offset" FROM ek_dead_letters')
            assert [r["offset"] for r in dead] == [249]
        finally:
            consumer.stop()
            await task
            await producer.stop()
    # Halving 400 down to the one: about two transactions a level, not 400.
    assert projector.calls <= 4 * 9 + 2
