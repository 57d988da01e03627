"""A schema of its own holding views' tables, filled by replay, unseen by live readers.

The views' statements name their tables without a schema; a replay runs them with
`SET LOCAL search_path TO <shadow>, public`, so the very code that keeps the live
tables fills the shadow ones, and a dedupe table inside the shadow keeps the replay's
"applied once" apart from the live consumer's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg
import structlog
from aiokafka.structs import ConsumerRecord
from grassroots_eventkit.codec import ReceivedEvent, UndecodableMessage, decode
from grassroots_eventkit.consumer import INFRASTRUCTURE_ERRORS, claim_fresh

from projections_service.views.registry import View

log = structlog.get_logger()

_SCHEMA = re.compile(r"^pj_[a-z0-9_]{1,55}$")
DEDUPE_TABLE = "ek_processed_events"


@dataclass(frozen=True, slots=True)
class Failure:
    """An event the view's code refused during the replay (the live consumer would have
    dead-lettered it too)."""

    view: str
    event_id: str
    event_type: str
    error: str


def decode_all(records: Sequence[ConsumerRecord]) -> tuple[list[ReceivedEvent], int]:
    """The decodable events of a batch, and how many were not (the live consumer
    dead-letters those; a replay skips them the same way)."""
    events: list[ReceivedEvent] = []
    bad = 0
    for r in records:
        try:
            events.append(decode(r.topic, r.partition, r.offset, r.value, r.headers))
        except UndecodableMessage:
            bad += 1
    return events, bad


class Shadow:
    def __init__(self, schema: str, views: Sequence[View], *, group_suffix: str = "") -> None:
        if not _SCHEMA.match(schema):
            raise ValueError(f"not a shadow schema name: {schema!r}")
        self.schema = schema
        self.views = tuple(views)
        self._projectors = [(v, v.projector()) for v in self.views]
        self._suffix = group_suffix
        self.applied = 0
        self.failures: list[Failure] = []

    @property
    def topics(self) -> list[str]:
        return sorted({t for _, p in self._projectors for t in p.topics})

    def group(self, view: View) -> str:
        """The live consumer group of `view`: the replay dedupes under the same name so
        its record can be handed to the live consumer when the shadow is swapped in."""
        return view.group + self._suffix

    async def create(self, conn: asyncpg.Connection) -> None:
        """A fresh, empty schema with the views' tables: a leftover of a crashed replay
        is dropped first."""
        async with conn.transaction():
            await conn.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
            await conn.execute(f'CREATE SCHEMA "{self.schema}"')
            await conn.execute(f'SET LOCAL search_path TO "{self.schema}"')
            for view in self.views:
                for migration in view.migrations:
                    await conn.execute(migration.sql)
            await conn.execute(
                f"CREATE TABLE {DEDUPE_TABLE} (consumer text NOT NULL, event_id uuid NOT NULL,"
                " PRIMARY KEY (consumer, event_id))"
            )

    async def drop(self, conn: asyncpg.Connection) -> None:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')

    async def tables(self, conn: asyncpg.Connection) -> list[str]:
        rows = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename <> $2"
            " ORDER BY tablename",
            self.schema,
            DEDUPE_TABLE,
        )
        return [r["tablename"] for r in rows]

    async def enter(self, conn: asyncpg.Connection) -> None:
        """Inside a transaction: unqualified names resolve to the shadow first."""
        await conn.execute(f'SET LOCAL search_path TO "{self.schema}", public')

    async def apply(self, conn: asyncpg.Connection, events: Sequence[ReceivedEvent]) -> None:
        """Inside a transaction that ran `enter`: each view takes the events of its topics
        not applied before; an event its code refuses is set aside, the rest go on."""
        for view, projector in self._projectors:
            mine = [e for e in events if e.topic in projector.topics]
            if not mine:
                continue
            fresh = await claim_fresh(conn, self.group(view), mine)
            if not fresh:
                continue
            try:
                async with conn.transaction():  # a savepoint: a refusal undoes only this
                    await projector.apply(conn, fresh)
            except INFRASTRUCTURE_ERRORS:
                raise
            except Exception:  # noqa: BLE001 - find the event that fails, below
                for event in fresh:
                    try:
                        async with conn.transaction():
                            await projector.apply(conn, [event])
                    except INFRASTRUCTURE_ERRORS:
                        raise
                    except Exception as exc:  # noqa: BLE001 - reported with the replay
                        self.failures.append(
                            Failure(view.name, str(event.event_id), event.event_type, repr(exc))
                        )
                        log.warning(
                            "replay.event_failed",
                            view=view.name,
                            event_id=str(event.event_id),
                            error=repr(exc),
                        )
            self.applied += len(fresh)
