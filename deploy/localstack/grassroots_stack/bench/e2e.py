"""`grassroots bench e2e` (`make bench`): the county mix at rising rates against the
running local stack, from this separate process.

For each step: commands/s achieved against the rate asked, p50/p99 latency from each
command's scheduled moment to its answer, p50/p99 from a submission's answer until the
community dashboard counts it, and the CPU each process burned. Before the steps, the
raw ceilings of the same servers (a durable PostgreSQL transaction per command; Kafka's
ProducerPerformance); after them, a py-spy profile of the busiest service at the
highest sustained rate. Writes bench/results/e2e.json, e2e.md and e2e.png.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from grassroots_stack.bench import ceilings, pg_statements, plot, profile, report
from grassroots_stack.bench.probe import DashboardProbe
from grassroots_stack.bench.resources import Meter
from grassroots_stack.layout import Layout
from grassroots_stack.load.mix import CountyMix, RunStats

console = Console()

GOALS = {"sustained_cmds_per_s": 1000, "cmd_latency_p99_ms": 100, "cmd_to_dashboard_p99_ms": 500}
SUSTAINED = 0.95  # a step is sustained when this share of the asked rate is accepted
SETTLE_S = 60.0  # the most a step waits for the dashboard to show its last submission


@dataclass(frozen=True)
class Plan:
    rates: tuple[int, ...]
    step_seconds: float
    raw_pg_seconds: float
    kafka_records: int
    profile_seconds: float
    idle_seconds: float

    @classmethod
    def of(cls, quick: bool) -> Plan:
        if quick:
            return cls((50, 100), 5.0, 2.0, 50_000, 5.0, 2.0)
        return cls(
            (25, 50, 100, 150, 200, 300, 400, 600, 800, 1000, 1200), 30.0, 10.0, 500_000, 20.0, 10.0
        )


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * q))], 1)


def _step_row(stats: RunStats, probe: DashboardProbe, cpu: dict[str, float]) -> dict[str, Any]:
    lat = stats.latencies_ms
    return {
        "rate": stats.rate,
        "seconds": round(stats.elapsed_s, 1),
        "scheduled": stats.scheduled,
        "accepted": stats.accepted,
        "achieved_per_s": round(stats.achieved_per_s, 1),
        "sustained": _sustained(stats),
        "refused": dict(stats.refused),
        "failed": stats.failed,
        "shed": stats.shed,
        "by_kind": dict(stats.by_kind),
        "cmd_latency_ms": {
            "p50": _pct(lat, 0.50),
            "p90": _pct(lat, 0.90),
            "p99": _pct(lat, 0.99),
            "max": round(max(lat), 1) if lat else None,
        },
        "cmd_latency_ms_by_kind": {
            kind: {"p50": _pct(values, 0.50), "p99": _pct(values, 0.99)}
            for kind, values in sorted(stats.kind_latencies_ms.items())
        },
        "cmd_to_dashboard_ms": {
            "p50": _pct(probe.delays_ms, 0.50),
            "p99": _pct(probe.delays_ms, 0.99),
            "samples": len(probe.delays_ms),
            "poll_p50_ms": _pct(probe.poll_ms, 0.50),
        },
        "cpu_s_per_1000_cmds": {
            name: round(seconds * 1000 / max(1, stats.accepted), 2)
            for name, seconds in sorted(cpu.items(), key=lambda kv: -kv[1])
        },
        "cpu_share_of_2_cores": {
            name: round(seconds / stats.elapsed_s / (os.cpu_count() or 1), 3)
            for name, seconds in sorted(cpu.items(), key=lambda kv: -kv[1])
        },
    }


def _sustained(stats: RunStats) -> bool:
    return (
        stats.accepted >= SUSTAINED * stats.scheduled
        and not stats.failed
        and not stats.shed
        and stats.elapsed_s <= stats.seconds * 1.1
    )


async def _step(
    mix: CountyMix, probe: DashboardProbe, meter: Meter, rate: int, seconds: float
) -> dict[str, Any]:
    await mix.top_up(float(rate), seconds)
    await probe.start_step()
    before = meter.sample()
    stop = asyncio.Event()
    watching = asyncio.create_task(probe.watch(stop))
    sampling = asyncio.create_task(_sample_memory(meter, stop))
    stats = await mix.run(float(rate), seconds, on_accepted=probe.on_accepted)
    after = meter.sample()
    stop.set()
    await asyncio.gather(watching, sampling)
    if not await probe.settle(SETTLE_S):
        console.print(f"[yellow]the dashboard did not show every submission in {SETTLE_S:.0f} s")
    cpu = {name: after[name] - before.get(name, 0.0) for name in after}
    row = _step_row(stats, probe, cpu)
    console.print(report.step_line(row))
    return row


async def _idle_cpu(meter: Meter, seconds: float) -> dict[str, float]:
    """Each process's CPU share with no load: the floor under every step's figures."""
    before = meter.sample()
    await asyncio.sleep(seconds)
    after = meter.sample()
    cores = os.cpu_count() or 1
    return {n: round((after[n] - before.get(n, 0.0)) / seconds / cores, 3) for n in after}


async def _sample_memory(meter: Meter, stop: asyncio.Event) -> None:
    while not stop.is_set():
        meter.sample()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)


async def run(layout: Layout, plan: Plan) -> dict[str, Any]:
    console.print("Raw ceilings on the stack's own servers")
    raw_pg = await ceilings.raw_pg_tx_per_s(layout, 16, plan.raw_pg_seconds)
    producer = await ceilings.kafka_producer_records_per_s(layout, plan.kafka_records, 512)
    console.print(f"Kafka ProducerPerformance: {producer['records_per_s']:,.0f} records/s")
    console.print("Preparing the county mix (households, activities, rotas, points)")
    mix = await CountyMix.prepare(layout, seed=1)
    community = mix.county.communities[0]
    probe = DashboardProbe(mix.county.urls["projections"], mix.county.admin_token, community)
    meter = Meter(layout)
    steps: list[dict[str, Any]] = []
    try:
        idle = await _idle_cpu(meter, plan.idle_seconds)
        for rate in plan.rates:
            row = await _step(mix, probe, meter, rate, plan.step_seconds)
            steps.append(row)
            if not row["sustained"]:
                break  # past the knee: higher rates only queue
        best = _best(steps)
        hot = _busiest_service(best)
        console.print(f"Profiling {hot} at {best['rate']} commands/s")
        pid = json.loads(layout.state_file.read_text())["services"][hot]["pid"]
        await mix.top_up(float(best["rate"]), plan.profile_seconds)
        await pg_statements.reset(layout)
        profiled, profiled_run = await asyncio.gather(
            profile.record(hot, pid, plan.profile_seconds),
            mix.run(float(best["rate"]), plan.profile_seconds),
        )
        statements = await pg_statements.top(layout, profiled_run.accepted)
    finally:
        await mix.close()
        await probe.close()
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "arch": platform.machine(),
            "note": "load generator, five services, Kafka and PostgreSQL share these CPUs",
        },
        "goals": GOALS,
        "sustained_cmds_per_s": best["achieved_per_s"] if best["sustained"] else 0.0,
        "cmd_latency_ms": {k: best["cmd_latency_ms"][k] for k in ("p50", "p99")},
        "cmd_to_dashboard_ms": {k: best["cmd_to_dashboard_ms"][k] for k in ("p50", "p99")},
        "rss_mb": {name: round(mb, 1) for name, mb in sorted(meter.peak_mb.items())},
        "raw_pg_tx_per_s": round(raw_pg, 1),
        "kafka_producer_records_per_s": producer["records_per_s"],
        "kafka_producer": producer,
        "idle_cpu_share_of_2_cores": idle,
        "steps": steps,
        "profile": {
            "service": profiled.service,
            "rate": best["rate"],
            "seconds": profiled.seconds,
            "samples": profiled.samples,
            "self": profiled.self_share,
            "inclusive": profiled.inclusive_share,
            "postgres_statements": statements,
        },
        "plan": {"rates": list(plan.rates), "step_seconds": plan.step_seconds},
    }


def _best(steps: list[dict[str, Any]]) -> dict[str, Any]:
    """The highest sustained step; the first step when none was."""
    held = [s for s in steps if s["sustained"]]
    return max(held, key=lambda s: s["rate"]) if held else steps[0]


def _busiest_service(step: dict[str, Any]) -> str:
    services = ("organisation", "requests", "volunteering", "points", "projections")
    shares = step["cpu_share_of_2_cores"]
    return max(services, key=lambda s: shares.get(s, 0.0))


def main(layout: Layout, *, quick: bool = False) -> int:
    result = asyncio.run(run(layout, Plan.of(quick)))
    out = layout.root / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "e2e.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    (out / "e2e.md").write_text(report.markdown(result))
    plot.write(result, out / "e2e.png")
    table = Table(title="End-to-end benchmark")
    for col in ("figure", "measured", "goal"):
        table.add_column(col)
    for figure, measured, goal in report.headline(result):
        table.add_row(figure, measured, goal)
    console.print(table)
    written = ", ".join(str(Path(out / f).relative_to(layout.root)) for f in ("e2e.json", "e2e.md"))
    console.print(f"wrote {written} and e2e.png")
    return 0
