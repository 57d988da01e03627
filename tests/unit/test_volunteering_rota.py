"""The weekend duty rota (党员周末轮班): opening shifts, claiming, releasing, swapping,
recording and raising gaps; every rule, on the pure domain.

States are built by folding the events `decide` produced, so `evolve` is exercised too.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from grassroots_eventkit.domain import CommandRejected, InvalidValue, NotFound
from grassroots_eventkit.values import CHINA_STANDARD_TIME
from volunteering_service.domain import rota as ro

from tests.support.story import Story

pytestmark = pytest.mark.unit

NOW = datetime(2026, 5, 10, 9, 30, tzinfo=UTC)
SECOND = timedelta(seconds=1)
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
SATURDAY = date(2026, 5, 16)
WEEKEND_START = datetime(2026, 5, 15, 16, 0, tzinfo=UTC)  # Saturday 00:00 in Dong'an
WEEKEND_END = WEEKEND_START + timedelta(days=2)
GAP_NOTICE = timedelta(hours=30)
CUT_OFF = datetime(2026, 5, 14, 10, 0, tzinfo=UTC)  # Thursday 18:00 in Dong'an

COMMUNITY = "c-chating"
ROTA = ro.rota_id(COMMUNITY, SATURDAY)
S1, S2, S3, S4, S5, S6 = "s-1", "s-2", "s-3", "s-4", "s-5", "s-6"
M1, M2, M3 = "m-1", "m-2", "m-3"


def sat(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 5, 16, hour, minute, tzinfo=CHINA_STANDARD_TIME)


def sun(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 5, 17, hour, minute, tzinfo=CHINA_STANDARD_TIME)


def slot(slot_id: str, starts_at: datetime, ends_at: datetime, area: str = "reception"):
    return ro.SlotSpec(slot_id=slot_id, area=area, starts_at=starts_at, ends_at=ends_at)


# S1 and S2 overlap, S3 follows S1 back to back; S4 and S5 overlap on Sunday.
SLOTS = (
    slot(S1, sat(9), sat(12), "reception"),
    slot(S2, sat(10), sat(13), "elderly_home"),
    slot(S3, sat(12), sat(15), "youth_home"),
    slot(S4, sun(9), sun(12), "children_home"),
    slot(S5, sun(10), sun(13), "convenience_services"),
)
LATE_SLOT = slot(S6, sun(13), sun(15, 20), "reception")


story = Story(ro.DECIDER, NOW)
decide, fold, given, state_of, refusal = story.helpers()


# --- commands ---------------------------------------------------------------------------


def open_shifts(
    *slots: ro.SlotSpec, weekend: date = SATURDAY, gap_notice: timedelta = GAP_NOTICE
) -> ro.OpenShifts:
    return ro.OpenShifts(
        rota_id=ROTA,
        community_id=COMMUNITY,
        county="东安县",
        weekend=weekend,
        slots=slots or SLOTS,
        gap_notice=gap_notice,
    )


def claim(slot_id: str, member_id: str, *, assigned: bool = False) -> ro.ClaimShift:
    return ro.ClaimShift(rota_id=ROTA, slot_id=slot_id, member_id=member_id, assigned=assigned)


def release(slot_id: str, member_id: str) -> ro.ReleaseShift:
    return ro.ReleaseShift(rota_id=ROTA, slot_id=slot_id, member_id=member_id)


def propose(slot_id: str, with_slot_id: str, proposer_id: str) -> ro.ProposeSwap:
    return ro.ProposeSwap(
        rota_id=ROTA, slot_id=slot_id, with_slot_id=with_slot_id, proposer_id=proposer_id
    )


def accept(slot_id: str, with_slot_id: str, member_id: str) -> ro.AcceptSwap:
    """`member_id` holds `slot_id` and takes the proposer's `with_slot_id`."""
    return ro.AcceptSwap(
        rota_id=ROTA, slot_id=slot_id, with_slot_id=with_slot_id, member_id=member_id
    )


def record(slot_id: str, outcome: str) -> ro.RecordShift:
    return ro.RecordShift(rota_id=ROTA, slot_id=slot_id, outcome=outcome)


def mark_gaps() -> ro.MarkGaps:
    return ro.MarkGaps(rota_id=ROTA)


def gap(slot_id: str, at: datetime) -> ro.GapRaised:
    return ro.GapRaised(rota_id=ROTA, slot_id=slot_id, at=at)


def holders(state: ro.Rota) -> dict[str, str | None]:
    return {sid: s.holder for sid, s in state.slots.items()}


# Stories most tests start from.
OPENED = (open_shifts(),)
# M1 holds Saturday morning, M2 Sunday morning; M1 offers to swap them.
HELD = (*OPENED, claim(S1, M1), claim(S4, M2))
PROPOSED = (*HELD, propose(S1, S4, M1))


# --- open -------------------------------------------------------------------------------


def test_opening_records_the_shifts_with_the_cut_off_before_the_weekend_when_new():
    [opened] = decide(None, open_shifts())
    assert opened == ro.ShiftsOpened(
        rota_id=ROTA,
        community_id=COMMUNITY,
        county="东安县",
        weekend=SATURDAY,
        slots=SLOTS,
        gap_check_at=CUT_OFF,
    )
    assert opened.gap_check_at == ro.weekend_start(SATURDAY) - GAP_NOTICE
    state = fold([opened])
    assert (state.rota_id, state.community_id, state.weekend) == (ROTA, COMMUNITY, SATURDAY)
    assert state.gap_check_at == CUT_OFF
    assert holders(state) == dict.fromkeys((S1, S2, S3, S4, S5))
    assert state.slots[S2] == ro.Slot(area="elderly_home", starts_at=sat(10), ends_at=sat(13))
    assert state.proposals == {}


def test_a_rota_is_named_by_its_community_and_saturday_and_starts_at_midnight_china_time():
    assert ROTA == "rota:c-chating:2026-05-16"
    assert ro.weekend_start(SATURDAY) == WEEKEND_START == sat(0)


@pytest.mark.parametrize(
    "weekend", [date(2026, 5, 15), date(2026, 5, 17)], ids=["friday", "sunday"]
)
def test_opening_is_refused_with_not_a_saturday_when_the_weekend_is_named_by_another_day(
    weekend,
):
    assert refusal(None, open_shifts(weekend=weekend)) == (InvalidValue, "not_a_saturday")


@pytest.mark.parametrize(
    "outside",
    [
        slot(S6, sat(0) - HOUR, sat(1)),
        slot(S6, sun(22), sun(23) + 2 * HOUR),
        slot(S6, sat(9) + timedelta(days=7), sat(12) + timedelta(days=7)),
        slot(S6, sat(9) - timedelta(days=7), sat(12) - timedelta(days=7)),
    ],
    ids=["starts_on_friday", "ends_on_monday", "next_weekend", "last_weekend"],
)
def test_opening_is_refused_with_slot_outside_weekend_when_a_shift_is_not_on_that_weekend(
    outside,
):
    assert refusal(None, open_shifts(slot(S1, sat(9), sat(12)), outside)) == (
        InvalidValue,
        "slot_outside_weekend",
    )


def test_opening_is_accepted_when_shifts_fill_the_weekend_to_its_edges_in_any_time_zone():
    # Friday 16:00 UTC is Saturday 00:00 in Dong'an; Sunday 16:00 UTC is Monday 00:00
    edges = (slot(S1, WEEKEND_START, WEEKEND_START + 8 * HOUR), slot(S2, sun(16), WEEKEND_END))
    [opened] = decide(None, open_shifts(*edges))
    assert opened.slots == edges


@pytest.mark.parametrize("ends_at", [sat(9), sat(8)], ids=["equal", "before"])
def test_opening_is_refused_with_ends_before_start_when_a_shift_does_not_end_after_it_starts(
    ends_at,
):
    assert refusal(None, open_shifts(slot(S1, sat(9), ends_at))) == (
        InvalidValue,
        "ends_before_start",
    )


def test_opening_is_refused_with_slot_exists_when_two_shifts_share_an_id():
    twins = open_shifts(slot(S1, sat(9), sat(12)), slot(S1, sat(14), sat(17)))
    assert refusal(None, twins) == (CommandRejected, "slot_exists")


def test_opening_is_refused_with_slot_exists_when_a_shift_of_that_id_is_open_already():
    again = open_shifts(LATE_SLOT, slot(S1, sat(14), sat(17)))
    assert refusal(state_of(*OPENED), again) == (CommandRejected, "slot_exists")


def test_opening_sets_the_cut_off_to_now_when_opened_after_the_cut_off():
    late = CUT_OFF + HOUR
    [opened] = decide(None, open_shifts(), late)
    assert opened.gap_check_at == late
    assert state_of((open_shifts(), late)).gap_check_at == late


def test_a_second_opening_adds_shifts_and_keeps_the_first_cut_off_when_before_the_cut_off():
    second = open_shifts(LATE_SLOT, gap_notice=timedelta(hours=2))
    [opened] = decide(state_of(*OPENED, claim(S1, M1)), second, NOW + HOUR)
    assert (opened.slots, opened.gap_check_at) == ((LATE_SLOT,), CUT_OFF)
    state = state_of(*OPENED, claim(S1, M1), (second, NOW + HOUR))
    assert holders(state) == {S1: M1, S2: None, S3: None, S4: None, S5: None, S6: None}
    assert state.gap_check_at == CUT_OFF


def test_a_second_opening_moves_the_cut_off_to_now_when_opened_after_the_cut_off():
    """Shifts opened late are checked for gaps at once rather than at a past cut-off."""
    late = CUT_OFF + HOUR
    [opened] = decide(state_of(*OPENED), open_shifts(LATE_SLOT), late)
    assert opened.gap_check_at == late
    assert state_of(*OPENED, (open_shifts(LATE_SLOT), late)).gap_check_at == late


@pytest.mark.parametrize(
    "command",
    [
        claim(S1, M1),
        release(S1, M1),
        propose(S1, S4, M1),
        accept(S4, S1, M2),
        record(S1, "served"),
        mark_gaps(),
    ],
    ids=lambda c: type(c).__name__,
)
def test_a_command_is_refused_with_rota_not_found_when_nothing_was_opened(command):
    assert refusal(None, command) == (NotFound, "rota_not_found")


@pytest.mark.parametrize(
    "command",
    [claim("s-9", M1), release("s-9", M1), propose(S1, "s-9", M1), record("s-9", "missed")],
    ids=lambda c: type(c).__name__,
)
def test_a_command_is_refused_with_slot_not_found_when_the_shift_is_not_in_the_rota(command):
    assert refusal(state_of(*HELD), command) == (NotFound, "slot_not_found")


# --- claim ------------------------------------------------------------------------------


@pytest.mark.parametrize("assigned", [False, True], ids=["claimed", "assigned_by_staff"])
def test_a_claim_gives_the_member_the_shift_when_nobody_holds_it(assigned):
    assert decide(state_of(*OPENED), claim(S1, M1, assigned=assigned)) == [
        ro.ShiftClaimed(rota_id=ROTA, slot_id=S1, member_id=M1, assigned=assigned)
    ]
    assert state_of(*OPENED, claim(S1, M1, assigned=assigned)).slots[S1].holder == M1


def test_a_claim_is_refused_with_slot_taken_when_another_member_holds_the_shift():
    assert refusal(state_of(*HELD), claim(S1, M2)) == (CommandRejected, "slot_taken")


@pytest.mark.parametrize("at", [NOW, sat(10)], ids=["before_start", "after_start"])
def test_a_claim_records_nothing_when_the_holder_claims_again(at):
    assert decide(state_of(*HELD), claim(S1, M1), at) == []


@pytest.mark.parametrize("at", [sat(9), sat(11)], ids=["at_start", "after_start"])
def test_a_claim_is_refused_with_slot_started_when_the_shift_has_begun(at):
    assert refusal(state_of(*OPENED), claim(S1, M1), at) == (CommandRejected, "slot_started")


def test_a_claim_is_accepted_when_made_a_second_before_the_shift_begins():
    [claimed] = decide(state_of(*OPENED), claim(S1, M1), sat(9) - SECOND)
    assert claimed.member_id == M1


def test_a_claim_is_refused_with_overlapping_shift_when_the_member_holds_an_overlapping_shift():
    assert refusal(state_of(*HELD), claim(S2, M1)) == (CommandRejected, "overlapping_shift")


def test_a_claim_is_accepted_when_the_members_other_shift_ends_as_this_one_starts():
    assert decide(state_of(*HELD), claim(S3, M1)) == [
        ro.ShiftClaimed(rota_id=ROTA, slot_id=S3, member_id=M1, assigned=False)
    ]


def test_a_claim_is_accepted_when_another_member_holds_the_overlapping_shift():
    [claimed] = decide(state_of(*HELD), claim(S2, M2))
    assert claimed.member_id == M2


def test_a_claim_is_accepted_when_the_member_released_the_overlapping_shift():
    state = state_of(*HELD, release(S1, M1))
    [claimed] = decide(state, claim(S2, M1))
    assert claimed.member_id == M1


# --- release ----------------------------------------------------------------------------


def test_a_release_frees_the_shift_for_anyone_when_the_holder_gives_it_back():
    assert decide(state_of(*HELD), release(S1, M1)) == [
        ro.ShiftReleased(rota_id=ROTA, slot_id=S1, member_id=M1)
    ]
    state = state_of(*HELD, release(S1, M1))
    assert state.slots[S1].holder is None
    assert decide(state, claim(S1, M3))[0].member_id == M3


@pytest.mark.parametrize(
    ("slot_id", "member_id"), [(S1, M2), (S2, M1)], ids=["another_holder", "unheld"]
)
def test_a_release_is_refused_with_not_holder_when_the_member_does_not_hold_it(slot_id, member_id):
    assert refusal(state_of(*HELD), release(slot_id, member_id)) == (
        CommandRejected,
        "not_holder",
    )


def test_a_release_is_refused_with_slot_started_when_the_shift_has_begun():
    assert refusal(state_of(*HELD), release(S1, M1), sat(9)) == (CommandRejected, "slot_started")


# --- swap -------------------------------------------------------------------------------


def test_a_proposal_names_the_other_holder_when_the_proposer_holds_their_shift():
    assert decide(state_of(*HELD), propose(S1, S4, M1)) == [
        ro.SwapProposed(
            rota_id=ROTA, slot_id=S1, with_slot_id=S4, proposer_id=M1, counterpart_id=M2
        )
    ]
    assert state_of(*PROPOSED).proposals == {(S1, S4): (M1, M2)}


def test_a_proposal_is_refused_with_not_holder_when_the_proposer_does_not_hold_the_shift():
    assert refusal(state_of(*HELD), propose(S1, S4, M3)) == (CommandRejected, "not_holder")


@pytest.mark.parametrize(
    ("steps", "other"),
    [(HELD, S2), ((*HELD, claim(S5, M1)), S5)],
    ids=["unheld_shift", "own_shift"],
)
def test_a_proposal_is_refused_with_nobody_to_swap_with_when_no_one_else_holds_the_other(
    steps, other
):
    assert refusal(state_of(*steps), propose(S1, other, M1)) == (
        CommandRejected,
        "nobody_to_swap_with",
    )


@pytest.mark.parametrize(
    "command",
    [propose(S1, S4, M1), propose(S4, S1, M2)],
    ids=["own_shift_begun", "other_shift_begun"],
)
def test_a_proposal_is_refused_with_slot_started_when_either_shift_has_begun(command):
    assert refusal(state_of(*HELD), command, sat(9)) == (CommandRejected, "slot_started")


def test_an_accepted_swap_exchanges_the_holders_when_the_counterpart_agrees():
    assert decide(state_of(*PROPOSED), accept(S4, S1, M2)) == [
        ro.ShiftsSwapped(
            rota_id=ROTA, slot_id=S4, member_id=M1, other_slot_id=S1, other_member_id=M2
        )
    ]
    state = state_of(*PROPOSED, accept(S4, S1, M2))
    assert (state.slots[S1].holder, state.slots[S4].holder) == (M2, M1)
    assert state.proposals == {}


def test_an_accepted_swap_of_two_overlapping_shifts_is_allowed_when_each_ends_with_one():
    steps = (*OPENED, claim(S1, M1), claim(S2, M2), propose(S1, S2, M1))
    state = state_of(*steps, accept(S2, S1, M2))
    assert (state.slots[S1].holder, state.slots[S2].holder) == (M2, M1)


@pytest.mark.parametrize(
    ("member_id", "command_slots"),
    [(M3, (S4, S1)), (M1, (S4, S1)), (M2, (S1, S4))],
    ids=["a_third_member", "the_proposer", "the_wrong_way_round"],
)
def test_an_acceptance_is_refused_with_no_such_proposal_when_not_the_counterparts(
    member_id, command_slots
):
    assert refusal(state_of(*PROPOSED), accept(*command_slots, member_id)) == (
        CommandRejected,
        "no_such_proposal",
    )


def test_an_acceptance_is_refused_with_no_such_proposal_when_nobody_proposed():
    assert refusal(state_of(*HELD), accept(S4, S1, M2)) == (CommandRejected, "no_such_proposal")


@pytest.mark.parametrize(
    "released", [release(S1, M1), release(S4, M2)], ids=["by_proposer", "by_counterpart"]
)
def test_an_acceptance_is_refused_with_no_such_proposal_when_a_shift_was_released_since(released):
    state = state_of(*PROPOSED, released)
    assert state.proposals == {}
    assert refusal(state, accept(S4, S1, M2)) == (CommandRejected, "no_such_proposal")


def test_an_acceptance_is_refused_with_no_such_proposal_when_the_shift_changed_hands_since():
    # the proposer gives the shift up and a third member takes it: the offer went with it
    state = state_of(*PROPOSED, release(S1, M1), claim(S1, M3))
    assert refusal(state, accept(S4, S1, M2)) == (CommandRejected, "no_such_proposal")


def test_an_acceptance_is_refused_with_no_such_proposal_when_another_swap_took_the_shift():
    steps = (*PROPOSED, claim(S3, M3), propose(S3, S4, M3), accept(S4, S1, M2))
    state = state_of(*steps)
    assert state.proposals == {}
    # M3 offered S3 to M2 for S4, which M2 no longer holds
    assert refusal(state, accept(S4, S3, M2)) == (CommandRejected, "no_such_proposal")


def test_an_acceptance_is_refused_with_swap_outdated_when_the_holders_no_longer_match():
    """Defensive: `decide` clears a proposal whenever its shifts change hands, so only a
    history it never writes (a claim over a held shift) reaches this check."""
    history = [
        *given(*PROPOSED),
        ro.ShiftClaimed(rota_id=ROTA, slot_id=S1, member_id=M3, assigned=True),
    ]
    assert refusal(fold(history), accept(S4, S1, M2)) == (CommandRejected, "swap_outdated")


def test_an_acceptance_is_refused_with_slot_started_when_a_shift_has_begun():
    assert refusal(state_of(*PROPOSED), accept(S4, S1, M2), sat(9)) == (
        CommandRejected,
        "slot_started",
    )


def test_an_acceptance_is_refused_with_overlapping_shift_when_the_proposer_would_hold_two():
    # M1 keeps S1 (Sat 09-12) and would take S2 (Sat 10-13)
    steps = (*OPENED, claim(S1, M1), claim(S4, M1), claim(S2, M2), propose(S4, S2, M1))
    assert refusal(state_of(*steps), accept(S2, S4, M2)) == (
        CommandRejected,
        "overlapping_shift",
    )


def test_an_acceptance_is_refused_with_overlapping_shift_when_the_counterpart_would_hold_two():
    # M2 keeps S2 (Sat 10-13) and would take S3 (Sat 12-15)
    steps = (*OPENED, claim(S3, M1), claim(S4, M2), claim(S2, M2), propose(S3, S4, M1))
    assert refusal(state_of(*steps), accept(S4, S3, M2)) == (
        CommandRejected,
        "overlapping_shift",
    )


# --- record -----------------------------------------------------------------------------


def test_a_record_is_refused_with_slot_unheld_when_nobody_held_the_shift():
    assert refusal(state_of(*HELD), record(S2, "served"), sat(14)) == (
        CommandRejected,
        "slot_unheld",
    )


def test_a_record_is_refused_with_slot_not_started_when_the_shift_has_not_begun():
    assert refusal(state_of(*HELD), record(S1, "served"), sat(9) - SECOND) == (
        CommandRejected,
        "slot_not_started",
    )


def test_a_served_shift_certifies_its_length_in_hours_when_recorded_as_served():
    assert decide(state_of(*HELD), record(S1, "served"), sat(9)) == [
        ro.ShiftServed(rota_id=ROTA, slot_id=S1, member_id=M1, hours=3.0),
        ro.ShiftHoursCertified(rota_id=ROTA, slot_id=S1, member_id=M1, hours=3.0, served_at=sat(9)),
    ]
    assert state_of(*HELD, (record(S1, "served"), sat(12))).slots[S1].recorded == "served"


def test_a_served_shift_certifies_hours_to_two_decimals_when_its_length_is_not_whole():
    steps = (*OPENED, open_shifts(LATE_SLOT), claim(S6, M3))
    served, certified = decide(state_of(*steps), record(S6, "served"), sun(16))
    assert served.hours == certified.hours == 2.33


def test_a_missed_shift_is_recorded_against_its_holder_when_recorded_as_missed():
    assert decide(state_of(*HELD), record(S4, "missed"), sun(12)) == [
        ro.ShiftMissed(rota_id=ROTA, slot_id=S4, member_id=M2)
    ]
    assert state_of(*HELD, (record(S4, "missed"), sun(12))).slots[S4].recorded == "missed"


@pytest.mark.parametrize(
    ("first", "second"),
    [("served", "missed"), ("missed", "served"), ("served", "served")],
)
def test_a_record_is_refused_with_already_recorded_when_the_shift_was_recorded(first, second):
    state = state_of(*HELD, (record(S1, first), sat(12)))
    assert refusal(state, record(S1, second), sat(13)) == (CommandRejected, "already_recorded")


# --- gaps -------------------------------------------------------------------------------


def test_gaps_are_not_raised_when_the_cut_off_has_not_come():
    assert decide(state_of(*HELD), mark_gaps(), CUT_OFF - SECOND) == []


def test_a_gap_is_raised_for_each_unheld_shift_when_the_cut_off_comes():
    # S1 and S4 were claimed before the cut-off: they raise nothing
    assert decide(state_of(*HELD), mark_gaps(), CUT_OFF) == [
        gap(S2, CUT_OFF),
        gap(S3, CUT_OFF),
        gap(S5, CUT_OFF),
    ]
    state = state_of(*HELD, (mark_gaps(), CUT_OFF))
    assert {sid for sid, s in state.slots.items() if s.gap_raised} == {S2, S3, S5}


def test_gaps_are_raised_once_when_gaps_are_marked_again():
    state = state_of(*HELD, (mark_gaps(), CUT_OFF))
    assert decide(state, mark_gaps(), CUT_OFF + HOUR) == []


def test_a_gap_is_not_raised_again_when_its_shift_is_claimed_and_released_after_the_cut_off():
    steps = (*HELD, (mark_gaps(), CUT_OFF), claim(S2, M3), release(S2, M3))
    assert decide(state_of(*steps), mark_gaps(), CUT_OFF + HOUR) == []


def test_a_gap_is_raised_for_a_held_shift_when_it_was_released_before_the_cut_off():
    state = state_of(*HELD, release(S1, M1))
    assert gap(S1, CUT_OFF) in decide(state, mark_gaps(), CUT_OFF)


def test_a_gap_is_not_raised_for_a_shift_when_it_has_begun():
    # at 10:00 on Saturday S1 (09:00) and S2 (10:00) have begun
    at = sat(10)
    assert decide(state_of(*OPENED), mark_gaps(), at) == [gap(S3, at), gap(S4, at), gap(S5, at)]


def test_a_gap_is_raised_for_a_shift_opened_after_the_cut_off_when_gaps_are_marked_again():
    late = CUT_OFF + HOUR
    steps = (*HELD, (mark_gaps(), CUT_OFF), (open_shifts(LATE_SLOT), late))
    assert decide(state_of(*steps), mark_gaps(), late) == [gap(S6, late)]
