"""Which domain events are published, and as which public contract event.

The stored events may carry what only this service needs; the public ones carry
ids and grid positions. One domain event becomes at most one public event, with
the same event id.
"""

from __future__ import annotations

from grassroots_contracts import organisation as public
from grassroots_contracts.events import PublicEvent
from grassroots_eventkit.domain import DomainEvent

from organisation_service.domain import community


def to_public(event: DomainEvent, state: object) -> PublicEvent | None:
    match event:
        case community.CommunityRegistered():
            return public.CommunityRegistered(
                community_id=event.community_id,
                name=event.name,
                county=event.county,
                town=event.town,
                registered_at=event.registered_at,
            )
        case community.CommunityRenamed():
            return public.CommunityRenamed(
                community_id=event.community_id, name=event.name, renamed_at=event.renamed_at
            )
    return None
