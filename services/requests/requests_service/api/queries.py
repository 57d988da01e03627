"""HTTP reads: a request and its full history, queues, open and overdue lists, the rates."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from grassroots_eventkit.auth import Forbidden, Principal
from grassroots_eventkit.domain import InvalidValue, NotFound
from grassroots_eventkit.http.commands import Store
from grassroots_eventkit.http.security import CurrentPrincipal
from grassroots_eventkit.values import CHINA_STANDARD_TIME, ID_PATTERN
from pydantic import BaseModel

from requests_service.api.commands import PathId
from requests_service.domain import request as rq
from requests_service.domain.catalogue import CATEGORIES, DEADLINE_CLASSES, DEPARTMENTS
from requests_service.domain.routing import route_for
from requests_service.handlers.access import is_staff, may_read
from requests_service.handlers.lifecycle import current
from requests_service.handlers.submit import Submission, place
from requests_service.views import queries, rates, routing_model

router = APIRouter(tags=["reads"])

Status = Annotated[
    list[str] | None,
    Query(description="open, claimed, resolved, closed, cancelled, rejected, merged"),
]
Month = Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", examples=["2026-05"])]


def _pool(request: Request) -> Any:
    return request.app.state.runtime.pool


@router.get("/categories", summary="Categories (service codes), deadlines and departments")
async def categories(request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    overrides = request.app.state.runtime.settings.deadline_overrides
    return {
        "categories": [
            {
                **c.model_dump(mode="json"),
                "deadlines": (
                    overrides.get(c.code) or DEADLINE_CLASSES[c.deadline_class]
                ).model_dump(mode="json"),
            }
            for c in CATEGORIES.values()
        ],
        "departments": [d.model_dump() for d in DEPARTMENTS.values()],
    }


class RequestView(BaseModel):
    id: str
    community_id: str
    address: rq.Address
    category: str
    channel: str
    status: str
    level: str
    department: str | None
    responsible_ids: list[str]
    holder: dict[str, str] | None
    submitted_at: datetime
    respond_by: datetime
    resolve_by: datetime
    confirm_by: datetime | None
    missed: list[str]
    reopenings: int
    supporters: int
    merged_into: str | None
    text: str
    photos: list[str]
    contact: rq.Contact | None
    resident_id: str | None
    version: int


async def _readable(store: Store, principal: Principal, request_id: str) -> rq.Request:
    state = await current(store, request_id)
    if not may_read(principal, state):
        raise Forbidden("this token may not read that request")
    return state


@router.get("/requests/{request_id}", summary="One request, with the resident's text and contact")
async def get_request(request_id: PathId, principal: CurrentPrincipal, store: Store) -> RequestView:
    state = await _readable(store, principal, request_id)
    history = await store.load(request_id)
    first = rq.RequestSubmitted.model_validate(history[0].data)
    return RequestView(
        id=state.request_id,
        community_id=state.community_id,
        address=state.address,
        category=state.category,
        channel=state.channel,
        status=state.status,
        level=state.level,
        department=state.department,
        responsible_ids=list(state.responsible_ids),
        holder={"kind": state.holder.kind, "id": state.holder.id} if state.holder else None,
        submitted_at=state.submitted_at,
        respond_by=state.respond_by,
        resolve_by=state.resolve_by,
        confirm_by=state.confirm_by,
        missed=sorted(state.missed),
        reopenings=state.reopenings,
        supporters=len(state.supporters),
        merged_into=state.merged_into,
        text=first.text,
        photos=list(first.photos),
        contact=first.contact,
        resident_id=state.resident_id,
        version=history[-1].version,
    )


class HistoryEntry(BaseModel):
    version: int
    event: str
    at: datetime
    actor: str | None
    data: dict[str, Any]


@router.get("/requests/{request_id}/history", summary="Every event of a request: who and when")
async def history(
    request_id: PathId, principal: CurrentPrincipal, store: Store
) -> list[HistoryEntry]:
    await _readable(store, principal, request_id)
    return [
        HistoryEntry(
            version=e.version,
            event=e.event_type.rsplit(".v", 1)[0],
            at=e.recorded_at,
            actor=e.metadata.get("actor"),
            data=dict(e.data),
        )
        for e in await store.load(request_id)
    ]


async def _community(request: Request, principal: Principal, community_id: str) -> None:
    """Lists are the community's staff's (and the county's administrators')."""
    try:
        county = await routing_model.community_county(_pool(request), community_id)
    except routing_model.UnknownPlace:
        raise NotFound("community_not_found", f"no community {community_id}") from None
    if not is_staff(principal, community_id, county):
        raise Forbidden("only the community's staff or the county's administrators read this")


@router.get("/communities/{community_id}/requests", summary="A community's requests by status")
async def community_requests(
    community_id: PathId,
    request: Request,
    principal: CurrentPrincipal,
    status: Status = None,
    category: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict[str, Any]:
    await _community(request, principal, community_id)
    known = {"open", "claimed", "resolved", "closed", "cancelled", "rejected", "merged"}
    bad = [s for s in status or [] if s not in known]
    if bad:
        raise InvalidValue("unknown_status", f"unknown status {bad[0]!r}", field="status")
    pool = _pool(request)
    return {
        "counts": await queries.status_counts(pool, community_id),
        "items": await queries.community_requests(
            pool, community_id, statuses=status, category=category, limit=limit, offset=offset
        ),
    }


@router.get("/communities/{community_id}/overdue", summary="Open requests past a deadline")
async def overdue(
    community_id: PathId,
    request: Request,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    await _community(request, principal, community_id)
    return await queries.overdue(_pool(request), community_id, datetime.now(UTC), limit)


@router.get("/communities/{community_id}/whistles", summary="Whistles (吹哨) by kind and level")
async def whistles(
    community_id: PathId, request: Request, principal: CurrentPrincipal
) -> list[dict[str, Any]]:
    await _community(request, principal, community_id)
    return await queries.whistle_counts(_pool(request), community_id)


class RateView(BaseModel):
    numerator: int
    denominator: int
    value: float | None


class MonthRatesView(BaseModel):
    month: str
    response_rate: RateView
    resolution_rate: RateView
    satisfaction_rate: RateView


def _month(text: str | None, default: date) -> date:
    if text is None:
        return default
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
        raise InvalidValue("bad_month", "months are written YYYY-MM", field="month")
    return date(int(text[:4]), int(text[5:]), 1)


@router.get(
    "/communities/{community_id}/rates",
    summary="The three rates (三率) per month: response, resolution, satisfaction",
)
async def three_rates(
    community_id: PathId,
    request: Request,
    principal: CurrentPrincipal,
    start: Annotated[Month, Query(alias="from")] = None,
    end: Annotated[Month, Query(alias="to")] = None,
) -> list[MonthRatesView]:
    await _community(request, principal, community_id)
    today = datetime.now(CHINA_STANDARD_TIME).date().replace(day=1)
    last = _month(end, today)
    first = _month(start, date(last.year - (1 if last.month < 12 else 0), last.month % 12 + 1, 1))
    if first > last:
        raise InvalidValue("bad_range", "`from` is after `to`", field="from")
    if (last.year - first.year) * 12 + last.month - first.month > 60:
        raise InvalidValue("range_too_long", "at most 60 months at once", field="from")

    def view(r: rates.Rate) -> RateView:
        return RateView(numerator=r.numerator, denominator=r.denominator, value=r.value)

    return [
        MonthRatesView(
            month=m.month.strftime("%Y-%m"),
            response_rate=view(m.response),
            resolution_rate=view(m.resolution),
            satisfaction_rate=view(m.satisfaction),
        )
        for m in await rates.monthly(_pool(request), community_id, first, last)
    ]


class RoutingView(BaseModel):
    community_id: str
    compound_id: str | None
    area_id: str | None
    building_id: str | None
    household_id: str | None
    level: str
    responsible_ids: list[str]


@router.get("/routing", summary="Where a request for this address would go, and to whom")
async def routing_preview(
    request: Request,
    principal: CurrentPrincipal,
    building_id: Annotated[str | None, Query(max_length=64, pattern=ID_PATTERN)] = None,
    household_id: Annotated[str | None, Query(max_length=64, pattern=ID_PATTERN)] = None,
    compound_id: Annotated[str | None, Query(max_length=64, pattern=ID_PATTERN)] = None,
) -> RoutingView:
    sub = Submission(
        community_id=None,
        compound_id=compound_id,
        building_id=building_id,
        household_id=household_id,
        category="other",
        channel="app",
        text="-",
        photos=(),
        contact=None,
        resident_id=None,
    )
    where = await place(_pool(request), sub)
    if not principal.can_access(where.community_id, where.county):
        raise Forbidden("this token's scope does not include that community")
    route = route_for(where.chain)
    return RoutingView(
        community_id=where.community_id,
        compound_id=where.compound_id,
        area_id=where.area_id,
        building_id=where.building_id,
        household_id=where.household_id,
        level=route.level,
        responsible_ids=list(route.responsible_ids),
    )


@router.get("/members/{member_id}/queue", summary="A member's queue: held, then claimable")
async def member_queue(
    member_id: PathId,
    request: Request,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    own = principal.has_role("member") and principal.subject == member_id
    if not own:
        community_id = await routing_model.member_community(_pool(request), member_id)
        if community_id is None:
            raise NotFound("member_not_found", f"no member {member_id}")
        await _community(request, principal, community_id)
    return await queries.member_queue(_pool(request), member_id, limit)
