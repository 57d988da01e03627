"""The dashboard's JSON: the county overview and one community's figures.

Scope as in the other routes: a county-wide role reads its own county; community staff
read only their communities (403 for any other).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

import asyncpg
from fastapi import APIRouter, Path, Query, Request
from grassroots_eventkit.auth import Forbidden, Principal
from grassroots_eventkit.domain import NotFound
from grassroots_eventkit.http.security import CurrentPrincipal
from grassroots_eventkit.runtime import Runtime
from pydantic import BaseModel, ConfigDict

from projections_service.views import (
    communities,
    organisation_figures,
    overview,
    points_figures,
    requests_figures,
    volunteering_figures,
)

router = APIRouter(prefix="/dashboard/api", tags=["dashboard"])


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class RateView(_Frozen):
    numerator: int
    denominator: int
    value: float | None


class MonthRatesView(_Frozen):
    month: str
    response_rate: RateView
    resolution_rate: RateView
    satisfaction_rate: RateView
    mean: float | None


class CountyRow(_Frozen):
    rank: int
    community_id: str
    name: str
    town: str
    rates: MonthRatesView
    reporting_rate: float | None
    open_requests: int
    overdue: int
    volunteer_hours: float
    members: int
    volunteer_hours_per_member: float | None
    rota_slots: int
    rota_gaps: int


class CountyView(_Frozen):
    county: str
    today: date
    month: str
    weekend: date
    communities: list[CountyRow]


class RatioView(_Frozen):
    total: int
    covered: int
    rate: float | None


class ReportingView(_Frozen):
    period: int
    in_service_members: int
    reported_to_residence: int
    reported_to_contact: int
    reported_to_both: int
    rate: float | None


class DurationView(_Frozen):
    count: int
    p50: float | None
    p90: float | None


class RequestsView(_Frozen):
    by_status: dict[str, int]
    by_category: dict[str, dict[str, int]]
    open: int
    overdue: int
    minutes_to_respond: DurationView
    minutes_to_resolve: DurationView


class WhistlesView(_Frozen):
    total: int
    automatic: int
    by_to_level: dict[str, int]
    by_department: dict[str, int]
    by_kind: dict[str, int]


class MonthHoursView(_Frozen):
    month: str
    hours: float
    members: int


class TeamHoursView(_Frozen):
    month: str
    certified_by: str
    certifier: str
    team: str | None
    hours: float
    members: int


class ActivitiesView(_Frozen):
    month: str
    held: int
    residents_served: int


class SlotView(_Frozen):
    slot_id: str
    area: str
    starts_at: datetime
    ends_at: datetime
    holder: str | None


class RotaView(_Frozen):
    weekend: date
    slots: list[SlotView]
    gaps: int


class VolunteeringView(_Frozen):
    hours_by_month: list[MonthHoursView]
    hours_by_team: list[TeamHoursView]
    activities: list[ActivitiesView]
    rota: RotaView


class LeaderView(_Frozen):
    member_id: str
    points: int


class LeaderboardView(_Frozen):
    period: str
    leaders: list[LeaderView]


class ItemView(_Frozen):
    item_id: str
    name: str
    price: int
    stock: int
    redeemed: int


class SupermarketView(_Frozen):
    items: list[ItemView]
    redemptions: int


class PointsView(_Frozen):
    leaderboard_month: LeaderboardView
    leaderboard_year: LeaderboardView
    supermarket: SupermarketView


class CommunityView(_Frozen):
    community_id: str
    name: str
    county: str
    town: str
    today: date
    rates: list[MonthRatesView]
    requests: RequestsView
    whistles: WhistlesView
    volunteering: VolunteeringView
    points: PointsView
    coverage: dict[str, RatioView]
    reporting: ReportingView


def _rates(m: requests_figures.MonthRates) -> MonthRatesView:
    def rate(r: requests_figures.Rate) -> RateView:
        return RateView(numerator=r.numerator, denominator=r.denominator, value=r.value)

    return MonthRatesView(
        month=m.month.strftime("%Y-%m"),
        response_rate=rate(m.response),
        resolution_rate=rate(m.resolution),
        satisfaction_rate=rate(m.satisfaction),
        mean=m.mean,
    )


def _duration(d: requests_figures.Durations) -> DurationView:
    return DurationView(count=d.count, p50=d.p50, p90=d.p90)


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
                rates=_rates(c.rates),
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

    now = datetime.now(UTC)
    today = overview.china_today(now)
    month = overview.month_start(today)
    # The last 12 months, this one included: the window of the services' own month lists.
    first = overview.months_back(month, 11)
    last = overview.month_end(month)
    weekend = overview.coming_saturday(today)

    rates = (await requests_figures.monthly(pool, [community_id], first, month))[community_id]
    by_status = await requests_figures.status_counts(pool, community_id)
    times = await requests_figures.times(pool, community_id)
    whistles = await requests_figures.whistles(pool, community_id)
    slots = await volunteering_figures.rota(pool, community_id, weekend)
    items, redemptions = await points_figures.supermarket(pool, community_id)
    reporting = await organisation_figures.reporting(pool, community_id, today.year)
    month_period, year_period = month.strftime("%Y-%m"), str(today.year)

    return CommunityView(
        community_id=row.community_id,
        name=row.name,
        county=row.county,
        town=row.town,
        today=today,
        rates=[_rates(m) for m in rates],
        requests=RequestsView(
            by_status=by_status,
            by_category=await requests_figures.category_counts(pool, community_id),
            open=by_status["open"] + by_status["claimed"],
            overdue=await requests_figures.overdue_count(pool, community_id, now),
            minutes_to_respond=_duration(times.respond),
            minutes_to_resolve=_duration(times.resolve),
        ),
        whistles=WhistlesView(
            total=whistles.total,
            automatic=whistles.automatic,
            by_to_level=whistles.by_to_level,
            by_department=whistles.by_department,
            by_kind=whistles.by_kind,
        ),
        volunteering=VolunteeringView(
            hours_by_month=[
                MonthHoursView(month=h.month, hours=h.hours, members=h.members)
                for h in await volunteering_figures.hours_by_month(pool, community_id, first, last)
            ],
            hours_by_team=[
                TeamHoursView(
                    month=h.month,
                    certified_by=h.certified_by,
                    certifier=h.certifier,
                    team=h.team,
                    hours=h.hours,
                    members=h.members,
                )
                for h in await volunteering_figures.hours_by_certifier(
                    pool, community_id, first, last
                )
            ],
            activities=[
                ActivitiesView(month=a.month, held=a.held, residents_served=a.residents_served)
                for a in await volunteering_figures.activities_by_month(
                    pool, community_id, first, last
                )
            ],
            rota=RotaView(
                weekend=weekend,
                slots=[
                    SlotView(
                        slot_id=s.slot_id,
                        area=s.area,
                        starts_at=s.starts_at,
                        ends_at=s.ends_at,
                        holder=s.holder,
                    )
                    for s in slots
                ],
                gaps=sum(1 for s in slots if s.holder is None),
            ),
        ),
        points=PointsView(
            leaderboard_month=LeaderboardView(
                period=month_period,
                leaders=[
                    LeaderView(member_id=x.member_id, points=x.points)
                    for x in await points_figures.leaderboard(pool, community_id, month_period)
                ],
            ),
            leaderboard_year=LeaderboardView(
                period=year_period,
                leaders=[
                    LeaderView(member_id=x.member_id, points=x.points)
                    for x in await points_figures.leaderboard(pool, community_id, year_period)
                ],
            ),
            supermarket=SupermarketView(
                items=[
                    ItemView(
                        item_id=i.item_id,
                        name=i.name,
                        price=i.price,
                        stock=i.stock,
                        redeemed=i.redeemed,
                    )
                    for i in items
                ],
                redemptions=redemptions,
            ),
        ),
        coverage={
            k: RatioView(total=v.total, covered=v.covered, rate=v.rate)
            for k, v in (await organisation_figures.coverage(pool, community_id)).items()
        },
        reporting=ReportingView(
            period=reporting.period,
            in_service_members=reporting.in_service,
            reported_to_residence=reporting.reported_residence,
            reported_to_contact=reporting.reported_contact,
            reported_to_both=reporting.reported_both,
            rate=reporting.rate,
        ),
    )
