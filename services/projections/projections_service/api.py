"""HTTP queries of the projections service."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from grassroots_eventkit.auth import Forbidden
from grassroots_eventkit.domain import NotFound
from grassroots_eventkit.http.security import CurrentPrincipal
from grassroots_eventkit.runtime import Runtime
from pydantic import BaseModel, ConfigDict

from projections_service.views import communities

router = APIRouter(tags=["communities"])


class CommunitySummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    county: str
    town: str
    registered_at: datetime
    version: int


class CommunityList(BaseModel):
    model_config = ConfigDict(frozen=True)

    items: list[CommunitySummary]
    limit: int
    offset: int


def _summary(row: communities.CommunityRow) -> CommunitySummary:
    return CommunitySummary(
        id=row.community_id,
        name=row.name,
        county=row.county,
        town=row.town,
        registered_at=row.registered_at,
        version=row.version,
    )


@router.get("/communities", summary="The communities this token may see, by county and name")
async def list_communities(
    principal: CurrentPrincipal,
    request: Request,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> CommunityList:
    rt: Runtime = request.app.state.runtime
    if principal.county_wide:
        rows = await communities.list_communities(
            rt.pool, county=principal.county, community_ids=None, limit=limit, offset=offset
        )
    else:
        rows = await communities.list_communities(
            rt.pool, county=None, community_ids=principal.communities, limit=limit, offset=offset
        )
    return CommunityList(items=[_summary(r) for r in rows], limit=limit, offset=offset)


@router.get("/communities/{community_id}", summary="One community of the county's list")
async def get_community(
    community_id: Annotated[str, Path(min_length=1, max_length=64)],
    principal: CurrentPrincipal,
    request: Request,
) -> CommunitySummary:
    rt: Runtime = request.app.state.runtime
    row = await communities.get_community(rt.pool, community_id)
    if row is None:
        if not principal.county_wide and community_id not in principal.communities:
            raise Forbidden("this token's scope does not include that community")
        raise NotFound("community_not_found", f"no community {community_id} (yet)")
    principal.require_access(row.community_id, row.county)
    return _summary(row)
