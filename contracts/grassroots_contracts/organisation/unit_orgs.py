"""Public events of unit party organisations (机关企事业单位党组织): report, pairing, pledges.

A unit organisation belongs to a county, not to one community, so its events are
keyed by ``county:<county>`` (the aggregate's only key that never changes) and each
payload names the community it concerns. Pledge notes and evidence are free text
written by staff: only the fact that one was added is public, never its text.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, Field

from grassroots_contracts.events import PublicEvent
from grassroots_contracts.privacy import Id, OfficialName, PublicTitle
from grassroots_contracts.topics import ORGANISATION_EVENTS

_EXAMPLE_UNIT = "3b8e2f4a-6c1d-4e9b-8a27-5d0c9e1f7a32"
_EXAMPLE_COMMUNITY = "7d3f1c2e-0b1a-4c55-9a57-1f0e4b8f2c11"
_EXAMPLE_PLEDGE = "c5a1d7e3-2f48-4b6a-9e0d-8b3c1f5a2e74"


class UnitOrganisationKind(StrEnum):
    """county_office 县直机关, school 学校, hospital 医院, enterprise 企业, other 其他."""

    COUNTY_OFFICE = "county_office"
    SCHOOL = "school"
    HOSPITAL = "hospital"
    ENTERPRISE = "enterprise"
    OTHER = "other"


class UnitOrganisationRegistered(PublicEvent):
    """A unit party organisation (机关企事业单位党组织) was registered in a county."""

    event_type: ClassVar[str] = "grassroots.organisation.UnitOrganisationRegistered.v1"
    topic: ClassVar[str] = ORGANISATION_EVENTS.name
    example: ClassVar[dict[str, object]] = {
        "unit_org_id": _EXAMPLE_UNIT,
        "name": "东安县人民医院党委",
        "kind": "hospital",
        "county": "东安县",
        "registered_at": "2026-03-01T08:00:00Z",
    }

    unit_org_id: Id = Field(description="the unit organisation's id")
    name: OfficialName = Field(
        description="the organisation's official name, e.g. 东安县人民医院党委"
    )
    kind: UnitOrganisationKind = Field(description="what kind of unit it is")
    county: OfficialName = Field(description="the county it belongs to, e.g. 东安县")
    registered_at: AwareDatetime


class UnitOrganisationRenamed(PublicEvent):
    """A unit party organisation's official name changed."""

    event_type: ClassVar[str] = "grassroots.organisation.UnitOrganisationRenamed.v1"
    topic: ClassVar[str] = ORGANISATION_EVENTS.name
    example: ClassVar[dict[str, object]] = {
        "unit_org_id": _EXAMPLE_UNIT,
        "name": "东安县人民医院党总支",
        "renamed_at": "2026-04-01T08:00:00Z",
    }

    unit_org_id: Id = Field(description="the unit organisation's id")
    name: OfficialName = Field(description="the new official name")
    renamed_at: AwareDatetime


class UnitOrganisationReported(PublicEvent):
    """A unit party organisation reported for duty (报到) to a community.

    At most once a calendar year per community; counts towards the community's
    reporting rate for that year.
    """

    event_type: ClassVar[str] = "grassroots.organisation.UnitOrganisationReported.v1"
    topic: ClassVar[str] = ORGANISATION_EVENTS.name
    example: ClassVar[dict[str, object]] = {
        "unit_org_id": _EXAMPLE_UNIT,
        "community_id": _EXAMPLE_COMMUNITY,
        "reported_on": "2026-03-05",
        "recorded_at": "2026-03-05T09:30:00Z",
    }

    unit_org_id: Id = Field(description="the unit organisation that reported")
    community_id: Id = Field(description="the community it reported to")
    reported_on: date = Field(
        description="the day of the report (China Standard Time); its year is the period"
    )
    recorded_at: AwareDatetime = Field(description="when the report was recorded")


class UnitOrganisationPaired(PublicEvent):
    """A unit party organisation paired with a community (结对).

    Only a paired community can receive the unit's pledges of practical projects.
    """

    event_type: ClassVar[str] = "grassroots.organisation.UnitOrganisationPaired.v1"
    topic: ClassVar[str] = ORGANISATION_EVENTS.name
    example: ClassVar[dict[str, object]] = {
        "unit_org_id": _EXAMPLE_UNIT,
        "community_id": _EXAMPLE_COMMUNITY,
        "paired_at": "2026-03-05T09:45:00Z",
    }

    unit_org_id: Id = Field(description="the unit organisation")
    community_id: Id = Field(description="the community it paired with")
    paired_at: AwareDatetime


class PledgeMade(PublicEvent):
    """A unit party organisation pledged a practical project (民生实事承诺) to a community.

    For a paired community and a calendar year; at most two per community and year.
    The pledge's status is now pledged.
    """

    event_type: ClassVar[str] = "grassroots.organisation.PledgeMade.v1"
    topic: ClassVar[str] = ORGANISATION_EVENTS.name
    example: ClassVar[dict[str, object]] = {
        "pledge_id": _EXAMPLE_PLEDGE,
        "unit_org_id": _EXAMPLE_UNIT,
        "community_id": _EXAMPLE_COMMUNITY,
        "year": 2026,
        "title": "为茶亭社区老旧小区加装路灯",
        "pledged_at": "2026-03-06T10:00:00Z",
    }

    pledge_id: Id = Field(description="the pledge's id")
    unit_org_id: Id = Field(description="the unit organisation that pledged")
    community_id: Id = Field(description="the paired community the project is for")
    year: int = Field(description="the calendar year the project is pledged for")
    title: PublicTitle = Field(
        description="the project's public name, e.g. 为茶亭社区老旧小区加装路灯"
    )
    pledged_at: AwareDatetime


class PledgeStarted(PublicEvent):
    """Work on a pledged project began. Status: pledged → in progress."""

    event_type: ClassVar[str] = "grassroots.organisation.PledgeStarted.v1"
    topic: ClassVar[str] = ORGANISATION_EVENTS.name
    example: ClassVar[dict[str, object]] = {
        "pledge_id": _EXAMPLE_PLEDGE,
        "unit_org_id": _EXAMPLE_UNIT,
        "community_id": _EXAMPLE_COMMUNITY,
        "started_at": "2026-04-01T08:00:00Z",
    }

    pledge_id: Id = Field(description="the pledge")
    unit_org_id: Id = Field(description="the unit organisation that pledged")
    community_id: Id = Field(description="the community the project is for")
    started_at: AwareDatetime


class PledgeNoteAdded(PublicEvent):
    """A progress note was added to a pledge.

    The note's text is staff's free text and stays in the organisation service.
    """

    event_type: ClassVar[str] = "grassroots.organisation.PledgeNoteAdded.v1"
    topic: ClassVar[str] = ORGANISATION_EVENTS.name
    example: ClassVar[dict[str, object]] = {
        "pledge_id": _EXAMPLE_PLEDGE,
        "unit_org_id": _EXAMPLE_UNIT,
        "community_id": _EXAMPLE_COMMUNITY,
        "added_at": "2026-05-10T08:00:00Z",
    }

    pledge_id: Id = Field(description="the pledge")
    unit_org_id: Id = Field(description="the unit organisation that pledged")
    community_id: Id = Field(description="the community the project is for")
    added_at: AwareDatetime


class PledgeCompleted(PublicEvent):
    """A pledged project was done, with evidence. Status: in progress → done.

    The evidence is staff's free text and stays in the organisation service.
    """

    event_type: ClassVar[str] = "grassroots.organisation.PledgeCompleted.v1"
    topic: ClassVar[str] = ORGANISATION_EVENTS.name
    example: ClassVar[dict[str, object]] = {
        "pledge_id": _EXAMPLE_PLEDGE,
        "unit_org_id": _EXAMPLE_UNIT,
        "community_id": _EXAMPLE_COMMUNITY,
        "year": 2026,
        "completed_at": "2026-09-30T08:00:00Z",
    }

    pledge_id: Id = Field(description="the pledge")
    unit_org_id: Id = Field(description="the unit organisation that pledged")
    community_id: Id = Field(description="the community the project is for")
    year: int = Field(description="the calendar year the project was pledged for")
    completed_at: AwareDatetime


EVENTS: tuple[type[PublicEvent], ...] = (
    UnitOrganisationRegistered,
    UnitOrganisationRenamed,
    UnitOrganisationReported,
    UnitOrganisationPaired,
    PledgeMade,
    PledgeStarted,
    PledgeNoteAdded,
    PledgeCompleted,
)
