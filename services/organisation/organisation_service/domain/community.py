"""The community (社区) aggregate: registered in a county's grid, renamed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType
from typing import Literal

from grassroots_eventkit.domain import (
    Command,
    CommandRejected,
    Decider,
    DomainEvent,
    EventTypes,
    IdFactory,
    NotFound,
)
from pydantic import AwareDatetime, Field

from organisation_service.domain.names import EntityId, OfficialName, PersonName

STREAM_TYPE = "community"

WorkerRole = Literal["grid_worker", "community_worker"]


# Commands


class RegisterCommunity(Command):
    community_id: str
    name: OfficialName
    county: OfficialName
    town: OfficialName


class RenameCommunity(Command):
    community_id: str
    name: OfficialName


class LinkCountyLeader(Command):
    """A county standing-committee member links this community (县委常委联系社区)."""

    community_id: str
    leader_id: EntityId
    name: PersonName
    title: OfficialName


class AssignCommunityWorker(Command):
    """The handler has checked that every grid unit is a compound or area of this community."""

    community_id: str
    worker_id: EntityId
    name: PersonName
    role: WorkerRole
    grid_unit_ids: tuple[EntityId, ...] = Field(min_length=1, max_length=50)


class AppointCommitteeSecretary(Command):
    """The community party committee's secretary (社区党委书记); the handler has checked the
    member exists."""

    community_id: str
    member_id: EntityId


CommunityCommand = (
    RegisterCommunity
    | RenameCommunity
    | LinkCountyLeader
    | AssignCommunityWorker
    | AppointCommitteeSecretary
)


# Events


class CommunityRegistered(DomainEvent):
    event_name = "CommunityRegistered"

    community_id: str
    name: str
    county: str
    town: str
    registered_at: AwareDatetime


class CommunityRenamed(DomainEvent):
    event_name = "CommunityRenamed"

    community_id: str
    name: str
    previous_name: str
    renamed_at: AwareDatetime


class CountyLeaderLinked(DomainEvent):
    event_name = "CountyLeaderLinked"

    community_id: str
    leader_id: str
    name: str
    title: str


class CommunityWorkerAssigned(DomainEvent):
    event_name = "CommunityWorkerAssigned"

    community_id: str
    worker_id: str
    name: str
    role: WorkerRole
    grid_unit_ids: tuple[str, ...]


class CommitteeSecretaryAppointed(DomainEvent):
    event_name = "CommitteeSecretaryAppointed"

    community_id: str
    member_id: str
    previous_member_id: str | None


CommunityEvent = (
    CommunityRegistered
    | CommunityRenamed
    | CountyLeaderLinked
    | CommunityWorkerAssigned
    | CommitteeSecretaryAppointed
)


# State


@dataclass(frozen=True, slots=True)
class Person:
    person_id: str
    name: str
    title: str


@dataclass(frozen=True, slots=True)
class Community:
    community_id: str
    name: str
    county: str
    town: str
    leaders: tuple[Person, ...] = ()
    workers: Mapping[str, tuple[Person, tuple[str, ...]]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    committee_secretary: str | None = None


def decide(
    state: Community | None, command: CommunityCommand, *, now: datetime, new_id: IdFactory
) -> list[CommunityEvent]:
    match command:
        case RegisterCommunity():
            if state is not None:
                raise CommandRejected(
                    "community_already_registered",
                    f"community {command.community_id} is already registered",
                )
            return [
                CommunityRegistered(
                    community_id=command.community_id,
                    name=command.name,
                    county=command.county,
                    town=command.town,
                    registered_at=now,
                )
            ]
    if state is None:
        raise NotFound("community_not_found", f"no community {command.community_id}")
    match command:
        case RenameCommunity():
            if command.name == state.name:
                return []
            return [
                CommunityRenamed(
                    community_id=state.community_id,
                    name=command.name,
                    previous_name=state.name,
                    renamed_at=now,
                )
            ]
        case LinkCountyLeader():
            if any(p.person_id == command.leader_id for p in state.leaders):
                return []
            return [
                CountyLeaderLinked(
                    community_id=state.community_id,
                    leader_id=command.leader_id,
                    name=command.name,
                    title=command.title,
                )
            ]
        case AssignCommunityWorker():
            current = state.workers.get(command.worker_id)
            if current and current[0].title == command.role and current[1] == command.grid_unit_ids:
                return []
            return [
                CommunityWorkerAssigned(
                    community_id=state.community_id,
                    worker_id=command.worker_id,
                    name=command.name,
                    role=command.role,
                    grid_unit_ids=command.grid_unit_ids,
                )
            ]
        case AppointCommitteeSecretary():
            if state.committee_secretary == command.member_id:
                return []
            return [
                CommitteeSecretaryAppointed(
                    community_id=state.community_id,
                    member_id=command.member_id,
                    previous_member_id=state.committee_secretary,
                )
            ]
    raise AssertionError(f"unhandled command {command!r}")


def evolve(state: Community | None, event: CommunityEvent) -> Community | None:
    match event:
        case CommunityRegistered():
            return Community(event.community_id, event.name, event.county, event.town)
    assert state is not None
    match event:
        case CommunityRenamed():
            return replace(state, name=event.name)
        case CountyLeaderLinked():
            leader = Person(event.leader_id, event.name, event.title)
            return replace(state, leaders=(*state.leaders, leader))
        case CommunityWorkerAssigned():
            worker = (Person(event.worker_id, event.name, event.role), event.grid_unit_ids)
            return replace(
                state, workers=MappingProxyType({**state.workers, event.worker_id: worker})
            )
        case CommitteeSecretaryAppointed():
            return replace(state, committee_secretary=event.member_id)
    raise AssertionError(f"unhandled event {event!r}")


def community_of(state: Community | None) -> str:
    assert state is not None
    return state.community_id


DECIDER: Decider[Community | None, CommunityCommand, CommunityEvent] = Decider(
    stream_type=STREAM_TYPE,
    initial_state=None,
    decide=decide,
    evolve=evolve,
    event_types=EventTypes(
        CommunityRegistered,
        CommunityRenamed,
        CountyLeaderLinked,
        CommunityWorkerAssigned,
        CommitteeSecretaryAppointed,
    ),
)
