"""Every public event type, by its versioned type name."""

from __future__ import annotations

from grassroots_contracts.events import PublicEvent
from grassroots_contracts.organisation import communities, grid, members, party, unit_orgs
from grassroots_contracts.points import events as points
from grassroots_contracts.requests import lifecycle
from grassroots_contracts.volunteering import events as volunteering

PUBLIC_EVENTS: tuple[type[PublicEvent], ...] = (
    *communities.EVENTS,
    *grid.EVENTS,
    *party.EVENTS,
    *members.EVENTS,
    *unit_orgs.EVENTS,
    *lifecycle.EVENTS,
    *volunteering.EVENTS,
    *points.EVENTS,
)


def _index(events: tuple[type[PublicEvent], ...]) -> dict[str, type[PublicEvent]]:
    index: dict[str, type[PublicEvent]] = {}
    for cls in events:
        if cls.event_type in index:
            raise ValueError(f"two public events claim the type {cls.event_type}")
        index[cls.event_type] = cls
    return index


BY_TYPE: dict[str, type[PublicEvent]] = _index(PUBLIC_EVENTS)


class UnknownEventType(LookupError):
    pass


def model_for(event_type: str) -> type[PublicEvent]:
    try:
        return BY_TYPE[event_type]
    except KeyError:
        raise UnknownEventType(event_type) from None
