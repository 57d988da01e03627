"""Submitting a request (点单): place it on the grid, route it, fix its deadlines."""

from __future__ import annotations

from dataclasses import dataclass, replace

import asyncpg
from grassroots_contracts.requests.lifecycle import Channel
from grassroots_eventkit.auth import Forbidden, Principal
from grassroots_eventkit.commands import Accepted, CommandContext, CommandRunner
from grassroots_eventkit.domain import InvalidValue

from requests_service.domain import request as rq
from requests_service.domain.catalogue import CATEGORIES, DeadlineRule, deadline_rule
from requests_service.domain.routing import route_for
from requests_service.handlers.access import is_staff
from requests_service.views import routing_model


@dataclass(frozen=True, slots=True)
class Submission:
    """What a client sends, whichever door it comes through (HTTP or Open311)."""

    community_id: str | None
    compound_id: str | None
    building_id: str | None
    household_id: str | None
    category: str
    channel: Channel
    text: str
    photos: tuple[str, ...]
    contact: rq.Contact | None
    resident_id: str | None


async def place(pool: asyncpg.Pool, sub: Submission) -> routing_model.Place:
    try:
        return await routing_model.resolve_place(
            pool,
            community_id=sub.community_id,
            compound_id=sub.compound_id,
            building_id=sub.building_id,
            household_id=sub.household_id,
        )
    except routing_model.UnknownPlace as exc:
        raise InvalidValue("unknown_address", exc.message, field=exc.field) from None


def check_channel(principal: Principal, place: routing_model.Place, sub: Submission) -> Submission:
    """Residents submit for themselves through the app; staff for a resident, at the
    service hall, from the hotline or on their grid rounds."""
    if is_staff(principal, place.community_id, place.county):
        if sub.channel in ("app", "open311"):
            raise InvalidValue(
                "channel_not_for_staff",
                "staff submit through the service hall, the hotline or as grid workers",
                field="channel",
            )
        return sub
    if principal.has_role("resident") and principal.can_access(place.community_id, place.county):
        if sub.resident_id not in (None, principal.subject):
            raise Forbidden("a resident submits only for themselves")
        if sub.channel != "app":
            raise InvalidValue(
                "channel_not_for_residents", "residents submit through the app", field="channel"
            )
        return replace(sub, resident_id=principal.subject)
    raise Forbidden("only a resident of that community or its staff may submit there")


async def submit(
    runner: CommandRunner,
    pool: asyncpg.Pool,
    ctx: CommandContext,
    sub: Submission,
    *,
    request_id: str,
    overrides: dict[str, DeadlineRule],
    principal: Principal | None,
) -> Accepted:
    """`principal` is None for an Open311 client, which the API key has vouched for."""
    category = CATEGORIES.get(sub.category)
    if category is None:
        raise InvalidValue(
            "unknown_category",
            f"no category {sub.category!r}; see GET /categories",
            field="category",
        )
    where = await place(pool, sub)
    if principal is not None:
        sub = check_channel(principal, where, sub)
    cmd = rq.SubmitRequest(
        request_id=request_id,
        county=where.county,
        address=rq.Address(
            community_id=where.community_id,
            compound_id=where.compound_id,
            area_id=where.area_id,
            building_id=where.building_id,
            household_id=where.household_id,
        ),
        category=category.code,
        channel=sub.channel,
        text=sub.text,
        photos=sub.photos,  # type: ignore[arg-type]
        contact=sub.contact,
        resident_id=sub.resident_id,
        deadlines=deadline_rule(category, overrides),
        route=route_for(where.chain),
    )
    return await runner.run(
        rq.DECIDER, stream_id=request_id, command=cmd, ctx=ctx, community_of=rq.community_of
    )
