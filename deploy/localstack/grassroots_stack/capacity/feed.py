"""Records into the projections' read models through the consumers' own apply path.

For each registered view, a batch is handled as its `IdempotentConsumer` handles a poll:
decode every record of the view's topics with eventkit's codec, then in one transaction
record the event ids in the dedupe table (`claim_fresh`) and apply the fresh events with
the view's projector. Only Kafka's fetch and the offset commit are left out (the
consumer's batch is the same list of records). The views run one after the other, so
each view's seconds are its own cost."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import asyncpg
from grassroots_eventkit.codec import ReceivedEvent, decode
from grassroots_eventkit.consumer import Projector, claim_fresh
from projections_service.views.registry import VIEWS, View

from grassroots_stack.capacity.timeline import Published


@dataclass
class ViewTally:
    """What one view took in, and how long it spent on it."""

    name: str
    events: int = 0  # records of its topics it was given
    applied: int = 0  # of them fresh (not seen before)
    seconds: float = 0.0
    batches: int = 0
    largest_batch: int = 0

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, float | int | str]:
        return {
            "view": self.name,
            "events": self.events,
            "applied": self.applied,
            "seconds": round(self.seconds, 2),
            "events_per_s": round(self.events_per_s, 1),
            "batches": self.batches,
            "mean_batch": round(self.events / self.batches, 1) if self.batches else 0,
            "largest_batch": self.largest_batch,
        }


@dataclass
class Feeder:
    """Applies records to every view in the database `pool` points at.

    `add` keeps each view's records until it has a consumer's batch of them: a view's
    consumer group reads only its own topics, so a catching-up consumer's polls are full
    batches of its own records. `apply` applies one batch at once (a poll of any size)."""

    pool: asyncpg.Pool
    views: Sequence[View] = VIEWS
    batch: int = 2000
    tallies: dict[str, ViewTally] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._projectors: list[tuple[View, Projector, frozenset[str]]] = [
            (v, p, frozenset(p.topics)) for v in self.views for p in (v.projector(),)
        ]
        self._pending: dict[str, list[Published]] = {v.name: [] for v in self.views}
        for v in self.views:
            self.tallies.setdefault(v.name, ViewTally(v.name))

    async def add(self, records: Sequence[Published]) -> None:
        for view, projector, topics in self._projectors:
            pending = self._pending[view.name]
            pending += [p for p in records if p.record.topic in topics]
            while len(pending) >= self.batch:
                await self._timed(view, projector, pending[: self.batch])
                del pending[: self.batch]

    async def flush(self) -> None:
        """Whatever the views still hold, as their last (smaller) batches."""
        for view, projector, _ in self._projectors:
            pending = self._pending[view.name]
            if pending:
                await self._timed(view, projector, pending)
                pending.clear()

    async def apply(self, batch: Sequence[Published]) -> None:
        for view, projector, topics in self._projectors:
            mine = [p for p in batch if p.record.topic in topics]
            if mine:
                await self._timed(view, projector, mine)

    async def _timed(self, view: View, projector: Projector, records: Sequence[Published]) -> None:
        started = time.perf_counter()
        applied = await self._apply(projector, records)
        self._count(view.name, len(records), applied, time.perf_counter() - started)

    async def _apply(self, projector: Projector, records: Sequence[Published]) -> int:
        events = [_received(p) for p in records]
        async with self.pool.acquire() as conn, conn.transaction():
            fresh = await claim_fresh(conn, projector.group, events)
            if fresh:
                await projector.apply(conn, fresh)
        return len(fresh)

    def _count(self, view: str, events: int, applied: int, seconds: float) -> None:
        t = self.tallies[view]
        t.events += events
        t.applied += applied
        t.seconds += seconds
        t.batches += 1
        t.largest_batch = max(t.largest_batch, events)

    async def reset(self) -> dict[str, ViewTally]:
        """Flushes, then hands over the tallies so far; counting starts again from zero."""
        await self.flush()
        done = self.tallies
        self.tallies = {v.name: ViewTally(v.name) for v in self.views}
        return done


def _received(p: Published) -> ReceivedEvent:
    r = p.record
    return decode(r.topic, p.partition, p.offset, r.value, r.headers)
