"""The party member (党员) aggregate: residence, work unit, kind, and the double report (双报到).

Names and phones are personal data: they are in this stream (and this service's
answers to authorised staff), never in public events.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Literal

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
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from organisation_service.domain.calendar import local_today
from organisation_service.domain.names import EntityId, OfficialName, PersonName, Phone

STREAM_TYPE = "member"

MemberKind = Literal["in_service", "resident", "retired"]
ReportRole = Literal["residence", "contact"]


class Residence(BaseModel):
    """Where a member lives, as a grid position; the handler has checked it exists."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    community_id: EntityId
    building_id: EntityId | None = None
    household_id: EntityId | None = None


class RegisterMember(Command):
    member_id: EntityId
    county: str
    name: PersonName
    phone: Phone
    residence: Residence
    kind: MemberKind
    work_unit: OfficialName | None = None
    unit_org_id: EntityId | None = None
    contact_community_id: EntityId | None = None
    skills: tuple[str, ...] = Field(default=(), max_length=20)
    wishes: tuple[str, ...] = Field(default=(), max_length=20)


class TransferResidence(Command):
    member_id: EntityId
    residence: Residence


class SetContactCommunity(Command):
    member_id: EntityId
    community_id: EntityId


class ReportToCommunity(Command):
    member_id: EntityId
    community_id: EntityId
    role: ReportRole
    reported_on: date


MemberCommand = RegisterMember | TransferResidence | SetContactCommunity | ReportToCommunity


class MemberRegistered(DomainEvent):
    event_name = "MemberRegistered"

    member_id: str
    county: str
    name: str
    phone: str
    residence: Residence
    kind: MemberKind
    work_unit: str | None
    unit_org_id: str | None
    contact_community_id: str | None
    skills: tuple[str, ...]
    wishes: tuple[str, ...]
    registered_at: AwareDatetime


class ResidenceTransferred(DomainEvent):
    event_name = "ResidenceTransferred"

    member_id: str
    previous: Residence
    residence: Residence


class ContactCommunitySet(DomainEvent):
    event_name = "ContactCommunitySet"

    member_id: str
    community_id: str


class MemberReported(DomainEvent):
    event_name = "MemberReported"

    member_id: str
    community_id: str
    role: ReportRole
    reported_on: date
    period: int


MemberEvent = MemberRegistered | ResidenceTransferred | ContactCommunitySet | MemberReported


@dataclass(frozen=True, slots=True)
class Member:
    member_id: str
    county: str
    name: str
    phone: str
    home_community_id: str  # where the stream started: its Kafka key for good
    residence: Residence
    kind: MemberKind
    work_unit: str | None
    unit_org_id: str | None
    contact_community_id: str | None
    skills: tuple[str, ...]
    wishes: tuple[str, ...]
    reports: frozenset[tuple[str, int]] = frozenset()  # (community, period)

    def reported(self, community_id: str, period: int) -> bool:
        return (community_id, period) in self.reports

    def reported_both(self, period: int) -> bool:
        """双报到: residence and contact community, in one period."""
        contact = self.contact_community_id
        return self.reported(self.residence.community_id, period) and (
            contact is not None and self.reported(contact, period)
        )


def period_of(day: date) -> int:
    """Reporting periods are calendar years (of the county's calendar: the report's date)."""
    return day.year


def decide(
    state: Member | None, command: MemberCommand, *, now: datetime, new_id: IdFactory
) -> list[MemberEvent]:
    if isinstance(command, RegisterMember):
        if state is not None:
            raise CommandRejected("member_already_registered", f"member {command.member_id} exists")
        if command.contact_community_id and command.kind != "in_service":
            raise CommandRejected(
                "contact_community_in_service_only",
                "only in-service members have a contact community",
                field="contact_community_id",
            )
        return [
            MemberRegistered(
                member_id=command.member_id,
                county=command.county,
                name=command.name,
                phone=command.phone,
                residence=command.residence,
                kind=command.kind,
                work_unit=command.work_unit,
                unit_org_id=command.unit_org_id,
                contact_community_id=command.contact_community_id,
                skills=command.skills,
                wishes=command.wishes,
                registered_at=now,
            )
        ]
    if state is None:
        raise NotFound("member_not_found", f"no member {command.member_id}")
    match command:
        case TransferResidence():
            if command.residence == state.residence:
                return []
            return [
                ResidenceTransferred(
                    member_id=state.member_id, previous=state.residence, residence=command.residence
                )
            ]
        case SetContactCommunity():
            if state.kind != "in_service":
                raise CommandRejected(
                    "contact_community_in_service_only",
                    "only in-service members have a contact community",
                    field="community_id",
                )
            if state.contact_community_id == command.community_id:
                return []
            return [
                ContactCommunitySet(member_id=state.member_id, community_id=command.community_id)
            ]
        case ReportToCommunity():
            return _report(state, command, now)
    raise AssertionError(f"unhandled command {command!r}")


def _report(state: Member, command: ReportToCommunity, now: datetime) -> list[MemberEvent]:
    if command.reported_on > local_today(now):
        raise InvalidValue(
            "report_date_in_future", "a report cannot be dated in the future", field="reported_on"
        )
    if command.role == "residence" and command.community_id != state.residence.community_id:
        raise CommandRejected(
            "not_residence_community",
            "a residence report goes to the community the member lives in",
            field="community_id",
        )
    if command.role == "contact":
        if state.kind != "in_service":
            raise CommandRejected(
                "contact_community_in_service_only",
                "only in-service members report to a contact community",
                field="role",
            )
        if command.community_id != state.contact_community_id:
            raise CommandRejected(
                "not_contact_community",
                "a contact report goes to the member's contact community; set it first",
                field="community_id",
            )
    period = period_of(command.reported_on)
    if state.reported(command.community_id, period):
        raise CommandRejected(
            "already_reported",
            f"member already reported to this community in {period}",
            field="community_id",
        )
    return [
        MemberReported(
            member_id=state.member_id,
            community_id=command.community_id,
            role=command.role,
            reported_on=command.reported_on,
            period=period,
        )
    ]


def evolve(state: Member | None, event: MemberEvent) -> Member | None:
    if isinstance(event, MemberRegistered):
        return Member(
            member_id=event.member_id,
            county=event.county,
            name=event.name,
            phone=event.phone,
            home_community_id=event.residence.community_id,
            residence=event.residence,
            kind=event.kind,
            work_unit=event.work_unit,
            unit_org_id=event.unit_org_id,
            contact_community_id=event.contact_community_id,
            skills=event.skills,
            wishes=event.wishes,
        )
    assert state is not None
    match event:
        case ResidenceTransferred():
            return replace(state, residence=event.residence)
        case ContactCommunitySet():
            return replace(state, contact_community_id=event.community_id)
        case MemberReported():
            return replace(state, reports=state.reports | {(event.community_id, event.period)})
    raise AssertionError(f"unhandled event {event!r}")


def community_of(state: Member | None) -> str:
    assert state is not None
    return state.home_community_id


DECIDER: Decider[Member | None, MemberCommand, MemberEvent] = Decider(
    stream_type=STREAM_TYPE,
    initial_state=None,
    decide=decide,
    evolve=evolve,
    event_types=EventTypes(
        MemberRegistered, ResidenceTransferred, ContactCommunitySet, MemberReported
    ),
)
