"""Every command run leaves one audit row: who, when, where, and how it ended."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from grassroots_eventkit.audit import scope_of
from grassroots_eventkit.commands import CommandContext, CommandRunner
from grassroots_eventkit.domain import CommandRejected
from grassroots_eventkit.store.memory import InMemoryEventStore
from grassroots_eventkit.store.model import ReservationTaken
from organisation_service.domain import community
from organisation_service.handlers.communities import community_name_claims
from organisation_service.publication import to_public

pytestmark = pytest.mark.unit

NOW = datetime(2026, 5, 10, 9, 30, tzinfo=UTC)
ADMIN = CommandContext(
    actor="admin-1", roles=("county_admin",), county="东安县", correlation_id="corr-1"
)


def _runner(store: InMemoryEventStore) -> CommandRunner:
    return CommandRunner(store, source="/t", publication=to_public, clock=lambda: NOW)


def _register(runner: CommandRunner, cid: str, name: str, ctx: CommandContext = ADMIN):
    cmd = community.RegisterCommunity(community_id=cid, name=name, county="东安县", town="白牙市镇")
    return runner.run(
        community.DECIDER,
        stream_id=cid,
        command=cmd,
        ctx=ctx,
        community_of=community.community_of,
        reservations=community_name_claims,
    )


def _rename(runner: CommandRunner, cid: str, name: str):
    return runner.run(
        community.DECIDER,
        stream_id=cid,
        command=community.RenameCommunity(community_id=cid, name=name),
        ctx=ADMIN,
        community_of=community.community_of,
    )


async def test_an_accepted_command_records_actor_time_scope_and_version_with_its_append():
    store = InMemoryEventStore()
    await _register(_runner(store), "c1", "茶亭社区")
    [row] = store.audit
    assert (row.command, row.actor, row.actor_roles) == (
        "RegisterCommunity",
        "admin-1",
        ("county_admin",),
    )
    assert (row.community_id, row.county, row.stream_id) == ("c1", "东安县", "c1")
    assert (row.outcome, row.problem, row.stream_version) == ("accepted", None, 1)
    assert (row.at, row.correlation_id) == (NOW, "corr-1")


async def test_a_refused_command_records_its_rule_when_the_domain_refuses():
    store = InMemoryEventStore()
    runner = _runner(store)
    with pytest.raises(CommandRejected) as refused:
        await _rename(runner, "c-missing", "新社区")
    [row] = store.audit
    assert (row.outcome, row.problem) == ("refused", refused.value.rule)
    assert (row.community_id, row.stream_version) == ("c-missing", None)
    assert await store.load("c-missing") == []


async def test_a_taken_name_is_recorded_as_refused_when_the_store_refuses_the_reservation():
    store = InMemoryEventStore()
    runner = _runner(store)
    await _register(runner, "c1", "茶亭社区")
    with pytest.raises(ReservationTaken):
        await _register(runner, "c2", "茶亭社区")
    assert [(r.stream_id, r.outcome, r.problem) for r in store.audit] == [
        ("c1", "accepted", None),
        ("c2", "refused", "reservation_taken"),
    ]
    assert store.audit[1].command_id != store.audit[0].command_id


async def test_a_command_with_nothing_to_change_is_recorded_as_accepted_at_the_same_version():
    store = InMemoryEventStore()
    runner = _runner(store)
    await _register(runner, "c1", "茶亭社区")
    await _rename(runner, "c1", "茶亭社区")
    assert [(r.command, r.outcome, r.stream_version) for r in store.audit] == [
        ("RegisterCommunity", "accepted", 1),
        ("RenameCommunity", "accepted", 1),
    ]


async def test_a_replayed_retry_records_nothing_when_the_key_answers():
    store = InMemoryEventStore()
    runner = _runner(store)
    ctx = CommandContext(actor="a", idempotency_key="a|POST /communities|k1", request_hash="h")
    await _register(runner, "c1", "茶亭社区", ctx)
    again = await _register(runner, "c1", "茶亭社区", ctx)
    assert again.replayed
    assert len(store.audit) == 1


def test_a_county_key_gives_a_county_level_row_when_the_stream_belongs_to_a_county():
    assert scope_of("county:东安县", None, object(), None) == (None, "东安县")


def test_the_actors_county_is_used_when_neither_aggregate_nor_command_has_one():
    assert scope_of("c1", object(), object(), "东安县") == ("c1", "东安县")
    assert scope_of(None, None, object(), None) == (None, None)
