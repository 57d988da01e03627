"""The chaos scenarios: what each fault is, how hard and how long the load runs around it,
and which ones the quick run takes (trial.py runs one)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from grassroots_contracts.topics import (
    ORGANISATION_EVENTS,
    POINTS_EVENTS,
    REQUESTS_EVENTS,
    VOLUNTEERING_EVENTS,
)

from grassroots_stack.chaos import faults, poison
from grassroots_stack.chaos.faults import Fault
from grassroots_stack.chaos.groups import Group
from grassroots_stack.layout import Layout


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
