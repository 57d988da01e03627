"""Points are awarded exactly once per source event and rule: re-delivered through real
Kafka, and read again from offset 0 by a reset consumer (a new group, so the consumer's
own dedupe does not know the events); and concurrent redemptions never overdraw an
account nor oversell the shelf."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from grassroots_contracts.envelope import EnvelopeMeta
from grassroots_contracts.organisation import members
from grassroots_contracts.requests import lifecycle
from grassroots_contracts.volunteering import events as volunteering
from grassroots_eventkit.auth import Principal
from grassroots_eventkit.codec import encode
from grassroots_eventkit.commands import CommandContext, CommandRunner
from grassroots_eventkit.consumer import IdempotentConsumer
from grassroots_eventkit.domain import CommandRejected
from grassroots_eventkit.kafka import reliable_producer
from grassroots_eventkit.store.postgres import PostgresEventStore
from points_service.domain import supermarket
from points_service.handlers import commands as handlers
from points_service.policies import PointsPolicies
from points_service.publication import to_public
from points_service.views import directory_model, points_model

from tests.support.databases import fresh_database
from tests.support.kafka import create_topic

pytestmark = pytest.mark.integration

MIGRATIONS = (directory_model.MIGRATION, points_model.MIGRATION)
C, M = "c-points", "m-points"
T0 = datetime.now(UTC) - timedelta(days=3)


def _runner(pool) -> tuple[CommandRunner, PostgresEventStore]:
    store = PostgresEventStore(pool)
    runner = CommandRunner(
        store, source="/grassroots/points", publication=to_public, max_retries=50
    )
    return runner, store


def _sources() -> list[tuple[object, datetime]]:
    request = str(uuid.uuid4())
    return [
        (
            members.MemberReported(
                member_id=M, community_id=C, role="residence", reported_on=T0.date(), period=T0.year
            ),
            T0,
        ),
        (
            lifecycle.RequestResolved(
                request_id=request,
                community_id=C,
                resolved_by=M,
                resolver="member",
                level="building",
                resolved_at=T0,
                within_deadline=True,
                confirm_by=T0 + timedelta(days=7),
            ),
            T0 + timedelta(hours=1),
        ),
        (
            lifecycle.RequestReopened(
                request_id=request,
                community_id=C,
                reason="dissatisfied",
                reopened_at=T0,
                resolve_by=T0 + timedelta(days=7),
                previously_resolved_by=M,
                previous_resolver="member",
            ),
            T0 + timedelta(hours=2),
        ),
        (
            lifecycle.RequestResolved(
                request_id=request,
                community_id=C,
                resolved_by=M,
                resolver="member",
                level="building",
                resolved_at=T0,
                within_deadline=False,
                confirm_by=T0 + timedelta(days=7),
            ),
            T0 + timedelta(hours=3),
        ),
        (
            lifecycle.RequestRated(
                request_id=request,
                community_id=C,
                rating="satisfied",
                resolved_by=M,
                resolver="member",
                rated_at=T0,
            ),
            T0 + timedelta(hours=4),
        ),
        (
            volunteering.HoursCertified(
                community_id=C,
                member_id=M,
                hours=2.5,
                source="activity",
                source_id="a-1",
                certified_by="t-1",
                certifier="team",
                served_on=T0.date(),
            ),
            T0 + timedelta(hours=5),
        ),
        (
            volunteering.ActivityNoShow(activity_id="a-2", community_id=C, member_id=M),
            T0 + timedelta(hours=6),
        ),
    ]


async def _publish(stack, topic: str, sources: list[tuple[object, datetime, uuid.UUID]]) -> None:
    """Send the source events; sending them again re-delivers the very same events."""
    producer = reliable_producer(
        stack.kafka, client_id="points-test", security=stack.kafka_security
    )
    await producer.start()
    try:
        for public, at, event_id in sources:
            meta = EnvelopeMeta(
                event_id=event_id,
                event_type=public.event_type,  # type: ignore[attr-defined]
                source="/test",
                time=at,
                subject=M,
                community_id=C,
                stream_version=1,
            )
            record = encode(public, meta)  # type: ignore[arg-type]
            await producer.send_and_wait(
                topic, value=record.value, key=record.key, headers=list(record.headers)
            )
    finally:
        await producer.stop()


class _Policies(PointsPolicies):
    def __init__(self, runner, store, topic: str, group: str) -> None:
        super().__init__(runner, store)
        self.group = group
        self.topics = (topic,)


async def _consume(stack, pool, topic: str, group: str, expected: int) -> None:
    runner, store = _runner(pool)
    producer = reliable_producer(
        stack.kafka, client_id="points-test-dlq", security=stack.kafka_security
    )
    await producer.start()
    consumer = IdempotentConsumer(
        _Policies(runner, store, topic, group),
        bootstrap=stack.kafka,
        security=stack.kafka_security,
        pool=pool,
        dlq_producer=producer,
    )
    task = asyncio.create_task(consumer.run())
    try:
        for _ in range(300):
            if consumer.applied + consumer.duplicates >= expected:
                break
            await asyncio.sleep(0.1)
        assert consumer.applied + consumer.duplicates >= expected
    finally:
        consumer.stop()
        await task
        await producer.stop()


async def _ledger(pool) -> list[tuple[str, int]]:
    rows = await pool.fetch(
        "SELECT data->>'entry_id' AS entry, (data->>'amount')::int AS amount FROM es_events"
        " WHERE event_type = 'PointsEntered.v1' ORDER BY global_position"
    )
    return [(r["entry"], r["amount"]) for r in rows]


async def test_each_source_counts_once_when_redelivered_and_when_read_again_from_offset_0(stack):
    topic = await create_topic(
        stack.kafka, partitions=3, prefix="test.points", security=stack.kafka_security
    )
    sources = [(public, at, uuid.uuid4()) for public, at in _sources()]
    await _publish(stack, topic, sources)
    async with fresh_database(stack, extra=MIGRATIONS) as (_, pool):
        await pool.execute(f"INSERT INTO pd_communities VALUES ('{C}', '积分县')")
        await pool.execute(f"INSERT INTO pd_members VALUES ('{M}', '{C}', NULL, 'resident')")
        group = f"g-{uuid.uuid4().hex[:6]}"
        await _consume(stack, pool, topic, group, expected=7)
        first = await _ledger(pool)
        # reported +10; resolved +5; reversed -5; resolved again +5; satisfied +3;
        # 2.5 h x 2 = +5; no-show -3
        assert [a for _, a in first] == [10, 5, -5, 5, 3, 5, -3]

        # Delivered again to the same group: the consumer's dedupe skips them all.
        await _publish(stack, topic, sources)
        await _consume(stack, pool, topic, group, expected=7)
        # A reset: a new group reads all 14 messages from offset 0 and the consumer's
        # dedupe does not know them; the account refuses to count a (source, rule) twice.
        await _consume(stack, pool, topic, f"reset-{group}", expected=14)
        assert await _ledger(pool) == first
        balance = await pool.fetchval(
            "SELECT sum((data->>'amount')::int) FROM es_events"
            " WHERE event_type = 'PointsEntered.v1'"
        )
        assert balance == 20


async def test_concurrent_redemptions_never_overdraw_nor_oversell(stack):
    async with fresh_database(stack, extra=MIGRATIONS, pool_size=30) as (_, pool):
        county = "积分县"
        members_ = [f"m-{n}" for n in range(8)]
        await pool.execute(f"INSERT INTO pd_communities VALUES ('{C}', '{county}')")
        for m in members_:
            await pool.execute(f"INSERT INTO pd_members VALUES ('{m}', '{C}', NULL, 'resident')")
        staff = Principal(
            subject="staff", roles=frozenset({"community_staff"}), communities=frozenset({C})
        )
        approver = Principal(
            subject="approver", roles=frozenset({"community_staff"}), communities=frozenset({C})
        )
        runner, store = _runner(pool)
        desk = handlers.Desk(runner, store, pool, staff, CommandContext(actor="staff"))
        for m in members_:
            await handlers.manual_award(desk, m, 100, "启动积分", approver.subject)
        await handlers.stock_item(
            desk,
            supermarket.StockItem(community_id=C, item_id="oil", name="食用油", price=30, added=5),
        )

        async def attempt(member_id: str, n: int) -> str:
            """What the shop answered: "ok", or the rule that refused it."""
            r, s = _runner(pool)  # each its own "instance"
            d = handlers.Desk(r, s, pool, staff, CommandContext(actor="staff"))
            try:
                await handlers.redeem(d, C, f"r-{member_id}-{n}", member_id, "oil", 1)
            except CommandRejected as exc:
                return exc.rule
            return "ok"

        # One member tries 6 times at once (100 points buy 3); all 8 members race for the
        # 5 bottles on the shelf.
        one = await asyncio.gather(*(attempt("m-0", n) for n in range(6)))
        # Goods are taken before points: an attempt may find the shelf empty while others
        # are still paying, and goods a member cannot pay for go back on the shelf.
        assert one.count("ok") == 3
        assert set(one) <= {"ok", "insufficient_points", "out_of_stock"}
        rest = await asyncio.gather(*(attempt(m, 0) for m in members_[1:]))
        assert sorted(rest) == ["ok"] * 2 + ["out_of_stock"] * 5  # 5 bottles in all
        _, shop = await store.aggregates.read(supermarket.DECIDER, supermarket.supermarket_id(C))
        assert shop.items["oil"].stock == 0
        for m in members_:
            balance = await pool.fetchval(
                "SELECT sum((data->>'amount')::int) FROM es_events"
                " WHERE event_type = 'PointsEntered.v1' AND stream_id = $1",
                f"account:{m}",
            )
            assert balance >= 0, (m, balance)
