"""Table-driven read models: each public event type maps to the SQL statements it causes.

A read model declared this way is data, reviewable at a glance, and applied in order
inside the idempotent consumer's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
from grassroots_contracts.events import PublicEvent

from grassroots_eventkit.codec import ReceivedEvent


@dataclass(frozen=True, slots=True)
class Write:
    """One statement an event causes, and how to take its arguments from the event.

    With `with_meta`, `args` also gets the envelope (`ReceivedMeta`): a rule that must not
    depend on the order events of different partitions arrive in (a replay reads
    partitions side by side) keeps the stream version and applies only newer changes."""

    sql: str
    args: Callable[..., tuple[Any, ...]]
    with_meta: bool = False

    def arguments(self, parsed: Any, event: ReceivedEvent) -> tuple[Any, ...]:
        return self.args(parsed, event.meta) if self.with_meta else self.args(parsed)


# event type -> (its public model, the statements it causes, in order)
Rules = dict[str, tuple[type[PublicEvent], tuple[Write, ...]]]


def rules(*entries: tuple[type[PublicEvent], Write | tuple[Write, ...]]) -> Rules:
    return {
        model.event_type: (model, writes if isinstance(writes, tuple) else (writes,))
        for model, writes in entries
    }


class TableProjector:
    """Applies `rules` event by event, in order; event types without a rule are ignored."""

    def __init__(self, group: str, topics: Sequence[str], *tables: Rules) -> None:
        self.group = group
        self.topics: Sequence[str] = tuple(topics)
        self._rules: Rules = {}
        for table in tables:
            self._rules.update(table)

    async def apply(self, conn: asyncpg.Connection, events: Sequence[ReceivedEvent]) -> None:
        """In order; a run of the same statement goes as one pipelined `executemany`
        (one round trip instead of one per event: a replay is mostly such runs)."""
        run_sql: str | None = None
        run_args: list[tuple[Any, ...]] = []
        for event in events:
            rule = self._rules.get(event.event_type)
            if rule is None:
                continue
            model, writes = rule
            parsed = event.parse(model)
            for write in writes:
                if write.sql != run_sql:
                    await _flush(conn, run_sql, run_args)
                    run_sql, run_args = write.sql, []
                run_args.append(write.arguments(parsed, event))
        await _flush(conn, run_sql, run_args)


async def _flush(conn: asyncpg.Connection, sql: str | None, args: list[tuple[Any, ...]]) -> None:
    if sql is None or not args:
        return
    if len(args) == 1:
        await conn.execute(sql, *args[0])
    else:
        await conn.executemany(sql, args)
