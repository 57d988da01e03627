"""Group commit: several streams' appends in one transaction, each accepted or refused alone."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from grassroots_eventkit.codec import KafkaRecord
from grassroots_eventkit.store import (
    AppendBatch,
    ConcurrencyConflict,
    IdempotencyKeyTaken,
    IdempotencyRecord,
    NewEvent,
    Reservation,
    ReservationTaken,
)
from grassroots_eventkit.store.postgres import PostgresEventStore

from tests.support.databases import fresh_database

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def batch(stream: str, expected: int, **kw) -> AppendBatch:
    event = NewEvent(uuid.uuid4(), "Ticked.v1", {"stream": stream, "n": expected + 1})
    record = KafkaRecord("t", stream.encode(), b"{}", (("ce_id", str(event.event_id).encode()),))
    return AppendBatch(
        stream_id=stream,
        stream_type="t",
        community_id="k",
        expected_version=expected,
        events=[event],
        recorded_at=NOW,
        outbox=[record],
        **kw,
    )


async def test_each_batch_in_a_group_is_accepted_or_refused_on_its_own(stack):
    async with fresh_database(stack) as (_dsn, pool):
        store = PostgresEventStore(pool)
        await store.append(batch("old", 0, reserve=[Reservation("name", "old")]))
        await store.append(batch("holder", 0, reserve=[Reservation("name", "held")]))
        await store.append(batch("keyed", 0, idempotency=IdempotencyRecord("k1", "h", 201, {})))

        results = await store.append_many(
            [
                batch("new", 0, reserve=[Reservation("name", "new")]),
                batch("stale", 3),
                batch("grabber", 0, reserve=[Reservation("name", "held")]),
                batch("again", 0, idempotency=IdempotencyRecord("k1", "h", 201, {})),
                batch(
                    "old",
                    1,
                    reserve=[Reservation("name", "renamed")],
                    release=[Reservation("name", "old")],
                ),
            ]
        )

        assert results[0] == 1
        assert isinstance(results[1], ConcurrencyConflict)
        assert isinstance(results[2], ReservationTaken)
        assert (results[2].scope, results[2].value) == ("name", "held")
        assert isinstance(results[3], IdempotencyKeyTaken)
        assert results[4] == 2
        # Refused batches wrote nothing; accepted ones wrote events, outbox and claims.
        for refused in ("stale", "grabber", "again"):
            assert await store.load(refused) == []
        streams = {r["stream_id"] for r in await pool.fetch("SELECT stream_id FROM es_streams")}
        assert streams == {"old", "holder", "keyed", "new"}
        claims = dict(await pool.fetch("SELECT value, stream_id FROM es_reservations"))
        assert claims == {"held": "holder", "new": "new", "renamed": "old"}
        assert await pool.fetchval("SELECT count(*) FROM es_outbox") == 5


async def test_a_group_falls_back_to_one_by_one_when_two_batches_claim_one_value(stack):
    async with fresh_database(stack) as (_dsn, pool):
        store = PostgresEventStore(pool)
        results = await store.append_many(
            [
                batch("a", 0, reserve=[Reservation("name", "same")]),
                batch("b", 0, reserve=[Reservation("name", "same")]),
            ]
        )
        assert results[0] == 1
        assert isinstance(results[1], ReservationTaken)
        assert await store.load("b") == []


async def test_a_group_keeps_each_streams_outbox_in_version_order(stack):
    async with fresh_database(stack) as (_dsn, pool):
        store = PostgresEventStore(pool)
        two = batch("s", 0)
        two = AppendBatch(
            stream_id="s",
            stream_type="t",
            community_id="k",
            expected_version=0,
            events=[*two.events, NewEvent(uuid.uuid4(), "Ticked.v1", {"n": 2})],
            recorded_at=NOW,
            outbox=[KafkaRecord("t", b"s", f"{v}".encode(), ()) for v in (1, 2)],
        )
        assert await store.append_many([batch("r", 0), two]) == [1, 2]
        assert [e.version for e in await store.load("s")] == [1, 2]
        values = [r["value"] for r in await pool.fetch("SELECT value FROM es_outbox ORDER BY id")]
        assert values[-2:] == [b"1", b"2"]
