"""Public events of residents' requests: 点单 (submit), 党员报到 (claim), 吹哨报到 (whistle).

Ids, grid positions, categories, times and outcomes only. The resident's name, phone,
the request's text, progress notes, resolution notes and rating comments stay in the
requests service's own store: they are personal data or may contain it.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import AwareDatetime, Field

from grassroots_contracts.events import PublicEvent
from grassroots_contracts.privacy import Code, Id, NotPersonal
from grassroots_contracts.topics import REQUESTS_EVENTS

_R = "0193a7c2-0000-7000-8000-0000000f0001"
_R2 = "0193a7c2-0000-7000-8000-0000000f0002"
_C = "7d3f1c2e-0b1a-4c55-9a57-1f0e4b8f2c11"
_X = "0193a7c2-0000-7000-8000-00000000a001"
_A = "0193a7c2-0000-7000-8000-00000000a101"
_B = "0193a7c2-0000-7000-8000-00000000b001"
_H = "0193a7c2-0000-7000-8000-00000000d001"
_M = "0193a7c2-0000-7000-8000-00000000e001"
_T = "2026-05-09T09:30:00Z"

Channel = Literal["app", "service_hall", "hotline", "grid_worker", "open311"]
Level = Literal["household", "building", "area", "compound", "community", "department"]
WhistleKind = Literal["routine", "tough_problem", "emergency"]
Rating = Literal["satisfied", "basically_satisfied", "dissatisfied"]
Outcome = Literal["resolved", "unresolved"]
Resolver = Literal["member", "department", "community"]


class _RequestEvent(PublicEvent):
    topic: ClassVar[str] = REQUESTS_EVENTS.name

    request_id: Id
    community_id: Id = Field(description="the community of the address; also the Kafka key")


class RequestSubmitted(_RequestEvent):
    """A resident placed an order (点单); the deadlines are fixed by its category."""

    event_type: ClassVar[str] = "grassroots.requests.RequestSubmitted.v1"
    example: ClassVar[dict[str, object]] = {
        "request_id": _R,
        "community_id": _C,
        "compound_id": _X,
        "area_id": _A,
        "building_id": _B,
        "household_id": _H,
        "category": "repairs",
        "channel": "app",
        "photos": 1,
        "submitted_at": _T,
        "respond_by": "2026-05-10T09:30:00Z",
        "resolve_by": "2026-05-16T09:30:00Z",
    }

    compound_id: Id | None = None
    area_id: Id | None = None
    building_id: Id | None = None
    household_id: Id | None = None
    category: Code = Field(description="a service code of the county's catalogue, e.g. repairs")
    channel: Channel
    photos: Annotated[int, NotPersonal("count", "how many photos came; never a photo")] = Field(
        ge=0, description="how many photos came with it (the URLs are internal)"
    )
    submitted_at: AwareDatetime
    respond_by: AwareDatetime = Field(description="a member must claim it by then")
    resolve_by: AwareDatetime = Field(description="it must be resolved by then")


class RequestRouted(_RequestEvent):
    """Sent down the responsibility chain of its address; nearest responsible first."""

    event_type: ClassVar[str] = "grassroots.requests.RequestRouted.v1"
    example: ClassVar[dict[str, object]] = {
        "request_id": _R,
        "community_id": _C,
        "level": "building",
        "responsible_ids": [_M],
        "routed_at": _T,
    }

    level: Level = Field(description="the grid level of the first responsible person")
    responsible_ids: list[Id] = Field(
        description="member ids of the chain who may claim it; empty: the community handles it"
    )
    routed_at: AwareDatetime


class RequestClaimed(_RequestEvent):
    """A member reported for duty on it (党员报到), or the community assigned it to one."""

    event_type: ClassVar[str] = "grassroots.requests.RequestClaimed.v1"
    example: ClassVar[dict[str, object]] = {
        "request_id": _R,
        "community_id": _C,
        "member_id": _M,
        "assigned": False,
        "claimed_at": _T,
        "within_deadline": True,
    }

    member_id: Id
    assigned: bool = Field(description="true when community staff assigned it")
    claimed_at: AwareDatetime
    within_deadline: bool = Field(description="claimed before its response deadline")


class RequestProgressNoted(_RequestEvent):
    """Whoever holds it recorded progress (the note itself is internal)."""

    event_type: ClassVar[str] = "grassroots.requests.RequestProgressNoted.v1"
    example: ClassVar[dict[str, object]] = {"request_id": _R, "community_id": _C, "noted_at": _T}

    noted_at: AwareDatetime


class RequestEscalated(_RequestEvent):
    """The whistle was blown (吹哨): up from the compound to the community, or to a county
    department; by hand, or automatically when a deadline passed."""

    event_type: ClassVar[str] = "grassroots.requests.RequestEscalated.v1"
    example: ClassVar[dict[str, object]] = {
        "request_id": _R,
        "community_id": _C,
        "from_level": "community",
        "to_level": "department",
        "department": "public_security",
        "whistle": "tough_problem",
        "automatic": False,
        "escalated_at": _T,
    }

    from_level: Level
    to_level: Level
    department: Code | None = Field(default=None, description="a county department's code")
    whistle: WhistleKind
    automatic: bool
    escalated_at: AwareDatetime


class DepartmentReported(_RequestEvent):
    """The county department the whistle called reported for duty (报到) and took it on."""

    event_type: ClassVar[str] = "grassroots.requests.DepartmentReported.v1"
    example: ClassVar[dict[str, object]] = {
        "request_id": _R,
        "community_id": _C,
        "department": "public_security",
        "reported_at": _T,
    }

    department: Code
    reported_at: AwareDatetime


class RequestResolved(_RequestEvent):
    """Whoever held it says it is resolved; the resident now confirms and rates."""

    event_type: ClassVar[str] = "grassroots.requests.RequestResolved.v1"
    example: ClassVar[dict[str, object]] = {
        "request_id": _R,
        "community_id": _C,
        "resolved_by": _M,
        "resolver": "member",
        "level": "building",
        "resolved_at": _T,
        "within_deadline": True,
        "confirm_by": "2026-05-16T09:30:00Z",
    }

    resolved_by: Id = Field(description="the member id, department code or staff subject")
    resolver: Resolver = Field(description="what `resolved_by` names")
    level: Level
    resolved_at: AwareDatetime
    within_deadline: bool
    confirm_by: AwareDatetime = Field(description="closed as resolved if not rated by then")


class RequestRated(_RequestEvent):
    """The resident confirmed and rated the result: one raw answer of the satisfaction rate."""

    event_type: ClassVar[str] = "grassroots.requests.RequestRated.v1"
    example: ClassVar[dict[str, object]] = {
        "request_id": _R,
        "community_id": _C,
        "rating": "satisfied",
        "resolved_by": _M,
        "resolver": "member",
        "rated_at": _T,
    }

    rating: Rating
    resolved_by: Id
    resolver: Resolver
    rated_at: AwareDatetime


class RequestReopened(_RequestEvent):
    """Back to work: the resident was dissatisfied; the resolution deadline starts again."""

    event_type: ClassVar[str] = "grassroots.requests.RequestReopened.v1"
    example: ClassVar[dict[str, object]] = {
        "request_id": _R,
        "community_id": _C,
        "reason": "dissatisfied",
        "reopened_at": _T,
        "resolve_by": "2026-05-16T09:30:00Z",
        "previously_resolved_by": _M,
        "previous_resolver": "member",
    }

    reason: Literal["dissatisfied"]
    reopened_at: AwareDatetime
    resolve_by: AwareDatetime
    previously_resolved_by: Id
    previous_resolver: Resolver


class RequestClosed(_RequestEvent):
    """Final: resolved (rated, or not rated in time) or unresolved (dissatisfied too often)."""

    event_type: ClassVar[str] = "grassroots.requests.RequestClosed.v1"
    example: ClassVar[dict[str, object]] = {
        "request_id": _R,
        "community_id": _C,
        "outcome": "resolved",
        "reason": "rated",
        "closed_at": _T,
    }

    outcome: Outcome
    reason: Literal["rated", "not_confirmed", "reopened_too_often"]
    closed_at: AwareDatetime


class RequestCancelled(_RequestEvent):
    """The resident withdrew it."""

    event_type: ClassVar[str] = "grassroots.requests.RequestCancelled.v1"
    example: ClassVar[dict[str, object]] = {
        "request_id": _R,
        "community_id": _C,
        "cancelled_at": _T,
    }

    cancelled_at: AwareDatetime


class RequestRejected(_RequestEvent):
    """The community turned it down as out of scope (the reason given is internal)."""

    event_type: ClassVar[str] = "grassroots.requests.RequestRejected.v1"
    example: ClassVar[dict[str, object]] = {"request_id": _R, "community_id": _C, "rejected_at": _T}

    rejected_at: AwareDatetime


class RequestMerged(_RequestEvent):
    """A duplicate folded into another request; its supporters now follow that one."""

    event_type: ClassVar[str] = "grassroots.requests.RequestMerged.v1"
    example: ClassVar[dict[str, object]] = {
        "request_id": _R2,
        "community_id": _C,
        "into_request_id": _R,
        "merged_at": _T,
    }

    into_request_id: Id
    merged_at: AwareDatetime


class SupportersJoined(_RequestEvent):
    """A merged duplicate's residents now support this request."""

    event_type: ClassVar[str] = "grassroots.requests.SupportersJoined.v1"
    example: ClassVar[dict[str, object]] = {
        "request_id": _R,
        "community_id": _C,
        "from_request_id": _R2,
        "supporters": 2,
    }

    from_request_id: Id
    supporters: int = Field(ge=0, description="how many residents support it now")


class DeadlineMissed(_RequestEvent):
    """A response, resolution or confirmation deadline passed (raised once, by the timer)."""

    event_type: ClassVar[str] = "grassroots.requests.DeadlineMissed.v1"
    example: ClassVar[dict[str, object]] = {
        "request_id": _R,
        "community_id": _C,
        "deadline": "response",
        "due_at": _T,
        "detected_at": "2026-05-09T09:30:01Z",
        "level": "building",
    }

    deadline: Literal["response", "resolution"]
    due_at: AwareDatetime
    detected_at: AwareDatetime
    level: Level = Field(description="where it was held when the deadline passed")


class ResidentErased(PublicEvent):
    """A resident's personal data was erased (crypto-shredded) at their request or by law.

    Their requests stay, with their ids, grid positions, times and outcomes; the texts and
    contact the requests service held for them are gone. A subscriber that kept anything
    about this resident id should drop it too.
    """

    topic: ClassVar[str] = REQUESTS_EVENTS.name
    event_type: ClassVar[str] = "grassroots.requests.ResidentErased.v1"
    example: ClassVar[dict[str, object]] = {
        "resident_id": "0193a7c2-0000-7000-8000-0000000c0001",
        "community_id": _C,
        "requests": 3,
        "erased_at": _T,
    }

    resident_id: Id = Field(description="the opaque id of the resident's account")
    community_id: Id = Field(description="the community of their latest request; the Kafka key")
    requests: Annotated[int, NotPersonal("count", "how many requests; no one's data")] = Field(
        ge=0, description="how many of their requests held personal data"
    )
    erased_at: AwareDatetime


EVENTS: tuple[type[PublicEvent], ...] = (
    RequestSubmitted,
    RequestRouted,
    RequestClaimed,
    RequestProgressNoted,
    RequestEscalated,
    DepartmentReported,
    RequestResolved,
    RequestRated,
    RequestReopened,
    RequestClosed,
    RequestCancelled,
    RequestRejected,
    RequestMerged,
    SupportersJoined,
    DeadlineMissed,
    ResidentErased,
)
