"""Capacity under concurrency, and a rota gap raised once: real PostgreSQL, three service
instances (each its own store, cache and runner) racing on one activity."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from grassroots_eventkit.codec import decode
from grassroots_eventkit.commands import CommandContext, CommandRunner
from grassroots_eventkit.store.postgres import PostgresEventStore
from grassroots_eventkit.timers import DurableTimer
from volunteering_service.domain import activity, rota
from volunteering_service.handlers.commands import timer_fire
from volunteering_service.publication import to_public
from volunteering_service.views import directory_model, volunteering_model

from tests.support.databases import fresh_database

pytestmark = pytest.mark.integration

MIGRATIONS = (directory_model.MIGRATION, volunteering_model.MIGRATION)
NOW = datetime.now(UTC)


def _instance(pool) -> CommandRunner:
    store = PostgresEventStore(pool)
    return CommandRunner(
        store, source="/grassroots/volunteering", publication=to_public, max_retries=60
    )


async def _run(runner: CommandRunner, decider, stream_id: str, command, community_of):
    return await runner.run(
        decider,
        stream_id=stream_id,
        command=command,
        ctx=CommandContext(actor="test"),
        community_of=community_of,
    )


async def _schedule(runner: CommandRunner, capacity: int) -> str:
    cmd = activity.ScheduleActivity(
        activity_id="a-1",
        community_id="c-1",
        county="并发县",
        kind="free_clinic",
        title="社区义诊",
        starts_at=NOW + timedelta(days=1),
        ends_at=NOW + timedelta(days=1, hours=3),
        capacity=capacity,
    )
    await _run(runner, activity.DECIDER, "a-1", cmd, activity.community_of)
    return "a-1"


async def test_fifty_concurrent_sign_ups_for_twenty_places_confirm_exactly_twenty(stack):
    async with fresh_database(stack, extra=MIGRATIONS, pool_size=30) as (_, pool):
        instances = [_instance(pool) for _ in range(3)]
        await _schedule(instances[0], capacity=20)
        members = [f"m-{n:02d}" for n in range(50)]
        await asyncio.gather(
            *(
                _run(
                    instances[n % 3],
                    activity.DECIDER,
                    "a-1",
                    activity.SignUp(activity_id="a-1", member_id=m),
                    activity.community_of,
                )
                for n, m in enumerate(members)
            )
        )
        store = PostgresEventStore(pool)
        events = [
            activity.DECIDER.event_types.decode(e.event_type, e.data)
            for e in await store.load("a-1")
        ]
        state = activity.DECIDER.fold(events)
        assert len(state.confirmed) == 20
        assert len(state.waitlist) == 30
        assert sorted(state.confirmed + state.waitlist) == members
        signed = [e for e in events if isinstance(e, activity.SignedUp)]
        assert [e.waitlist_position for e in signed if e.status == "waitlisted"] == list(
            range(1, 31)
        )

        # Three confirmed members withdraw: the first three on the waitlist move up, in order.
        waiting = list(state.waitlist)
        for member in state.confirmed[:3]:
            await _run(
                instances[1],
                activity.DECIDER,
                "a-1",
                activity.CancelSignUp(activity_id="a-1", member_id=member),
                activity.community_of,
            )
        events = [
            activity.DECIDER.event_types.decode(e.event_type, e.data)
            for e in await store.load("a-1")
        ]
        promoted = [e.member_id for e in events if isinstance(e, activity.WaitlistPromoted)]
        assert promoted == waiting[:3]
        after = activity.DECIDER.fold(events)
        assert len(after.confirmed) == 20
        assert list(after.waitlist) == waiting[3:]


async def _project(pool, store: PostgresEventStore, *, times: int = 1) -> None:
    records = await store.pending_outbox()
    events = [decode(r.topic, 0, n, r.value, list(r.headers)) for n, r in enumerate(records)]
    projector = volunteering_model.projector()
    for _ in range(times):
        async with pool.acquire() as conn, conn.transaction():
            await projector.apply(conn, events)


def _next_saturday() -> date:
    today = datetime.now(UTC).date()
    return today + timedelta(days=(5 - today.weekday()) % 7 or 7)


async def test_a_shift_left_open_at_the_cut_off_raises_its_gap_once(stack):
    async with fresh_database(stack, extra=MIGRATIONS) as (_, pool):
        runner = _instance(pool)
        store = PostgresEventStore(pool)
        saturday = _next_saturday()
        start = rota.weekend_start(saturday)
        rid = rota.rota_id("c-1", saturday)
        slots = tuple(
            rota.SlotSpec(
                slot_id=f"s-{n}",
                area=area,
                starts_at=start + timedelta(hours=9),
                ends_at=start + timedelta(hours=12),
            )
            for n, area in enumerate(("elderly_home", "youth_home"))
        )
        # A notice longer than the time to the weekend: the cut-off is already past.
        opened = rota.OpenShifts(
            rota_id=rid,
            community_id="c-1",
            county="轮班县",
            weekend=saturday,
            slots=slots,
            gap_notice=timedelta(days=8),
        )
        await _run(runner, rota.DECIDER, rid, opened, rota.community_of)
        claim = rota.ClaimShift(rota_id=rid, slot_id="s-0", member_id="m-1")
        await _run(runner, rota.DECIDER, rid, claim, rota.community_of)
        await _project(pool, store)

        timer = DurableTimer(pool, volunteering_model.TIMERS, timer_fire(runner))
        assert await timer.tick() == 1
        await _project(pool, store, times=2)  # the consumer sees it all, twice over
        # The row comes back (a redelivered opening, a restarted timer): still one gap.
        await pool.execute(
            "INSERT INTO vo_timers (stream_id, kind, community_id, due_at)"
            " VALUES ($1, 'gap_check', 'c-1', now()) ON CONFLICT DO NOTHING",
            rid,
        )
        assert await DurableTimer(pool, volunteering_model.TIMERS, timer_fire(runner)).tick() == 1

        stored = [e.event_type.split(".")[0] for e in await store.load(rid)]
        assert stored.count("GapRaised") == 1
        [gap] = [e for e in await store.load(rid) if e.event_type.startswith("GapRaised")]
        assert gap.data["slot_id"] == "s-1"  # the held shift raised nothing
        shown = await pool.fetch("SELECT slot_id, gap_raised_at FROM vo_slots ORDER BY slot_id")
        assert [(r["slot_id"], r["gap_raised_at"] is not None) for r in shown] == [
            ("s-0", False),
            ("s-1", True),
        ]
