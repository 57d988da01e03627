"""One trial of a scenario: the county mix runs, the fault strikes a few seconds into it and
is undone, the load stops, every consumer group catches up, and each accepted command is
looked for in every read model it reaches. The result is one row of chaos.json."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import structlog

from grassroots_stack import kafka, postgres, processes, services, stack
from grassroots_stack.chaos import faults, poison, totals
from grassroots_stack.chaos.checker import DUPLICATED, FOUND, LOST, Verdicts, by_kind, check
from grassroots_stack.chaos.effects import AcceptedCommand
from grassroots_stack.chaos.faults import Fault
from grassroots_stack.chaos.groups import CatchUpTimeout, stack_groups, topics_read, wait_caught_up
from grassroots_stack.chaos.scenarios import Context, Plan, Scenario
from grassroots_stack.layout import Layout
from grassroots_stack.load.mix import CountyMix

log = structlog.get_logger()

OnAccepted = Callable[[AcceptedCommand], None]
# Runs the load for the plan's length at its rate; returns the load's own counts. Only 2xx
# answers reach `on_accepted`.
Load = Callable[[Plan, OnAccepted], Awaitable[dict[str, Any]]]


def county_mix(mix: CountyMix) -> Load:
    """The demo county's mix of commands (load/mix.py), open-loop at the plan's rate."""

    async def load(plan: Plan, on_accepted: OnAccepted) -> dict[str, Any]:
        stats = await mix.run(rate=plan.rate, seconds=plan.seconds, on_accepted=on_accepted)
        return {
            "scheduled": stats.scheduled,
            "accepted": stats.accepted,
            "failed": stats.failed,
            "refused": sum(stats.refused.values()),
            "shed": stats.shed,
            "retried": stats.retried,
            "refusals": dict(stats.refused),
        }

    return load


@dataclass
class Findings:
    """What a trial noticed (`notes`), and what makes it fail besides lost or doubled
    commands (`problems`)."""

    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class Under:
    """The load's run, with the fault in the middle of it."""

    ledger: list[AcceptedCommand]
    stats: dict[str, Any]
    fault: Fault


async def heal(layout: Layout) -> list[str]:
    """Start whatever of the stack is not running (after a fault that went wrong)."""
    started = []
    if await asyncio.to_thread(postgres.start, layout):
        started.append("postgres")
    if not processes.is_running(layout.pids, kafka.NAME):
        await asyncio.to_thread(kafka.start, layout)
        started.append("kafka")
    for plan in layout.services:
        if await asyncio.to_thread(services.start, layout, plan):
            started.append(plan.name)
    await asyncio.to_thread(services.wait_ready, layout, layout.services, 180.0)
    stack.record_pids(layout)
    return started


async def _settle(ctx: Context, found: Findings, what: str) -> float | None:
    try:
        return await wait_caught_up(ctx.layout, ctx.groups, timeout=ctx.plan.catch_up_s)
    except CatchUpTimeout as exc:
        found.problems.append(f"consumers {what}: {exc}")
        return None


async def _under_fault(ctx: Context, scenario: Scenario, load: Load, found: Findings) -> Under:
    ledger: list[AcceptedCommand] = []
    sending = asyncio.Event()

    def accepted(command: AcceptedCommand) -> None:
        ledger.append(command)
        sending.set()

    loading = asyncio.create_task(load(ctx.plan, accepted))
    # The load makes its fixtures first (staff work over HTTP, outside its clock): the
    # fault strikes `lead_s` after the first answer, while commands flow.
    first = asyncio.create_task(sending.wait())
    await asyncio.wait([loading, first], return_when=asyncio.FIRST_COMPLETED)
    first.cancel()
    await asyncio.sleep(ctx.plan.lead_s)
    fault = Fault()
    try:
        fault = await scenario.inject(ctx)
    except Exception as exc:  # noqa: BLE001 - a fault that cannot be undone is the finding
        found.problems.append(f"fault failed: {exc!r}")
        found.notes.append(f"healed: {', '.join(await heal(ctx.layout)) or 'nothing to start'}")
    stats = await loading
    log.info("chaos.load_done", scenario=scenario.name, ledger=len(ledger), **stats)
    return Under(ledger, stats, fault)


async def _poison(ctx: Context, letters: set[poison.DeadLetter], found: Findings) -> list[Any]:
    reads = await topics_read(ctx.layout, ctx.groups)
    judged = poison.judge(ctx.sent, poison.fates(ctx.sent, reads, letters))
    found.notes += judged.notes
    found.problems += judged.problems
    return judged.records


async def _redelivery(ctx: Context, fault: Fault, found: Findings) -> dict[str, Any]:
    skipped = await faults.skipped_as_applied(ctx.layout, fault.rewound)
    found.notes.append(
        f"{fault.redelivered} records redelivered; skipped by the dedupe: "
        + ", ".join(f"{g} {n}" for g, n in skipped.items())
    )
    if not all(skipped.values()):
        idle = [g for g, n in skipped.items() if not n]
        found.problems.append(f"redelivery: {', '.join(idle)} skipped nothing (read again?)")
    return {"records": fault.redelivered, "skipped_as_applied": skipped}


def _row(scenario: Scenario, under: Under, verdicts: Verdicts) -> dict[str, Any]:
    return {
        "scenario": scenario.name,
        "accepted": len(under.ledger),
        "found": verdicts.count(FOUND),
        "lost": verdicts.count(LOST),
        "duplicated": verdicts.count(DUPLICATED),
        "load": under.stats,
        "by_kind": {k: dict(v) for k, v in sorted(by_kind(under.ledger, verdicts).items())},
        "probes": verdicts.probes,
        "fault": under.fault.steps,
        "fault_s": round(under.fault.down_s, 1),
    }


async def run_scenario(
    layout: Layout, plan: Plan, scenario: Scenario, load: Load
) -> dict[str, Any]:
    started = time.monotonic()

    def reached(phase: str) -> None:
        # A trial stopped from outside (a test's timeout) leaves no row: these lines say
        # how far it got and how long each phase took.
        log.info(
            "chaos.phase",
            scenario=scenario.name,
            phase=phase,
            at_s=round(time.monotonic() - started, 1),
        )

    found = Findings()
    ctx = Context(layout, plan, await stack_groups(layout), uuid.uuid4().hex[:8])
    await _settle(ctx, found, "behind before the scenario began")
    reached("settled before")
    base = await totals.baseline(layout)
    letters_before = await poison.dead_letters(layout)
    reached("baseline taken")
    under = await _under_fault(ctx, scenario, load, found)
    reached("load and fault done")
    caught_up_s = await _settle(ctx, found, "did not catch up (wedged?)")
    reached("caught up" if caught_up_s is not None else "catch-up timed out")
    verdicts = await check(layout, under.ledger)
    reached("commands checked")
    found.notes += verdicts.notes + [f"{w}: {n}" for w, n in sorted(verdicts.wrong.items())]
    row = _row(scenario, under, verdicts)
    row["catch_up_s"] = round(caught_up_s, 1) if caught_up_s is not None else None
    gained = await totals.gained(layout, base)
    row["totals_agree"] = all(g.agrees for g in gained)
    found.problems += [
        f"{g.model} gained {g.added} rows for {g.stored} stored events"
        for g in gained
        if not g.agrees
    ]
    half_done = await totals.half_done_redemptions(layout, base)
    row["half_done_redemptions"] = len(half_done)
    if half_done:
        found.notes.append(
            f"redemptions with goods taken and points not spent: {len(half_done)}"
            f" (first {half_done[0]}; their clients gave up before a retry finished them)"
        )
    letters = await poison.dead_letters(layout)
    ours = poison.positions(ctx.sent)
    real = sorted(d for d in letters - letters_before if d[1:] not in ours)
    if real:
        found.problems.append(f"dead-lettered, not poison: {len(real)} (first: {real[0]})")
    if ctx.sent:
        row["poison"] = await _poison(ctx, letters, found)
    if under.fault.rewound:
        row["redelivered"] = await _redelivery(ctx, under.fault, found)
    row |= {"notes": found.notes, "problems": found.problems}
    row["ok"] = row["lost"] == 0 and row["duplicated"] == 0 and not found.problems
    row["seconds"] = round(time.monotonic() - started, 1)
    return row
