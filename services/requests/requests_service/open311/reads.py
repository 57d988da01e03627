"""The reads behind the Open311 lists: the request read model (with each community's
county from the routing model) and, for the few requests a page needs, their streams."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal

import asyncpg
from grassroots_eventkit.store.model import EventStore, StoredEvent

from requests_service.domain import request as rq
from requests_service.open311.inputs import RequestFilter

# The spec recommends at most 1000 requests per answer; the same bounds the updates.
LIMIT = 1000
# Streams read at once for one answer: enough to be quick, few enough to leave the
# pool to the write path.
PARALLEL_LOADS = 4
CLOSED = sorted(rq.FINAL)

_COLUMNS = (
    "r.request_id, r.category, r.status, r.level, r.department, r.holder, r.building_id,"
    " r.submitted_at, r.updated_at, r.resolve_by, r.outcome, c.county"
)
_FROM = "rq_requests r LEFT JOIN rt_communities c ON c.community_id = r.community_id"


async def find_requests(
    pool: asyncpg.Pool, f: RequestFilter, county: str | None
) -> list[dict[str, Any]]:
    """GET /requests: by ids (the spec: they override the other filters), else by code,
    window of submission and open/closed; newest first."""
    if f.ids is not None:
        rows = await pool.fetch(
            f"SELECT {_COLUMNS} FROM {_FROM} WHERE r.request_id = ANY($1::text[])"
            " AND ($2::text IS NULL OR c.county = $2) ORDER BY r.submitted_at DESC LIMIT $3",
            list(f.ids),
            county,
            LIMIT,
        )
        return [dict(r) for r in rows]
    statuses = set(f.statuses or ("open", "closed"))
    rows = await pool.fetch(
        f"SELECT {_COLUMNS} FROM {_FROM}"
        " WHERE r.submitted_at BETWEEN $1 AND $2"
        " AND ($3::text[] IS NULL OR r.category = ANY($3::text[]))"
        " AND ($4::text IS NULL OR c.county = $4)"
        " AND (($5 AND r.status <> ALL($7::text[])) OR ($6 AND r.status = ANY($7::text[])))"
        " ORDER BY r.submitted_at DESC, r.request_id LIMIT $8",
        f.window.start,
        f.window.end,
        list(f.codes) if f.codes else None,
        county,
        "open" in statuses,
        "closed" in statuses,
        CLOSED,
        LIMIT,
    )
    return [dict(r) for r in rows]


async def changed_requests(
    pool: asyncpg.Pool, start: datetime, end: datetime, county: str | None
) -> list[str]:
    """Requests with events in the window: changed since `start`, or with a deadline in
    it (a missed deadline is an event that leaves `updated_at` alone)."""
    rows = await pool.fetch(
        f"SELECT r.request_id FROM {_FROM}"
        " WHERE r.submitted_at <= $2 AND (r.updated_at >= $1"
        " OR r.respond_by BETWEEN $1 AND $2 OR r.resolve_by BETWEEN $1 AND $2)"
        " AND ($3::text IS NULL OR c.county = $3)"
        " ORDER BY r.updated_at LIMIT $4",
        start,
        end,
        county,
        LIMIT,
    )
    return [r["request_id"] for r in rows]


async def address_kind(
    pool: asyncpg.Pool, address_id: str
) -> Literal["household", "building"] | None:
    """What an Open311 address_id names on the grid, if anything."""
    kind: str | None = await pool.fetchval(
        "SELECT 'household' FROM rt_households WHERE household_id = $1"
        " UNION ALL SELECT 'building' FROM rt_buildings WHERE building_id = $1 LIMIT 1",
        address_id,
    )
    return kind  # type: ignore[return-value]


async def histories(store: EventStore, ids: Iterable[str]) -> dict[str, list[StoredEvent]]:
    """Several requests' streams, a few at a time."""
    gate = asyncio.Semaphore(PARALLEL_LOADS)

    async def one(request_id: str) -> tuple[str, list[StoredEvent]]:
        async with gate:
            return request_id, await store.load(request_id)

    loaded = await asyncio.gather(*(one(i) for i in dict.fromkeys(ids)))
    return {request_id: events for request_id, events in loaded if events}
