"""The volunteer team aggregate (志愿服务队): members join and leave, and claim (认领) the
service projects the team offers, by wish and skill."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from grassroots_contracts.volunteering.events import TeamKind
from grassroots_eventkit.domain import (
    Command,
    CommandRejected,
    Decider,
    DomainEvent,
    EventTypes,
    IdFactory,
    InvalidValue,
    NotFound,
)
from grassroots_eventkit.values import EntityId
from pydantic import AwareDatetime, Field

STREAM_TYPE = "team"


class RegisterTeam(Command):
    team_id: EntityId
    community_id: EntityId
    county: str
    kind: TeamKind
    name: str = Field(min_length=2, max_length=50)
    partner: str | None = Field(default=None, min_length=2, max_length=50)


class JoinTeam(Command):
    team_id: EntityId
    member_id: EntityId


class LeaveTeam(Command):
    team_id: EntityId
    member_id: EntityId


class AddServiceProject(Command):
    team_id: EntityId
    project_id: EntityId
    title: str = Field(min_length=2, max_length=60)
    skills: tuple[str, ...] = Field(default=(), max_length=10)


class ClaimServiceProject(Command):
    team_id: EntityId
    project_id: EntityId
    member_id: EntityId


TeamCommand = RegisterTeam | JoinTeam | LeaveTeam | AddServiceProject | ClaimServiceProject


class TeamRegistered(DomainEvent):
    event_name = "TeamRegistered"

    team_id: str
    community_id: str
    county: str
    kind: TeamKind
    name: str
    partner: str | None
    at: AwareDatetime


class MemberJoined(DomainEvent):
    event_name = "MemberJoined"

    team_id: str
    member_id: str
    at: AwareDatetime


class MemberLeft(DomainEvent):
    event_name = "MemberLeft"

    team_id: str
    member_id: str
    at: AwareDatetime


class ServiceProjectAdded(DomainEvent):
    event_name = "ServiceProjectAdded"

    team_id: str
    project_id: str
    title: str
    skills: tuple[str, ...]


class ServiceProjectClaimed(DomainEvent):
    event_name = "ServiceProjectClaimed"

    team_id: str
    project_id: str
    member_id: str
    at: AwareDatetime


TeamEvent = TeamRegistered | MemberJoined | MemberLeft | ServiceProjectAdded | ServiceProjectClaimed


@dataclass(frozen=True, slots=True)
class Team:
    team_id: str
    community_id: str
    county: str
    kind: TeamKind
    members: frozenset[str] = frozenset()
    projects: dict[str, str | None] = field(default_factory=dict)  # project -> claimed by


def decide(
    state: Team | None, command: TeamCommand, *, now: datetime, new_id: IdFactory
) -> list[TeamEvent]:
    if isinstance(command, RegisterTeam):
        if state is not None:
            raise CommandRejected("team_exists", f"team {command.team_id} exists")
        if (command.kind == "partner") != (command.partner is not None):
            raise InvalidValue(
                "partner_names_its_organisation",
                "a partner team names its outside organisation, and only a partner team does",
                field="partner",
            )
        return [TeamRegistered(**command.model_dump(), at=now)]
    if state is None:
        raise NotFound("team_not_found", f"no team {command.team_id}")
    match command:
        case JoinTeam():
            if command.member_id in state.members:
                return []
            return [MemberJoined(team_id=state.team_id, member_id=command.member_id, at=now)]
        case LeaveTeam():
            if command.member_id not in state.members:
                raise CommandRejected(
                    "not_a_member", "that member is not in the team", field="member_id"
                )
            return [MemberLeft(team_id=state.team_id, member_id=command.member_id, at=now)]
        case AddServiceProject():
            if command.project_id in state.projects:
                raise CommandRejected("project_exists", "that project exists", field="project_id")
            return [
                ServiceProjectAdded(
                    team_id=state.team_id,
                    project_id=command.project_id,
                    title=command.title,
                    skills=command.skills,
                )
            ]
        case ClaimServiceProject():
            if command.project_id not in state.projects:
                raise NotFound("project_not_found", f"no project {command.project_id}")
            if command.member_id not in state.members:
                raise CommandRejected(
                    "not_a_member", "join the team to claim its projects", field="member_id"
                )
            holder = state.projects[command.project_id]
            if holder == command.member_id:
                return []
            if holder is not None:
                raise CommandRejected("project_claimed", "another member claimed it")
            return [
                ServiceProjectClaimed(
                    team_id=state.team_id,
                    project_id=command.project_id,
                    member_id=command.member_id,
                    at=now,
                )
            ]
    raise AssertionError(f"unhandled command {command!r}")


def evolve(state: Team | None, event: TeamEvent) -> Team | None:
    if isinstance(event, TeamRegistered):
        return Team(
            team_id=event.team_id,
            community_id=event.community_id,
            county=event.county,
            kind=event.kind,
        )
    assert state is not None
    match event:
        case MemberJoined():
            return replace(state, members=state.members | {event.member_id})
        case MemberLeft():
            return replace(state, members=state.members - {event.member_id})
        case ServiceProjectAdded():
            return replace(state, projects={**state.projects, event.project_id: None})
        case ServiceProjectClaimed():
            return replace(state, projects={**state.projects, event.project_id: event.member_id})
    raise AssertionError(f"unhandled event {event!r}")


def community_of(state: Team | None) -> str:
    assert state is not None
    return state.community_id


DECIDER: Decider[Team | None, TeamCommand, TeamEvent] = Decider(
    stream_type=STREAM_TYPE,
    initial_state=None,
    decide=decide,
    evolve=evolve,
    event_types=EventTypes(
        TeamRegistered, MemberJoined, MemberLeft, ServiceProjectAdded, ServiceProjectClaimed
    ),
)
