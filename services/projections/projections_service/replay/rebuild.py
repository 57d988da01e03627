"""Rebuilding a view from offset 0 beside the live one, then swapping it in whole.

1. replay the view's topics into a shadow schema while the live tables keep serving
   and the live consumer keeps applying new events;
2. in one transaction: lock the live tables against writes (readers go on), read what
   arrived since, hand the replay's dedupe record to the live consumer (so it skips what
   the new tables already hold), and move the shadow tables into place.
A reader sees the old tables or the new ones, never a half-built view; a crash before
the swap leaves the live view untouched (the next rebuild drops the leftover shadow).
See docs/adr/0012-projection-rebuilds.md.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import asyncpg
import structlog
from aiokafka.structs import ConsumerRecord
from grassroots_eventkit.consumer import INFRASTRUCTURE_ERRORS
from grassroots_eventkit.kafka import PLAINTEXT
from grassroots_eventkit.settings import KafkaSecurity

from projections_service.replay.reader import TopicReader
from projections_service.replay.shadow import DEDUPE_TABLE, Failure, Shadow, decode_all
from projections_service.views.registry import View

log = structlog.get_logger()

_LOCK_CLASS = 0x706A  # "pj": advisory locks of projection rebuilds
_SWAP_ATTEMPTS = 5

Phase = Literal["replaying", "swapping", "done"]


@dataclass(frozen=True, slots=True)
class Progress:
    view: str
    phase: Phase
    read: int
    total: int


@dataclass(slots=True)
class RebuildReport:
    view: str
    events_read: int = 0
    events_applied: int = 0
    undecodable: int = 0
    seconds: float = 0.0
    swap_ms: float = 0.0
    swap_attempts: int = 0
    tables: list[str] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)

    @property
    def events_per_s(self) -> float:
        return self.events_read / self.seconds if self.seconds else 0.0


async def dead_lettered_live(pool: asyncpg.Pool, group: str, failures: list[Failure]) -> set[str]:
    """The refused events the live consumer (`group`) dead-lettered too: poison on the
    topic, refused alike by both, not a difference between the rebuilt and the live view."""
    if not failures:
        return set()
    rows = await pool.fetch(
        "SELECT event_id::text AS event_id FROM ek_dead_letters"
        " WHERE consumer = $1 AND event_id = ANY($2::uuid[])",
        group,
        [f.event_id for f in failures],
    )
    return {r["event_id"] for r in rows}


class RebuildBusy(RuntimeError):
    """Another rebuild of the same view is running."""


async def rebuild(
    pool: asyncpg.Pool,
    bootstrap: str,
    view: View,
    *,
    group_suffix: str = "",
    security: KafkaSecurity = PLAINTEXT,
    on_progress: Callable[[Progress], None] = lambda _p: None,
) -> RebuildReport:
    started = time.perf_counter()
    shadow = Shadow(f"pj_rebuild_{view.name}", [view], group_suffix=group_suffix)
    report = RebuildReport(view=view.name)
    async with pool.acquire() as conn:
        if not await conn.fetchval(
            "SELECT pg_try_advisory_lock($1, hashtext($2))", _LOCK_CLASS, view.name
        ):
            raise RebuildBusy(f"a rebuild of {view.name} is already running")
        reader = TopicReader(
            bootstrap,
            shadow.topics,
            client_id=f"projections-rebuild-{view.name}",
            security=security,
        )
        try:
            await shadow.create(conn)
            await reader.open()
            async for records in reader.batches():
                events, bad = decode_all(records)
                report.undecodable += bad
                async with conn.transaction():
                    await shadow.enter(conn)
                    await shadow.apply(conn, events)
                on_progress(Progress(view.name, "replaying", reader.read, reader.total))
            on_progress(Progress(view.name, "swapping", reader.read, reader.total))
            report.swap_ms, report.tables, bad = await _swap(conn, shadow, reader, report)
            report.undecodable += bad
        except BaseException:
            with contextlib.suppress(*INFRASTRUCTURE_ERRORS, asyncpg.PostgresError):
                await shadow.drop(conn)
            raise
        finally:
            await reader.close()
            with contextlib.suppress(*INFRASTRUCTURE_ERRORS, asyncpg.PostgresError):
                await conn.execute(
                    "SELECT pg_advisory_unlock($1, hashtext($2))", _LOCK_CLASS, view.name
                )
    report.events_read = reader.read
    report.events_applied = shadow.applied
    report.failures = list(shadow.failures)
    report.seconds = time.perf_counter() - started
    on_progress(Progress(view.name, "done", reader.read, reader.total))
    log.info(
        "projections.rebuilt",
        view=view.name,
        events=report.events_read,
        seconds=round(report.seconds, 2),
        swap_ms=round(report.swap_ms, 1),
        swap_attempts=report.swap_attempts,
        failures=len(report.failures),
    )
    return report


async def _swap(
    conn: asyncpg.Connection, shadow: Shadow, reader: TopicReader, report: RebuildReport
) -> tuple[float, list[str], int]:
    """Catch up and swap in one transaction; retried when a lock is not had in time
    (lock_timeout) or PostgreSQL breaks a deadlock by aborting the swap."""
    pending: list[ConsumerRecord] = []
    for attempt in range(1, _SWAP_ATTEMPTS + 1):
        report.swap_attempts = attempt
        applied, failures = shadow.applied, len(shadow.failures)
        try:
            began = time.perf_counter()
            async with conn.transaction():
                tables = await _swap_once(conn, shadow, reader, pending)
            swap_ms = (time.perf_counter() - began) * 1000
            _, bad = decode_all(pending)
            return swap_ms, tables, bad
        except (asyncpg.DeadlockDetectedError, asyncpg.LockNotAvailableError) as exc:
            # Rolled back: the catch-up is applied again from `pending` next time.
            shadow.applied = applied
            del shadow.failures[failures:]
            log.warning(
                "projections.swap_retry", view=shadow.schema, attempt=attempt, error=repr(exc)
            )
    raise RuntimeError(f"could not swap {shadow.schema} in {_SWAP_ATTEMPTS} attempts")


async def _swap_once(
    conn: asyncpg.Connection,
    shadow: Shadow,
    reader: TopicReader,
    pending: list[ConsumerRecord],
) -> list[str]:
    await conn.execute("SET LOCAL lock_timeout = '10s'")
    # The live consumer claims events in the dedupe table, then writes the view's tables;
    # the swap takes its locks in that order too, or each waits on the other. This mode
    # lets batches in flight finish and holds new ones (of every view: the table is
    # shared) until the commit, which is the swap's few milliseconds to a second.
    await conn.execute(f"LOCK TABLE public.{DEDUPE_TABLE} IN SHARE ROW EXCLUSIVE MODE")
    tables = await shadow.tables(conn)
    live = [
        r["tablename"]
        for r in await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            " AND tablename = ANY($1::text[])",
            tables,
        )
    ]
    if live:
        # Writers wait from here to the commit; readers go on reading the old tables.
        await conn.execute(f"LOCK TABLE {', '.join(f'public.{t}' for t in live)} IN EXCLUSIVE MODE")
    await reader.extend()
    async for records in reader.batches():
        pending.extend(records)
    events, _ = decode_all(pending)
    await shadow.enter(conn)
    await shadow.apply(conn, events)
    for view in shadow.views:
        await conn.execute(
            f"INSERT INTO public.{DEDUPE_TABLE} (consumer, event_id)"
            f' SELECT s.consumer, s.event_id FROM "{shadow.schema}".{DEDUPE_TABLE} s'
            " WHERE s.consumer = $1 ON CONFLICT DO NOTHING",
            shadow.group(view),
        )
    retired = f"{shadow.schema}_retired"
    await conn.execute(f'DROP SCHEMA IF EXISTS "{retired}" CASCADE')
    await conn.execute(f'CREATE SCHEMA "{retired}"')
    for table in live:
        await conn.execute(f'ALTER TABLE public.{table} SET SCHEMA "{retired}"')
    for table in tables:
        await conn.execute(f'ALTER TABLE "{shadow.schema}".{table} SET SCHEMA public')
    await conn.execute(f'DROP SCHEMA "{retired}" CASCADE')
    await conn.execute(f'DROP SCHEMA "{shadow.schema}" CASCADE')
    return tables
