"""The write path over the in-memory store: idempotency, reservations, publication."""

from __future__ import annotations

import asyncio

import pytest
from grassroots_contracts.envelope import H_ACTOR, H_STREAM_VERSION
from grassroots_eventkit.commands import CommandContext, CommandRunner, IdempotencyKeyReused
from grassroots_eventkit.store.memory import InMemoryEventStore
from organisation_service.domain import community
from organisation_service.handlers.communities import community_name_claims
from organisation_service.publication import to_public

pytestmark = pytest.mark.unit


def _register(runner: CommandRunner, cid: str, name: str, ctx: CommandContext):
    cmd = community.RegisterCommunity(community_id=cid, name=name, county="东安县", town="白牙市镇")
    return runner.run(
        community.DECIDER,
        stream_id=cid,
        command=cmd,
        ctx=ctx,
        community_of=community.community_of,
        reservations=community_name_claims,
    )


async def test_a_command_appends_its_events_and_their_public_records():
    store = InMemoryEventStore()
    runner = CommandRunner(store, source="/grassroots/organisation", publication=to_public)
    accepted = await _register(runner, "c1", "茶亭社区", CommandContext(actor="admin-1"))
    assert (accepted.id, accepted.version, accepted.status_code) == ("c1", 1, 201)
    [record] = await store.pending_outbox()
    headers = dict(record.headers)
    assert headers[H_ACTOR] == b"admin-1"
    assert headers[H_STREAM_VERSION] == b"1"
    [stored] = await store.load("c1")
    assert str(stored.event_id) == headers["ce_id"].decode()


async def test_a_retry_with_the_same_key_returns_the_first_answer_and_writes_nothing():
    store = InMemoryEventStore()
    runner = CommandRunner(store, source="/t", publication=to_public)
    ctx = CommandContext(actor="a", idempotency_key="a|POST /communities|k1", request_hash="h")
    first = await _register(runner, "c1", "茶亭社区", ctx)
    # A retry makes a new id server-side; the key still answers with the first one.
    again = await _register(runner, "c2", "茶亭社区", ctx)
    assert (again.id, again.version, again.replayed) == ("c1", 1, True)
    assert first.replayed is False
    assert await store.load("c2") == []
    assert len(await store.pending_outbox()) == 1


class _SlowStore(InMemoryEventStore):
    async def append(self, batch):  # type: ignore[no-untyped-def]
        await asyncio.sleep(0.02)  # still writing when the client's retry arrives
        return await super().append(batch)


async def test_a_retry_that_queues_behind_its_own_first_request_gets_that_answer():
    store = _SlowStore()
    runner = CommandRunner(store, source="/t", publication=to_public)
    ctx = CommandContext(actor="a", idempotency_key="a|POST /communities|k2", request_hash="h")
    first, again = await asyncio.gather(
        _register(runner, "c1", "茶亭社区", ctx), _register(runner, "c1", "茶亭社区", ctx)
    )
    assert (first.id, first.version, first.replayed) == ("c1", 1, False)
    assert (again.id, again.version, again.replayed) == ("c1", 1, True)
    assert len(await store.load("c1")) == 1


async def test_a_reused_key_with_a_different_request_is_refused():
    runner = CommandRunner(InMemoryEventStore(), source="/t", publication=to_public)
    await _register(
        runner, "c1", "茶亭社区", CommandContext(idempotency_key="k", request_hash="h1")
    )
    with pytest.raises(IdempotencyKeyReused):
        await _register(
            runner, "c2", "山子岭社区", CommandContext(idempotency_key="k", request_hash="h2")
        )


async def test_a_command_that_changes_nothing_answers_200_with_the_current_version():
    store = InMemoryEventStore()
    runner = CommandRunner(store, source="/t", publication=to_public)
    await _register(runner, "c1", "茶亭社区", CommandContext())
    same = await runner.run(
        community.DECIDER,
        stream_id="c1",
        command=community.RenameCommunity(community_id="c1", name="茶亭社区"),
        ctx=CommandContext(),
        community_of=community.community_of,
    )
    assert (same.version, same.status_code) == (1, 200)
    assert len(await store.load("c1")) == 1
