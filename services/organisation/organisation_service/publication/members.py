"""Public events of members: ids, grid positions, kind, reports. Never a name or phone."""

from __future__ import annotations

from grassroots_contracts.events import PublicEvent
from grassroots_contracts.organisation import members as public
from grassroots_eventkit.domain import DomainEvent

from organisation_service.domain import member


def to_public(event: DomainEvent, state: object) -> PublicEvent | None:
    if not isinstance(state, member.Member):
        return None
    match event:
        case member.MemberRegistered():
            return public.MemberRegistered(
                member_id=event.member_id,
                community_id=event.residence.community_id,
                building_id=event.residence.building_id,
                household_id=event.residence.household_id,
                kind=event.kind,
                unit_org_id=event.unit_org_id,
                contact_community_id=event.contact_community_id,
                registered_at=event.registered_at,
            )
        case member.ResidenceTransferred():
            return public.MemberResidenceTransferred(
                member_id=event.member_id,
                from_community_id=event.previous.community_id,
                to_community_id=event.residence.community_id,
                building_id=event.residence.building_id,
                household_id=event.residence.household_id,
            )
        case member.ContactCommunitySet():
            return public.MemberContactCommunitySet(
                member_id=event.member_id, community_id=event.community_id
            )
        case member.MemberReported():
            return public.MemberReported(
                member_id=event.member_id,
                community_id=event.community_id,
                role=event.role,
                reported_on=event.reported_on,
                period=event.period,
            )
    return None
