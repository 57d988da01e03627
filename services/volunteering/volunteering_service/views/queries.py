"""Reading the volunteering read model: hours, the calendar, the rota and its gaps, stars."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import asyncpg

from volunteering_service.domain.hours import STAR_THRESHOLDS, star_level

Db = asyncpg.Pool | asyncpg.Connection
_MONTH = "to_char(served_on, 'YYYY-MM')"


async def hours_by_member(db: Db, community_id: str, first: date, last: date) -> list[dict]:
    rows = await db.fetch(
        f"SELECT member_id, {_MONTH} AS month, sum(hours)::float AS hours, count(*) AS records"
        " FROM vo_hours WHERE community_id = $1 AND served_on BETWEEN $2 AND $3"
        " GROUP BY 1, 2 ORDER BY 2, 3 DESC",
        community_id,
        first,
        last,
    )
    return [dict(r) for r in rows]


async def hours_by_certifier(db: Db, community_id: str, first: date, last: date) -> list[dict]:
    """Hours per team (or the community, for shifts and community-run activities)."""
    rows = await db.fetch(
        f"SELECT certified_by, certifier, {_MONTH} AS month, sum(hours)::float AS hours,"
        " count(DISTINCT member_id) AS members FROM vo_hours"
        " WHERE community_id = $1 AND served_on BETWEEN $2 AND $3"
        " GROUP BY 1, 2, 3 ORDER BY 3, 4 DESC",
        community_id,
        first,
        last,
    )
    return [dict(r) for r in rows]


async def hours_by_month(db: Db, community_id: str, first: date, last: date) -> list[dict]:
    rows = await db.fetch(
        f"SELECT {_MONTH} AS month, sum(hours)::float AS hours,"
        " count(DISTINCT member_id) AS members FROM vo_hours"
        " WHERE community_id = $1 AND served_on BETWEEN $2 AND $3 GROUP BY 1 ORDER BY 1",
        community_id,
        first,
        last,
    )
    return [dict(r) for r in rows]


async def member_hours(db: Db, member_id: str) -> dict[str, Any]:
    """A member's certified hours across communities, by month and certifier, and stars."""
    rows = await db.fetch(
        f"SELECT {_MONTH} AS month, certified_by, certifier, sum(hours)::float AS hours"
        " FROM vo_hours WHERE member_id = $1 GROUP BY 1, 2, 3 ORDER BY 1, 2",
        member_id,
    )
    total = round(sum(r["hours"] for r in rows), 2)
    stars = star_level(total)
    return {
        "member_id": member_id,
        "total_hours": total,
        "stars": stars,
        "next_star_at": STAR_THRESHOLDS[stars] if stars < len(STAR_THRESHOLDS) else None,
        "by_month": [dict(r) for r in rows],
    }


async def star_levels(db: Db, community_id: str, limit: int) -> list[dict]:
    rows = await db.fetch(
        "SELECT member_id, sum(hours)::float AS total_hours FROM vo_hours"
        " WHERE community_id = $1 GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT $2",
        community_id,
        limit,
    )
    return [{**dict(r), "stars": star_level(r["total_hours"])} for r in rows]


async def calendar(db: Db, community_id: str, start: datetime, end: datetime) -> list[dict]:
    rows = await db.fetch(
        "SELECT activity_id, compound_id, team_id, kind, title, starts_at, ends_at, capacity,"
        " confirmed, waitlisted, checked_in, no_shows, residents_served, completed_at"
        " FROM vo_activities WHERE community_id = $1 AND starts_at < $3 AND ends_at > $2"
        " ORDER BY starts_at, activity_id",
        community_id,
        start,
        end,
    )
    return [dict(r) for r in rows]


async def rota(db: Db, community_id: str, weekend: date) -> list[dict]:
    rows = await db.fetch(
        "SELECT slot_id, rota_id, area, starts_at, ends_at, holder, recorded, gap_raised_at"
        " FROM vo_slots WHERE community_id = $1 AND weekend = $2 ORDER BY starts_at, area",
        community_id,
        weekend,
    )
    return [dict(r) for r in rows]


async def teams(db: Db, community_id: str) -> list[dict]:
    rows = await db.fetch(
        "SELECT team_id, kind, name, partner, members FROM vo_teams WHERE community_id = $1"
        " ORDER BY kind, name",
        community_id,
    )
    return [dict(r) for r in rows]
