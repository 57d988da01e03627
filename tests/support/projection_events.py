"""Public events as a projection's consumer receives them, applied to a view of its own.

`projected(stack, "requests")` gives a fresh database with that view's migrations and a
`Feed` that builds `ReceivedEvent`s from contract models (each model's `example` filled in
with the fields a test names) and applies them with the view's projector inside a
transaction, as the idempotent consumer does (the dedupe is left out on purpose: a test
of a replay applies the same events again).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg
from grassroots_contracts.events import PublicEvent
from grassroots_eventkit.codec import ReceivedEvent, ReceivedMeta
from grassroots_eventkit.consumer import Projector
from grassroots_eventkit.migrations import Migration
from projections_service.views.registry import VIEWS, view

from tests.support.databases import fresh_database
from tests.support.stack import Stack


def received(
    event: PublicEvent,
    *,
    time: datetime,
    stream_version: int,
    community_id: str,
    offset: int = 0,
) -> ReceivedEvent:
    """The decoded record: the payload as JSON would bring it, the metadata as headers."""
    service = event.event_type.split(".")[1]
    meta = ReceivedMeta(
        event_id=uuid.uuid4(),
        event_type=event.event_type,
        source=f"grassroots/{service}",
        time=time,
        subject=community_id,
        community_id=community_id,
        stream_version=stream_version,
    )
    return ReceivedEvent(
        meta=meta,
        payload=event.model_dump(mode="json"),
        topic=event.topic,
        partition=0,
        offset=offset,
    )


@dataclass
class Feed:
    """Makes a view's events in order (offsets, stream versions) and applies them."""

    pool: asyncpg.Pool
    projector: Projector
    offset: int = 0
    versions: dict[str, int] = field(default_factory=dict)

    def event(
        self,
        model: type[PublicEvent],
        *,
        at: datetime,
        version: int | None = None,
        key: str | None = None,
        **fields: Any,
    ) -> ReceivedEvent:
        """`model`'s example with `fields` replaced, recorded at `at`. The Kafka key (the
        envelope's community) is the payload's community unless `key` names another; the
        stream version counts up per key unless `version` is given."""
        payload = model.model_validate({**model.example, **fields})
        community = key or str(getattr(payload, "community_id", ""))
        stream_version = version or self.versions.get(community, 0) + 1
        self.versions[community] = max(stream_version, self.versions.get(community, 0))
        self.offset += 1
        return received(
            payload,
            time=at,
            stream_version=stream_version,
            community_id=community,
            offset=self.offset,
        )

    async def apply(self, events: Sequence[ReceivedEvent]) -> None:
        """One batch: one transaction, one `apply` call."""
        async with self.pool.acquire() as conn, conn.transaction():
            await self.projector.apply(conn, events)

    async def apply_one_by_one(self, events: Sequence[ReceivedEvent]) -> None:
        for event in events:
            await self.apply([event])

    async def apply_in(self, events: Sequence[ReceivedEvent], batch: int) -> None:
        """Batches of `batch` events, as a consumer poll would cut them."""
        for start in range(0, len(events), batch):
            await self.apply(events[start : start + batch])


@asynccontextmanager
async def projected(
    stack: Stack, name: str, *, extra: tuple[Migration, ...] = ()
) -> AsyncIterator[Feed]:
    """A fresh database with the registered view `name`'s tables, and its projector."""
    registered = view(name)
    async with fresh_database(stack, extra=(*registered.migrations, *extra)) as (_dsn, pool):
        yield Feed(pool, registered.projector())


@asynccontextmanager
async def every_view(stack: Stack) -> AsyncIterator[dict[str, Feed]]:
    """One fresh database with every registered view's tables; a feed per view by name."""
    migrations = tuple(m for v in VIEWS for m in v.migrations)
    async with fresh_database(stack, extra=migrations) as (_dsn, pool):
        yield {v.name: Feed(pool, v.projector()) for v in VIEWS}
