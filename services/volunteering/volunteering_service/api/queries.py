"""HTTP reads: hours per member, team and community per month; the activity calendar; the
weekend rota with its gaps; star levels."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from grassroots_eventkit.auth import Forbidden, Principal
from grassroots_eventkit.domain import InvalidValue, NotFound
from grassroots_eventkit.http.security import CurrentPrincipal
from grassroots_eventkit.values import CHINA_STANDARD_TIME

from volunteering_service.api.deps import PathId
from volunteering_service.handlers.access import is_staff
from volunteering_service.views import directory_model, queries

router = APIRouter(tags=["reads"])
Month = Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", examples=["2026-05"])]


def _pool(request: Request) -> Any:
    return request.app.state.runtime.pool


async def _readable(request: Request, principal: Principal, community_id: str) -> None:
    county = await directory_model.county_of(_pool(request), community_id)
    if county is None:
        raise NotFound("community_not_found", f"no community {community_id}")
    if not (
        is_staff(principal, community_id, county)
        or principal.can_access(community_id, county)
        or principal.has_role("member")
    ):
        raise Forbidden("this token's scope does not include that community")


def _months(start: str | None, end: str | None) -> tuple[date, date]:
    """First day of `from` to last day of `to` (default: the last 12 months)."""
    today = datetime.now(CHINA_STANDARD_TIME).date()
    last = date(int(end[:4]), int(end[5:]), 1) if end else today.replace(day=1)
    first = (
        date(int(start[:4]), int(start[5:]), 1)
        if start
        else date(last.year - (1 if last.month < 12 else 0), last.month % 12 + 1, 1)
    )
    if first > last:
        raise InvalidValue("bad_range", "`from` is after `to`", field="from")
    if (last.year - first.year) * 12 + last.month - first.month > 60:
        raise InvalidValue("range_too_long", "at most 60 months at once", field="from")
    following = date(last.year + last.month // 12, last.month % 12 + 1, 1)
    return first, following - timedelta(days=1)


@router.get("/communities/{community_id}/hours", summary="Certified hours per month")
async def community_hours(
    community_id: PathId,
    request: Request,
    principal: CurrentPrincipal,
    start: Annotated[Month, Query(alias="from")] = None,
    end: Annotated[Month, Query(alias="to")] = None,
) -> dict[str, Any]:
    await _readable(request, principal, community_id)
    first, last = _months(start, end)
    pool = _pool(request)
    return {
        "by_month": await queries.hours_by_month(pool, community_id, first, last),
        "by_team": await queries.hours_by_certifier(pool, community_id, first, last),
        "by_member": await queries.hours_by_member(pool, community_id, first, last),
    }


@router.get("/members/{member_id}/hours", summary="A member's certified hours and star level")
async def member_hours(
    member_id: PathId, request: Request, principal: CurrentPrincipal
) -> dict[str, Any]:
    own = principal.has_role("member") and principal.subject == member_id
    if not own:
        home = await _pool(request).fetchval(
            "SELECT community_id FROM vd_members WHERE member_id = $1", member_id
        )
        if home is None:
            raise NotFound("member_not_found", f"no member {member_id}")
        county = await directory_model.county_of(_pool(request), home)
        if not (
            county and (is_staff(principal, home, county) or principal.can_access(home, county))
        ):
            raise Forbidden("this token's scope does not include that member's community")
    return await queries.member_hours(_pool(request), member_id)


@router.get("/communities/{community_id}/stars", summary="Star volunteers (星级志愿者)")
async def stars(
    community_id: PathId,
    request: Request,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[dict[str, Any]]:
    await _readable(request, principal, community_id)
    return await queries.star_levels(_pool(request), community_id, limit)


@router.get("/communities/{community_id}/calendar", summary="The community's activity calendar")
async def calendar(
    community_id: PathId,
    request: Request,
    principal: CurrentPrincipal,
    start: Annotated[date | None, Query(alias="from")] = None,
    days: Annotated[int, Query(ge=1, le=366)] = 31,
) -> list[dict[str, Any]]:
    await _readable(request, principal, community_id)
    first = start or datetime.now(CHINA_STANDARD_TIME).date()
    begin = datetime(first.year, first.month, first.day, tzinfo=CHINA_STANDARD_TIME)
    return await queries.calendar(_pool(request), community_id, begin, begin + timedelta(days=days))


def coming_saturday(today: date) -> date:
    """The weekend to staff next: this Saturday (today on a Saturday), next one on Sunday."""
    return today + timedelta(days=(5 - today.weekday()) % 7)


@router.get(
    "/communities/{community_id}/rota",
    summary="A weekend's rota with its gaps (default: the coming weekend)",
)
async def weekend_rota(
    community_id: PathId,
    request: Request,
    principal: CurrentPrincipal,
    weekend: date | None = None,
) -> dict[str, Any]:
    await _readable(request, principal, community_id)
    saturday = weekend or coming_saturday(datetime.now(CHINA_STANDARD_TIME).date())
    if saturday.weekday() != 5:
        raise InvalidValue("not_a_saturday", "a weekend is named by its Saturday", field="weekend")
    slots = await queries.rota(_pool(request), community_id, saturday)
    gaps = [s for s in slots if s["holder"] is None]
    return {
        "weekend": saturday.isoformat(),
        "rota_id": f"rota:{community_id}:{saturday.isoformat()}",
        "slots": slots,
        "gaps": gaps,
        "checked_at": datetime.now(UTC).isoformat(),
    }


@router.get("/communities/{community_id}/teams", summary="The community's volunteer teams")
async def teams(
    community_id: PathId, request: Request, principal: CurrentPrincipal
) -> list[dict[str, Any]]:
    await _readable(request, principal, community_id)
    return await queries.teams(_pool(request), community_id)
