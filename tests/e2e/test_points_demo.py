"""The demo's red points: scored automatically from the demo traffic of the other services,
and every member's statement reconciles (the sum of the entries is the balance)."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import httpx
import pytest

from tests.support.org_client import eventually

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def demo(stack) -> dict[str, Any]:
    found = stack.state.get("demo") or {}
    assert "points" in found, "make up loads the points demo; services.json has none"
    return dict(found)


def _sql(stack, query: str) -> list[asyncpg.Record]:
    async def run() -> list[asyncpg.Record]:
        conn = await asyncpg.connect(stack.state["services"]["points"]["database"])
        try:
            return list(await conn.fetch(query))
        finally:
            await conn.close()

    return asyncio.run(run())


def test_points_flowed_from_every_kind_of_demo_traffic(stack, demo):
    rows = _sql(stack, "SELECT rule_id, count(*) AS n FROM pt_entries GROUP BY rule_id")
    by_rule = {r["rule_id"]: r["n"] for r in rows}
    for rule in (
        "reported_for_duty",
        "request_resolved",
        "satisfied_rating",
        "volunteer_hours",
        "activity_no_show",
    ):
        assert by_rule.get(rule, 0) > 0, (rule, by_rule)
    unexplained = _sql(
        stack,
        "SELECT count(*) AS n FROM pt_entries WHERE kind IN ('award', 'deduction')"
        " AND (source_event_id IS NULL OR rule_id IS NULL OR rule_book IS NULL)",
    )
    assert unexplained[0]["n"] == 0


def test_every_members_statement_reconciles_with_the_ledger_over_the_whole_demo(stack, demo):
    """Two derivations agree for every member: the events in the store and the lines of
    the read model; and the statement's balance is the sum of its lines."""

    def settled() -> list[asyncpg.Record]:
        ledger = _sql(
            stack,
            "SELECT stream_id, sum((data->>'amount')::int) AS total, count(*) AS n"
            " FROM es_events WHERE event_type = 'PointsEntered.v1' GROUP BY stream_id",
        )
        lines = _sql(
            stack,
            "SELECT 'account:' || member_id AS stream_id, sum(amount) AS total, count(*) AS n"
            " FROM pt_entries GROUP BY member_id",
        )
        assert {r["stream_id"]: (r["total"], r["n"]) for r in ledger} == {
            r["stream_id"]: (r["total"], r["n"]) for r in lines
        }
        return ledger

    ledger = eventually(settled, timeout=120, interval=1.0)
    assert len(ledger) > 1000  # thousands of members earned points

    token = stack.token("county_admin", county=demo["county"], subject="points-demo-e2e")
    sample = demo["points"]["samples"]
    with httpx.Client(
        base_url=stack.url("points"), headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as client:
        member = sample["member"]["id"]
        statement = client.get(f"/members/{member}/statement", params={"limit": 1000}).json()
        assert statement["balance"] == sum(line["amount"] for line in statement["lines"])
        for community_id in demo["communities"].values():
            shelf = client.get(f"/communities/{community_id}/supermarket").json()
            assert shelf["items"]
            assert all(item["stock"] >= 0 for item in shelf["items"])
