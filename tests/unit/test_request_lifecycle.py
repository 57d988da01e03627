"""The request aggregate's lifecycle: every transition and every rule, on the pure domain.

States are built by folding the events `decide` produced, so `evolve` is exercised too.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from grassroots_eventkit.domain import CommandRejected, InvalidValue, NotFound
from requests_service.domain import request as rq
from requests_service.domain.catalogue import DeadlineRule

from tests.support.story import Story

pytestmark = pytest.mark.unit

NOW = datetime(2026, 5, 9, 9, 30, tzinfo=UTC)
HOUR = timedelta(hours=1)
SECOND = timedelta(seconds=1)
RULE = DeadlineRule(respond_within=timedelta(hours=24), resolve_within=timedelta(days=7))
RESPOND_BY = NOW + timedelta(hours=24)
RESOLVE_BY = NOW + timedelta(days=7)
CONFIRM_WITHIN = timedelta(days=3)

REQUEST = "r-1"
OTHER_REQUEST = "r-2"
COMMUNITY = "c-chating"
ADDRESS = rq.Address(
    community_id=COMMUNITY,
    compound_id="x-1",
    area_id="a-1",
    building_id="b-1",
    household_id="h-1",
)
NEAR, FAR, OUTSIDER = "m-building", "m-compound", "m-elsewhere"
CHAIN = rq.Route(level="building", responsible_ids=(NEAR, FAR))
NOBODY = rq.Route(level="community")
TEXT = "楼道灯坏了三天, stairwell light out"
CONTACT = rq.Contact(name="张秀兰", phone="13907461234")
PHOTO = "https://photos.example/r-1/1.jpg"

RESIDENT = rq.Actor(kind="resident", id="res-1")
NEIGHBOUR = rq.Actor(kind="resident", id="res-2")
STAFF = rq.Actor(kind="community", id="staff-1")
HOUSING, POLICE = "housing", "public_security"


def member(member_id: str = NEAR) -> rq.Actor:
    return rq.Actor(kind="member", id=member_id)


def department(code: str = HOUSING) -> rq.Actor:
    return rq.Actor(kind="department", id=code)


story = Story(rq.DECIDER, NOW)
decide, fold, given, state_of, refusal = story.helpers()


# --- commands ---------------------------------------------------------------------------


def submit(
    *,
    request_id: str = REQUEST,
    route: rq.Route = CHAIN,
    channel: str = "app",
    resident_id: str | None = RESIDENT.id,
) -> rq.SubmitRequest:
    return rq.SubmitRequest(
        request_id=request_id,
        county="东安县",
        address=ADDRESS,
        category="repairs",
        channel=channel,
        text=TEXT,
        photos=(PHOTO,),
        contact=CONTACT,
        resident_id=resident_id,
        deadlines=RULE,
        route=route,
    )


def claim(member_id: str = NEAR) -> rq.ClaimRequest:
    return rq.ClaimRequest(request_id=REQUEST, member_id=member_id)


def assign(member_id: str, by: str = STAFF.id) -> rq.AssignRequest:
    return rq.AssignRequest(request_id=REQUEST, member_id=member_id, by=by)


def note(by: rq.Actor) -> rq.NoteProgress:
    return rq.NoteProgress(request_id=REQUEST, by=by, note="换了灯泡, 明天再看线路")


def resolve(by: rq.Actor) -> rq.ResolveRequest:
    return rq.ResolveRequest(
        request_id=REQUEST, by=by, resolution="灯已修好", confirm_within=CONFIRM_WITHIN
    )


def rate(rating: str, *, by: rq.Actor = RESIDENT, max_reopenings: int = 2) -> rq.RateRequest:
    return rq.RateRequest(
        request_id=REQUEST, by=by, rating=rating, comment="还行", max_reopenings=max_reopenings
    )


def escalate(
    by: rq.Actor, to_level: str, dept: str | None = None, whistle: str = "routine"
) -> rq.EscalateRequest:
    return rq.EscalateRequest(
        request_id=REQUEST,
        by=by,
        to_level=to_level,
        department=dept,
        whistle=whistle,
        reason="线路老化, 需要专业电工",
    )


def report(dept: str = HOUSING) -> rq.ReportForWhistle:
    return rq.ReportForWhistle(request_id=REQUEST, department=dept)


def deadline(kind: str, due_at: datetime, dept: str | None = None) -> rq.MarkDeadline:
    return rq.MarkDeadline(request_id=REQUEST, deadline=kind, due_at=due_at, department=dept)


def cancel(by: rq.Actor = RESIDENT) -> rq.CancelRequest:
    return rq.CancelRequest(request_id=REQUEST, by=by, reason="自己修好了")


def reject(by: rq.Actor = STAFF) -> rq.RejectRequest:
    return rq.RejectRequest(request_id=REQUEST, by=by, reason="不属于社区事务")


def merge(into: str = OTHER_REQUEST, by: rq.Actor = STAFF) -> rq.MergeRequest:
    return rq.MergeRequest(request_id=REQUEST, into_request_id=into, by=by)


def join(from_id: str, *supporters: str) -> rq.JoinSupporters:
    return rq.JoinSupporters(request_id=REQUEST, from_request_id=from_id, supporters=supporters)


# Stories most tests start from.
CLAIMED = (submit(), (claim(), NOW + HOUR))
RESOLVED = (*CLAIMED, (resolve(member()), NOW + 2 * HOUR))
CONFIRM_BY = NOW + 2 * HOUR + CONFIRM_WITHIN
AT_DEPARTMENT = (submit(), escalate(STAFF, "department", HOUSING))
DEPARTMENT_HOLDS = (*AT_DEPARTMENT, report(HOUSING))
CLOSED = (*RESOLVED, (rate("satisfied"), NOW + 3 * HOUR))


# --- submit -----------------------------------------------------------------------------


def test_submission_records_the_request_and_its_route_with_deadlines_from_the_rule_when_new():
    submitted, routed = decide(None, submit())
    assert submitted == rq.RequestSubmitted(
        request_id=REQUEST,
        county="东安县",
        address=ADDRESS,
        category="repairs",
        channel="app",
        text=TEXT,
        photos=(PHOTO,),
        contact=CONTACT,
        resident_id=RESIDENT.id,
        submitted_by=RESIDENT.id,
        at=NOW,
        respond_by=NOW + RULE.respond_within,
        resolve_by=NOW + RULE.resolve_within,
    )
    assert routed == rq.RequestRouted(request_id=REQUEST, route=CHAIN, at=NOW)


def test_a_submitted_request_is_open_at_the_nearest_level_of_its_chain_when_folded():
    state = state_of(submit())
    assert (state.status, state.level, state.responsible_ids) == ("open", "building", (NEAR, FAR))
    assert (state.holder, state.department, state.responded) == (None, None, False)
    assert (state.respond_by, state.resolve_by) == (RESPOND_BY, RESOLVE_BY)
    assert state.resolve_window == RULE.resolve_within
    assert state.supporters == (RESIDENT.id,)
    assert state.community_id == COMMUNITY
    assert not state.final


def test_submission_is_recorded_as_by_staff_when_taken_at_the_service_hall_without_a_resident():
    submitted, _ = decide(None, submit(channel="service_hall", resident_id=None))
    assert (submitted.resident_id, submitted.submitted_by) == (None, "staff")
    assert fold(given(submit(channel="service_hall", resident_id=None))).supporters == (
        f"request:{REQUEST}",
    )


def test_submission_is_refused_with_resident_required_when_the_app_channel_has_no_resident():
    assert refusal(None, submit(channel="app", resident_id=None)) == (
        InvalidValue,
        "resident_required",
    )


def test_submission_is_refused_with_request_exists_when_submitted_twice():
    assert refusal(state_of(submit()), submit()) == (CommandRejected, "request_exists")


# --- claim and assign -------------------------------------------------------------------


@pytest.mark.parametrize("member_id", [NEAR, FAR])
def test_a_claim_takes_the_request_when_the_member_is_in_the_chain(member_id):
    at = NOW + HOUR
    [claimed] = decide(state_of(submit()), claim(member_id), at)
    assert claimed == rq.RequestClaimed(
        request_id=REQUEST, member_id=member_id, assigned_by=None, at=at, within_deadline=True
    )
    state = fold([*given(submit()), claimed])
    assert (state.status, state.holder, state.responded) == (
        "claimed",
        rq.Holder("member", member_id),
        True,
    )


def test_a_claim_is_refused_with_not_in_chain_when_the_member_is_not_responsible_for_it():
    assert refusal(state_of(submit()), claim(OUTSIDER)) == (CommandRejected, "not_in_chain")


def test_a_claim_records_nothing_when_the_holder_claims_again():
    assert decide(state_of(*CLAIMED), claim(NEAR), NOW + 2 * HOUR) == []


def test_a_claim_is_refused_with_not_open_when_another_member_holds_it():
    assert refusal(state_of(*CLAIMED), claim(FAR)) == (CommandRejected, "not_open")


def test_a_claim_is_refused_with_not_open_when_the_request_is_resolved():
    assert refusal(state_of(*RESOLVED), claim(FAR)) == (CommandRejected, "not_open")


def test_an_assignment_gives_it_to_any_member_when_staff_assign_it():
    at = NOW + HOUR
    [claimed] = decide(state_of(submit()), assign(OUTSIDER), at)
    assert claimed == rq.RequestClaimed(
        request_id=REQUEST, member_id=OUTSIDER, assigned_by=STAFF.id, at=at, within_deadline=True
    )
    state = fold([*given(submit()), claimed])
    assert (state.status, state.holder) == ("claimed", rq.Holder("member", OUTSIDER))


def test_an_assignment_records_nothing_when_the_member_already_holds_it():
    assert decide(state_of(*CLAIMED), assign(NEAR)) == []


@pytest.mark.parametrize("command", [claim(NEAR), assign(OUTSIDER)])
def test_taking_it_is_refused_with_held_by_department_when_a_department_was_called(command):
    assert refusal(state_of(*AT_DEPARTMENT), command) == (CommandRejected, "held_by_department")


def test_a_claim_is_within_deadline_when_made_at_the_response_deadline():
    [claimed] = decide(state_of(submit()), claim(), RESPOND_BY)
    assert claimed.within_deadline is True


def test_a_claim_is_not_within_deadline_when_made_after_the_response_deadline():
    [claimed] = decide(state_of(submit()), claim(), RESPOND_BY + SECOND)
    assert claimed.within_deadline is False


@pytest.mark.parametrize("command", [claim(NEAR), assign(FAR)])
def test_taking_it_is_refused_with_request_final_when_it_is_closed(command):
    assert refusal(state_of(*CLOSED), command) == (CommandRejected, "request_final")


# --- progress notes ---------------------------------------------------------------------


def test_progress_is_noted_and_changes_nothing_else_when_the_holder_notes_it():
    before = state_of(*CLAIMED)
    at = NOW + 2 * HOUR
    [noted] = decide(before, note(member(NEAR)), at)
    assert noted == rq.ProgressNoted(
        request_id=REQUEST, by=member(NEAR), note="换了灯泡, 明天再看线路", at=at
    )
    assert rq.evolve(before, noted) == before


@pytest.mark.parametrize("by", [STAFF, member(FAR)], ids=["staff", "chain_member"])
def test_progress_is_noted_when_staff_or_another_chain_member_notes_it(by):
    [noted] = decide(state_of(*CLAIMED), note(by))
    assert noted.by == by


def test_progress_is_noted_when_the_called_department_notes_it():
    [noted] = decide(state_of(*AT_DEPARTMENT), note(department(HOUSING)))
    assert noted.by == department(HOUSING)


@pytest.mark.parametrize(
    "by",
    [member(OUTSIDER), RESIDENT, department(POLICE)],
    ids=["member_outside_chain", "resident", "uncalled_department"],
)
def test_a_progress_note_is_refused_with_not_responsible_when_the_author_is_not_responsible(by):
    assert refusal(state_of(*CLAIMED), note(by)) == (CommandRejected, "not_responsible")


def test_a_progress_note_is_refused_with_request_final_when_it_is_closed():
    assert refusal(state_of(*CLOSED), note(STAFF)) == (CommandRejected, "request_final")


# --- resolve ----------------------------------------------------------------------------


def test_a_resolution_is_recorded_with_its_confirmation_deadline_when_the_holder_resolves():
    at = NOW + 2 * HOUR
    [resolved] = decide(state_of(*CLAIMED), resolve(member(NEAR)), at)
    assert resolved == rq.RequestResolved(
        request_id=REQUEST,
        by=member(NEAR),
        resolution="灯已修好",
        level="building",
        at=at,
        within_deadline=True,
        confirm_by=at + CONFIRM_WITHIN,
    )
    state = fold([*given(*CLAIMED), resolved])
    assert (state.status, state.resolved_by, state.confirm_by) == (
        "resolved",
        member(NEAR),
        at + CONFIRM_WITHIN,
    )
    assert state.holder == rq.Holder("member", NEAR)


def test_a_resolution_is_not_within_deadline_when_made_after_the_resolution_deadline():
    [resolved] = decide(state_of(*CLAIMED), resolve(member(NEAR)), RESOLVE_BY + SECOND)
    assert resolved.within_deadline is False


def test_a_resolution_is_refused_with_not_holder_when_another_chain_member_resolves():
    assert refusal(state_of(*CLAIMED), resolve(member(FAR))) == (CommandRejected, "not_holder")


def test_a_resolution_is_refused_with_not_holder_when_a_member_resolves_an_unclaimed_request():
    assert refusal(state_of(submit()), resolve(member(NEAR))) == (CommandRejected, "not_holder")


def test_a_resolution_is_refused_with_not_holder_when_the_resident_resolves():
    assert refusal(state_of(*CLAIMED), resolve(RESIDENT)) == (CommandRejected, "not_holder")


def test_a_resolution_is_refused_with_not_holder_when_the_department_has_not_reported():
    assert refusal(state_of(*AT_DEPARTMENT), resolve(department(HOUSING))) == (
        CommandRejected,
        "not_holder",
    )


def test_a_resolution_is_recorded_when_community_staff_resolve_an_open_request():
    [resolved] = decide(state_of(submit()), resolve(STAFF))
    assert (resolved.by, resolved.level) == (STAFF, "building")
    state = fold([*given(submit()), resolved])
    assert (state.status, state.resolved_by, state.holder) == ("resolved", STAFF, None)


def test_a_resolution_is_refused_with_already_resolved_when_resolved_twice():
    assert refusal(state_of(*RESOLVED), resolve(member(NEAR))) == (
        CommandRejected,
        "already_resolved",
    )
    assert refusal(state_of(*RESOLVED), resolve(STAFF)) == (CommandRejected, "already_resolved")


def test_a_resolution_is_refused_with_request_final_when_it_is_closed():
    assert refusal(state_of(*CLOSED), resolve(STAFF)) == (CommandRejected, "request_final")


# --- rate -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "by", [NEIGHBOUR, member(NEAR), STAFF], ids=["other_resident", "member", "staff"]
)
def test_a_rating_is_refused_with_not_submitter_when_not_the_submitting_resident(by):
    assert refusal(state_of(*RESOLVED), rate("satisfied", by=by)) == (
        CommandRejected,
        "not_submitter",
    )


def test_a_rating_is_refused_with_not_submitter_when_staff_submitted_it_without_a_resident():
    story = (submit(channel="hotline", resident_id=None), resolve(STAFF))
    assert refusal(state_of(*story), rate("satisfied")) == (CommandRejected, "not_submitter")


@pytest.mark.parametrize("story", [(submit(),), CLAIMED], ids=["open", "claimed"])
def test_a_rating_is_refused_with_not_resolved_when_it_is_not_resolved_yet(story):
    assert refusal(state_of(*story), rate("satisfied")) == (CommandRejected, "not_resolved")


def test_a_rating_is_refused_with_request_final_when_it_is_closed():
    assert refusal(state_of(*CLOSED), rate("dissatisfied")) == (CommandRejected, "request_final")


@pytest.mark.parametrize("rating", ["satisfied", "basically_satisfied"])
def test_a_rating_closes_it_as_resolved_when_the_resident_is_satisfied(rating):
    at = NOW + 3 * HOUR
    rated, closed = decide(state_of(*RESOLVED), rate(rating), at)
    assert rated == rq.RequestRated(
        request_id=REQUEST, rating=rating, comment="还行", resolved_by=member(NEAR), at=at
    )
    assert closed == rq.RequestClosed(request_id=REQUEST, outcome="resolved", reason="rated", at=at)
    state = fold([*given(*RESOLVED), rated, closed])
    assert state.status == "closed"
    assert state.final


def test_a_rating_reopens_it_with_a_fresh_resolution_window_when_the_resident_is_dissatisfied():
    at = NOW + 3 * HOUR
    rated, reopened = decide(state_of(*RESOLVED), rate("dissatisfied"), at)
    assert rated.rating == "dissatisfied"
    assert reopened == rq.RequestReopened(
        request_id=REQUEST,
        at=at,
        resolve_by=at + RULE.resolve_within,
        previously_resolved_by=member(NEAR),
    )
    state = fold([*given(*RESOLVED), rated, reopened])
    assert (state.status, state.holder) == ("claimed", rq.Holder("member", NEAR))
    assert (state.resolve_by, state.confirm_by, state.reopenings) == (
        at + RULE.resolve_within,
        None,
        1,
    )


def test_a_reopened_request_is_open_without_holder_when_staff_had_resolved_it_unclaimed():
    story = (submit(), resolve(STAFF), (rate("dissatisfied"), NOW + HOUR))
    state = state_of(*story)
    assert (state.status, state.holder, state.reopenings) == ("open", None, 1)


def test_a_reopened_request_can_be_resolved_again_when_its_holder_resolves_it():
    story = (*RESOLVED, (rate("dissatisfied"), NOW + 3 * HOUR))
    [resolved] = decide(state_of(*story), resolve(member(NEAR)), NOW + 4 * HOUR)
    assert resolved.confirm_by == NOW + 4 * HOUR + CONFIRM_WITHIN


def test_a_rating_closes_it_unresolved_when_dissatisfied_beyond_max_reopenings():
    story = (
        *RESOLVED,
        (rate("dissatisfied", max_reopenings=1), NOW + 3 * HOUR),
        (resolve(member(NEAR)), NOW + 4 * HOUR),
    )
    at = NOW + 5 * HOUR
    rated, closed = decide(state_of(*story), rate("dissatisfied", max_reopenings=1), at)
    assert rated.rating == "dissatisfied"
    assert closed == rq.RequestClosed(
        request_id=REQUEST, outcome="unresolved", reason="reopened_too_often", at=at
    )
    assert fold([*given(*story), rated, closed]).status == "closed"


def test_a_rating_closes_it_unresolved_when_no_reopening_is_allowed():
    _, closed = decide(state_of(*RESOLVED), rate("dissatisfied", max_reopenings=0))
    assert (closed.outcome, closed.reason) == ("unresolved", "reopened_too_often")


# --- escalate (吹哨) ---------------------------------------------------------------------


def test_an_escalation_moves_it_to_the_community_when_a_chain_member_blows_the_whistle():
    at = NOW + 2 * HOUR
    [escalated] = decide(
        state_of(*CLAIMED), escalate(member(NEAR), "community", whistle="tough_problem"), at
    )
    assert escalated == rq.RequestEscalated(
        request_id=REQUEST,
        from_level="building",
        to_level="community",
        department=None,
        whistle="tough_problem",
        reason="线路老化, 需要专业电工",
        automatic=False,
        by=member(NEAR),
        at=at,
    )
    state = fold([*given(*CLAIMED), escalated])
    assert (state.status, state.level, state.holder, state.department) == (
        "open",
        "community",
        None,
        None,
    )


def test_an_escalation_is_refused_with_not_responsible_when_the_member_is_not_in_the_chain():
    assert refusal(state_of(submit()), escalate(member(OUTSIDER), "community")) == (
        CommandRejected,
        "not_responsible",
    )


def test_a_whistle_to_a_department_is_refused_when_a_member_blows_it():
    assert refusal(state_of(*CLAIMED), escalate(member(NEAR), "department", HOUSING)) == (
        CommandRejected,
        "whistle_to_department_by_community",
    )


def test_an_escalation_moves_it_to_the_department_when_staff_call_one():
    [escalated] = decide(state_of(*CLAIMED), escalate(STAFF, "department", HOUSING, "emergency"))
    assert (escalated.from_level, escalated.to_level, escalated.department) == (
        "building",
        "department",
        HOUSING,
    )
    assert (escalated.whistle, escalated.automatic, escalated.by) == ("emergency", False, STAFF)
    state = fold([*given(*CLAIMED), escalated])
    assert (state.status, state.level, state.department, state.holder) == (
        "open",
        "department",
        HOUSING,
        None,
    )


def test_an_escalation_is_refused_with_department_required_when_staff_name_no_department():
    assert refusal(state_of(submit()), escalate(STAFF, "department")) == (
        InvalidValue,
        "department_required",
    )


def test_an_escalation_is_refused_when_a_department_is_named_for_the_community_level():
    assert refusal(state_of(submit()), escalate(STAFF, "community", HOUSING)) == (
        InvalidValue,
        "department_only_for_department_level",
    )


def test_an_escalation_is_refused_with_already_at_level_when_it_is_already_with_the_community():
    state = state_of(submit(route=NOBODY))
    assert refusal(state, escalate(STAFF, "community")) == (CommandRejected, "already_at_level")


def test_an_escalation_is_refused_with_already_at_level_when_that_department_already_has_it():
    assert refusal(state_of(*AT_DEPARTMENT), escalate(STAFF, "department", HOUSING)) == (
        CommandRejected,
        "already_at_level",
    )


def test_an_escalation_moves_it_to_another_department_when_staff_call_a_different_one():
    [escalated] = decide(state_of(*DEPARTMENT_HOLDS), escalate(STAFF, "department", POLICE))
    state = fold([*given(*DEPARTMENT_HOLDS), escalated])
    assert (state.level, state.department, state.holder, state.status) == (
        "department",
        POLICE,
        None,
        "open",
    )


def test_an_escalation_is_refused_with_already_resolved_when_it_waits_for_the_resident():
    assert refusal(state_of(*RESOLVED), escalate(member(NEAR), "community")) == (
        CommandRejected,
        "already_resolved",
    )


def test_an_escalation_is_refused_with_request_final_when_it_is_closed():
    assert refusal(state_of(*CLOSED), escalate(STAFF, "department", HOUSING)) == (
        CommandRejected,
        "request_final",
    )


# --- department report (报到) ------------------------------------------------------------


def test_a_department_report_is_refused_with_not_called_when_another_department_reports():
    assert refusal(state_of(*AT_DEPARTMENT), report(POLICE)) == (CommandRejected, "not_called")


def test_a_department_report_is_refused_with_not_called_when_no_department_was_called():
    assert refusal(state_of(submit()), report(HOUSING)) == (CommandRejected, "not_called")


def test_a_department_takes_it_and_then_resolves_it_when_the_called_department_reports():
    at = NOW + HOUR
    [reported] = decide(state_of(*AT_DEPARTMENT), report(HOUSING), at)
    assert reported == rq.DepartmentReported(request_id=REQUEST, department=HOUSING, at=at)
    story = [*given(*AT_DEPARTMENT), reported]
    state = fold(story)
    assert (state.status, state.holder, state.responded) == (
        "claimed",
        rq.Holder("department", HOUSING),
        True,
    )
    [resolved] = decide(state, resolve(department(HOUSING)), at + HOUR)
    assert (resolved.by, resolved.level) == (department(HOUSING), "department")
    assert fold([*story, resolved]).status == "resolved"


def test_a_department_report_records_nothing_when_the_department_reports_twice():
    assert decide(state_of(*DEPARTMENT_HOLDS), report(HOUSING)) == []


def test_a_resolution_is_refused_with_not_holder_when_an_uncalled_department_resolves():
    assert refusal(state_of(*DEPARTMENT_HOLDS), resolve(department(POLICE))) == (
        CommandRejected,
        "not_holder",
    )


def test_a_request_stays_resolved_when_the_called_department_reports_after_staff_resolved_it():
    # Staff resolved it while the called department had not reported yet; a late report
    # must not take it back from the resident's confirmation (refused or no event).
    state = state_of(*AT_DEPARTMENT, (resolve(STAFF), NOW + HOUR))
    assert state.status == "resolved"
    try:
        events = decide(state, report(HOUSING), NOW + 2 * HOUR)
    except CommandRejected:
        events = []
    after = fold([*given(*AT_DEPARTMENT, (resolve(STAFF), NOW + HOUR)), *events])
    assert after.status == "resolved"


# --- deadlines --------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "due_at"), [("response", RESPOND_BY), ("resolution", RESOLVE_BY)])
def test_a_deadline_raises_nothing_when_marked_before_it_is_due(kind, due_at):
    assert decide(state_of(submit()), deadline(kind, due_at, HOUSING), due_at - SECOND) == []


def test_a_confirmation_deadline_raises_nothing_when_marked_before_it_is_due():
    assert (
        decide(state_of(*RESOLVED), deadline("confirmation", CONFIRM_BY), CONFIRM_BY - SECOND) == []
    )


def test_a_missed_response_escalates_automatically_to_the_community_when_held_at_a_grid_level():
    at = RESPOND_BY + SECOND
    missed, escalated = decide(state_of(submit()), deadline("response", RESPOND_BY, HOUSING), at)
    assert missed == rq.DeadlineMissed(
        request_id=REQUEST, deadline="response", due_at=RESPOND_BY, level="building", at=at
    )
    assert escalated == rq.RequestEscalated(
        request_id=REQUEST,
        from_level="building",
        to_level="community",
        department=None,
        whistle="routine",
        reason="deadline missed",
        automatic=True,
        by=None,
        at=at,
    )
    state = fold([*given(submit()), missed, escalated])
    assert (state.status, state.level, state.department) == ("open", "community", None)
    assert state.missed == frozenset({"response"})


def test_a_missed_response_is_raised_once_when_the_timer_marks_it_twice():
    story = (submit(), (deadline("response", RESPOND_BY), RESPOND_BY))
    assert decide(state_of(*story), deadline("response", RESPOND_BY), RESPOND_BY + HOUR) == []


def test_a_missed_response_is_raised_without_escalation_when_held_by_the_community():
    at = RESPOND_BY + HOUR
    [missed] = decide(state_of(submit(route=NOBODY)), deadline("response", RESPOND_BY), at)
    assert (missed.deadline, missed.level, missed.due_at) == ("response", "community", RESPOND_BY)


def test_a_response_deadline_raises_nothing_when_it_was_claimed():
    assert decide(state_of(*CLAIMED), deadline("response", RESPOND_BY), RESPOND_BY + HOUR) == []


def test_a_response_deadline_raises_nothing_when_the_due_time_is_not_the_requests():
    stale = RESPOND_BY - HOUR
    assert decide(state_of(submit()), deadline("response", stale), RESPOND_BY + HOUR) == []


def test_a_missed_resolution_escalates_to_the_categorys_department_when_held_by_the_community():
    at = RESOLVE_BY + HOUR
    state = state_of(submit(route=NOBODY), assign(OUTSIDER))
    missed, escalated = decide(state, deadline("resolution", RESOLVE_BY, HOUSING), at)
    assert missed == rq.DeadlineMissed(
        request_id=REQUEST, deadline="resolution", due_at=RESOLVE_BY, level="community", at=at
    )
    assert escalated == rq.RequestEscalated(
        request_id=REQUEST,
        from_level="community",
        to_level="department",
        department=HOUSING,
        whistle="tough_problem",
        reason="deadline missed",
        automatic=True,
        by=None,
        at=at,
    )
    after = fold([*given(submit(route=NOBODY), assign(OUTSIDER)), missed, escalated])
    assert (after.status, after.level, after.department, after.holder) == (
        "open",
        "department",
        HOUSING,
        None,
    )
    assert after.missed == frozenset({"resolution"})


def test_a_missed_resolution_escalates_to_the_community_when_claimed_at_a_grid_level():
    at = RESOLVE_BY + HOUR
    missed, escalated = decide(state_of(*CLAIMED), deadline("resolution", RESOLVE_BY, HOUSING), at)
    assert (missed.level, escalated.from_level, escalated.to_level) == (
        "building",
        "building",
        "community",
    )
    assert (escalated.department, escalated.automatic, escalated.whistle) == (
        None,
        True,
        "tough_problem",
    )


def test_a_missed_resolution_is_raised_without_escalation_when_the_category_has_no_department():
    [missed] = decide(
        state_of(submit(route=NOBODY)), deadline("resolution", RESOLVE_BY), RESOLVE_BY
    )
    assert (missed.deadline, missed.level) == ("resolution", "community")


def test_a_missed_resolution_is_raised_without_escalation_when_a_department_holds_it():
    [missed] = decide(
        state_of(*DEPARTMENT_HOLDS), deadline("resolution", RESOLVE_BY, POLICE), RESOLVE_BY
    )
    assert (missed.deadline, missed.level) == ("resolution", "department")


def test_a_missed_resolution_is_raised_once_when_the_timer_marks_it_twice():
    story = (*CLAIMED, (deadline("resolution", RESOLVE_BY, HOUSING), RESOLVE_BY))
    assert decide(state_of(*story), deadline("resolution", RESOLVE_BY, HOUSING), RESOLVE_BY) == []


def test_a_resolution_deadline_raises_nothing_when_it_is_resolved():
    assert decide(state_of(*RESOLVED), deadline("resolution", RESOLVE_BY), RESOLVE_BY + HOUR) == []


def test_a_resolution_deadline_raises_nothing_when_a_reopening_moved_it():
    story = (*RESOLVED, (rate("dissatisfied"), NOW + 3 * HOUR))
    state = state_of(*story)
    assert state.resolve_by != RESOLVE_BY
    assert decide(state, deadline("resolution", RESOLVE_BY), RESOLVE_BY + HOUR) == []


def test_a_missed_resolution_is_raised_again_when_the_reopened_deadline_passes():
    # The first resolution deadline was missed, then it was resolved and reopened.
    story = (
        *CLAIMED,
        (deadline("resolution", RESOLVE_BY), RESOLVE_BY),
        (assign(NEAR), RESOLVE_BY + HOUR),
        (resolve(member(NEAR)), RESOLVE_BY + 2 * HOUR),
        (rate("dissatisfied"), RESOLVE_BY + 3 * HOUR),
    )
    state = state_of(*story)
    assert state.resolve_by == RESOLVE_BY + 3 * HOUR + RULE.resolve_within
    assert "resolution" not in state.missed
    [missed] = decide(state, deadline("resolution", state.resolve_by), state.resolve_by)
    assert (missed.deadline, missed.due_at) == ("resolution", state.resolve_by)


def test_a_confirmation_deadline_closes_it_as_resolved_once_when_the_resident_did_not_rate():
    [closed] = decide(state_of(*RESOLVED), deadline("confirmation", CONFIRM_BY), CONFIRM_BY)
    assert closed == rq.RequestClosed(
        request_id=REQUEST, outcome="resolved", reason="not_confirmed", at=CONFIRM_BY
    )
    story = (*RESOLVED, (deadline("confirmation", CONFIRM_BY), CONFIRM_BY))
    state = state_of(*story)
    assert state.status == "closed"
    assert decide(state, deadline("confirmation", CONFIRM_BY), CONFIRM_BY + HOUR) == []


def test_a_confirmation_deadline_raises_nothing_when_the_due_time_is_not_the_requests():
    stale = CONFIRM_BY - HOUR
    assert decide(state_of(*RESOLVED), deadline("confirmation", stale), CONFIRM_BY) == []


def test_a_confirmation_deadline_raises_nothing_when_it_is_not_resolved():
    assert decide(state_of(*CLAIMED), deadline("confirmation", CONFIRM_BY), CONFIRM_BY) == []


@pytest.mark.parametrize(
    ("kind", "due_at"),
    [("response", RESPOND_BY), ("resolution", RESOLVE_BY), ("confirmation", CONFIRM_BY)],
)
def test_a_deadline_raises_nothing_when_the_request_is_final(kind, due_at):
    cancelled = state_of(submit(), cancel())
    assert decide(cancelled, deadline(kind, due_at, HOUSING), due_at + HOUR) == []


# --- cancel and reject ------------------------------------------------------------------


def test_a_cancellation_is_recorded_when_the_submitter_cancels():
    at = NOW + HOUR
    [cancelled] = decide(state_of(*CLAIMED), cancel(), at)
    assert cancelled == rq.RequestCancelled(request_id=REQUEST, reason="自己修好了", at=at)
    state = fold([*given(*CLAIMED), cancelled])
    assert state.status == "cancelled"
    assert state.final


@pytest.mark.parametrize(
    "by", [NEIGHBOUR, STAFF, member(NEAR)], ids=["other_resident", "staff", "member"]
)
def test_a_cancellation_is_refused_with_not_submitter_when_someone_else_cancels(by):
    assert refusal(state_of(submit()), cancel(by)) == (CommandRejected, "not_submitter")


def test_a_cancellation_is_refused_with_request_final_when_it_is_closed():
    assert refusal(state_of(*CLOSED), cancel()) == (CommandRejected, "request_final")


def test_a_rejection_is_recorded_when_staff_reject_it():
    [rejected] = decide(state_of(submit()), reject(), NOW + HOUR)
    assert rejected == rq.RequestRejected(
        request_id=REQUEST, by=STAFF, reason="不属于社区事务", at=NOW + HOUR
    )
    assert fold([*given(submit()), rejected]).status == "rejected"


def test_a_rejection_is_refused_with_request_final_when_it_was_cancelled():
    assert refusal(state_of(submit(), cancel()), reject()) == (CommandRejected, "request_final")


@pytest.mark.parametrize("by", [member(), RESIDENT, department()])
def test_rejecting_and_merging_are_refused_with_community_only_when_not_staff(by):
    assert refusal(state_of(submit()), reject(by)) == (CommandRejected, "community_only")
    assert refusal(state_of(submit()), merge(by=by)) == (CommandRejected, "community_only")


# --- merge and supporters ---------------------------------------------------------------


def test_a_merge_is_refused_with_merge_into_itself_when_the_target_is_the_request():
    assert refusal(state_of(submit()), merge(into=REQUEST)) == (InvalidValue, "merge_into_itself")


def test_a_merge_folds_it_into_the_target_when_staff_merge_a_duplicate():
    [merged] = decide(state_of(submit()), merge(), NOW + HOUR)
    assert merged == rq.RequestMerged(
        request_id=REQUEST, into_request_id=OTHER_REQUEST, at=NOW + HOUR
    )
    state = fold([*given(submit()), merged])
    assert (state.status, state.merged_into, state.final) == ("merged", OTHER_REQUEST, True)


def test_a_merge_records_nothing_when_retried_with_the_same_target():
    assert decide(state_of(submit(), merge()), merge(), NOW + HOUR) == []


def test_a_merge_is_refused_with_already_merged_when_retried_with_another_target():
    assert refusal(state_of(submit(), merge()), merge(into="r-3")) == (
        CommandRejected,
        "already_merged",
    )


def test_a_merge_is_refused_with_request_final_when_it_is_closed():
    assert refusal(state_of(*CLOSED), merge()) == (CommandRejected, "request_final")


def test_supporters_join_without_duplicates_when_a_duplicate_is_merged_in():
    [joined] = decide(state_of(submit()), join(OTHER_REQUEST, "res-2", RESIDENT.id, "res-3"))
    assert joined == rq.SupportersJoined(
        request_id=REQUEST,
        from_request_id=OTHER_REQUEST,
        supporters=("res-2", RESIDENT.id, "res-3"),
    )
    state = fold([*given(submit()), joined])
    assert state.supporters == (RESIDENT.id, "res-2", "res-3")
    assert state.merged_from == frozenset({OTHER_REQUEST})


def test_supporters_join_records_nothing_when_the_same_duplicate_joins_again():
    story = (submit(), join(OTHER_REQUEST, "res-2"))
    assert decide(state_of(*story), join(OTHER_REQUEST, "res-2", "res-9")) == []


def test_supporters_join_again_when_a_second_duplicate_is_merged_in():
    story = (submit(), join(OTHER_REQUEST, "res-2"), join("r-3", "res-3", "res-2"))
    state = state_of(*story)
    assert state.supporters == (RESIDENT.id, "res-2", "res-3")
    assert state.merged_from == frozenset({OTHER_REQUEST, "r-3"})


def test_supporters_join_is_refused_with_request_final_when_it_is_closed():
    assert refusal(state_of(*CLOSED), join(OTHER_REQUEST, "res-2")) == (
        CommandRejected,
        "request_final",
    )


# --- missing request, stored events -----------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        claim(),
        assign(NEAR),
        note(STAFF),
        resolve(STAFF),
        rate("satisfied"),
        escalate(STAFF, "community"),
        report(),
        deadline("response", RESPOND_BY),
        cancel(),
        reject(),
        merge(),
        join(OTHER_REQUEST, "res-2"),
    ],
    ids=lambda command: type(command).__name__,
)
def test_a_command_is_refused_with_request_not_found_when_the_request_does_not_exist(command):
    with pytest.raises(NotFound) as refused:
        decide(None, command, RESOLVE_BY + HOUR)
    assert refused.value.rule == "request_not_found"
    assert refused.value.status == 404


def test_stored_events_decode_back_to_the_same_events_when_read_from_the_store():
    story = given(
        *RESOLVED,
        (rate("dissatisfied"), NOW + 3 * HOUR),
        (escalate(STAFF, "department", HOUSING), NOW + 4 * HOUR),
        (report(HOUSING), NOW + 5 * HOUR),
        (deadline("resolution", NOW + 3 * HOUR + RULE.resolve_within), RESOLVE_BY + HOUR * 4),
        (note(department(HOUSING)), RESOLVE_BY + 5 * HOUR),
        (join(OTHER_REQUEST, "res-2"), RESOLVE_BY + 5 * HOUR),
        (resolve(department(HOUSING)), RESOLVE_BY + 6 * HOUR),
        (rate("satisfied"), RESOLVE_BY + 7 * HOUR),
    )
    types = rq.DECIDER.event_types
    assert len(story) == 14
    for event in story:
        assert types.decode(event.stored_type(), event.model_dump(mode="json")) == event


# --- re-route when the chain changes -----------------------------------------------------

NEW_CHAIN = rq.Route(level="building", responsible_ids=("m-new", FAR))


def test_an_open_request_follows_the_new_chain_when_rerouted():
    [routed] = decide(state_of(submit()), rq.RerouteRequest(request_id=REQUEST, route=NEW_CHAIN))
    assert routed == rq.RequestRouted(request_id=REQUEST, route=NEW_CHAIN, at=NOW)
    assert fold([*given(submit()), routed]).responsible_ids == ("m-new", FAR)


def test_a_reroute_changes_nothing_when_the_chain_is_the_same():
    assert decide(state_of(submit()), rq.RerouteRequest(request_id=REQUEST, route=CHAIN)) == []


@pytest.mark.parametrize(
    "steps",
    [CLAIMED, (submit(), escalate(STAFF, "community")), (submit(), cancel())],
    ids=["taken", "whistled_up", "cancelled"],
)
def test_a_reroute_leaves_a_request_alone_when_it_is_taken_whistled_up_or_final(steps):
    state = state_of(*steps)
    assert decide(state, rq.RerouteRequest(request_id=REQUEST, route=NEW_CHAIN)) == []
