"""Handlers for party members and their double report (双报到)."""

from __future__ import annotations

from grassroots_eventkit.auth import Forbidden, Principal
from grassroots_eventkit.commands import Accepted, CommandContext, CommandRunner
from grassroots_eventkit.domain import CommandRejected
from grassroots_eventkit.store import EventStore

from organisation_service.domain import member
from organisation_service.handlers import lookups
from organisation_service.handlers.access import require_manager


async def check_residence(
    store: EventStore, residence: member.Residence, county: str, *, field: str = "residence"
) -> None:
    """The residence community exists in the county, and the household is in that community."""
    scope = await lookups.community_scope(
        store, residence.community_id, field=f"{field}.community_id"
    )
    lookups.same_county(county, scope.county, field=f"{field}.community_id")
    if residence.household_id is None:
        return
    if residence.building_id is None:
        raise CommandRejected(
            "household_without_building",
            "name the building of the household",
            field=f"{field}.building_id",
        )
    home = await lookups.building_state(store, residence.building_id, field=f"{field}.building_id")
    if home.community_id != residence.community_id:
        raise CommandRejected(
            "building_elsewhere",
            "that building is in another community",
            field=f"{field}.building_id",
        )
    if residence.household_id not in home.households:
        raise CommandRejected(
            "household_not_in_building",
            "no such household in that building",
            field=f"{field}.household_id",
        )


async def register_member(
    runner: CommandRunner,
    store: EventStore,
    principal: Principal,
    ctx: CommandContext,
    cmd: member.RegisterMember,
) -> Accepted:
    scope = await lookups.community_scope(
        store, cmd.residence.community_id, field="residence.community_id"
    )
    require_manager(principal, scope.community_id, scope.county)
    cmd = cmd.model_copy(update={"county": scope.county})
    await check_residence(store, cmd.residence, scope.county)
    if cmd.contact_community_id:
        contact = await lookups.community_scope(
            store, cmd.contact_community_id, field="contact_community_id"
        )
        lookups.same_county(scope.county, contact.county, field="contact_community_id")
    return await runner.run(
        member.DECIDER,
        stream_id=cmd.member_id,
        command=cmd,
        ctx=ctx,
        community_of=member.community_of,
    )


async def change_member(
    runner: CommandRunner,
    store: EventStore,
    principal: Principal,
    ctx: CommandContext,
    cmd: member.TransferResidence | member.SetContactCommunity | member.ReportToCommunity,
) -> Accepted:
    current = await lookups.member_state(store, cmd.member_id)
    match cmd:
        case member.TransferResidence():
            await check_residence(store, cmd.residence, current.county)
            # Either community's staff may record a move.
            _manager_of_any(
                principal,
                current.county,
                current.residence.community_id,
                cmd.residence.community_id,
            )
        case member.SetContactCommunity():
            contact = await lookups.community_scope(store, cmd.community_id)
            lookups.same_county(current.county, contact.county, field="community_id")
            require_manager(principal, current.residence.community_id, current.county)
        case member.ReportToCommunity():
            target = await lookups.community_scope(store, cmd.community_id)
            lookups.same_county(current.county, target.county, field="community_id")
            # A member reports in person; or the receiving community records it.
            if principal.subject != current.member_id:
                require_manager(principal, target.community_id, target.county)
    return await runner.run(
        member.DECIDER,
        stream_id=cmd.member_id,
        command=cmd,
        ctx=ctx,
        community_of=member.community_of,
    )


def _manager_of_any(principal: Principal, county: str, *community_ids: str) -> None:
    for community_id in community_ids:
        try:
            require_manager(principal, community_id, county)
        except Forbidden:
            continue
        return
    raise Forbidden("this token's scope includes neither community")


async def get_member(store: EventStore, principal: Principal, member_id: str) -> member.Member:
    """Members' records (name, phone) are for their own communities' staff, the county's
    administrators, and the member themself."""
    found = await lookups.member_state(store, member_id)
    if principal.subject == member_id:
        return found
    communities = [c for c in (found.residence.community_id, found.contact_community_id) if c]
    try:
        _manager_of_any(principal, found.county, *communities)
    except Forbidden:
        raise Forbidden("this member is outside this token's scope") from None
    return found
