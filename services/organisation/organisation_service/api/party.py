"""HTTP routes for compound party branches (小区党支部) and building party groups (楼栋党小组)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from grassroots_eventkit.commands import load_aggregate
from grassroots_eventkit.domain import NotFound
from grassroots_eventkit.http.commands import CommandAccepted, Context, Runner, Store, answer
from grassroots_eventkit.http.security import CurrentPrincipal
from pydantic import BaseModel, Field

from organisation_service.api.params import PathId, example_body
from organisation_service.domain import branch
from organisation_service.domain.names import EntityId
from organisation_service.handlers import party as handlers

router = APIRouter(tags=["party organisation"])

_M = "0193a7c2-0000-7000-8000-00000000e001"


class MemberRef(BaseModel):
    model_config = example_body({"member_id": _M})
    member_id: EntityId


class CommitteeSeat(BaseModel):
    model_config = example_body(
        {"member_id": _M, "area_id": "0193a7c2-0000-7000-8000-00000000a001"}
    )
    member_id: EntityId
    area_id: EntityId


class NewGroup(BaseModel):
    model_config = example_body(
        {"building_id": "0193a7c2-0000-7000-8000-00000000b001", "leader_member_id": _M}
    )
    building_id: EntityId
    leader_member_id: EntityId


class Leader(BaseModel):
    model_config = example_body({"leader_member_id": _M})
    leader_member_id: EntityId


class BranchView(BaseModel):
    id: str
    compound_id: str
    community_id: str
    members: list[str]
    secretary: str | None
    committee: dict[str, str]
    groups: dict[str, str]
    dissolved: bool
    version: int


@router.post(
    "/compounds/{compound_id}/branch",
    status_code=201,
    summary="Establish the compound's party branch (one per compound)",
    responses={
        404: {"description": "no such compound"},
        409: {"description": "the compound already has a branch"},
    },
)
async def establish_branch(
    compound_id: PathId,
    principal: CurrentPrincipal,
    ctx: Context,
    runner: Runner,
    store: Store,
    response: Response,
) -> CommandAccepted:
    accepted = await handlers.establish_branch(
        runner, store, principal, ctx, compound_id=compound_id
    )
    return answer(response, accepted, f"/branches/{accepted.id}")


async def _run(
    runner: Runner,
    store: Store,
    principal: CurrentPrincipal,
    ctx: Context,
    response: Response,
    cmd: branch.BranchCommand,
    body: BaseModel | None = None,
) -> CommandAccepted:
    ctx = ctx.for_request(body) if body is not None else ctx
    return answer(response, await handlers.change_branch(runner, store, principal, ctx, cmd))


@router.post("/branches/{branch_id}/members", summary="Admit a member to the branch")
async def admit_member(
    branch_id: PathId,
    body: MemberRef,
    principal: CurrentPrincipal,
    ctx: Context,
    runner: Runner,
    store: Store,
    response: Response,
) -> CommandAccepted:
    cmd = branch.AdmitBranchMember(branch_id=branch_id, member_id=body.member_id)
    return await _run(runner, store, principal, ctx, response, cmd, body)


class MemberRefs(BaseModel):
    model_config = example_body({"member_ids": [_M]})
    member_ids: list[EntityId] = Field(min_length=1, max_length=500)


@router.post(
    "/branches/{branch_id}/members/bulk", summary="Admit many members to the branch at once"
)
async def admit_members(
    branch_id: PathId,
    body: MemberRefs,
    principal: CurrentPrincipal,
    ctx: Context,
    runner: Runner,
    store: Store,
    response: Response,
) -> CommandAccepted:
    cmd = branch.AdmitBranchMembers(branch_id=branch_id, member_ids=tuple(body.member_ids))
    return await _run(runner, store, principal, ctx, response, cmd, body)


@router.post(
    "/branches/{branch_id}/members/{member_id}/remove", summary="Remove a member who holds no post"
)
async def remove_member(
    branch_id: PathId,
    member_id: PathId,
    principal: CurrentPrincipal,
    ctx: Context,
    runner: Runner,
    store: Store,
    response: Response,
) -> CommandAccepted:
    cmd = branch.RemoveBranchMember(branch_id=branch_id, member_id=member_id)
    return await _run(runner, store, principal, ctx, response, cmd)


@router.post(
    "/branches/{branch_id}/secretary",
    summary="Appoint the secretary (支部书记) of a branch without one",
)
async def appoint_secretary(
    branch_id: PathId,
    body: MemberRef,
    principal: CurrentPrincipal,
    ctx: Context,
    runner: Runner,
    store: Store,
    response: Response,
) -> CommandAccepted:
    cmd = branch.AppointSecretary(branch_id=branch_id, member_id=body.member_id)
    return await _run(runner, store, principal, ctx, response, cmd, body)


@router.put("/branches/{branch_id}/secretary", summary="Replace the branch secretary")
async def replace_secretary(
    branch_id: PathId,
    body: MemberRef,
    principal: CurrentPrincipal,
    ctx: Context,
    runner: Runner,
    store: Store,
    response: Response,
) -> CommandAccepted:
    cmd = branch.ReplaceSecretary(branch_id=branch_id, member_id=body.member_id)
    return await _run(runner, store, principal, ctx, response, cmd, body)


@router.post(
    "/branches/{branch_id}/committee",
    summary="Appoint a committee member (支部委员) responsible for an area",
)
async def appoint_committee_member(
    branch_id: PathId,
    body: CommitteeSeat,
    principal: CurrentPrincipal,
    ctx: Context,
    runner: Runner,
    store: Store,
    response: Response,
) -> CommandAccepted:
    cmd = branch.AppointCommitteeMember(
        branch_id=branch_id, member_id=body.member_id, area_id=body.area_id
    )
    return await _run(runner, store, principal, ctx, response, cmd, body)


@router.post(
    "/branches/{branch_id}/committee/{member_id}/remove", summary="Remove a committee member"
)
async def remove_committee_member(
    branch_id: PathId,
    member_id: PathId,
    principal: CurrentPrincipal,
    ctx: Context,
    runner: Runner,
    store: Store,
    response: Response,
) -> CommandAccepted:
    cmd = branch.RemoveCommitteeMember(branch_id=branch_id, member_id=member_id)
    return await _run(runner, store, principal, ctx, response, cmd)


@router.post(
    "/branches/{branch_id}/groups",
    summary="Form a building party group (楼栋党小组) with its leader (党小组长)",
)
async def form_group(
    branch_id: PathId,
    body: NewGroup,
    principal: CurrentPrincipal,
    ctx: Context,
    runner: Runner,
    store: Store,
    response: Response,
) -> CommandAccepted:
    cmd = branch.FormPartyGroup(
        branch_id=branch_id, building_id=body.building_id, leader_member_id=body.leader_member_id
    )
    return await _run(runner, store, principal, ctx, response, cmd, body)


@router.put(
    "/branches/{branch_id}/groups/{building_id}/leader", summary="Replace a party group's leader"
)
async def replace_group_leader(
    branch_id: PathId,
    building_id: PathId,
    body: Leader,
    principal: CurrentPrincipal,
    ctx: Context,
    runner: Runner,
    store: Store,
    response: Response,
) -> CommandAccepted:
    cmd = branch.ReplaceGroupLeader(
        branch_id=branch_id, building_id=building_id, leader_member_id=body.leader_member_id
    )
    return await _run(runner, store, principal, ctx, response, cmd, body)


@router.post(
    "/branches/{branch_id}/groups/{building_id}/dissolve", summary="Dissolve a party group"
)
async def dissolve_group(
    branch_id: PathId,
    building_id: PathId,
    principal: CurrentPrincipal,
    ctx: Context,
    runner: Runner,
    store: Store,
    response: Response,
) -> CommandAccepted:
    cmd = branch.DissolvePartyGroup(branch_id=branch_id, building_id=building_id)
    return await _run(runner, store, principal, ctx, response, cmd)


@router.post("/branches/{branch_id}/dissolve", summary="Dissolve the branch")
async def dissolve_branch(
    branch_id: PathId,
    principal: CurrentPrincipal,
    ctx: Context,
    runner: Runner,
    store: Store,
    response: Response,
) -> CommandAccepted:
    return await _run(
        runner, store, principal, ctx, response, branch.DissolveBranch(branch_id=branch_id)
    )


@router.get("/branches/{branch_id}", summary="A branch: members, secretary, committee, groups")
async def get_branch(branch_id: PathId, principal: CurrentPrincipal, store: Store) -> BranchView:
    version, state = await load_aggregate(store, branch.DECIDER, branch_id)
    if state is None:
        raise NotFound("branch_not_found", f"no branch {branch_id}")
    principal.require_access(state.community_id, state.county)
    return BranchView(
        id=state.branch_id,
        compound_id=state.compound_id,
        community_id=state.community_id,
        members=sorted(state.members),
        secretary=state.secretary,
        committee=dict(state.committee),
        groups=dict(state.groups),
        dissolved=state.dissolved,
        version=version,
    )
