"""The request aggregate: one resident's order (点单) from submission to its close.

    submitted ─► open ─claim/assign─► claimed ─resolve─► resolved ─rate ok / no answer─► closed
                  │  ▲                  │                  │
                  │  └──── escalate ────┘                  └─dissatisfied─► claimed (reopened)
                  └─ cancel / reject / merge ─► cancelled / rejected / merged

Escalation (吹哨) moves a request up a level (building → community → a county
department) and back to `open` until someone there takes it. Deadlines are fixed at
submission from the category; the timer asks `MarkDeadline` when one passes, and
`decide` answers with events at most once per deadline. Everything here is pure:
who is asking arrives in the command (`by`), time as `now`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal

from grassroots_contracts.requests.lifecycle import Channel, Level, Resolver, WhistleKind
from grassroots_eventkit.domain import (
    CommandRejected,
    Decider,
    EventTypes,
    IdFactory,
    InvalidValue,
    NotFound,
)

from requests_service.domain.request_commands import (
    FINAL,
    GRID_LEVELS,
    Actor,
    Address,
    AssignRequest,
    CancelRequest,
    ClaimRequest,
    Contact,
    DeadlineKind,
    EscalateRequest,
    JoinSupporters,
    MarkDeadline,
    MergeRequest,
    Note,
    NoteProgress,
    RateRequest,
    RejectRequest,
    ReportForWhistle,
    RequestCommand,
    RequestText,
    RerouteRequest,
    ResolveRequest,
    Route,
    Status,
    SubmitRequest,
)
from requests_service.domain.request_events import (
    DeadlineMissed,
    DepartmentReported,
    ProgressNoted,
    RequestCancelled,
    RequestClaimed,
    RequestClosed,
    RequestEscalated,
    RequestEvent,
    RequestMerged,
    RequestRated,
    RequestRejected,
    RequestReopened,
    RequestResolved,
    RequestRouted,
    RequestSubmitted,
    SupportersJoined,
)

# Commands and events live in their own modules; `request` is how callers name them all.
__all__ = [
    "DECIDER",
    "FINAL",
    "GRID_LEVELS",
    "STREAM_TYPE",
    "Actor",
    "Address",
    "AssignRequest",
    "CancelRequest",
    "ClaimRequest",
    "Contact",
    "DeadlineKind",
    "DeadlineMissed",
    "DepartmentReported",
    "EscalateRequest",
    "Holder",
    "JoinSupporters",
    "MarkDeadline",
    "MergeRequest",
    "Note",
    "NoteProgress",
    "ProgressNoted",
    "RateRequest",
    "RejectRequest",
    "ReportForWhistle",
    "Request",
    "RequestCancelled",
    "RequestClaimed",
    "RequestClosed",
    "RequestCommand",
    "RequestEscalated",
    "RequestEvent",
    "RequestMerged",
    "RequestRated",
    "RequestRejected",
    "RequestReopened",
    "RequestResolved",
    "RequestRouted",
    "RequestSubmitted",
    "RequestText",
    "RerouteRequest",
    "ResolveRequest",
    "Route",
    "Status",
    "SubmitRequest",
    "SupportersJoined",
]

STREAM_TYPE = "request"

# --- state ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Holder:
    """Who is working on it now."""

    kind: Literal["member", "department"]
    id: str


@dataclass(frozen=True, slots=True)
class Request:
    request_id: str
    county: str
    address: Address
    category: str
    channel: Channel
    resident_id: str | None
    submitted_at: datetime
    respond_by: datetime
    resolve_by: datetime
    resolve_window: timedelta
    status: Status = "open"
    level: Level = "community"
    responsible_ids: tuple[str, ...] = ()
    holder: Holder | None = None
    department: str | None = None
    responded: bool = False
    missed: frozenset[str] = frozenset()  # deadlines already raised: "response", "resolution"
    resolved_by: Actor | None = None
    confirm_by: datetime | None = None
    reopenings: int = 0
    supporters: tuple[str, ...] = ()
    merged_from: frozenset[str] = field(default_factory=frozenset)
    merged_into: str | None = None

    @property
    def community_id(self) -> str:
        return self.address.community_id

    @property
    def final(self) -> bool:
        return self.status in FINAL


# --- decide -----------------------------------------------------------------------------


def decide(
    state: Request | None, command: RequestCommand, *, now: datetime, new_id: IdFactory
) -> list[RequestEvent]:
    if isinstance(command, SubmitRequest):
        return _submit(state, command, now)
    if state is None:
        raise NotFound("request_not_found", f"no request {command.request_id}")
    match command:
        case ClaimRequest():
            return _claim(state, command.member_id, None, now)
        case AssignRequest():
            return _claim(state, command.member_id, command.by, now)
        case NoteProgress():
            _require_active(state)
            _require_worker(state, command.by)
            return [
                ProgressNoted(request_id=state.request_id, by=command.by, note=command.note, at=now)
            ]
        case ResolveRequest():
            return _resolve(state, command, now)
        case RateRequest():
            return _rate(state, command, now)
        case EscalateRequest():
            return _escalate(state, command, now)
        case ReportForWhistle():
            return _department_report(state, command, now)
        case MarkDeadline():
            return _deadline(state, command, now)
        case RerouteRequest():
            # Only an open request still on its grid chain: one taken, or whistled up to
            # the community or a department, stays with whoever has it now.
            if state.status != "open" or state.level not in GRID_LEVELS:
                return []
            if (command.route.level, command.route.responsible_ids) == (
                state.level,
                state.responsible_ids,
            ):
                return []
            return [RequestRouted(request_id=state.request_id, route=command.route, at=now)]
        case CancelRequest():
            _require_submitter(state, command.by)
            _require_active(state)
            return [RequestCancelled(request_id=state.request_id, reason=command.reason, at=now)]
        case RejectRequest():
            _require_community(command.by)
            _require_active(state)
            return [
                RequestRejected(
                    request_id=state.request_id, by=command.by, reason=command.reason, at=now
                )
            ]
        case MergeRequest():
            return _merge(state, command, now)
        case JoinSupporters():
            if command.from_request_id in state.merged_from:
                return []  # the handler's retry after a crash between the two appends
            if state.final:
                raise CommandRejected(
                    "request_final", f"request is {state.status}", field="into_request_id"
                )
            return [
                SupportersJoined(
                    request_id=state.request_id,
                    from_request_id=command.from_request_id,
                    supporters=command.supporters,
                )
            ]
    raise AssertionError(f"unhandled command {command!r}")


def _submit(state: Request | None, command: SubmitRequest, now: datetime) -> list[RequestEvent]:
    if state is not None:
        raise CommandRejected("request_exists", f"request {command.request_id} exists")
    if command.channel == "app" and command.resident_id is None:
        raise InvalidValue(
            "resident_required", "an app request comes from a resident", field="resident_id"
        )
    submitted = RequestSubmitted(
        request_id=command.request_id,
        county=command.county,
        address=command.address,
        category=command.category,
        channel=command.channel,
        text=command.text,
        photos=tuple(str(p) for p in command.photos),
        contact=command.contact,
        resident_id=command.resident_id,
        submitted_by=command.resident_id or "staff",
        at=now,
        respond_by=now + command.deadlines.respond_within,
        resolve_by=now + command.deadlines.resolve_within,
    )
    return [submitted, RequestRouted(request_id=command.request_id, route=command.route, at=now)]


def _require_active(state: Request) -> None:
    if state.final:
        raise CommandRejected("request_final", f"request is already {state.status}")


def _require_submitter(state: Request, by: Actor) -> None:
    if by.kind != "resident" or state.resident_id is None or by.id != state.resident_id:
        raise CommandRejected("not_submitter", "only the resident who submitted it may do this")


def _require_community(by: Actor) -> None:
    if by.kind != "community":
        raise CommandRejected("community_only", "only the community's staff may do this")


def _require_worker(state: Request, by: Actor) -> None:
    """Community staff, or a member or department that holds it or may take it."""
    if by.kind == "community":
        return
    if by.kind == "member" and (
        state.holder == Holder("member", by.id) or by.id in state.responsible_ids
    ):
        return
    if by.kind == "department" and state.level == "department" and state.department == by.id:
        return
    raise CommandRejected("not_responsible", "only those responsible for it may do this")


def _claim(
    state: Request, member_id: str, assigned_by: str | None, now: datetime
) -> list[RequestEvent]:
    _require_active(state)
    if state.status == "claimed" and state.holder == Holder("member", member_id):
        return []
    if state.status != "open":
        raise CommandRejected("not_open", f"request is {state.status}; only an open one is taken")
    if state.level == "department":
        raise CommandRejected(
            "held_by_department", "the whistle called a county department; it reports for duty"
        )
    if assigned_by is None and member_id not in state.responsible_ids:
        raise CommandRejected(
            "not_in_chain",
            "only a member responsible for this address may claim it",
            field="member_id",
        )
    return [
        RequestClaimed(
            request_id=state.request_id,
            member_id=member_id,
            assigned_by=assigned_by,
            at=now,
            within_deadline=now <= state.respond_by,
        )
    ]


def _resolve(state: Request, command: ResolveRequest, now: datetime) -> list[RequestEvent]:
    _require_active(state)
    if state.status == "resolved":
        raise CommandRejected("already_resolved", "it is resolved and waits for the resident")
    by = command.by
    holder = state.holder
    if by.kind == "member" and (holder is None or holder != Holder("member", by.id)):
        raise CommandRejected("not_holder", "only the member who took it may resolve it")
    if by.kind == "department" and holder != Holder("department", by.id):
        raise CommandRejected("not_holder", "the department must report for duty first")
    if by.kind == "resident":
        raise CommandRejected("not_holder", "a resident confirms, not resolves")
    return [
        RequestResolved(
            request_id=state.request_id,
            by=by,
            resolution=command.resolution,
            level=state.level,
            at=now,
            within_deadline=now <= state.resolve_by,
            confirm_by=now + command.confirm_within,
        )
    ]


def _rate(state: Request, command: RateRequest, now: datetime) -> list[RequestEvent]:
    _require_submitter(state, command.by)
    _require_active(state)
    if state.status != "resolved" or state.resolved_by is None:
        raise CommandRejected(
            "not_resolved", "a request is rated only after it is resolved", field="rating"
        )
    rated = RequestRated(
        request_id=state.request_id,
        rating=command.rating,
        comment=command.comment,
        resolved_by=state.resolved_by,
        at=now,
    )
    if command.rating != "dissatisfied":
        return [
            rated,
            RequestClosed(request_id=state.request_id, outcome="resolved", reason="rated", at=now),
        ]
    if state.reopenings >= command.max_reopenings:
        return [
            rated,
            RequestClosed(
                request_id=state.request_id,
                outcome="unresolved",
                reason="reopened_too_often",
                at=now,
            ),
        ]
    return [
        rated,
        RequestReopened(
            request_id=state.request_id,
            at=now,
            resolve_by=now + state.resolve_window,
            previously_resolved_by=state.resolved_by,
        ),
    ]


def _escalate(state: Request, command: EscalateRequest, now: datetime) -> list[RequestEvent]:
    _require_active(state)
    _require_worker(state, command.by)
    if command.by.kind != "community" and command.to_level != "community":
        raise CommandRejected(
            "whistle_to_department_by_community",
            "only the community blows the whistle to a county department",
            field="to_level",
        )
    if state.status == "resolved":
        raise CommandRejected("already_resolved", "it is resolved and waits for the resident")
    if command.to_level == "community" and state.level not in GRID_LEVELS:
        raise CommandRejected(
            "already_at_level", f"it is already with the {state.level}", field="to_level"
        )
    if command.to_level == "department":
        if command.department is None:
            raise InvalidValue(
                "department_required", "name the department the whistle calls", field="department"
            )
        if state.level == "department" and state.department == command.department:
            raise CommandRejected(
                "already_at_level", "that department already has it", field="department"
            )
    elif command.department is not None:
        raise InvalidValue(
            "department_only_for_department_level",
            "a department is named only when the whistle calls one",
            field="department",
        )
    return [
        RequestEscalated(
            request_id=state.request_id,
            from_level=state.level,
            to_level=command.to_level,
            department=command.department,
            whistle=command.whistle,
            reason=command.reason,
            automatic=False,
            by=command.by,
            at=now,
        )
    ]


def _department_report(
    state: Request, command: ReportForWhistle, now: datetime
) -> list[RequestEvent]:
    _require_active(state)
    if state.status == "resolved":
        raise CommandRejected("already_resolved", "it is resolved and waits for the resident")
    if state.level != "department" or state.department != command.department:
        raise CommandRejected("not_called", "the whistle did not call this department")
    if state.holder == Holder("department", command.department):
        return []
    return [DepartmentReported(request_id=state.request_id, department=command.department, at=now)]


def _deadline(state: Request, command: MarkDeadline, now: datetime) -> list[RequestEvent]:
    if now < command.due_at:
        return []  # a clock that runs early never raises a deadline
    match command.deadline:
        case "response":
            if (
                state.status != "open"
                or state.responded
                or "response" in state.missed
                or command.due_at != state.respond_by
            ):
                return []
            missed = DeadlineMissed(
                request_id=state.request_id,
                deadline="response",
                due_at=command.due_at,
                level=state.level,
                at=now,
            )
            return [missed, *_auto_escalate(state, None, "routine", now)]
        case "resolution":
            if (
                state.status not in ("open", "claimed")
                or "resolution" in state.missed
                or command.due_at != state.resolve_by
            ):
                return []
            missed = DeadlineMissed(
                request_id=state.request_id,
                deadline="resolution",
                due_at=command.due_at,
                level=state.level,
                at=now,
            )
            return [missed, *_auto_escalate(state, command.department, "tough_problem", now)]
        case "confirmation":
            if state.status != "resolved" or command.due_at != state.confirm_by:
                return []
            return [
                RequestClosed(
                    request_id=state.request_id, outcome="resolved", reason="not_confirmed", at=now
                )
            ]
    raise AssertionError(command.deadline)


def _auto_escalate(
    state: Request, department: str | None, whistle: WhistleKind, now: datetime
) -> list[RequestEvent]:
    """A missed deadline blows the whistle one level up: to the community from its grid,
    to the category's department from the community. A department is already the top."""
    if state.level in GRID_LEVELS:
        to_level: Level = "community"
        department = None
    elif state.level == "community" and department is not None:
        to_level = "department"
    else:
        return []
    return [
        RequestEscalated(
            request_id=state.request_id,
            from_level=state.level,
            to_level=to_level,
            department=department,
            whistle=whistle,
            reason="deadline missed",
            automatic=True,
            by=None,
            at=now,
        )
    ]


def _merge(state: Request, command: MergeRequest, now: datetime) -> list[RequestEvent]:
    _require_community(command.by)
    if command.into_request_id == state.request_id:
        raise InvalidValue(
            "merge_into_itself", "a request cannot be merged into itself", field="into_request_id"
        )
    if state.status == "merged":
        if state.merged_into == command.into_request_id:
            return []  # a retry: the handler goes on to make the target's side complete
        raise CommandRejected(
            "already_merged", f"it was merged into {state.merged_into}", field="into_request_id"
        )
    _require_active(state)
    return [
        RequestMerged(request_id=state.request_id, into_request_id=command.into_request_id, at=now)
    ]


# --- evolve -----------------------------------------------------------------------------


def evolve(state: Request | None, event: RequestEvent) -> Request | None:
    if isinstance(event, RequestSubmitted):
        supporter = event.resident_id or f"request:{event.request_id}"
        return Request(
            request_id=event.request_id,
            county=event.county,
            address=event.address,
            category=event.category,
            channel=event.channel,
            resident_id=event.resident_id,
            submitted_at=event.at,
            respond_by=event.respond_by,
            resolve_by=event.resolve_by,
            resolve_window=event.resolve_by - event.at,
            supporters=(supporter,),
        )
    assert state is not None
    match event:
        case RequestRouted():
            return replace(
                state, level=event.route.level, responsible_ids=event.route.responsible_ids
            )
        case RequestClaimed():
            return replace(
                state, status="claimed", holder=Holder("member", event.member_id), responded=True
            )
        case ProgressNoted():
            return state
        case RequestEscalated():
            return replace(
                state, status="open", level=event.to_level, holder=None, department=event.department
            )
        case DepartmentReported():
            return replace(
                state,
                status="claimed",
                holder=Holder("department", event.department),
                responded=True,
            )
        case RequestResolved():
            return replace(
                state,
                status="resolved",
                resolved_by=event.by,
                confirm_by=event.confirm_by,
                responded=True,
            )
        case RequestRated():
            return state
        case RequestReopened():
            return replace(
                state,
                status="claimed" if state.holder else "open",
                resolve_by=event.resolve_by,
                confirm_by=None,
                reopenings=state.reopenings + 1,
                missed=state.missed - {"resolution"},
            )
        case RequestClosed():
            return replace(state, status="closed")
        case RequestCancelled():
            return replace(state, status="cancelled")
        case RequestRejected():
            return replace(state, status="rejected")
        case RequestMerged():
            return replace(state, status="merged", merged_into=event.into_request_id)
        case SupportersJoined():
            merged = tuple(dict.fromkeys((*state.supporters, *event.supporters)))
            return replace(
                state, supporters=merged, merged_from=state.merged_from | {event.from_request_id}
            )
        case DeadlineMissed():
            return replace(state, missed=state.missed | {event.deadline})
    raise AssertionError(f"unhandled event {event!r}")


def community_of(state: Request | None) -> str:
    assert state is not None
    return state.community_id


def resolver_of(actor: Actor) -> Resolver:
    """How a public event names what resolved it."""
    if actor.kind in ("member", "department"):
        return actor.kind
    return "community"


def resident_subject(resident_id: str) -> str:
    return f"resident:{resident_id}"


def caller_subject(request_id: str) -> str:
    return f"request:{request_id}"


def subject_of(state: Request | None) -> str | None:
    """Whose personal data a request's texts and contact are: its resident's, whose key
    seals them. A request from someone without an account (the hotline, the service
    hall) is its own subject: that caller's data is erased with the request."""
    if state is None:
        return None
    if state.resident_id is not None:
        return resident_subject(state.resident_id)
    return caller_subject(state.request_id)


DECIDER: Decider[Request | None, RequestCommand, RequestEvent] = Decider(
    stream_type=STREAM_TYPE,
    initial_state=None,
    decide=decide,
    evolve=evolve,
    event_types=EventTypes(
        RequestSubmitted,
        RequestRouted,
        RequestClaimed,
        ProgressNoted,
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
    ),
    subject_of=subject_of,
)
