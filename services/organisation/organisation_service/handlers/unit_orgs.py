"""Command handlers of unit party organisations: authorise, look up, load, decide, append.

Who may do what: registering and renaming a unit is for its county's administrators;
reporting, pairing and pledges also for the staff of the community concerned, since
a community records who reported to it and what was promised to it. Reading is for
the county-wide roles of the unit's county and for the staff of the communities it
has reported to or paired with, who see only what concerns their communities.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from types import MappingProxyType

from grassroots_eventkit.auth import Forbidden, Principal
from grassroots_eventkit.commands import Accepted, CommandContext, CommandRunner, load_aggregate
from grassroots_eventkit.domain import CommandRejected, DomainEvent, NotFound
from grassroots_eventkit.store import EventStore, Reservation, ReservationTaken

from organisation_service.domain import unit_org
from organisation_service.domain.names import name_key
from organisation_service.handlers.lookups import community_scope

NAME_SCOPE = "unit-org-name"
STAFF_ROLES = ("community_staff", "grid_worker")

Authorize = Callable[[unit_org.UnitOrg | None], None]


def unit_org_name_claims(
    state: unit_org.UnitOrg | None, events: Sequence[DomainEvent]
) -> tuple[list[Reservation], list[Reservation]]:
    """A unit's name is unique within its county: claim the new, release the old."""
    reserve: list[Reservation] = []
    release: list[Reservation] = []
    for event in events:
        match event:
            case unit_org.UnitOrgRegistered():
                reserve.append(Reservation(NAME_SCOPE, name_key(event.county, event.name)))
            case unit_org.UnitOrgRenamed():
                assert state is not None
                reserve.append(Reservation(NAME_SCOPE, name_key(state.county, event.name)))
                release.append(Reservation(NAME_SCOPE, name_key(state.county, event.previous_name)))
    return reserve, release


def _require_county_admin(principal: Principal, county: str) -> None:
    if not (principal.has_role("county_admin") and principal.county == county):
        raise Forbidden("requires a county_admin of the unit organisation's county")


def _require_steward(principal: Principal, county: str, community_id: str) -> None:
    """The county's administrators, or the staff of the community concerned."""
    if principal.has_role("county_admin") and principal.county == county:
        return
    if principal.has_role("community_staff") and community_id in principal.communities:
        return
    raise Forbidden("requires a county_admin of the county or community_staff of that community")


def _existing(state: unit_org.UnitOrg | None, unit_org_id: str) -> unit_org.UnitOrg:
    if state is None:
        raise NotFound("unit_org_not_found", f"no unit organisation {unit_org_id}")
    return state


def _name_taken(name: str) -> CommandRejected:
    return CommandRejected(
        "unit_org_name_taken",
        f"a unit organisation named {name!r} already exists in its county",
        field="name",
    )


async def _run(
    runner: CommandRunner,
    cmd: unit_org.UnitOrgCommand,
    ctx: CommandContext,
    authorize: Authorize,
) -> Accepted:
    try:
        return await runner.run(
            unit_org.DECIDER,
            stream_id=cmd.unit_org_id,
            command=cmd,
            ctx=ctx,
            community_of=unit_org.community_of,
            reservations=unit_org_name_claims,
            authorize=authorize,
        )
    except ReservationTaken as exc:
        assert isinstance(cmd, unit_org.RegisterUnitOrg | unit_org.RenameUnitOrg)
        raise _name_taken(cmd.name) from exc


async def register_unit_org(
    runner: CommandRunner, principal: Principal, cmd: unit_org.RegisterUnitOrg, ctx: CommandContext
) -> Accepted:
    def authorize(_state: unit_org.UnitOrg | None) -> None:
        _require_county_admin(principal, cmd.county)

    return await _run(runner, cmd, ctx, authorize)


async def rename_unit_org(
    runner: CommandRunner, principal: Principal, cmd: unit_org.RenameUnitOrg, ctx: CommandContext
) -> Accepted:
    def authorize(state: unit_org.UnitOrg | None) -> None:
        _require_county_admin(principal, _existing(state, cmd.unit_org_id).county)

    return await _run(runner, cmd, ctx, authorize)


async def report_to_community(
    runner: CommandRunner,
    store: EventStore,
    principal: Principal,
    ctx: CommandContext,
    *,
    unit_org_id: str,
    community_id: str,
    reported_on: date,
) -> Accepted:
    community = await community_scope(store, community_id)
    cmd = unit_org.ReportToCommunity(
        unit_org_id=unit_org_id,
        community_id=community.community_id,
        community_county=community.county,
        reported_on=reported_on,
    )

    def authorize(state: unit_org.UnitOrg | None) -> None:
        _require_steward(principal, _existing(state, unit_org_id).county, community_id)

    return await _run(runner, cmd, ctx, authorize)


async def pair_with_community(
    runner: CommandRunner,
    store: EventStore,
    principal: Principal,
    ctx: CommandContext,
    *,
    unit_org_id: str,
    community_id: str,
) -> Accepted:
    community = await community_scope(store, community_id)
    cmd = unit_org.PairWithCommunity(
        unit_org_id=unit_org_id,
        community_id=community.community_id,
        community_county=community.county,
    )

    def authorize(state: unit_org.UnitOrg | None) -> None:
        _require_steward(principal, _existing(state, unit_org_id).county, community_id)

    return await _run(runner, cmd, ctx, authorize)


async def make_pledge(
    runner: CommandRunner, principal: Principal, cmd: unit_org.MakePledge, ctx: CommandContext
) -> Accepted:
    def authorize(state: unit_org.UnitOrg | None) -> None:
        _require_steward(principal, _existing(state, cmd.unit_org_id).county, cmd.community_id)

    return await _run(runner, cmd, ctx, authorize)


async def move_pledge(
    runner: CommandRunner,
    principal: Principal,
    cmd: unit_org.StartPledge | unit_org.AddPledgeNote | unit_org.CompletePledge,
    ctx: CommandContext,
) -> Accepted:
    """Start, note or complete a pledge: for the staff of the community it was made to."""

    def authorize(state: unit_org.UnitOrg | None) -> None:
        unit = _existing(state, cmd.unit_org_id)
        pledge = unit.pledges.get(cmd.pledge_id)
        if pledge is None:
            raise NotFound(
                "pledge_not_found", f"no pledge {cmd.pledge_id} of this unit", field="pledge_id"
            )
        _require_steward(principal, unit.county, pledge.community_id)

    return await _run(runner, cmd, ctx, authorize)


async def get_unit_org(
    store: EventStore, principal: Principal, unit_org_id: str
) -> tuple[unit_org.UnitOrg, int]:
    """The unit as the principal may see it: whole for its county, else the parts that
    concern the principal's communities."""
    version, state = await load_aggregate(store, unit_org.DECIDER, unit_org_id)
    unit = _existing(state, unit_org_id)
    if principal.county_wide and principal.county == unit.county:
        return unit, version
    mine = unit.communities() & principal.communities
    if not (mine and principal.has_role(*STAFF_ROLES)):
        raise Forbidden("this token's scope does not include this unit organisation")
    return _seen_from(unit, mine), version


def _seen_from(unit: unit_org.UnitOrg, communities: frozenset[str]) -> unit_org.UnitOrg:
    return replace(
        unit,
        reports=MappingProxyType({c: d for c, d in unit.reports.items() if c in communities}),
        pairings=MappingProxyType({c: t for c, t in unit.pairings.items() if c in communities}),
        pledges=MappingProxyType(
            {i: p for i, p in unit.pledges.items() if p.community_id in communities}
        ),
    )
