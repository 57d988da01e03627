"""Every public event type, by its versioned type name."""

from __future__ import annotations

from grassroots_contracts.events import PublicEvent
from grassroots_contracts.organisation import CommunityRegistered, CommunityRenamed

PUBLIC_EVENTS: tuple[type[PublicEvent], ...] = (CommunityRegistered, CommunityRenamed)

BY_TYPE: dict[str, type[PublicEvent]] = {cls.event_type: cls for cls in PUBLIC_EVENTS}


class UnknownEventType(LookupError):
    pass


def model_for(event_type: str) -> type[PublicEvent]:
    try:
        return BY_TYPE[event_type]
    except KeyError:
        raise UnknownEventType(event_type) from None
