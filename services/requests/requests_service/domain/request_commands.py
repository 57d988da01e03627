"""What can be asked of a request: its commands and the values they carry (pure data)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from grassroots_contracts.requests.lifecycle import Channel, Level, Rating, WhistleKind
from grassroots_eventkit.domain import Command
from grassroots_eventkit.values import EntityId, PersonName, Phone, written_text
from pydantic import AfterValidator, AnyHttpUrl, AwareDatetime, BaseModel, ConfigDict, Field
from pydantic import StringConstraints as Text

from requests_service.domain.catalogue import DeadlineRule

Status = Literal["open", "claimed", "resolved", "closed", "cancelled", "rejected", "merged"]
FINAL: frozenset[str] = frozenset({"closed", "cancelled", "rejected", "merged"})
DeadlineKind = Literal["response", "resolution", "confirmation"]
# Levels inside the community's own grid, below its staff.
GRID_LEVELS: frozenset[str] = frozenset({"household", "building", "area", "compound"})

RequestText = Annotated[
    str, Text(strip_whitespace=True, min_length=1, max_length=2000), AfterValidator(written_text)
]
Note = Annotated[
    str, Text(strip_whitespace=True, min_length=1, max_length=1000), AfterValidator(written_text)
]


class Address(BaseModel):
    """A grid position, filled in from the routing model: the handler has checked it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    community_id: EntityId
    compound_id: EntityId | None = None
    area_id: EntityId | None = None
    building_id: EntityId | None = None
    household_id: EntityId | None = None


class Contact(BaseModel):
    """Personal data: kept in this service's store, never in a public event."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: PersonName
    phone: Phone


class Route(BaseModel):
    """Who answers for the address, nearest first; empty means the community's staff."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    level: Level
    responsible_ids: tuple[str, ...] = ()


class Actor(BaseModel):
    """Who acts, as the handler established it from the token."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["resident", "member", "department", "community"]
    id: str


class SubmitRequest(Command):
    request_id: EntityId
    county: str
    address: Address
    category: str
    channel: Channel
    text: RequestText
    photos: tuple[AnyHttpUrl, ...] = Field(default=(), max_length=9)
    contact: Contact | None = None
    resident_id: str | None = None
    deadlines: DeadlineRule
    route: Route


class ClaimRequest(Command):
    """A member in the chain reports for duty on it (党员报到)."""

    request_id: EntityId
    member_id: str


class AssignRequest(Command):
    """Community staff give it to a member."""

    request_id: EntityId
    member_id: str
    by: str


class NoteProgress(Command):
    request_id: EntityId
    by: Actor
    note: Note


class ResolveRequest(Command):
    request_id: EntityId
    by: Actor
    resolution: Note
    confirm_within: timedelta


class RateRequest(Command):
    request_id: EntityId
    by: Actor
    rating: Rating
    comment: Note | None = None
    max_reopenings: int = Field(ge=0)


class EscalateRequest(Command):
    """Blow the whistle (吹哨)."""

    request_id: EntityId
    by: Actor
    to_level: Literal["community", "department"]
    department: str | None = None
    whistle: WhistleKind
    reason: Note


class ReportForWhistle(Command):
    """The department the whistle called reports for duty (报到)."""

    request_id: EntityId
    department: str


class MarkDeadline(Command):
    """Asked by the timer once a deadline has passed; answered at most once per deadline."""

    request_id: EntityId
    deadline: DeadlineKind
    due_at: AwareDatetime
    department: str | None = Field(
        default=None, description="who an automatic whistle calls from the community level"
    )


class RerouteRequest(Command):
    """The address's chain changed (a new group leader, say): an open request that nobody
    took yet goes to the new chain."""

    request_id: EntityId
    route: Route


class CancelRequest(Command):
    request_id: EntityId
    by: Actor
    reason: Note | None = None


class RejectRequest(Command):
    request_id: EntityId
    by: Actor
    reason: Note


class MergeRequest(Command):
    """Fold this duplicate into `into_request_id` (the handler runs JoinSupporters there)."""

    request_id: EntityId
    into_request_id: EntityId
    by: Actor


class JoinSupporters(Command):
    request_id: EntityId
    from_request_id: EntityId
    supporters: tuple[str, ...]


RequestCommand = (
    SubmitRequest
    | ClaimRequest
    | AssignRequest
    | NoteProgress
    | ResolveRequest
    | RateRequest
    | EscalateRequest
    | ReportForWhistle
    | MarkDeadline
    | RerouteRequest
    | CancelRequest
    | RejectRequest
    | MergeRequest
    | JoinSupporters
)
