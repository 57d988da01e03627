"""Test 6: one contract suite, run against the in-memory and the PostgreSQL event stores."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from grassroots_eventkit.codec import KafkaRecord
from grassroots_eventkit.store import (
    AppendBatch,
    ConcurrencyConflict,
    EventMetadata,
    EventStore,
    IdempotencyKeyTaken,
    IdempotencyRecord,
    NewEvent,
    Reservation,
    ReservationTaken,
)
from grassroots_eventkit.store.memory import InMemoryEventStore
from grassroots_eventkit.store.postgres import PostgresEventStore

from tests.support.databases import fresh_database

pytestmark = pytest.mark.contract

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(
    params=[
        pytest.param("memory", marks=pytest.mark.unit),
        pytest.param("postgres", marks=pytest.mark.integration),
    ]
)
async def store(request) -> AsyncIterator[EventStore]:
    if request.param == "memory":
        yield InMemoryEventStore()
        return
    stack = request.getfixturevalue("stack")
    async with fresh_database(stack) as (_dsn, pool):
        yield PostgresEventStore(pool, outbox_shards=4)


def batch(stream: str, expected: int, n: int = 1, **kw) -> AppendBatch:
    events = [NewEvent(uuid.uuid4(), "Ticked.v1", {"n": expected + i + 1}) for i in range(n)]
    outbox = [
        KafkaRecord(
            "t",
            b"k",
            f'{{"n": {expected + i + 1}}}'.encode(),
            (("ce_id", str(e.event_id).encode()),),
        )
        for i, e in enumerate(events)
    ]
    return AppendBatch(
        stream_id=stream,
        stream_type="counter",
        community_id="k",
        expected_version=expected,
        events=events,
        recorded_at=NOW,
        metadata=EventMetadata(actor="tester"),
        outbox=outbox,
        **kw,
    )


async def test_an_unknown_stream_loads_empty(store: EventStore):
    assert await store.load("nobody") == []


async def test_events_come_back_in_version_order_with_their_metadata(store: EventStore):
    assert await store.append(batch("s", 0, n=2)) == 2
    assert await store.append(batch("s", 2, n=1)) == 3
    loaded = await store.load("s")
    assert [e.version for e in loaded] == [1, 2, 3]
    assert [e.data["n"] for e in loaded] == [1, 2, 3]
    assert all(e.metadata == {"actor": "tester"} for e in loaded)
    assert all(e.recorded_at == NOW for e in loaded)
    assert loaded[0].global_position < loaded[1].global_position < loaded[2].global_position


async def test_append_is_refused_when_the_expected_version_is_stale(store: EventStore):
    await store.append(batch("s", 0, n=2))
    with pytest.raises(ConcurrencyConflict):
        await store.append(batch("s", 1))
    with pytest.raises(ConcurrencyConflict):
        await store.append(batch("s", 0))
    assert len(await store.load("s")) == 2


async def test_append_is_refused_when_the_expected_version_is_ahead(store: EventStore):
    await store.append(batch("s", 0))
    with pytest.raises(ConcurrencyConflict):
        await store.append(batch("s", 5))
    with pytest.raises(ConcurrencyConflict):
        await store.append(batch("new", 3))
    assert [e.version for e in await store.load("s")] == [1]


async def test_exactly_one_of_many_concurrent_appends_wins(store: EventStore):
    await store.append(batch("s", 0))
    results = await asyncio.gather(
        *(store.append(batch("s", 1)) for _ in range(8)), return_exceptions=True
    )
    assert sum(1 for r in results if r == 2) == 1
    assert sum(1 for r in results if isinstance(r, ConcurrencyConflict)) == 7
    assert len(await store.load("s")) == 2


async def test_outbox_records_are_written_with_their_events(store: EventStore):
    await store.append(batch("s", 0, n=3))
    pending = await store.pending_outbox()
    assert [r.value for r in pending] == [b'{"n": 1}', b'{"n": 2}', b'{"n": 3}']
    assert pending[0].headers[0][0] == "ce_id"


async def test_a_reservation_held_by_another_stream_refuses_the_whole_append(store: EventStore):
    name = Reservation("community-name", "东安县/茶亭社区")
    await store.append(batch("a", 0, reserve=[name]))
    with pytest.raises(ReservationTaken) as taken:
        await store.append(batch("b", 0, reserve=[name]))
    assert (taken.value.scope, taken.value.value) == ("community-name", "东安县/茶亭社区")
    assert await store.load("b") == []
    assert len(await store.pending_outbox()) == 1  # nothing of b's


async def test_a_released_reservation_can_be_taken_by_another_stream(store: EventStore):
    old = Reservation("community-name", "x/old")
    await store.append(batch("a", 0, reserve=[old]))
    await store.append(
        batch("a", 1, reserve=[Reservation("community-name", "x/new")], release=[old])
    )
    assert await store.append(batch("b", 0, reserve=[old])) == 1


async def test_a_stream_may_claim_again_what_it_already_holds(store: EventStore):
    name = Reservation("community-name", "x/same")
    await store.append(batch("a", 0, reserve=[name]))
    assert await store.append(batch("a", 1, reserve=[name])) == 2


async def test_an_idempotency_record_is_stored_with_the_append(store: EventStore):
    record = IdempotencyRecord("user|POST /x|k1", "h1", 201, {"id": "s", "version": 1})
    await store.append(batch("s", 0, idempotency=record))
    found = await store.find_idempotency("user|POST /x|k1")
    assert found == record
    assert await store.find_idempotency("user|POST /x|other") is None


async def test_a_reused_idempotency_key_refuses_the_append_and_writes_nothing(store: EventStore):
    record = IdempotencyRecord("k", "h", 201, {"id": "s", "version": 1})
    await store.append(batch("s", 0, idempotency=record))
    with pytest.raises(IdempotencyKeyTaken):
        await store.append(batch("t", 0, idempotency=record))
    assert await store.load("t") == []


async def test_load_after_a_version_returns_only_newer_events(store: EventStore):
    await store.append(batch("s", 0, n=3))
    assert [e.version for e in await store.load("s", after=1)] == [2, 3]
    assert await store.load("s", after=3) == []


async def test_the_aggregate_cache_catches_up_with_events_written_elsewhere(store: EventStore):
    from grassroots_eventkit.commands import CommandContext, CommandRunner
    from organisation_service.domain import community
    from organisation_service.publication import to_public

    runner = CommandRunner(store, source="/t", publication=to_public)
    register = community.RegisterCommunity(
        community_id="c1", name="茶亭社区", county="东安县", town="白牙市镇"
    )
    await runner.run(
        community.DECIDER,
        stream_id="c1",
        command=register,
        ctx=CommandContext(),
        community_of=community.community_of,
    )
    assert (await store.aggregates.read(community.DECIDER, "c1"))[1].name == "茶亭社区"
    # Another instance renames it: this store's cache still holds version 1.
    other = CommandRunner(store, source="/t", publication=to_public)
    store.aggregates.cache.drop(("community", "c1"))
    await other.run(
        community.DECIDER,
        stream_id="c1",
        command=community.RenameCommunity(community_id="c1", name="茶亭新社区"),
        ctx=CommandContext(),
        community_of=community.community_of,
    )
    store.aggregates.cache.put(
        ("community", "c1"), 1, community.Community("c1", "茶亭社区", "东安县", "白牙市镇")
    )
    version, state = await store.aggregates.read(community.DECIDER, "c1")
    assert (version, state.name) == (2, "茶亭新社区")


async def test_an_id_of_another_aggregate_type_reads_as_not_found(store: EventStore):
    from grassroots_eventkit.domain import NotFound
    from organisation_service.domain import community

    await store.append(batch("s", 0))
    with pytest.raises(NotFound):
        await store.aggregates.read(community.DECIDER, "s")
