"""HTTP commands on volunteer teams (志愿服务队) and their service projects (认领)."""

from __future__ import annotations

from uuid import NAMESPACE_URL, uuid5

from fastapi import APIRouter, Response
from grassroots_contracts.volunteering.events import TeamKind
from grassroots_eventkit.commands import load_aggregate
from grassroots_eventkit.domain import NotFound
from grassroots_eventkit.http.commands import CommandAccepted, answer
from grassroots_eventkit.ids import uuid7
from grassroots_eventkit.values import EntityId
from pydantic import BaseModel, Field

from volunteering_service.api.deps import DeskDep, PathId, example_body, keyed
from volunteering_service.domain import team
from volunteering_service.handlers import commands as handlers

router = APIRouter(tags=["teams"])
_C = "7d3f1c2e-0b1a-4c55-9a57-1f0e4b8f2c11"
_M = "0193a7c2-0000-7000-8000-00000000e001"


class NewTeam(BaseModel):
    model_config = example_body(
        {"community_id": _C, "kind": "caring_volunteers", "name": "茶亭社区爱心义工社"}
    )
    community_id: EntityId
    kind: TeamKind
    name: str = Field(min_length=2, max_length=50)
    partner: str | None = Field(default=None, min_length=2, max_length=50)


class MemberRef(BaseModel):
    model_config = example_body({"member_id": _M})
    member_id: EntityId | None = Field(default=None, description="staff name the member")


class NewProject(BaseModel):
    model_config = example_body({"title": "空巢老人结对帮扶", "skills": ["陪伴", "家政"]})
    title: str = Field(min_length=2, max_length=60)
    skills: list[str] = Field(default=[], max_length=10)


@router.post("/teams", status_code=201, summary="Set up a volunteer team (志愿服务队)")
async def register_team(body: NewTeam, desk: DeskDep, response: Response) -> CommandAccepted:
    cmd = team.RegisterTeam(team_id=str(uuid7()), county="-", **body.model_dump())
    accepted = await handlers.register_team(keyed(desk, body), cmd)
    return answer(response, accepted, f"/teams/{accepted.id}")


@router.post("/teams/{team_id}/members", summary="A member joins the team")
async def join(
    team_id: PathId, body: MemberRef, desk: DeskDep, response: Response
) -> CommandAccepted:
    accepted = await handlers.team_member(
        keyed(desk, body),
        team_id,
        body.member_id,
        lambda who: team.JoinTeam(team_id=team_id, member_id=who),
    )
    return answer(response, accepted)


@router.post("/teams/{team_id}/members/leave", summary="A member leaves the team")
async def leave(
    team_id: PathId, body: MemberRef, desk: DeskDep, response: Response
) -> CommandAccepted:
    accepted = await handlers.team_member(
        keyed(desk, body),
        team_id,
        body.member_id,
        lambda who: team.LeaveTeam(team_id=team_id, member_id=who),
    )
    return answer(response, accepted)


@router.post(
    "/teams/{team_id}/projects",
    summary="Offer a service project (its id is in the Location header)",
)
async def add_project(
    team_id: PathId, body: NewProject, desk: DeskDep, response: Response
) -> CommandAccepted:
    # Named by its team and title: a retried offer names the same project (and a second
    # project of the same title in one team is refused as project_exists).
    project_id = str(uuid5(NAMESPACE_URL, f"grassroots:project:{team_id}:{body.title}"))
    cmd = team.AddServiceProject(
        team_id=team_id, project_id=project_id, title=body.title, skills=tuple(body.skills)
    )
    accepted = await handlers.team_staff(keyed(desk, body), cmd)
    return answer(response, accepted, f"/teams/{team_id}/projects/{cmd.project_id}")


@router.post(
    "/teams/{team_id}/projects/{project_id}/claim",
    summary="A team member claims a service project (认领)",
)
async def claim_project(
    team_id: PathId, project_id: PathId, body: MemberRef, desk: DeskDep, response: Response
) -> CommandAccepted:
    accepted = await handlers.team_member(
        keyed(desk, body),
        team_id,
        body.member_id,
        lambda who: team.ClaimServiceProject(team_id=team_id, project_id=project_id, member_id=who),
    )
    return answer(response, accepted)


class TeamView(BaseModel):
    id: str
    community_id: str
    kind: str
    members: list[str]
    projects: dict[str, str | None] = Field(description="project id -> the member who claimed it")
    version: int


@router.get("/teams/{team_id}", summary="A team: its members and projects")
async def get_team(team_id: PathId, desk: DeskDep) -> TeamView:
    version, found = await load_aggregate(desk.store, team.DECIDER, team_id)
    if found is None:
        raise NotFound("team_not_found", f"no team {team_id}")
    if not desk.principal.has_role("member"):  # members may browse teams to join them
        desk.principal.require_access(found.community_id, found.county)
    return TeamView(
        id=found.team_id,
        community_id=found.community_id,
        kind=found.kind,
        members=sorted(found.members),
        projects=dict(found.projects),
        version=version,
    )
