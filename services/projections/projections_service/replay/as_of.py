"""The county as it stood at a past moment: every view replayed up to that time.

A snapshot is every view's tables in a schema of its own (`pj_asof_<id>`), filled by
replaying the public topics from offset 0 and keeping the events recorded at or before
`as_of`. One snapshot serves every community's picture at that moment. Snapshots are
built on request, one at a time per process, and kept (the newest `keep`) because the
past does not change. Several instances share the work through `pj_snapshots`: one
claims a build, the others see its progress; a build whose heartbeat stops is taken
over.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import structlog
from grassroots_eventkit.consumer import INFRASTRUCTURE_ERRORS
from grassroots_eventkit.kafka import PLAINTEXT
from grassroots_eventkit.migrations import Migration
from grassroots_eventkit.settings import KafkaSecurity

from projections_service.replay.reader import TopicReader
from projections_service.replay.shadow import Shadow, decode_all
from projections_service.views.registry import VIEWS

log = structlog.get_logger()

MIGRATION = Migration(
    name="projections.0007_snapshots",
    sql="""
CREATE TABLE pj_snapshots (
    snapshot_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    as_of        timestamptz NOT NULL UNIQUE,
    status       text NOT NULL CHECK (status IN ('building', 'ready', 'failed')),
    events_read  bigint NOT NULL DEFAULT 0,
    events_total bigint NOT NULL DEFAULT 0,
    started_at   timestamptz NOT NULL DEFAULT now(),
    heartbeat_at timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    error        text
);
""",
)

STALE_AFTER = timedelta(seconds=30)
_HEARTBEAT_S = 5.0


@dataclass(frozen=True, slots=True)
class Snapshot:
    snapshot_id: int
    as_of: datetime
    status: str
    events_read: int
    events_total: int
    started_at: datetime
    heartbeat_at: datetime
    finished_at: datetime | None
    error: str | None

    @property
    def schema(self) -> str:
        return f"pj_asof_{self.snapshot_id}"

    @property
    def events_per_s(self) -> float | None:
        seconds = ((self.finished_at or self.heartbeat_at) - self.started_at).total_seconds()
        return round(self.events_read / seconds, 1) if seconds > 0 and self.events_read else None

    @property
    def eta_s(self) -> float | None:
        rate = self.events_per_s
        if self.status != "building" or not rate or not self.events_total:
            return None
        return round(max(0, self.events_total - self.events_read) / rate, 1)


class SnapshotsBusy(RuntimeError):
    """This process is replaying another moment."""


class SnapshotGone(LookupError):
    """The snapshot was pruned between finding it and reading it."""


_COLUMNS = (
    "snapshot_id, as_of, status, events_read, events_total, started_at, heartbeat_at,"
    " finished_at, error"
)


class Snapshots:
    def __init__(
        self,
        pool: asyncpg.Pool,
        bootstrap: str,
        *,
        security: KafkaSecurity = PLAINTEXT,
        keep: int = 12,
    ) -> None:
        self._pool = pool
        self._bootstrap = bootstrap
        self._security = security
        self._keep = keep
        self._one_at_a_time = asyncio.Semaphore(1)
        self._tasks: set[asyncio.Task[None]] = set()

    async def request(self, as_of: datetime) -> Snapshot:
        """The snapshot at `as_of`: ready, or being built (this call starts the build if
        nobody is building it). Raises `SnapshotsBusy` rather than queue a second build in
        this process: a replay reads every topic, and asks for many moments must not pile
        up behind each other."""
        found = await self._pool.fetchrow(
            f"SELECT {_COLUMNS} FROM pj_snapshots WHERE as_of = $1", as_of
        )
        if found is not None:
            known = Snapshot(**dict(found))
            if known.status == "ready" or (
                known.status == "building" and known.heartbeat_at >= datetime.now(UTC) - STALE_AFTER
            ):
                return known
        if self._tasks:
            raise SnapshotsBusy("another past picture is being replayed here; ask again soon")
        row = await self._pool.fetchrow(
            f"""
            INSERT INTO pj_snapshots (as_of, status) VALUES ($1, 'building')
            ON CONFLICT (as_of) DO UPDATE
               SET status = 'building', events_read = 0, events_total = 0,
                   started_at = now(), heartbeat_at = now(), finished_at = NULL, error = NULL
             WHERE pj_snapshots.status <> 'ready' AND pj_snapshots.heartbeat_at < $2
            RETURNING {_COLUMNS}
            """,
            as_of,
            datetime.now(UTC) - STALE_AFTER,
        )
        if row is not None:
            snapshot = Snapshot(**dict(row))
            task = asyncio.create_task(self._build(snapshot), name=f"as-of:{snapshot.as_of}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return snapshot
        found = await self._pool.fetchrow(
            f"SELECT {_COLUMNS} FROM pj_snapshots WHERE as_of = $1", as_of
        )
        assert found is not None
        return Snapshot(**dict(found))

    @contextlib.asynccontextmanager
    async def reading(self, snapshot: Snapshot) -> AsyncIterator[asyncpg.Connection]:
        """A connection whose unqualified table names are the snapshot's. The row lock
        keeps `_prune` from dropping the schema under the reader: a schema gone from the
        search path would silently show the live tables instead."""
        async with self._pool.acquire() as conn, conn.transaction():
            held = await conn.fetchval(
                "SELECT true FROM pj_snapshots WHERE snapshot_id = $1 AND status = 'ready'"
                " FOR SHARE",
                snapshot.snapshot_id,
            )
            if not held:
                raise SnapshotGone(f"snapshot {snapshot.snapshot_id} was pruned; ask again")
            await conn.execute(f'SET LOCAL search_path TO "{snapshot.schema}", public')
            yield conn

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _build(self, snapshot: Snapshot) -> None:
        shadow = Shadow(snapshot.schema, VIEWS)
        heartbeat = asyncio.create_task(self._beat(snapshot.snapshot_id))
        try:
            async with self._one_at_a_time:
                await self._replay(snapshot, shadow)
            await self._pool.execute(
                "UPDATE pj_snapshots SET status = 'ready', finished_at = now(),"
                " heartbeat_at = now() WHERE snapshot_id = $1",
                snapshot.snapshot_id,
            )
            log.info(
                "projections.snapshot_ready",
                as_of=snapshot.as_of.isoformat(),
                events=shadow.applied,
                refused=len(shadow.failures),
            )
            await self._prune()
        except asyncio.CancelledError:
            raise  # the process stops; another instance takes over once the beat stops
        except Exception as exc:  # noqa: BLE001 - recorded on the row, retried on request
            log.error(
                "projections.snapshot_failed", as_of=snapshot.as_of.isoformat(), error=repr(exc)
            )
            with contextlib.suppress(*INFRASTRUCTURE_ERRORS, asyncpg.PostgresError):
                async with self._pool.acquire() as conn:
                    await shadow.drop(conn)
                    await conn.execute(
                        "UPDATE pj_snapshots SET status = 'failed', error = $2,"
                        " heartbeat_at = now() - $3::interval WHERE snapshot_id = $1",
                        snapshot.snapshot_id,
                        repr(exc)[:2000],
                        STALE_AFTER,
                    )
        finally:
            heartbeat.cancel()

    async def _replay(self, snapshot: Snapshot, shadow: Shadow) -> None:
        reader = TopicReader(
            self._bootstrap, shadow.topics, client_id="projections-as-of", security=self._security
        )
        async with self._pool.acquire() as conn:
            await shadow.create(conn)
            await reader.open()
            try:
                async for records in reader.batches():
                    events, _ = decode_all(records)
                    past = [e for e in events if e.meta.time <= snapshot.as_of]
                    if past:
                        async with conn.transaction():
                            await shadow.enter(conn)
                            await shadow.apply(conn, past)
                    await conn.execute(
                        "UPDATE pj_snapshots SET events_read = $2, events_total = $3,"
                        " heartbeat_at = now() WHERE snapshot_id = $1",
                        snapshot.snapshot_id,
                        reader.read,
                        reader.total,
                    )
            finally:
                await reader.close()

    async def _beat(self, snapshot_id: int) -> None:
        """Keeps the claim alive while the build waits its turn or runs."""
        while True:
            await asyncio.sleep(_HEARTBEAT_S)
            with contextlib.suppress(*INFRASTRUCTURE_ERRORS, asyncpg.PostgresError):
                await self._pool.execute(
                    "UPDATE pj_snapshots SET heartbeat_at = now()"
                    " WHERE snapshot_id = $1 AND status = 'building'",
                    snapshot_id,
                )

    async def _prune(self) -> None:
        """Keep the newest `keep` ready snapshots; drop the rest with their schemas."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT snapshot_id FROM pj_snapshots WHERE status = 'ready'"
                " ORDER BY finished_at DESC OFFSET $1",
                self._keep,
            )
            for r in rows:
                async with conn.transaction():
                    # The row first: it waits for readers holding it (see `reading`).
                    await conn.execute(
                        "DELETE FROM pj_snapshots WHERE snapshot_id = $1", r["snapshot_id"]
                    )
                    schema = f"pj_asof_{r['snapshot_id']}"
                    await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
