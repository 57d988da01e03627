"""What each kind of poison record must meet in the groups reading its topic
(grassroots_stack.chaos.poison): the judgement, on hand-made fates."""

from __future__ import annotations

import pytest
from aiokafka.record.default_records import DefaultRecordBatchBuilder
from grassroots_stack.chaos import poison
from grassroots_stack.chaos.poison import Fate, Sent

pytestmark = pytest.mark.unit

COMMUNITY = "chaos-test"
GROUPS = ("g.readmodel", "g.policies")


def _sent(kinds: set[str]) -> list[Sent]:
    records = poison.malformed(COMMUNITY) + poison.oversized(COMMUNITY)
    return [
        Sent(p, None, None, "MessageSizeTooLargeError")
        if p.kind == poison.REFUSED
        else Sent(p, 0, n)
        for n, p in enumerate(records)
        if p.kind in kinds
    ]


def _fates(sent: list[Sent], dead_lettered: dict[str, set[str]]) -> dict[int, list[Fate]]:
    return {
        i: [Fate(g, g in dead_lettered.get(s.poison.kind, set())) for g in GROUPS]
        for i, s in enumerate(sent)
        if s.offset is not None
    }


def test_no_problem_when_every_record_meets_its_kinds_fate():
    sent = _sent({poison.UNDECODABLE, poison.UNKNOWN_TYPE, poison.WRONG_SCHEMA, poison.REFUSED})
    fates = _fates(sent, {poison.UNDECODABLE: set(GROUPS), poison.WRONG_SCHEMA: {"g.readmodel"}})
    judged = poison.judge(sent, fates)
    assert judged.problems == []
    assert len(judged.records) == len(sent)
    assert any(note.startswith("refused: 1 records") for note in judged.notes)


def test_an_undecodable_record_one_group_passed_over_is_a_problem():
    sent = _sent({poison.UNDECODABLE})
    judged = poison.judge(sent, _fates(sent, {poison.UNDECODABLE: {"g.readmodel"}}))
    assert len(judged.problems) == len(sent)
    assert all("not dead-lettered by g.policies" in p for p in judged.problems)


def test_an_unknown_type_dead_lettered_is_a_problem():
    sent = _sent({poison.UNKNOWN_TYPE})
    judged = poison.judge(sent, _fates(sent, {poison.UNKNOWN_TYPE: set(GROUPS)}))
    assert len(judged.problems) == len(sent)
    assert all("dead-lettered by g.readmodel, g.policies" in p for p in judged.problems)


def test_a_broken_schema_no_group_dead_lettered_is_a_problem():
    sent = _sent({poison.WRONG_SCHEMA})
    judged = poison.judge(sent, _fates(sent, {}))
    assert len(judged.problems) == len(sent)
    assert all("dead-lettered by no group" in p for p in judged.problems)


def test_a_record_over_the_limit_the_broker_stored_is_a_problem():
    [big] = [p for p in poison.oversized(COMMUNITY) if p.kind == poison.REFUSED]
    judged = poison.judge([Sent(big, 3, 7)], {0: [Fate(g, False) for g in GROUPS]})
    assert judged.problems == [f"poison: twice-the-limit on {big.topic} was stored, not refused"]


def test_near_limit_records_fill_the_batch_to_just_under_the_brokers_limit():
    for p in poison.oversized(COMMUNITY):
        size = DefaultRecordBatchBuilder.estimate_size_in_bytes(
            COMMUNITY.encode(), p.value, list(p.headers)
        )
        if p.kind == poison.REFUSED:
            assert size > poison.BROKER_MAX_BYTES
        else:
            # Stored, with less room left than a dead-letter copy's error headers take.
            assert poison.BROKER_MAX_BYTES - 400 < size <= poison.BROKER_MAX_BYTES
