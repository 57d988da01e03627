"""The unit party organisation (机关企事业单位党组织) aggregate.

A county office, school, hospital or company reports for duty to communities (报到),
pairs with communities (结对) and pledges practical projects to its paired
communities (民生实事承诺), each moving pledged → in progress → done.

The aggregate belongs to a county, not to a community: one unit reports to and pairs
with several communities, so its stream is keyed by its county (see `community_of`)
and every event names the community it concerns.

A done pledge is closed: no more notes, no status change. Its evidence is what the
later evaluation (the "evaluated" step of 双结对, not built yet) judges, so it must
not change under the evaluators.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Annotated, TypeVar

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
from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints

from organisation_service.domain.calendar import local_today
from organisation_service.domain.names import EntityId, OfficialName

STREAM_TYPE = "unit_org"

MAX_PLEDGES_PER_COMMUNITY_AND_YEAR = 2  # 每年承诺1-2件民生实事


class UnitKind(StrEnum):
    """county_office 县直机关, school 学校, hospital 医院, enterprise 企业, other 其他."""

    COUNTY_OFFICE = "county_office"
    SCHOOL = "school"
    HOSPITAL = "hospital"
    ENTERPRISE = "enterprise"
    OTHER = "other"


class PledgeStatus(StrEnum):
    """pledged 已承诺, in_progress 推进中, done 已完成."""

    PLEDGED = "pledged"
    IN_PROGRESS = "in_progress"
    DONE = "done"


def _text(*, newlines: bool) -> AfterValidator:
    def check(value: str) -> str:
        # Browsers' text areas send CRLF; one kind of line break is easier on everyone.
        value = unicodedata.normalize("NFC", value).replace("\r\n", "\n")
        allowed = {"\n", "\t"} if newlines else set()
        if any(unicodedata.category(ch).startswith("C") and ch not in allowed for ch in value):
            raise ValueError("must not contain control or invisible characters")
        return value

    return AfterValidator(check)


PledgeTitle = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=2, max_length=100),
    _text(newlines=False),
]
"""A project's public name: 为茶亭社区老旧小区加装路灯."""

NoteText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2000),
    _text(newlines=True),
]
"""Staff's free text on a pledge's progress or evidence; never published."""

PledgeYear = Annotated[int, Field(ge=2000, le=2100)]

# Paper reports from before the platform may be recorded; year 1 may not.
ReportDate = Annotated[date, Field(ge=date(2000, 1, 1))]


# Commands


class RegisterUnitOrg(Command):
    unit_org_id: EntityId
    name: OfficialName
    kind: UnitKind
    county: OfficialName


class RenameUnitOrg(Command):
    unit_org_id: EntityId
    name: OfficialName


class ReportToCommunity(Command):
    """`community_county` is the county of the community, as the handler found it."""

    unit_org_id: EntityId
    community_id: EntityId
    community_county: str
    reported_on: ReportDate


class PairWithCommunity(Command):
    """`community_county` is the county of the community, as the handler found it."""

    unit_org_id: EntityId
    community_id: EntityId
    community_county: str


class MakePledge(Command):
    unit_org_id: EntityId
    pledge_id: EntityId
    community_id: EntityId
    year: PledgeYear
    title: PledgeTitle


class StartPledge(Command):
    unit_org_id: EntityId
    pledge_id: EntityId


class AddPledgeNote(Command):
    unit_org_id: EntityId
    pledge_id: EntityId
    text: NoteText


class CompletePledge(Command):
    unit_org_id: EntityId
    pledge_id: EntityId
    evidence: NoteText


UnitOrgCommand = (
    RegisterUnitOrg
    | RenameUnitOrg
    | ReportToCommunity
    | PairWithCommunity
    | MakePledge
    | StartPledge
    | AddPledgeNote
    | CompletePledge
)


# Events


class UnitOrgRegistered(DomainEvent):
    event_name = "UnitOrgRegistered"

    unit_org_id: str
    name: str
    kind: UnitKind
    county: str
    registered_at: AwareDatetime


class UnitOrgRenamed(DomainEvent):
    event_name = "UnitOrgRenamed"

    unit_org_id: str
    name: str
    previous_name: str
    renamed_at: AwareDatetime


class UnitOrgReported(DomainEvent):
    event_name = "UnitOrgReported"

    unit_org_id: str
    community_id: str
    reported_on: date
    recorded_at: AwareDatetime


class UnitOrgPaired(DomainEvent):
    event_name = "UnitOrgPaired"

    unit_org_id: str
    community_id: str
    paired_at: AwareDatetime


class PledgeMade(DomainEvent):
    event_name = "PledgeMade"

    unit_org_id: str
    pledge_id: str
    community_id: str
    year: int
    title: str
    pledged_at: AwareDatetime


class PledgeStarted(DomainEvent):
    event_name = "PledgeStarted"

    unit_org_id: str
    pledge_id: str
    community_id: str
    started_at: AwareDatetime


class PledgeNoteAdded(DomainEvent):
    event_name = "PledgeNoteAdded"

    unit_org_id: str
    pledge_id: str
    community_id: str
    text: str
    added_at: AwareDatetime


class PledgeCompleted(DomainEvent):
    event_name = "PledgeCompleted"

    unit_org_id: str
    pledge_id: str
    community_id: str
    year: int
    evidence: str
    completed_at: AwareDatetime


UnitOrgEvent = (
    UnitOrgRegistered
    | UnitOrgRenamed
    | UnitOrgReported
    | UnitOrgPaired
    | PledgeMade
    | PledgeStarted
    | PledgeNoteAdded
    | PledgeCompleted
)


# State


@dataclass(frozen=True, slots=True)
class PledgeNote:
    text: str
    added_at: datetime
    evidence: bool = False


@dataclass(frozen=True, slots=True)
class Pledge:
    pledge_id: str
    community_id: str
    year: int
    title: str
    status: PledgeStatus = PledgeStatus.PLEDGED
    notes: tuple[PledgeNote, ...] = ()


@dataclass(frozen=True, slots=True)
class UnitOrg:
    unit_org_id: str
    name: str
    kind: UnitKind
    county: str
    # Read-only mappings: states are shared by the command runner's cache.
    reports: Mapping[str, tuple[date, ...]] = field(default_factory=lambda: MappingProxyType({}))
    pairings: Mapping[str, datetime] = field(default_factory=lambda: MappingProxyType({}))
    pledges: Mapping[str, Pledge] = field(default_factory=lambda: MappingProxyType({}))

    def reported_in(self, community_id: str, year: int) -> bool:
        return any(day.year == year for day in self.reports.get(community_id, ()))

    def pledges_for(self, community_id: str, year: int) -> list[Pledge]:
        return [
            p for p in self.pledges.values() if (p.community_id, p.year) == (community_id, year)
        ]

    def communities(self) -> frozenset[str]:
        """Every community this unit has reported to or paired with (pledges go only to
        paired ones)."""
        return frozenset(self.reports) | frozenset(self.pairings)


# Decide


def decide(
    state: UnitOrg | None, command: UnitOrgCommand, *, now: datetime, new_id: IdFactory
) -> list[UnitOrgEvent]:
    if isinstance(command, RegisterUnitOrg):
        if state is not None:
            raise CommandRejected(
                "unit_org_already_registered",
                f"unit organisation {command.unit_org_id} is already registered",
            )
        return [
            UnitOrgRegistered(
                unit_org_id=command.unit_org_id,
                name=command.name,
                kind=command.kind,
                county=command.county,
                registered_at=now,
            )
        ]
    if state is None:
        raise NotFound("unit_org_not_found", f"no unit organisation {command.unit_org_id}")
    match command:
        case RenameUnitOrg():
            if command.name == state.name:
                return []
            return [
                UnitOrgRenamed(
                    unit_org_id=state.unit_org_id,
                    name=command.name,
                    previous_name=state.name,
                    renamed_at=now,
                )
            ]
        case ReportToCommunity():
            return _report(state, command, now)
        case PairWithCommunity():
            return _pair(state, command, now)
        case MakePledge():
            return _pledge(state, command, now)
        case StartPledge():
            pledge = _pledge_of(state, command.pledge_id)
            if pledge.status is not PledgeStatus.PLEDGED:
                raise _wrong_status(pledge, "start")
            return [
                PledgeStarted(
                    unit_org_id=state.unit_org_id,
                    pledge_id=pledge.pledge_id,
                    community_id=pledge.community_id,
                    started_at=now,
                )
            ]
        case AddPledgeNote():
            pledge = _pledge_of(state, command.pledge_id)
            if pledge.status is PledgeStatus.DONE:
                raise _wrong_status(pledge, "add a note to")
            return [
                PledgeNoteAdded(
                    unit_org_id=state.unit_org_id,
                    pledge_id=pledge.pledge_id,
                    community_id=pledge.community_id,
                    text=command.text,
                    added_at=now,
                )
            ]
        case CompletePledge():
            pledge = _pledge_of(state, command.pledge_id)
            if pledge.status is not PledgeStatus.IN_PROGRESS:
                raise _wrong_status(pledge, "complete")
            return [
                PledgeCompleted(
                    unit_org_id=state.unit_org_id,
                    pledge_id=pledge.pledge_id,
                    community_id=pledge.community_id,
                    year=pledge.year,
                    evidence=command.evidence,
                    completed_at=now,
                )
            ]
    raise AssertionError(f"unhandled command {command!r}")


def _same_county(state: UnitOrg, community_id: str, community_county: str) -> None:
    if community_county != state.county:
        raise InvalidValue(
            "community_of_another_county",
            f"community {community_id} is in {community_county}, "
            f"the unit organisation in {state.county}",
            field="community_id",
        )


def _report(state: UnitOrg, command: ReportToCommunity, now: datetime) -> list[UnitOrgEvent]:
    _same_county(state, command.community_id, command.community_county)
    if command.reported_on > local_today(now):
        raise InvalidValue(
            "report_date_in_future", "a report cannot be dated in the future", field="reported_on"
        )
    # The period is the report's calendar year: reporting rates are yearly figures.
    year = command.reported_on.year
    if state.reported_in(command.community_id, year):
        raise CommandRejected(
            "already_reported_this_year",
            f"already reported to community {command.community_id} in {year}",
            field="reported_on",
        )
    return [
        UnitOrgReported(
            unit_org_id=state.unit_org_id,
            community_id=command.community_id,
            reported_on=command.reported_on,
            recorded_at=now,
        )
    ]


def _pair(state: UnitOrg, command: PairWithCommunity, now: datetime) -> list[UnitOrgEvent]:
    _same_county(state, command.community_id, command.community_county)
    if command.community_id in state.pairings:
        raise CommandRejected(
            "already_paired",
            f"already paired with community {command.community_id}",
            field="community_id",
        )
    return [
        UnitOrgPaired(
            unit_org_id=state.unit_org_id, community_id=command.community_id, paired_at=now
        )
    ]


def _pledge(state: UnitOrg, command: MakePledge, now: datetime) -> list[UnitOrgEvent]:
    if command.pledge_id in state.pledges:
        raise CommandRejected(
            "pledge_already_made", f"pledge {command.pledge_id} exists", field="pledge_id"
        )
    if command.community_id not in state.pairings:
        raise CommandRejected(
            "pledge_needs_pairing",
            f"pair with community {command.community_id} before pledging to it",
            field="community_id",
        )
    # A pledge is a promise for this year or the next; an older year is history, not a
    # promise, and a far one is not a yearly commitment.
    this_year = local_today(now).year
    if not this_year <= command.year <= this_year + 1:
        raise InvalidValue(
            "pledge_year_out_of_range",
            f"a pledge is for {this_year} or {this_year + 1}",
            field="year",
        )
    if len(state.pledges_for(command.community_id, command.year)) >= (
        MAX_PLEDGES_PER_COMMUNITY_AND_YEAR
    ):
        raise CommandRejected(
            "pledge_limit",
            f"at most {MAX_PLEDGES_PER_COMMUNITY_AND_YEAR} pledges a year to one community",
            field="year",
        )
    return [
        PledgeMade(
            unit_org_id=state.unit_org_id,
            pledge_id=command.pledge_id,
            community_id=command.community_id,
            year=command.year,
            title=command.title,
            pledged_at=now,
        )
    ]


def _pledge_of(state: UnitOrg, pledge_id: str) -> Pledge:
    try:
        return state.pledges[pledge_id]
    except KeyError:
        raise NotFound(
            "pledge_not_found", f"no pledge {pledge_id} of this unit", field="pledge_id"
        ) from None


def _wrong_status(pledge: Pledge, action: str) -> CommandRejected:
    rule = {
        PledgeStatus.PLEDGED: "pledge_not_started",
        PledgeStatus.IN_PROGRESS: "pledge_already_started",
        PledgeStatus.DONE: "pledge_already_done",
    }[pledge.status]
    return CommandRejected(
        rule, f"cannot {action} a pledge that is {pledge.status.value}", field="pledge_id"
    )


# Evolve


def evolve(state: UnitOrg | None, event: UnitOrgEvent) -> UnitOrg | None:
    if isinstance(event, UnitOrgRegistered):
        return UnitOrg(event.unit_org_id, event.name, event.kind, event.county)
    assert state is not None
    match event:
        case UnitOrgRenamed():
            return replace(state, name=event.name)
        case UnitOrgReported():
            days = (*state.reports.get(event.community_id, ()), event.reported_on)
            return replace(state, reports=_with(state.reports, event.community_id, days))
        case UnitOrgPaired():
            return replace(
                state, pairings=_with(state.pairings, event.community_id, event.paired_at)
            )
        case PledgeMade():
            pledge = Pledge(event.pledge_id, event.community_id, event.year, event.title)
            return _with_pledge(state, pledge)
        case PledgeStarted():
            pledge = state.pledges[event.pledge_id]
            return _with_pledge(state, replace(pledge, status=PledgeStatus.IN_PROGRESS))
        case PledgeNoteAdded():
            pledge = state.pledges[event.pledge_id]
            note = PledgeNote(event.text, event.added_at)
            return _with_pledge(state, replace(pledge, notes=(*pledge.notes, note)))
        case PledgeCompleted():
            pledge = state.pledges[event.pledge_id]
            note = PledgeNote(event.evidence, event.completed_at, evidence=True)
            return _with_pledge(
                state, replace(pledge, status=PledgeStatus.DONE, notes=(*pledge.notes, note))
            )
    raise AssertionError(f"unhandled event {event!r}")


V = TypeVar("V")


def _with(mapping: Mapping[str, V], key: str, value: V) -> Mapping[str, V]:
    return MappingProxyType({**mapping, key: value})


def _with_pledge(state: UnitOrg, pledge: Pledge) -> UnitOrg:
    return replace(state, pledges=_with(state.pledges, pledge.pledge_id, pledge))


def community_of(state: UnitOrg | None) -> str:
    """The Kafka key: the county, which never changes over the stream's life, so the
    unit's events stay in order in one partition whichever community they concern."""
    assert state is not None
    return f"county:{state.county}"


DECIDER: Decider[UnitOrg | None, UnitOrgCommand, UnitOrgEvent] = Decider(
    stream_type=STREAM_TYPE,
    initial_state=None,
    decide=decide,
    evolve=evolve,
    event_types=EventTypes(
        UnitOrgRegistered,
        UnitOrgRenamed,
        UnitOrgReported,
        UnitOrgPaired,
        PledgeMade,
        PledgeStarted,
        PledgeNoteAdded,
        PledgeCompleted,
    ),
)
