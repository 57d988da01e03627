"""Two chaos scenarios end to end, through the code `make chaos` runs (docs/chaos.md): the
county mix runs a few seconds while poison lands on every event topic, then while the
points service is SIGKILLed and started again; afterwards every consumer group catches up
and every accepted command is in every read model it reaches, exactly once."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from grassroots_stack import processes
from grassroots_stack.chaos.scenarios import Plan, chosen
from grassroots_stack.chaos.trial import county_mix, heal, run_scenario
from grassroots_stack.layout import Layout, load_layout
from grassroots_stack.load.mix import CountyMix

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

# Short: a few seconds of load at a gentle rate, the fault a second after the first answer.
SHORT = Plan(rate=20.0, seconds=5.0, lead_s=1.0, down_s=0.5, catch_up_s=120.0, retry_for=30.0)


@pytest.fixture(scope="module")
async def prepared(stack: Any) -> AsyncIterator[tuple[Layout, CountyMix]]:
    layout = load_layout()
    assert layout.kafka_bootstrap == stack.kafka, (
        "GRASSROOTS_PORT_OFFSET differs from the running stack's: set it as for `stack up`"
    )
    mix = await CountyMix.prepare(layout, seed=9, retry_for=SHORT.retry_for)
    yield layout, mix
    await mix.close()


@pytest.fixture(autouse=True)
async def healed(prepared: tuple[Layout, CountyMix]) -> AsyncIterator[None]:
    """A scenario stopped half-way (by the timeout) can leave the service it killed down;
    every test after this file needs the whole stack, so start whatever is not running."""
    yield
    await heal(prepared[0])


@pytest.mark.parametrize("name", ["malformed-messages", "kill-points"])
async def test_every_accepted_command_is_in_every_read_model_once_when_(
    prepared: tuple[Layout, CountyMix], name: str
) -> None:
    layout, mix = prepared
    [scenario] = chosen(quick=True, names=[name])
    row = await run_scenario(layout, SHORT, scenario, county_mix(mix))
    assert row["accepted"] > 0
    assert (row["lost"], row["duplicated"]) == (0, 0), row["notes"]
    assert row["found"] == row["accepted"]
    assert row["catch_up_s"] is not None, row["problems"]
    assert row["totals_agree"], row["problems"]
    assert row["problems"] == []
    assert row["ok"]
    assert row["probes"] > row["accepted"]  # every command was looked for somewhere
    if name == "malformed-messages":
        kinds = {p["kind"] for p in row["poison"]}
        assert kinds == {"undecodable", "unknown-type", "wrong-schema"}
        assert all(p["dead_lettered_by"] for p in row["poison"] if p["kind"] == "undecodable")
    else:
        assert any("SIGKILLed" in step for step in row["fault"])
        # The state file names the new process, as `stack up` would.
        recorded = json.loads(layout.state_file.read_text())["services"]["points"]["pid"]
        assert recorded == processes.is_running(layout.pids, "points")
