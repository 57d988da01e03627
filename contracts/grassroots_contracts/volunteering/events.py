"""Public events of volunteering: teams (志愿服务队), activities, the weekend duty rota
(党员周末轮班) and certified hours.

Ids, kinds, times, counts and hours. Titles of teams, projects and activities are the
community's official wording, not a resident's. Check-in codes stay internal.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from grassroots_contracts.events import PublicEvent
from grassroots_contracts.privacy import Id, OfficialName, PublicTitle, Tag
from grassroots_contracts.topics import VOLUNTEERING_EVENTS

_C = "7d3f1c2e-0b1a-4c55-9a57-1f0e4b8f2c11"
_T = "0193a7c2-0000-7000-8000-0000000c0001"
_P = "0193a7c2-0000-7000-8000-0000000c0101"
_A = "0193a7c2-0000-7000-8000-0000000c1001"
_X = "0193a7c2-0000-7000-8000-00000000a001"
_M = "0193a7c2-0000-7000-8000-00000000e001"
_M2 = "0193a7c2-0000-7000-8000-00000000e002"
_R = "rota:7d3f1c2e-0b1a-4c55-9a57-1f0e4b8f2c11:2026-05-09"
_S = "0193a7c2-0000-7000-8000-0000000c2001"
_S2 = "0193a7c2-0000-7000-8000-0000000c2002"
_AT = "2026-05-09T09:30:00Z"

TeamKind = Literal[
    "civilisation_supervision",
    "caring_volunteers",
    "fitness_and_arts",
    "emergency_safety",
    "partner",
]
ActivityKind = Literal[
    "free_clinic",
    "anti_fraud_talk",
    "anti_drug_talk",
    "legal_aid",
    "clean_up",
    "elderly_visit",
    "other",
]
StationArea = Literal[
    "reception",
    "elderly_home",
    "youth_home",
    "children_home",
    "convenience_services",
]
Certifier = Literal["team", "community"]


class _VolunteeringEvent(PublicEvent):
    topic: ClassVar[str] = VOLUNTEERING_EVENTS.name

    community_id: Id = Field(description="the community it belongs to; also the Kafka key")


class TeamRegistered(_VolunteeringEvent):
    """A volunteer team (志愿服务队) was set up in a community."""

    event_type: ClassVar[str] = "grassroots.volunteering.TeamRegistered.v1"
    example: ClassVar[dict[str, object]] = {
        "team_id": _T,
        "community_id": _C,
        "kind": "caring_volunteers",
        "name": "茶亭社区爱心义工社",
        "partner": None,
        "registered_at": _AT,
    }

    team_id: Id
    kind: TeamKind
    name: OfficialName
    partner: OfficialName | None = Field(
        default=None, description="the outside organisation of a partner team, e.g. 县人民医院"
    )
    registered_at: AwareDatetime


class TeamMemberJoined(_VolunteeringEvent):
    """A party member joined a team."""

    event_type: ClassVar[str] = "grassroots.volunteering.TeamMemberJoined.v1"
    example: ClassVar[dict[str, object]] = {
        "team_id": _T,
        "community_id": _C,
        "member_id": _M,
        "joined_at": _AT,
    }

    team_id: Id
    member_id: Id
    joined_at: AwareDatetime


class TeamMemberLeft(_VolunteeringEvent):
    """A member left a team."""

    event_type: ClassVar[str] = "grassroots.volunteering.TeamMemberLeft.v1"
    example: ClassVar[dict[str, object]] = {
        "team_id": _T,
        "community_id": _C,
        "member_id": _M,
        "left_at": _AT,
    }

    team_id: Id
    member_id: Id
    left_at: AwareDatetime


class ServiceProjectAdded(_VolunteeringEvent):
    """A team offers a service project members can claim (认领)."""

    event_type: ClassVar[str] = "grassroots.volunteering.ServiceProjectAdded.v1"
    example: ClassVar[dict[str, object]] = {
        "team_id": _T,
        "community_id": _C,
        "project_id": _P,
        "title": "空巢老人结对帮扶",
        "skills": ["陪伴", "家政"],
    }

    team_id: Id
    project_id: Id
    title: PublicTitle
    skills: list[Tag]


class ServiceProjectClaimed(_VolunteeringEvent):
    """A member of the team claimed (认领) a service project."""

    event_type: ClassVar[str] = "grassroots.volunteering.ServiceProjectClaimed.v1"
    example: ClassVar[dict[str, object]] = {
        "team_id": _T,
        "community_id": _C,
        "project_id": _P,
        "member_id": _M,
        "claimed_at": _AT,
    }

    team_id: Id
    project_id: Id
    member_id: Id
    claimed_at: AwareDatetime


class ActivityScheduled(_VolunteeringEvent):
    """An activity for a compound or the whole community, with a window and a capacity."""

    event_type: ClassVar[str] = "grassroots.volunteering.ActivityScheduled.v1"
    example: ClassVar[dict[str, object]] = {
        "activity_id": _A,
        "community_id": _C,
        "compound_id": _X,
        "team_id": _T,
        "kind": "free_clinic",
        "title": "社区义诊",
        "starts_at": "2026-05-16T01:00:00Z",
        "ends_at": "2026-05-16T04:00:00Z",
        "capacity": 20,
    }

    activity_id: Id
    compound_id: Id | None = None
    team_id: Id | None = Field(default=None, description="the organising team, if any")
    kind: ActivityKind
    title: PublicTitle
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    capacity: int = Field(ge=1)
    attendance_closes_at: AwareDatetime | None = Field(
        default=None,
        description="after this no sign-up or attendance is recorded and no-shows are final",
    )


class ActivitySignedUp(_VolunteeringEvent):
    """A member signed up: confirmed while places last, else on the waitlist."""

    event_type: ClassVar[str] = "grassroots.volunteering.ActivitySignedUp.v1"
    example: ClassVar[dict[str, object]] = {
        "activity_id": _A,
        "community_id": _C,
        "member_id": _M,
        "status": "confirmed",
        "waitlist_position": None,
    }

    activity_id: Id
    member_id: Id
    status: Literal["confirmed", "waitlisted"]
    waitlist_position: int | None = Field(default=None, ge=1)


class ActivitySignUpCancelled(_VolunteeringEvent):
    """A member withdrew their sign-up (or their place on the waitlist)."""

    event_type: ClassVar[str] = "grassroots.volunteering.ActivitySignUpCancelled.v1"
    example: ClassVar[dict[str, object]] = {
        "activity_id": _A,
        "community_id": _C,
        "member_id": _M,
        "was": "confirmed",
    }

    activity_id: Id
    member_id: Id
    was: Literal["confirmed", "waitlisted"]


class WaitlistPromoted(_VolunteeringEvent):
    """The first on the waitlist took a freed place."""

    event_type: ClassVar[str] = "grassroots.volunteering.WaitlistPromoted.v1"
    example: ClassVar[dict[str, object]] = {"activity_id": _A, "community_id": _C, "member_id": _M2}

    activity_id: Id
    member_id: Id


class ActivityCheckedIn(_VolunteeringEvent):
    """A confirmed member arrived: checked in by staff or with the code shown at the venue."""

    event_type: ClassVar[str] = "grassroots.volunteering.ActivityCheckedIn.v1"
    example: ClassVar[dict[str, object]] = {
        "activity_id": _A,
        "community_id": _C,
        "member_id": _M,
        "at": _AT,
        "with_code": True,
    }

    activity_id: Id
    member_id: Id
    at: AwareDatetime
    with_code: bool


class ActivityCheckedOut(_VolunteeringEvent):
    """A member left the activity."""

    event_type: ClassVar[str] = "grassroots.volunteering.ActivityCheckedOut.v1"
    example: ClassVar[dict[str, object]] = {
        "activity_id": _A,
        "community_id": _C,
        "member_id": _M,
        "at": _AT,
    }

    activity_id: Id
    member_id: Id
    at: AwareDatetime


class ActivityNoShow(_VolunteeringEvent):
    """A confirmed member never checked in; recorded once the activity ended."""

    event_type: ClassVar[str] = "grassroots.volunteering.ActivityNoShow.v1"
    example: ClassVar[dict[str, object]] = {"activity_id": _A, "community_id": _C, "member_id": _M}

    activity_id: Id
    member_id: Id


class ActivityCompleted(_VolunteeringEvent):
    """The activity is closed with the number of residents it served."""

    event_type: ClassVar[str] = "grassroots.volunteering.ActivityCompleted.v1"
    example: ClassVar[dict[str, object]] = {
        "activity_id": _A,
        "community_id": _C,
        "residents_served": 56,
        "completed_at": _AT,
    }

    activity_id: Id
    residents_served: int = Field(ge=0)
    completed_at: AwareDatetime


class HoursCertified(_VolunteeringEvent):
    """Volunteer hours certified by whoever recorded them (谁记录谁认证)."""

    event_type: ClassVar[str] = "grassroots.volunteering.HoursCertified.v1"
    example: ClassVar[dict[str, object]] = {
        "community_id": _C,
        "member_id": _M,
        "hours": 2.5,
        "source": "activity",
        "source_id": _A,
        "certified_by": _T,
        "certifier": "team",
        "served_on": "2026-05-16",
    }

    member_id: Id
    hours: float = Field(gt=0, description="hours, to two decimals")
    source: Literal["activity", "shift"]
    source_id: Id = Field(description="the activity id, or the rota slot id")
    certified_by: Id = Field(description="the team id, or the community id")
    certifier: Certifier
    served_on: date = Field(description="the day served (China Standard Time): its month counts")


class ShiftSlot(BaseModel):
    """One shift at the service station (党群服务站)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    slot_id: Id
    area: StationArea
    starts_at: AwareDatetime
    ends_at: AwareDatetime


class ShiftSlotsOpened(_VolunteeringEvent):
    """The community opened weekend shifts; any still unheld at `gap_check_at` is a gap."""

    event_type: ClassVar[str] = "grassroots.volunteering.ShiftSlotsOpened.v1"
    example: ClassVar[dict[str, object]] = {
        "rota_id": _R,
        "community_id": _C,
        "weekend": "2026-05-09",
        "slots": [
            {
                "slot_id": _S,
                "area": "elderly_home",
                "starts_at": "2026-05-09T01:00:00Z",
                "ends_at": "2026-05-09T04:00:00Z",
            }
        ],
        "gap_check_at": "2026-05-07T10:00:00Z",
    }

    rota_id: Id
    weekend: date = Field(description="the Saturday of the weekend")
    slots: list[ShiftSlot]
    gap_check_at: AwareDatetime


class ShiftClaimed(_VolunteeringEvent):
    """A member took a shift (or staff gave it to them)."""

    event_type: ClassVar[str] = "grassroots.volunteering.ShiftClaimed.v1"
    example: ClassVar[dict[str, object]] = {
        "rota_id": _R,
        "community_id": _C,
        "slot_id": _S,
        "member_id": _M,
        "assigned": False,
    }

    rota_id: Id
    slot_id: Id
    member_id: Id
    assigned: bool


class ShiftReleased(_VolunteeringEvent):
    """A member gave a shift back before it began."""

    event_type: ClassVar[str] = "grassroots.volunteering.ShiftReleased.v1"
    example: ClassVar[dict[str, object]] = {
        "rota_id": _R,
        "community_id": _C,
        "slot_id": _S,
        "member_id": _M,
    }

    rota_id: Id
    slot_id: Id
    member_id: Id


class ShiftSwapProposed(_VolunteeringEvent):
    """A member offered to swap their shift for another member's."""

    event_type: ClassVar[str] = "grassroots.volunteering.ShiftSwapProposed.v1"
    example: ClassVar[dict[str, object]] = {
        "rota_id": _R,
        "community_id": _C,
        "slot_id": _S,
        "with_slot_id": _S2,
        "proposer_id": _M,
        "counterpart_id": _M2,
    }

    rota_id: Id
    slot_id: Id
    with_slot_id: Id
    proposer_id: Id
    counterpart_id: Id


class ShiftsSwapped(_VolunteeringEvent):
    """Both members agreed: each now holds the other's shift."""

    event_type: ClassVar[str] = "grassroots.volunteering.ShiftsSwapped.v1"
    example: ClassVar[dict[str, object]] = {
        "rota_id": _R,
        "community_id": _C,
        "slot_id": _S,
        "member_id": _M2,
        "other_slot_id": _S2,
        "other_member_id": _M,
    }

    rota_id: Id
    slot_id: Id
    member_id: Id = Field(description="who holds `slot_id` now")
    other_slot_id: Id
    other_member_id: Id = Field(description="who holds `other_slot_id` now")


class ShiftServed(_VolunteeringEvent):
    """The community recorded the shift as served."""

    event_type: ClassVar[str] = "grassroots.volunteering.ShiftServed.v1"
    example: ClassVar[dict[str, object]] = {
        "rota_id": _R,
        "community_id": _C,
        "slot_id": _S,
        "member_id": _M,
        "hours": 3.0,
    }

    rota_id: Id
    slot_id: Id
    member_id: Id
    hours: float = Field(gt=0)


class ShiftMissed(_VolunteeringEvent):
    """The member holding the shift did not come."""

    event_type: ClassVar[str] = "grassroots.volunteering.ShiftMissed.v1"
    example: ClassVar[dict[str, object]] = {
        "rota_id": _R,
        "community_id": _C,
        "slot_id": _S,
        "member_id": _M,
    }

    rota_id: Id
    slot_id: Id
    member_id: Id


class RotaGapRaised(_VolunteeringEvent):
    """A shift of the coming weekend was still unheld at the cut-off (raised once per slot)."""

    event_type: ClassVar[str] = "grassroots.volunteering.RotaGapRaised.v1"
    example: ClassVar[dict[str, object]] = {
        "rota_id": _R,
        "community_id": _C,
        "slot_id": _S,
        "area": "elderly_home",
        "starts_at": "2026-05-09T01:00:00Z",
        "raised_at": "2026-05-07T10:00:01Z",
    }

    rota_id: Id
    slot_id: Id
    area: StationArea
    starts_at: AwareDatetime
    raised_at: AwareDatetime


EVENTS: tuple[type[PublicEvent], ...] = (
    TeamRegistered,
    TeamMemberJoined,
    TeamMemberLeft,
    ServiceProjectAdded,
    ServiceProjectClaimed,
    ActivityScheduled,
    ActivitySignedUp,
    ActivitySignUpCancelled,
    WaitlistPromoted,
    ActivityCheckedIn,
    ActivityCheckedOut,
    ActivityNoShow,
    ActivityCompleted,
    HoursCertified,
    ShiftSlotsOpened,
    ShiftClaimed,
    ShiftReleased,
    ShiftSwapProposed,
    ShiftsSwapped,
    ShiftServed,
    ShiftMissed,
    RotaGapRaised,
)
