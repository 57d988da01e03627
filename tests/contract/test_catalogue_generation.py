"""Catalogue generation on made-up events: the cases the real registry does not show yet."""

from __future__ import annotations

from typing import ClassVar

import pytest
from grassroots_contracts.catalogue import asyncapi_document
from grassroots_contracts.events import PublicEvent
from grassroots_contracts.topics import TopicSpec

pytestmark = pytest.mark.contract

THINGS = TopicSpec(name="grassroots.things.events", public=True, description="things")
EMPTY = TopicSpec(name="grassroots.empty.events", public=True, description="nothing yet")
INTERNAL = TopicSpec(name="grassroots.things.internal", public=False, description="internal")


class ThingMade(PublicEvent):
    """A thing was made."""

    event_type: ClassVar[str] = "grassroots.things.ThingMade.v1"
    topic: ClassVar[str] = THINGS.name
    example: ClassVar[dict[str, object]] = {"thing_id": "t1"}

    thing_id: str


class ThingMadeV2(PublicEvent):
    """A thing was made, with its size.

    Replaces v1, whose events an upcaster reads.
    """

    event_type: ClassVar[str] = "grassroots.things.ThingMade.v2"
    topic: ClassVar[str] = THINGS.name
    example: ClassVar[dict[str, object]] = {"thing_id": "t1", "size": 3}

    thing_id: str
    size: int


class LeakedThing(PublicEvent):
    """On a topic outsiders cannot read."""

    event_type: ClassVar[str] = "grassroots.things.LeakedThing.v1"
    topic: ClassVar[str] = INTERNAL.name
    example: ClassVar[dict[str, object]] = {}


def test_versions_of_one_event_are_separate_messages_on_one_channel_when_both_are_public() -> None:
    document = asyncapi_document([ThingMade, ThingMadeV2], [THINGS], version="1")
    assert list(document["channels"]) == [THINGS.name]
    assert set(document["channels"][THINGS.name]["messages"]) == {
        ThingMade.event_type,
        ThingMadeV2.event_type,
    }
    v2 = document["components"]["messages"][ThingMadeV2.event_type]
    assert v2["title"] == "ThingMade v2"
    assert v2["summary"] == "A thing was made, with its size."
    assert v2["description"] == "Replaces v1, whose events an upcaster reads."
    assert v2["payload"] == {"$ref": "#/components/schemas/ThingMadeV2"}


def test_topic_without_events_still_gets_a_channel_when_it_is_public() -> None:
    document = asyncapi_document([ThingMade], [THINGS, EMPTY], version="1")
    assert document["channels"][EMPTY.name]["messages"] == {}
    assert document["operations"][f"{EMPTY.name}.publish"]["messages"] == []


def test_internal_topics_are_left_out_when_generating_the_public_document() -> None:
    document = asyncapi_document([ThingMade], [THINGS, INTERNAL], version="1")
    assert INTERNAL.name not in document["channels"]


def test_value_error_when_a_public_event_is_on_an_internal_topic() -> None:
    with pytest.raises(ValueError, match=LeakedThing.event_type):
        asyncapi_document([LeakedThing], [THINGS, INTERNAL], version="1")


def test_generation_fails_when_two_payload_models_share_a_name() -> None:
    clash = type(
        "ThingMade",
        (PublicEvent,),
        {
            "__doc__": "Another model called ThingMade.",
            "__annotations__": {"colour": str},
            "event_type": "grassroots.things.ThingMade.v3",
            "topic": THINGS.name,
            "example": {"colour": "red"},
        },
    )
    with pytest.raises(RuntimeWarning, match="same name"):
        asyncapi_document([ThingMade, clash], [THINGS], version="1")
