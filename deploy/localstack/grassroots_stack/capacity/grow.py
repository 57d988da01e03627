"""Bigger tables without replaying more: copies of the simulated county's read-model rows
under new community ids (and a county name of their own), so the dashboard's queries can
be timed again on tables several county-years big.

Only the tables the dashboard reads are copied (not the dedupe table). Ids other than the
community stay as they are: every read model's key starts with the community, so copies
never collide; member ids, unique across communities, get a suffix."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
from projections_service.views.registry import VIEWS

from grassroots_stack.capacity.sizes import tables_of

_NEW_ID = "md5({col} || ':{k}')::uuid::text"
_SPECIAL = {
    ("pj_communities", "county"): "county || '·{k}'",
    ("pj_org_members", "member_id"): "member_id || '·{k}'",
    ("pj_org_members", "contact_community_id"): _NEW_ID.format(col="contact_community_id", k="{k}"),
    ("pj_org_reports", "member_id"): "member_id || '·{k}'",
}


async def _columns(conn: asyncpg.Connection, table: str) -> list[str]:
    rows = await conn.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_name = $1"
        " AND table_schema = 'public' ORDER BY ordinal_position",
        table,
    )
    return [r["column_name"] for r in rows]


def _select(table: str, columns: Sequence[str], k: int) -> str:
    def expression(col: str) -> str:
        if (table, col) in _SPECIAL:
            return _SPECIAL[(table, col)].format(k=k)
        return _NEW_ID.format(col=col, k=k) if col == "community_id" else col

    cols = ", ".join(columns)
    picked = ", ".join(expression(c) for c in columns)
    return (
        f"INSERT INTO {table} ({cols}) SELECT {picked} FROM {table}"
        " WHERE community_id = ANY($1::text[])"
    )


async def grow(pool: asyncpg.Pool, community_ids: Sequence[str], copies: int) -> int:
    """Adds `copies` copies of `community_ids`' rows to every view's tables; the rows added."""
    added = 0
    async with pool.acquire() as conn:
        for view in VIEWS:
            for table in tables_of(view):
                columns = await _columns(conn, table)
                for k in range(1, copies + 1):
                    status = await conn.execute(_select(table, columns, k), list(community_ids))
                    added += int(status.split()[-1])
        await conn.execute("VACUUM ANALYZE")
    return added
