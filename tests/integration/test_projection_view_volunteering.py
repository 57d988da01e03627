"""The volunteering view: hours per month and certifier, activities held, the weekend rota."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from grassroots_contracts.volunteering import events as vo
from grassroots_eventkit.codec import ReceivedEvent
from projections_service.views.overview import china_today, coming_saturday
from projections_service.views.volunteering_figures import (
    CertifierHours,
    MonthActivities,
    MonthHours,
    Slot,
    activities_by_month,
    gaps,
    hours_by_certifier,
    hours_by_month,
    hours_in,
    rota,
)

from tests.support.projection_events import Feed, projected

pytestmark = pytest.mark.integration

C1, C2 = "c-chating", "c-longxi"
T0 = datetime(2026, 5, 6, 2, 0, tzinfo=UTC)  # Wednesday 6 May, 10:00 CST
TEAM = "T1"


def hours(
    feed: Feed,
    member: str,
    amount: float,
    served_on: str,
    source_id: str,
    *,
    by: str = TEAM,
    community_id: str = C1,
) -> ReceivedEvent:
    return feed.event(
        vo.HoursCertified,
        at=T0,
        community_id=community_id,
        member_id=member,
        hours=amount,
        source="activity" if by == TEAM else "shift",
        source_id=source_id,
        certified_by=by,
        certifier="team" if by == TEAM else "community",
        served_on=served_on,
    )


def certified_hours(feed: Feed) -> list[ReceivedEvent]:
    return [
        feed.event(vo.TeamRegistered, at=T0, team_id=TEAM, community_id=C1, name="爱心义工社"),
        hours(feed, "M1", 2.5, "2026-05-16", "A1"),
        hours(feed, "M2", 3.0, "2026-05-16", "A1"),
        hours(feed, "M1", 3.0, "2026-05-09", "S1", by=C1),
        hours(feed, "M1", 1.5, "2026-06-01", "A2"),
        hours(feed, "M3", 4.0, "2026-05-10", "A9", community_id=C2),
    ]


async def test_hours_count_in_the_month_of_the_day_served(stack):
    async with projected(stack, "volunteering") as feed:
        await feed.apply(certified_hours(feed))

        assert await hours_by_month(feed.pool, C1, date(2026, 5, 1), date(2026, 6, 30)) == [
            MonthHours("2026-05", 8.5, 2),
            MonthHours("2026-06", 1.5, 1),
        ]
        assert await hours_in(feed.pool, [C1, C2], date(2026, 5, 1), date(2026, 5, 31)) == {
            C1: 8.5,
            C2: 4.0,
        }


async def test_hours_per_certifier_name_the_team_or_the_community(stack):
    async with projected(stack, "volunteering") as feed:
        await feed.apply(certified_hours(feed))

        assert await hours_by_certifier(feed.pool, C1, date(2026, 5, 1), date(2026, 5, 31)) == [
            CertifierHours("2026-05", TEAM, "team", "爱心义工社", 5.5, 2),
            CertifierHours("2026-05", C1, "community", None, 3.0, 1),
        ]


async def test_activities_held_once_completed_in_the_month_they_started(stack):
    async with projected(stack, "volunteering") as feed:
        e = feed.event

        def scheduled(activity: str, starts: datetime) -> ReceivedEvent:
            return e(
                vo.ActivityScheduled,
                at=T0,
                activity_id=activity,
                community_id=C1,
                starts_at=starts.isoformat(),
                ends_at=(starts + timedelta(hours=3)).isoformat(),
            )

        def completed(activity: str, served: int, at: datetime) -> ReceivedEvent:
            return e(
                vo.ActivityCompleted,
                at=at,
                activity_id=activity,
                community_id=C1,
                residents_served=served,
                completed_at=at.isoformat(),
            )

        clinic = datetime(2026, 5, 16, 1, 0, tzinfo=UTC)
        # 31 May 17:00 UTC is 1 June 01:00 CST: a June activity
        night_talk = datetime(2026, 5, 31, 17, 0, tzinfo=UTC)
        await feed.apply(
            [
                scheduled("A1", clinic),
                scheduled("A2", night_talk),
                scheduled("A3", datetime(2026, 5, 20, 1, 0, tzinfo=UTC)),  # never completed
                scheduled("A4", datetime(2026, 5, 23, 1, 0, tzinfo=UTC)),
                completed("A1", 56, clinic + timedelta(hours=3)),
                completed("A2", 10, night_talk + timedelta(hours=3)),
                completed("A4", 0, datetime(2026, 5, 23, 4, 0, tzinfo=UTC)),
            ]
        )

        assert await activities_by_month(feed.pool, C1, date(2026, 5, 1), date(2026, 6, 30)) == [
            MonthActivities("2026-05", 2, 56),
            MonthActivities("2026-06", 1, 10),
        ]


def slot(slot_id: str, area: str, starts: datetime) -> dict[str, str]:
    return {
        "slot_id": slot_id,
        "area": area,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=3)).isoformat(),
    }


def weekend_rota(feed: Feed, saturday: date, prefix: str = "") -> list[ReceivedEvent]:
    """Three slots; M1, M2, M3 take them, M3 gives S3 back, M1 and M2 swap. Slot ids are
    `prefix` + S1..S3."""
    morning = datetime(saturday.year, saturday.month, saturday.day, 1, 0, tzinfo=UTC)
    rota_id = f"rota:{C1}:{saturday}"
    e = feed.event

    def claimed(slot_id: str, member: str) -> ReceivedEvent:
        return e(
            vo.ShiftClaimed,
            at=T0,
            rota_id=rota_id,
            community_id=C1,
            slot_id=prefix + slot_id,
            member_id=member,
        )

    return [
        e(
            vo.ShiftSlotsOpened,
            at=T0,
            rota_id=rota_id,
            community_id=C1,
            weekend=saturday.isoformat(),
            slots=[
                slot(prefix + "S1", "reception", morning),
                slot(prefix + "S2", "elderly_home", morning),
                slot(prefix + "S3", "youth_home", morning + timedelta(hours=4)),
            ],
            gap_check_at=(morning - timedelta(days=2)).isoformat(),
        ),
        claimed("S1", "M1"),
        claimed("S2", "M2"),
        claimed("S3", "M3"),
        e(
            vo.ShiftReleased,
            at=T0,
            rota_id=rota_id,
            community_id=C1,
            slot_id=prefix + "S3",
            member_id="M3",
        ),
        e(
            vo.ShiftsSwapped,
            at=T0,
            rota_id=rota_id,
            community_id=C1,
            slot_id=prefix + "S1",
            member_id="M2",
            other_slot_id=prefix + "S2",
            other_member_id="M1",
        ),
    ]


async def test_the_rota_of_the_coming_weekend_shows_holders_and_gaps(stack):
    async with projected(stack, "volunteering") as feed:
        saturday = coming_saturday(china_today(T0))
        assert saturday == date(2026, 5, 9)
        next_weekend = saturday + timedelta(days=7)
        await feed.apply(weekend_rota(feed, saturday))
        await feed.apply(weekend_rota(feed, next_weekend, "next-")[:1])  # unheld, not counted

        slots = await rota(feed.pool, C1, saturday)
        # In order of start, then area: elderly_home before reception.
        assert [(s.slot_id, s.area, s.holder) for s in slots] == [
            ("S2", "elderly_home", "M1"),
            ("S1", "reception", "M2"),
            ("S3", "youth_home", None),
        ]
        assert slots[1] == Slot(
            "S1",
            "reception",
            datetime(2026, 5, 9, 1, 0, tzinfo=UTC),
            datetime(2026, 5, 9, 4, 0, tzinfo=UTC),
            "M2",
        )
        assert await gaps(feed.pool, [C1, C2], saturday) == {C1: (3, 1)}
        assert await gaps(feed.pool, [C1], next_weekend) == {C1: (3, 3)}


async def test_two_weekends_opened_in_one_batch_keep_their_own_slots(stack):
    async with projected(stack, "volunteering") as feed:
        first, second = date(2026, 5, 9), date(2026, 5, 16)
        this, following = weekend_rota(feed, first), weekend_rota(feed, second, "next-")
        # Both openings first (one run of the same statement), then both weekends' claims.
        await feed.apply([this[0], following[0], *this[1:], *following[1:3]])

        assert await gaps(feed.pool, [C1], first) == {C1: (3, 1)}
        assert await gaps(feed.pool, [C1], second) == {C1: (3, 1)}


async def test_the_rota_is_the_same_event_by_event_as_in_one_batch(stack):
    async with projected(stack, "volunteering") as feed:
        await feed.apply_one_by_one(weekend_rota(feed, date(2026, 5, 9)))

        slots = await rota(feed.pool, C1, date(2026, 5, 9))
        assert {s.slot_id: s.holder for s in slots} == {"S1": "M2", "S2": "M1", "S3": None}


async def test_replayed_volunteering_events_are_not_counted_twice(stack):
    async with projected(stack, "volunteering") as feed:
        events = certified_hours(feed) + weekend_rota(feed, date(2026, 5, 9))
        await feed.apply(events)
        await feed.apply(events[:3])
        await feed.apply(events)

        assert await hours_by_month(feed.pool, C1, date(2026, 5, 1), date(2026, 5, 31)) == [
            MonthHours("2026-05", 8.5, 2)
        ]
        assert await gaps(feed.pool, [C1], date(2026, 5, 9)) == {C1: (3, 1)}
        slots = await rota(feed.pool, C1, date(2026, 5, 9))
        assert {s.slot_id: s.holder for s in slots} == {"S1": "M2", "S2": "M1", "S3": None}
