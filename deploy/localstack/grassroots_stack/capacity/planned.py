"""A public event the simulation will publish: what, when, on which stream and key.

The generator says what happens; the timeline (timeline.py) puts it in time order and
gives it what the event store would (an event id, the stream version)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from grassroots_contracts.events import PublicEvent


@dataclass(frozen=True, slots=True)
class Planned:
    at: datetime
    event: PublicEvent
    subject: str  # the aggregate (stream) the event belongs to
    key: str  # the Kafka key: the community, or `county:<name>` for a unit organisation


def new_id(rng: random.Random) -> str:
    """A UUID-shaped id from the generator's own random stream (the same seed, the same
    ids); formatted by hand, as a province needs tens of millions of them."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
