"""Volunteer hours (how they are counted, the stars they earn, the day they count for) and
what the world sees of each stored volunteering event: its public contract, never a code."""

from __future__ import annotations

import typing
from datetime import UTC, date, datetime, timedelta
from types import ModuleType

import pytest
from grassroots_contracts.events import PublicEvent
from grassroots_contracts.volunteering import events as pub
from grassroots_eventkit.domain import DomainEvent
from grassroots_eventkit.values import CHINA_STANDARD_TIME
from volunteering_service import publication
from volunteering_service.domain import activity as ac
from volunteering_service.domain import hours
from volunteering_service.domain import rota as ro
from volunteering_service.domain import team as tm

pytestmark = pytest.mark.unit

NOW = datetime(2026, 5, 9, 9, 30, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
# 07:00 on Saturday 16 May in Dong'an, still Friday 15 May in UTC
START = datetime(2026, 5, 15, 23, 0, tzinfo=UTC)
END = START + 3 * HOUR
SATURDAY = date(2026, 5, 16)

COMMUNITY = "c-chating"
TEAM = "t-clinic"
ACTIVITY, COMMUNITY_ACTIVITY = "a-1", "a-2"
ROTA = ro.rota_id(COMMUNITY, SATURDAY)
S1, S2, S3 = "s-1", "s-2", "s-3"
A, B, C, E, M1, M2, M3 = "m-a", "m-b", "m-c", "m-e", "m-1", "m-2", "m-3"
CODE = "428571"
HOSPITAL = "县人民医院"


# --- hours ------------------------------------------------------------------------------

WINDOW = (datetime(2026, 5, 16, 1, 0, tzinfo=UTC), datetime(2026, 5, 16, 4, 0, tzinfo=UTC))
W0, W1 = WINDOW


@pytest.mark.parametrize(
    ("checked_in", "checked_out", "expected"),
    [
        (W0, W1, 3.0),
        (W0 - HOUR, W1 + HOUR, 3.0),
        (W0 - HOUR, W0 + 90 * MINUTE, 1.5),
        (W0 + 30 * MINUTE, W1 + 2 * HOUR, 2.5),
        (W0 + 30 * MINUTE, W0 + 2 * HOUR, 1.5),
        (W0, W0 + 80 * MINUTE, 1.33),
        (W0, W0 + 100 * MINUTE, 1.67),
        (W0, W0 + timedelta(seconds=1), 0.0),
        (W0 + HOUR, W0 + HOUR, 0.0),
        (W0 + 2 * HOUR, W0 + HOUR, 0.0),
        (W1, W1 + HOUR, 0.0),
        (W0 - 2 * HOUR, W0 - HOUR, 0.0),
    ],
    ids=[
        "the_window",
        "early_and_late_capped",
        "early_capped",
        "late_capped",
        "inside",
        "two_decimals_down",
        "two_decimals_up",
        "a_second_rounds_to_zero",
        "zero",
        "negative",
        "after_the_end",
        "before_the_start",
    ],
)
def test_served_hours_are_the_time_inside_the_window_to_two_decimals_when_counted(
    checked_in, checked_out, expected
):
    served = hours.served_hours(checked_in, checked_out, W0, W1)
    assert served == expected
    assert served >= 0.0
    assert isinstance(served, float)


@pytest.mark.parametrize(
    ("total", "stars"),
    [
        (0, 0),
        (99.99, 0),
        (100, 1),
        (299, 1),
        (300, 2),
        (600, 3),
        (1000, 4),
        (1500, 5),
        (5000, 5),
    ],
)
def test_the_star_level_counts_the_thresholds_reached_when_hours_are_totalled(total, stars):
    assert hours.star_level(total) == stars


@pytest.mark.parametrize(
    ("at", "day"),
    [
        (datetime(2026, 5, 15, 15, 59, 59, tzinfo=UTC), date(2026, 5, 15)),
        (datetime(2026, 5, 15, 16, 0, tzinfo=UTC), date(2026, 5, 16)),
        (datetime(2026, 5, 15, 23, 0, tzinfo=UTC), date(2026, 5, 16)),
        (datetime(2026, 5, 31, 16, 30, tzinfo=UTC), date(2026, 6, 1)),
        (datetime(2026, 5, 16, 0, 0, tzinfo=CHINA_STANDARD_TIME), date(2026, 5, 16)),
        (datetime(2026, 5, 16, 23, 59, tzinfo=CHINA_STANDARD_TIME), date(2026, 5, 16)),
    ],
    ids=[
        "a_second_before_midnight",
        "midnight",
        "seven_in_the_morning",
        "next_month",
        "given_in_china_time_at_midnight",
        "given_in_china_time_before_midnight",
    ],
)
def test_the_local_day_is_the_day_in_china_time_when_the_time_is_near_midnight(at, day):
    assert hours.local_day(at) == day


# --- stories that produce every kind of stored event ------------------------------------


def _no_ids() -> str:
    raise AssertionError("the volunteering deciders never make ids")


def story(module: ModuleType, *steps) -> list[tuple[DomainEvent, object]]:
    """Each event decide produced, with the state right after it (what publication sees).
    A step is a command, or (command, when)."""
    state = None
    published: list[tuple[DomainEvent, object]] = []
    for step in steps:
        command, at = step if isinstance(step, tuple) else (step, NOW)
        for event in module.decide(state, command, now=at, new_id=_no_ids):
            state = module.evolve(state, event)
            assert state is not None
            published.append((event, state))
    return published


def team_story() -> list[tuple[DomainEvent, object]]:
    return story(
        tm,
        tm.RegisterTeam(
            team_id=TEAM,
            community_id=COMMUNITY,
            county="东安县",
            kind="partner",
            name="县人民医院义诊队",
            partner=HOSPITAL,
        ),
        tm.JoinTeam(team_id=TEAM, member_id=M1),
        tm.JoinTeam(team_id=TEAM, member_id=M2),
        tm.LeaveTeam(team_id=TEAM, member_id=M2),
        tm.AddServiceProject(team_id=TEAM, project_id="p-1", title="送医上门", skills=("护理",)),
        tm.ClaimServiceProject(team_id=TEAM, project_id="p-1", member_id=M1),
    )


def schedule(activity_id: str, team_id: str | None) -> ac.ScheduleActivity:
    return ac.ScheduleActivity(
        activity_id=activity_id,
        community_id=COMMUNITY,
        county="东安县",
        compound_id="x-1",
        team_id=team_id,
        kind="free_clinic",
        title="社区义诊",
        starts_at=START,
        ends_at=END,
        capacity=3,
    )


def activity_story() -> list[tuple[DomainEvent, object]]:
    """Organised by the team. A, B and E confirmed, C waiting; A withdraws and C takes the
    place; B checks in with the code, C at the desk; E never comes."""

    def sign_up(member_id: str) -> ac.SignUp:
        return ac.SignUp(activity_id=ACTIVITY, member_id=member_id)

    return story(
        ac,
        schedule(ACTIVITY, TEAM),
        sign_up(A),
        sign_up(B),
        sign_up(E),
        sign_up(C),
        ac.CancelSignUp(activity_id=ACTIVITY, member_id=A),
        (ac.IssueCheckInCode(activity_id=ACTIVITY, code=CODE, valid_for=HOUR), START),
        (ac.CheckIn(activity_id=ACTIVITY, member_id=B, code=CODE), START),
        (ac.CheckIn(activity_id=ACTIVITY, member_id=C), START + 30 * MINUTE),
        (ac.CheckOut(activity_id=ACTIVITY, member_id=B), END),
        (ac.CheckOut(activity_id=ACTIVITY, member_id=C), START + 2 * HOUR),
        (ac.CompleteActivity(activity_id=ACTIVITY, residents_served=56), END + HOUR),
    )


def community_activity_story() -> list[tuple[DomainEvent, object]]:
    """Organised by the community itself; no-shows recorded by the timer first."""
    return story(
        ac,
        schedule(COMMUNITY_ACTIVITY, None),
        ac.SignUp(activity_id=COMMUNITY_ACTIVITY, member_id=A),
        ac.SignUp(activity_id=COMMUNITY_ACTIVITY, member_id=B),
        (ac.CheckIn(activity_id=COMMUNITY_ACTIVITY, member_id=A), START),
        (ac.CheckOut(activity_id=COMMUNITY_ACTIVITY, member_id=A), START + 90 * MINUTE),
        (ac.RecordNoShows(activity_id=COMMUNITY_ACTIVITY), END),
        (ac.CompleteActivity(activity_id=COMMUNITY_ACTIVITY, residents_served=12), END),
    )


def cst(day: int, hour: int) -> datetime:
    return datetime(2026, 5, day, hour, 0, tzinfo=CHINA_STANDARD_TIME)


SLOTS = (
    # Saturday 07:00 in Dong'an is still Friday in UTC
    ro.SlotSpec(slot_id=S1, area="elderly_home", starts_at=cst(16, 7), ends_at=cst(16, 10)),
    ro.SlotSpec(slot_id=S2, area="reception", starts_at=cst(17, 9), ends_at=cst(17, 12)),
    ro.SlotSpec(slot_id=S3, area="youth_home", starts_at=cst(17, 14), ends_at=cst(17, 17)),
)
CUT_OFF = datetime(2026, 5, 14, 10, 0, tzinfo=UTC)


def rota_story() -> list[tuple[DomainEvent, object]]:
    """M1 and M2 swap Saturday for Sunday; M3 gives S3 back and it is raised as a gap;
    M2 serves Saturday, M1 misses Sunday."""
    return story(
        ro,
        ro.OpenShifts(
            rota_id=ROTA,
            community_id=COMMUNITY,
            county="东安县",
            weekend=SATURDAY,
            slots=SLOTS,
            gap_notice=timedelta(hours=30),
        ),
        ro.ClaimShift(rota_id=ROTA, slot_id=S1, member_id=M1),
        ro.ClaimShift(rota_id=ROTA, slot_id=S2, member_id=M2, assigned=True),
        ro.ProposeSwap(rota_id=ROTA, slot_id=S1, with_slot_id=S2, proposer_id=M1),
        ro.AcceptSwap(rota_id=ROTA, slot_id=S2, with_slot_id=S1, member_id=M2),
        ro.ClaimShift(rota_id=ROTA, slot_id=S3, member_id=M3),
        ro.ReleaseShift(rota_id=ROTA, slot_id=S3, member_id=M3),
        (ro.MarkGaps(rota_id=ROTA), CUT_OFF),
        (ro.RecordShift(rota_id=ROTA, slot_id=S1, outcome="served"), cst(16, 10)),
        (ro.RecordShift(rota_id=ROTA, slot_id=S2, outcome="missed"), cst(17, 12)),
    )


EVENTS = [*team_story(), *activity_story(), *community_activity_story(), *rota_story()]
IDS = [f"{i}-{type(e).__name__}" for i, (e, _) in enumerate(EVENTS)]

EXPECTED_PUBLIC: dict[type[DomainEvent], type[PublicEvent] | None] = {
    tm.TeamRegistered: pub.TeamRegistered,
    tm.MemberJoined: pub.TeamMemberJoined,
    tm.MemberLeft: pub.TeamMemberLeft,
    tm.ServiceProjectAdded: pub.ServiceProjectAdded,
    tm.ServiceProjectClaimed: pub.ServiceProjectClaimed,
    ac.ActivityScheduled: pub.ActivityScheduled,
    ac.SignedUp: pub.ActivitySignedUp,
    ac.SignUpCancelled: pub.ActivitySignUpCancelled,
    ac.WaitlistPromoted: pub.WaitlistPromoted,
    ac.CheckInCodeIssued: None,
    ac.CheckedIn: pub.ActivityCheckedIn,
    ac.CheckedOut: pub.ActivityCheckedOut,
    ac.NoShowRecorded: pub.ActivityNoShow,
    ac.AttendanceClosed: None,
    ac.ActivityCompleted: pub.ActivityCompleted,
    ac.HoursCertified: pub.HoursCertified,
    ro.ShiftsOpened: pub.ShiftSlotsOpened,
    ro.ShiftClaimed: pub.ShiftClaimed,
    ro.ShiftReleased: pub.ShiftReleased,
    ro.SwapProposed: pub.ShiftSwapProposed,
    ro.ShiftsSwapped: pub.ShiftsSwapped,
    ro.ShiftServed: pub.ShiftServed,
    ro.ShiftHoursCertified: pub.HoursCertified,
    ro.ShiftMissed: pub.ShiftMissed,
    ro.GapRaised: pub.RotaGapRaised,
}


def _event_classes_of(module: ModuleType) -> set[type]:
    return {
        value
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, DomainEvent) and value is not DomainEvent
    }


def _published(kind: type[DomainEvent]) -> list[PublicEvent]:
    return [publication.to_public(e, s) for e, s in EVENTS if type(e) is kind]


# --- publication ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "union"),
    [(tm, tm.TeamEvent), (ac, ac.ActivityEvent), (ro, ro.RotaEvent)],
    ids=["team", "activity", "rota"],
)
def test_every_event_class_of_a_decider_has_a_mapper_when_the_decider_stores_it(module, union):
    stored = set(typing.get_args(union))
    assert stored == _event_classes_of(module)
    assert all(module.DECIDER.event_types.knows(cls.stored_type()) for cls in stored)
    assert stored <= set(publication.MAPPERS)


def test_the_mappers_cover_exactly_the_events_of_the_three_deciders_when_listed():
    stored = (
        set(typing.get_args(tm.TeamEvent))
        | set(typing.get_args(ac.ActivityEvent))
        | set(typing.get_args(ro.RotaEvent))
    )
    assert set(publication.MAPPERS) == stored
    assert len(publication.MAPPERS) == 25


def test_every_public_event_of_the_contract_is_published_from_some_stored_event_when_mapped():
    assert set(EXPECTED_PUBLIC) == set(publication.MAPPERS)
    published = {cls for cls in EXPECTED_PUBLIC.values() if cls is not None}
    assert published == set(pub.EVENTS)
    # hours are published from two kinds of stored event (activity and shift); the code
    # and the close of attendance are not published
    assert len(published) == len(EXPECTED_PUBLIC) - 3


def test_the_stories_produce_every_kind_of_stored_event_when_played():
    assert {type(event) for event, _ in EVENTS} == set(publication.MAPPERS)


def test_a_check_in_code_maps_to_nothing_when_published():
    assert publication.MAPPERS[ac.CheckInCodeIssued] is None
    [published] = _published(ac.CheckInCodeIssued)
    assert published is None


@pytest.mark.parametrize(("event", "state"), EVENTS, ids=IDS)
def test_a_public_event_validates_against_its_contract_when_published(event, state):
    public = publication.to_public(event, state)
    expected = EXPECTED_PUBLIC[type(event)]
    if expected is None:
        assert public is None
        return
    assert type(public) is expected
    assert type(public).model_validate_json(public.model_dump_json()) == public
    assert type(public).model_validate(public.model_dump(mode="json")) == public
    assert public.community_id == COMMUNITY == state.community_id
    for key in ("team_id", "activity_id", "rota_id", "member_id", "slot_id"):
        if key in type(event).model_fields and key in type(public).model_fields:
            assert getattr(public, key) == getattr(event, key), key


@pytest.mark.parametrize(("event", "state"), EVENTS, ids=IDS)
def test_a_public_event_never_carries_the_check_in_code_when_published(event, state):
    public = publication.to_public(event, state)
    if public is not None:
        assert CODE not in public.model_dump_json()


def test_the_stored_events_do_hold_the_check_in_code_when_the_check_is_meaningful():
    [issued] = [e for e, _ in EVENTS if isinstance(e, ac.CheckInCodeIssued)]
    assert CODE in issued.model_dump_json()


def test_hours_of_a_team_activity_are_certified_by_the_team_on_the_china_day_when_published():
    assert _published(ac.HoursCertified)[:2] == [
        pub.HoursCertified(
            community_id=COMMUNITY,
            member_id=B,
            hours=3.0,
            source="activity",
            source_id=ACTIVITY,
            certified_by=TEAM,
            certifier="team",
            served_on=SATURDAY,  # checked in on Friday 23:00 UTC, Saturday 07:00 in Dong'an
        ),
        pub.HoursCertified(
            community_id=COMMUNITY,
            member_id=C,
            hours=1.5,
            source="activity",
            source_id=ACTIVITY,
            certified_by=TEAM,
            certifier="team",
            served_on=SATURDAY,
        ),
    ]


def test_hours_of_a_community_activity_are_certified_by_the_community_when_published():
    assert _published(ac.HoursCertified)[2:] == [
        pub.HoursCertified(
            community_id=COMMUNITY,
            member_id=A,
            hours=1.5,
            source="activity",
            source_id=COMMUNITY_ACTIVITY,
            certified_by=COMMUNITY,
            certifier="community",
            served_on=SATURDAY,
        )
    ]


def test_hours_of_a_shift_are_certified_by_the_community_for_the_slot_when_published():
    # after the swap M2 holds Saturday's S1, which starts on Friday 23:00 UTC
    assert _published(ro.ShiftHoursCertified) == [
        pub.HoursCertified(
            community_id=COMMUNITY,
            member_id=M2,
            hours=3.0,
            source="shift",
            source_id=S1,
            certified_by=COMMUNITY,
            certifier="community",
            served_on=SATURDAY,
        )
    ]


def test_a_partner_team_is_published_with_its_organisation_when_registered():
    [registered] = _published(tm.TeamRegistered)
    assert registered == pub.TeamRegistered(
        team_id=TEAM,
        community_id=COMMUNITY,
        kind="partner",
        name="县人民医院义诊队",
        partner=HOSPITAL,
        registered_at=NOW,
    )


def test_sign_ups_are_published_with_their_status_and_waitlist_position_when_mapped():
    signed = [(p.member_id, p.status, p.waitlist_position) for p in _published(ac.SignedUp)]
    assert signed[:4] == [
        (A, "confirmed", None),
        (B, "confirmed", None),
        (E, "confirmed", None),
        (C, "waitlisted", 1),
    ]
    assert [p.member_id for p in _published(ac.WaitlistPromoted)] == [C]


def test_opened_shifts_are_published_with_their_slots_and_cut_off_when_mapped():
    [opened] = _published(ro.ShiftsOpened)
    assert opened.slots == [pub.ShiftSlot(**s.model_dump()) for s in SLOTS]
    assert (opened.weekend, opened.gap_check_at) == (SATURDAY, CUT_OFF)


def test_a_gap_is_published_with_the_area_and_start_of_its_shift_when_mapped():
    assert _published(ro.GapRaised) == [
        pub.RotaGapRaised(
            rota_id=ROTA,
            community_id=COMMUNITY,
            slot_id=S3,
            area="youth_home",
            starts_at=cst(17, 14),
            raised_at=CUT_OFF,
        )
    ]


def test_a_swap_is_published_with_who_holds_which_shift_now_when_mapped():
    assert _published(ro.ShiftsSwapped) == [
        pub.ShiftsSwapped(
            rota_id=ROTA,
            community_id=COMMUNITY,
            slot_id=S2,
            member_id=M1,
            other_slot_id=S1,
            other_member_id=M2,
        )
    ]


def test_a_completion_and_its_no_shows_are_published_with_counts_and_times_when_mapped():
    assert [p.member_id for p in _published(ac.NoShowRecorded)] == [E, B]
    completed = _published(ac.ActivityCompleted)
    assert [(p.activity_id, p.residents_served, p.completed_at) for p in completed] == [
        (ACTIVITY, 56, END + HOUR),
        (COMMUNITY_ACTIVITY, 12, END),
    ]
