"""Erasing a person (PIPL): one small aggregate per erased subject, named as the subject.

A resident with an account is `resident:<id>`; a caller without one (hotline, service
hall, Open311) is known only through their request, `request:<id>`. The key that seals
the person's data is shredded by the handler first; this aggregate records that it
happened, once (ResidentErased is published; a caller has no public id to announce).
A second erasure finds it done and answers with no new event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from grassroots_eventkit.domain import Command, Decider, DomainEvent, EventTypes, IdFactory
from grassroots_eventkit.values import EntityId
from pydantic import AwareDatetime

from requests_service.domain.request import caller_subject, resident_subject

STREAM_TYPE = "resident"
CALLER_STREAM_TYPE = "caller"


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


def caller_stream_id(request_id: str) -> str:
    return caller_subject(request_id)


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


class EraseCaller(Command):
    """The personal data of a request's caller without an account; the handler has
    checked that the request has no resident and that the staff may."""

    request_id: EntityId
    community_id: EntityId
    by: str


class CallerErased(DomainEvent):
    event_name = "CallerErased"

    request_id: str
    community_id: str
    by: str
    at: AwareDatetime


@dataclass(frozen=True, slots=True)
class CallerErasure:
    request_id: str
    community_id: str
    erased_at: datetime


def decide_caller(
    state: CallerErasure | None, command: EraseCaller, *, now: datetime, new_id: IdFactory
) -> list[CallerErased]:
    if state is not None:
        return []
    return [
        CallerErased(
            request_id=command.request_id, community_id=command.community_id, by=command.by, at=now
        )
    ]


def evolve_caller(state: CallerErasure | None, event: CallerErased) -> CallerErasure:
    return CallerErasure(event.request_id, event.community_id, event.at)


def caller_community_of(state: CallerErasure | None) -> str:
    assert state is not None
    return state.community_id


CALLER_DECIDER: Decider[CallerErasure | None, EraseCaller, CallerErased] = Decider(
    stream_type=CALLER_STREAM_TYPE,
    initial_state=None,
    decide=decide_caller,
    evolve=evolve_caller,
    event_types=EventTypes(CallerErased),
)
