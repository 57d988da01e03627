"""Public events of party members (党员) and their double report (双报到).

Never a name, a phone or free text: a member is an id with a grid position, a kind
and the communities they report to.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from grassroots_contracts.events import PublicEvent
from grassroots_contracts.privacy import Id
from grassroots_contracts.topics import ORGANISATION_EVENTS

_C = "7d3f1c2e-0b1a-4c55-9a57-1f0e4b8f2c11"
_C2 = "7d3f1c2e-0b1a-4c55-9a57-1f0e4b8f2c12"
_B = "0193a7c2-0000-7000-8000-00000000b001"
_H = "0193a7c2-0000-7000-8000-00000000d001"
_M = "0193a7c2-0000-7000-8000-00000000e001"

MemberKind = Literal["in_service", "resident", "retired"]


class _MemberEvent(PublicEvent):
    topic: ClassVar[str] = ORGANISATION_EVENTS.name


class MemberRegistered(_MemberEvent):
    """A party member registered with their residence; the Kafka key is this community."""

    event_type: ClassVar[str] = "grassroots.organisation.MemberRegistered.v1"
    example: ClassVar[dict[str, object]] = {
        "member_id": _M,
        "community_id": _C,
        "building_id": _B,
        "household_id": _H,
        "kind": "in_service",
        "unit_org_id": None,
        "contact_community_id": _C2,
        "registered_at": "2026-03-01T08:00:00Z",
    }

    member_id: Id
    community_id: Id = Field(description="the residence community")
    building_id: Id | None = None
    household_id: Id | None = None
    kind: MemberKind = Field(description="in_service (在职), resident (居住), retired (退休)")
    unit_org_id: Id | None = Field(default=None, description="the work unit's party organisation")
    contact_community_id: Id | None = Field(
        default=None, description="for in-service members: the community their unit pairs with"
    )
    registered_at: AwareDatetime


class MemberResidenceTransferred(_MemberEvent):
    """A member moved home to another household or community."""

    event_type: ClassVar[str] = "grassroots.organisation.MemberResidenceTransferred.v1"
    example: ClassVar[dict[str, object]] = {
        "member_id": _M,
        "from_community_id": _C,
        "to_community_id": _C2,
        "building_id": _B,
        "household_id": _H,
    }

    member_id: Id
    from_community_id: Id
    to_community_id: Id
    building_id: Id | None = None
    household_id: Id | None = None


class MemberContactCommunitySet(_MemberEvent):
    """An in-service member's contact community (联系社区) was set."""

    event_type: ClassVar[str] = "grassroots.organisation.MemberContactCommunitySet.v1"
    example: ClassVar[dict[str, object]] = {"member_id": _M, "community_id": _C2}

    member_id: Id
    community_id: Id


class MemberReported(_MemberEvent):
    """A member reported for duty (报到) to a community, as residence or contact community."""

    event_type: ClassVar[str] = "grassroots.organisation.MemberReported.v1"
    example: ClassVar[dict[str, object]] = {
        "member_id": _M,
        "community_id": _C,
        "role": "residence",
        "reported_on": "2026-03-02",
        "period": 2026,
    }

    member_id: Id
    community_id: Id
    role: Literal["residence", "contact"]
    reported_on: date
    period: int = Field(description="the reporting period: the calendar year")


EVENTS: tuple[type[PublicEvent], ...] = (
    MemberRegistered,
    MemberResidenceTransferred,
    MemberContactCommunitySet,
    MemberReported,
)
