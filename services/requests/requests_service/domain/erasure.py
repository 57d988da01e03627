"""Erasing a resident (PIPL): one small aggregate per resident, `resident:<id>`.

The key that seals the resident's personal data is shredded by the handler first;
this aggregate records that it happened, once, and publishes ResidentErased. A second
EraseResident finds the resident erased and answers with no new event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from grassroots_eventkit.domain import Command, Decider, DomainEvent, EventTypes, IdFactory
from grassroots_eventkit.values import EntityId
from pydantic import AwareDatetime

from requests_service.domain.request import resident_subject

STREAM_TYPE = "resident"


class EraseResident(Command):
    """The handler has found the resident's requests and checked the staff's scope."""

    resident_id: EntityId
    community_id: EntityId
    request_ids: tuple[str, ...]
    by: str


class ResidentErased(DomainEvent):
    event_name = "ResidentErased"

    resident_id: str
    community_id: str
    request_ids: tuple[str, ...]
    by: str
    at: AwareDatetime


@dataclass(frozen=True, slots=True)
class Erasure:
    resident_id: str
    community_id: str
    request_ids: tuple[str, ...]
    erased_at: datetime


def decide(
    state: Erasure | None, command: EraseResident, *, now: datetime, new_id: IdFactory
) -> list[ResidentErased]:
    if state is not None:
        return []
    return [
        ResidentErased(
            resident_id=command.resident_id,
            community_id=command.community_id,
            request_ids=command.request_ids,
            by=command.by,
            at=now,
        )
    ]


def evolve(state: Erasure | None, event: ResidentErased) -> Erasure:
    return Erasure(event.resident_id, event.community_id, event.request_ids, event.at)


def stream_id(resident_id: str) -> str:
    return resident_subject(resident_id)


def community_of(state: Erasure | None) -> str:
    assert state is not None
    return state.community_id


DECIDER: Decider[Erasure | None, EraseResident, ResidentErased] = Decider(
    stream_type=STREAM_TYPE,
    initial_state=None,
    decide=decide,
    evolve=evolve,
    event_types=EventTypes(ResidentErased),
)
