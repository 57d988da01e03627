"""The durable deadline timer: a deadline that passes while the service is down fires once
after the restart; a crash between firing and forgetting, or two instances at once,
never raise it twice."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from grassroots_eventkit.codec import decode
from grassroots_eventkit.commands import CommandContext, CommandRunner
from grassroots_eventkit.store.postgres import PostgresEventStore
from grassroots_eventkit.timers import DurableTimer
from requests_service.domain import request as rq
from requests_service.domain.catalogue import DeadlineRule
from requests_service.handlers.lifecycle import timer_fire
from requests_service.publication import to_public
from requests_service.views import request_model, routing_model

from tests.support.databases import fresh_database

pytestmark = pytest.mark.integration

MIGRATIONS = (routing_model.MIGRATION, request_model.MIGRATION, request_model.HOUSEHOLDS)


def _timer(pool, runner: CommandRunner, store: PostgresEventStore) -> DurableTimer:
    return DurableTimer(pool, request_model.TIMERS, timer_fire(runner, store, pool))


def _runner(pool) -> tuple[CommandRunner, PostgresEventStore]:
    """A service instance: its own store (and so its own aggregate cache) and runner."""
    store = PostgresEventStore(pool)
    return CommandRunner(store, source="/grassroots/requests", publication=to_public), store


async def _submit(runner: CommandRunner, request_id: str, respond_within: timedelta) -> None:
    cmd = rq.SubmitRequest(
        request_id=request_id,
        county="定时县",
        address=rq.Address(community_id="c-1", compound_id="x-1", building_id="b-1"),
        category="repairs",
        channel="service_hall",
        text="楼道灯坏了",
        deadlines=DeadlineRule(respond_within=respond_within, resolve_within=timedelta(hours=1)),
        route=rq.Route(level="building", responsible_ids=("m-1",)),
    )
    await runner.run(
        rq.DECIDER,
        stream_id=request_id,
        command=cmd,
        ctx=CommandContext(actor="staff"),
        community_of=rq.community_of,
    )


async def _project(pool, store: PostgresEventStore, *, times: int = 1) -> None:
    """What the read-model consumer does with the service's own events (delivered
    `times` times over, as Kafka may)."""
    records = await store.pending_outbox()
    events = [decode(r.topic, 0, n, r.value, list(r.headers)) for n, r in enumerate(records)]
    projector = request_model.projector()
    for _ in range(times):
        async with pool.acquire() as conn, conn.transaction():
            await projector.apply(conn, events)


async def _stored(store: PostgresEventStore, request_id: str) -> list[str]:
    return [e.event_type.split(".")[0] for e in await store.load(request_id)]


async def test_a_deadline_passing_while_down_fires_once_after_the_restart(stack):
    async with fresh_database(stack, extra=MIGRATIONS) as (_, pool):
        runner, store = _runner(pool)
        await _submit(runner, "r-1", timedelta(seconds=1))
        await _project(pool, store)
        due = await pool.fetch("SELECT deadline FROM rq_timers ORDER BY deadline")
        assert [r["deadline"] for r in due] == ["resolution", "response"]

        # The service is down: nothing runs while the response deadline passes.
        await asyncio.sleep(1.2)

        runner, store = _runner(pool)  # the restarted instance
        timer = _timer(pool, runner, store)
        assert await timer.tick() == 1
        assert await timer.tick() == 0  # nothing else is due
        assert await _stored(store, "r-1") == [
            "RequestSubmitted",
            "RequestRouted",
            "DeadlineMissed",
            "RequestEscalated",
        ]
        escalated = rq.RequestEscalated.model_validate((await store.load("r-1"))[-1].data)
        assert (escalated.to_level, escalated.automatic) == ("community", True)

        # The consumer sees the new events, twice over: the timer row stays gone.
        await _project(pool, store, times=2)
        left = await pool.fetch("SELECT deadline FROM rq_timers WHERE request_id = 'r-1'")
        assert [r["deadline"] for r in left] == ["resolution"]


async def test_a_crash_between_firing_and_forgetting_does_not_fire_twice(stack):
    async with fresh_database(stack, extra=MIGRATIONS) as (_, pool):
        runner, store = _runner(pool)
        await _submit(runner, "r-2", timedelta(milliseconds=200))
        await _project(pool, store)
        due_at = await pool.fetchval(
            "SELECT due_at FROM rq_timers WHERE request_id = 'r-2' AND deadline = 'response'"
        )
        await asyncio.sleep(0.4)
        assert await _timer(pool, runner, store).tick() == 1
        # As if the delete had never committed: the row is back for the next instance.
        await pool.execute(
            "INSERT INTO rq_timers (request_id, deadline, community_id, due_at)"
            " VALUES ('r-2', 'response', 'c-1', $1)",
            due_at,
        )
        runner, store = _runner(pool)
        assert await _timer(pool, runner, store).tick() == 1
        assert (await _stored(store, "r-2")).count("DeadlineMissed") == 1


async def test_two_timer_instances_on_the_same_due_rows_raise_each_deadline_once(stack):
    async with fresh_database(stack, extra=MIGRATIONS) as (_, pool):
        runner, store = _runner(pool)
        ids = [f"r-{n}" for n in range(3, 23)]
        for request_id in ids:
            await _submit(runner, request_id, timedelta(milliseconds=100))
        await _project(pool, store)
        await asyncio.sleep(0.3)
        (a, sa), (b, sb) = _runner(pool), _runner(pool)
        first, second = (
            DurableTimer(pool, request_model.TIMERS, timer_fire(a, sa, pool), batch=7),
            DurableTimer(pool, request_model.TIMERS, timer_fire(b, sb, pool), batch=7),
        )
        handled = 0
        while True:
            done = await asyncio.gather(first.tick(), second.tick())
            handled += sum(done)
            if not any(done):
                break
        assert handled == len(ids)
        for request_id in ids:
            assert (await _stored(store, request_id)).count("DeadlineMissed") == 1


async def test_a_deadline_not_yet_due_is_left_alone(stack):
    async with fresh_database(stack, extra=MIGRATIONS) as (_, pool):
        runner, store = _runner(pool)
        await _submit(runner, "r-9", timedelta(hours=2))
        await _project(pool, store)
        assert await _timer(pool, runner, store).tick() == 0
        assert await _stored(store, "r-9") == ["RequestSubmitted", "RequestRouted"]
        later = await pool.fetchval(
            "SELECT due_at FROM rq_timers WHERE request_id = 'r-9' AND deadline = 'response'"
        )
        assert later > datetime.now(UTC) + timedelta(hours=1)
