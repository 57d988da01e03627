"""The county overview and one community's picture, over every view's tables together."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from grassroots_contracts.organisation import CommunityRegistered, grid, members, party
from grassroots_contracts.points import events as pt
from grassroots_contracts.requests import lifecycle as rq
from grassroots_contracts.volunteering import events as vo
from projections_service.community_picture import community_picture
from projections_service.views.communities import get_community
from projections_service.views.overview import county_overview
from projections_service.views.requests_figures import Rate

from tests.support.projection_events import Feed, every_view

pytestmark = pytest.mark.integration

C1, C2, C3, ELSEWHERE = "c-chating", "c-longxi", "c-baiyun", "c-lingling"
T0 = datetime(2026, 5, 4, 1, 0, tzinfo=UTC)  # Monday 4 May, 09:00 CST
NOW = datetime(2026, 5, 20, 0, 0, tzinfo=UTC)  # Wednesday 20 May, 08:00 CST
SATURDAY = date(2026, 5, 23)


async def feed_the_county(feeds: dict[str, Feed]) -> None:
    """C1 answers in time and satisfies, C2 leaves one request unanswered and answers one
    late, C3 has no requests; C1 has two party members, hours and a half-held rota."""
    c = feeds["communities"]
    await c.apply(
        [
            c.event(CommunityRegistered, at=T0, community_id=cid, name=name, county=county)
            for cid, name, county in (
                (C1, "茶亭社区", "东安县"),
                (C2, "龙溪社区", "东安县"),
                (C3, "白云社区", "东安县"),
                (ELSEWHERE, "城关社区", "零陵区"),
            )
        ]
    )

    r = feeds["requests"]

    def submitted(community_id: str, request_id: str) -> object:
        return r.event(
            rq.RequestSubmitted,
            at=T0,
            community_id=community_id,
            request_id=request_id,
            submitted_at=T0.isoformat(),
            respond_by=(T0 + timedelta(days=1)).isoformat(),
            resolve_by=(T0 + timedelta(days=30)).isoformat(),
        )

    def on(model: type, community_id: str, request_id: str, at: datetime, **fields: object):
        return r.event(model, at=at, community_id=community_id, request_id=request_id, **fields)

    claimed, day = T0 + timedelta(minutes=10), timedelta(days=1)
    await r.apply(
        [
            submitted(C1, "a"),
            on(rq.RequestClaimed, C1, "a", claimed, claimed_at=claimed.isoformat()),
            on(rq.RequestResolved, C1, "a", T0 + day, resolved_at=(T0 + day).isoformat()),
            on(rq.RequestRated, C1, "a", T0 + 2 * day, rated_at=(T0 + 2 * day).isoformat()),
            on(rq.RequestClosed, C1, "a", T0 + 2 * day, closed_at=(T0 + 2 * day).isoformat()),
            submitted(C2, "b"),
            submitted(C2, "c"),
            on(rq.RequestClaimed, C2, "c", T0 + 2 * day, claimed_at=(T0 + 2 * day).isoformat()),
        ]
    )

    o = feeds["organisation"]
    await o.apply(
        [
            o.event(grid.CompoundRegistered, at=T0, compound_id="X1", community_id=C1),
            o.event(party.BranchEstablished, at=T0, compound_id="X1", community_id=C1),
            o.event(
                members.MemberRegistered,
                at=T0,
                member_id="M1",
                community_id=C1,
                kind="in_service",
                contact_community_id=C2,
            ),
            o.event(
                members.MemberRegistered,
                at=T0,
                member_id="M2",
                community_id=C1,
                kind="retired",
                contact_community_id=None,
            ),
            o.event(
                members.MemberReported,
                at=T0,
                member_id="M1",
                community_id=C1,
                role="residence",
                reported_on="2026-05-04",
                period=2026,
            ),
            o.event(
                members.MemberReported,
                at=T0,
                member_id="M1",
                community_id=C2,
                role="contact",
                reported_on="2026-05-05",
                period=2026,
            ),
        ]
    )

    v = feeds["volunteering"]
    morning = datetime(2026, 5, 23, 1, 0, tzinfo=UTC)
    await v.apply(
        [
            v.event(
                vo.HoursCertified,
                at=T0,
                community_id=C1,
                member_id="M1",
                hours=4.0,
                source="shift",
                source_id="S0",
                certified_by=C1,
                certifier="community",
                served_on="2026-05-10",
            ),
            v.event(
                vo.HoursCertified,
                at=T0,
                community_id=C1,
                member_id="M2",
                hours=2.0,
                source="shift",
                source_id="S0",
                certified_by=C1,
                certifier="community",
                served_on="2026-05-10",
            ),
            v.event(
                vo.ShiftSlotsOpened,
                at=T0,
                community_id=C1,
                weekend=SATURDAY.isoformat(),
                slots=[
                    {
                        "slot_id": s,
                        "area": "reception",
                        "starts_at": morning.isoformat(),
                        "ends_at": (morning + timedelta(hours=3)).isoformat(),
                    }
                    for s in ("S1", "S2")
                ],
            ),
            v.event(vo.ShiftClaimed, at=T0, community_id=C1, slot_id="S1", member_id="M1"),
        ]
    )

    p = feeds["points"]
    await p.apply(
        [
            p.event(
                pt.PointsEntered,
                at=T0,
                community_id=C1,
                member_id="M1",
                entry_id="e1",
                kind="award",
                amount=10,
                occurred_at=T0.isoformat(),
            ),
        ]
    )


async def test_the_county_overview_ranks_its_communities_by_the_mean_of_the_rates(stack):
    async with every_view(stack) as feeds:
        await feed_the_county(feeds)
        overview = await county_overview(feeds["points"].pool, "东安县", now=NOW)

        assert (overview.today, overview.month, overview.weekend) == (
            date(2026, 5, 20),
            date(2026, 5, 1),
            SATURDAY,
        )
        first, second, third = overview.communities
        assert [(c.rank, c.community_id) for c in overview.communities] == [
            (1, C1),
            (2, C2),
            (3, C3),
        ]
        assert (first.rates.response, first.rates.mean, first.reporting_rate) == (
            Rate(1, 1),
            1.0,
            1.0,
        )
        assert (first.open_requests, first.overdue) == (0, 0)
        assert (first.volunteer_hours, first.members, first.hours_per_member) == (6.0, 2, 3.0)
        assert (first.rota_slots, first.rota_gaps) == (2, 1)
        assert (second.rates.response, second.rates.mean) == (Rate(0, 2), 0.0)
        assert (second.open_requests, second.overdue) == (2, 1)
        assert (second.members, second.hours_per_member, second.reporting_rate) == (0, None, None)
        assert (third.rates.mean, third.rota_slots) == (None, 0)


async def test_a_community_scoped_overview_shows_only_its_communities(stack):
    async with every_view(stack) as feeds:
        await feed_the_county(feeds)
        overview = await county_overview(
            feeds["points"].pool, "东安县", now=NOW, community_ids=frozenset({C2, ELSEWHERE})
        )

        assert [(c.rank, c.community_id) for c in overview.communities] == [(1, C2)]
        nowhere = await county_overview(feeds["points"].pool, "无此县", now=NOW)
        assert nowhere.communities == []


async def test_the_community_picture_gathers_every_view(stack):
    async with every_view(stack) as feeds:
        await feed_the_county(feeds)
        pool = feeds["points"].pool
        row = await get_community(pool, C1)
        assert row is not None
        picture = await community_picture(pool, row, NOW)

        assert (picture.name, picture.today, picture.as_of) == ("茶亭社区", date(2026, 5, 20), None)
        assert len(picture.rates) == 12
        assert (picture.rates[0].month, picture.rates[-1].month) == ("2025-06", "2026-05")
        assert picture.rates[-1].response_rate.numerator == 1
        assert picture.requests.by_status["closed"] == 1
        assert (picture.requests.open, picture.requests.overdue) == (0, 0)
        assert picture.requests.minutes_to_respond.p50 == 10.0
        assert (picture.volunteering.rota.weekend, picture.volunteering.rota.gaps) == (SATURDAY, 1)
        assert [(h.month, h.hours, h.members) for h in picture.volunteering.hours_by_month] == [
            ("2026-05", 6.0, 2)
        ]
        assert [(x.member_id, x.points) for x in picture.points.leaderboard_year.leaders] == [
            ("M1", 10)
        ]
        assert picture.points.leaderboard_month.period == "2026-05"
        assert picture.coverage["compounds_with_branch"].rate == 1.0
        assert (picture.reporting.in_service_members, picture.reporting.reported_to_both) == (1, 1)
