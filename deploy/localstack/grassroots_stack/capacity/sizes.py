"""What the read models weigh: rows, heap and index bytes per table, grouped by view, and
the consumers' dedupe table per consumer group."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg
from projections_service.views.registry import VIEWS, View

DEDUPE = "ek_processed_events"
_CREATE = re.compile(r"CREATE TABLE (\w+)", re.IGNORECASE)


def tables_of(view: View) -> list[str]:
    """The tables a view's migrations create."""
    return [t for m in view.migrations for t in _CREATE.findall(m.sql)]


@dataclass(frozen=True, slots=True)
class TableSize:
    table: str
    rows: int
    heap_bytes: int
    index_bytes: int

    @property
    def total_bytes(self) -> int:
        return self.heap_bytes + self.index_bytes

    def as_dict(self) -> dict[str, int | str]:
        return {
            "table": self.table,
            "rows": self.rows,
            "heap_bytes": self.heap_bytes,
            "index_bytes": self.index_bytes,
            "total_bytes": self.total_bytes,
        }


async def table_size(conn: asyncpg.Connection, table: str) -> TableSize:
    """Exact row counts (the figures are per row); sizes after a VACUUM ANALYZE, so the
    free space map and the visibility map are in, as on a settled database."""
    row = await conn.fetchrow(
        "SELECT (SELECT count(*) FROM " + table + ") AS n,"
        " pg_table_size($1::regclass) AS heap, pg_indexes_size($1::regclass) AS idx",
        table,
    )
    assert row is not None
    return TableSize(table, int(row["n"]), int(row["heap"]), int(row["idx"]))


async def view_sizes(
    pool: asyncpg.Pool, views: Sequence[View] = VIEWS
) -> dict[str, list[TableSize]]:
    async with pool.acquire() as conn:
        await conn.execute("VACUUM ANALYZE")
        out: dict[str, list[TableSize]] = {}
        for view in views:
            out[view.name] = [await table_size(conn, t) for t in tables_of(view)]
        out[DEDUPE] = [await table_size(conn, DEDUPE)]
    return out


async def dedupe_rows(pool: asyncpg.Pool) -> dict[str, int]:
    """Rows of the dedupe table per consumer group: one per event the group applied."""
    rows = await pool.fetch(f"SELECT consumer, count(*) AS n FROM {DEDUPE} GROUP BY 1")
    return {r["consumer"]: int(r["n"]) for r in rows}


async def database_bytes(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("SELECT pg_database_size(current_database())"))
