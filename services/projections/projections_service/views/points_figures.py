"""Red points (红色积分) per community: points per member and month for the leaderboards, and
the love supermarket (爱心超市) with its stock and redemptions, from the points service's
public topic.

A leaderboard counts what members earned: award, deduction, reversal and manual entries,
as the points service's own leaderboard does; redemptions and refunds spend or return
points and are left out. Months are calendar months in China Standard Time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TypeAlias

import asyncpg
from grassroots_contracts.points import events as pub
from grassroots_contracts.topics import POINTS_EVENTS
from grassroots_eventkit.migrations import Migration
from grassroots_eventkit.tables import Rules, TableProjector, Write, rules

GROUP = "grassroots.projections.points_figures"

MIGRATION = Migration(
    name="projections.0005_points_figures",
    sql="""
CREATE TABLE pj_pt_entries (
    community_id text NOT NULL,
    member_id    text NOT NULL,
    entry_id     text NOT NULL,
    kind         text NOT NULL,
    amount       integer NOT NULL,
    month        date NOT NULL,
    PRIMARY KEY (community_id, member_id, entry_id)
);
CREATE INDEX pj_pt_entries_month ON pj_pt_entries (community_id, month);
CREATE TABLE pj_pt_items (
    community_id text NOT NULL,
    item_id      text NOT NULL,
    name         text NOT NULL,
    price        integer NOT NULL,
    stock        integer NOT NULL,
    PRIMARY KEY (community_id, item_id)
);
CREATE TABLE pj_pt_redemptions (
    community_id  text NOT NULL,
    redemption_id text NOT NULL,
    item_id       text NOT NULL,
    quantity      integer NOT NULL,
    cancelled     boolean NOT NULL DEFAULT false,
    PRIMARY KEY (community_id, redemption_id)
);
""",
)

_STOCK = Write(
    "UPDATE pj_pt_items SET stock = $3 WHERE community_id = $1 AND item_id = $2",
    lambda e: (e.community_id, e.item_id, e.stock),
)

RULES: Rules = rules(
    (
        pub.PointsEntered,
        Write(
            "INSERT INTO pj_pt_entries (community_id, member_id, entry_id, kind, amount, month)"
            " VALUES ($1, $2, $3, $4, $5,"
            " date_trunc('month', $6::timestamptz AT TIME ZONE 'Asia/Shanghai')::date)"
            " ON CONFLICT DO NOTHING",
            lambda e: (e.community_id, e.member_id, e.entry_id, e.kind, e.amount, e.occurred_at),
        ),
    ),
    (
        pub.SupermarketItemStocked,
        Write(
            "INSERT INTO pj_pt_items (community_id, item_id, name, price, stock)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (community_id, item_id)"
            " DO UPDATE SET name = excluded.name, price = excluded.price, stock = excluded.stock",
            lambda e: (e.community_id, e.item_id, e.name, e.price, e.stock),
        ),
    ),
    (
        pub.RedemptionRecorded,
        (
            Write(
                "INSERT INTO pj_pt_redemptions (community_id, redemption_id, item_id, quantity)"
                " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                lambda e: (e.community_id, e.redemption_id, e.item_id, e.quantity),
            ),
            _STOCK,
        ),
    ),
    (
        pub.RedemptionCancelled,
        (
            Write(
                "UPDATE pj_pt_redemptions SET cancelled = true"
                " WHERE community_id = $1 AND redemption_id = $2",
                lambda e: (e.community_id, e.redemption_id),
            ),
            _STOCK,
        ),
    ),
)


def projector() -> TableProjector:
    return TableProjector(GROUP, (POINTS_EVENTS.name,), RULES)


Db: TypeAlias = asyncpg.Pool | asyncpg.Connection
EARNED = ("award", "deduction", "reversal", "manual")


@dataclass(frozen=True, slots=True)
class Leader:
    member_id: str
    points: int


@dataclass(frozen=True, slots=True)
class Item:
    item_id: str
    name: str
    price: int
    stock: int
    redeemed: int


def period_months(period: str) -> tuple[date, date]:
    """`YYYY-MM` or `YYYY` as [first month, month after the last): a range the (community,
    month) index serves, where comparing `to_char(month)` read the community's every entry."""
    if len(period) == 7:
        first = date(int(period[:4]), int(period[5:]), 1)
        after = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        return first, after
    return date(int(period), 1, 1), date(int(period) + 1, 1, 1)


async def leaderboard(db: Db, community_id: str, period: str, limit: int = 10) -> list[Leader]:
    """`period` is a month (YYYY-MM) or a year (YYYY); ties by member id."""
    first, after = period_months(period)
    rows = await db.fetch(
        "SELECT member_id, sum(amount)::int AS points FROM pj_pt_entries"
        " WHERE community_id = $1 AND kind = ANY($2::text[])"
        " AND month >= $3 AND month < $4"
        " GROUP BY 1 ORDER BY points DESC, member_id LIMIT $5",
        community_id,
        list(EARNED),
        first,
        after,
        limit,
    )
    return [Leader(r["member_id"], int(r["points"])) for r in rows]


async def supermarket(db: Db, community_id: str) -> tuple[list[Item], int]:
    """The shelf with the quantity each item went out in (not cancelled), and the number of
    redemptions not cancelled."""
    rows = await db.fetch(
        "SELECT i.item_id, i.name, i.price, i.stock,"
        " coalesce(sum(r.quantity) FILTER (WHERE NOT r.cancelled), 0) AS redeemed"
        " FROM pj_pt_items i LEFT JOIN pj_pt_redemptions r"
        "   ON r.community_id = i.community_id AND r.item_id = i.item_id"
        " WHERE i.community_id = $1 GROUP BY 1, 2, 3, 4 ORDER BY i.name, i.item_id",
        community_id,
    )
    count = await db.fetchval(
        "SELECT count(*) FROM pj_pt_redemptions WHERE community_id = $1 AND NOT cancelled",
        community_id,
    )
    items = [
        Item(r["item_id"], r["name"], r["price"], r["stock"], int(r["redeemed"])) for r in rows
    ]
    return items, int(count)
