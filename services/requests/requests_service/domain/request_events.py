"""What happened to a request: its stored events (private; publication.py makes the public ones).

Fields marked `Personal` are the resident's personal data, or free text that may hold
it: the store seals them with the resident's key (PERSONAL_FIELDS), and they read as
their `erased` value once the resident is erased (docs/personal-data.md).
"""

from __future__ import annotations

from typing import Annotated, Literal

from grassroots_contracts.requests.lifecycle import Channel, Level, Rating, WhistleKind
from grassroots_eventkit.domain import DomainEvent
from grassroots_eventkit.personal import ERASED_TEXT, Personal, PersonalFields
from pydantic import AwareDatetime

from requests_service.domain.request_commands import Actor, Address, Contact, Route

Text = Annotated[str, Personal(erased=ERASED_TEXT)]
OptionalText = Annotated[str | None, Personal(erased=None)]


class RequestSubmitted(DomainEvent):
    event_name = "RequestSubmitted"

    request_id: str
    county: str
    address: Address
    category: str
    channel: Channel
    text: Text
    photos: Annotated[tuple[str, ...], Personal(erased=())]
    contact: Annotated[Contact | None, Personal(erased=None)]
    resident_id: str | None
    submitted_by: str
    at: AwareDatetime
    respond_by: AwareDatetime
    resolve_by: AwareDatetime


class RequestRouted(DomainEvent):
    event_name = "RequestRouted"

    request_id: str
    route: Route
    at: AwareDatetime


class RequestClaimed(DomainEvent):
    event_name = "RequestClaimed"

    request_id: str
    member_id: str
    assigned_by: str | None
    at: AwareDatetime
    within_deadline: bool


class ProgressNoted(DomainEvent):
    event_name = "ProgressNoted"

    request_id: str
    by: Actor
    note: Text
    at: AwareDatetime


class RequestEscalated(DomainEvent):
    event_name = "RequestEscalated"

    request_id: str
    from_level: Level
    to_level: Level
    department: str | None
    whistle: WhistleKind
    reason: Text
    automatic: bool
    by: Actor | None
    at: AwareDatetime


class DepartmentReported(DomainEvent):
    event_name = "DepartmentReported"

    request_id: str
    department: str
    at: AwareDatetime


class RequestResolved(DomainEvent):
    event_name = "RequestResolved"

    request_id: str
    by: Actor
    resolution: Text
    level: Level
    at: AwareDatetime
    within_deadline: bool
    confirm_by: AwareDatetime


class RequestRated(DomainEvent):
    event_name = "RequestRated"

    request_id: str
    rating: Rating
    comment: OptionalText
    resolved_by: Actor
    at: AwareDatetime


class RequestReopened(DomainEvent):
    event_name = "RequestReopened"

    request_id: str
    at: AwareDatetime
    resolve_by: AwareDatetime
    previously_resolved_by: Actor


class RequestClosed(DomainEvent):
    event_name = "RequestClosed"

    request_id: str
    outcome: Literal["resolved", "unresolved"]
    reason: Literal["rated", "not_confirmed", "reopened_too_often"]
    at: AwareDatetime


class RequestCancelled(DomainEvent):
    event_name = "RequestCancelled"

    request_id: str
    reason: OptionalText
    at: AwareDatetime


class RequestRejected(DomainEvent):
    event_name = "RequestRejected"

    request_id: str
    by: Actor
    reason: Text
    at: AwareDatetime


class RequestMerged(DomainEvent):
    event_name = "RequestMerged"

    request_id: str
    into_request_id: str
    at: AwareDatetime


class SupportersJoined(DomainEvent):
    event_name = "SupportersJoined"

    request_id: str
    from_request_id: str
    supporters: tuple[str, ...]


class DeadlineMissed(DomainEvent):
    event_name = "DeadlineMissed"

    request_id: str
    deadline: Literal["response", "resolution"]
    due_at: AwareDatetime
    level: Level
    at: AwareDatetime


RequestEvent = (
    RequestSubmitted
    | RequestRouted
    | RequestClaimed
    | ProgressNoted
    | RequestEscalated
    | DepartmentReported
    | RequestResolved
    | RequestRated
    | RequestReopened
    | RequestClosed
    | RequestCancelled
    | RequestRejected
    | RequestMerged
    | SupportersJoined
    | DeadlineMissed
)

# Every stored request event with personal fields, sealed with the resident's key.
PERSONAL_FIELDS = PersonalFields(
    RequestSubmitted,
    ProgressNoted,
    RequestEscalated,
    RequestResolved,
    RequestRated,
    RequestCancelled,
    RequestRejected,
)
