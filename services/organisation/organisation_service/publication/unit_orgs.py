"""Public events of unit party organisations."""

from __future__ import annotations

from grassroots_contracts.events import PublicEvent
from grassroots_eventkit.domain import DomainEvent


def to_public(event: DomainEvent) -> PublicEvent | None:
    return None
