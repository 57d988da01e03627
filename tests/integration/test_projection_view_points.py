"""The points view: leaderboards of points earned, the love supermarket's shelf."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from grassroots_contracts.points import events as pt
from grassroots_eventkit.codec import ReceivedEvent
from projections_service.views.points_figures import Item, Leader, leaderboard, supermarket

from tests.support.projection_events import Feed, projected

pytestmark = pytest.mark.integration

C1, C2 = "c-chating", "c-longxi"
MAY = datetime(2026, 5, 9, 1, 30, tzinfo=UTC)
APRIL = datetime(2026, 4, 9, 1, 30, tzinfo=UTC)


def entries(feed: Feed) -> list[ReceivedEvent]:
    n = iter(range(1, 100))

    def entry(member: str, kind: str, amount: int, at: datetime, community_id: str = C1):
        return feed.event(
            pt.PointsEntered,
            at=at,
            community_id=community_id,
            member_id=member,
            entry_id=f"entry-{next(n)}",
            kind=kind,
            amount=amount,
            occurred_at=at.isoformat(),
        )

    return [
        entry("M1", "award", 10, MAY),
        entry("M1", "deduction", -3, MAY),
        entry("M1", "reversal", -2, MAY),
        entry("M1", "redemption", -50, MAY),  # spent, not earned
        entry("M2", "award", 5, MAY),
        entry("M2", "manual", 4, MAY),
        entry("M2", "refund", 50, MAY),  # returned, not earned
        entry("M5", "award", 9, MAY),  # ties with M2: by member id
        entry("M3", "award", 20, APRIL),
        # 30 April 16:30 UTC is 1 May 00:30 CST: a May entry
        entry("M4", "award", 30, datetime(2026, 4, 30, 16, 30, tzinfo=UTC)),
        entry("M9", "award", 99, MAY, community_id=C2),
    ]


async def test_the_month_leaderboard_sums_points_earned_in_the_month(stack):
    async with projected(stack, "points") as feed:
        await feed.apply(entries(feed))

        assert await leaderboard(feed.pool, C1, "2026-05") == [
            Leader("M4", 30),
            Leader("M2", 9),
            Leader("M5", 9),
            Leader("M1", 5),
        ]
        assert await leaderboard(feed.pool, C1, "2026-04") == [Leader("M3", 20)]
        assert await leaderboard(feed.pool, C1, "2026-05", limit=2) == [
            Leader("M4", 30),
            Leader("M2", 9),
        ]


async def test_the_year_leaderboard_sums_the_months_of_the_year(stack):
    async with projected(stack, "points") as feed:
        await feed.apply(entries(feed))

        assert await leaderboard(feed.pool, C1, "2026") == [
            Leader("M4", 30),
            Leader("M3", 20),
            Leader("M2", 9),
            Leader("M5", 9),
            Leader("M1", 5),
        ]
        assert await leaderboard(feed.pool, C1, "2025") == []
        assert await leaderboard(feed.pool, C2, "2026") == [Leader("M9", 99)]


def shelf(feed: Feed) -> list[ReceivedEvent]:
    e = feed.event

    def stocked(item: str, name: str, price: int, added: int, stock: int) -> ReceivedEvent:
        return e(
            pt.SupermarketItemStocked,
            at=MAY,
            community_id=C1,
            item_id=item,
            name=name,
            price=price,
            added=added,
            stock=stock,
        )

    def redeemed(redemption: str, item: str, quantity: int, stock: int) -> ReceivedEvent:
        return e(
            pt.RedemptionRecorded,
            at=MAY,
            community_id=C1,
            redemption_id=redemption,
            item_id=item,
            quantity=quantity,
            points=quantity * 50,
            stock=stock,
        )

    return [
        stocked("I1", "食用油 5L", 50, 20, 20),
        stocked("I2", "大米 10kg", 30, 10, 10),
        redeemed("R1", "I1", 1, 19),
        redeemed("R2", "I1", 2, 17),
        redeemed("R3", "I2", 1, 9),
        e(
            pt.RedemptionCancelled,
            at=MAY,
            community_id=C1,
            redemption_id="R2",
            item_id="I1",
            quantity=2,
            stock=19,
        ),
        stocked("I1", "食用油 5L", 45, 10, 29),  # restocked and re-priced
    ]


async def test_the_supermarket_shows_stock_and_what_went_out_not_cancelled(stack):
    async with projected(stack, "points") as feed:
        await feed.apply(shelf(feed))

        items, redemptions = await supermarket(feed.pool, C1)
        assert {i.item_id: i for i in items} == {
            "I1": Item("I1", "食用油 5L", 45, 29, 1),
            "I2": Item("I2", "大米 10kg", 30, 9, 1),
        }
        assert redemptions == 2
        assert await supermarket(feed.pool, C2) == ([], 0)


async def test_the_supermarket_is_the_same_event_by_event_as_in_one_batch(stack):
    async with projected(stack, "points") as feed:
        await feed.apply_one_by_one(shelf(feed))

        items, redemptions = await supermarket(feed.pool, C1)
        assert [
            (i.item_id, i.stock, i.redeemed) for i in sorted(items, key=lambda i: i.item_id)
        ] == [
            ("I1", 29, 1),
            ("I2", 9, 1),
        ]
        assert redemptions == 2


async def test_replayed_points_events_are_not_counted_twice(stack):
    async with projected(stack, "points") as feed:
        events = entries(feed) + shelf(feed)
        await feed.apply(events)
        await feed.apply(events[:5])
        await feed.apply(events)

        assert (await leaderboard(feed.pool, C1, "2026-05"))[:2] == [
            Leader("M4", 30),
            Leader("M2", 9),
        ]
        items, redemptions = await supermarket(feed.pool, C1)
        assert sorted((i.item_id, i.stock, i.redeemed) for i in items) == [
            ("I1", 29, 1),
            ("I2", 9, 1),
        ]
        assert redemptions == 2
