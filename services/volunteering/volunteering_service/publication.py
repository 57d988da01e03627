"""What the world sees of each stored event: its public counterpart, or nothing.

Check-in codes stay in the store (`CheckInCodeIssued` has no public event); everything
else is ids, kinds, times, counts and hours.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from grassroots_contracts.events import PublicEvent
from grassroots_contracts.volunteering import events as pub
from grassroots_eventkit.domain import DomainEvent

from volunteering_service.domain import activity, rota, team
from volunteering_service.domain.hours import local_day

Mapper = Callable[[Any, Any], PublicEvent | None]


def _team_registered(e: team.TeamRegistered, s: team.Team) -> PublicEvent:
    return pub.TeamRegistered(
        team_id=e.team_id,
        community_id=e.community_id,
        kind=e.kind,
        name=e.name,
        partner=e.partner,
        registered_at=e.at,
    )


def _joined(e: team.MemberJoined, s: team.Team) -> PublicEvent:
    return pub.TeamMemberJoined(
        team_id=e.team_id, community_id=s.community_id, member_id=e.member_id, joined_at=e.at
    )


def _left(e: team.MemberLeft, s: team.Team) -> PublicEvent:
    return pub.TeamMemberLeft(
        team_id=e.team_id, community_id=s.community_id, member_id=e.member_id, left_at=e.at
    )


def _project(e: team.ServiceProjectAdded, s: team.Team) -> PublicEvent:
    return pub.ServiceProjectAdded(
        team_id=e.team_id,
        community_id=s.community_id,
        project_id=e.project_id,
        title=e.title,
        skills=list(e.skills),
    )


def _project_claimed(e: team.ServiceProjectClaimed, s: team.Team) -> PublicEvent:
    return pub.ServiceProjectClaimed(
        team_id=e.team_id,
        community_id=s.community_id,
        project_id=e.project_id,
        member_id=e.member_id,
        claimed_at=e.at,
    )


def _scheduled(e: activity.ActivityScheduled, s: activity.Activity) -> PublicEvent:
    return pub.ActivityScheduled(
        activity_id=e.activity_id,
        community_id=e.community_id,
        compound_id=e.compound_id,
        team_id=e.team_id,
        kind=e.kind,
        title=e.title,
        starts_at=e.starts_at,
        ends_at=e.ends_at,
        capacity=e.capacity,
        attendance_closes_at=e.attendance_closes_at,
    )


def _signed_up(e: activity.SignedUp, s: activity.Activity) -> PublicEvent:
    return pub.ActivitySignedUp(
        activity_id=e.activity_id,
        community_id=s.community_id,
        member_id=e.member_id,
        status=e.status,
        waitlist_position=e.waitlist_position,
    )


def _cancelled(e: activity.SignUpCancelled, s: activity.Activity) -> PublicEvent:
    return pub.ActivitySignUpCancelled(
        activity_id=e.activity_id, community_id=s.community_id, member_id=e.member_id, was=e.was
    )


def _promoted(e: activity.WaitlistPromoted, s: activity.Activity) -> PublicEvent:
    return pub.WaitlistPromoted(
        activity_id=e.activity_id, community_id=s.community_id, member_id=e.member_id
    )


def _checked_in(e: activity.CheckedIn, s: activity.Activity) -> PublicEvent:
    return pub.ActivityCheckedIn(
        activity_id=e.activity_id,
        community_id=s.community_id,
        member_id=e.member_id,
        at=e.at,
        with_code=e.with_code,
    )


def _checked_out(e: activity.CheckedOut, s: activity.Activity) -> PublicEvent:
    return pub.ActivityCheckedOut(
        activity_id=e.activity_id, community_id=s.community_id, member_id=e.member_id, at=e.at
    )


def _no_show(e: activity.NoShowRecorded, s: activity.Activity) -> PublicEvent:
    return pub.ActivityNoShow(
        activity_id=e.activity_id, community_id=s.community_id, member_id=e.member_id
    )


def _completed(e: activity.ActivityCompleted, s: activity.Activity) -> PublicEvent:
    return pub.ActivityCompleted(
        activity_id=e.activity_id,
        community_id=s.community_id,
        residents_served=e.residents_served,
        completed_at=e.at,
    )


def _activity_hours(e: activity.HoursCertified, s: activity.Activity) -> PublicEvent:
    return pub.HoursCertified(
        community_id=s.community_id,
        member_id=e.member_id,
        hours=e.hours,
        source="activity",
        source_id=e.activity_id,
        certified_by=e.certified_by,
        certifier=e.certifier,
        served_on=local_day(e.served_at),
    )


def _opened(e: rota.ShiftsOpened, s: rota.Rota) -> PublicEvent:
    return pub.ShiftSlotsOpened(
        rota_id=e.rota_id,
        community_id=e.community_id,
        weekend=e.weekend,
        slots=[pub.ShiftSlot(**slot.model_dump()) for slot in e.slots],
        gap_check_at=e.gap_check_at,
    )


def _shift_claimed(e: rota.ShiftClaimed, s: rota.Rota) -> PublicEvent:
    return pub.ShiftClaimed(
        rota_id=e.rota_id,
        community_id=s.community_id,
        slot_id=e.slot_id,
        member_id=e.member_id,
        assigned=e.assigned,
    )


def _released(e: rota.ShiftReleased, s: rota.Rota) -> PublicEvent:
    return pub.ShiftReleased(
        rota_id=e.rota_id, community_id=s.community_id, slot_id=e.slot_id, member_id=e.member_id
    )


def _proposed(e: rota.SwapProposed, s: rota.Rota) -> PublicEvent:
    return pub.ShiftSwapProposed(
        rota_id=e.rota_id,
        community_id=s.community_id,
        slot_id=e.slot_id,
        with_slot_id=e.with_slot_id,
        proposer_id=e.proposer_id,
        counterpart_id=e.counterpart_id,
    )


def _swapped(e: rota.ShiftsSwapped, s: rota.Rota) -> PublicEvent:
    return pub.ShiftsSwapped(
        rota_id=e.rota_id,
        community_id=s.community_id,
        slot_id=e.slot_id,
        member_id=e.member_id,
        other_slot_id=e.other_slot_id,
        other_member_id=e.other_member_id,
    )


def _served(e: rota.ShiftServed, s: rota.Rota) -> PublicEvent:
    return pub.ShiftServed(
        rota_id=e.rota_id,
        community_id=s.community_id,
        slot_id=e.slot_id,
        member_id=e.member_id,
        hours=e.hours,
    )


def _shift_hours(e: rota.ShiftHoursCertified, s: rota.Rota) -> PublicEvent:
    return pub.HoursCertified(
        community_id=s.community_id,
        member_id=e.member_id,
        hours=e.hours,
        source="shift",
        source_id=e.slot_id,
        certified_by=s.community_id,
        certifier="community",
        served_on=local_day(e.served_at),
    )


def _missed(e: rota.ShiftMissed, s: rota.Rota) -> PublicEvent:
    return pub.ShiftMissed(
        rota_id=e.rota_id, community_id=s.community_id, slot_id=e.slot_id, member_id=e.member_id
    )


def _gap(e: rota.GapRaised, s: rota.Rota) -> PublicEvent:
    slot = s.slots[e.slot_id]
    return pub.RotaGapRaised(
        rota_id=e.rota_id,
        community_id=s.community_id,
        slot_id=e.slot_id,
        area=slot.area,
        starts_at=slot.starts_at,
        raised_at=e.at,
    )


MAPPERS: dict[type[DomainEvent], Mapper | None] = {
    team.TeamRegistered: _team_registered,
    team.MemberJoined: _joined,
    team.MemberLeft: _left,
    team.ServiceProjectAdded: _project,
    team.ServiceProjectClaimed: _project_claimed,
    activity.ActivityScheduled: _scheduled,
    activity.SignedUp: _signed_up,
    activity.SignUpCancelled: _cancelled,
    activity.WaitlistPromoted: _promoted,
    activity.CheckInCodeIssued: None,  # the code is shown at the venue, never published
    activity.CheckedIn: _checked_in,
    activity.CheckedOut: _checked_out,
    activity.NoShowRecorded: _no_show,
    activity.AttendanceClosed: None,  # the no-shows it records are published one by one
    activity.ActivityCompleted: _completed,
    activity.HoursCertified: _activity_hours,
    rota.ShiftsOpened: _opened,
    rota.ShiftClaimed: _shift_claimed,
    rota.ShiftReleased: _released,
    rota.SwapProposed: _proposed,
    rota.ShiftsSwapped: _swapped,
    rota.ShiftServed: _served,
    rota.ShiftHoursCertified: _shift_hours,
    rota.ShiftMissed: _missed,
    rota.GapRaised: _gap,
}


def to_public(event: DomainEvent, state_after: Any) -> PublicEvent | None:
    mapper = MAPPERS[type(event)]
    return mapper(event, state_after) if mapper else None
