"""The weekend duty rota (党员周末轮班) of one community's service station for one weekend.

One aggregate per community and weekend (`rota:<community>:<saturday>`), so the rule
"a member never holds two overlapping shifts" is checked in one place. A swap takes
both members' consent: one proposes, the other accepts. At the cut-off before the
weekend (Thursday evening by default) the timer asks `MarkGaps`; each shift still
unheld is raised as a gap once, so "weekend service never gaps" is seen in time.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Literal

from grassroots_contracts.volunteering.events import StationArea
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
from grassroots_eventkit.values import CHINA_STANDARD_TIME, EntityId
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

STREAM_TYPE = "rota"


def rota_id(community_id: str, saturday: date) -> str:
    return f"rota:{community_id}:{saturday.isoformat()}"


def weekend_start(saturday: date) -> datetime:
    """Saturday 00:00 in the county's time."""
    return datetime.combine(saturday, time(0), tzinfo=CHINA_STANDARD_TIME)


class SlotSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    slot_id: EntityId
    area: StationArea
    starts_at: AwareDatetime
    ends_at: AwareDatetime


# --- commands ---------------------------------------------------------------------------


class OpenShifts(Command):
    rota_id: EntityId
    community_id: EntityId
    county: str
    weekend: date
    slots: tuple[SlotSpec, ...] = Field(min_length=1, max_length=200)
    gap_notice: timedelta = Field(description="how long before Saturday 00:00 gaps are raised")


class ClaimShift(Command):
    rota_id: EntityId
    slot_id: EntityId
    member_id: EntityId
    assigned: bool = False


class ReleaseShift(Command):
    rota_id: EntityId
    slot_id: EntityId
    member_id: EntityId


class ProposeSwap(Command):
    rota_id: EntityId
    slot_id: EntityId
    with_slot_id: EntityId
    proposer_id: EntityId


class AcceptSwap(Command):
    """The counterpart agrees: they hold `slot_id`, the proposer holds `with_slot_id`."""

    rota_id: EntityId
    slot_id: EntityId
    with_slot_id: EntityId
    member_id: EntityId


class RecordShift(Command):
    rota_id: EntityId
    slot_id: EntityId
    outcome: Literal["served", "missed"]


class MarkGaps(Command):
    """Asked by the timer at the cut-off."""

    rota_id: EntityId


RotaCommand = (
    OpenShifts | ClaimShift | ReleaseShift | ProposeSwap | AcceptSwap | RecordShift | MarkGaps
)


# --- events -----------------------------------------------------------------------------


class ShiftsOpened(DomainEvent):
    event_name = "ShiftsOpened"

    rota_id: str
    community_id: str
    county: str
    weekend: date
    slots: tuple[SlotSpec, ...]
    gap_check_at: AwareDatetime


class ShiftClaimed(DomainEvent):
    event_name = "ShiftClaimed"

    rota_id: str
    slot_id: str
    member_id: str
    assigned: bool


class ShiftReleased(DomainEvent):
    event_name = "ShiftReleased"

    rota_id: str
    slot_id: str
    member_id: str


class SwapProposed(DomainEvent):
    event_name = "SwapProposed"

    rota_id: str
    slot_id: str
    with_slot_id: str
    proposer_id: str
    counterpart_id: str


class ShiftsSwapped(DomainEvent):
    event_name = "ShiftsSwapped"

    rota_id: str
    slot_id: str
    member_id: str
    other_slot_id: str
    other_member_id: str


class ShiftServed(DomainEvent):
    event_name = "ShiftServed"

    rota_id: str
    slot_id: str
    member_id: str
    hours: float


class ShiftHoursCertified(DomainEvent):
    event_name = "ShiftHoursCertified"

    rota_id: str
    slot_id: str
    member_id: str
    hours: float
    served_at: AwareDatetime


class ShiftMissed(DomainEvent):
    event_name = "ShiftMissed"

    rota_id: str
    slot_id: str
    member_id: str


class GapRaised(DomainEvent):
    event_name = "GapRaised"

    rota_id: str
    slot_id: str
    at: AwareDatetime


RotaEvent = (
    ShiftsOpened
    | ShiftClaimed
    | ShiftReleased
    | SwapProposed
    | ShiftsSwapped
    | ShiftServed
    | ShiftHoursCertified
    | ShiftMissed
    | GapRaised
)


# --- state ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Slot:
    area: StationArea
    starts_at: datetime
    ends_at: datetime
    holder: str | None = None
    recorded: Literal["served", "missed"] | None = None
    gap_raised: bool = False

    def overlaps(self, other: Slot) -> bool:
        return self.starts_at < other.ends_at and other.starts_at < self.ends_at


@dataclass(frozen=True, slots=True)
class Rota:
    rota_id: str
    community_id: str
    county: str
    weekend: date
    gap_check_at: datetime
    slots: dict[str, Slot] = field(default_factory=dict)
    # (proposer's slot, counterpart's slot) -> (proposer, counterpart)
    proposals: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)

    def slot(self, slot_id: str) -> Slot:
        found = self.slots.get(slot_id)
        if found is None:
            raise NotFound("slot_not_found", f"no shift {slot_id} in this rota")
        return found

    def clashes(self, member_id: str, slot: Slot, *, besides: frozenset[str]) -> bool:
        """Whether the member holds another shift overlapping `slot` (ignoring `besides`)."""
        return any(
            s.holder == member_id and s.overlaps(slot)
            for sid, s in self.slots.items()
            if sid not in besides
        )


# --- decide -----------------------------------------------------------------------------


def decide(
    state: Rota | None, command: RotaCommand, *, now: datetime, new_id: IdFactory
) -> list[RotaEvent]:
    if isinstance(command, OpenShifts):
        return _open(state, command, now)
    if state is None:
        raise NotFound("rota_not_found", f"no rota {command.rota_id}")
    match command:
        case ClaimShift():
            return _claim(state, command, now)
        case ReleaseShift():
            slot = state.slot(command.slot_id)
            if slot.holder != command.member_id:
                raise CommandRejected(
                    "not_holder", "that member does not hold this shift", field="slot_id"
                )
            _not_started(slot, now)
            return [
                ShiftReleased(
                    rota_id=state.rota_id, slot_id=command.slot_id, member_id=command.member_id
                )
            ]
        case ProposeSwap():
            return _propose(state, command, now)
        case AcceptSwap():
            return _accept(state, command, now)
        case RecordShift():
            return _record(state, command, now)
        case MarkGaps():
            if now < state.gap_check_at:
                return []
            return [
                GapRaised(rota_id=state.rota_id, slot_id=sid, at=now)
                for sid, s in state.slots.items()
                if s.holder is None and not s.gap_raised and s.starts_at > now
            ]
    raise AssertionError(f"unhandled command {command!r}")


def _open(state: Rota | None, command: OpenShifts, now: datetime) -> list[RotaEvent]:
    if command.weekend.weekday() != 5:
        raise InvalidValue(
            "not_a_saturday", "a weekend rota is named by its Saturday", field="weekend"
        )
    begin = weekend_start(command.weekend)
    end = begin + timedelta(days=2)
    ids = [s.slot_id for s in command.slots]
    if len(set(ids)) != len(ids) or (state and set(ids) & set(state.slots)):
        raise CommandRejected("slot_exists", "each shift has its own id", field="slots")
    for n, slot in enumerate(command.slots):
        if slot.ends_at <= slot.starts_at:
            raise InvalidValue(
                "ends_before_start", "a shift ends after it starts", field=f"slots.{n}.ends_at"
            )
        if slot.starts_at < begin or slot.ends_at > end:
            raise InvalidValue(
                "slot_outside_weekend",
                "a shift falls on that Saturday or Sunday",
                field=f"slots.{n}.starts_at",
            )
    gap_check_at = state.gap_check_at if state else begin - command.gap_notice
    return [
        ShiftsOpened(
            rota_id=command.rota_id,
            community_id=command.community_id,
            county=command.county,
            weekend=command.weekend,
            slots=command.slots,
            gap_check_at=max(gap_check_at, now),
        )
    ]


def _not_started(slot: Slot, now: datetime) -> None:
    if now >= slot.starts_at:
        raise CommandRejected("slot_started", "the shift has begun", field="slot_id")


def _claim(state: Rota, command: ClaimShift, now: datetime) -> list[RotaEvent]:
    slot = state.slot(command.slot_id)
    if slot.holder == command.member_id:
        return []
    if slot.holder is not None:
        raise CommandRejected("slot_taken", "another member holds this shift", field="slot_id")
    _not_started(slot, now)
    if state.clashes(command.member_id, slot, besides=frozenset({command.slot_id})):
        raise CommandRejected(
            "overlapping_shift", "the member holds an overlapping shift", field="slot_id"
        )
    return [
        ShiftClaimed(
            rota_id=state.rota_id,
            slot_id=command.slot_id,
            member_id=command.member_id,
            assigned=command.assigned,
        )
    ]


def _propose(state: Rota, command: ProposeSwap, now: datetime) -> list[RotaEvent]:
    mine, theirs = state.slot(command.slot_id), state.slot(command.with_slot_id)
    if mine.holder != command.proposer_id:
        raise CommandRejected("not_holder", "propose a swap of a shift you hold", field="slot_id")
    if theirs.holder is None or theirs.holder == command.proposer_id:
        raise CommandRejected(
            "nobody_to_swap_with", "the other shift has no other holder", field="with_slot_id"
        )
    _not_started(mine, now)
    _not_started(theirs, now)
    return [
        SwapProposed(
            rota_id=state.rota_id,
            slot_id=command.slot_id,
            with_slot_id=command.with_slot_id,
            proposer_id=command.proposer_id,
            counterpart_id=theirs.holder,
        )
    ]


def _accept(state: Rota, command: AcceptSwap, now: datetime) -> list[RotaEvent]:
    key = (command.with_slot_id, command.slot_id)
    proposal = state.proposals.get(key)
    if proposal is None or proposal[1] != command.member_id:
        raise CommandRejected(
            "no_such_proposal", "no swap was proposed to this member", field="with_slot_id"
        )
    proposer, counterpart = proposal
    theirs, mine = state.slot(command.with_slot_id), state.slot(command.slot_id)
    if theirs.holder != proposer or mine.holder != counterpart:
        raise CommandRejected("swap_outdated", "the shifts changed hands since the proposal")
    _not_started(mine, now)
    _not_started(theirs, now)
    both = frozenset(key)
    if state.clashes(proposer, mine, besides=both) or state.clashes(
        counterpart, theirs, besides=both
    ):
        raise CommandRejected("overlapping_shift", "the swap would give someone two shifts at once")
    return [
        ShiftsSwapped(
            rota_id=state.rota_id,
            slot_id=command.slot_id,
            member_id=proposer,
            other_slot_id=command.with_slot_id,
            other_member_id=counterpart,
        )
    ]


def _record(state: Rota, command: RecordShift, now: datetime) -> list[RotaEvent]:
    slot = state.slot(command.slot_id)
    if slot.holder is None:
        raise CommandRejected("slot_unheld", "nobody held this shift", field="slot_id")
    if now < slot.starts_at:
        raise CommandRejected(
            "slot_not_started", "record a shift once it has begun", field="slot_id"
        )
    if slot.recorded is not None:
        raise CommandRejected("already_recorded", f"this shift is recorded as {slot.recorded}")
    if command.outcome == "missed":
        return [ShiftMissed(rota_id=state.rota_id, slot_id=command.slot_id, member_id=slot.holder)]
    hours = round((slot.ends_at - slot.starts_at).total_seconds() / 3600, 2)
    return [
        ShiftServed(
            rota_id=state.rota_id, slot_id=command.slot_id, member_id=slot.holder, hours=hours
        ),
        ShiftHoursCertified(
            rota_id=state.rota_id,
            slot_id=command.slot_id,
            member_id=slot.holder,
            hours=hours,
            served_at=slot.starts_at,
        ),
    ]


# --- evolve -----------------------------------------------------------------------------


def _with_slot(state: Rota, slot_id: str, **changes: object) -> Rota:
    return replace(state, slots={**state.slots, slot_id: replace(state.slots[slot_id], **changes)})  # type: ignore[arg-type]


def evolve(state: Rota | None, event: RotaEvent) -> Rota | None:
    if isinstance(event, ShiftsOpened):
        base = state or Rota(
            rota_id=event.rota_id,
            community_id=event.community_id,
            county=event.county,
            weekend=event.weekend,
            gap_check_at=event.gap_check_at,
        )
        opened = {
            s.slot_id: Slot(area=s.area, starts_at=s.starts_at, ends_at=s.ends_at)
            for s in event.slots
        }
        return replace(base, slots={**base.slots, **opened}, gap_check_at=event.gap_check_at)
    assert state is not None
    match event:
        case ShiftClaimed():
            return _with_slot(state, event.slot_id, holder=event.member_id)
        case ShiftReleased():
            cleared = {k: v for k, v in state.proposals.items() if event.slot_id not in k}
            return replace(_with_slot(state, event.slot_id, holder=None), proposals=cleared)
        case SwapProposed():
            key = (event.slot_id, event.with_slot_id)
            return replace(
                state, proposals={**state.proposals, key: (event.proposer_id, event.counterpart_id)}
            )
        case ShiftsSwapped():
            swapped = _with_slot(
                _with_slot(state, event.slot_id, holder=event.member_id),
                event.other_slot_id,
                holder=event.other_member_id,
            )
            both = {event.slot_id, event.other_slot_id}
            return replace(
                swapped, proposals={k: v for k, v in state.proposals.items() if not both & set(k)}
            )
        case ShiftServed():
            return _with_slot(state, event.slot_id, recorded="served")
        case ShiftHoursCertified():
            return state
        case ShiftMissed():
            return _with_slot(state, event.slot_id, recorded="missed")
        case GapRaised():
            return _with_slot(state, event.slot_id, gap_raised=True)
    raise AssertionError(f"unhandled event {event!r}")


def community_of(state: Rota | None) -> str:
    assert state is not None
    return state.community_id


DECIDER: Decider[Rota | None, RotaCommand, RotaEvent] = Decider(
    stream_type=STREAM_TYPE,
    initial_state=None,
    decide=decide,
    evolve=evolve,
    event_types=EventTypes(
        ShiftsOpened,
        ShiftClaimed,
        ShiftReleased,
        SwapProposed,
        ShiftsSwapped,
        ShiftServed,
        ShiftHoursCertified,
        ShiftMissed,
        GapRaised,
    ),
)
