"""Public events of the community grid: compounds (小区), areas (片区/楼群), buildings (楼栋),
units (单元) and households (家庭), with who is responsible for them.

Ids and grid positions only: the people responsible appear as member ids; names and
phones stay in the organisation service.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from grassroots_contracts.events import PublicEvent
from grassroots_contracts.privacy import Code, DoorNumber, Id, OfficialName, PublicTitle
from grassroots_contracts.topics import ORGANISATION_EVENTS

_C = "7d3f1c2e-0b1a-4c55-9a57-1f0e4b8f2c11"
_X = "0193a7c2-0000-7000-8000-00000000c001"
_A = "0193a7c2-0000-7000-8000-00000000a001"
_B = "0193a7c2-0000-7000-8000-00000000b001"
_H = "0193a7c2-0000-7000-8000-00000000d001"
_M = "0193a7c2-0000-7000-8000-00000000e001"
_T = "2026-03-01T08:00:00Z"


class _GridEvent(PublicEvent):
    topic: ClassVar[str] = ORGANISATION_EVENTS.name


class CompoundRegistered(_GridEvent):
    """A residential compound (小区) was registered in a community."""

    event_type: ClassVar[str] = "grassroots.organisation.CompoundRegistered.v1"
    example: ClassVar[dict[str, object]] = {
        "compound_id": _X,
        "community_id": _C,
        "name": "雍景园小区",
        "registered_at": _T,
    }

    compound_id: Id
    community_id: Id
    name: OfficialName = Field(description="the compound's name, e.g. 雍景园小区")
    registered_at: AwareDatetime


class CompoundRenamed(_GridEvent):
    """A compound's name changed."""

    event_type: ClassVar[str] = "grassroots.organisation.CompoundRenamed.v1"
    example: ClassVar[dict[str, object]] = {
        "compound_id": _X,
        "community_id": _C,
        "name": "雍景新园",
    }

    compound_id: Id
    community_id: Id
    name: OfficialName


class AreaAdded(_GridEvent):
    """An area (片区/楼群) of a compound: the unit a branch committee member covers."""

    event_type: ClassVar[str] = "grassroots.organisation.AreaAdded.v1"
    example: ClassVar[dict[str, object]] = {
        "area_id": _A,
        "compound_id": _X,
        "community_id": _C,
        "name": "东片区",
    }

    area_id: Id
    compound_id: Id
    community_id: Id
    name: OfficialName


class KeyCompoundLeaderAssigned(_GridEvent):
    """A county-level leader takes charge of a key compound (县级领导包小区)."""

    event_type: ClassVar[str] = "grassroots.organisation.KeyCompoundLeaderAssigned.v1"
    example: ClassVar[dict[str, object]] = {
        "compound_id": _X,
        "community_id": _C,
        "leader_id": "leader-0001",
        "title": "副县长",
    }

    compound_id: Id
    community_id: Id
    leader_id: Id
    title: PublicTitle = Field(description="the leader's office, e.g. 副县长")


class BuildingRegistered(_GridEvent):
    """A building (楼栋) with its number of units (单元)."""

    event_type: ClassVar[str] = "grassroots.organisation.BuildingRegistered.v1"
    example: ClassVar[dict[str, object]] = {
        "building_id": _B,
        "compound_id": _X,
        "community_id": _C,
        "area_id": _A,
        "name": "3栋",
        "units": 2,
        "registered_at": _T,
    }

    building_id: Id
    compound_id: Id
    community_id: Id
    area_id: Id | None = None
    name: OfficialName
    units: int = Field(ge=1)
    registered_at: AwareDatetime


class BuildingRenamed(_GridEvent):
    """A building was renamed (renumbered)."""

    event_type: ClassVar[str] = "grassroots.organisation.BuildingRenamed.v1"
    example: ClassVar[dict[str, object]] = {"building_id": _B, "community_id": _C, "name": "3号楼"}

    building_id: Id
    community_id: Id
    name: OfficialName


class BuildingMoved(_GridEvent):
    """A building moved to another area of its compound."""

    event_type: ClassVar[str] = "grassroots.organisation.BuildingMoved.v1"
    example: ClassVar[dict[str, object]] = {
        "building_id": _B,
        "compound_id": _X,
        "community_id": _C,
        "from_area_id": None,
        "to_area_id": _A,
    }

    building_id: Id
    compound_id: Id
    community_id: Id
    from_area_id: Id | None
    to_area_id: Id


class BuildingRetired(_GridEvent):
    """A building left the grid; it had no households left."""

    event_type: ClassVar[str] = "grassroots.organisation.BuildingRetired.v1"
    example: ClassVar[dict[str, object]] = {
        "building_id": _B,
        "compound_id": _X,
        "community_id": _C,
    }

    building_id: Id
    compound_id: Id
    community_id: Id


class HouseholdPosition(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    household_id: Id
    unit: int = Field(ge=1, description="the unit (单元) number within the building")
    room: DoorNumber = Field(description="the door number within the unit, e.g. 302")


class HouseholdsAdded(_GridEvent):
    """Households (家庭) registered at their grid positions in a building."""

    event_type: ClassVar[str] = "grassroots.organisation.HouseholdsAdded.v1"
    example: ClassVar[dict[str, object]] = {
        "building_id": _B,
        "compound_id": _X,
        "community_id": _C,
        "households": [{"household_id": _H, "unit": 1, "room": "302"}],
    }

    building_id: Id
    compound_id: Id
    community_id: Id
    households: list[HouseholdPosition]


class HouseholdRetired(_GridEvent):
    """A household left its position (moved out, merged)."""

    event_type: ClassVar[str] = "grassroots.organisation.HouseholdRetired.v1"
    example: ClassVar[dict[str, object]] = {
        "building_id": _B,
        "community_id": _C,
        "household_id": _H,
    }

    building_id: Id
    community_id: Id
    household_id: Id


class HouseholdMemberAssigned(_GridEvent):
    """A party member became responsible for a household (党员联系户)."""

    event_type: ClassVar[str] = "grassroots.organisation.HouseholdMemberAssigned.v1"
    example: ClassVar[dict[str, object]] = {
        "building_id": _B,
        "community_id": _C,
        "household_id": _H,
        "member_id": _M,
    }

    building_id: Id
    community_id: Id
    household_id: Id
    member_id: Id


class BuildingHeadAppointed(_GridEvent):
    """A building head (楼栋长), first responder for the building."""

    event_type: ClassVar[str] = "grassroots.organisation.BuildingHeadAppointed.v1"
    example: ClassVar[dict[str, object]] = {"building_id": _B, "community_id": _C, "member_id": _M}

    building_id: Id
    community_id: Id
    member_id: Id


class CountyLeaderLinked(_GridEvent):
    """A county standing-committee member links a community (县委常委联系社区)."""

    event_type: ClassVar[str] = "grassroots.organisation.CountyLeaderLinked.v1"
    example: ClassVar[dict[str, object]] = {
        "community_id": _C,
        "leader_id": "leader-0002",
        "title": "县委常委、组织部部长",
    }

    community_id: Id
    leader_id: Id
    title: PublicTitle


class CommunityWorkerAssigned(_GridEvent):
    """A grid worker (网格员) or community worker (社区工作者) assigned to grid units."""

    event_type: ClassVar[str] = "grassroots.organisation.CommunityWorkerAssigned.v1"
    example: ClassVar[dict[str, object]] = {
        "community_id": _C,
        "worker_id": "worker-0001",
        "role": "grid_worker",
        "grid_unit_ids": [_X],
    }

    community_id: Id
    worker_id: Id
    role: Code = Field(description="grid_worker or community_worker")
    grid_unit_ids: list[Id] = Field(description="compound or area ids the worker covers")


class CommitteeSecretaryAppointed(_GridEvent):
    """The secretary of the community party committee (社区党委书记)."""

    event_type: ClassVar[str] = "grassroots.organisation.CommitteeSecretaryAppointed.v1"
    example: ClassVar[dict[str, object]] = {"community_id": _C, "member_id": _M}

    community_id: Id
    member_id: Id


EVENTS: tuple[type[PublicEvent], ...] = (
    CompoundRegistered,
    CompoundRenamed,
    AreaAdded,
    KeyCompoundLeaderAssigned,
    BuildingRegistered,
    BuildingRenamed,
    BuildingMoved,
    BuildingRetired,
    HouseholdsAdded,
    HouseholdRetired,
    HouseholdMemberAssigned,
    BuildingHeadAppointed,
    CountyLeaderLinked,
    CommunityWorkerAssigned,
    CommitteeSecretaryAppointed,
)
