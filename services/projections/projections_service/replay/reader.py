"""Reading topics from their first offset up to a fixed end, outside any consumer group.

A replay must know when it is done: it snapshots each partition's end offset when it
opens, reads to there, and can move the end forward later (`extend`) for a final
catch-up. No group, no committed offsets: a replay leaves no trace in Kafka.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord
from grassroots_eventkit.kafka import PLAINTEXT, client_security
from grassroots_eventkit.settings import KafkaSecurity

_METADATA_WAIT_S = 10.0


class TopicReader:
    def __init__(
        self,
        bootstrap: str,
        topics: Sequence[str],
        *,
        client_id: str,
        security: KafkaSecurity = PLAINTEXT,
        batch_size: int = 5000,
    ) -> None:
        self._topics = tuple(topics)
        self._batch_size = batch_size
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            client_id=client_id,
            **client_security(security),
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=4 * 1024 * 1024,
            fetch_max_bytes=32 * 1024 * 1024,
        )
        self._partitions: list[TopicPartition] = []
        self._first: dict[TopicPartition, int] = {}
        self._end: dict[TopicPartition, int] = {}
        self._next: dict[TopicPartition, int] = {}

    async def open(self) -> None:
        await self._consumer.start()
        self._partitions = await self._discover()
        self._consumer.assign(self._partitions)
        self._first = await self._consumer.beginning_offsets(self._partitions)
        self._end = await self._consumer.end_offsets(self._partitions)
        for tp in self._partitions:
            self._consumer.seek(tp, self._first[tp])
            self._next[tp] = self._first[tp]

    async def close(self) -> None:
        await self._consumer.stop()

    async def extend(self) -> None:
        """Move the end to the partitions' current ends (for a final catch-up)."""
        self._end = await self._consumer.end_offsets(self._partitions)
        self._consumer.resume(*self._partitions)

    @property
    def total(self) -> int:
        return sum(self._end[tp] - self._first[tp] for tp in self._partitions)

    @property
    def read(self) -> int:
        return sum(min(self._next[tp], self._end[tp]) - self._first[tp] for tp in self._partitions)

    def _done(self, tp: TopicPartition) -> bool:
        return self._next[tp] >= self._end[tp]

    async def batches(self) -> AsyncIterator[list[ConsumerRecord]]:
        """Records up to the end, in batches; each partition's records in order."""
        for tp in self._partitions:
            if self._done(tp):
                self._consumer.pause(tp)
        while not all(self._done(tp) for tp in self._partitions):
            fetched = await self._consumer.getmany(timeout_ms=500, max_records=self._batch_size)
            batch: list[ConsumerRecord] = []
            for tp, records in fetched.items():
                for record in records:
                    if record.offset >= self._end[tp]:
                        # Past the end: not ours yet. Step back, so that `extend` reads
                        # these records again instead of the consumer's position skipping them.
                        self._consumer.seek(tp, self._end[tp])
                        break
                    batch.append(record)
                if records:
                    self._next[tp] = min(records[-1].offset + 1, self._end[tp])
            for tp in self._partitions:
                if not self._done(tp) and tp not in fetched:
                    # Offsets can have gaps (transaction markers, compaction): trust the
                    # consumer's position where no record shows progress.
                    self._next[tp] = max(self._next[tp], await self._consumer.position(tp))
                if self._done(tp):
                    self._consumer.pause(tp)
            if batch:
                yield batch

    async def _discover(self) -> list[TopicPartition]:
        deadline = time.monotonic() + _METADATA_WAIT_S
        while True:
            found = {t: self._consumer.partitions_for_topic(t) for t in self._topics}
            if all(found.values()):
                return [TopicPartition(t, p) for t in self._topics for p in sorted(found[t] or ())]
            if time.monotonic() > deadline:
                missing = [t for t, parts in found.items() if not parts]
                raise LookupError(f"topics not found: {', '.join(missing)}")
            await self._consumer._client.force_metadata_update()
            await asyncio.sleep(0.2)
