"""An in-memory event store for unit tests of domain code.

It passes the same contract suite as the PostgreSQL store (tests/contract).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict

from grassroots_eventkit.audit import AuditEntry
from grassroots_eventkit.codec import KafkaRecord
from grassroots_eventkit.personal.sealing import Sealer
from grassroots_eventkit.store.aggregates import AggregateReader, StateCache
from grassroots_eventkit.store.model import (
    AppendBatch,
    ConcurrencyConflict,
    IdempotencyKeyTaken,
    IdempotencyRecord,
    ReservationTaken,
    StoredEvent,
)


class InMemoryEventStore:
    def __init__(self, cache_size: int = 10_000, sealer: Sealer | None = None) -> None:
        self._sealer = sealer
        self._aggregates = AggregateReader(self, StateCache(cache_size))
        self._streams: dict[str, list[StoredEvent]] = defaultdict(list)
        self._reservations: dict[tuple[str, str], str] = {}
        self._idempotency: dict[str, IdempotencyRecord] = {}
        self._outbox: list[KafkaRecord] = []
        self._position = 0
        # Every command's audit row, in order: accepted ones with their append.
        self.audit: list[AuditEntry] = []
        self._lock = asyncio.Lock()

    @property
    def aggregates(self) -> AggregateReader:
        return self._aggregates

    async def load(self, stream_id: str, *, after: int = 0) -> list[StoredEvent]:
        events = list(self._streams.get(stream_id, ())[after:])
        return await self._sealer.open(events) if self._sealer else events

    async def append(self, batch: AppendBatch) -> int:
        if self._sealer:
            batch = await self._sealer.seal(batch)
        async with self._lock:
            current = len(self._streams.get(batch.stream_id, ()))
            if current != batch.expected_version:
                raise ConcurrencyConflict(batch.stream_id, batch.expected_version)
            released = {(r.scope, r.value) for r in batch.release}
            for r in batch.reserve:
                holder = self._reservations.get((r.scope, r.value))
                if (
                    holder is not None
                    and holder != batch.stream_id
                    and ((r.scope, r.value) not in released)
                ):
                    raise ReservationTaken(r.scope, r.value)
            if batch.idempotency and batch.idempotency.key in self._idempotency:
                raise IdempotencyKeyTaken(batch.idempotency.key)
            # Every check passed: now write, so a refusal above leaves no trace.
            for r in batch.release:
                if self._reservations.get((r.scope, r.value)) == batch.stream_id:
                    del self._reservations[(r.scope, r.value)]
            for r in batch.reserve:
                self._reservations[(r.scope, r.value)] = batch.stream_id
            stream = self._streams[batch.stream_id]
            for event in batch.events:
                self._position += 1
                stream.append(
                    StoredEvent(
                        stream_id=batch.stream_id,
                        version=len(stream) + 1,
                        event_id=event.event_id,
                        event_type=event.event_type,
                        data=dict(event.data),
                        metadata=batch.metadata.as_dict(),
                        recorded_at=batch.recorded_at,
                        global_position=self._position,
                    )
                )
            self._outbox.extend(batch.outbox)
            if batch.idempotency:
                self._idempotency[batch.idempotency.key] = batch.idempotency
            if batch.audit:
                self.audit.append(batch.audit)
            return len(stream)

    async def record_audit(self, entry: AuditEntry) -> None:
        self.audit.append(entry)

    async def find_idempotency(self, key: str) -> IdempotencyRecord | None:
        return self._idempotency.get(key)

    async def pending_outbox(self) -> list[KafkaRecord]:
        return list(self._outbox)
