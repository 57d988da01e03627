"""HTTP reads: a member's balance and statement, leaderboards, supermarket stock,
evaluations, rule books, and the what-if replay under a draft rule book."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from grassroots_eventkit.auth import Forbidden, Principal
from grassroots_eventkit.domain import NotFound
from grassroots_eventkit.http.security import CurrentPrincipal
from grassroots_eventkit.values import CHINA_STANDARD_TIME, ID_PATTERN
from pydantic import BaseModel, ConfigDict, Field

from points_service.domain.account import available
from points_service.domain.rulebook import Rule
from points_service.domain.scoring import Source, replay
from points_service.handlers.commands import is_staff
from points_service.views import directory_model

router = APIRouter(tags=["reads"])
PathId = Annotated[str, Path(min_length=1, max_length=80, pattern=ID_PATTERN)]


def _pool(request: Request) -> Any:
    return request.app.state.runtime.pool


async def _community(request: Request, principal: Principal, community_id: str) -> None:
    county = await directory_model.county_of(_pool(request), community_id)
    if county is None:
        raise NotFound("community_not_found", f"no community {community_id}")
    if not (
        is_staff(principal, community_id, county) or principal.can_access(community_id, county)
    ):
        raise Forbidden("this token's scope does not include that community")


@router.get("/members/{member_id}/statement", summary="Balance and every line behind it")
async def statement(
    member_id: PathId,
    request: Request,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    if not (principal.has_role("member") and principal.subject == member_id):
        found = await directory_model.member(_pool(request), member_id)
        if found is None:
            raise NotFound("member_not_found", f"no member {member_id}")
        await _community(request, principal, found["community_id"])
    today = datetime.now(CHINA_STANDARD_TIME).date()
    # One snapshot for both: the balance is exactly the sum of the lines shown with it.
    async with _pool(request).acquire() as conn, conn.transaction(isolation="repeatable_read"):
        every = await conn.fetch(
            "SELECT amount, expires_on,"
            " (occurred_at AT TIME ZONE 'Asia/Shanghai')::date AS day FROM pt_entries"
            " WHERE member_id = $1 ORDER BY occurred_at, entry_id",
            member_id,
        )
        balance = available([(r["amount"], r["expires_on"], r["day"]) for r in every], today)
        lines = await conn.fetch(
            "SELECT entry_id, kind, amount, rule_id, rule_book, source_event_id, source_type,"
            " occurred_at, expires_on, capped FROM pt_entries WHERE member_id = $1"
            " ORDER BY occurred_at DESC, entry_id LIMIT $2",
            member_id,
            limit,
        )
    return {"member_id": member_id, "balance": balance, "lines": [dict(r) for r in lines]}


@router.get("/communities/{community_id}/leaderboard", summary="Points per member, by period")
async def leaderboard(
    community_id: PathId,
    request: Request,
    principal: CurrentPrincipal,
    period: Annotated[
        str | None, Query(pattern=r"^\d{4}(-(0[1-9]|1[0-2]))?$", examples=["2026", "2026-05"])
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 20,
) -> dict[str, Any]:
    await _community(request, principal, community_id)
    period = period or datetime.now(CHINA_STANDARD_TIME).strftime("%Y-%m")
    fmt = "YYYY-MM" if len(period) == 7 else "YYYY"
    rows = await _pool(request).fetch(
        "SELECT member_id, sum(amount)::int AS points FROM pt_entries"
        " WHERE community_id = $1 AND kind IN ('award', 'deduction', 'reversal', 'manual')"
        f" AND to_char(occurred_at AT TIME ZONE 'Asia/Shanghai', '{fmt}') = $2"
        " GROUP BY member_id ORDER BY points DESC, member_id LIMIT $3",
        community_id,
        period,
        limit,
    )
    return {"period": period, "leaders": [dict(r) for r in rows]}


@router.get("/communities/{community_id}/supermarket", summary="The shelf: goods and stock")
async def shelf(
    community_id: PathId, request: Request, principal: CurrentPrincipal
) -> dict[str, Any]:
    if not principal.has_role("member"):
        await _community(request, principal, community_id)
    pool = _pool(request)
    items = await pool.fetch(
        "SELECT item_id, name, price, stock FROM pt_items WHERE community_id = $1 ORDER BY name",
        community_id,
    )
    redeemed = await pool.fetchval(
        "SELECT count(*) FROM pt_redemptions WHERE community_id = $1 AND NOT cancelled",
        community_id,
    )
    return {"items": [dict(r) for r in items], "redemptions": redeemed}


@router.get("/communities/{community_id}/evaluations", summary="Double evaluation results")
async def evaluations(
    community_id: PathId,
    request: Request,
    principal: CurrentPrincipal,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> dict[str, Any]:
    await _community(request, principal, community_id)
    year = year or datetime.now(CHINA_STANDARD_TIME).year
    pool = _pool(request)
    rows = await pool.fetch(
        "SELECT member_id, points, residence_score, contact_score, score::float AS score,"
        " grade, reported_both FROM pt_evaluations WHERE community_id = $1 AND year = $2"
        " ORDER BY score DESC, member_id",
        community_id,
        year,
    )
    awards = await pool.fetch(
        "SELECT award_id, kind, subject_id FROM pt_awards WHERE community_id = $1 AND year = $2",
        community_id,
        year,
    )
    grades: dict[str, int] = {}
    for r in rows:
        grades[r["grade"]] = grades.get(r["grade"], 0) + 1
    return {
        "year": year,
        "grades": grades,
        "members": [dict(r) for r in rows],
        "awards": [dict(a) for a in awards],
    }


@router.get("/rulebooks/{county}", summary="A county's rule book versions and overrides")
async def rulebooks(
    county: Annotated[str, Path(min_length=1, max_length=50)],
    request: Request,
    principal: CurrentPrincipal,
) -> list[dict[str, Any]]:
    rows = await _pool(request).fetch(
        "SELECT community_id, scope, version, effective_from, rules FROM pt_rulebooks"
        " WHERE county = $1 ORDER BY scope, community_id, version",
        county,
    )
    return [{**dict(r), "rules": json.loads(r["rules"])} for r in rows]


class Draft(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "rules": [
                        {
                            "rule_id": "volunteer_hours",
                            "trigger": "grassroots.volunteering.HoursCertified.v1",
                            "amount": 3,
                            "per_hour": True,
                            "cap_month": 120,
                        }
                    ]
                }
            ]
        },
    )
    rules: list[Rule] = Field(min_length=1, max_length=100)


@router.post(
    "/communities/{community_id}/what-if",
    summary="Score the community's past under a draft rule book; nothing is written",
)
async def what_if(
    community_id: PathId, body: Draft, request: Request, principal: CurrentPrincipal
) -> dict[str, Any]:
    await _community(request, principal, community_id)
    pool = _pool(request)
    started = datetime.now(UTC)
    rows = await pool.fetch(
        "SELECT event_id, event_type, community_id, occurred_at, payload FROM pt_sources"
        " WHERE community_id = $1",
        community_id,
    )
    sources = [
        Source(
            r["event_id"],
            r["event_type"],
            json.loads(r["payload"]),
            r["occurred_at"],
            r["community_id"],
        )
        for r in rows
    ]
    draft = replay(sources, body.rules, "draft")
    live_rows = await pool.fetch(
        "SELECT member_id, sum(amount)::int AS points FROM pt_entries WHERE community_id = $1"
        " AND kind IN ('award', 'deduction', 'reversal') GROUP BY member_id",
        community_id,
    )
    live = {r["member_id"]: r["points"] for r in live_rows}
    members = sorted(set(draft) | set(live))
    diff = [
        {
            "member_id": m,
            "live": live.get(m, 0),
            "draft": draft.get(m, 0),
            "difference": draft.get(m, 0) - live.get(m, 0),
        }
        for m in members
    ]
    diff.sort(key=lambda d: (-abs(d["difference"]), d["member_id"]))
    return {
        "sources": len(sources),
        "members": len(members),
        "live_total": sum(live.values()),
        "draft_total": sum(draft.values()),
        "seconds": round((datetime.now(UTC) - started).total_seconds(), 3),
        "by_member": diff,
    }
