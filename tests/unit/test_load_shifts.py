"""The load's weekend shifts: what `open_shifts` queues from a weekend's rota is never
refused as an overlapping shift, even when the weekend was opened twice (a later run with
the same seed) and some of its shifts are held, checked on the rota's pure domain."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from grassroots_stack.load.county import Home
from grassroots_stack.load.fixtures import SLOT_MINUTES, open_shifts
from volunteering_service.domain import rota as ro

from tests.support.story import Story

pytestmark = pytest.mark.unit

NOW = datetime(2026, 5, 10, 9, 30, tzinfo=UTC)
SATURDAY = date(2030, 5, 18)
BEGIN = datetime(2030, 5, 18, tzinfo=UTC)
COMMUNITY = "c-load"
ROTA = ro.rota_id(COMMUNITY, SATURDAY)
ONE_MEMBER = (Home(COMMUNITY, "h-1", "m-1"),)  # the worst case: every shift to one member

story = Story(ro.DECIDER, NOW)


def opening(run: str, count: int) -> ro.OpenShifts:
    step = timedelta(minutes=SLOT_MINUTES)
    slots = tuple(
        ro.SlotSpec(
            slot_id=f"{run}-{i}",
            area="reception",
            starts_at=BEGIN + i * step,
            ends_at=BEGIN + (i + 1) * step,
        )
        for i in range(count)
    )
    return ro.OpenShifts(
        rota_id=ROTA,
        community_id=COMMUNITY,
        county="东安县",
        weekend=SATURDAY,
        slots=slots,
        gap_notice=timedelta(hours=30),
    )


def shown(state: ro.Rota) -> list[dict[str, object]]:
    """The rota as `GET /communities/{id}/rota` lists it."""
    return [
        {"slot_id": sid, "starts_at": s.starts_at, "holder": s.holder}
        for sid, s in sorted(state.slots.items(), key=lambda kv: (kv[1].starts_at, kv[0]))
    ]


def test_a_weekend_opened_twice_queues_one_free_shift_per_time_and_none_is_refused() -> None:
    claimed_before = ro.ClaimShift(rota_id=ROTA, slot_id="first-3", member_id="m-2")
    events = story.given(opening("first", 6), claimed_before, opening("second", 6))
    state = story.fold(events)

    queued = open_shifts(ROTA, shown(state), ONE_MEMBER, random.Random(1))

    times = [state.slot(s.slot).starts_at for s in queued]
    assert len(times) == len(set(times)) == 5
    assert state.slot("first-3").starts_at not in times
    for shift in queued:
        claim = ro.ClaimShift(rota_id=ROTA, slot_id=shift.slot, member_id=shift.home.member)
        events += story.decide(state, claim)
        state = story.fold(events)
    assert {sid for sid, s in state.slots.items() if s.holder == "m-1"} == {s.slot for s in queued}


def test_without_it_the_second_opening_gives_a_member_two_shifts_at_once() -> None:
    claim_first = ro.ClaimShift(rota_id=ROTA, slot_id="first-0", member_id="m-1")
    state = story.fold(story.given(opening("first", 2), opening("second", 2), claim_first))

    same_time = ro.ClaimShift(rota_id=ROTA, slot_id="second-0", member_id="m-1")
    assert story.refusal(state, same_time)[1] == "overlapping_shift"
