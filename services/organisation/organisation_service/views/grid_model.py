"""Read model of the grid, the party organisation and the double report, per community.

Built by a consumer of the service's own public topic, so it reflects exactly what
other services and agencies see. Every table carries the community in its key.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import asyncpg
from grassroots_contracts.organisation import grid, members, party
from grassroots_contracts.topics import ORGANISATION_EVENTS
from grassroots_eventkit.codec import ReceivedEvent
from grassroots_eventkit.migrations import Migration

GROUP = "grassroots.organisation.readmodel"

MIGRATION = Migration(
    name="organisation.0001_read_model",
    sql="""
CREATE TABLE rm_compounds (
    community_id text NOT NULL,
    compound_id  text NOT NULL,
    name         text NOT NULL,
    branch_id    text,
    secretary    text,
    key_leader   boolean NOT NULL DEFAULT false,
    PRIMARY KEY (community_id, compound_id)
);
CREATE TABLE rm_areas (
    community_id text NOT NULL,
    area_id      text NOT NULL,
    compound_id  text NOT NULL,
    name         text NOT NULL,
    committee_member text,
    PRIMARY KEY (community_id, area_id)
);
CREATE TABLE rm_buildings (
    community_id text NOT NULL,
    building_id  text NOT NULL,
    compound_id  text NOT NULL,
    area_id      text,
    name         text NOT NULL,
    units        integer NOT NULL,
    head         text,
    group_leader text,
    retired      boolean NOT NULL DEFAULT false,
    PRIMARY KEY (community_id, building_id)
);
CREATE TABLE rm_households (
    community_id text NOT NULL,
    household_id text NOT NULL,
    building_id  text NOT NULL,
    unit         integer NOT NULL,
    room         text NOT NULL,
    member_id    text,
    PRIMARY KEY (community_id, household_id)
);
CREATE INDEX rm_households_building ON rm_households (community_id, building_id);
CREATE TABLE rm_members (
    community_id         text NOT NULL,
    member_id            text NOT NULL,
    kind                 text NOT NULL,
    contact_community_id text,
    PRIMARY KEY (community_id, member_id)
);
CREATE UNIQUE INDEX rm_members_id ON rm_members (member_id);
CREATE TABLE rm_member_reports (
    community_id text NOT NULL,
    member_id    text NOT NULL,
    period       integer NOT NULL,
    role         text NOT NULL,
    reported_on  date NOT NULL,
    PRIMARY KEY (community_id, member_id, period)
);
""",
)

Apply = Callable[[asyncpg.Connection, Any], Awaitable[None]]


async def _compound(conn: asyncpg.Connection, e: grid.CompoundRegistered) -> None:
    await conn.execute(
        "INSERT INTO rm_compounds (community_id, compound_id, name) VALUES ($1, $2, $3)"
        " ON CONFLICT DO NOTHING",
        e.community_id,
        e.compound_id,
        e.name,
    )


async def _compound_renamed(conn: asyncpg.Connection, e: grid.CompoundRenamed) -> None:
    await conn.execute(
        "UPDATE rm_compounds SET name = $3 WHERE community_id = $1 AND compound_id = $2",
        e.community_id,
        e.compound_id,
        e.name,
    )


async def _area(conn: asyncpg.Connection, e: grid.AreaAdded) -> None:
    await conn.execute(
        "INSERT INTO rm_areas (community_id, area_id, compound_id, name) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT DO NOTHING",
        e.community_id,
        e.area_id,
        e.compound_id,
        e.name,
    )


async def _key_leader(conn: asyncpg.Connection, e: grid.KeyCompoundLeaderAssigned) -> None:
    await conn.execute(
        "UPDATE rm_compounds SET key_leader = true WHERE community_id = $1 AND compound_id = $2",
        e.community_id,
        e.compound_id,
    )


async def _building(conn: asyncpg.Connection, e: grid.BuildingRegistered) -> None:
    await conn.execute(
        "INSERT INTO rm_buildings (community_id, building_id, compound_id, area_id, name, units)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        e.community_id,
        e.building_id,
        e.compound_id,
        e.area_id,
        e.name,
        e.units,
    )


async def _building_renamed(conn: asyncpg.Connection, e: grid.BuildingRenamed) -> None:
    await conn.execute(
        "UPDATE rm_buildings SET name = $3 WHERE community_id = $1 AND building_id = $2",
        e.community_id,
        e.building_id,
        e.name,
    )


async def _building_moved(conn: asyncpg.Connection, e: grid.BuildingMoved) -> None:
    await conn.execute(
        "UPDATE rm_buildings SET area_id = $3 WHERE community_id = $1 AND building_id = $2",
        e.community_id,
        e.building_id,
        e.to_area_id,
    )


async def _building_retired(conn: asyncpg.Connection, e: grid.BuildingRetired) -> None:
    await conn.execute(
        "UPDATE rm_buildings SET retired = true WHERE community_id = $1 AND building_id = $2",
        e.community_id,
        e.building_id,
    )


async def _households(conn: asyncpg.Connection, e: grid.HouseholdsAdded) -> None:
    await conn.execute(
        "INSERT INTO rm_households (community_id, household_id, building_id, unit, room)"
        " SELECT $1, h, $2, u, r FROM unnest($3::text[], $4::int[], $5::text[]) AS x(h, u, r)"
        " ON CONFLICT DO NOTHING",
        e.community_id,
        e.building_id,
        [h.household_id for h in e.households],
        [h.unit for h in e.households],
        [h.room for h in e.households],
    )


async def _household_retired(conn: asyncpg.Connection, e: grid.HouseholdRetired) -> None:
    await conn.execute(
        "DELETE FROM rm_households WHERE community_id = $1 AND household_id = $2",
        e.community_id,
        e.household_id,
    )


async def _household_member(conn: asyncpg.Connection, e: grid.HouseholdMemberAssigned) -> None:
    await conn.execute(
        "UPDATE rm_households SET member_id = $3 WHERE community_id = $1 AND household_id = $2",
        e.community_id,
        e.household_id,
        e.member_id,
    )


async def _head(conn: asyncpg.Connection, e: grid.BuildingHeadAppointed) -> None:
    await conn.execute(
        "UPDATE rm_buildings SET head = $3 WHERE community_id = $1 AND building_id = $2",
        e.community_id,
        e.building_id,
        e.member_id,
    )


async def _branch(conn: asyncpg.Connection, e: party.BranchEstablished) -> None:
    await conn.execute(
        "UPDATE rm_compounds SET branch_id = $3 WHERE community_id = $1 AND compound_id = $2",
        e.community_id,
        e.compound_id,
        e.branch_id,
    )


async def _branch_dissolved(conn: asyncpg.Connection, e: party.BranchDissolved) -> None:
    await conn.execute(
        "UPDATE rm_compounds SET branch_id = NULL, secretary = NULL"
        " WHERE community_id = $1 AND compound_id = $2",
        e.community_id,
        e.compound_id,
    )
    await conn.execute(
        "UPDATE rm_buildings SET group_leader = NULL WHERE community_id = $1 AND compound_id = $2",
        e.community_id,
        e.compound_id,
    )
    await conn.execute(
        "UPDATE rm_areas SET committee_member = NULL WHERE community_id = $1 AND compound_id = $2",
        e.community_id,
        e.compound_id,
    )


async def _secretary(conn: asyncpg.Connection, e: party.BranchSecretaryAppointed) -> None:
    await conn.execute(
        "UPDATE rm_compounds SET secretary = $3 WHERE community_id = $1 AND compound_id = $2",
        e.community_id,
        e.compound_id,
        e.member_id,
    )


async def _committee(conn: asyncpg.Connection, e: party.CommitteeMemberAppointed) -> None:
    await conn.execute(
        "UPDATE rm_areas SET committee_member = $3 WHERE community_id = $1 AND area_id = $2",
        e.community_id,
        e.area_id,
        e.member_id,
    )


async def _committee_removed(conn: asyncpg.Connection, e: party.CommitteeMemberRemoved) -> None:
    await conn.execute(
        "UPDATE rm_areas SET committee_member = NULL"
        " WHERE community_id = $1 AND area_id = $2 AND committee_member = $3",
        e.community_id,
        e.area_id,
        e.member_id,
    )


async def _group(
    conn: asyncpg.Connection, e: party.PartyGroupFormed | party.PartyGroupLeaderReplaced
) -> None:
    await conn.execute(
        "UPDATE rm_buildings SET group_leader = $3 WHERE community_id = $1 AND building_id = $2",
        e.community_id,
        e.building_id,
        e.leader_member_id,
    )


async def _group_dissolved(conn: asyncpg.Connection, e: party.PartyGroupDissolved) -> None:
    await conn.execute(
        "UPDATE rm_buildings SET group_leader = NULL WHERE community_id = $1 AND building_id = $2",
        e.community_id,
        e.building_id,
    )


async def _member(conn: asyncpg.Connection, e: members.MemberRegistered) -> None:
    await conn.execute(
        "INSERT INTO rm_members (community_id, member_id, kind, contact_community_id)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        e.community_id,
        e.member_id,
        e.kind,
        e.contact_community_id,
    )


async def _moved(conn: asyncpg.Connection, e: members.MemberResidenceTransferred) -> None:
    await conn.execute(
        "UPDATE rm_members SET community_id = $2 WHERE member_id = $1",
        e.member_id,
        e.to_community_id,
    )


async def _contact(conn: asyncpg.Connection, e: members.MemberContactCommunitySet) -> None:
    await conn.execute(
        "UPDATE rm_members SET contact_community_id = $2 WHERE member_id = $1",
        e.member_id,
        e.community_id,
    )


async def _reported(conn: asyncpg.Connection, e: members.MemberReported) -> None:
    await conn.execute(
        "INSERT INTO rm_member_reports (community_id, member_id, period, role, reported_on)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        e.community_id,
        e.member_id,
        e.period,
        e.role,
        e.reported_on,
    )


HANDLERS: dict[str, tuple[type[Any], Apply]] = {
    cls.event_type: (cls, fn)
    for cls, fn in (
        (grid.CompoundRegistered, _compound),
        (grid.CompoundRenamed, _compound_renamed),
        (grid.AreaAdded, _area),
        (grid.KeyCompoundLeaderAssigned, _key_leader),
        (grid.BuildingRegistered, _building),
        (grid.BuildingRenamed, _building_renamed),
        (grid.BuildingMoved, _building_moved),
        (grid.BuildingRetired, _building_retired),
        (grid.HouseholdsAdded, _households),
        (grid.HouseholdRetired, _household_retired),
        (grid.HouseholdMemberAssigned, _household_member),
        (grid.BuildingHeadAppointed, _head),
        (party.BranchEstablished, _branch),
        (party.BranchDissolved, _branch_dissolved),
        (party.BranchSecretaryAppointed, _secretary),
        (party.CommitteeMemberAppointed, _committee),
        (party.CommitteeMemberRemoved, _committee_removed),
        (party.PartyGroupFormed, _group),
        (party.PartyGroupLeaderReplaced, _group),
        (party.PartyGroupDissolved, _group_dissolved),
        (members.MemberRegistered, _member),
        (members.MemberResidenceTransferred, _moved),
        (members.MemberContactCommunitySet, _contact),
        (members.MemberReported, _reported),
    )
}


class GridProjector:
    """Events are applied one by one, in order, inside the consumer's batch transaction."""

    group = GROUP
    topics: Sequence[str] = (ORGANISATION_EVENTS.name,)

    def __init__(self, extra: dict[str, tuple[type[Any], Apply]] | None = None) -> None:
        self._handlers = {**HANDLERS, **(extra or {})}

    async def apply(self, conn: asyncpg.Connection, events: Sequence[ReceivedEvent]) -> None:
        for event in events:
            handler = self._handlers.get(event.event_type)
            if handler is not None:
                model, fn = handler
                await fn(conn, event.parse(model))
