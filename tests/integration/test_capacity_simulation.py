"""The capacity simulation drives the real projection code: a tiny province through the
same phases as `grassroots capacity simulate`, into a PostgreSQL database of its own, and
every read model holds exactly what the synthetic events say.

The expected figures are folded here from the Kafka records themselves (their JSON
payloads and CloudEvents headers), not from the generator's plans nor the views' SQL."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from grassroots_contracts.topics import ORGANISATION_EVENTS, REQUESTS_EVENTS
from grassroots_stack.capacity.simulation import Plan, Simulation, midnight
from grassroots_stack.capacity.timeline import Published
from projections_service.views.registry import VIEWS
from projections_service.views.requests_figures import status_counts

from tests.support.databases import fresh_database

pytestmark = pytest.mark.integration

NOW = midnight(datetime(2026, 5, 11, 12, 0, tzinfo=UTC))  # a Monday
PLAN = Plan(communities=8, per_county=4, days=2, history_days=6, now=NOW, batch=97)
FINAL = {"RequestCancelled": "cancelled", "RequestRejected": "rejected", "RequestMerged": "merged"}


class Tally:
    """Per community, what the records say the read models must hold."""

    def __init__(self) -> None:
        self.records: list[Published] = []

    def watch(self, batch: Sequence[Published]) -> None:
        self.records += batch

    def payloads(self, event: str) -> list[dict[str, Any]]:
        return [
            json.loads(p.record.value) for p in self.records if p.event_type.split(".")[2] == event
        ]

    def count(self, event: str, by: str = "community_id") -> Counter[str]:
        return Counter(e[by] for e in self.payloads(event))

    def total(self, event: str, field: str) -> dict[str, Decimal]:
        sums: dict[str, Decimal] = defaultdict(Decimal)
        for e in self.payloads(event):
            sums[e["community_id"]] += Decimal(str(e[field]))
        return dict(sums)

    def households(self) -> dict[str, int]:
        return _sum_by(self.payloads("HouseholdsAdded"), "households")

    def final_statuses(self) -> dict[str, Counter[str]]:
        """The requests ended by a final event, per community and status; a request
        submitted before the window (in the warm-up) has no row for its end to update."""
        submitted = {e["request_id"] for e in self.payloads("RequestSubmitted")}
        out: dict[str, Counter[str]] = defaultdict(Counter)
        for event, status in (*FINAL.items(), ("RequestClosed", "closed")):
            for e in self.payloads(event):
                if e["request_id"] in submitted:
                    out[e["community_id"]][status] += 1
        return out

    def reports(self) -> Counter[str]:
        """Distinct (member, period) reports per community reported to."""
        seen = {
            (e["community_id"], e["member_id"], e["period"])
            for e in self.payloads("MemberReported")
        }
        return Counter(c for c, _, _ in seen)

    def topic_events(self, topics: Sequence[str]) -> int:
        return sum(1 for p in self.records if p.record.topic in topics)


def _sum_by(payloads: list[dict[str, Any]], field: str) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for e in payloads:
        out[e["community_id"]] += len(e[field])
    return dict(out)


async def _per_community(pool: Any, sql: str) -> dict[str, Any]:
    return {r[0]: r[1] for r in await pool.fetch(sql)}


async def test_the_simulation_fills_every_view_with_exactly_its_synthetic_events(stack):
    migrations = tuple(m for v in VIEWS for m in v.migrations)
    async with fresh_database(stack, extra=migrations) as (_dsn, pool):
        tally = Tally()
        sim = Simulation(pool, PLAN, watch=tally.watch)
        joined = await sim.onboarding()
        lived = await sim.history()
        province = await sim.province_days()

        assert min(joined.events, lived.events, province.events) > 0
        # Every view took every record of its topics, each applied once.
        for phase in (joined, lived, province):
            for v in VIEWS:
                tallied = phase.views[v.name]
                assert tallied.applied == tallied.events
        applied = {v.name: sum(p.views[v.name].applied for p in (joined, lived, province))
                   for v in VIEWS}  # fmt: skip
        for v in VIEWS:
            assert applied[v.name] == tally.topic_events(v.topics), v.name
        dedupe = await _per_community(
            pool, "SELECT consumer, count(*) FROM ek_processed_events GROUP BY 1"
        )
        assert dedupe == {v.group: applied[v.name] for v in VIEWS if applied[v.name]}

        # The organisation: every community registered, the first county's grid in full.
        assert await _per_community(pool, "SELECT community_id, county FROM pj_communities") == {
            e["community_id"]: e["county"] for e in tally.payloads("CommunityRegistered")
        }
        assert (
            await _per_community(
                pool, "SELECT community_id, count(*) FROM pj_org_households GROUP BY 1"
            )
            == tally.households()
        )
        assert await _per_community(
            pool, "SELECT community_id, count(*) FROM pj_org_members GROUP BY 1"
        ) == dict(tally.count("MemberRegistered"))
        assert await _per_community(
            pool, "SELECT community_id, count(*) FROM pj_org_reports GROUP BY 1"
        ) == dict(tally.reports())

        # Requests: each one once, ended ones in their final status, ratings and whistles.
        assert await _per_community(
            pool, "SELECT community_id, count(*) FROM pj_rq_requests GROUP BY 1"
        ) == dict(tally.count("RequestSubmitted"))
        for community, ended in tally.final_statuses().items():
            counts = await status_counts(pool, community)
            assert {s: counts[s] for s in ended} == dict(ended), community
        assert await _per_community(
            pool, "SELECT community_id, count(*) FROM pj_rq_ratings GROUP BY 1"
        ) == dict(tally.count("RequestRated"))
        assert await _per_community(
            pool, "SELECT community_id, count(*) FROM pj_rq_whistles GROUP BY 1"
        ) == dict(tally.count("RequestEscalated"))

        # Volunteering and points: hours, activities, slots, every ledger line.
        assert await _per_community(
            pool, "SELECT community_id, sum(hours) FROM pj_vo_hours GROUP BY 1"
        ) == tally.total("HoursCertified", "hours")
        assert await _per_community(
            pool, "SELECT community_id, count(*) FROM pj_vo_activities GROUP BY 1"
        ) == dict(tally.count("ActivityScheduled"))
        assert await _per_community(
            pool, "SELECT community_id, count(*) FROM pj_vo_slots GROUP BY 1"
        ) == _sum_by(tally.payloads("ShiftSlotsOpened"), "slots")
        assert await _per_community(
            pool, "SELECT community_id, sum(amount) FROM pj_pt_entries GROUP BY 1"
        ) == {c: int(v) for c, v in tally.total("PointsEntered", "amount").items()}
        assert await _per_community(
            pool, "SELECT community_id, count(*) FROM pj_pt_redemptions GROUP BY 1"
        ) == dict(tally.count("RedemptionRecorded"))

        # The province phase reached the other county: its communities have requests.
        others = {p.community_id for p in sim.county(1)}
        assert others & set(tally.count("RequestSubmitted"))
        assert tally.topic_events([ORGANISATION_EVENTS.name, REQUESTS_EVENTS.name]) > 0
