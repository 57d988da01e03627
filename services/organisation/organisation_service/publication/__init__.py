"""Which domain events are published, and as which public contract event.

The stored events may carry what only this service needs (members' names and
phones); the public ones carry ids and grid positions. One domain event becomes at
most one public event, with the same event id. Each module maps its own aggregate's
events and returns None for anything else.
"""

from __future__ import annotations

from collections.abc import Callable

from grassroots_contracts.events import PublicEvent
from grassroots_eventkit.domain import DomainEvent

from organisation_service.publication import communities, grid, members, party, unit_orgs

_MAPPERS: tuple[Callable[[DomainEvent, object], PublicEvent | None], ...] = (
    communities.to_public,
    grid.to_public,
    party.to_public,
    members.to_public,
    unit_orgs.to_public,
)


def to_public(event: DomainEvent, state: object) -> PublicEvent | None:
    """`state` is the aggregate's state right after `event`."""
    for mapper in _MAPPERS:
        public = mapper(event, state)
        if public is not None:
            return public
    return None
