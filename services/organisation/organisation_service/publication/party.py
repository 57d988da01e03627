"""Public events of branches and party groups."""

from __future__ import annotations

from grassroots_contracts.events import PublicEvent
from grassroots_contracts.organisation import party as public
from grassroots_eventkit.domain import DomainEvent

from organisation_service.domain import branch


def to_public(event: DomainEvent, state: object) -> PublicEvent | None:
    if not isinstance(state, branch.Branch):
        return None
    ids = {"branch_id": state.branch_id, "community_id": state.community_id}
    match event:
        case branch.BranchEstablished():
            return public.BranchEstablished(**ids, compound_id=state.compound_id)
        case branch.BranchDissolved():
            return public.BranchDissolved(**ids, compound_id=state.compound_id)
        case branch.BranchMemberAdmitted():
            return public.BranchMemberAdmitted(**ids, member_id=event.member_id)
        case branch.BranchMemberRemoved():
            return public.BranchMemberRemoved(**ids, member_id=event.member_id)
        case branch.SecretaryAppointed():
            return public.BranchSecretaryAppointed(
                **ids,
                compound_id=state.compound_id,
                member_id=event.member_id,
                replaced_member_id=event.replaced_member_id,
            )
        case branch.CommitteeMemberAppointed():
            return public.CommitteeMemberAppointed(
                **ids, member_id=event.member_id, area_id=event.area_id
            )
        case branch.CommitteeMemberRemoved():
            return public.CommitteeMemberRemoved(
                **ids, member_id=event.member_id, area_id=event.area_id
            )
        case branch.PartyGroupFormed():
            return public.PartyGroupFormed(
                **ids, building_id=event.building_id, leader_member_id=event.leader_member_id
            )
        case branch.GroupLeaderReplaced():
            return public.PartyGroupLeaderReplaced(
                **ids,
                building_id=event.building_id,
                leader_member_id=event.leader_member_id,
                replaced_member_id=event.replaced_member_id,
            )
        case branch.PartyGroupDissolved():
            return public.PartyGroupDissolved(**ids, building_id=event.building_id)
    return None
