"""Handlers for the grid: compounds, areas, buildings, households, and the community's
leaders, workers and party committee secretary."""

from __future__ import annotations

from collections.abc import Sequence

from grassroots_eventkit.auth import Principal
from grassroots_eventkit.commands import Accepted, CommandContext, CommandRunner
from grassroots_eventkit.domain import CommandRejected, DomainEvent
from grassroots_eventkit.store import EventStore, Reservation, ReservationTaken

from organisation_service.domain import building, community, compound
from organisation_service.domain.names import name_key
from organisation_service.handlers import lookups
from organisation_service.handlers.access import managed_by, require_manager

COMPOUND_NAME = "compound-name"
BUILDING_NAME = "building-name"


def compound_name_claims(
    state: compound.Compound | None, events: Sequence[DomainEvent]
) -> tuple[list[Reservation], list[Reservation]]:
    """A compound's name is unique within its community."""
    reserve, release = [], []
    for event in events:
        match event:
            case compound.CompoundRegistered():
                reserve.append(Reservation(COMPOUND_NAME, name_key(event.community_id, event.name)))
            case compound.CompoundRenamed():
                assert state is not None
                reserve.append(Reservation(COMPOUND_NAME, name_key(state.community_id, event.name)))
                release.append(
                    Reservation(COMPOUND_NAME, name_key(state.community_id, event.previous_name))
                )
    return reserve, release


def building_name_claims(
    state: building.Building | None, events: Sequence[DomainEvent]
) -> tuple[list[Reservation], list[Reservation]]:
    """A building's name (its number) is unique within its compound while it stands."""
    reserve, release = [], []
    for event in events:
        match event:
            case building.BuildingRegistered():
                reserve.append(Reservation(BUILDING_NAME, name_key(event.compound_id, event.name)))
            case building.BuildingRenamed():
                assert state is not None
                reserve.append(Reservation(BUILDING_NAME, name_key(state.compound_id, event.name)))
                release.append(
                    Reservation(BUILDING_NAME, name_key(state.compound_id, event.previous_name))
                )
            case building.BuildingRetired():
                assert state is not None
                release.append(Reservation(BUILDING_NAME, name_key(state.compound_id, state.name)))
    return reserve, release


def _taken(what: str, name: str) -> CommandRejected:
    return CommandRejected(
        f"{what}_name_taken", f"a {what} named {name!r} already exists", field="name"
    )


async def register_compound(
    runner: CommandRunner,
    store: EventStore,
    principal: Principal,
    ctx: CommandContext,
    *,
    compound_id: str,
    community_id: str,
    name: str,
) -> Accepted:
    scope = await lookups.community_scope(store, community_id)
    require_manager(principal, scope.community_id, scope.county)
    cmd = compound.RegisterCompound(
        compound_id=compound_id, community_id=community_id, county=scope.county, name=name
    )
    try:
        return await runner.run(
            compound.DECIDER,
            stream_id=compound_id,
            command=cmd,
            ctx=ctx,
            community_of=compound.community_of,
            reservations=compound_name_claims,
        )
    except ReservationTaken as exc:
        raise _taken("compound", name) from exc


async def change_compound(
    runner: CommandRunner, principal: Principal, ctx: CommandContext, cmd: compound.CompoundCommand
) -> Accepted:
    try:
        return await runner.run(
            compound.DECIDER,
            stream_id=cmd.compound_id,
            command=cmd,
            ctx=ctx,
            community_of=compound.community_of,
            reservations=compound_name_claims,
            authorize=managed_by(principal),
        )
    except ReservationTaken as exc:
        raise _taken("compound", getattr(cmd, "name", "")) from exc


async def register_building(
    runner: CommandRunner,
    store: EventStore,
    principal: Principal,
    ctx: CommandContext,
    *,
    building_id: str,
    compound_id: str,
    area_id: str | None,
    name: str,
    units: int,
) -> Accepted:
    parent = await lookups.compound_state(store, compound_id)
    require_manager(principal, parent.community_id, parent.county)
    if area_id is not None:
        lookups.area_in_compound(parent, area_id)
    cmd = building.RegisterBuilding(
        building_id=building_id,
        community_id=parent.community_id,
        county=parent.county,
        compound_id=compound_id,
        area_id=area_id,
        name=name,
        units=units,
    )
    try:
        return await runner.run(
            building.DECIDER,
            stream_id=building_id,
            command=cmd,
            ctx=ctx,
            community_of=building.community_of,
            reservations=building_name_claims,
        )
    except ReservationTaken as exc:
        raise _taken("building", name) from exc


async def move_building(
    runner: CommandRunner,
    store: EventStore,
    principal: Principal,
    ctx: CommandContext,
    cmd: building.MoveBuilding,
) -> Accepted:
    current = await lookups.building_state(store, cmd.building_id)
    require_manager(principal, current.community_id, current.county)
    lookups.area_in_compound(await lookups.compound_state(store, current.compound_id), cmd.area_id)
    return await change_building(runner, principal, ctx, cmd)


async def assign_member(
    runner: CommandRunner,
    store: EventStore,
    principal: Principal,
    ctx: CommandContext,
    cmd: building.AssignHouseholdMember | building.AppointBuildingHead,
) -> Accepted:
    """Household responsibility and building heads go to registered members of the county."""
    current = await lookups.building_state(store, cmd.building_id)
    require_manager(principal, current.community_id, current.county)
    person = await lookups.member_state(store, cmd.member_id)
    lookups.same_county(current.county, person.county, field="member_id")
    return await change_building(runner, principal, ctx, cmd)


async def assign_members(
    runner: CommandRunner,
    store: EventStore,
    principal: Principal,
    ctx: CommandContext,
    cmd: building.AssignHouseholdMembers,
) -> Accepted:
    current = await lookups.building_state(store, cmd.building_id)
    require_manager(principal, current.community_id, current.county)
    for index, assignment in enumerate(cmd.assignments):
        where = f"assignments.{index}.member_id"
        person = await lookups.member_state(store, assignment.member_id, field=where)
        lookups.same_county(current.county, person.county, field=where)
    return await change_building(runner, principal, ctx, cmd)


async def change_building(
    runner: CommandRunner, principal: Principal, ctx: CommandContext, cmd: building.BuildingCommand
) -> Accepted:
    try:
        return await runner.run(
            building.DECIDER,
            stream_id=cmd.building_id,
            command=cmd,
            ctx=ctx,
            community_of=building.community_of,
            reservations=building_name_claims,
            authorize=managed_by(principal),
        )
    except ReservationTaken as exc:
        raise _taken("building", getattr(cmd, "name", "")) from exc


async def change_community(
    runner: CommandRunner,
    store: EventStore,
    principal: Principal,
    ctx: CommandContext,
    cmd: community.LinkCountyLeader
    | community.AssignCommunityWorker
    | community.AppointCommitteeSecretary,
) -> Accepted:
    scope = await lookups.community_scope(store, cmd.community_id)
    if isinstance(cmd, community.LinkCountyLeader):
        # Linking county leaders to communities is the county's decision.
        principal.require_role("county_admin")
        principal.require_access(scope.community_id, scope.county)
    else:
        require_manager(principal, scope.community_id, scope.county)
    if isinstance(cmd, community.AssignCommunityWorker):
        for index, unit in enumerate(cmd.grid_unit_ids):
            parent = await lookups.compound_state(store, unit, field=f"grid_unit_ids.{index}")
            if parent.community_id != cmd.community_id:
                raise CommandRejected(
                    "grid_unit_elsewhere",
                    f"compound {unit} is in another community",
                    field=f"grid_unit_ids.{index}",
                )
    if isinstance(cmd, community.AppointCommitteeSecretary):
        person = await lookups.member_state(store, cmd.member_id)
        lookups.same_county(scope.county, person.county, field="member_id")
    return await runner.run(
        community.DECIDER,
        stream_id=cmd.community_id,
        command=cmd,
        ctx=ctx,
        community_of=community.community_of,
    )
