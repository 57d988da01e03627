"""The chaos checker's judgement, on hand-made stored events and read-model answers: what
makes an accepted command found, lost or duplicated (grassroots_stack.chaos)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from grassroots_stack.chaos.checker import DUPLICATED, FOUND, LOST, judge, key_of
from grassroots_stack.chaos.effects import Effects, Probe, Stored
from grassroots_stack.chaos.probes import effects_of, match
from grassroots_stack.chaos.stores import Stores

pytestmark = pytest.mark.unit

T0 = datetime(2026, 5, 9, 9, 30, tzinfo=UTC)
COMMUNITY = "c-1"
MEMBER = "m-1"


@dataclass(frozen=True)
class Cmd:
    kind: str
    target: str
    member: str | None
    answered_at: float


def stored(stream: str, version: int, event_type: str, at: datetime, **data: Any) -> Stored:
    return Stored(
        event_id=f"{stream}-{version}",
        event_type=event_type,
        stream_id=stream,
        version=version,
        community_id=COMMUNITY,
        data={"at": at.isoformat(), **data},
        recorded_at=at,
    )


def answered(at: datetime) -> float:
    return (at + timedelta(milliseconds=5)).timestamp()


def request_life(stores: Stores, rid: str) -> list[Cmd]:
    """A request submitted, claimed and resolved by MEMBER, rated satisfied (then closed)."""
    at = [T0 + timedelta(seconds=n) for n in range(4)]
    stores.add(
        [
            stored(rid, 1, "RequestSubmitted.v1", at[0], resident_id=f"res-{rid}"),
            stored(rid, 2, "RequestClaimed.v1", at[1], member_id=MEMBER),
            stored(rid, 3, "RequestResolved.v1", at[2], by={"kind": "member", "id": MEMBER}),
            stored(
                rid,
                4,
                "RequestRated.v1",
                at[3],
                rating="satisfied",
                resolved_by={"kind": "member", "id": MEMBER},
            ),
            stored(rid, 5, "RequestClosed.v1", at[3], outcome="resolved"),
        ]
    )
    stores.submissions[f"res-{rid}"] += 1
    for source, rule in ((f"{rid}-3", "request_resolved"), (f"{rid}-4", "satisfied_rating")):
        stores.scores[source].append(
            Stored(
                f"entry-{source}",
                "PointsEntered.v1",
                f"account:{MEMBER}",
                1,
                COMMUNITY,
                {"source_event_id": source, "rule_id": rule, "entry_id": f"{source}:{rule}"},
                at[3],
            )
        )
    return [
        Cmd("submit", rid, None, answered(at[0])),
        Cmd("claim", rid, MEMBER, answered(at[1])),
        Cmd("resolve", rid, MEMBER, answered(at[2])),
        Cmd("rate", rid, None, answered(at[3])),
    ]


def answers(effects: Effects, shown: Callable[[Probe], int] | None = None) -> dict[Any, int]:
    """What the read models answer: what the store expects, unless `shown` says otherwise."""
    probes = [p for ps in effects.probes.values() for p in ps]
    probes += [t.probe for t in effects.tallies.values()]
    return {key_of(p): shown(p) if shown else p.expected for p in probes}


def test_every_step_of_a_request_is_found_when_each_read_model_shows_it_once():
    stores = Stores()
    ledger = request_life(stores, "r-1")
    effects = effects_of(ledger, stores)
    verdicts = judge(ledger, effects, answers(effects))
    assert [verdicts.by_command[i] for i in range(4)] == [FOUND] * 4
    models = {p.model for ps in effects.probes.values() for p in ps}
    assert {
        "requests.rq_requests",
        "projections.pj_rq_requests",
        "requests.rq_ratings",
        "projections.pj_rq_ratings",
        "points.pt_sources",
        "points.es_events",
        "points.pt_entries",
        "projections.pj_pt_entries",
    } <= models


def test_a_command_is_lost_when_one_read_model_does_not_show_it():
    stores = Stores()
    ledger = request_life(stores, "r-1")
    effects = effects_of(ledger, stores)

    def dashboard_missed_the_submission(p: Probe) -> int:
        return 0 if p.model == "projections.pj_rq_requests" and len(p.args) == 2 else p.expected

    verdicts = judge(ledger, effects, answers(effects, dashboard_missed_the_submission))
    assert verdicts.by_command[0] == LOST
    assert verdicts.wrong["lost in projections.pj_rq_requests"] == 1
    assert verdicts.count(FOUND) == 3


def test_a_resolution_is_duplicated_when_the_member_was_scored_twice_for_it():
    stores = Stores()
    ledger = request_life(stores, "r-1")
    effects = effects_of(ledger, stores)

    def scored_twice(p: Probe) -> int:
        return 2 if p.model == "points.es_events" and "r-1-3" in p.args else p.expected

    verdicts = judge(ledger, effects, answers(effects, scored_twice))
    assert verdicts.by_command[2] == DUPLICATED
    assert verdicts.count(DUPLICATED) == 1


def test_a_resolution_is_lost_when_the_points_policy_never_scored_it():
    stores = Stores()
    ledger = request_life(stores, "r-1")
    del stores.scores["r-1-3"]
    effects = effects_of(ledger, stores)
    verdicts = judge(
        ledger, effects, answers(effects, lambda p: 0 if "r-1-3" in p.args else p.expected)
    )
    assert verdicts.by_command[2] == LOST
    assert verdicts.wrong["lost in points.es_events"] == 1


def test_a_submission_is_duplicated_when_its_retry_stored_a_second_request():
    stores = Stores()
    ledger = request_life(stores, "r-1")
    effects = effects_of(ledger, stores)

    def resident_submitted_twice(p: Probe) -> int:
        return 2 if p.model == "requests.es_events" else p.expected

    verdicts = judge(ledger, effects, answers(effects, resident_submitted_twice))
    assert verdicts.by_command[0] == DUPLICATED


def test_an_answered_command_the_store_does_not_have_is_lost():
    stores = Stores()
    ledger = [*request_life(stores, "r-1"), Cmd("submit", "r-ghost", None, answered(T0))]
    effects = effects_of(ledger, stores)
    verdicts = judge(ledger, effects, answers(effects))
    assert verdicts.by_command[4] == LOST
    assert effects.notes == ["answered 2xx but not in the writer's store: submit 1"]


def test_a_counter_short_by_one_marks_one_of_the_commands_that_moved_it_lost():
    stores = Stores()
    at = [T0 + timedelta(seconds=n) for n in range(3)]
    stores.add(
        [
            stored("a-1", 1, "ActivityScheduled.v1", at[0]),
            stored("a-1", 2, "SignedUp.v1", at[1], member_id="m-1", status="confirmed"),
            stored("a-1", 3, "SignedUp.v1", at[2], member_id="m-2", status="confirmed"),
        ]
    )
    ledger = [
        Cmd("sign_up", "a-1", "m-1", answered(at[1])),
        Cmd("sign_up", "a-1", "m-2", answered(at[2])),
    ]
    effects = effects_of(ledger, stores)
    confirmed = next(t.probe for t in effects.tallies.values() if "confirmed" in t.probe.sql)
    assert confirmed.expected == 2

    def one_applied(p: Probe) -> int:
        return 1 if p == confirmed else p.expected

    verdicts = judge(ledger, effects, answers(effects, one_applied))
    assert sorted(verdicts.by_command.values()) == [FOUND, LOST]


def test_a_repeated_claim_that_stored_nothing_is_judged_by_the_first_claims_event():
    stores = Stores()
    ledger = request_life(stores, "r-1")
    again = Cmd("claim", "r-1", MEMBER, ledger[1].answered_at + 0.5)
    own = match([*ledger, again], stores)
    assert own[4] is not None
    assert own[4] == own[1]


def test_an_event_stored_after_the_answer_is_not_taken_for_that_command():
    stores = Stores()
    stores.add(
        [stored("r-1", 1, "RequestSubmitted.v1", T0 + timedelta(minutes=5), resident_id="x")]
    )
    own = match([Cmd("submit", "r-1", None, answered(T0))], stores)
    assert own[0] is None
