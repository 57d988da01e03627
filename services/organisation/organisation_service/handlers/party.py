"""Handlers for compound branches and building party groups."""

from __future__ import annotations

from grassroots_eventkit.auth import Principal
from grassroots_eventkit.commands import Accepted, CommandContext, CommandRunner
from grassroots_eventkit.domain import CommandRejected
from grassroots_eventkit.store import EventStore

from organisation_service.domain import branch
from organisation_service.handlers import lookups
from organisation_service.handlers.access import managed_by, require_manager


async def establish_branch(
    runner: CommandRunner,
    store: EventStore,
    principal: Principal,
    ctx: CommandContext,
    *,
    compound_id: str,
) -> Accepted:
    """No branch without a compound: the compound must exist."""
    parent = await lookups.compound_state(store, compound_id)
    require_manager(principal, parent.community_id, parent.county)
    cmd = branch.EstablishBranch(
        branch_id=branch.branch_id_for(compound_id),
        compound_id=compound_id,
        community_id=parent.community_id,
        county=parent.county,
    )
    return await runner.run(
        branch.DECIDER,
        stream_id=cmd.branch_id,
        command=cmd,
        ctx=ctx,
        community_of=branch.community_of,
    )


async def change_branch(
    runner: CommandRunner,
    store: EventStore,
    principal: Principal,
    ctx: CommandContext,
    cmd: branch.BranchCommand,
) -> Accepted:
    current = await lookups.branch_by_id(store, cmd.branch_id)
    require_manager(principal, current.community_id, current.county)
    match cmd:
        case branch.AdmitBranchMember():
            person = await lookups.member_state(store, cmd.member_id)
            lookups.same_county(current.county, person.county, field="member_id")
        case branch.AdmitBranchMembers():
            for index, member_id in enumerate(cmd.member_ids):
                where = f"member_ids.{index}"
                person = await lookups.member_state(store, member_id, field=where)
                lookups.same_county(current.county, person.county, field=where)
        case branch.AppointCommitteeMember():
            lookups.area_in_compound(
                await lookups.compound_state(store, current.compound_id), cmd.area_id
            )
        case branch.FormPartyGroup():
            place = await lookups.building_state(store, cmd.building_id)
            if place.compound_id != current.compound_id:
                raise CommandRejected(
                    "building_not_in_compound",
                    f"building {place.name} is not in this branch's compound",
                    field="building_id",
                )
    return await runner.run(
        branch.DECIDER,
        stream_id=cmd.branch_id,
        command=cmd,
        ctx=ctx,
        community_of=branch.community_of,
        authorize=managed_by(principal),
    )
