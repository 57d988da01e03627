"""Reads of other aggregates that a handler needs before deciding.

A command on one aggregate sometimes depends on another's state (a building can
only move to an area of its own compound). The handler loads that aggregate here;
the domain stays pure and receives what was found. Between this read and the
append the other aggregate may change: the rules checked this way are the ones where
that window does no harm (the referenced thing is never deleted, only retired).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from grassroots_eventkit.commands import load_aggregate
from grassroots_eventkit.domain import CommandRejected, Decider, NotFound
from grassroots_eventkit.store import EventStore

from organisation_service.domain import branch, building, community, compound, member


@dataclass(frozen=True, slots=True)
class CommunityScope:
    """A community and its county: what a token's scope is checked against."""

    community_id: str
    county: str
    name: str


async def community_scope(
    store: EventStore, community_id: str, *, field: str = "community_id"
) -> CommunityScope:
    state = await _state(store, community.DECIDER, community_id)
    if state is None:
        raise NotFound("community_not_found", f"no community {community_id}", field=field)
    return CommunityScope(state.community_id, state.county, state.name)


async def community_state(store: EventStore, community_id: str) -> community.Community:
    state = await _state(store, community.DECIDER, community_id)
    if state is None:
        raise NotFound("community_not_found", f"no community {community_id}")
    assert isinstance(state, community.Community)
    return state


async def compound_state(
    store: EventStore, compound_id: str, *, field: str = "compound_id"
) -> compound.Compound:
    state = await _state(store, compound.DECIDER, compound_id)
    if state is None:
        raise NotFound("compound_not_found", f"no compound {compound_id}", field=field)
    return state


async def building_state(
    store: EventStore, building_id: str, *, field: str = "building_id"
) -> building.Building:
    state = await _state(store, building.DECIDER, building_id)
    if state is None or state.retired:
        raise NotFound("building_not_found", f"no building {building_id}", field=field)
    return state


async def member_state(
    store: EventStore, member_id: str, *, field: str = "member_id"
) -> member.Member:
    state = await _state(store, member.DECIDER, member_id)
    if state is None:
        raise NotFound("member_not_found", f"no member {member_id}", field=field)
    return state


async def branch_by_id(store: EventStore, branch_id: str) -> branch.Branch:
    state = await _state(store, branch.DECIDER, branch_id)
    if state is None:
        raise NotFound("branch_not_found", f"no branch {branch_id}")
    assert isinstance(state, branch.Branch)
    return state


async def branch_state(store: EventStore, compound_id: str) -> branch.Branch | None:
    """The compound's branch, or None if it never had one or it was dissolved."""
    state = await _state(store, branch.DECIDER, branch.branch_id_for(compound_id))
    return None if state is None or state.dissolved else state


async def _state(store: EventStore, decider: Decider[Any, Any, Any], stream_id: str) -> Any:
    try:
        _version, state = await load_aggregate(store, decider, stream_id)
    except NotFound:
        return None
    return state


def area_in_compound(state: compound.Compound, area_id: str, *, field: str = "area_id") -> None:
    if area_id not in state.areas:
        raise CommandRejected(
            "area_not_in_compound",
            f"area {area_id} is not an area of compound {state.name}",
            field=field,
        )


def same_county(county: str, other: str, *, field: str) -> None:
    if county != other:
        raise CommandRejected(
            "different_county", f"that belongs to {other}, not {county}", field=field
        )
