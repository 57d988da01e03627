"""The routing table: who answers for each address, built from the organisation's public
events. The requests service never reads the organisation's database; it keeps this copy.

Four-level responsibility (四级管理): household → its responsible member; building → its
party group leader and building head; area → the branch committee member covering it;
compound → the branch secretary. Nobody on the chain: the community's staff handle it.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from grassroots_contracts.organisation import communities, grid, members, party
from grassroots_contracts.topics import ORGANISATION_EVENTS
from grassroots_eventkit.migrations import Migration
from grassroots_eventkit.tables import Rules, TableProjector, Write, rules

GROUP = "grassroots.requests.routing"

MIGRATION = Migration(
    name="requests.0001_routing",
    sql="""
CREATE TABLE rt_communities (
    community_id text PRIMARY KEY,
    county       text NOT NULL,
    name         text NOT NULL
);
CREATE TABLE rt_compounds (
    community_id text NOT NULL,
    compound_id  text NOT NULL,
    secretary    text,
    PRIMARY KEY (community_id, compound_id)
);
CREATE UNIQUE INDEX rt_compounds_id ON rt_compounds (compound_id);
CREATE TABLE rt_areas (
    community_id     text NOT NULL,
    area_id          text NOT NULL,
    compound_id      text NOT NULL,
    committee_member text,
    PRIMARY KEY (community_id, area_id)
);
CREATE TABLE rt_buildings (
    community_id text NOT NULL,
    building_id  text NOT NULL,
    compound_id  text NOT NULL,
    area_id      text,
    head         text,
    group_leader text,
    retired      boolean NOT NULL DEFAULT false,
    PRIMARY KEY (community_id, building_id)
);
CREATE UNIQUE INDEX rt_buildings_id ON rt_buildings (building_id);
CREATE TABLE rt_households (
    community_id text NOT NULL,
    household_id text NOT NULL,
    building_id  text NOT NULL,
    member_id    text,
    PRIMARY KEY (community_id, household_id)
);
CREATE UNIQUE INDEX rt_households_id ON rt_households (household_id);
CREATE TABLE rt_members (
    member_id    text PRIMARY KEY,
    community_id text NOT NULL
);
""",
)


def _set(table: str, assignment: str, key: str) -> str:
    return f"UPDATE {table} SET {assignment} WHERE community_id = $1 AND {key} = $2"


RULES: Rules = rules(
    (
        communities.CommunityRegistered,
        Write(
            "INSERT INTO rt_communities (community_id, county, name) VALUES ($1, $2, $3)"
            " ON CONFLICT DO NOTHING",
            lambda e: (e.community_id, e.county, e.name),
        ),
    ),
    (
        communities.CommunityRenamed,
        Write(
            "UPDATE rt_communities SET name = $2 WHERE community_id = $1",
            lambda e: (e.community_id, e.name),
        ),
    ),
    (
        grid.CompoundRegistered,
        Write(
            "INSERT INTO rt_compounds (community_id, compound_id) VALUES ($1, $2)"
            " ON CONFLICT DO NOTHING",
            lambda e: (e.community_id, e.compound_id),
        ),
    ),
    (
        grid.AreaAdded,
        Write(
            "INSERT INTO rt_areas (community_id, area_id, compound_id) VALUES ($1, $2, $3)"
            " ON CONFLICT DO NOTHING",
            lambda e: (e.community_id, e.area_id, e.compound_id),
        ),
    ),
    (
        grid.BuildingRegistered,
        Write(
            "INSERT INTO rt_buildings (community_id, building_id, compound_id, area_id)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            lambda e: (e.community_id, e.building_id, e.compound_id, e.area_id),
        ),
    ),
    (
        grid.BuildingMoved,
        Write(
            _set("rt_buildings", "area_id = $3", "building_id"),
            lambda e: (e.community_id, e.building_id, e.to_area_id),
        ),
    ),
    (
        grid.BuildingRetired,
        Write(
            _set("rt_buildings", "retired = true", "building_id"),
            lambda e: (e.community_id, e.building_id),
        ),
    ),
    (
        grid.BuildingHeadAppointed,
        Write(
            _set("rt_buildings", "head = $3", "building_id"),
            lambda e: (e.community_id, e.building_id, e.member_id),
        ),
    ),
    (
        grid.HouseholdsAdded,
        Write(
            "INSERT INTO rt_households (community_id, household_id, building_id)"
            " SELECT $1, h, $2 FROM unnest($3::text[]) AS h ON CONFLICT DO NOTHING",
            lambda e: (e.community_id, e.building_id, [h.household_id for h in e.households]),
        ),
    ),
    (
        grid.HouseholdRetired,
        Write(
            "DELETE FROM rt_households WHERE community_id = $1 AND household_id = $2",
            lambda e: (e.community_id, e.household_id),
        ),
    ),
    (
        grid.HouseholdMemberAssigned,
        Write(
            _set("rt_households", "member_id = $3", "household_id"),
            lambda e: (e.community_id, e.household_id, e.member_id),
        ),
    ),
    (
        party.BranchSecretaryAppointed,
        Write(
            _set("rt_compounds", "secretary = $3", "compound_id"),
            lambda e: (e.community_id, e.compound_id, e.member_id),
        ),
    ),
    (
        party.BranchDissolved,
        (
            Write(
                _set("rt_compounds", "secretary = NULL", "compound_id"),
                lambda e: (e.community_id, e.compound_id),
            ),
            Write(
                _set("rt_buildings", "group_leader = NULL", "compound_id"),
                lambda e: (e.community_id, e.compound_id),
            ),
            Write(
                _set("rt_areas", "committee_member = NULL", "compound_id"),
                lambda e: (e.community_id, e.compound_id),
            ),
        ),
    ),
    (
        party.CommitteeMemberAppointed,
        Write(
            _set("rt_areas", "committee_member = $3", "area_id"),
            lambda e: (e.community_id, e.area_id, e.member_id),
        ),
    ),
    (
        party.CommitteeMemberRemoved,
        Write(
            _set("rt_areas", "committee_member = NULL", "area_id") + " AND committee_member = $3",
            lambda e: (e.community_id, e.area_id, e.member_id),
        ),
    ),
    (
        party.PartyGroupFormed,
        Write(
            _set("rt_buildings", "group_leader = $3", "building_id"),
            lambda e: (e.community_id, e.building_id, e.leader_member_id),
        ),
    ),
    (
        party.PartyGroupLeaderReplaced,
        Write(
            _set("rt_buildings", "group_leader = $3", "building_id"),
            lambda e: (e.community_id, e.building_id, e.leader_member_id),
        ),
    ),
    (
        party.PartyGroupDissolved,
        Write(
            _set("rt_buildings", "group_leader = NULL", "building_id"),
            lambda e: (e.community_id, e.building_id),
        ),
    ),
    (
        members.MemberRegistered,
        Write(
            "INSERT INTO rt_members (member_id, community_id) VALUES ($1, $2)"
            " ON CONFLICT DO NOTHING",
            lambda e: (e.member_id, e.community_id),
        ),
    ),
    (
        members.MemberResidenceTransferred,
        Write(
            "UPDATE rt_members SET community_id = $2 WHERE member_id = $1",
            lambda e: (e.member_id, e.to_community_id),
        ),
    ),
)


def projector() -> TableProjector:
    return TableProjector(GROUP, (ORGANISATION_EVENTS.name,), RULES)


@dataclass(frozen=True, slots=True)
class Place:
    """An address resolved against the routing table, with its chain nearest first."""

    county: str
    community_id: str
    compound_id: str | None
    area_id: str | None
    building_id: str | None
    household_id: str | None
    chain: tuple[tuple[str, str], ...]  # (level, member id)


class UnknownPlace(LookupError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


async def community_county(conn: asyncpg.Pool | asyncpg.Connection, community_id: str) -> str:
    county: str | None = await conn.fetchval(
        "SELECT county FROM rt_communities WHERE community_id = $1", community_id
    )
    if county is None:
        raise UnknownPlace("community_id", f"no community {community_id} (yet)")
    return county


async def resolve_place(
    conn: asyncpg.Pool | asyncpg.Connection,
    *,
    community_id: str | None,
    compound_id: str | None,
    building_id: str | None,
    household_id: str | None,
) -> Place:
    """Fill in the grid above the most precise id given, and check they agree."""
    prefix = "address"
    household = building = compound = None
    if household_id is not None:
        household = await conn.fetchrow(
            "SELECT community_id, building_id, member_id FROM rt_households"
            " WHERE household_id = $1",
            household_id,
        )
        if household is None:
            raise UnknownPlace(f"{prefix}.household_id", f"no household {household_id}")
        if building_id is not None and building_id != household["building_id"]:
            raise UnknownPlace(f"{prefix}.household_id", "that household is in another building")
        building_id = household["building_id"]
    if building_id is not None:
        building = await conn.fetchrow(
            "SELECT community_id, compound_id, area_id, head, group_leader, retired"
            " FROM rt_buildings WHERE building_id = $1",
            building_id,
        )
        if building is None or building["retired"]:
            raise UnknownPlace(f"{prefix}.building_id", f"no building {building_id} in use")
        if compound_id is not None and compound_id != building["compound_id"]:
            raise UnknownPlace(f"{prefix}.building_id", "that building is in another compound")
        compound_id = building["compound_id"]
    if compound_id is not None:
        compound = await conn.fetchrow(
            "SELECT community_id, secretary FROM rt_compounds WHERE compound_id = $1", compound_id
        )
        if compound is None:
            raise UnknownPlace(f"{prefix}.compound_id", f"no compound {compound_id}")
        if community_id is not None and community_id != compound["community_id"]:
            raise UnknownPlace(f"{prefix}.compound_id", "that compound is in another community")
        community_id = compound["community_id"]
    if community_id is None:
        raise UnknownPlace(f"{prefix}.community_id", "give at least the community")
    county = await community_county(conn, community_id)
    area = None
    if building is not None and building["area_id"] is not None:
        area = await conn.fetchrow(
            "SELECT committee_member FROM rt_areas WHERE community_id = $1 AND area_id = $2",
            community_id,
            building["area_id"],
        )
    chain: list[tuple[str, str]] = []
    if household is not None and household["member_id"]:
        chain.append(("household", household["member_id"]))
    if building is not None:
        for role in ("group_leader", "head"):
            if building[role]:
                chain.append(("building", building[role]))
    if area is not None and area["committee_member"]:
        chain.append(("area", area["committee_member"]))
    if compound is not None and compound["secretary"]:
        chain.append(("compound", compound["secretary"]))
    return Place(
        county=county,
        community_id=community_id,
        compound_id=compound_id,
        area_id=building["area_id"] if building is not None else None,
        building_id=building_id,
        household_id=household_id,
        chain=tuple(chain),
    )


async def member_community(conn: asyncpg.Pool | asyncpg.Connection, member_id: str) -> str | None:
    found: str | None = await conn.fetchval(
        "SELECT community_id FROM rt_members WHERE member_id = $1", member_id
    )
    return found
