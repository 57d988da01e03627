"""`grassroots chaos [--quick] [--scenario NAME ...]`: the scenarios one after another on
the running stack; the table, and (for a whole run) bench/results/chaos.json and .md."""

from __future__ import annotations

import asyncio
from typing import Any

from rich.console import Console

from grassroots_stack.chaos import report
from grassroots_stack.chaos.scenarios import FULL, QUICK, chosen
from grassroots_stack.chaos.trial import county_mix, run_scenario
from grassroots_stack.layout import Layout
from grassroots_stack.load.mix import CountyMix

console = Console(width=max(Console().width, 110))
SEED = 1


async def _run(layout: Layout, quick: bool, names: list[str] | None) -> list[dict[str, Any]]:
    plan = QUICK if quick else FULL
    scenarios = chosen(quick, names)
    mix = await CountyMix.prepare(layout, seed=SEED, retry_for=plan.retry_for)
    rows = []
    try:
        for scenario in scenarios:
            console.print(f"[bold]{scenario.name}[/bold]: {scenario.about}")
            row = await run_scenario(layout, plan, scenario, county_mix(mix))
            report.print_rows(console, [row], scenario.name)
            rows.append(row)
    finally:
        await mix.close()
    return rows


def main(layout: Layout, *, quick: bool = False, names: list[str] | None = None) -> int:
    if not layout.state_file.exists():
        raise RuntimeError("the stack is not running: `grassroots stack up` first")
    rows = asyncio.run(_run(layout, quick, names))
    plan = QUICK if quick else FULL
    report.print_rows(console, rows, f"Chaos: {len(rows)} scenarios")
    if not names:
        written = report.write(
            layout.root, rows, report.meta(quick, plan.rate, plan.seconds, plan.lead_s)
        )
        console.print("wrote " + " and ".join(str(p.relative_to(layout.root)) for p in written))
    return 0 if all(r["ok"] for r in rows) else 1
