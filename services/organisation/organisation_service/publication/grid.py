"""Public events of compounds, buildings and the community's leaders, workers, committee."""

from __future__ import annotations

from grassroots_contracts.events import PublicEvent
from grassroots_contracts.organisation import grid as public
from grassroots_eventkit.domain import DomainEvent

from organisation_service.domain import building, community, compound


def to_public(event: DomainEvent, state: object) -> PublicEvent | None:
    if isinstance(state, compound.Compound):
        return _compound(event, state)
    if isinstance(state, building.Building):
        return _building(event, state)
    if isinstance(state, community.Community):
        return _community(event, state)
    return None


def _compound(event: DomainEvent, s: compound.Compound) -> PublicEvent | None:
    match event:
        case compound.CompoundRegistered():
            return public.CompoundRegistered(
                compound_id=s.compound_id,
                community_id=s.community_id,
                name=s.name,
                registered_at=event.registered_at,
            )
        case compound.CompoundRenamed():
            return public.CompoundRenamed(
                compound_id=s.compound_id, community_id=s.community_id, name=s.name
            )
        case compound.AreaAdded():
            return public.AreaAdded(
                area_id=event.area_id,
                compound_id=s.compound_id,
                community_id=s.community_id,
                name=event.name,
            )
        case compound.KeyCompoundLeaderAssigned():
            return public.KeyCompoundLeaderAssigned(
                compound_id=s.compound_id,
                community_id=s.community_id,
                leader_id=event.leader_id,
                title=event.title,
            )
    return None


def _building(event: DomainEvent, s: building.Building) -> PublicEvent | None:
    ids = {"building_id": s.building_id, "community_id": s.community_id}
    match event:
        case building.BuildingRegistered():
            return public.BuildingRegistered(
                **ids,
                compound_id=s.compound_id,
                area_id=s.area_id,
                name=s.name,
                units=s.units,
                registered_at=event.registered_at,
            )
        case building.BuildingRenamed():
            return public.BuildingRenamed(**ids, name=s.name)
        case building.BuildingMoved():
            return public.BuildingMoved(
                **ids,
                compound_id=s.compound_id,
                from_area_id=event.from_area_id,
                to_area_id=event.to_area_id,
            )
        case building.BuildingRetired():
            return public.BuildingRetired(**ids, compound_id=s.compound_id)
        case building.HouseholdsAdded():
            return public.HouseholdsAdded(
                **ids,
                compound_id=s.compound_id,
                households=[
                    public.HouseholdPosition(household_id=h.household_id, unit=h.unit, room=h.room)
                    for h in event.households
                ],
            )
        case building.HouseholdRetired():
            return public.HouseholdRetired(**ids, household_id=event.household_id)
        case building.HouseholdMemberAssigned():
            return public.HouseholdMemberAssigned(
                **ids, household_id=event.household_id, member_id=event.member_id
            )
        case building.BuildingHeadAppointed():
            return public.BuildingHeadAppointed(**ids, member_id=event.member_id)
    return None


def _community(event: DomainEvent, s: community.Community) -> PublicEvent | None:
    match event:
        case community.CountyLeaderLinked():
            return public.CountyLeaderLinked(
                community_id=s.community_id, leader_id=event.leader_id, title=event.title
            )
        case community.CommunityWorkerAssigned():
            return public.CommunityWorkerAssigned(
                community_id=s.community_id,
                worker_id=event.worker_id,
                role=event.role,
                grid_unit_ids=list(event.grid_unit_ids),
            )
        case community.CommitteeSecretaryAppointed():
            return public.CommitteeSecretaryAppointed(
                community_id=s.community_id, member_id=event.member_id
            )
    return None
