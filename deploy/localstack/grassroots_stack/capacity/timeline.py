"""Planned events into the Kafka records the services' outbox relays would publish.

In time order, each event gets what the event store gives it (an event id, the next
version of its stream) and becomes a CloudEvents record in Kafka binary mode through
eventkit's own codec; its partition is Kafka's default for its key (murmur2), its offset
the next in that partition."""

from __future__ import annotations

import heapq
import itertools
import random
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from aiokafka.partitioner import murmur2
from grassroots_contracts.envelope import EnvelopeMeta
from grassroots_contracts.topics import DEFAULT_PARTITIONS
from grassroots_eventkit.codec import KafkaRecord, encode

from grassroots_stack.capacity.planned import Planned, new_id


@dataclass(frozen=True, slots=True)
class Published:
    """A record as it sits in its partition."""

    record: KafkaRecord
    partition: int
    offset: int
    at: datetime
    event_type: str
    community_id: str

    @property
    def size(self) -> int:
        """Key, value and headers: what a record adds before Kafka's batch framing."""
        headers = sum(len(k) + len(v) for k, v in self.record.headers)
        return len(self.record.key) + len(self.record.value) + headers


def partition_of(key: bytes, partitions: int) -> int:
    """Kafka's default partitioner (the Java client's and aiokafka's) for a keyed record."""
    return (int(murmur2(key)) & 0x7FFFFFFF) % partitions


class Timeline:
    def __init__(self, partitions: int = DEFAULT_PARTITIONS) -> None:
        self._partitions = partitions
        self._versions: dict[str, int] = {}
        self._offsets: dict[tuple[str, int], int] = {}
        self._partition: dict[bytes, int] = {}
        # Event ids from a random stream of its own: uuid4's system call per id is the
        # single dearest step at a province's volume.
        self._ids = random.Random()

    def publish(self, planned: Iterable[Planned]) -> Iterator[Published]:
        """`planned` must already be in time order (see `in_time_order`)."""
        for p in planned:
            version = self._versions.get(p.subject, 0) + 1
            self._versions[p.subject] = version
            meta = EnvelopeMeta(
                event_id=uuid.UUID(int=self._ids.getrandbits(128), version=4),
                event_type=p.event.event_type,
                source=f"/grassroots/{p.event.event_type.split('.')[1]}",
                time=p.at,
                subject=p.subject,
                community_id=p.key,
                stream_version=version,
                correlation_id=new_id(self._ids),
                actor="capacity-simulation",
            )
            record = encode(p.event, meta)
            partition = self._partition.get(record.key)
            if partition is None:
                partition = self._partition[record.key] = partition_of(record.key, self._partitions)
            offset = self._offsets.get((record.topic, partition), 0)
            self._offsets[(record.topic, partition)] = offset + 1
            yield Published(record, partition, offset, p.at, p.event.event_type, p.key)


def in_time_order(*streams: list[Planned]) -> Iterator[Planned]:
    """Merge lists of planned events (each in any order) into one stream by time; equal
    times keep their list order, so a story's steps at the same instant stay in order."""
    keyed = (
        sorted(((p.at, n, i, p) for i, p in enumerate(s)), key=lambda x: (x[0], x[2]))
        for n, s in enumerate(streams)
    )
    for _, _, _, p in heapq.merge(*keyed, key=lambda x: (x[0], x[1], x[2])):
        yield p


def batches(records: Iterable[Published], size: int) -> Iterator[list[Published]]:
    """Cut a stream of records the way a consumer poll would: at most `size` each."""
    it = iter(records)
    while chunk := list(itertools.islice(it, size)):
        yield chunk
