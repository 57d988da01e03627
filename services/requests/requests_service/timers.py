"""The durable deadline timer.

Pending deadlines live in `rq_timers` (kept by the read model from the service's own
events), so they survive any restart. Each tick claims the due rows with
`FOR UPDATE SKIP LOCKED` (two instances never take the same row), asks the aggregate
`MarkDeadline`, and deletes the row in the same transaction. The aggregate answers at
most once per deadline, so a crash between the command and the delete re-asks and
gets no second event: it never fires twice.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime

import asyncpg
import structlog
from grassroots_eventkit import failpoints
from grassroots_eventkit.consumer import INFRASTRUCTURE_ERRORS
from grassroots_eventkit.domain import CommandRejected

log = structlog.get_logger()

# (request id, deadline kind, due at) -> runs MarkDeadline
Fire = Callable[[str, str, datetime], Awaitable[None]]


class DeadlineTimer:
    name = "deadline-timer"

    def __init__(
        self, pool: asyncpg.Pool, fire: Fire, *, poll_s: float = 1.0, batch: int = 100
    ) -> None:
        self._pool = pool
        self._fire = fire
        self._poll_s = poll_s
        self._batch = batch
        self._stopping = asyncio.Event()
        self.fired = 0

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                done = await self.tick()
            except INFRASTRUCTURE_ERRORS as exc:
                log.warning("timer.tick_failed", error=repr(exc))
                done = 0
            if done < self._batch:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=self._poll_s)

    async def tick(self) -> int:
        """Fire every due deadline (up to one batch); return how many rows were handled."""
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "SELECT request_id, deadline, due_at FROM rq_timers WHERE due_at <= now()"
                " ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED",
                self._batch,
            )
            for row in rows:
                request_id, deadline, due_at = row["request_id"], row["deadline"], row["due_at"]
                try:
                    await self._fire(request_id, deadline, due_at)
                except CommandRejected as exc:
                    # Nothing to raise for it (say, the stream is gone); never retried forever.
                    log.warning(
                        "timer.refused", request_id=request_id, deadline=deadline, rule=exc.rule
                    )
                failpoints.hit("timer.after_fire")
                await conn.execute(
                    "DELETE FROM rq_timers WHERE request_id = $1 AND deadline = $2 AND due_at = $3",
                    request_id,
                    deadline,
                    due_at,
                )
                self.fired += 1
                log.info("timer.fired", request_id=request_id, deadline=deadline)
        return len(rows)
