"""Audit rows in PostgreSQL: written with the append's transaction, never without it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from grassroots_eventkit import audit
from grassroots_eventkit.audit import AuditEntry
from grassroots_eventkit.store import AppendBatch, ConcurrencyConflict, NewEvent
from grassroots_eventkit.store.postgres import PostgresEventStore

from tests.support.databases import fresh_database

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def entry(stream: str, version: int | None, outcome: str = "accepted") -> AuditEntry:
    return AuditEntry(
        command_id=uuid.uuid4(),
        command="Tick",
        actor="staff-1",
        actor_roles=("community_staff",),
        community_id="c1",
        county="东安县",
        stream_id=stream,
        stream_version=version,
        at=NOW,
        outcome=outcome,  # type: ignore[arg-type]
        problem=None if outcome == "accepted" else "some_rule",
        correlation_id="corr-1",
    )


def batch(stream: str, expected: int) -> AppendBatch:
    return AppendBatch(
        stream_id=stream,
        stream_type="t",
        community_id="c1",
        expected_version=expected,
        events=[NewEvent(uuid.uuid4(), "Ticked.v1", {"n": expected + 1})],
        recorded_at=NOW,
        audit=entry(stream, expected + 1),
    )


async def streams_with_rows(pool) -> list[tuple[str, int]]:
    found = await pool.fetch("SELECT stream_id, stream_version FROM ek_audit ORDER BY id")
    return [(r["stream_id"], r["stream_version"]) for r in found]


async def test_a_row_is_written_only_for_appends_that_commit_alone_or_in_a_group(stack):
    async with fresh_database(stack) as (_dsn, pool):
        store = PostgresEventStore(pool)
        await store.append(batch("a", 0))
        with pytest.raises(ConcurrencyConflict):
            await store.append(batch("a", 0))  # stale: no events, so no row
        results = await store.append_many([batch("a", 1), batch("b", 0), batch("c", 5)])
        assert results[:2] == [2, 1]
        assert isinstance(results[2], ConcurrencyConflict)
        assert await streams_with_rows(pool) == [("a", 1), ("a", 2), ("b", 1)]


async def test_a_refusal_row_stands_alone_and_reads_back_through_the_query(stack):
    async with fresh_database(stack) as (_dsn, pool):
        store = PostgresEventStore(pool)
        await store.append(batch("a", 0))
        await store.record_audit(entry("a", None, "refused"))
        rows = await audit.query(pool, audit.AuditQuery(communities=["c1"], limit=10))
        assert [(r["outcome"], r["problem"], r["stream_version"]) for r in rows] == [
            ("refused", "some_rule", None),
            ("accepted", None, 1),
        ]
        assert list(rows[0]["actor_roles"]) == ["community_staff"]
        assert rows[0]["county"] == "东安县"
        other_county = audit.AuditQuery(county="别的县", limit=10)
        assert await audit.query(pool, other_county) == []
        page = await audit.query(pool, audit.AuditQuery(before_id=rows[0]["id"], limit=10))
        assert [r["id"] for r in page] == [rows[1]["id"]]
