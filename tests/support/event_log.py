"""The public event log as a test reads it: every record of some topics from offset 0 up to
fixed ends, decoded, and the consumer groups' committed offsets measured against those ends.

No consumer group of its own: reading leaves no trace in Kafka. The log is read as the
services' consumers read it: a record that breaks the envelope, or whose payload breaks
its type's contract, is left out, as every consumer dead-letters or passes over such a
poison record (`grassroots chaos` puts some on the real topics, for good).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import ConsumerRecord
from grassroots_contracts.registry import UnknownEventType, model_for
from grassroots_eventkit.codec import ReceivedEvent, UndecodableMessage, decode
from grassroots_eventkit.kafka import client_security
from pydantic import ValidationError

from tests.support.stack import Stack

Ends = dict[TopicPartition, int]


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """One decoded record and its Kafka key (the community id, or `county:<name>`)."""

    key: str
    event: ReceivedEvent

    @property
    def type_name(self) -> str:
        """`RequestSubmitted` of `grassroots.requests.RequestSubmitted.v1`."""
        return str(self.event.event_type.rsplit(".", 2)[-2])


def _consumer(stack: Stack) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        bootstrap_servers=stack.kafka,
        **client_security(stack.kafka_security),
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=4 * 1024 * 1024,
        fetch_max_bytes=32 * 1024 * 1024,
    )


async def _partitions(consumer: AIOKafkaConsumer, topics: Iterable[str]) -> list[TopicPartition]:
    found: list[TopicPartition] = []
    for topic in topics:
        deadline = time.monotonic() + 10
        partitions = consumer.partitions_for_topic(topic)
        while not partitions and time.monotonic() < deadline:
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic)
        assert partitions, f"topic {topic} has no partitions (does it exist?)"
        found.extend(TopicPartition(topic, p) for p in sorted(partitions))
    return found


async def end_offsets(stack: Stack, topics: Sequence[str]) -> Ends:
    """Every partition's end offset (the offset the next record will get)."""
    consumer = _consumer(stack)
    await consumer.start()
    try:
        tps = await _partitions(consumer, topics)
        return dict(await consumer.end_offsets(tps))
    finally:
        await consumer.stop()


async def lagging(stack: Stack, groups: Mapping[str, str], ends: Ends) -> dict[str, int]:
    """Per consumer group (group -> its topic), how many records of `ends` it has not
    committed yet; a group that committed everything is left out."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=stack.kafka, **client_security(stack.kafka_security)
    )
    await admin.start()
    try:
        behind: dict[str, int] = {}
        for group, topic in groups.items():
            committed = await admin.list_consumer_group_offsets(group)
            lag = sum(
                end - (committed[tp].offset if tp in committed else 0)
                for tp, end in ends.items()
                if tp.topic == topic and end > 0
            )
            if lag > 0:
                behind[group] = lag
        return behind
    finally:
        await admin.close()


async def wait_until_committed(
    stack: Stack, groups: Mapping[str, str], ends: Ends, *, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while behind := await lagging(stack, groups, ends):
        if time.monotonic() > deadline:
            raise AssertionError(f"consumer groups still behind after {timeout}s: {behind}")
        await asyncio.sleep(0.5)


def _as_consumers_see_it(r: ConsumerRecord) -> LoggedEvent | None:
    """The record decoded, or None for a poison record no consumer applies."""
    try:
        event = decode(r.topic, r.partition, r.offset, r.value, r.headers)
    except UndecodableMessage:
        return None
    try:
        event.parse(model_for(event.event_type))
    except UnknownEventType:
        pass  # a newer producer's type: consumers, and the folds, pass over it
    except ValidationError:
        return None
    assert r.key is not None, f"{r.topic}[{r.partition}]@{r.offset} has no key"
    return LoggedEvent(r.key.decode(), event)


async def read_to(
    stack: Stack, ends: Ends, *, since: Ends | None = None, timeout: float = 240.0
) -> list[LoggedEvent]:
    """Every record below `ends` (from offset 0, or from `since`), decoded; each
    partition's records in offset order, partitions one after the other."""
    start = since or {}
    todo = [tp for tp, end in ends.items() if end > start.get(tp, 0)]
    if not todo:
        # Not even a consumer: aiokafka's stop() raises CancelledError when it is stopped
        # before it was assigned anything.
        return []
    consumer = _consumer(stack)
    await consumer.start()
    try:
        consumer.assign(todo)
        if since is None:
            firsts = await consumer.beginning_offsets(todo)
            assert all(first == 0 for first in firsts.values()), f"records were deleted: {firsts}"
        for tp in todo:
            consumer.seek(tp, start.get(tp, 0))
        by_partition: dict[TopicPartition, list[LoggedEvent]] = {tp: [] for tp in todo}
        pending = set(todo)
        deadline = time.monotonic() + timeout
        while pending:
            assert time.monotonic() < deadline, f"reading the log took over {timeout}s"
            batch = await consumer.getmany(*pending, timeout_ms=500, max_records=10_000)
            for tp, records in batch.items():
                for r in records:
                    if r.offset < ends[tp] and (logged := _as_consumers_see_it(r)):
                        by_partition[tp].append(logged)
            for tp in list(pending):
                if await consumer.position(tp) >= ends[tp]:
                    pending.discard(tp)
                    consumer.pause(tp)
        return [e for tp in todo for e in by_partition[tp]]
    finally:
        await consumer.stop()
