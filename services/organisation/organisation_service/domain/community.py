"""The community (社区) aggregate: registered in a county's grid, renamed."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

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

from organisation_service.domain.names import OfficialName

STREAM_TYPE = "community"


# Commands


class RegisterCommunity(Command):
    community_id: str
    name: OfficialName
    county: OfficialName
    town: OfficialName


class RenameCommunity(Command):
    community_id: str
    name: OfficialName


CommunityCommand = RegisterCommunity | RenameCommunity


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


CommunityEvent = CommunityRegistered | CommunityRenamed


# State


@dataclass(frozen=True, slots=True)
class Community:
    community_id: str
    name: str
    county: str
    town: str


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
        case RenameCommunity():
            if state is None:
                raise NotFound("community_not_found", f"no community {command.community_id}")
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


def evolve(state: Community | None, event: CommunityEvent) -> Community | None:
    match event:
        case CommunityRegistered():
            return Community(event.community_id, event.name, event.county, event.town)
        case CommunityRenamed():
            assert state is not None
            return replace(state, name=event.name)


def community_of(state: Community | None) -> str:
    assert state is not None
    return state.community_id


DECIDER: Decider[Community | None, CommunityCommand, CommunityEvent] = Decider(
    stream_type=STREAM_TYPE,
    initial_state=None,
    decide=decide,
    evolve=evolve,
    event_types=EventTypes(CommunityRegistered, CommunityRenamed),
)
