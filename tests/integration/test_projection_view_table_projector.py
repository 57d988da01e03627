"""TableProjector's order: within one `apply`, a run of the same statement goes as one
`executemany`; every statement must still take effect in the order of the events.

The rules here write an order-revealing log (each statement appends to its row's text)
into a scratch table, from existing public events, so the order is read back exactly.
"""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import pytest
from grassroots_contracts.points import events as pt
from grassroots_eventkit.codec import ReceivedEvent
from grassroots_eventkit.migrations import Migration
from grassroots_eventkit.tables import TableProjector, Write, keyed, rules

from tests.support.projection_events import Feed, projected

pytestmark = pytest.mark.integration

C1 = "c-chating"
AT = datetime(2026, 5, 9, 1, 30, tzinfo=UTC)

SCRATCH = Migration(
    name="test.0001_scratch_log",
    sql="CREATE TABLE t_log"
    " (key text PRIMARY KEY, log text NOT NULL, undone int NOT NULL DEFAULT 0)",
)
_APPEND = "UPDATE t_log SET log = log || ',' || $2 WHERE key = $1"

RULES = rules(
    (
        pt.PointsEntered,
        Write("INSERT INTO t_log (key, log) VALUES ($1, $2)", lambda e: (e.member_id, e.entry_id)),
    ),
    (pt.RedemptionRecorded, Write(_APPEND, lambda e: (e.member_id, e.redemption_id))),
    (
        pt.RedemptionCancelled,
        (
            Write(_APPEND, lambda e: (e.member_id, "-" + e.redemption_id)),
            Write("UPDATE t_log SET undone = undone + 1 WHERE key = $1", lambda e: (e.member_id,)),
        ),
    ),
)


def entered(feed: Feed, member: str, entry: str) -> ReceivedEvent:
    return feed.event(pt.PointsEntered, at=AT, community_id=C1, member_id=member, entry_id=entry)


def redeemed(feed: Feed, member: str, redemption: str) -> ReceivedEvent:
    return feed.event(
        pt.RedemptionRecorded,
        at=AT,
        community_id=C1,
        member_id=member,
        redemption_id=redemption,
    )


def cancelled(feed: Feed, member: str, redemption: str) -> ReceivedEvent:
    return feed.event(
        pt.RedemptionCancelled,
        at=AT,
        community_id=C1,
        member_id=member,
        redemption_id=redemption,
    )


def no_rule(feed: Feed, member: str) -> ReceivedEvent:
    return feed.event(pt.MemberGraded, at=AT, community_id=C1, member_id=member)


async def logs(pool: asyncpg.Pool) -> dict[str, tuple[str, int]]:
    rows = await pool.fetch("SELECT key, log, undone FROM t_log")
    return {r["key"]: (r["log"], r["undone"]) for r in rows}


async def test_an_insert_then_updates_of_the_same_row_in_one_apply_keep_their_order(stack):
    async with projected(stack, "points", extra=(SCRATCH,)) as feed:
        projector = TableProjector("test.order", ("t",), RULES)
        async with feed.pool.acquire() as conn, conn.transaction():
            await projector.apply(
                conn,
                [
                    entered(feed, "M1", "e1"),
                    redeemed(feed, "M1", "R1"),
                    redeemed(feed, "M1", "R2"),
                    redeemed(feed, "M1", "R3"),
                ],
            )

        assert await logs(feed.pool) == {"M1": ("e1,R1,R2,R3", 0)}


async def test_interleaved_statements_across_events_end_in_the_right_state(stack):
    async with projected(stack, "points", extra=(SCRATCH,)) as feed:
        projector = TableProjector("test.order", ("t",), RULES)
        async with feed.pool.acquire() as conn, conn.transaction():
            await projector.apply(
                conn,
                [
                    entered(feed, "M1", "e1"),  # a run of two inserts
                    entered(feed, "M2", "e2"),
                    redeemed(feed, "M2", "R1"),  # a run of three appends to both rows
                    redeemed(feed, "M1", "R2"),
                    no_rule(feed, "M1"),  # ignored: does not break the run
                    redeemed(feed, "M1", "R3"),
                    cancelled(feed, "M1", "R3"),  # its first write joins the run, then another
                    redeemed(feed, "M2", "R4"),
                    entered(feed, "M3", "e3"),
                    cancelled(feed, "M2", "R4"),
                    cancelled(feed, "M2", "R1"),
                ],
            )

        assert await logs(feed.pool) == {
            "M1": ("e1,R2,R3,-R3", 1),
            "M2": ("e2,R1,R4,-R4,-R1", 2),
            "M3": ("e3", 0),
        }


async def test_statements_naming_their_rows_are_grouped_and_keep_each_rows_order(stack):
    """The same interleaving with every statement naming its row (the member): grouped
    per statement across events, each row's log still in event order."""
    async with projected(stack, "points", extra=(SCRATCH,)) as feed:
        projector = TableProjector("test.order", ("t",), keyed(1, RULES))
        async with feed.pool.acquire() as conn, conn.transaction():
            await projector.apply(
                conn,
                [
                    entered(feed, "M1", "e1"),
                    redeemed(feed, "M1", "R1"),
                    entered(feed, "M2", "e2"),
                    cancelled(feed, "M1", "R1"),
                    redeemed(feed, "M2", "R2"),
                    redeemed(feed, "M1", "R3"),
                    entered(feed, "M3", "e3"),
                    cancelled(feed, "M2", "R2"),
                ],
            )

        assert await logs(feed.pool) == {
            "M1": ("e1,R1,-R1,R3", 1),
            "M2": ("e2,R2,-R2", 1),
            "M3": ("e3", 0),
        }


async def test_a_failing_statement_in_a_run_fails_the_whole_apply(stack):
    """The consumer relies on it: it then applies the batch event by event to isolate it."""
    async with projected(stack, "points", extra=(SCRATCH,)) as feed:
        projector = TableProjector("test.order", ("t",), RULES)
        with pytest.raises(asyncpg.UniqueViolationError):
            async with feed.pool.acquire() as conn, conn.transaction():
                await projector.apply(
                    conn,
                    [
                        entered(feed, "M1", "e1"),
                        entered(feed, "M2", "e2"),
                        entered(feed, "M1", "e3"),  # same key, no ON CONFLICT
                        redeemed(feed, "M2", "R1"),
                    ],
                )

        assert await logs(feed.pool) == {}


def restocked(feed: Feed, stock: int) -> ReceivedEvent:
    return feed.event(pt.SupermarketItemStocked, at=AT, community_id=C1, item_id="I1", stock=stock)


def redeemed_item(feed: Feed, redemption: str, stock: int) -> ReceivedEvent:
    return feed.event(
        pt.RedemptionRecorded,
        at=AT,
        community_id=C1,
        item_id="I1",
        redemption_id=redemption,
        stock=stock,
    )


def shelf_history(feed: Feed) -> list[ReceivedEvent]:
    return [
        restocked(feed, 5),
        redeemed_item(feed, "R1", 4),
        redeemed_item(feed, "R2", 3),
        restocked(feed, 13),
        restocked(feed, 23),
        redeemed_item(feed, "R3", 22),
    ]


async def shelf_state(pool: asyncpg.Pool) -> tuple[int, int]:
    stock = await pool.fetchval("SELECT stock FROM pj_pt_items WHERE item_id = 'I1'")
    redemptions = await pool.fetchval("SELECT count(*) FROM pj_pt_redemptions")
    return stock, redemptions


async def test_the_points_view_in_one_apply_equals_event_by_event(stack):
    """The real view's rules: restocks (an upsert) and redemptions setting the same stock."""
    async with projected(stack, "points") as one_by_one, projected(stack, "points") as batched:
        await one_by_one.apply_one_by_one(shelf_history(one_by_one))
        await batched.apply(shelf_history(batched))

        assert await shelf_state(one_by_one.pool) == (22, 3)
        assert await shelf_state(batched.pool) == (22, 3)
