"""Reading the request read model: a community's requests, the overdue list, a member's queue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

COLUMNS = (
    "community_id, request_id, category, channel, compound_id, building_id, status, level,"
    " department, responsible_ids, holder, submitted_at, respond_by, resolve_by, responded_at,"
    " resolved_at, closed_at, outcome, response_missed, resolution_missed, escalations,"
    " reopenings, supporters, updated_at"
)
OPEN = ("open", "claimed", "resolved")


async def community_requests(
    conn: asyncpg.Pool | asyncpg.Connection,
    community_id: str,
    *,
    statuses: list[str] | None,
    category: str | None,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"SELECT {COLUMNS} FROM rq_requests WHERE community_id = $1"
        " AND ($2::text[] IS NULL OR status = ANY($2::text[]))"
        " AND ($3::text IS NULL OR category = $3)"
        " ORDER BY submitted_at DESC, request_id LIMIT $4 OFFSET $5",
        community_id,
        statuses,
        category,
        limit,
        offset,
    )
    return [dict(r) for r in rows]


async def status_counts(
    conn: asyncpg.Pool | asyncpg.Connection, community_id: str
) -> dict[str, int]:
    rows = await conn.fetch(
        "SELECT status, count(*) AS n FROM rq_requests WHERE community_id = $1 GROUP BY status",
        community_id,
    )
    return {r["status"]: r["n"] for r in rows}


async def overdue(
    conn: asyncpg.Pool | asyncpg.Connection, community_id: str, now: datetime, limit: int
) -> list[dict[str, Any]]:
    """Open requests past a deadline: not answered by respond_by, or not resolved by
    resolve_by; most overdue first."""
    rows = await conn.fetch(
        f"SELECT {COLUMNS} FROM rq_requests WHERE community_id = $1"
        " AND status IN ('open', 'claimed')"
        " AND ((responded_at IS NULL AND respond_by < $2) OR resolve_by < $2)"
        " ORDER BY LEAST(CASE WHEN responded_at IS NULL THEN respond_by END, resolve_by)"
        " LIMIT $3",
        community_id,
        now,
        limit,
    )
    return [dict(r) for r in rows]


async def member_queue(
    conn: asyncpg.Pool | asyncpg.Connection, member_id: str, limit: int
) -> list[dict[str, Any]]:
    """What a member holds, then what they may claim, oldest deadline first."""
    rows = await conn.fetch(
        f"SELECT {COLUMNS} FROM rq_requests"
        " WHERE (holder = $1 AND status IN ('claimed', 'resolved'))"
        " OR (status = 'open' AND level <> 'department' AND responsible_ids @> ARRAY[$1])"
        " ORDER BY (holder = $1) DESC, resolve_by LIMIT $2",
        member_id,
        limit,
    )
    return [dict(r) for r in rows]


async def whistle_counts(
    conn: asyncpg.Pool | asyncpg.Connection, community_id: str
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT to_level, department, whistle, automatic, count(*) AS n FROM rq_whistles"
        " WHERE community_id = $1 GROUP BY 1, 2, 3, 4 ORDER BY n DESC",
        community_id,
    )
    return [dict(r) for r in rows]
