"""The activity aggregate: schedule, sign up (or wait), check in and out, complete.

Capacity is a rule of this one aggregate, so concurrent sign-ups are serialised by
the store's optimistic concurrency: never more confirmed than places. A freed place
goes to the first on the waitlist in the same decision. Attendance closes
ATTENDANCE_GRACE after the end (time for a paper sign-in sheet): the timer asks
`RecordNoShows`, or completion closes it. `Complete` certifies each attendee's hours
(checked-out minus checked-in, capped by the window), by whoever organised it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal

from grassroots_contracts.volunteering.events import ActivityKind, Certifier
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

from volunteering_service.domain.hours import served_hours

STREAM_TYPE = "activity"
# A member may check in this long before the start (setting up a free clinic, say).
EARLY_CHECK_IN = timedelta(hours=1)
# Staff may record attendance from a paper sign-in sheet for this long after the end (or
# after scheduling, for an activity recorded after the fact); then attendance closes and
# whoever was confirmed but never checked in is a no-show.
ATTENDANCE_GRACE = timedelta(hours=12)


# --- commands ---------------------------------------------------------------------------


class ScheduleActivity(Command):
    activity_id: EntityId
    community_id: EntityId
    county: str
    compound_id: EntityId | None = None
    team_id: EntityId | None = None
    kind: ActivityKind
    title: str = Field(min_length=2, max_length=60)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    capacity: int = Field(ge=1, le=1000)


class SignUp(Command):
    """By the member, before the end; or recorded by staff from a paper sign-in sheet."""

    activity_id: EntityId
    member_id: EntityId
    recorded_by_staff: bool = False


class CancelSignUp(Command):
    activity_id: EntityId
    member_id: EntityId


class IssueCheckInCode(Command):
    """Staff show a code at the venue; members check themselves in with it."""

    activity_id: EntityId
    code: str = Field(pattern=r"^\d{6}$")
    valid_for: timedelta


class CheckIn(Command):
    """By staff (code None, `at` may be given for a paper sign-in sheet) or by the
    member with the venue's code (at = now)."""

    activity_id: EntityId
    member_id: EntityId
    code: str | None = None
    at: AwareDatetime | None = None


class CheckOut(Command):
    activity_id: EntityId
    member_id: EntityId
    at: AwareDatetime | None = None


class RecordNoShows(Command):
    """Asked by the timer when attendance closes (ATTENDANCE_GRACE after the end)."""

    activity_id: EntityId


class CompleteActivity(Command):
    activity_id: EntityId
    residents_served: int = Field(ge=0, le=100_000)


ActivityCommand = (
    ScheduleActivity
    | SignUp
    | CancelSignUp
    | IssueCheckInCode
    | CheckIn
    | CheckOut
    | RecordNoShows
    | CompleteActivity
)


# --- events -----------------------------------------------------------------------------


class ActivityScheduled(DomainEvent):
    event_name = "ActivityScheduled"

    activity_id: str
    community_id: str
    county: str
    compound_id: str | None
    team_id: str | None
    kind: ActivityKind
    title: str
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    capacity: int
    # None in events stored before attendance closed on its own (read as end + grace).
    attendance_closes_at: AwareDatetime | None = None


class SignedUp(DomainEvent):
    event_name = "SignedUp"

    activity_id: str
    member_id: str
    status: Literal["confirmed", "waitlisted"]
    waitlist_position: int | None


class SignUpCancelled(DomainEvent):
    event_name = "SignUpCancelled"

    activity_id: str
    member_id: str
    was: Literal["confirmed", "waitlisted"]


class WaitlistPromoted(DomainEvent):
    event_name = "WaitlistPromoted"

    activity_id: str
    member_id: str


class CheckInCodeIssued(DomainEvent):
    event_name = "CheckInCodeIssued"

    activity_id: str
    code: str
    valid_until: AwareDatetime


class CheckedIn(DomainEvent):
    event_name = "CheckedIn"

    activity_id: str
    member_id: str
    at: AwareDatetime
    with_code: bool


class CheckedOut(DomainEvent):
    event_name = "CheckedOut"

    activity_id: str
    member_id: str
    at: AwareDatetime


class NoShowRecorded(DomainEvent):
    event_name = "NoShowRecorded"

    activity_id: str
    member_id: str


class AttendanceClosed(DomainEvent):
    """No more sign-ups, check-ins or check-outs: the no-shows are recorded."""

    event_name = "AttendanceClosed"

    activity_id: str
    at: AwareDatetime


class ActivityCompleted(DomainEvent):
    event_name = "ActivityCompleted"

    activity_id: str
    residents_served: int
    at: AwareDatetime


class HoursCertified(DomainEvent):
    event_name = "HoursCertified"

    activity_id: str
    member_id: str
    hours: float
    certified_by: str
    certifier: Certifier
    served_at: AwareDatetime


ActivityEvent = (
    ActivityScheduled
    | SignedUp
    | SignUpCancelled
    | WaitlistPromoted
    | CheckInCodeIssued
    | CheckedIn
    | CheckedOut
    | NoShowRecorded
    | AttendanceClosed
    | ActivityCompleted
    | HoursCertified
)


# --- state ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Activity:
    activity_id: str
    community_id: str
    county: str
    team_id: str | None
    starts_at: datetime
    ends_at: datetime
    capacity: int
    attendance_closes_at: datetime
    confirmed: tuple[str, ...] = ()
    waitlist: tuple[str, ...] = ()
    checked_in: dict[str, datetime] = field(default_factory=dict)
    checked_out: dict[str, datetime] = field(default_factory=dict)
    code: str | None = None
    code_valid_until: datetime | None = None
    attendance_closed: bool = False
    completed: bool = False

    def signed_up(self, member_id: str) -> bool:
        return member_id in self.confirmed or member_id in self.waitlist


# --- decide -----------------------------------------------------------------------------


def decide(
    state: Activity | None, command: ActivityCommand, *, now: datetime, new_id: IdFactory
) -> list[ActivityEvent]:
    if isinstance(command, ScheduleActivity):
        return _schedule(state, command, now)
    if state is None:
        raise NotFound("activity_not_found", f"no activity {command.activity_id}")
    match command:
        case SignUp():
            return _sign_up(state, command, now)
        case CancelSignUp():
            return _cancel(state, command.member_id, now)
        case IssueCheckInCode():
            _require_open(state)
            return [
                CheckInCodeIssued(
                    activity_id=state.activity_id,
                    code=command.code,
                    valid_until=min(now + command.valid_for, state.ends_at),
                )
            ]
        case CheckIn():
            return _check_in(state, command, now)
        case CheckOut():
            return _check_out(state, command, now)
        case RecordNoShows():
            return _no_shows(state, now)
        case CompleteActivity():
            return _complete(state, command, now)
    raise AssertionError(f"unhandled command {command!r}")


def _schedule(
    state: Activity | None, command: ScheduleActivity, now: datetime
) -> list[ActivityEvent]:
    if state is not None:
        raise CommandRejected("activity_exists", f"activity {command.activity_id} exists")
    if command.ends_at <= command.starts_at:
        raise InvalidValue("ends_before_start", "an activity ends after it starts", field="ends_at")
    if command.ends_at - command.starts_at > timedelta(hours=24):
        raise InvalidValue("window_too_long", "an activity lasts at most 24 hours", field="ends_at")
    closes = max(command.ends_at, now) + ATTENDANCE_GRACE
    return [ActivityScheduled(**command.model_dump(), attendance_closes_at=closes)]


def _require_open(state: Activity) -> None:
    if state.completed:
        raise CommandRejected("activity_completed", "the activity is completed")
    if state.attendance_closed:
        raise CommandRejected("attendance_closed", "attendance is closed and no-shows are recorded")


def _sign_up(state: Activity, command: SignUp, now: datetime) -> list[ActivityEvent]:
    _require_open(state)
    member_id = command.member_id
    if now >= state.ends_at and not command.recorded_by_staff:
        raise CommandRejected("activity_ended", "the activity has ended")
    if state.signed_up(member_id):
        raise CommandRejected(
            "already_signed_up", "this member already signed up", field="member_id"
        )
    if len(state.confirmed) < state.capacity:
        return [
            SignedUp(
                activity_id=state.activity_id,
                member_id=member_id,
                status="confirmed",
                waitlist_position=None,
            )
        ]
    return [
        SignedUp(
            activity_id=state.activity_id,
            member_id=member_id,
            status="waitlisted",
            waitlist_position=len(state.waitlist) + 1,
        )
    ]


def _cancel(state: Activity, member_id: str, now: datetime) -> list[ActivityEvent]:
    _require_open(state)
    if not state.signed_up(member_id):
        raise CommandRejected("not_signed_up", "this member has not signed up", field="member_id")
    if now >= state.ends_at:
        raise CommandRejected("activity_ended", "the activity has ended")
    if member_id in state.checked_in:
        raise CommandRejected("already_checked_in", "a member who came cannot withdraw")
    was_confirmed = member_id in state.confirmed
    events: list[ActivityEvent] = [
        SignUpCancelled(
            activity_id=state.activity_id,
            member_id=member_id,
            was="confirmed" if was_confirmed else "waitlisted",
        )
    ]
    if was_confirmed and state.waitlist:
        events.append(WaitlistPromoted(activity_id=state.activity_id, member_id=state.waitlist[0]))
    return events


def _check_in(state: Activity, command: CheckIn, now: datetime) -> list[ActivityEvent]:
    _require_open(state)
    member_id = command.member_id
    if member_id not in state.confirmed:
        raise CommandRejected(
            "not_confirmed", "only a confirmed sign-up checks in", field="member_id"
        )
    if member_id in state.checked_in:
        return []
    at = command.at or now
    if command.code is not None:
        at = now  # a member checking in with the code arrives now
        if (
            state.code is None
            or state.code_valid_until is None
            or command.code != state.code
            or now > state.code_valid_until
        ):
            raise CommandRejected(
                "wrong_code", "that is not the venue's current code", field="code"
            )
    if at > now:
        raise InvalidValue("in_the_future", "a check-in cannot be in the future", field="at")
    if not (state.starts_at - EARLY_CHECK_IN <= at <= state.ends_at):
        raise CommandRejected(
            "outside_window", "check-in is during the activity's window", field="at"
        )
    return [
        CheckedIn(
            activity_id=state.activity_id,
            member_id=member_id,
            at=at,
            with_code=command.code is not None,
        )
    ]


def _check_out(state: Activity, command: CheckOut, now: datetime) -> list[ActivityEvent]:
    _require_open(state)
    member_id = command.member_id
    checked_in = state.checked_in.get(member_id)
    if checked_in is None:
        raise CommandRejected("not_checked_in", "check in before checking out", field="member_id")
    if member_id in state.checked_out:
        return []
    at = command.at or now
    if at > now:
        raise InvalidValue("in_the_future", "a check-out cannot be in the future", field="at")
    if at < checked_in:
        raise CommandRejected(
            "check_out_before_check_in", "check-out cannot be before check-in", field="at"
        )
    return [CheckedOut(activity_id=state.activity_id, member_id=member_id, at=at)]


def _no_shows(state: Activity, now: datetime) -> list[ActivityEvent]:
    if state.attendance_closed or state.completed or now < state.attendance_closes_at:
        return []  # once, and never before attendance closes
    return _close_attendance(state, now)


def _close_attendance(state: Activity, now: datetime) -> list[ActivityEvent]:
    absent: list[ActivityEvent] = [
        NoShowRecorded(activity_id=state.activity_id, member_id=m)
        for m in state.confirmed
        if m not in state.checked_in
    ]
    return [*absent, AttendanceClosed(activity_id=state.activity_id, at=now)]


def _complete(state: Activity, command: CompleteActivity, now: datetime) -> list[ActivityEvent]:
    if state.completed:  # completion may follow the close of attendance
        raise CommandRejected("activity_completed", "the activity is completed")
    if now < state.ends_at:
        raise CommandRejected("activity_not_ended", "an activity is completed after it ends")
    events: list[ActivityEvent] = []
    if not state.attendance_closed:
        events += _close_attendance(state, now)
    events.append(
        ActivityCompleted(
            activity_id=state.activity_id, residents_served=command.residents_served, at=now
        )
    )
    certified_by, certifier = (
        (state.team_id, "team") if state.team_id else (state.community_id, "community")
    )
    for member_id, came in state.checked_in.items():
        left = state.checked_out.get(member_id)
        if left is None:
            continue  # no check-out, no hours: nobody recorded when they left
        hours = served_hours(came, left, state.starts_at, state.ends_at)
        if hours > 0:
            events.append(
                HoursCertified(
                    activity_id=state.activity_id,
                    member_id=member_id,
                    hours=hours,
                    certified_by=certified_by,
                    certifier=certifier,
                    served_at=max(came, state.starts_at),
                )
            )
    return events


# --- evolve -----------------------------------------------------------------------------


def evolve(state: Activity | None, event: ActivityEvent) -> Activity | None:
    if isinstance(event, ActivityScheduled):
        return Activity(
            activity_id=event.activity_id,
            community_id=event.community_id,
            county=event.county,
            team_id=event.team_id,
            starts_at=event.starts_at,
            ends_at=event.ends_at,
            capacity=event.capacity,
            attendance_closes_at=event.attendance_closes_at or event.ends_at + ATTENDANCE_GRACE,
        )
    assert state is not None
    match event:
        case SignedUp():
            if event.status == "confirmed":
                return replace(state, confirmed=(*state.confirmed, event.member_id))
            return replace(state, waitlist=(*state.waitlist, event.member_id))
        case SignUpCancelled():
            return replace(
                state,
                confirmed=tuple(m for m in state.confirmed if m != event.member_id),
                waitlist=tuple(m for m in state.waitlist if m != event.member_id),
            )
        case WaitlistPromoted():
            return replace(
                state,
                confirmed=(*state.confirmed, event.member_id),
                waitlist=tuple(m for m in state.waitlist if m != event.member_id),
            )
        case CheckInCodeIssued():
            return replace(state, code=event.code, code_valid_until=event.valid_until)
        case CheckedIn():
            return replace(state, checked_in={**state.checked_in, event.member_id: event.at})
        case CheckedOut():
            return replace(state, checked_out={**state.checked_out, event.member_id: event.at})
        case NoShowRecorded():
            return state
        case AttendanceClosed():
            return replace(state, attendance_closed=True)
        case ActivityCompleted():
            return replace(state, completed=True)
        case HoursCertified():
            return state
    raise AssertionError(f"unhandled event {event!r}")


def community_of(state: Activity | None) -> str:
    assert state is not None
    return state.community_id


DECIDER: Decider[Activity | None, ActivityCommand, ActivityEvent] = Decider(
    stream_type=STREAM_TYPE,
    initial_state=None,
    decide=decide,
    evolve=evolve,
    event_types=EventTypes(
        ActivityScheduled,
        SignedUp,
        SignUpCancelled,
        WaitlistPromoted,
        CheckInCodeIssued,
        CheckedIn,
        CheckedOut,
        NoShowRecorded,
        AttendanceClosed,
        ActivityCompleted,
        HoursCertified,
    ),
)
