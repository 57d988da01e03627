"""A member's red points account: each (source event, rule) scored exactly once, caps per
day, month and year in China time, deductions, expiry, reversals, manual awards,
redemptions and refunds; every rule, on the pure domain.

States are built by folding the events `decide` produced, so `evolve` is exercised too.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import hypothesis
import pytest
from grassroots_eventkit.domain import CommandRejected, InvalidValue
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from points_service.domain import account as acc
from points_service.domain.calendar import local_day
from points_service.domain.rulebook import Rule
from pydantic import ValidationError

from tests.support.story import Story

pytestmark = pytest.mark.unit

NOW = datetime(2026, 5, 9, 9, 30, tzinfo=UTC)  # 17:30 on Saturday 9 May in Dong'an
TODAY = date(2026, 5, 9)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
# 23:30 UTC on 9 May is 07:30 on Sunday 10 May in Dong'an
LATE = datetime(2026, 5, 9, 23, 30, tzinfo=UTC)

MEMBER = "m-1"
COMMUNITY = "c-chating"
BOOK = "东安县:1"
REQUEST, OTHER_REQUEST = "request:r-1", "request:r-2"
ACTIVITY = "activity:a-1"
MANUAL_ID = "manual-1"

RESOLVED_T = "grassroots.requests.RequestResolved.v1"
REOPENED_T = "grassroots.requests.RequestReopened.v1"
HOURS_T = "grassroots.volunteering.HoursCertified.v1"
NO_SHOW_T = "grassroots.volunteering.ActivityNoShow.v1"

RESOLVED = Rule(rule_id="request_resolved", trigger=RESOLVED_T, amount=5, cap_day=20)
BONUS = Rule(rule_id="resolved_bonus", trigger=RESOLVED_T, amount=2)
NO_SHOW = Rule(rule_id="activity_no_show", trigger=NO_SHOW_T, amount=-3)
EXPIRING = Rule(rule_id="expiring_award", trigger=RESOLVED_T, amount=5, expires_after_days=30)


story = Story(acc.DECIDER, NOW, new_id=lambda: MANUAL_ID)
decide, fold, given, state_of, refusal = story.helpers()


# --- commands ---------------------------------------------------------------------------


def score(
    source: str = "e-1",
    rule: Rule = RESOLVED,
    *,
    subject: str = REQUEST,
    at: datetime = NOW,
    quantity: float = 1.0,
) -> acc.Score:
    return acc.Score(
        member_id=MEMBER,
        community_id=COMMUNITY,
        source_event_id=source,
        source_type=rule.trigger,
        subject_ref=subject,
        occurred_at=at,
        rule=rule,
        book=BOOK,
        quantity=quantity,
    )


def reverse(
    source: str = "e-reopen",
    *,
    subject: str = REQUEST,
    rule_id: str = "request_resolved",
    at: datetime = NOW,
) -> acc.Reverse:
    return acc.Reverse(
        member_id=MEMBER,
        community_id=COMMUNITY,
        source_event_id=source,
        source_type=REOPENED_T,
        subject_ref=subject,
        rule_id=rule_id,
        occurred_at=at,
    )


def manual(
    amount: int = 20,
    *,
    approver: str = "staff-2",
    recorded_by: str = "staff-1",
    reason: str = "扶贫帮困: helped a flood-hit family",
) -> acc.ManualAward:
    return acc.ManualAward(
        member_id=MEMBER,
        community_id=COMMUNITY,
        amount=amount,
        reason=reason,
        approver=approver,
        recorded_by=recorded_by,
    )


def redeem(redemption_id: str = "rd-1", points: int = 5) -> acc.Redeem:
    return acc.Redeem(
        member_id=MEMBER, community_id=COMMUNITY, redemption_id=redemption_id, points=points
    )


def refund(redemption_id: str = "rd-1") -> acc.Refund:
    return acc.Refund(member_id=MEMBER, redemption_id=redemption_id)


def nothing(source: str, rule_id: str) -> acc.ScoredNothing:
    return acc.ScoredNothing(
        member_id=MEMBER, community_id=COMMUNITY, source_event_id=source, rule_id=rule_id
    )


# --- scoring: exactly once per (source event, rule) -------------------------------------


def test_an_award_names_its_source_event_rule_and_book_when_scored():
    assert decide(None, score("e-1")) == [
        acc.PointsEntered(
            member_id=MEMBER,
            community_id=COMMUNITY,
            entry_id="e-1:request_resolved",
            kind="award",
            amount=5,
            rule_id="request_resolved",
            book=BOOK,
            source_event_id="e-1",
            source_type=RESOLVED_T,
            subject_ref=REQUEST,
            occurred_at=NOW,
            expires_on=None,
            capped=False,
            note=None,
        )
    ]
    assert state_of(score("e-1")).balance(TODAY) == 5


def test_nothing_is_entered_when_the_same_source_is_scored_again_by_the_same_rule():
    state = state_of(score("e-1"))
    assert decide(state, score("e-1")) == []
    assert decide(state, score("e-1", at=NOW + DAY)) == []  # redelivered a day later
    assert state.balance(TODAY) == 5
    assert [entry[:2] for entry in state.entries] == [(5, None)]


def test_a_second_rule_scores_the_same_source_separately_when_both_apply():
    events = given(score("e-1"), score("e-1", BONUS))
    assert [(e.entry_id, e.rule_id, e.amount) for e in events] == [
        ("e-1:request_resolved", "request_resolved", 5),
        ("e-1:resolved_bonus", "resolved_bonus", 2),
    ]
    state = fold(events)
    assert decide(state, score("e-1")) == []
    assert decide(state, score("e-1", BONUS)) == []
    assert state.balance(TODAY) == 7


def test_another_source_event_scores_again_when_the_rule_is_the_same():
    state = state_of(score("e-1"), score("e-2", subject=OTHER_REQUEST))
    assert state.balance(TODAY) == 10
    assert len(state.entries) == 2


def test_another_member_has_an_account_of_its_own_when_scored():
    [entered] = decide(None, score("e-1").model_copy(update={"member_id": "m-2"}))
    assert (entered.member_id, entered.amount) == ("m-2", 5)
    assert fold([entered]).member_id == "m-2"


# --- per-hour rules ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "hours", "points"),
    [
        (2, 3.0, 6),
        (2, 2.4, 5),
        (2, 1.2, 2),
        (2, 0.33, 1),
        (3, 1.33, 4),
    ],
    ids=["whole_hours", "4.8_up", "2.4_down", "0.66_up", "3.99_up"],
)
def test_a_per_hour_rule_multiplies_by_the_hours_and_rounds_when_hours_are_scored(
    amount, hours, points
):
    rule = Rule(rule_id="volunteer_hours", trigger=HOURS_T, amount=amount, per_hour=True)
    [entered] = decide(None, score("e-h", rule, subject=ACTIVITY, quantity=hours))
    assert (entered.kind, entered.amount, entered.capped) == ("award", points, False)
    assert isinstance(entered.amount, int)


def test_nothing_is_entered_when_the_hours_round_to_zero_points():
    rule = Rule(rule_id="volunteer_hours", trigger=HOURS_T, amount=2, per_hour=True)
    events = decide(None, score("e-h", rule, subject=ACTIVITY, quantity=0.2))
    assert events == [nothing("e-h", "volunteer_hours")]
    state = fold(events)
    assert decide(state, score("e-h", rule, subject=ACTIVITY, quantity=0.2)) == []
    assert state.balance(TODAY) == 0


def test_a_per_event_rule_ignores_the_quantity_when_scored():
    [entered] = decide(None, score("e-1", quantity=3.0))
    assert entered.amount == 5


def test_a_score_needs_a_positive_quantity_when_given():
    with pytest.raises(ValidationError):
        score("e-1", quantity=0)


# --- caps per day, month and year (China time) ------------------------------------------

CAPS = {
    # rule, four times in the same China period, and the first moment of the next one
    "day": (
        Rule(rule_id="capped", trigger=RESOLVED_T, amount=5, cap_day=12),
        (
            datetime(2026, 5, 8, 16, 30, tzinfo=UTC),  # 00:30 on 9 May in Dong'an
            datetime(2026, 5, 9, 2, 0, tzinfo=UTC),
            datetime(2026, 5, 9, 9, 30, tzinfo=UTC),
            datetime(2026, 5, 9, 15, 30, tzinfo=UTC),  # 23:30 on 9 May in Dong'an
        ),
        LATE,  # 07:30 on 10 May in Dong'an
    ),
    "month": (
        Rule(rule_id="capped", trigger=RESOLVED_T, amount=5, cap_month=12),
        (
            datetime(2026, 4, 30, 16, 30, tzinfo=UTC),  # 00:30 on 1 May in Dong'an
            datetime(2026, 5, 10, 2, 0, tzinfo=UTC),
            datetime(2026, 5, 20, 2, 0, tzinfo=UTC),
            datetime(2026, 5, 31, 15, 30, tzinfo=UTC),  # 23:30 on 31 May in Dong'an
        ),
        datetime(2026, 5, 31, 23, 30, tzinfo=UTC),  # 07:30 on 1 June in Dong'an
    ),
    "year": (
        Rule(rule_id="capped", trigger=RESOLVED_T, amount=5, cap_year=12),
        (
            datetime(2025, 12, 31, 16, 30, tzinfo=UTC),  # 00:30 on 1 January 2026
            datetime(2026, 4, 1, 2, 0, tzinfo=UTC),
            datetime(2026, 8, 1, 2, 0, tzinfo=UTC),
            datetime(2026, 12, 31, 15, 30, tzinfo=UTC),  # 23:30 on 31 December 2026
        ),
        datetime(2026, 12, 31, 23, 30, tzinfo=UTC),  # 07:30 on 1 January 2027
    ),
}
PERIODS = list(CAPS)


def _capped_story(period: str, count: int) -> list:
    rule, times, _ = CAPS[period]
    return given(
        *(score(f"e-{n}", rule, subject=f"request:r-{n}", at=times[n]) for n in range(count))
    )


@pytest.mark.parametrize("period", PERIODS)
def test_an_award_is_cut_to_what_is_left_of_the_cap_when_the_cap_is_nearly_used(period):
    events = _capped_story(period, 3)
    assert [(e.kind, e.amount, e.capped) for e in events] == [
        ("award", 5, False),
        ("award", 5, False),
        ("award", 2, True),
    ]
    assert fold(events).balance(TODAY) == 12


@pytest.mark.parametrize("period", PERIODS)
def test_nothing_is_entered_when_the_cap_is_used_up_in_the_same_china_period(period):
    rule, times, _ = CAPS[period]
    state = fold(_capped_story(period, 3))
    fourth = score("e-3", rule, subject="request:r-3", at=times[3])
    events = decide(state, fourth, times[3])
    assert events == [nothing("e-3", "capped")]
    state = fold([*_capped_story(period, 3), *events])
    assert decide(state, fourth, times[3]) == []  # remembered: a repeat scores nothing
    assert state.balance(TODAY) == 12


@pytest.mark.parametrize("period", PERIODS)
def test_the_cap_is_fresh_again_when_the_next_china_period_begins(period):
    rule, _, next_period = CAPS[period]
    used_up = _capped_story(period, 4)
    assert isinstance(used_up[-1], acc.ScoredNothing)
    [entered] = decide(fold(used_up), score("e-4", rule, subject="request:r-4", at=next_period))
    assert (entered.kind, entered.amount, entered.capped) == ("award", 5, False)
    after = fold([*used_up, entered])
    [again] = decide(after, score("e-5", rule, subject="request:r-5", at=next_period + HOUR))
    assert (again.amount, again.capped) == (5, False)
    # and the new period's cap binds in its turn
    [third] = decide(
        fold([*used_up, entered, again]),
        score("e-6", rule, subject="request:r-6", at=next_period + 2 * HOUR),
    )
    assert (third.amount, third.capped) == (2, True)


def test_an_award_at_23_30_utc_counts_for_the_next_china_day_when_the_day_cap_is_used():
    rule = Rule(rule_id="capped", trigger=RESOLVED_T, amount=10, cap_day=10)
    evening = datetime(2026, 5, 9, 15, 30, tzinfo=UTC)  # 23:30 on 9 May in Dong'an
    assert local_day(LATE) == date(2026, 5, 10)
    assert local_day(evening) == date(2026, 5, 9)
    state = state_of(score("e-1", rule, at=NOW))
    assert decide(state, score("e-2", rule, subject=OTHER_REQUEST, at=evening)) == [
        nothing("e-2", "capped")
    ]
    [entered] = decide(state, score("e-3", rule, subject="request:r-3", at=LATE))
    assert (entered.kind, entered.amount, entered.capped, entered.occurred_at) == (
        "award",
        10,
        False,
        LATE,
    )


def test_the_tightest_cap_binds_when_a_rule_has_several():
    rule = Rule(rule_id="capped", trigger=RESOLVED_T, amount=5, cap_day=20, cap_month=12)
    events = given(
        score("e-1", rule, subject="request:r-1", at=NOW),
        score("e-2", rule, subject="request:r-2", at=NOW),
        score("e-3", rule, subject="request:r-3", at=NOW + DAY),
        score("e-4", rule, subject="request:r-4", at=NOW + 2 * DAY),
    )
    assert [(type(e).__name__, getattr(e, "amount", None)) for e in events] == [
        ("PointsEntered", 5),
        ("PointsEntered", 5),
        ("PointsEntered", 2),
        ("ScoredNothing", None),
    ]


def test_one_rule_s_cap_does_not_limit_another_rule_when_both_score_the_same_day():
    small = Rule(rule_id="small", trigger=RESOLVED_T, amount=5, cap_day=5)
    other = Rule(rule_id="other", trigger=RESOLVED_T, amount=5, cap_day=5)
    events = given(
        score("e-1", small),
        score("e-2", small, subject=OTHER_REQUEST),
        score("e-2", other, subject=OTHER_REQUEST),
    )
    assert [type(e).__name__ for e in events] == ["PointsEntered", "ScoredNothing", "PointsEntered"]
    assert fold(events).balance(TODAY) == 10


def test_nothing_is_entered_when_the_cap_is_zero():
    rule = Rule(rule_id="closed", trigger=RESOLVED_T, amount=5, cap_year=0)
    assert decide(None, score("e-1", rule)) == [nothing("e-1", "closed")]


def test_a_per_hour_award_is_capped_by_the_month_when_hours_exceed_it():
    rule = Rule(rule_id="volunteer_hours", trigger=HOURS_T, amount=2, per_hour=True, cap_month=80)
    events = given(
        score("e-1", rule, subject="activity:a-1", quantity=30.0),
        score("e-2", rule, subject="activity:a-2", quantity=15.0, at=NOW + DAY),
    )
    assert [(e.amount, e.capped) for e in events] == [(60, False), (20, True)]


# --- deductions -------------------------------------------------------------------------


def test_a_negative_rule_is_a_deduction_that_is_never_capped_when_scored_repeatedly():
    rule = Rule(
        rule_id="activity_no_show",
        trigger=NO_SHOW_T,
        amount=-3,
        cap_day=5,
        cap_month=5,
        cap_year=5,
        expires_after_days=30,
    )
    events = given(*(score(f"e-{n}", rule, subject=f"activity:a-{n}") for n in range(4)))
    assert [(e.kind, e.amount, e.capped, e.expires_on) for e in events] == [
        ("deduction", -3, False, None)
    ] * 4
    assert fold(events).balance(TODAY) == -12
    assert fold(events).balance(TODAY + 3650 * DAY) == -12  # deductions never expire


def test_a_deduction_counts_once_when_its_source_is_delivered_again():
    state = state_of(score("e-1", NO_SHOW, subject=ACTIVITY))
    assert decide(state, score("e-1", NO_SHOW, subject=ACTIVITY)) == []
    assert state.balance(TODAY) == -3


def test_a_deduction_uses_none_of_the_cap_when_a_positive_rule_shares_its_id():
    # the same rule id made negative by a later book: the cap counts awards only
    negative = Rule(rule_id="capped", trigger=RESOLVED_T, amount=-5, cap_day=5)
    positive = Rule(rule_id="capped", trigger=RESOLVED_T, amount=5, cap_day=5)
    events = given(score("e-1", negative), score("e-2", positive, subject=OTHER_REQUEST))
    assert [(e.kind, e.amount, e.capped) for e in events] == [
        ("deduction", -5, False),
        ("award", 5, False),
    ]


# --- expiry -----------------------------------------------------------------------------


def test_an_expiring_award_expires_the_given_days_after_its_china_day_when_scored():
    [today] = decide(None, score("e-1", EXPIRING, at=NOW))
    [late] = decide(None, score("e-2", EXPIRING, at=LATE))  # 10 May in Dong'an
    assert today.expires_on == date(2026, 6, 8)
    assert late.expires_on == date(2026, 6, 9)


def test_the_balance_ignores_expired_entries_when_asked_on_or_after_the_expiry_day():
    state = state_of(score("e-1", EXPIRING), score("e-2", subject=OTHER_REQUEST))
    expires = date(2026, 6, 8)
    assert state.balance(TODAY) == 10
    assert state.balance(expires - DAY) == 10
    assert state.balance(expires) == 5
    assert state.balance(expires + 365 * DAY) == 5
    assert sum(entry[0] for entry in state.entries) == 10  # the statement keeps it


def test_expired_points_cannot_be_spent_when_redeemed():
    state = state_of(score("e-1", EXPIRING))
    on_expiry = datetime(2026, 6, 8, 2, 0, tzinfo=UTC)
    assert refusal(state, redeem(points=5), on_expiry) == (CommandRejected, "insufficient_points")
    [spent] = decide(state, redeem(points=5), on_expiry - DAY)
    assert spent.amount == -5


def test_spent_points_do_not_expire_a_second_time_when_their_expiry_day_comes():
    # BUG: the redemption debits the expiring points and then they expire as well
    state = state_of(score("e-1", EXPIRING), redeem(points=5))
    assert state.balance(TODAY) == 0
    assert state.balance(date(2026, 6, 8)) == 0


def test_a_reversed_award_stays_undone_without_going_negative_when_it_would_have_expired():
    # BUG: the reversal never expires while the award it undoes does
    state = state_of(score("e-1", EXPIRING), reverse(rule_id="expiring_award"))
    assert state.balance(TODAY) == 0
    assert state.balance(date(2026, 6, 8)) == 0


# --- reversals --------------------------------------------------------------------------


def test_a_reversal_undoes_the_award_when_the_request_is_reopened():
    events = given(score("e-1"), reverse("e-reopen"))
    assert events[1] == acc.PointsEntered(
        member_id=MEMBER,
        community_id=COMMUNITY,
        entry_id="e-reopen:reverse:request_resolved",
        kind="reversal",
        amount=-5,
        rule_id="request_resolved",
        book=None,
        source_event_id="e-reopen",
        source_type=REOPENED_T,
        subject_ref=REQUEST,
        occurred_at=NOW,
        note="reverses e-1:request_resolved",
    )
    assert fold(events).balance(TODAY) == 0


def test_nothing_more_is_undone_when_the_same_reversal_arrives_again():
    state = state_of(score("e-1"), reverse("e-reopen"))
    assert decide(state, reverse("e-reopen")) == []
    assert state.balance(TODAY) == 0


def test_a_reversal_with_nothing_to_undo_is_remembered_when_it_arrives():
    events = decide(None, reverse("e-reopen"))
    assert events == [nothing("e-reopen", "reverse:request_resolved")]
    # an award made later is not undone by the same reopen delivered again
    state = fold([*events, *decide(fold(events), score("e-1"))])
    assert decide(state, reverse("e-reopen")) == []
    assert state.balance(TODAY) == 5


def test_a_reversal_undoes_only_what_was_entered_when_the_award_was_capped():
    rule = Rule(rule_id="request_resolved", trigger=RESOLVED_T, amount=5, cap_day=7)
    events = given(
        score("e-1", rule),
        score("e-2", rule, subject=OTHER_REQUEST),
        reverse(subject=OTHER_REQUEST),
    )
    assert [(e.kind, e.amount) for e in events] == [
        ("award", 5),
        ("award", 2),
        ("reversal", -2),
    ]
    assert events[2].note == "reverses e-2:request_resolved"
    assert fold(events).balance(TODAY) == 5


def test_a_reversal_undoes_only_its_subject_and_rule_when_others_were_awarded():
    events = given(
        score("e-1"),
        score("e-1", BONUS),
        score("e-2", subject=OTHER_REQUEST),
        reverse("e-reopen", subject=REQUEST),
    )
    assert events[-1].note == "reverses e-1:request_resolved"
    assert events[-1].amount == -5
    assert fold(events).balance(TODAY) == 7  # the bonus and the other request stay


def test_a_reversal_undoes_the_latest_award_first_when_a_subject_was_awarded_twice():
    events = given(
        score("e-1"),
        score("e-2"),  # the same request resolved again: another source event
        reverse("e-reopen-1"),
        reverse("e-reopen-2"),
        reverse("e-reopen-3"),
    )
    assert [e.note for e in events[2:4]] == [
        "reverses e-2:request_resolved",
        "reverses e-1:request_resolved",
    ]
    assert events[4] == nothing("e-reopen-3", "reverse:request_resolved")
    assert fold(events).balance(TODAY) == 0


def test_a_new_award_can_be_reversed_again_when_the_subject_was_reversed_before():
    events = given(
        score("e-1"),
        reverse("e-reopen-1"),
        score("e-2"),  # resolved again after the reopen
        reverse("e-reopen-2"),
        reverse("e-reopen-3"),
    )
    assert [(getattr(e, "kind", None), getattr(e, "note", None)) for e in events] == [
        ("award", None),
        ("reversal", "reverses e-1:request_resolved"),
        ("award", None),
        ("reversal", "reverses e-2:request_resolved"),
        (None, None),
    ]
    assert isinstance(events[-1], acc.ScoredNothing)
    assert fold(events).balance(TODAY) == 0


def test_a_deduction_is_given_back_when_it_is_reversed():
    events = given(
        score("e-1", NO_SHOW, subject=ACTIVITY),
        reverse("e-undo", subject=ACTIVITY, rule_id="activity_no_show"),
    )
    assert [(e.kind, e.amount) for e in events] == [("deduction", -3), ("reversal", 3)]
    assert fold(events).balance(TODAY) == 0


# --- manual awards ----------------------------------------------------------------------


def test_a_manual_award_is_refused_when_its_approver_is_who_records_it():
    with pytest.raises(CommandRejected) as refused:
        decide(None, manual(approver="staff-1", recorded_by="staff-1"))
    assert (type(refused.value), refused.value.rule) == (CommandRejected, "approver_must_differ")
    assert refused.value.field == "approver"


def test_a_manual_award_names_its_reason_and_approver_when_approved_by_another():
    events = decide(None, manual(20))
    assert events == [
        acc.PointsEntered(
            member_id=MEMBER,
            community_id=COMMUNITY,
            entry_id=MANUAL_ID,
            kind="manual",
            amount=20,
            occurred_at=NOW,
            note="扶贫帮困: helped a flood-hit family (approved by staff-2)",
        )
    ]
    assert "扶贫帮困" in events[0].note
    assert "staff-2" in events[0].note
    assert fold(events).balance(TODAY) == 20


def test_a_manual_award_can_take_points_away_when_negative():
    [entered] = decide(state_of(score("e-1")), manual(-4))
    assert (entered.kind, entered.amount) == ("manual", -4)
    assert state_of(score("e-1"), manual(-4)).balance(TODAY) == 1


@pytest.mark.parametrize(
    "change",
    [{"amount": 501}, {"amount": -501}, {"reason": "x"}, {"approver": ""}],
    ids=["too_much", "too_little", "reason_too_short", "no_approver"],
)
def test_a_manual_award_is_invalid_when_out_of_bounds(change):
    fields = {**manual().model_dump(), **change}
    with pytest.raises(ValidationError):
        acc.ManualAward(**fields)


# --- redemptions and refunds ------------------------------------------------------------


def test_a_redemption_is_refused_when_the_member_has_too_few_points():
    state = state_of(score("e-1"))
    with pytest.raises(CommandRejected) as refused:
        decide(state, redeem(points=6))
    assert (type(refused.value), refused.value.rule) == (CommandRejected, "insufficient_points")
    assert refusal(None, redeem(points=1)) == (CommandRejected, "insufficient_points")


def test_a_redemption_debits_the_points_when_the_balance_covers_them_exactly():
    state = state_of(score("e-1"))
    assert decide(state, redeem(points=5)) == [
        acc.PointsEntered(
            member_id=MEMBER,
            community_id=COMMUNITY,
            entry_id="redemption:rd-1",
            kind="redemption",
            amount=-5,
            subject_ref="rd-1",
            occurred_at=NOW,
        )
    ]
    assert state_of(score("e-1"), redeem(points=5)).balance(TODAY) == 0


def test_a_redemption_debits_once_when_its_id_arrives_again():
    state = state_of(score("e-1"), score("e-2", subject=OTHER_REQUEST), redeem(points=5))
    assert decide(state, redeem(points=5)) == []
    assert decide(state, redeem(points=1)) == []  # the id decides, not the amount
    assert state.balance(TODAY) == 5


def test_a_redemption_is_refused_when_deductions_left_the_balance_negative():
    state = state_of(score("e-1", NO_SHOW, subject=ACTIVITY))
    assert state.balance(TODAY) == -3
    assert refusal(state, redeem(points=1)) == (CommandRejected, "insufficient_points")


def test_a_refund_gives_the_points_back_when_the_redemption_is_cancelled():
    state = state_of(score("e-1"), redeem(points=5))
    assert decide(state, refund()) == [
        acc.PointsEntered(
            member_id=MEMBER,
            community_id=COMMUNITY,
            entry_id="refund:rd-1",
            kind="refund",
            amount=5,
            subject_ref="rd-1",
            occurred_at=NOW,
        )
    ]
    assert state_of(score("e-1"), redeem(points=5), refund()).balance(TODAY) == 5


def test_a_refund_gives_the_points_back_once_when_it_arrives_again():
    state = state_of(score("e-1"), redeem(points=5), refund())
    assert decide(state, refund()) == []
    assert decide(state, redeem(points=5)) == []  # a refunded redemption is not redone
    assert state.balance(TODAY) == 5


def test_a_refund_is_refused_when_the_redemption_is_unknown():
    state = state_of(score("e-1"), redeem("rd-1", points=5))
    with pytest.raises(InvalidValue) as refused:
        decide(state, refund("rd-2"))
    assert refused.value.rule == "no_such_redemption"
    assert refusal(None, refund("rd-1")) == (InvalidValue, "no_such_redemption")


# --- the decider ------------------------------------------------------------------------


def test_the_account_is_keyed_by_member_and_stores_its_two_event_types_when_declared():
    assert acc.account_id(MEMBER) == "account:m-1"
    assert acc.DECIDER.stream_type == "account"
    assert acc.DECIDER.initial_state is None
    assert acc.DECIDER.owns(["PointsEntered.v1", "ScoredNothing.v1"])
    assert not acc.DECIDER.owns(["GoodsTaken.v1"])
    assert acc.community_of(state_of(score("e-1"))) == COMMUNITY


def test_a_refusal_changes_nothing_when_the_state_is_folded_again():
    events = given(score("e-1"), redeem(points=5))
    state = fold(events)
    assert refusal(state, redeem("rd-2", points=1)) == (CommandRejected, "insufficient_points")
    assert fold(events) == state


# --- the balance, for any sequence of commands ------------------------------------------

P_START = datetime(2026, 5, 31, 10, 0, tzinfo=UTC)  # 18:00 on 31 May in Dong'an
P_RULES = (
    Rule(rule_id="request_resolved", trigger=RESOLVED_T, amount=5, cap_day=7),
    Rule(rule_id="volunteer_hours", trigger=HOURS_T, amount=3, per_hour=True, cap_month=10),
    Rule(rule_id="activity_no_show", trigger=NO_SHOW_T, amount=-2),
)
P_SOURCES = ("e-1", "e-2", "e-3", "e-4", "e-5", "e-6")
P_SUBJECTS = ("s-1", "s-2", "s-3")
P_REOPENS = ("x-1", "x-2", "x-3")
P_REDEMPTIONS = ("rd-1", "rd-2", "rd-3")

MOVES = st.lists(
    st.one_of(
        st.tuples(
            st.just("score"),
            st.sampled_from(P_SOURCES),
            st.sampled_from(P_RULES),
            st.sampled_from(P_SUBJECTS),
            st.integers(0, 30),  # hours after P_START: across China midnight into June
            st.sampled_from((0.5, 1.0, 2.5, 4.0)),
        ),
        st.tuples(
            st.just("reverse"),
            st.sampled_from(P_REOPENS),
            st.sampled_from(P_SUBJECTS),
            st.sampled_from([r.rule_id for r in P_RULES]),
        ),
        st.tuples(st.just("redeem"), st.sampled_from(P_REDEMPTIONS), st.integers(1, 10)),
        st.tuples(st.just("refund"), st.sampled_from(P_REDEMPTIONS)),
    ),
    min_size=5,
    max_size=60,
)


@settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@hypothesis.given(moves=MOVES)
def test_the_balance_is_the_sum_of_the_entries_when_any_commands_arrive_in_any_order(moves):
    state: acc.Account | None = None
    history: list = []
    balance = 0  # the model: the sum of every amount entered so far
    seen: set[tuple[str, str]] = set()
    open_entries: dict[tuple[str, str], list[tuple[str, int]]] = defaultdict(list)
    redemptions: dict[str, tuple[int, bool]] = {}
    awarded_in: dict[tuple[str, str], int] = defaultdict(int)  # (rule, period) -> points
    entries_by_key: dict[tuple[str, str], int] = defaultdict(int)

    for move in moves:
        kind = move[0]
        if kind == "score":
            _, source, rule, subject, hours, quantity = move
            at = P_START + hours * HOUR
            command = score(source, rule, subject=subject, at=at, quantity=quantity)
            events = decide(state, command, at)
            if (source, rule.rule_id) in seen:
                assert events == []
            else:
                [event] = events
                seen.add((source, rule.rule_id))
                if isinstance(event, acc.PointsEntered):
                    assert event.kind == ("award" if rule.amount > 0 else "deduction")
                    open_entries[(subject, rule.rule_id)].append((event.entry_id, event.amount))
                    if event.amount > 0:
                        day = local_day(at)
                        awarded_in[(rule.rule_id, f"day:{day}")] += event.amount
                        awarded_in[(rule.rule_id, f"month:{day:%Y-%m}")] += event.amount
                else:
                    assert rule.amount > 0  # only an award can be capped to nothing
        elif kind == "reverse":
            _, source, subject, rule_id = move
            events = decide(state, reverse(source, subject=subject, rule_id=rule_id))
            key = (source, f"reverse:{rule_id}")
            if key in seen:
                assert events == []
            else:
                seen.add(key)
                [event] = events
                made = open_entries[(subject, rule_id)]
                if not made:
                    assert event == nothing(source, f"reverse:{rule_id}")
                else:
                    entry_id, amount = made.pop()  # the latest unreversed one
                    assert (event.kind, event.amount) == ("reversal", -amount)
                    assert event.note == f"reverses {entry_id}"
        elif kind == "redeem":
            _, redemption_id, points = move
            command = redeem(redemption_id, points)
            if redemption_id in redemptions:
                events = decide(state, command)
                assert events == []
            elif balance < points:
                assert refusal(state, command) == (CommandRejected, "insufficient_points")
                events = []
            else:
                events = decide(state, command)
                assert [(e.kind, e.amount) for e in events] == [("redemption", -points)]
                redemptions[redemption_id] = (points, False)
                assert balance - points >= 0  # never negative through a redemption
        else:
            _, redemption_id = move
            if redemption_id not in redemptions:
                assert refusal(state, refund(redemption_id)) == (
                    InvalidValue,
                    "no_such_redemption",
                )
                events = []
            else:
                events = decide(state, refund(redemption_id))
                points, refunded = redemptions[redemption_id]
                if refunded:
                    assert events == []
                else:
                    assert [(e.kind, e.amount) for e in events] == [("refund", points)]
                    redemptions[redemption_id] = (points, True)

        for event in events:
            state = acc.evolve(state, event)
            if isinstance(event, acc.PointsEntered):
                balance += event.amount
                if event.kind in ("award", "deduction", "reversal"):
                    entries_by_key[(event.source_event_id, event.entry_id)] += 1
        history += events
        if state is not None:
            assert state.balance(TODAY) == balance == sum(entry[0] for entry in state.entries)

    entered = [e for e in history if isinstance(e, acc.PointsEntered)]
    assert sum(e.amount for e in entered) == balance
    assert all(count == 1 for count in entries_by_key.values())  # once per (source, rule)
    scored = [(e.source_event_id, e.rule_id) for e in entered if e.kind in ("award", "deduction")]
    assert len(scored) == len(set(scored))
    reversals = [e.note for e in entered if e.kind == "reversal"]
    assert len(reversals) == len(set(reversals))  # no entry is undone twice
    for rule in P_RULES:
        for (rule_id, period), points in awarded_in.items():
            if rule_id != rule.rule_id:
                continue
            cap = rule.cap_day if period.startswith("day:") else rule.cap_month
            assert cap is None or points <= cap
    assert fold(history) == state
