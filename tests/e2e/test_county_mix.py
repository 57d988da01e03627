"""The load that `make bench` and `make chaos` send is real: a short run of the county mix
gets every kind of command accepted, refuses none, and what it reports accepted is what
the services hold."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from grassroots_stack.layout import load_layout
from grassroots_stack.load.mix import WEIGHTS, Accepted, CountyMix, RunStats

pytestmark = pytest.mark.e2e

RATE, SECONDS = 20.0, 8.0


@pytest.fixture(scope="module")
def run(stack) -> tuple[RunStats, list[Accepted]]:
    assert "demo" in stack.state, "the county mix needs the demo county: make up loads it"
    ledger: list[Accepted] = []

    async def go() -> RunStats:
        mix = await CountyMix.prepare(load_layout(), seed=11)
        try:
            return await mix.run(RATE, SECONDS, on_accepted=ledger.append)
        finally:
            await mix.close()

    return asyncio.run(go()), ledger


def test_every_kind_is_accepted_and_none_refused(run):
    stats, ledger = run
    assert stats.scheduled == int(RATE * SECONDS)
    assert (dict(stats.refused), stats.failed, stats.shed) == ({}, 0, 0)
    assert stats.accepted == len(ledger) == stats.scheduled
    assert set(stats.by_kind) == set(WEIGHTS)
    assert all(a.latency_ms > 0 and a.target for a in ledger)


def test_what_the_ledger_says_was_accepted_is_held_by_the_services(run, stack):
    _, ledger = run
    token = stack.token("county_admin", county=stack.state["demo"]["county"], subject="mix-e2e")
    headers = {"Authorization": f"Bearer {token}"}
    submitted = {a.target for a in ledger if a.kind == "submit"}
    rated = {a.target for a in ledger if a.kind == "rate"}
    with httpx.Client(base_url=stack.url("requests"), headers=headers, timeout=30) as requests:
        for request_id in submitted:
            shown = requests.get(f"/requests/{request_id}")
            assert shown.status_code == 200, shown.text
            if request_id in rated:
                assert shown.json()["status"] == "closed", shown.json()
    signed = [(a.target, a.member) for a in ledger if a.kind == "sign_up"]
    with httpx.Client(base_url=stack.url("volunteering"), headers=headers, timeout=30) as vol:
        for activity_id, member in signed:
            shown = vol.get(f"/activities/{activity_id}").json()
            assert member in shown["confirmed"], (activity_id, member)
