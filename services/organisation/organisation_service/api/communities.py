"""HTTP routes of the organisation service (OpenAPI at /docs)."""

from __future__ import annotations

from uuid import uuid4

from fastapi import APIRouter, Request, Response
from grassroots_eventkit.http.commands import CommandAccepted, Context, Runner, answer
from grassroots_eventkit.http.security import CurrentPrincipal
from grassroots_eventkit.runtime import Runtime
from pydantic import BaseModel, ConfigDict

from organisation_service.api.params import PathId
from organisation_service.domain import community
from organisation_service.domain.names import OfficialName
from organisation_service.handlers import communities as handlers

router = APIRouter(tags=["communities"])


class CommunityRegistration(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={
            "examples": [{"name": "茶亭社区", "county": "东安县", "town": "白牙市镇"}]
        },
    )

    name: OfficialName
    county: OfficialName
    town: OfficialName


class CommunityNewName(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", json_schema_extra={"examples": [{"name": "茶亭新社区"}]}
    )

    name: OfficialName


class CommunityView(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    county: str
    town: str
    version: int


@router.post(
    "/communities",
    status_code=201,
    summary="Register a community (社区) in a county",
    responses={409: {"description": "the name is taken in that county"}},
)
async def register_community(
    body: CommunityRegistration,
    principal: CurrentPrincipal,
    ctx: Context,
    runner: Runner,
    response: Response,
) -> CommandAccepted:
    cmd = community.RegisterCommunity(community_id=str(uuid4()), **body.model_dump())
    accepted = await handlers.register_community(runner, principal, cmd, ctx.for_request(body))
    return answer(response, accepted, f"/communities/{accepted.id}")


@router.post(
    "/communities/{community_id}/rename",
    summary="Rename a community",
    responses={404: {"description": "no such community"}, 409: {"description": "name taken"}},
)
async def rename_community(
    community_id: PathId,
    body: CommunityNewName,
    principal: CurrentPrincipal,
    ctx: Context,
    runner: Runner,
    response: Response,
) -> CommandAccepted:
    cmd = community.RenameCommunity(community_id=community_id, name=body.name)
    accepted = await handlers.rename_community(runner, principal, cmd, ctx.for_request(body))
    return answer(response, accepted, f"/communities/{accepted.id}")


@router.get("/communities/{community_id}", summary="A community, from its event stream")
async def get_community(
    community_id: PathId, principal: CurrentPrincipal, request: Request
) -> CommunityView:
    rt: Runtime = request.app.state.runtime
    state, version = await handlers.get_community(rt.store, principal, community_id)
    return CommunityView(
        id=state.community_id,
        name=state.name,
        county=state.county,
        town=state.town,
        version=version,
    )
