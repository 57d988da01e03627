"""A tiny test domain: counters that tick. Lets the eventkit tests write to their own topic."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import ClassVar

from grassroots_contracts.events import PublicEvent
from grassroots_eventkit.commands import Publication
from grassroots_eventkit.domain import Command, Decider, DomainEvent, EventTypes, IdFactory


class Tick(Command):
    counter_id: str
    community_id: str
    note: str = ""


class Ticked(DomainEvent):
    event_name = "Ticked"

    counter_id: str
    community_id: str
    n: int
    note: str = ""


def decide(state: int, command: Tick, *, now: datetime, new_id: IdFactory) -> Sequence[Ticked]:
    return [
        Ticked(
            counter_id=command.counter_id,
            community_id=command.community_id,
            n=state + 1,
            note=command.note,
        )
    ]


def evolve(state: int, event: Ticked) -> int:
    return event.n


DECIDER: Decider[int, Tick, Ticked] = Decider(
    stream_type="counter",
    initial_state=0,
    decide=decide,
    evolve=evolve,
    event_types=EventTypes(Ticked),
)


def public_ticked(topic_name: str) -> type[PublicEvent]:
    """A public event class bound to a test's own topic."""

    class PublicTicked(PublicEvent):
        event_type: ClassVar[str] = "grassroots.test.Ticked.v1"
        topic: ClassVar[str] = topic_name
        example: ClassVar[dict[str, object]] = {"counter_id": "c1", "n": 1}

        counter_id: str
        n: int

    return PublicTicked


def publication(topic_name: str) -> Publication:
    public = public_ticked(topic_name)

    def to_public(event: DomainEvent, _state: object) -> PublicEvent | None:
        assert isinstance(event, Ticked)
        return public(counter_id=event.counter_id, n=event.n)

    return to_public


def community_of_counter(counter_id: str) -> str:
    # Several counters per community, so partitions interleave many aggregates.
    return f"community-{int(counter_id.rsplit('-', 1)[1]) % 8}"
