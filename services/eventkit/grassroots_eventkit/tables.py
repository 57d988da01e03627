"""Table-driven read models: each public event type maps to the SQL statements it causes.

A read model declared this way is data, reviewable at a glance, and applied inside the
idempotent consumer's transaction: every row sees its statements in event order, and a
batch runs each statement once for many rows where the statements say which rows they
touch (`Write.rows`; see `schedule`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
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
    # The number of leading arguments that name every row the statement reads or writes
    # (e.g. 2: community_id, request_id). Statements naming different rows commute, so
    # `TableProjector` may run them out of event order, grouped by statement. 0: the
    # statement may touch any row (a whole compound's buildings, say) and is a barrier.
    rows: int = 0

    def arguments(self, parsed: Any, event: ReceivedEvent) -> tuple[Any, ...]:
        return self.args(parsed, event.meta) if self.with_meta else self.args(parsed)


# event type -> (its public model, the statements it causes, in order)
Rules = dict[str, tuple[type[PublicEvent], tuple[Write, ...]]]


def rules(*entries: tuple[type[PublicEvent], Write | tuple[Write, ...]]) -> Rules:
    return {
        model.event_type: (model, writes if isinstance(writes, tuple) else (writes,))
        for model, writes in entries
    }


def keyed(rows: int, table: Rules) -> Rules:
    """`table` with every statement naming its rows by its first `rows` arguments (see
    `Write.rows`): for a view whose every statement touches only the rows it names."""
    return {
        event_type: (model, tuple(replace(w, rows=rows) for w in writes))
        for event_type, (model, writes) in table.items()
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
        """Each statement as one pipelined `executemany` per step of `schedule` (one round
        trip instead of one per event: a replay is mostly such groups)."""
        steps: list[tuple[Write, tuple[Any, ...]]] = []
        for event in events:
            rule = self._rules.get(event.event_type)
            if rule is None:
                continue
            model, writes = rule
            parsed = event.parse(model)
            steps += [(write, write.arguments(parsed, event)) for write in writes]
        for sql, args in schedule(steps):
            if len(args) == 1:
                await conn.execute(sql, *args[0])
            else:
                await conn.executemany(sql, args)


def schedule(steps: Sequence[tuple[Write, tuple[Any, ...]]]) -> list[tuple[str, list[Any]]]:
    """The statements of a batch, in the order to run them, each with its arguments.

    A statement naming its rows (`Write.rows`) goes to the first layer after the last
    one that touched the same rows; one that may touch any row starts a layer of its own
    that nothing before it or after it crosses. Layers run in order, and inside a layer
    each statement runs once for all its rows: every row still sees its statements in
    event order, and a batch of interleaved requests costs a few round trips per layer
    instead of one per event. Consecutive runs of one unkeyed statement stay one group."""
    layers: list[dict[str, list[Any]]] = []
    last: dict[tuple[Any, ...], int] = {}
    floor = 0  # keyed statements go at or after this layer (past the last barrier)
    barrier_sql: str | None = None  # the open barrier layer's statement, if it is the last
    for write, args in steps:
        if write.rows:
            key = args[: write.rows]
            at = max(floor, last.get(key, -1) + 1)
            last[key] = at
            barrier_sql = None
        elif barrier_sql == write.sql:
            at = len(layers) - 1
        else:
            at, barrier_sql = len(layers), write.sql
            floor = at + 1
        while len(layers) <= at:
            layers.append({})
        layers[at].setdefault(write.sql, []).append(args)
    return [(sql, args) for layer in layers for sql, args in layer.items()]
