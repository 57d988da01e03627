"""Everything after submission: load the request, establish the actor, decide, append."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import asyncpg
from grassroots_eventkit.auth import Forbidden, Principal
from grassroots_eventkit.commands import Accepted, CommandContext, CommandRunner, load_aggregate
from grassroots_eventkit.domain import CommandRejected, InvalidValue, NotFound
from grassroots_eventkit.store import EventStore
from grassroots_eventkit.timers import Fire

from requests_service.domain import request as rq
from requests_service.domain.catalogue import CATEGORIES, DEPARTMENTS
from requests_service.domain.routing import route_for
from requests_service.handlers.access import actor_for, require_staff
from requests_service.views import routing_model

# The actor, as this request sees the token -> the command to run
Build = Callable[[rq.Actor], rq.RequestCommand]


async def current(store: EventStore, request_id: str) -> rq.Request:
    _, state = await load_aggregate(store, rq.DECIDER, request_id)
    if state is None:
        raise NotFound("request_not_found", f"no request {request_id}")
    assert isinstance(state, rq.Request)
    return state


async def _run(
    runner: CommandRunner, ctx: CommandContext, request_id: str, cmd: rq.RequestCommand
) -> Accepted:
    return await runner.run(
        rq.DECIDER, stream_id=request_id, command=cmd, ctx=ctx, community_of=rq.community_of
    )


async def act(
    runner: CommandRunner,
    store: EventStore,
    principal: Principal,
    ctx: CommandContext,
    request_id: str,
    build: Build,
) -> Accepted:
    """Commands whose rules the aggregate checks against the actor (claim, resolve, rate ...)."""
    state = await current(store, request_id)
    return await _run(runner, ctx, request_id, build(actor_for(principal, state)))


async def claim(
    runner: CommandRunner,
    store: EventStore,
    principal: Principal,
    ctx: CommandContext,
    request_id: str,
) -> Accepted:
    principal.require_role("member")
    await current(store, request_id)
    cmd = rq.ClaimRequest(request_id=request_id, member_id=principal.subject)
    return await _run(runner, ctx, request_id, cmd)


async def assign(
    runner: CommandRunner,
    store: EventStore,
    pool: asyncpg.Pool,
    principal: Principal,
    ctx: CommandContext,
    request_id: str,
    member_id: str,
) -> Accepted:
    state = await current(store, request_id)
    staff = require_staff(principal, state.community_id, state.county)
    if await routing_model.member_community(pool, member_id) is None:
        raise InvalidValue("unknown_member", f"no party member {member_id}", field="member_id")
    cmd = rq.AssignRequest(request_id=request_id, member_id=member_id, by=staff.id)
    return await _run(runner, ctx, request_id, cmd)


async def escalate(
    runner: CommandRunner,
    store: EventStore,
    principal: Principal,
    ctx: CommandContext,
    request_id: str,
    build: Build,
) -> Accepted:
    state = await current(store, request_id)
    cmd = build(actor_for(principal, state))
    assert isinstance(cmd, rq.EscalateRequest)
    if cmd.department is not None and cmd.department not in DEPARTMENTS:
        raise InvalidValue(
            "unknown_department",
            f"no department {cmd.department!r}; see GET /categories",
            field="department",
        )
    return await _run(runner, ctx, request_id, cmd)


async def department_report(
    runner: CommandRunner,
    store: EventStore,
    principal: Principal,
    ctx: CommandContext,
    request_id: str,
) -> Accepted:
    state = await current(store, request_id)
    principal.require_role("department")
    if principal.department is None or principal.county != state.county:
        raise Forbidden("a department token of this county is required")
    cmd = rq.ReportForWhistle(request_id=request_id, department=principal.department)
    return await _run(runner, ctx, request_id, cmd)


async def reject(
    runner: CommandRunner,
    store: EventStore,
    principal: Principal,
    ctx: CommandContext,
    request_id: str,
    reason: str,
) -> Accepted:
    state = await current(store, request_id)
    staff = require_staff(principal, state.community_id, state.county)
    cmd = rq.RejectRequest(request_id=request_id, by=staff, reason=reason)
    return await _run(runner, ctx, request_id, cmd)


async def merge(
    runner: CommandRunner,
    store: EventStore,
    principal: Principal,
    ctx: CommandContext,
    request_id: str,
    into_request_id: str,
) -> Accepted:
    """Two appends: the duplicate first, then its supporters onto the target. A crash in
    between is healed by retrying: both steps answer a repeat with no new event."""
    duplicate = await current(store, request_id)
    staff = require_staff(principal, duplicate.community_id, duplicate.county)
    try:
        target = await current(store, into_request_id)
    except NotFound:
        raise InvalidValue(
            "unknown_request", f"no request {into_request_id}", field="into_request_id"
        ) from None
    if target.community_id != duplicate.community_id:
        raise CommandRejected(
            "merge_across_communities",
            "a duplicate is merged only into a request of the same community",
            field="into_request_id",
        )
    if target.final:
        raise CommandRejected(
            "request_final",
            f"request {into_request_id} is {target.status}",
            field="into_request_id",
        )
    cmd = rq.MergeRequest(request_id=request_id, into_request_id=into_request_id, by=staff)
    accepted = await _run(runner, ctx, request_id, cmd)
    merged = await current(store, request_id)
    if merged.merged_into == into_request_id:
        join = rq.JoinSupporters(
            request_id=into_request_id,
            from_request_id=request_id,
            supporters=merged.supporters,
        )
        await _run(runner, ctx.next_step(), into_request_id, join)
    return accepted


def timer_fire(runner: CommandRunner, store: EventStore, pool: asyncpg.Pool) -> Fire:
    """The durable timer's commands: MarkDeadline, with the category's department for an
    automatic whistle from the community level; and a re-route when the address's chain
    changed."""

    async def fire(request_id: str, deadline: str, due_at: datetime) -> None:
        state = await current(store, request_id)
        if deadline == "reroute":
            await _reroute(state)
            return
        category = CATEGORIES.get(state.category)
        cmd = rq.MarkDeadline(
            request_id=request_id,
            deadline=deadline,  # type: ignore[arg-type]
            due_at=due_at,
            department=category.department if category else None,
        )
        await _run(runner, CommandContext(actor="timer"), request_id, cmd)

    async def _reroute(state: rq.Request) -> None:
        a = state.address
        try:
            where = await routing_model.resolve_place(
                pool,
                community_id=a.community_id,
                compound_id=a.compound_id,
                building_id=a.building_id,
                household_id=a.household_id,
            )
        except routing_model.UnknownPlace:
            return  # the place is gone (a retired building): staff decide
        cmd = rq.RerouteRequest(request_id=state.request_id, route=route_for(where.chain))
        await _run(runner, CommandContext(actor="policy:reroute"), state.request_id, cmd)

    return fire
