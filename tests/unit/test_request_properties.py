"""Properties of the request aggregate over random command sequences from a few actors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from grassroots_eventkit.domain import CommandRejected
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from requests_service import publication
from requests_service.domain import request as rq
from requests_service.domain.catalogue import DeadlineRule

pytestmark = pytest.mark.unit

START = datetime(2026, 5, 9, 9, 30, tzinfo=UTC)
RULE = DeadlineRule(respond_within=timedelta(hours=24), resolve_within=timedelta(days=7))
REQUEST = "r-1"
ADDRESS = rq.Address(community_id="c-chating", building_id="b-1")
ROUTES = (
    rq.Route(level="building", responsible_ids=("m-near", "m-far")),
    rq.Route(level="community"),
)

RESIDENTS = (rq.Actor(kind="resident", id="res-1"), rq.Actor(kind="resident", id="res-2"))
MEMBERS = ("m-near", "m-far", "m-outside")
DEPARTMENTS = ("housing", "public_security")
STAFF = rq.Actor(kind="community", id="staff-1")
ACTORS = (
    *RESIDENTS,
    *(rq.Actor(kind="member", id=m) for m in MEMBERS),
    *(rq.Actor(kind="department", id=d) for d in DEPARTMENTS),
    STAFF,
)
# Weighted so that walks get far (resolved, rated, reopened, a department reporting)
# before something makes them final.
KINDS = (
    *("claim", "assign", "note", "escalate", "report") * 3,
    *("resolve", "rate", "deadline") * 6,
    "submit",
    "cancel",
    "reject",
    "merge",
    "join",
)
STEPS = (
    timedelta(0),
    timedelta(minutes=30),
    timedelta(hours=6),
    timedelta(days=1),
    timedelta(days=3),
    timedelta(days=8),
)


def _no_ids() -> str:
    raise AssertionError("the request decider never makes ids")


def submit(route: rq.Route, resident_id: str | None) -> rq.SubmitRequest:
    return rq.SubmitRequest(
        request_id=REQUEST,
        county="东安县",
        address=ADDRESS,
        category="repairs",
        channel="app" if resident_id else "hotline",
        text="楼道灯坏了",
        resident_id=resident_id,
        deadlines=RULE,
        route=route,
    )


@st.composite
def commands(draw: st.DrawFn, state: rq.Request, now: datetime) -> rq.RequestCommand:
    # Half the time whoever may act on it now, else anyone: deep walks and refusals both.
    holder = state.holder
    if state.status == "resolved" and state.resident_id is not None:
        likely = rq.Actor(kind="resident", id=state.resident_id)
    elif holder is not None:
        likely = rq.Actor(kind=holder.kind, id=holder.id)
    else:
        likely = STAFF
    actor = draw(st.one_of(st.just(likely), st.sampled_from(ACTORS)))
    member_id = draw(st.sampled_from(MEMBERS))
    dept = draw(st.sampled_from((state.department or DEPARTMENTS[0], None, *DEPARTMENTS)))
    due_times = [state.respond_by, state.resolve_by, now - timedelta(hours=1)]
    if state.confirm_by is not None:
        due_times.append(state.confirm_by)
    kind = draw(st.sampled_from(KINDS))
    match kind:
        case "submit":
            return submit(ROUTES[0], "res-1")
        case "claim":
            return rq.ClaimRequest(request_id=REQUEST, member_id=member_id)
        case "assign":
            return rq.AssignRequest(request_id=REQUEST, member_id=member_id, by="staff-1")
        case "note":
            return rq.NoteProgress(request_id=REQUEST, by=actor, note="进展")
        case "resolve":
            return rq.ResolveRequest(
                request_id=REQUEST, by=actor, resolution="修好了", confirm_within=timedelta(days=3)
            )
        case "rate":
            return rq.RateRequest(
                request_id=REQUEST,
                by=actor,
                rating=draw(st.sampled_from(("satisfied", "basically_satisfied", "dissatisfied"))),
                max_reopenings=draw(st.integers(0, 2)),
            )
        case "escalate":
            return rq.EscalateRequest(
                request_id=REQUEST,
                by=actor,
                to_level=draw(st.sampled_from(("community", "department"))),
                department=dept,
                whistle=draw(st.sampled_from(("routine", "tough_problem", "emergency"))),
                reason="需要上级",
            )
        case "report":
            return rq.ReportForWhistle(request_id=REQUEST, department=dept or DEPARTMENTS[0])
        case "deadline":
            return rq.MarkDeadline(
                request_id=REQUEST,
                deadline=draw(st.sampled_from(("response", "resolution", "confirmation"))),
                due_at=draw(st.sampled_from(due_times)),
                department=dept,
            )
        case "cancel":
            return rq.CancelRequest(request_id=REQUEST, by=actor)
        case "reject":
            return rq.RejectRequest(request_id=REQUEST, by=actor, reason="不受理")
        case "merge":
            into = draw(st.sampled_from((REQUEST, "r-2", "r-3")))
            return rq.MergeRequest(request_id=REQUEST, into_request_id=into, by=actor)
        case _:
            source = draw(st.sampled_from(("r-2", "r-3")))
            return rq.JoinSupporters(
                request_id=REQUEST, from_request_id=source, supporters=("res-2", "res-3")
            )


@settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    data=st.data(),
    route=st.sampled_from(ROUTES),
    resident_id=st.sampled_from(("res-1", None)),
    length=st.integers(1, 30),
)
def test_random_command_sequences_keep_the_aggregate_consistent_when_decided(
    data, route, resident_id, length
):
    now = START
    history = rq.decide(None, submit(route, resident_id), now=now, new_id=_no_ids)
    state = rq.DECIDER.fold(history)
    raised: set[tuple[str, datetime]] = set()
    for _ in range(length):
        now += data.draw(st.sampled_from(STEPS))
        command = data.draw(commands(state, now))
        before = state
        try:
            events = rq.decide(state, command, now=now, new_id=_no_ids)
        except CommandRejected:  # any other exception fails the test
            events = []
        for event in events:
            state = rq.evolve(state, event)
            assert state is not None
            # every stored event can be published from the state right after it
            public = publication.to_public(event, state)
            assert (public.request_id, public.community_id) == (REQUEST, "c-chating")
            if isinstance(event, rq.DeadlineMissed):
                key = (event.deadline, event.due_at)
                assert key not in raised, "a deadline was raised twice"
                raised.add(key)
        history = [*history, *events]
        if before.final:
            assert events == []
            assert state.status == before.status
        assert rq.DECIDER.fold(history) == state
