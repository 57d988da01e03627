"""Reads of other aggregates that a handler needs before deciding.

A command on one aggregate sometimes depends on another's state (a building can
only move to an area of its own compound). The handler loads that aggregate here;
the domain stays pure and receives what was found. Between this read and the
append the other aggregate may change: the rules checked this way are the ones where
that window does no harm (the referenced thing is never deleted, only retired).
"""

from __future__ import annotations

from dataclasses import dataclass

from grassroots_eventkit.domain import NotFound
from grassroots_eventkit.store import EventStore

from organisation_service.domain import community


@dataclass(frozen=True, slots=True)
class CommunityScope:
    """A community and its county: what a token's scope is checked against."""

    community_id: str
    county: str
    name: str


async def community_scope(
    store: EventStore, community_id: str, *, field: str = "community_id"
) -> CommunityScope:
    stored = await store.load(community_id)
    state = community.DECIDER.fold(
        [community.DECIDER.event_types.decode(e.event_type, e.data) for e in stored]
    )
    if state is None:
        raise NotFound("community_not_found", f"no community {community_id}", field=field)
    return CommunityScope(state.community_id, state.county, state.name)
