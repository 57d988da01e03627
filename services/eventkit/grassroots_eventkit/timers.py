"""The durable timer: due times kept as rows, fired at most once per due time.

A service's read model keeps one row per pending due time in a table of its own
(`TimerTable`: which aggregate, which kind of deadline, when). Each tick claims the
due rows with `FOR UPDATE SKIP LOCKED` (two instances never take the same row), asks
the aggregate through `fire` (a command), and deletes the row in the same transaction.
The aggregate decides whether anything happens, and answers at most once per due
time: a crash between the command and the delete asks again and gets no second event.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

import asyncpg
import structlog

from grassroots_eventkit import failpoints
from grassroots_eventkit.consumer import INFRASTRUCTURE_ERRORS
from grassroots_eventkit.domain import CommandRejected

log = structlog.get_logger()

# (aggregate id, kind of due time, due at) -> runs the aggregate's command
Fire = Callable[[str, str, datetime], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class TimerTable:
    """Where a service keeps its pending due times: `table (id_column, kind_column, due_at)`."""

    table: str
    id_column: str
    kind_column: str


class DurableTimer:
    def __init__(
        self,
        pool: asyncpg.Pool,
        table: TimerTable,
        fire: Fire,
        *,
        name: str = "timer",
        poll_s: float = 1.0,
        batch: int = 100,
    ) -> None:
        self.name = name
        self._pool = pool
        self._fire = fire
        self._poll_s = poll_s
        self._batch = batch
        self._stopping = asyncio.Event()
        t = table
        self._claim = (
            f"SELECT {t.id_column} AS id, {t.kind_column} AS kind, due_at FROM {t.table}"
            " WHERE due_at <= now() ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED"
        )
        self._forget = (
            f"DELETE FROM {t.table} WHERE {t.id_column} = $1 AND {t.kind_column} = $2"
            " AND due_at = $3"
        )
        self.fired = 0

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                done = await self.tick()
            except INFRASTRUCTURE_ERRORS as exc:
                log.warning("timer.tick_failed", timer=self.name, error=repr(exc))
                done = 0
            if done < self._batch:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=self._poll_s)

    async def tick(self) -> int:
        """Fire every due row (up to one batch); return how many rows were handled."""
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(self._claim, self._batch)
            for row in rows:
                stream_id, kind, due_at = row["id"], row["kind"], row["due_at"]
                try:
                    await self._fire(stream_id, kind, due_at)
                except CommandRejected as exc:
                    # Nothing to raise for it (say, the stream is gone); never retried forever.
                    log.warning(
                        "timer.refused", timer=self.name, id=stream_id, kind=kind, rule=exc.rule
                    )
                failpoints.hit("timer.after_fire")
                await conn.execute(self._forget, stream_id, kind, due_at)
                self.fired += 1
                log.info("timer.fired", timer=self.name, id=stream_id, kind=kind)
        return len(rows)
