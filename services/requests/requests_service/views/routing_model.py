"""The routing table: who answers for each address, built from the organisation's public
events. The requests service never reads the organisation's database; it keeps this copy.

Four-level responsibility (四级管理): household → its responsible member; building → its
party group leader and building head; area → the branch committee member covering it;
compound → the branch secretary. Nobody on the chain: the community's staff handle it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg
from grassroots_contracts.organisation import communities, grid, members, party
from grassroots_contracts.topics import ORGANISATION_EVENTS
from grassroots_eventkit.codec import ReceivedEvent
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


# Events that change who answers for a place: (the place's id field, the kind of place).
REROUTING: dict[str, tuple[str, str]] = {
    party.PartyGroupFormed.event_type: ("building_id", "building"),
    party.PartyGroupLeaderReplaced.event_type: ("building_id", "building"),
    party.PartyGroupDissolved.event_type: ("building_id", "building"),
    grid.BuildingHeadAppointed.event_type: ("building_id", "building"),
    grid.BuildingMoved.event_type: ("building_id", "building"),
    grid.HouseholdMemberAssigned.event_type: ("household_id", "household"),
    party.CommitteeMemberAppointed.event_type: ("area_id", "area"),
    party.CommitteeMemberRemoved.event_type: ("area_id", "area"),
    party.BranchSecretaryAppointed.event_type: ("compound_id", "compound"),
    party.BranchDissolved.event_type: ("compound_id", "compound"),
}

# Open requests still on a grid chain in the touched places: due for a re-route now (a
# row of the durable timer's table, so it survives restarts and runs once).
_REROUTE = """
INSERT INTO rq_timers (request_id, deadline, community_id, due_at)
SELECT r.request_id, 'reroute', r.community_id, now()
FROM rq_requests r
WHERE r.status = 'open' AND r.level IN ('household', 'building', 'area', 'compound')
  AND (r.building_id = ANY($1::text[]) OR r.household_id = ANY($2::text[])
       OR r.compound_id = ANY($3::text[])
       OR r.building_id IN (SELECT building_id FROM rt_buildings
                            WHERE area_id = ANY($4::text[])))
ON CONFLICT (request_id, deadline) DO UPDATE SET due_at = excluded.due_at
"""


class RoutingProjector(TableProjector):
    """The routing table, and a re-route of the open requests its changes touch:
    `when_responsibility_changes_reroute_open_requests`."""

    def __init__(self) -> None:
        super().__init__(GROUP, (ORGANISATION_EVENTS.name,), RULES)

    async def apply(self, conn: asyncpg.Connection, events: Sequence[ReceivedEvent]) -> None:
        await super().apply(conn, events)
        touched: dict[str, set[str]] = {
            "building": set(),
            "household": set(),
            "compound": set(),
            "area": set(),
        }
        for event in events:
            found = REROUTING.get(event.event_type)
            if found and isinstance(event.payload.get(found[0]), str):
                touched[found[1]].add(event.payload[found[0]])
        if any(touched.values()):
            await conn.execute(
                _REROUTE,
                sorted(touched["building"]),
                sorted(touched["household"]),
                sorted(touched["compound"]),
                sorted(touched["area"]),
            )


def projector() -> RoutingProjector:
    return RoutingProjector()


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


_PLACE = """
SELECT h.household_id, h.building_id AS household_building, h.member_id AS household_member,
       b.building_id, b.compound_id AS building_compound, b.area_id, b.head, b.group_leader,
       b.retired,
       x.compound_id, x.community_id AS compound_community, x.secretary,
       a.committee_member,
       c.community_id, c.county
FROM (SELECT $1::text AS household_id, $2::text AS building_id,
             $3::text AS compound_id, $4::text AS community_id) AS q
LEFT JOIN rt_households h ON h.household_id = q.household_id
LEFT JOIN rt_buildings b ON b.building_id = COALESCE(h.building_id, q.building_id)
LEFT JOIN rt_compounds x ON x.compound_id = COALESCE(b.compound_id, q.compound_id)
LEFT JOIN rt_areas a ON a.community_id = b.community_id AND a.area_id = b.area_id
LEFT JOIN rt_communities c ON c.community_id = COALESCE(x.community_id, q.community_id)
"""


async def resolve_place(
    conn: asyncpg.Pool | asyncpg.Connection,
    *,
    community_id: str | None,
    compound_id: str | None,
    building_id: str | None,
    household_id: str | None,
) -> Place:
    """Fill in the grid above the most precise id given (one query), and check the ids
    given agree with each other."""
    row = await conn.fetchrow(_PLACE, household_id, building_id, compound_id, community_id)
    assert row is not None  # the VALUES row always comes back
    if household_id is not None:
        if row["household_id"] is None:
            raise UnknownPlace("address.household_id", f"no household {household_id}")
        if building_id is not None and building_id != row["household_building"]:
            raise UnknownPlace("address.household_id", "that household is in another building")
        building_id = row["household_building"]
    if building_id is not None:
        if row["building_id"] is None or row["retired"]:
            raise UnknownPlace("address.building_id", f"no building {building_id} in use")
        if compound_id is not None and compound_id != row["building_compound"]:
            raise UnknownPlace("address.building_id", "that building is in another compound")
        compound_id = row["building_compound"]
    if compound_id is not None:
        if row["compound_id"] is None:
            raise UnknownPlace("address.compound_id", f"no compound {compound_id}")
        if community_id is not None and community_id != row["compound_community"]:
            raise UnknownPlace("address.compound_id", "that compound is in another community")
        community_id = row["compound_community"]
    if community_id is None:
        raise UnknownPlace("address.community_id", "give at least the community")
    if row["county"] is None:
        raise UnknownPlace("community_id", f"no community {community_id} (yet)")
    chain: list[tuple[str, str]] = []
    if household_id is not None and row["household_member"]:
        chain.append(("household", row["household_member"]))
    if building_id is not None:
        chain += [("building", row[role]) for role in ("group_leader", "head") if row[role]]
        if row["committee_member"]:
            chain.append(("area", row["committee_member"]))
    if row["secretary"]:
        chain.append(("compound", row["secretary"]))
    return Place(
        county=row["county"],
        community_id=community_id,
        compound_id=compound_id,
        area_id=row["area_id"] if building_id is not None else None,
        building_id=building_id,
        household_id=household_id,
        chain=tuple(chain),
    )


async def member_community(conn: asyncpg.Pool | asyncpg.Connection, member_id: str) -> str | None:
    found: str | None = await conn.fetchval(
        "SELECT community_id FROM rt_members WHERE member_id = $1", member_id
    )
    return found
