"""The activity aggregate: scheduling, sign-ups with a waitlist, check-in and check-out,
no-shows and completion with certified hours; every rule, on the pure domain.

States are built by folding the events `decide` produced, so `evolve` is exercised too.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import hypothesis
import pytest
from grassroots_eventkit.domain import CommandRejected, InvalidValue, NotFound
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from volunteering_service.domain import activity as ac

from tests.support.story import Story

pytestmark = pytest.mark.unit

NOW = datetime(2026, 5, 9, 9, 30, tzinfo=UTC)
SECOND = timedelta(seconds=1)
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
START = datetime(2026, 5, 16, 1, 0, tzinfo=UTC)  # 09:00 in Dong'an
END = START + 3 * HOUR
DURING = START + 30 * MINUTE
AFTER = END + HOUR
CLOSES = END + ac.ATTENDANCE_GRACE  # scheduled before the end: attendance closes then

ACTIVITY = "a-1"
COMMUNITY = "c-chating"
TEAM = "t-caring"
A, B, C, D, E = "m-a", "m-b", "m-c", "m-d", "m-e"
STRANGER = "m-stranger"
CODE = "428571"


story = Story(ac.DECIDER, NOW)
decide, fold, given, state_of, refusal = story.helpers()


# --- commands ---------------------------------------------------------------------------


def schedule(
    *,
    capacity: int = 2,
    team_id: str | None = TEAM,
    starts_at: datetime = START,
    ends_at: datetime = END,
) -> ac.ScheduleActivity:
    return ac.ScheduleActivity(
        activity_id=ACTIVITY,
        community_id=COMMUNITY,
        county="东安县",
        compound_id="x-1",
        team_id=team_id,
        kind="free_clinic",
        title="社区义诊",
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
    )


def sign_up(member_id: str, *, by_staff: bool = False) -> ac.SignUp:
    return ac.SignUp(activity_id=ACTIVITY, member_id=member_id, recorded_by_staff=by_staff)


def cancel(member_id: str) -> ac.CancelSignUp:
    return ac.CancelSignUp(activity_id=ACTIVITY, member_id=member_id)


def issue(code: str = CODE, valid_for: timedelta = 30 * MINUTE) -> ac.IssueCheckInCode:
    return ac.IssueCheckInCode(activity_id=ACTIVITY, code=code, valid_for=valid_for)


def check_in(member_id: str, *, code: str | None = None, at: datetime | None = None) -> ac.CheckIn:
    return ac.CheckIn(activity_id=ACTIVITY, member_id=member_id, code=code, at=at)


def check_out(member_id: str, *, at: datetime | None = None) -> ac.CheckOut:
    return ac.CheckOut(activity_id=ACTIVITY, member_id=member_id, at=at)


def no_shows() -> ac.RecordNoShows:
    return ac.RecordNoShows(activity_id=ACTIVITY)


def complete(residents_served: int = 56) -> ac.CompleteActivity:
    return ac.CompleteActivity(activity_id=ACTIVITY, residents_served=residents_served)


def signed_up(member_id: str, status: str, position: int | None = None) -> ac.SignedUp:
    return ac.SignedUp(
        activity_id=ACTIVITY, member_id=member_id, status=status, waitlist_position=position
    )


def cancelled(member_id: str, was: str) -> ac.SignUpCancelled:
    return ac.SignUpCancelled(activity_id=ACTIVITY, member_id=member_id, was=was)


def promoted(member_id: str) -> ac.WaitlistPromoted:
    return ac.WaitlistPromoted(activity_id=ACTIVITY, member_id=member_id)


# Stories most tests start from. Capacity 2: A and B confirmed, C, D and E waiting.
SCHEDULED = (schedule(),)
FULL = (*SCHEDULED, sign_up(A), sign_up(B), sign_up(C), sign_up(D), sign_up(E))
A_IN = (*SCHEDULED, sign_up(A), sign_up(B), (check_in(A), DURING))
CODE_SHOWN = (*SCHEDULED, sign_up(A), sign_up(B), sign_up(C), (issue(), START))
COMPLETED = (*A_IN, (complete(), AFTER))


# --- schedule ---------------------------------------------------------------------------


def test_scheduling_records_the_activity_with_its_window_and_capacity_when_new():
    [scheduled] = decide(None, schedule(capacity=20))
    assert scheduled == ac.ActivityScheduled(
        activity_id=ACTIVITY,
        community_id=COMMUNITY,
        county="东安县",
        compound_id="x-1",
        team_id=TEAM,
        kind="free_clinic",
        title="社区义诊",
        starts_at=START,
        ends_at=END,
        capacity=20,
        attendance_closes_at=CLOSES,
    )
    state = fold([scheduled])
    assert (state.community_id, state.team_id, state.capacity) == (COMMUNITY, TEAM, 20)
    assert (state.starts_at, state.ends_at) == (START, END)
    assert (state.confirmed, state.waitlist, state.checked_in, state.checked_out) == (
        (),
        (),
        {},
        {},
    )
    assert (state.code, state.attendance_closed, state.completed) == (None, False, False)


def test_attendance_of_an_activity_scheduled_after_the_fact_closes_a_grace_after_scheduling():
    late = END + 3 * HOUR
    [scheduled] = decide(None, schedule(), late)
    assert scheduled.attendance_closes_at == late + ac.ATTENDANCE_GRACE


@pytest.mark.parametrize("ends_at", [START, START - SECOND], ids=["equal", "before"])
def test_scheduling_is_refused_with_ends_before_start_when_the_end_is_not_after_the_start(
    ends_at,
):
    assert refusal(None, schedule(ends_at=ends_at)) == (InvalidValue, "ends_before_start")


def test_scheduling_is_refused_with_window_too_long_when_it_lasts_over_24_hours():
    too_long = schedule(ends_at=START + timedelta(hours=24) + SECOND)
    assert refusal(None, too_long) == (InvalidValue, "window_too_long")


def test_scheduling_is_accepted_when_it_lasts_exactly_24_hours():
    [scheduled] = decide(None, schedule(ends_at=START + timedelta(hours=24)))
    assert scheduled.ends_at - scheduled.starts_at == timedelta(hours=24)


def test_scheduling_is_refused_with_activity_exists_when_scheduled_twice():
    assert refusal(state_of(*SCHEDULED), schedule()) == (CommandRejected, "activity_exists")


@pytest.mark.parametrize(
    "command",
    [sign_up(A), cancel(A), issue(), check_in(A), check_out(A), no_shows(), complete()],
    ids=lambda c: type(c).__name__,
)
def test_a_command_is_refused_with_activity_not_found_when_nothing_was_scheduled(command):
    assert refusal(None, command) == (NotFound, "activity_not_found")


# --- sign up ----------------------------------------------------------------------------


def test_sign_ups_are_confirmed_until_capacity_then_waitlisted_in_order_when_members_sign_up():
    events = given(*FULL)
    assert events[1:] == [
        signed_up(A, "confirmed"),
        signed_up(B, "confirmed"),
        signed_up(C, "waitlisted", 1),
        signed_up(D, "waitlisted", 2),
        signed_up(E, "waitlisted", 3),
    ]
    state = fold(events)
    assert (state.confirmed, state.waitlist) == ((A, B), (C, D, E))


@pytest.mark.parametrize("member_id", [A, D], ids=["confirmed", "waitlisted"])
def test_a_sign_up_is_refused_with_already_signed_up_when_the_member_signed_up_before(member_id):
    assert refusal(state_of(*FULL), sign_up(member_id)) == (CommandRejected, "already_signed_up")


def test_a_sign_up_is_accepted_when_made_a_second_before_the_end():
    [event] = decide(state_of(*SCHEDULED), sign_up(A), END - SECOND)
    assert event == signed_up(A, "confirmed")


@pytest.mark.parametrize("at", [END, AFTER], ids=["at_end", "after_end"])
def test_a_sign_up_is_refused_with_activity_ended_when_a_member_signs_up_after_the_end(at):
    assert refusal(state_of(*SCHEDULED), sign_up(A), at) == (CommandRejected, "activity_ended")


def test_a_sign_up_is_accepted_after_the_end_when_recorded_by_staff_from_a_paper_sheet():
    [event] = decide(state_of(*SCHEDULED), sign_up(A, by_staff=True), AFTER)
    assert event == signed_up(A, "confirmed")


def test_a_staff_sign_up_after_the_end_is_waitlisted_when_the_activity_is_full():
    [event] = decide(state_of(*FULL), sign_up(STRANGER, by_staff=True), AFTER)
    assert event == signed_up(STRANGER, "waitlisted", 4)


@pytest.mark.parametrize("by_staff", [False, True], ids=["member", "staff"])
def test_a_sign_up_is_refused_with_activity_completed_when_the_activity_is_completed(by_staff):
    assert refusal(state_of(*COMPLETED), sign_up(C, by_staff=by_staff), AFTER) == (
        CommandRejected,
        "activity_completed",
    )


# --- cancel -----------------------------------------------------------------------------


def test_a_cancellation_is_refused_with_not_signed_up_when_the_member_never_signed_up():
    assert refusal(state_of(*FULL), cancel(STRANGER)) == (CommandRejected, "not_signed_up")


def test_a_cancellation_is_refused_with_not_signed_up_when_the_member_already_cancelled():
    state = state_of(*FULL, cancel(D))
    assert refusal(state, cancel(D)) == (CommandRejected, "not_signed_up")


def test_a_confirmed_cancellation_frees_the_place_when_nobody_waits():
    steps = (*SCHEDULED, sign_up(A), sign_up(B))
    assert decide(state_of(*steps), cancel(A)) == [cancelled(A, "confirmed")]
    state = state_of(*steps, cancel(A))
    assert (state.confirmed, state.waitlist) == ((B,), ())
    assert decide(state, sign_up(C)) == [signed_up(C, "confirmed")]


def test_a_confirmed_cancellation_promotes_the_first_on_the_waitlist_when_members_wait():
    assert decide(state_of(*FULL), cancel(A)) == [cancelled(A, "confirmed"), promoted(C)]
    state = state_of(*FULL, cancel(A))
    assert (state.confirmed, state.waitlist) == ((B, C), (D, E))


def test_the_waitlist_is_promoted_in_order_when_several_confirmed_members_cancel():
    events = given(*FULL, cancel(A), cancel(B), cancel(C))
    assert [e.member_id for e in events if isinstance(e, ac.WaitlistPromoted)] == [C, D, E]
    state = fold(events)
    assert (state.confirmed, state.waitlist) == ((D, E), ())


def test_a_waitlisted_cancellation_promotes_nobody_and_keeps_the_order_when_a_waiter_leaves():
    assert decide(state_of(*FULL), cancel(D)) == [cancelled(D, "waitlisted")]
    state = state_of(*FULL, cancel(D))
    assert (state.confirmed, state.waitlist) == ((A, B), (C, E))
    # the next freed places still go first-come first-served, skipping the one who left
    events = given(*FULL, cancel(D), cancel(A), cancel(B))
    assert [e.member_id for e in events if isinstance(e, ac.WaitlistPromoted)] == [C, E]


def test_a_new_waiter_queues_at_the_end_when_someone_left_the_waitlist():
    [event] = decide(state_of(*FULL, cancel(D)), sign_up(STRANGER))
    assert event == signed_up(STRANGER, "waitlisted", 3)
    state = state_of(*FULL, cancel(D), sign_up(STRANGER))
    assert state.waitlist == (C, E, STRANGER)


def test_a_cancellation_is_refused_with_already_checked_in_when_the_member_came():
    assert refusal(state_of(*A_IN), cancel(A), DURING) == (CommandRejected, "already_checked_in")


def test_a_cancellation_is_refused_with_activity_ended_when_made_after_the_end():
    assert refusal(state_of(*FULL), cancel(A), END) == (CommandRejected, "activity_ended")


def test_a_cancellation_is_refused_with_activity_completed_when_the_activity_is_completed():
    assert refusal(state_of(*COMPLETED), cancel(B), AFTER) == (
        CommandRejected,
        "activity_completed",
    )


# --- check-in codes and check-in ------------------------------------------------------------


def test_a_code_is_valid_for_the_time_given_when_issued_well_before_the_end():
    [issued] = decide(state_of(*SCHEDULED), issue(valid_for=30 * MINUTE), START)
    assert issued == ac.CheckInCodeIssued(
        activity_id=ACTIVITY, code=CODE, valid_until=START + 30 * MINUTE
    )
    state = fold([*given(*SCHEDULED), issued])
    assert (state.code, state.code_valid_until) == (CODE, START + 30 * MINUTE)


def test_a_code_is_valid_until_the_end_at_most_when_issued_near_the_end():
    [issued] = decide(state_of(*SCHEDULED), issue(valid_for=HOUR), END - 10 * MINUTE)
    assert issued.valid_until == END


def test_a_code_check_in_is_recorded_at_now_when_the_member_gives_the_venues_code():
    at = START + 5 * MINUTE
    # whatever `at` the member's app sends, arriving with the code means arriving now
    command = check_in(A, code=CODE, at=START - 10 * MINUTE)
    assert decide(state_of(*CODE_SHOWN), command, at) == [
        ac.CheckedIn(activity_id=ACTIVITY, member_id=A, at=at, with_code=True)
    ]
    assert state_of(*CODE_SHOWN, (command, at)).checked_in == {A: at}


def test_a_code_check_in_is_accepted_when_made_at_the_last_moment_of_the_codes_validity():
    at = START + 30 * MINUTE
    [event] = decide(state_of(*CODE_SHOWN), check_in(A, code=CODE), at)
    assert (event.at, event.with_code) == (at, True)


@pytest.mark.parametrize(
    ("steps", "code", "at"),
    [
        (CODE_SHOWN, "000000", START + MINUTE),
        (CODE_SHOWN, CODE, START + 30 * MINUTE + SECOND),
        ((*SCHEDULED, sign_up(A)), CODE, START + MINUTE),
        ((*CODE_SHOWN, (issue("135790"), START + 10 * MINUTE)), CODE, START + 11 * MINUTE),
    ],
    ids=["wrong_code", "expired_code", "no_code_issued", "replaced_code"],
)
def test_a_code_check_in_is_refused_with_wrong_code_when_the_code_is_not_the_current_one(
    steps, code, at
):
    assert refusal(state_of(*steps), check_in(A, code=code), at) == (CommandRejected, "wrong_code")


def test_a_staff_check_in_is_recorded_at_now_without_a_code_when_no_time_is_given():
    assert decide(state_of(*SCHEDULED, sign_up(A)), check_in(A), DURING) == [
        ac.CheckedIn(activity_id=ACTIVITY, member_id=A, at=DURING, with_code=False)
    ]


def test_a_staff_check_in_is_recorded_at_the_time_given_when_taken_from_a_paper_sheet():
    [event] = decide(state_of(*SCHEDULED, sign_up(A)), check_in(A, at=DURING), AFTER)
    assert (event.at, event.with_code) == (DURING, False)


def test_a_staff_check_in_is_refused_with_in_the_future_when_its_time_is_after_now():
    state = state_of(*SCHEDULED, sign_up(A))
    assert refusal(state, check_in(A, at=DURING + SECOND), DURING) == (
        InvalidValue,
        "in_the_future",
    )


@pytest.mark.parametrize(
    "at",
    [START - ac.EARLY_CHECK_IN - SECOND, END + SECOND],
    ids=["over_an_hour_early", "after_the_end"],
)
def test_a_check_in_is_refused_with_outside_window_when_outside_the_activitys_window(at):
    state = state_of(*SCHEDULED, sign_up(A))
    assert refusal(state, check_in(A, at=at), AFTER) == (CommandRejected, "outside_window")


def test_a_code_check_in_is_refused_with_outside_window_when_made_over_an_hour_early():
    steps = (*SCHEDULED, sign_up(A), (issue(valid_for=3 * HOUR), START - 2 * HOUR))
    at = START - ac.EARLY_CHECK_IN - SECOND
    assert refusal(state_of(*steps), check_in(A, code=CODE), at) == (
        CommandRejected,
        "outside_window",
    )


@pytest.mark.parametrize("at", [START - ac.EARLY_CHECK_IN, END], ids=["an_hour_early", "at_end"])
def test_a_check_in_is_accepted_when_at_the_edges_of_the_window(at):
    [event] = decide(state_of(*SCHEDULED, sign_up(A)), check_in(A, at=at), AFTER)
    assert event.at == at


@pytest.mark.parametrize("member_id", [C, STRANGER], ids=["waitlisted", "not_signed_up"])
def test_a_check_in_is_refused_with_not_confirmed_when_the_member_has_no_confirmed_place(
    member_id,
):
    assert refusal(state_of(*FULL), check_in(member_id), DURING) == (
        CommandRejected,
        "not_confirmed",
    )


@pytest.mark.parametrize(
    "command", [check_in(A), check_in(A, at=START)], ids=["now", "another_time"]
)
def test_a_check_in_records_nothing_when_the_member_is_already_checked_in(command):
    state = state_of(*A_IN)
    assert decide(state, command, DURING + HOUR) == []
    assert state.checked_in == {A: DURING}


def test_a_check_in_of_a_promoted_member_is_accepted_when_a_place_was_freed():
    [event] = decide(state_of(*FULL, cancel(A)), check_in(C), DURING)
    assert event.member_id == C


def test_a_check_in_is_refused_with_activity_completed_when_the_activity_is_completed():
    assert refusal(state_of(*COMPLETED), check_in(B, at=DURING), AFTER) == (
        CommandRejected,
        "activity_completed",
    )


def test_a_code_is_refused_with_activity_completed_when_issued_after_completion():
    assert refusal(state_of(*COMPLETED), issue(), AFTER) == (CommandRejected, "activity_completed")


# --- check-out --------------------------------------------------------------------------


@pytest.mark.parametrize("member_id", [B, STRANGER], ids=["confirmed", "not_signed_up"])
def test_a_check_out_is_refused_with_not_checked_in_when_the_member_never_checked_in(member_id):
    assert refusal(state_of(*A_IN), check_out(member_id), DURING) == (
        CommandRejected,
        "not_checked_in",
    )


def test_a_check_out_is_recorded_at_now_when_no_time_is_given():
    at = DURING + HOUR
    assert decide(state_of(*A_IN), check_out(A), at) == [
        ac.CheckedOut(activity_id=ACTIVITY, member_id=A, at=at)
    ]
    assert state_of(*A_IN, (check_out(A), at)).checked_out == {A: at}


def test_a_check_out_is_recorded_at_the_time_given_when_staff_give_it():
    [event] = decide(state_of(*A_IN), check_out(A, at=END + 30 * MINUTE), AFTER)
    assert event.at == END + 30 * MINUTE


def test_a_check_out_is_accepted_when_at_the_moment_of_the_check_in():
    [event] = decide(state_of(*A_IN), check_out(A, at=DURING), AFTER)
    assert event.at == DURING


def test_a_check_out_is_refused_with_check_out_before_check_in_when_earlier_than_the_check_in():
    assert refusal(state_of(*A_IN), check_out(A, at=DURING - SECOND), AFTER) == (
        CommandRejected,
        "check_out_before_check_in",
    )


def test_a_check_out_is_refused_with_in_the_future_when_its_time_is_after_now():
    at = DURING + HOUR
    assert refusal(state_of(*A_IN), check_out(A, at=at + SECOND), at) == (
        InvalidValue,
        "in_the_future",
    )


def test_a_check_out_records_nothing_when_the_member_already_checked_out():
    left = DURING + HOUR
    state = state_of(*A_IN, (check_out(A), left))
    assert decide(state, check_out(A), left + HOUR) == []
    assert state.checked_out == {A: left}


def test_a_check_out_is_refused_with_activity_completed_when_the_activity_is_completed():
    assert refusal(state_of(*COMPLETED), check_out(A, at=END), AFTER) == (
        CommandRejected,
        "activity_completed",
    )


# --- no-shows ---------------------------------------------------------------------------

# Capacity 3: A, B and C confirmed, D and E waiting; C withdraws and D takes the place;
# only A comes.
ATTENDANCE = (
    schedule(capacity=3),
    sign_up(A),
    sign_up(B),
    sign_up(C),
    sign_up(D),
    sign_up(E),
    cancel(C),
    (check_in(A), DURING),
)


@pytest.mark.parametrize(
    "at",
    [NOW, DURING, END, CLOSES - SECOND],
    ids=["before", "during", "at_the_end", "just_before_attendance_closes"],
)
def test_no_shows_are_not_recorded_when_attendance_has_not_closed(at):
    state = state_of(*ATTENDANCE)
    assert decide(state, no_shows(), at) == []
    assert state.attendance_closed is False


def test_no_shows_are_the_confirmed_members_who_never_checked_in_when_attendance_closes():
    state = state_of(*ATTENDANCE)
    assert (state.confirmed, state.waitlist) == ((A, B, D), (E,))
    assert decide(state, no_shows(), CLOSES) == [
        ac.NoShowRecorded(activity_id=ACTIVITY, member_id=B),
        ac.NoShowRecorded(activity_id=ACTIVITY, member_id=D),
        ac.AttendanceClosed(activity_id=ACTIVITY, at=CLOSES),
    ]
    assert state_of(*ATTENDANCE, (no_shows(), CLOSES)).attendance_closed is True


def test_no_shows_are_recorded_once_when_asked_again():
    state = state_of(*ATTENDANCE, (no_shows(), CLOSES))
    assert decide(state, no_shows(), CLOSES + HOUR) == []


@pytest.mark.parametrize(
    "command", [sign_up(E, by_staff=True), check_in(B, at=DURING), check_out(A)]
)
def test_attendance_is_refused_with_attendance_closed_once_no_shows_are_recorded(command):
    state = state_of(*ATTENDANCE, (no_shows(), CLOSES))
    assert refusal(state, command, CLOSES + HOUR) == (CommandRejected, "attendance_closed")


def test_no_shows_record_nothing_when_the_activity_is_completed():
    assert decide(state_of(*COMPLETED), no_shows(), AFTER + HOUR) == []


# --- complete ---------------------------------------------------------------------------


def attended(team_id: str | None = TEAM) -> tuple:
    """Capacity 4: A comes early and stays late, B comes late and leaves early, C never
    checks out and D never comes."""
    return (
        schedule(capacity=4, team_id=team_id),
        sign_up(A),
        sign_up(B),
        sign_up(C),
        sign_up(D),
        (check_in(A, at=START - 30 * MINUTE), START - 30 * MINUTE),
        (check_in(B), START + 30 * MINUTE),
        (check_in(C), START + 45 * MINUTE),
        (check_out(B), START + 2 * HOUR),
        (check_out(A, at=END + 30 * MINUTE), AFTER),
    )


def hours(member_id: str, amount: float, certified_by: str, certifier: str, served_at):
    return ac.HoursCertified(
        activity_id=ACTIVITY,
        member_id=member_id,
        hours=amount,
        certified_by=certified_by,
        certifier=certifier,
        served_at=served_at,
    )


@pytest.mark.parametrize("at", [START, END - SECOND], ids=["at_start", "just_before_end"])
def test_completion_is_refused_with_activity_not_ended_when_the_activity_has_not_ended(at):
    assert refusal(state_of(*attended()), complete(), at) == (
        CommandRejected,
        "activity_not_ended",
    )


def test_completion_records_no_shows_then_completion_then_capped_hours_when_the_team_organised():
    assert decide(state_of(*attended()), complete(56), AFTER) == [
        ac.NoShowRecorded(activity_id=ACTIVITY, member_id=D),
        ac.AttendanceClosed(activity_id=ACTIVITY, at=AFTER),
        ac.ActivityCompleted(activity_id=ACTIVITY, residents_served=56, at=AFTER),
        # came half an hour early and left half an hour late: the 3-hour window, and its
        # day is the activity's (not the evening before, for an activity after midnight)
        hours(A, 3.0, TEAM, "team", START),
        # checked-out minus checked-in inside the window
        hours(B, 1.5, TEAM, "team", START + 30 * MINUTE),
        # C checked in but never out: no hours
    ]


def test_completion_certifies_hours_by_the_community_when_no_team_organised_it():
    events = decide(state_of(*attended(team_id=None)), complete(), AFTER)
    certified = [e for e in events if isinstance(e, ac.HoursCertified)]
    assert [(e.member_id, e.certified_by, e.certifier) for e in certified] == [
        (A, COMMUNITY, "community"),
        (B, COMMUNITY, "community"),
    ]


def test_completion_does_not_repeat_no_shows_when_they_were_recorded_already():
    state = state_of(*attended(), (no_shows(), CLOSES))
    events = decide(state, complete(), CLOSES)
    assert not any(isinstance(e, (ac.NoShowRecorded, ac.AttendanceClosed)) for e in events)
    assert [type(e) for e in events] == [ac.ActivityCompleted, ac.HoursCertified, ac.HoursCertified]


def test_completion_is_accepted_at_the_end_when_nobody_signed_up():
    assert decide(state_of(*SCHEDULED), complete(0), END) == [
        ac.AttendanceClosed(activity_id=ACTIVITY, at=END),
        ac.ActivityCompleted(activity_id=ACTIVITY, residents_served=0, at=END),
    ]


def test_completion_certifies_no_hours_when_the_member_checked_out_when_they_checked_in():
    steps = (*SCHEDULED, sign_up(A), (check_in(A), DURING), (check_out(A), DURING))
    events = decide(state_of(*steps), complete(), AFTER)
    assert [type(e) for e in events] == [ac.AttendanceClosed, ac.ActivityCompleted]


def test_completion_certifies_no_hours_when_the_member_came_at_the_very_end():
    steps = (*SCHEDULED, sign_up(A), (check_in(A), END), (check_out(A), AFTER))
    events = decide(state_of(*steps), complete(), AFTER)
    assert [type(e) for e in events] == [ac.AttendanceClosed, ac.ActivityCompleted]


def test_a_completed_activity_is_completed_with_attendance_closed_when_folded():
    state = state_of(*attended(), (complete(), AFTER))
    assert (state.completed, state.attendance_closed) == (True, True)


def test_completion_is_refused_with_activity_completed_when_completed_twice():
    assert refusal(state_of(*COMPLETED), complete(), AFTER + HOUR) == (
        CommandRejected,
        "activity_completed",
    )


# --- capacity, for any order of sign-ups and cancellations ------------------------------

MEMBERS = ("m-1", "m-2", "m-3", "m-4", "m-5", "m-6")


@settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@hypothesis.given(
    capacity=st.integers(1, 4),
    moves=st.lists(
        st.tuples(st.sampled_from(("sign_up", "cancel")), st.sampled_from(MEMBERS)),
        max_size=40,
    ),
)
def test_capacity_is_never_exceeded_when_members_sign_up_and_cancel_in_any_order(capacity, moves):
    history = decide(None, schedule(capacity=capacity))
    state = fold(history)
    # a plain model: a queue of confirmed members and a queue of waiting ones
    confirmed: list[str] = []
    waiting: list[str] = []
    for kind, member_id in moves:
        command = sign_up(member_id) if kind == "sign_up" else cancel(member_id)
        signed = member_id in confirmed or member_id in waiting
        if signed == (kind == "sign_up"):  # signing up twice, or withdrawing unsigned
            rule = "already_signed_up" if signed else "not_signed_up"
            assert refusal(state, command, DURING) == (CommandRejected, rule)
            continue
        events = decide(state, command, DURING)
        if kind == "sign_up":
            (confirmed if len(confirmed) < capacity else waiting).append(member_id)
        elif member_id in confirmed:
            confirmed.remove(member_id)
            if waiting:
                confirmed.append(waiting.pop(0))
        else:
            waiting.remove(member_id)
        for event in events:
            state = ac.evolve(state, event)
        history = [*history, *events]
        assert (list(state.confirmed), list(state.waitlist)) == (confirmed, waiting)
        assert len(state.confirmed) <= capacity
        everyone = [*state.confirmed, *state.waitlist]
        assert len(everyone) == len(set(everyone))
        if len(state.confirmed) < capacity:
            assert state.waitlist == ()
        assert fold(history) == state
