"""The dashboard's JSON: the county overview and one community's figures, live or as of
a past moment.

Scope as in the other routes: a county-wide role reads its own county; community staff
read only their communities (403 for any other).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, ClassVar

import asyncpg
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from grassroots_eventkit.auth import Forbidden, Principal
from grassroots_eventkit.domain import CommandRejected, InvalidValue, NotFound
from grassroots_eventkit.http.security import CurrentPrincipal
from grassroots_eventkit.runtime import Runtime
from grassroots_eventkit.values import CHINA_STANDARD_TIME

from projections_service.community_picture import community_picture, month_rates_view
from projections_service.dashboard_models import (
    CommunityView,
    CountyRow,
    CountyView,
    SnapshotProgress,
)
from projections_service.replay.as_of import Snapshot, SnapshotGone, Snapshots, SnapshotsBusy
from projections_service.views import communities, overview

router = APIRouter(prefix="/dashboard/api", tags=["dashboard"])

# A moment must be this far behind the clock: events recorded just before it may still be
# on their way to Kafka, and a snapshot is never built again once ready.
SETTLED = timedelta(seconds=5)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


def _pool(request: Request) -> asyncpg.Pool:
    rt: Runtime = request.app.state.runtime
    return rt.pool


def _county_scope(principal: Principal, county: str) -> frozenset[str] | None:
    """None: the whole county; else the reader's own communities (403 when it has none)."""
    if principal.county_wide:
        if principal.county != county:
            raise Forbidden("this token's scope is another county")
        return None
    if not principal.communities:
        raise Forbidden("this token's scope includes no community")
    return principal.communities


@router.get("/county", summary="Every community of a county side by side, ranked by 三率")
async def county(
    principal: CurrentPrincipal,
    request: Request,
    county: Annotated[str, Query(min_length=1, max_length=64)],
) -> CountyView:
    scope = _county_scope(principal, county)
    found = await overview.county_overview(
        _pool(request), county, now=datetime.now(UTC), community_ids=scope
    )
    if scope is not None and not found.communities:
        raise Forbidden("this token's scope includes no community of that county")
    return CountyView(
        county=found.county,
        today=found.today,
        month=found.month.strftime("%Y-%m"),
        weekend=found.weekend,
        communities=[
            CountyRow(
                rank=c.rank,
                community_id=c.community_id,
                name=c.name,
                town=c.town,
                rates=month_rates_view(c.rates),
                reporting_rate=c.reporting_rate,
                open_requests=c.open_requests,
                overdue=c.overdue,
                volunteer_hours=c.volunteer_hours,
                members=c.members,
                volunteer_hours_per_member=c.hours_per_member,
                rota_slots=c.rota_slots,
                rota_gaps=c.rota_gaps,
            )
            for c in found.communities
        ],
    )


@router.get("/communities/{community_id}", summary="One community's figures for its dashboard")
async def community(
    community_id: Annotated[str, Path(min_length=1, max_length=64)],
    principal: CurrentPrincipal,
    request: Request,
) -> CommunityView:
    pool = _pool(request)
    row = await communities.get_community(pool, community_id)
    if row is None:
        if not principal.county_wide and community_id not in principal.communities:
            raise Forbidden("this token's scope does not include that community")
        raise NotFound("community_not_found", f"no community {community_id} (yet)")
    principal.require_access(row.community_id, row.county)
    return await community_picture(pool, row, datetime.now(UTC))


class Busy(CommandRejected):
    status: ClassVar[int] = 429


def parse_as_of(value: str, now: datetime) -> datetime:
    """A day means the end of that day in China Standard Time; a time without a zone is
    China Standard Time too. Whole seconds: the snapshot's key."""
    try:
        if len(value) == 10:
            moment = datetime.combine(
                date.fromisoformat(value), time(23, 59, 59), tzinfo=CHINA_STANDARD_TIME
            )
        else:
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=CHINA_STANDARD_TIME)
    except ValueError:
        raise InvalidValue(
            "as_of_format",
            "at must be a day (2026-10-31) or an ISO 8601 time (2026-10-31T18:00:00+08:00)",
            field="at",
        ) from None
    moment = moment.replace(microsecond=0).astimezone(UTC)
    if moment > now - SETTLED:
        raise InvalidValue(
            "as_of_not_past",
            f"at must be at least {SETTLED.seconds} s in the past; the live dashboard shows now",
            field="at",
        )
    if moment < EARLIEST:
        raise InvalidValue("as_of_too_early", "at must be in 2000 or later", field="at")
    return moment


def _progress(snapshot: Snapshot) -> JSONResponse:
    body = SnapshotProgress(
        as_of=snapshot.as_of,
        status=snapshot.status,
        events_read=snapshot.events_read,
        events_total=snapshot.events_total,
        events_per_s=snapshot.events_per_s,
        eta_s=snapshot.eta_s,
        error=snapshot.error,
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=202)


@router.get(
    "/communities/{community_id}/as-of",
    summary="One community's figures as they stood at a past moment (replayed on request)",
    response_model=CommunityView,
    responses={
        202: {"model": SnapshotProgress, "description": "being replayed: ask again"},
        429: {"description": "another moment is being replayed here: ask again soon"},
    },
)
async def community_as_of(
    community_id: Annotated[str, Path(min_length=1, max_length=64)],
    at: Annotated[
        str,
        Query(
            min_length=10,
            max_length=40,
            description="a day (its end, China time) or an ISO 8601 time in the past",
        ),
    ],
    principal: CurrentPrincipal,
    request: Request,
) -> CommunityView | Response:
    pool = _pool(request)
    row = await communities.get_community(pool, community_id)
    if row is None:
        if not principal.county_wide and community_id not in principal.communities:
            raise Forbidden("this token's scope does not include that community")
        raise NotFound("community_not_found", f"no community {community_id} (yet)")
    principal.require_access(row.community_id, row.county)
    as_of = parse_as_of(at, datetime.now(UTC))
    snapshots: Snapshots = request.app.state.runtime.extras["snapshots"]
    try:
        snapshot = await snapshots.request(as_of)
    except SnapshotsBusy as exc:
        raise Busy("snapshots_busy", str(exc)) from None
    if snapshot.status != "ready":
        return _progress(snapshot)
    try:
        async with snapshots.reading(snapshot) as conn:
            then = await communities.get_community(conn, community_id)
            if then is None:
                raise NotFound(
                    "community_not_found", f"no community {community_id} as of {as_of.isoformat()}"
                )
            return await community_picture(conn, then, as_of, as_of=as_of)
    except SnapshotGone:
        return _progress(await snapshots.request(as_of))
