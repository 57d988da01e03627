"""Read routes: the responsibility chain of an address, and each community's organisation
tree, coverage and double-report figures."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from grassroots_eventkit.http.commands import Store
from grassroots_eventkit.http.security import CurrentPrincipal
from grassroots_eventkit.runtime import Runtime
from pydantic import BaseModel

from organisation_service.api.params import PathId
from organisation_service.domain.calendar import local_today
from organisation_service.handlers import chain as chains
from organisation_service.handlers import lookups
from organisation_service.handlers.access import MANAGERS
from organisation_service.views import grid_queries, unit_org_model

router = APIRouter(tags=["responsibility and figures"])


class ResponsibleView(BaseModel):
    level: str
    role: str
    person_id: str
    name: str | None
    title: str | None


class ChainView(BaseModel):
    address: dict[str, Any]
    chain: list[ResponsibleView]


def _view(found: chains.Chain) -> ChainView:
    return ChainView(
        address={k: getattr(found.address, k) for k in found.address.__slots__},
        chain=[
            ResponsibleView(
                level=r.level, role=r.role, person_id=r.person_id, name=r.name, title=r.title
            )
            for r in found.chain
        ],
    )


@router.get(
    "/buildings/{building_id}/households/{household_id}/chain",
    summary="Who is responsible for a household, nearest first (四级管理)",
)
async def household_chain(
    building_id: PathId, household_id: PathId, principal: CurrentPrincipal, store: Store
) -> ChainView:
    return _view(
        await chains.chain_for(store, principal, building_id=building_id, household_id=household_id)
    )


@router.get(
    "/buildings/{building_id}/chain", summary="Who is responsible for a building, nearest first"
)
async def building_chain(
    building_id: PathId, principal: CurrentPrincipal, store: Store
) -> ChainView:
    return _view(await chains.chain_for(store, principal, building_id=building_id))


@router.get("/compounds/{compound_id}/chain", summary="Who is responsible for a compound")
async def compound_chain(
    compound_id: PathId, principal: CurrentPrincipal, store: Store
) -> ChainView:
    return _view(await chains.chain_for(store, principal, compound_id=compound_id))


async def _scoped(store: Store, principal: CurrentPrincipal, community_id: str) -> None:
    scope = await lookups.community_scope(store, community_id)
    principal.require_access(scope.community_id, scope.county)


def _db(request: Request) -> Any:
    rt: Runtime = request.app.state.runtime
    return rt.pool


@router.get(
    "/communities/{community_id}/tree",
    summary="The community's organisation tree: compounds, areas, buildings, party posts",
)
async def tree(
    community_id: PathId, principal: CurrentPrincipal, store: Store, request: Request
) -> list[dict[str, Any]]:
    await _scoped(store, principal, community_id)
    return await grid_queries.tree(_db(request), community_id)


class RatioView(BaseModel):
    total: int
    covered: int
    rate: float | None


@router.get(
    "/communities/{community_id}/coverage",
    summary="有效覆盖: compounds with a branch, buildings with a group, households with a member",
)
async def coverage(
    community_id: PathId, principal: CurrentPrincipal, store: Store, request: Request
) -> dict[str, RatioView]:
    await _scoped(store, principal, community_id)
    found = await grid_queries.coverage(_db(request), community_id)
    return {k: RatioView(total=v.total, covered=v.covered, rate=v.rate) for k, v in found.items()}


class UnitReportingView(BaseModel):
    paired: int
    reported: int
    rate: float | None


class ReportingView(BaseModel):
    period: int
    unit_organisations: UnitReportingView
    in_service_members: int
    reported_to_residence: int
    reported_to_contact: int
    reported_to_both: int
    rate: float | None
    not_reported: list[dict[str, Any]]


@router.get(
    "/communities/{community_id}/reporting",
    summary="双报到: in-service members who reported to both communities, and who has not",
)
async def reporting(
    community_id: PathId,
    principal: CurrentPrincipal,
    store: Store,
    request: Request,
    period: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> ReportingView:
    await _scoped(store, principal, community_id)
    period = period or local_today(datetime.now(UTC)).year
    found = await grid_queries.reporting(_db(request), community_id, period, limit=limit)
    units = await unit_org_model.unit_reporting(_db(request), community_id, period)
    missing = found.not_reported
    if principal.has_role(*MANAGERS):
        # Staff follow up with people, so they see names; others see ids only.
        for row in missing:
            row["name"] = (await lookups.member_state(store, row["member_id"])).name
    return ReportingView(
        period=found.period,
        unit_organisations=UnitReportingView(
            **units, rate=round(units["reported"] / units["paired"], 4) if units["paired"] else None
        ),
        in_service_members=found.in_service,
        reported_to_residence=found.reported_residence,
        reported_to_contact=found.reported_contact,
        reported_to_both=found.reported_both,
        rate=found.rate,
        not_reported=missing,
    )


class PledgeView(BaseModel):
    pledge_id: str
    unit_org_id: str
    unit_org: str | None
    year: int
    title: str
    status: str
    notes: int


class PledgeProgress(BaseModel):
    year: int
    pledged: int
    in_progress: int
    done: int
    pledges: list[PledgeView]


@router.get(
    "/communities/{community_id}/pledges",
    summary="承诺践诺: the practical projects paired units pledged for the community, by status",
)
async def pledge_progress(
    community_id: PathId,
    principal: CurrentPrincipal,
    store: Store,
    request: Request,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> PledgeProgress:
    await _scoped(store, principal, community_id)
    year = year or local_today(datetime.now(UTC)).year
    rows = await unit_org_model.pledges(_db(request), community_id, year)
    count = {
        s: sum(1 for r in rows if r["status"] == s) for s in ("pledged", "in_progress", "done")
    }
    return PledgeProgress(year=year, **count, pledges=[PledgeView(**r) for r in rows])
