"""The chaos scenarios, and one run of each: the county mix runs, the fault strikes a
few seconds in and is undone, the load stops, every consumer group catches up, and each
accepted command is looked for in every read model it reaches."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from grassroots_contracts.topics import (
    ORGANISATION_EVENTS,
    POINTS_EVENTS,
    REQUESTS_EVENTS,
    VOLUNTEERING_EVENTS,
)

from grassroots_stack import kafka, postgres, processes, services
from grassroots_stack.chaos import faults, poison, totals
from grassroots_stack.chaos.checker import DUPLICATED, FOUND, LOST, by_kind, check
from grassroots_stack.chaos.effects import AcceptedCommand
from grassroots_stack.chaos.faults import Fault
from grassroots_stack.chaos.groups import (
    CatchUpTimeout,
    Group,
    stack_groups,
    topics_read,
    wait_caught_up,
)
from grassroots_stack.layout import Layout
from grassroots_stack.load.mix import CountyMix

log = structlog.get_logger()


@dataclass(frozen=True)
class Plan:
    """How long and how hard: the load's rate and length, when the fault strikes, how
    long a killed part stays down, and how long the catch-up may take."""

    rate: float
    seconds: float
    lead_s: float
    down_s: float
    catch_up_s: float
    # A command whose answer was lost is sent again with its Idempotency-Key for this
    # long, as a careful client would: the retries of the fault window test idempotency.
    retry_for: float = 30.0


FULL = Plan(rate=100.0, seconds=20.0, lead_s=5.0, down_s=3.0, catch_up_s=300.0)
QUICK = Plan(rate=40.0, seconds=10.0, lead_s=3.0, down_s=1.0, catch_up_s=180.0)


@dataclass
class Context:
    layout: Layout
    plan: Plan
    groups: list[Group]
    run_id: str
    sent: list[poison.Sent] = field(default_factory=list)


Inject = Callable[[Context], Awaitable[Fault]]


@dataclass(frozen=True)
class Scenario:
    name: str
    about: str
    inject: Inject
    quick: bool = False


def _kill(service: str) -> Inject:
    async def inject(ctx: Context) -> Fault:
        return await faults.kill_service(ctx.layout, service, down_s=ctx.plan.down_s)

    return inject


async def _kafka(ctx: Context) -> Fault:
    return await faults.restart_kafka(ctx.layout, down_s=ctx.plan.down_s)


async def _postgres(ctx: Context) -> Fault:
    return await faults.restart_postgres(ctx.layout, down_s=ctx.plan.down_s)


def _redeliver(topic: str) -> Inject:
    async def inject(ctx: Context) -> Fault:
        return await faults.redeliver(ctx.layout, topic, ctx.groups)

    return inject


def _community(ctx: Context) -> str:
    return f"chaos-{ctx.run_id}"


async def _malformed(ctx: Context) -> Fault:
    fault = Fault()
    ctx.sent = await poison.send(ctx.layout, poison.malformed(_community(ctx)), _community(ctx))
    fault.note(f"{len(ctx.sent)} malformed records produced onto the four event topics")
    return fault


async def _oversized(ctx: Context) -> Fault:
    fault = Fault()
    ctx.sent = await poison.send(ctx.layout, poison.oversized(_community(ctx)), _community(ctx))
    refused = [s.poison.name for s in ctx.sent if s.refusal]
    fault.note(
        f"{len(ctx.sent)} oversized records sent; refused by the broker: "
        + (", ".join(refused) or "none")
    )
    return fault


SCENARIOS: tuple[Scenario, ...] = (
    *(
        Scenario(
            f"kill-{name}",
            f"SIGKILL the {name} service mid-load; start it again as `stack up` does",
            _kill(name),
            quick=name in ("requests", "points"),
        )
        for name in ("organisation", "requests", "volunteering", "points", "projections")
    ),
    Scenario(
        "kafka-restart",
        "SIGKILL the Kafka broker mid-load; start it again on the same data",
        _kafka,
        quick=True,
    ),
    Scenario(
        "postgres-restart",
        "stop PostgreSQL in immediate mode mid-load (a crash: WAL replay); start it again",
        _postgres,
        quick=True,
    ),
    *(
        Scenario(
            f"redeliver-{spec.name.split('.')[1]}",
            f"every consumer group reading {spec.name} reads it again from offset 0",
            _redeliver(spec.name),
            quick=spec is REQUESTS_EVENTS,
        )
        for spec in (REQUESTS_EVENTS, VOLUNTEERING_EVENTS, POINTS_EVENTS, ORGANISATION_EVENTS)
    ),
    Scenario(
        "malformed-messages",
        "not JSON, broken CloudEvents headers, an unknown type and a broken schema on every "
        "event topic, mid-load",
        _malformed,
        quick=True,
    ),
    Scenario(
        "oversized-messages",
        "a record twice the broker's limit, and two just under it (one not JSON), mid-load",
        _oversized,
        quick=True,
    ),
)


def chosen(quick: bool, names: list[str] | None) -> list[Scenario]:
    if names:
        known = {s.name: s for s in SCENARIOS}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise RuntimeError(f"no scenario {', '.join(unknown)}; known: {', '.join(known)}")
        return [known[n] for n in names]
    return [s for s in SCENARIOS if s.quick or not quick]


async def heal(layout: Layout) -> list[str]:
    """Start whatever of the stack is not running (after a scenario that went wrong)."""
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
    return started


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


async def run_scenario(
    layout: Layout, plan: Plan, scenario: Scenario, load: Load
) -> dict[str, Any]:
    started = time.monotonic()
    groups = await stack_groups(layout)
    notes: list[str] = []
    try:
        await wait_caught_up(layout, groups, timeout=plan.catch_up_s)
    except CatchUpTimeout as exc:
        notes.append(f"behind before the scenario began: {exc}")
    base = await totals.baseline(layout)
    letters_before = await poison.dead_letters(layout)
    ctx = Context(layout, plan, groups, uuid.uuid4().hex[:8])
    ledger: list[AcceptedCommand] = []
    sending = asyncio.Event()

    def accepted(command: AcceptedCommand) -> None:
        ledger.append(command)
        sending.set()

    loading = asyncio.create_task(load(plan, accepted))
    # The load makes its fixtures first (staff work over HTTP, outside its clock): the
    # fault strikes `lead_s` after the first answer, while commands flow.
    await asyncio.wait(
        [loading, asyncio.create_task(sending.wait())], return_when=asyncio.FIRST_COMPLETED
    )
    await asyncio.sleep(plan.lead_s)
    fault: Fault | None = None
    try:
        fault = await scenario.inject(ctx)
    except Exception as exc:  # noqa: BLE001 - a fault that cannot be undone is the finding
        notes.append(f"fault failed: {exc!r}")
        notes.append(f"healed: {', '.join(await heal(layout)) or 'nothing to start'}")
    stats = await loading
    log.info("chaos.load_done", scenario=scenario.name, ledger=len(ledger), **stats)
    caught_up_s: float | None = None
    try:
        caught_up_s = await wait_caught_up(layout, groups, timeout=plan.catch_up_s)
    except CatchUpTimeout as exc:
        notes.append(f"consumers did not catch up (wedged?): {exc}")
    verdicts = await check(layout, ledger)
    notes += verdicts.notes
    notes += [f"{what}: {n}" for what, n in sorted(verdicts.wrong.items())]
    gained = await totals.gained(layout, base)
    notes += [
        f"{g.model} gained {g.added} rows for {g.stored} stored events"
        for g in gained
        if not g.agrees
    ]
    row: dict[str, Any] = {
        "scenario": scenario.name,
        "accepted": len(ledger),
        "found": verdicts.count(FOUND),
        "lost": verdicts.count(LOST),
        "duplicated": verdicts.count(DUPLICATED),
        "load": stats,
        "by_kind": {k: dict(v) for k, v in sorted(by_kind(ledger, verdicts).items())},
        "probes": verdicts.probes,
        "fault": fault.steps if fault else [],
        "fault_s": round(fault.down_s, 1) if fault else None,
        "catch_up_s": round(caught_up_s, 1) if caught_up_s is not None else None,
        "totals_agree": all(g.agrees for g in gained),
        "seconds": round(time.monotonic() - started, 1),
    }
    letters = await poison.dead_letters(layout)
    ours = poison.positions(ctx.sent)
    real = sorted(d for d in letters - letters_before if d[1:] not in ours)
    if real:
        notes.append(f"dead-lettered events that are not poison: {len(real)} (first: {real[0]})")
    if ctx.sent:
        row["poison"], poison_notes = await _poison_report(layout, ctx, groups, letters)
        notes += poison_notes
    if fault is not None and fault.rewound:
        skipped = await faults.skipped_as_applied(layout, fault.rewound)
        row["redelivered"] = {"records": fault.redelivered, "skipped_as_applied": skipped}
        notes.append(
            f"{fault.redelivered} records redelivered; skipped by the dedupe: "
            + ", ".join(f"{g} {n}" for g, n in skipped.items())
        )
        if not all(skipped.values()):
            notes.append("redelivery: a rewound group skipped nothing (did it read again?)")
    row["notes"] = notes
    row["ok"] = (
        row["lost"] == 0
        and row["duplicated"] == 0
        and caught_up_s is not None
        and row["totals_agree"]
        and not any(
            n.startswith(("fault failed", "poison:", "dead-lettered", "redelivery:")) for n in notes
        )
    )
    return row


async def _poison_report(
    layout: Layout, ctx: Context, groups: list[Group], letters: set[poison.DeadLetter]
) -> tuple[list[dict[str, Any]], list[str]]:
    """Each poison record's fate in each group reading its topic, against what its kind
    must meet (poison.py): notes start with `poison:` when one did not."""
    reads = await topics_read(layout, groups)
    fates = poison.fates(ctx.sent, reads, letters)
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    met: dict[str, list[int]] = {}
    for i, sent in enumerate(ctx.sent):
        p = sent.poison
        if sent.refusal is not None:
            rows.append(
                {"record": p.name, "kind": p.kind, "topic": p.topic, "refused": sent.refusal}
            )
            if p.kind != poison.REFUSED:
                notes.append(f"poison: {p.name} on {p.topic} was refused by the broker")
            met.setdefault(p.kind, []).append(0)
            continue
        if p.kind == poison.REFUSED:
            notes.append(f"poison: {p.name} on {p.topic} was stored, not refused")
        dead = [f.group for f in fates.get(i, []) if f.dead_lettered]
        passed = [f.group for f in fates.get(i, []) if not f.dead_lettered]
        rows.append(
            {
                "record": p.name,
                "kind": p.kind,
                "topic": p.topic,
                "partition": sent.partition,
                "offset": sent.offset,
                "dead_lettered_by": dead,
                "passed_over_by": passed,
            }
        )
        met.setdefault(p.kind, []).append(len(dead))
        if p.kind == poison.UNDECODABLE and passed:
            notes.append(f"poison: {p.name} on {p.topic} not dead-lettered by {', '.join(passed)}")
        if p.kind == poison.UNKNOWN_TYPE and dead:
            notes.append(f"poison: {p.name} on {p.topic} dead-lettered by {', '.join(dead)}")
        if p.kind == poison.WRONG_SCHEMA and not dead:
            notes.append(f"poison: {p.name} on {p.topic} dead-lettered by no group")
    notes += [
        f"{kind}: {len(counts)} records, {sum(counts)} dead letters"
        + (" (refused by the broker)" if kind == poison.REFUSED else "")
        for kind, counts in sorted(met.items())
    ]
    return rows, notes
