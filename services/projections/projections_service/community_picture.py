"""One community's picture, from whichever tables the connection resolves: the live
ones, or a past snapshot's (see replay/as_of.py)."""

from __future__ import annotations

from datetime import datetime
from typing import TypeAlias

import asyncpg

from projections_service.dashboard_models import (
    ActivitiesView,
    CommunityView,
    DurationView,
    ItemView,
    LeaderboardView,
    LeaderView,
    MonthHoursView,
    MonthRatesView,
    OverdueView,
    PledgeView,
    PointsView,
    RateView,
    RatioView,
    ReportingView,
    RequestsView,
    RotaView,
    SlotView,
    SupermarketView,
    TeamHoursView,
    UnitOrgsView,
    VolunteeringView,
    WhistlesView,
)
from projections_service.views import (
    communities,
    organisation_figures,
    overview,
    points_figures,
    requests_figures,
    volunteering_figures,
)

Db: TypeAlias = asyncpg.Pool | asyncpg.Connection


def month_rates_view(m: requests_figures.MonthRates) -> MonthRatesView:
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


async def community_picture(
    db: Db, row: communities.CommunityRow, now: datetime, *, as_of: datetime | None = None
) -> CommunityView:
    """`now` is the clock for a live picture and the snapshot's time for a past one."""
    community_id = row.community_id
    today = overview.china_today(now)
    month = overview.month_start(today)
    # The last 12 months, this one included: the window of the services' own month lists.
    first = overview.months_back(month, 11)
    last = overview.month_end(month)
    weekend = overview.coming_saturday(today)

    rates = (await requests_figures.monthly(db, [community_id], first, month, now))[community_id]
    by_status = await requests_figures.status_counts(db, community_id)
    times = await requests_figures.times(db, community_id)
    whistles = await requests_figures.whistles(db, community_id)
    slots = await volunteering_figures.rota(db, community_id, weekend)
    items, redemptions = await points_figures.supermarket(db, community_id)
    reporting = await organisation_figures.reporting(db, community_id, today.year)
    month_period, year_period = month.strftime("%Y-%m"), str(today.year)
    units = await organisation_figures.unit_organisations(db, community_id, today.year)
    pledges = await organisation_figures.pledges(db, community_id, today.year)

    return CommunityView(
        community_id=row.community_id,
        name=row.name,
        county=row.county,
        town=row.town,
        today=today,
        rates=[month_rates_view(m) for m in rates],
        requests=RequestsView(
            by_status=by_status,
            by_category=await requests_figures.category_counts(db, community_id),
            open=by_status["open"] + by_status["claimed"],
            overdue=await requests_figures.overdue_count(db, community_id, now),
            overdue_list=[
                OverdueView(
                    request_id=o.request_id,
                    category=o.category,
                    status=o.status,
                    holder=o.holder,
                    respond_by=o.respond_by,
                    resolve_by=o.resolve_by,
                    answered=o.answered,
                )
                for o in await requests_figures.overdue_list(db, community_id, now)
            ],
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
                for h in await volunteering_figures.hours_by_month(db, community_id, first, last)
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
                    db, community_id, first, last
                )
            ],
            activities=[
                ActivitiesView(month=a.month, held=a.held, residents_served=a.residents_served)
                for a in await volunteering_figures.activities_by_month(
                    db, community_id, first, last
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
                    for x in await points_figures.leaderboard(db, community_id, month_period)
                ],
            ),
            leaderboard_year=LeaderboardView(
                period=year_period,
                leaders=[
                    LeaderView(member_id=x.member_id, points=x.points)
                    for x in await points_figures.leaderboard(db, community_id, year_period)
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
            for k, v in (await organisation_figures.coverage(db, community_id)).items()
        },
        reporting=ReportingView(
            period=reporting.period,
            in_service_members=reporting.in_service,
            reported_to_residence=reporting.reported_residence,
            reported_to_contact=reporting.reported_contact,
            reported_to_both=reporting.reported_both,
            rate=reporting.rate,
        ),
        unit_organisations=UnitOrgsView(
            year=units.year, paired=units.paired, reported=units.reported, rate=units.rate
        ),
        pledges=[
            PledgeView(
                pledge_id=p.pledge_id, unit_org_id=p.unit_org_id, title=p.title, status=p.status
            )
            for p in pledges
        ],
        as_of=as_of,
    )
