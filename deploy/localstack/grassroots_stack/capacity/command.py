"""`grassroots capacity simulate`: the simulation on the running stack's PostgreSQL, in a
database of its own (never the live projections database), and the figures it gives,
written to bench/results/capacity.json. See docs/capacity.md."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import random
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from grassroots_eventkit.db import create_pool
from grassroots_eventkit.migrations import migrate
from grassroots_eventkit.store.schema import EVENTKIT_MIGRATIONS
from projections_service.views.registry import VIEWS
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn
from rich.table import Table

from grassroots_stack import kafka, postgres
from grassroots_stack.bench.ceilings import scratch_database
from grassroots_stack.capacity import (
    double_report,
    grow,
    kafka_path,
    latency,
    report,
    stack_figures,
    sweep,
)
from grassroots_stack.capacity.places import Place, places
from grassroots_stack.capacity.province import Window, daily, onboarding, rosters
from grassroots_stack.capacity.scale import PROVINCE_COMMUNITIES, PROVINCE_COUNTIES, Province
from grassroots_stack.capacity.simulation import PhaseResult, Plan, Simulation, midnight
from grassroots_stack.capacity.sizes import TableSize, database_bytes, dedupe_rows, view_sizes
from grassroots_stack.capacity.timeline import Published, Timeline
from grassroots_stack.layout import Layout

console = Console()

MIGRATIONS = (*EVENTKIT_MIGRATIONS, *(m for v in VIEWS for m in v.migrations))
SWEEP_COMMUNITIES, SWEEP_DAYS = 120, 14
LATENCY_SAMPLE = 40  # communities whose picture is timed, per group
GROW_COPIES = 4  # the simulated county-year five times over, for the dashboard's timings


def plan_for(*, communities: int | None, days: int, history_days: int | None, quick: bool) -> Plan:
    now = midnight(datetime.now(UTC))
    if quick:
        return Plan(
            communities=communities or 480, days=days, history_days=history_days or 14, now=now
        )
    return Plan(
        communities=communities or PROVINCE_COMMUNITIES,
        days=days,
        history_days=history_days or 365,
        now=now,
    )


class Bar:
    """One progress bar over the whole run: events applied of those expected, events/s,
    and the time left at the rate so far."""

    def __init__(self, progress: Progress, expected: int) -> None:
        self._progress = progress
        self._task: TaskID = progress.add_task("simulating", total=expected, rate="", phase="")
        self._started = time.perf_counter()
        self._done = 0

    def __call__(self, phase: str, n: int) -> None:
        self._done += n
        rate = self._done / max(1e-6, time.perf_counter() - self._started)
        self._progress.update(self._task, advance=n, phase=phase, rate=f"{rate:,.0f} events/s")


def expected_events(plan: Plan) -> int:
    """A probe: a few communities' onboarding and four weeks, scaled to the plan."""
    probe = Province(communities=4, per_county=4)
    window = Window(plan.now, 28)
    planned = rosters(places(probe, plan.seed + 1), probe.shape, plan.seed + 1)
    joined = len(onboarding(planned, window)) / len(planned)
    per_day = sum(map(len, daily(planned, probe.rates, window, plan.seed + 1))) / (4 * 28)
    county = min(plan.per_county, plan.communities)
    rest = plan.communities - county
    return round(county * (joined + per_day * plan.history_days) + rest * (1 + per_day * plan.days))


def _sizes(snapshot: dict[str, list[TableSize]]) -> dict[str, object]:
    return {
        view: {
            "total_bytes": sum(t.total_bytes for t in tables),
            "tables": [t.as_dict() for t in tables],
        }
        for view, tables in snapshot.items()
    }


async def _latency(pool: asyncpg.Pool, sim: Simulation, rounds: int) -> list[dict[str, object]]:
    rng = random.Random(sim.plan.seed)
    first = sim.county(0)
    others = sim.places[len(first) :]
    history = [p.community_id for p in rng.sample(first, min(LATENCY_SAMPLE, len(first)))]
    found: list[latency.Timings] = [
        await latency.community_pictures(
            pool,
            history,
            sim.plan.now,
            rounds=rounds,
            label=f"community picture, {sim.plan.history_days} days of history",
        ),
        await latency.county_overviews(
            pool, first[0].county, sim.plan.now, rounds=5 * rounds, label="county overview"
        ),
    ]
    if others:
        sample = [p.community_id for p in rng.sample(others, min(LATENCY_SAMPLE, len(others)))]
        found.append(
            await latency.community_pictures(
                pool,
                sample,
                sim.plan.now,
                rounds=rounds,
                label=f"community picture, {sim.plan.days} day(s) of history",
            )
        )
    return [t.as_dict() for t in found]


def _fresh_county(plan: Plan, seed: int, communities: int) -> list[Published]:
    """Communities of a county of their own (ids no other phase used), onboarded and
    living two weeks, as records in time order."""
    probe = Province(communities=communities, per_county=communities)
    county: list[Place] = [replace(p, county=f"容量测试县{seed}") for p in places(probe, seed)]
    window = Window(plan.now, SWEEP_DAYS)
    planned = rosters(county, probe.shape, seed)
    timeline = Timeline()
    records = list(timeline.publish(onboarding(planned, window)))
    for chunk in daily(planned, probe.rates, window, seed):
        records += timeline.publish(chunk)
    return records


async def _sweep(pool: asyncpg.Pool, plan: Plan, quick: bool) -> list[dict[str, object]]:
    records = _fresh_county(plan, plan.seed + 2, 12 if quick else SWEEP_COMMUNITIES)
    return [(await sweep.sweep_view(pool, v, records)).as_dict() for v in VIEWS]


async def _through_kafka(
    layout: Layout, pool: asyncpg.Pool, plan: Plan, quick: bool
) -> dict[str, object]:
    records = _fresh_county(plan, plan.seed + 3, 12 if quick else SWEEP_COMMUNITIES)
    return await kafka_path.run(layout.kafka_bootstrap, kafka.admin_security(layout), pool, records)


async def _grown(
    pool: asyncpg.Pool, sim: Simulation, copies: int, rounds: int
) -> dict[str, object]:
    """The first county's rows copied `copies` times, then the dashboard timed again."""
    console.print(f"copying the simulated county's read models {copies} times …")
    added = await grow.grow(pool, [p.community_id for p in sim.county(0)], copies)
    return {
        "copies": copies,
        "rows_added": added,
        "database_bytes": await database_bytes(pool),
        "sizes": _sizes(await view_sizes(pool)),
        "dashboard_latency": await _latency(pool, sim, rounds),
    }


def _checkpoint(layout: Layout, plan: Plan, phases: list[PhaseResult]) -> None:
    """The phases done so far, in case the run is stopped before its end (a full run is
    about an hour on a shared machine)."""
    target = layout.root / "bench" / "results" / "capacity-partial.json"
    body = {"plan": plan.as_dict(), "phases": [p.as_dict() for p in phases]}
    target.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n")


async def _postgres_settings(pool: asyncpg.Pool) -> dict[str, str]:
    names = ("server_version", "shared_buffers", "work_mem", "synchronous_commit", "fsync")
    return {n: str(await pool.fetchval(f"SHOW {n}")) for n in names}


async def run(layout: Layout, plan: Plan, *, quick: bool, keep: bool) -> dict[str, Any]:
    load_before = os.getloadavg()
    async with scratch_database(layout, 4, prefix="capacity", keep=keep) as pool:
        name = str(await pool.fetchval("SELECT current_database()"))
        await migrate(pool, MIGRATIONS)
        rounds = 2 if quick else 3
        expected = expected_events(plan)
        console.print(
            f"simulating {plan.communities:,} communities in {plan.province.counties} counties: "
            f"one county onboarded with {plan.history_days} days, the others {plan.days} "
            f"day(s); about {expected:,} events into database {name}"
        )
        with Progress(
            TextColumn("{task.fields[phase]:<11}"),
            BarColumn(),
            TextColumn("{task.completed:>11,.0f}/{task.total:,.0f}"),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            console=console,
        ) as bar:
            sim = Simulation(pool, plan, progress=Bar(bar, expected))
            joined = await sim.onboarding()
            after_onboarding = await view_sizes(pool)
            lived = await sim.history()
            after_history = await view_sizes(pool)
            _checkpoint(layout, plan, [joined, lived])
            province = await sim.province_days()
        phases: list[PhaseResult] = [joined, lived, province]
        console.print("measuring table sizes and dashboard latency …")
        after_all = await view_sizes(pool)
        result: dict[str, Any] = {
            "plan": plan.as_dict(),
            "phases": [p.as_dict() for p in phases],
            "sizes_after_onboarding": _sizes(after_onboarding),
            "sizes_after_history": _sizes(after_history),
            "sizes_after_province": _sizes(after_all),
            "dedupe_rows_by_group": await dedupe_rows(pool),
            "database_bytes": await database_bytes(pool),
            "dashboard_latency": await _latency(pool, sim, rounds),
        }
        console.print("batch size sweep …")
        result["batch_size_sweep"] = await _sweep(pool, plan, quick)
        console.print("the same through Kafka …")
        result["kafka_path"] = await _through_kafka(layout, pool, plan, quick)
        result["grown"] = await _grown(pool, sim, 1 if quick else GROW_COPIES, rounds)
        result["postgres"] = await _postgres_settings(pool)
    try:
        result["stack"] = await stack_figures.measure(layout)
    except (OSError, asyncpg.PostgresError, LookupError) as exc:
        result["stack"] = {"error": repr(exc)}
    result["machine"] = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "quick": quick,
        "database": name if keep else None,
    }
    return result


def _print(result: dict[str, Any]) -> None:
    table = Table(title="Projections at province volume")
    for col in ("phase", "events", "events/s", *(v.name for v in VIEWS)):
        table.add_column(col, justify="right")
    for phase in result["phases"]:
        views = {v["view"]: v for v in phase["views"]}
        table.add_row(
            phase["phase"],
            f"{phase['events']:,}",
            f"{phase['events_per_s'] or 0:,.0f}",
            *(f"{views[v.name]['events_per_s']:,.0f}" if v.name in views else "–" for v in VIEWS),
        )
    console.print(table)
    for t in result["dashboard_latency"]:
        console.print(f"{t['label']}: p50 {t['p50_ms']} ms, p99 {t['p99_ms']} ms ({t['samples']})")
    console.print(f"database: {result['database_bytes'] / 2**20:,.0f} MiB")


async def kafka_only(layout: Layout, plan: Plan, quick: bool) -> dict[str, object]:
    """The Kafka path alone, into a database of its own."""
    async with scratch_database(layout, 8, prefix="capacity") as pool:
        await migrate(pool, MIGRATIONS)
        return await _through_kafka(layout, pool, plan, quick)


def _amend(target: Path, key: str, figures: dict[str, object]) -> None:
    """Adds (or replaces) one part of a run's results, stamped with when it was measured."""
    result = json.loads(target.read_text())
    result[key] = figures | {"measured_at": datetime.now(UTC).isoformat(timespec="seconds")}
    target.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")


def main_kafka(layout: Layout, *, quick: bool) -> int:
    """The Kafka path's figures into the results, then the report."""
    plan = plan_for(communities=None, days=1, history_days=None, quick=quick)
    figures = asyncio.run(kafka_only(layout, plan, quick))
    _amend(report.results_file(layout.root, quick=quick), "kafka_path", figures)
    return report.main(layout.root, quick=quick)


async def grow_only(layout: Layout, database: str, copies: int) -> dict[str, object]:
    """Grows a kept simulation database (`simulate --keep`) and times the dashboard."""
    result = json.loads(report.results_file(layout.root, quick=False).read_text())
    p = result["plan"]
    plan = Plan(
        communities=p["communities"],
        days=p["province_days"],
        history_days=p["history_county_days"],
        now=datetime.fromisoformat(p["now"]),
        per_county=p["communities_per_county"],
        seed=p["seed"],
    )
    pool = await create_pool(postgres.service_dsn(layout, database), min_size=2, max_size=8)
    try:
        return await _grown(pool, Simulation(pool, plan), copies, rounds=3)
    finally:
        await pool.close()


def main_grow(layout: Layout, *, database: str, copies: int) -> int:
    grown = asyncio.run(grow_only(layout, database, copies))
    _amend(report.results_file(layout.root, quick=False), "grown", grown)
    return report.main(layout.root)


async def double_report_only(layout: Layout, shape: double_report.Shape) -> dict[str, Any]:
    """The overview's growing statements on tables of a province's proportions, in a
    database of their own (dropped afterwards)."""
    year = double_report.this_year()
    load_before = os.getloadavg()
    async with scratch_database(layout, 2, prefix="capacity") as pool:
        await migrate(pool, MIGRATIONS)
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total} counties"),
            TimeRemainingColumn(),
            console=console,
        ) as bar:
            task = bar.add_task("members and reports", total=shape.counties)
            began = time.perf_counter()
            async with pool.acquire() as conn:
                rows = await double_report.build(
                    conn, shape, year, lambda n: bar.update(task, completed=n)
                )
            built_s = time.perf_counter() - began
        timed = await double_report.time_county(pool, shape, year)
    return {
        "counties": shape.counties,
        "communities": shape.counties * shape.per_county,
        "county_share": round(1 / shape.counties, 4),
        "years_of_reports": shape.years,
        **rows,
        "build_s": round(built_s, 1),
        **timed,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }


def main_double_report(layout: Layout, *, quick: bool, counties: int | None) -> int:
    """Writes into the results only at the province's size (not --quick, no --counties)."""
    shape = double_report.Shape(counties=counties or (4 if quick else PROVINCE_COUNTIES))
    figures = asyncio.run(double_report_only(layout, shape))
    console.print(
        f"{figures['communities']:,} communities, {figures['members']:,} members,"
        f" {figures['reports']:,} reports ({figures['bytes'] / 2**20:,.0f} MiB) in"
        f" {figures['build_s']} s; one county ({figures['county_share']:.1%} of the rows):"
        f" reporting_in {figures['reporting_in_ms']} ms,"
        f" members_registered {figures['members_registered_ms']} ms"
        f" (medians of {figures['rounds']})"
    )
    for statement, reads in figures["plans"].items():
        console.print(f"  {statement}: {'; '.join(reads)}")
    target = report.results_file(layout.root, quick=quick)
    if target.exists() and counties is None:
        _amend(target, "double_report", figures)
        console.print(f"added to {target.relative_to(layout.root)}")
    return 0


def main(
    layout: Layout,
    *,
    communities: int | None,
    days: int,
    history_days: int | None,
    quick: bool,
    keep: bool,
) -> int:
    plan = plan_for(communities=communities, days=days, history_days=history_days, quick=quick)
    result = asyncio.run(run(layout, plan, quick=quick, keep=keep))
    target = report.results_file(layout.root, quick=quick)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    _print(result)
    console.print(f"wrote {Path(target).relative_to(layout.root)}")
    return report.main(layout.root, quick=quick)
