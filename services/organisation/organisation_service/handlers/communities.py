"""Command handlers: authorise, load, decide, append. Short on purpose."""

from __future__ import annotations

from collections.abc import Sequence

from grassroots_eventkit.auth import Principal
from grassroots_eventkit.commands import Accepted, CommandContext, CommandRunner, load_aggregate
from grassroots_eventkit.domain import CommandRejected, DomainEvent, NotFound
from grassroots_eventkit.store import EventStore, Reservation, ReservationTaken

from organisation_service.domain import community
from organisation_service.domain.names import name_key

NAME_SCOPE = "community-name"


def community_name_claims(
    state: community.Community | None, events: Sequence[DomainEvent]
) -> tuple[list[Reservation], list[Reservation]]:
    """A community name is unique within its county: claim the new, release the old."""
    reserve: list[Reservation] = []
    release: list[Reservation] = []
    for event in events:
        match event:
            case community.CommunityRegistered():
                reserve.append(Reservation(NAME_SCOPE, name_key(event.county, event.name)))
            case community.CommunityRenamed():
                assert state is not None
                reserve.append(Reservation(NAME_SCOPE, name_key(state.county, event.name)))
                release.append(Reservation(NAME_SCOPE, name_key(state.county, event.previous_name)))
    return reserve, release


async def register_community(
    runner: CommandRunner,
    principal: Principal,
    cmd: community.RegisterCommunity,
    ctx: CommandContext,
) -> Accepted:
    def authorize(_state: community.Community | None) -> None:
        principal.require_role("county_admin")
        principal.require_access(cmd.community_id, cmd.county)

    try:
        return await runner.run(
            community.DECIDER,
            stream_id=cmd.community_id,
            command=cmd,
            ctx=ctx,
            community_of=community.community_of,
            reservations=community_name_claims,
            authorize=authorize,
        )
    except ReservationTaken as exc:
        raise _name_taken(cmd.name, cmd.county) from exc


def _name_taken(name: str, county: str | None) -> CommandRejected:
    where = f"in {county}" if county else "in its county"
    return CommandRejected(
        "community_name_taken", f"a community named {name!r} already exists {where}", field="name"
    )


async def rename_community(
    runner: CommandRunner,
    principal: Principal,
    cmd: community.RenameCommunity,
    ctx: CommandContext,
) -> Accepted:
    def authorize(state: community.Community | None) -> None:
        if state is None:
            raise NotFound("community_not_found", f"no community {cmd.community_id}")
        principal.require_role("county_admin", "community_staff")
        principal.require_access(state.community_id, state.county)

    try:
        return await runner.run(
            community.DECIDER,
            stream_id=cmd.community_id,
            command=cmd,
            ctx=ctx,
            community_of=community.community_of,
            reservations=community_name_claims,
            authorize=authorize,
        )
    except ReservationTaken as exc:
        raise _name_taken(cmd.name, None) from exc


async def get_community(
    store: EventStore, principal: Principal, community_id: str
) -> tuple[community.Community, int]:
    version, state = await load_aggregate(store, community.DECIDER, community_id)
    if state is None:
        raise NotFound("community_not_found", f"no community {community_id}")
    principal.require_access(state.community_id, state.county)
    return state, version
