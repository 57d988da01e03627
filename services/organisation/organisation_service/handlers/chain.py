"""The responsibility chain (四级管理) for an address: who answers for it, nearest first.

Household → its responsible member; building → party group leader and building head;
area → the branch committee member covering it; compound → branch secretary and any
county leader in charge of it; community → party committee secretary, grid workers
covering the compound, and the linked county leader.
"""

from __future__ import annotations

from dataclasses import dataclass

from grassroots_eventkit.auth import Principal
from grassroots_eventkit.domain import NotFound
from grassroots_eventkit.store import EventStore

from organisation_service.handlers import lookups


@dataclass(frozen=True, slots=True)
class Responsible:
    level: str
    role: str
    person_id: str
    name: str | None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Address:
    community_id: str
    compound_id: str
    area_id: str | None
    building_id: str | None
    unit: int | None
    household_id: str | None


@dataclass(frozen=True, slots=True)
class Chain:
    address: Address
    chain: list[Responsible]


async def chain_for(
    store: EventStore,
    principal: Principal,
    *,
    compound_id: str | None = None,
    building_id: str | None = None,
    household_id: str | None = None,
) -> Chain:
    place = await lookups.building_state(store, building_id) if building_id else None
    home = None
    if place is not None:
        compound_id = place.compound_id
        if household_id is not None:
            home = place.households.get(household_id)
            if home is None:
                raise NotFound("household_not_found", f"no household {household_id}")
    assert compound_id is not None
    compound = await lookups.compound_state(store, compound_id)
    principal.require_access(compound.community_id, compound.county)
    party = await lookups.branch_state(store, compound_id)
    full = await lookups.community_state(store, compound.community_id)

    async def member(level: str, role: str, member_id: str) -> Responsible:
        try:
            name: str | None = (await lookups.member_state(store, member_id)).name
        except NotFound:
            name = None
        return Responsible(level, role, member_id, name)

    chain: list[Responsible] = []
    if home is not None and home.member_id:
        chain.append(await member("household", "household_member", home.member_id))
    if place is not None:
        if party and place.building_id in party.groups:
            leader_id = party.groups[place.building_id]
            chain.append(await member("building", "party_group_leader", leader_id))
        if place.head_member_id:
            chain.append(await member("building", "building_head", place.head_member_id))
        if party and place.area_id:
            for member_id, area_id in party.committee.items():
                if area_id == place.area_id:
                    chain.append(await member("area", "committee_member", member_id))
    if party and party.secretary:
        chain.append(await member("compound", "branch_secretary", party.secretary))
    if compound.key_leader:
        leader = compound.key_leader
        chain.append(
            Responsible(
                "compound", "key_compound_leader", leader.leader_id, leader.name, leader.title
            )
        )
    if full.committee_secretary:
        chain.append(await member("community", "committee_secretary", full.committee_secretary))
    for person, units in full.workers.values():
        if compound.compound_id in units:
            chain.append(Responsible("community", person.title, person.person_id, person.name))
    chain += [
        Responsible("community", "county_leader", p.person_id, p.name, p.title)
        for p in full.leaders
    ]
    return Chain(
        address=Address(
            community_id=full.community_id,
            compound_id=compound.compound_id,
            area_id=place.area_id if place else None,
            building_id=place.building_id if place else None,
            unit=home.unit if home else None,
            household_id=household_id if home else None,
        ),
        chain=chain,
    )
