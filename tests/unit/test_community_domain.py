"""The community aggregate's rules, on the pure domain (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from grassroots_eventkit.domain import CommandRejected, NotFound
from organisation_service.domain import community
from pydantic import ValidationError

pytestmark = pytest.mark.unit

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _ids() -> str:
    raise AssertionError("the community decider never makes ids")


def decide(state, command):
    return community.decide(state, command, now=NOW, new_id=_ids)


REGISTER = community.RegisterCommunity(
    community_id="c1", name="茶亭社区", county="东安县", town="白牙市镇"
)


def test_registering_records_the_name_county_town_and_time_when_new():
    [event] = decide(None, REGISTER)
    assert event == community.CommunityRegistered(
        community_id="c1", name="茶亭社区", county="东安县", town="白牙市镇", registered_at=NOW
    )
    assert community.evolve(None, event) == community.Community(
        "c1", "茶亭社区", "东安县", "白牙市镇"
    )


def test_registering_is_refused_when_already_registered():
    state = community.DECIDER.fold(decide(None, REGISTER))
    with pytest.raises(CommandRejected) as refused:
        decide(state, REGISTER)
    assert refused.value.rule == "community_already_registered"


def test_renaming_records_the_previous_name_when_the_name_changes():
    state = community.DECIDER.fold(decide(None, REGISTER))
    [event] = decide(state, community.RenameCommunity(community_id="c1", name="茶亭新社区"))
    assert (event.name, event.previous_name) == ("茶亭新社区", "茶亭社区")
    assert community.evolve(state, event).name == "茶亭新社区"


def test_renaming_to_the_same_name_records_nothing():
    state = community.DECIDER.fold(decide(None, REGISTER))
    assert decide(state, community.RenameCommunity(community_id="c1", name="茶亭社区")) == []


def test_renaming_is_refused_with_not_found_when_the_community_does_not_exist():
    with pytest.raises(NotFound) as refused:
        decide(None, community.RenameCommunity(community_id="c9", name="无名社区"))
    assert refused.value.status == 404


@pytest.mark.parametrize("name", ["", " ", "x", "x" * 51, "茶亭\n社区", "茶亭\u200b社区"])
def test_a_name_is_refused_when_too_short_too_long_or_with_invisible_characters(name):
    with pytest.raises(ValidationError):
        community.RenameCommunity(community_id="c1", name=name)


def test_a_name_is_trimmed_when_it_has_surrounding_spaces():
    assert community.RenameCommunity(community_id="c1", name="  茶亭社区 ").name == "茶亭社区"


def test_stored_events_decode_back_to_the_same_events():
    events = decide(None, REGISTER)
    types = community.DECIDER.event_types
    for event in events:
        assert types.decode(event.stored_type(), event.model_dump(mode="json")) == event
