"""The residential compound (小区) aggregate, with its areas (片区/楼群)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType

from grassroots_eventkit.domain import (
    Command,
    CommandRejected,
    Decider,
    DomainEvent,
    EventTypes,
    IdFactory,
    NotFound,
)
from pydantic import AwareDatetime

from organisation_service.domain.names import EntityId, OfficialName, PersonName

STREAM_TYPE = "compound"


class RegisterCompound(Command):
    compound_id: EntityId
    community_id: EntityId
    county: str
    name: OfficialName


class RenameCompound(Command):
    compound_id: EntityId
    name: OfficialName


class AddArea(Command):
    compound_id: EntityId
    area_id: EntityId
    name: OfficialName


class AssignKeyCompoundLeader(Command):
    compound_id: EntityId
    leader_id: EntityId
    name: PersonName
    title: OfficialName


CompoundCommand = RegisterCompound | RenameCompound | AddArea | AssignKeyCompoundLeader


class CompoundRegistered(DomainEvent):
    event_name = "CompoundRegistered"

    compound_id: str
    community_id: str
    county: str
    name: str
    registered_at: AwareDatetime


class CompoundRenamed(DomainEvent):
    event_name = "CompoundRenamed"

    compound_id: str
    name: str
    previous_name: str


class AreaAdded(DomainEvent):
    event_name = "AreaAdded"

    compound_id: str
    area_id: str
    name: str


class KeyCompoundLeaderAssigned(DomainEvent):
    event_name = "KeyCompoundLeaderAssigned"

    compound_id: str
    leader_id: str
    name: str
    title: str
    assigned_at: AwareDatetime


CompoundEvent = CompoundRegistered | CompoundRenamed | AreaAdded | KeyCompoundLeaderAssigned


@dataclass(frozen=True, slots=True)
class Leader:
    leader_id: str
    name: str
    title: str


@dataclass(frozen=True, slots=True)
class Compound:
    compound_id: str
    community_id: str
    county: str
    name: str
    areas: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    key_leader: Leader | None = None

    def area_named(self, name: str) -> str | None:
        return next((a for a, n in self.areas.items() if n == name), None)


def decide(
    state: Compound | None, command: CompoundCommand, *, now: datetime, new_id: IdFactory
) -> list[CompoundEvent]:
    if isinstance(command, RegisterCompound):
        if state is not None:
            raise CommandRejected(
                "compound_already_registered", f"compound {command.compound_id} exists"
            )
        return [
            CompoundRegistered(
                compound_id=command.compound_id,
                community_id=command.community_id,
                county=command.county,
                name=command.name,
                registered_at=now,
            )
        ]
    if state is None:
        raise NotFound("compound_not_found", f"no compound {command.compound_id}")
    match command:
        case RenameCompound():
            if command.name == state.name:
                return []
            return [
                CompoundRenamed(
                    compound_id=state.compound_id, name=command.name, previous_name=state.name
                )
            ]
        case AddArea():
            if command.area_id in state.areas:
                return []  # the same command again
            if state.area_named(command.name):
                raise CommandRejected(
                    "area_name_taken",
                    f"{state.name} already has an area named {command.name!r}",
                    field="name",
                )
            return [
                AreaAdded(compound_id=state.compound_id, area_id=command.area_id, name=command.name)
            ]
        case AssignKeyCompoundLeader():
            if state.key_leader and state.key_leader.leader_id == command.leader_id:
                return []
            return [
                KeyCompoundLeaderAssigned(
                    compound_id=state.compound_id,
                    leader_id=command.leader_id,
                    name=command.name,
                    title=command.title,
                    assigned_at=now,
                )
            ]
    raise AssertionError(f"unhandled command {command!r}")


def evolve(state: Compound | None, event: CompoundEvent) -> Compound | None:
    if isinstance(event, CompoundRegistered):
        return Compound(event.compound_id, event.community_id, event.county, event.name)
    assert state is not None
    match event:
        case CompoundRenamed():
            return replace(state, name=event.name)
        case AreaAdded():
            return replace(
                state, areas=MappingProxyType({**state.areas, event.area_id: event.name})
            )
        case KeyCompoundLeaderAssigned():
            return replace(state, key_leader=Leader(event.leader_id, event.name, event.title))
    raise AssertionError(f"unhandled event {event!r}")


def community_of(state: Compound | None) -> str:
    assert state is not None
    return state.community_id


DECIDER: Decider[Compound | None, CompoundCommand, CompoundEvent] = Decider(
    stream_type=STREAM_TYPE,
    initial_state=None,
    decide=decide,
    evolve=evolve,
    event_types=EventTypes(
        CompoundRegistered, CompoundRenamed, AreaAdded, KeyCompoundLeaderAssigned
    ),
)
