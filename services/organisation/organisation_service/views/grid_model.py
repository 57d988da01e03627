"""Read model of the grid, the party organisation and the double report, per community.

Built by a consumer of the service's own public topic, so it reflects exactly what
other services and agencies see. Every table carries the community in its key.
"""

from __future__ import annotations

from grassroots_contracts.organisation import grid, members, party
from grassroots_contracts.topics import ORGANISATION_EVENTS
from grassroots_eventkit.migrations import Migration
from grassroots_eventkit.tables import Rules, TableProjector, Write, rules

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


def _update(table: str, assignments: str, key: str) -> str:
    return f"UPDATE {table} SET {assignments} WHERE community_id = $1 AND {key} = $2"


RULES: Rules = rules(
    (
        grid.CompoundRegistered,
        Write(
            "INSERT INTO rm_compounds (community_id, compound_id, name) VALUES ($1, $2, $3)"
            " ON CONFLICT DO NOTHING",
            lambda e: (e.community_id, e.compound_id, e.name),
        ),
    ),
    (
        grid.CompoundRenamed,
        Write(
            _update("rm_compounds", "name = $3", "compound_id"),
            lambda e: (e.community_id, e.compound_id, e.name),
        ),
    ),
    (
        grid.AreaAdded,
        Write(
            "INSERT INTO rm_areas (community_id, area_id, compound_id, name)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            lambda e: (e.community_id, e.area_id, e.compound_id, e.name),
        ),
    ),
    (
        grid.KeyCompoundLeaderAssigned,
        Write(
            _update("rm_compounds", "key_leader = true", "compound_id"),
            lambda e: (e.community_id, e.compound_id),
        ),
    ),
    (
        grid.BuildingRegistered,
        Write(
            "INSERT INTO rm_buildings"
            " (community_id, building_id, compound_id, area_id, name, units)"
            " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            lambda e: (e.community_id, e.building_id, e.compound_id, e.area_id, e.name, e.units),
        ),
    ),
    (
        grid.BuildingRenamed,
        Write(
            _update("rm_buildings", "name = $3", "building_id"),
            lambda e: (e.community_id, e.building_id, e.name),
        ),
    ),
    (
        grid.BuildingMoved,
        Write(
            _update("rm_buildings", "area_id = $3", "building_id"),
            lambda e: (e.community_id, e.building_id, e.to_area_id),
        ),
    ),
    (
        grid.BuildingRetired,
        Write(
            _update("rm_buildings", "retired = true", "building_id"),
            lambda e: (e.community_id, e.building_id),
        ),
    ),
    (
        grid.HouseholdsAdded,
        Write(
            "INSERT INTO rm_households (community_id, household_id, building_id, unit, room)"
            " SELECT $1, h, $2, u, r FROM unnest($3::text[], $4::int[], $5::text[]) AS x(h, u, r)"
            " ON CONFLICT DO NOTHING",
            lambda e: (
                e.community_id,
                e.building_id,
                [h.household_id for h in e.households],
                [h.unit for h in e.households],
                [h.room for h in e.households],
            ),
        ),
    ),
    (
        grid.HouseholdRetired,
        Write(
            "DELETE FROM rm_households WHERE community_id = $1 AND household_id = $2",
            lambda e: (e.community_id, e.household_id),
        ),
    ),
    (
        grid.HouseholdMemberAssigned,
        Write(
            _update("rm_households", "member_id = $3", "household_id"),
            lambda e: (e.community_id, e.household_id, e.member_id),
        ),
    ),
    (
        grid.BuildingHeadAppointed,
        Write(
            _update("rm_buildings", "head = $3", "building_id"),
            lambda e: (e.community_id, e.building_id, e.member_id),
        ),
    ),
    (
        party.BranchEstablished,
        Write(
            _update("rm_compounds", "branch_id = $3", "compound_id"),
            lambda e: (e.community_id, e.compound_id, e.branch_id),
        ),
    ),
    (
        party.BranchDissolved,
        (
            Write(
                _update("rm_compounds", "branch_id = NULL, secretary = NULL", "compound_id"),
                lambda e: (e.community_id, e.compound_id),
            ),
            Write(
                _update("rm_buildings", "group_leader = NULL", "compound_id"),
                lambda e: (e.community_id, e.compound_id),
            ),
            Write(
                _update("rm_areas", "committee_member = NULL", "compound_id"),
                lambda e: (e.community_id, e.compound_id),
            ),
        ),
    ),
    (
        party.BranchSecretaryAppointed,
        Write(
            _update("rm_compounds", "secretary = $3", "compound_id"),
            lambda e: (e.community_id, e.compound_id, e.member_id),
        ),
    ),
    (
        party.CommitteeMemberAppointed,
        Write(
            _update("rm_areas", "committee_member = $3", "area_id"),
            lambda e: (e.community_id, e.area_id, e.member_id),
        ),
    ),
    (
        party.CommitteeMemberRemoved,
        Write(
            _update("rm_areas", "committee_member = NULL", "area_id")
            + " AND committee_member = $3",
            lambda e: (e.community_id, e.area_id, e.member_id),
        ),
    ),
    (
        party.PartyGroupFormed,
        Write(
            _update("rm_buildings", "group_leader = $3", "building_id"),
            lambda e: (e.community_id, e.building_id, e.leader_member_id),
        ),
    ),
    (
        party.PartyGroupLeaderReplaced,
        Write(
            _update("rm_buildings", "group_leader = $3", "building_id"),
            lambda e: (e.community_id, e.building_id, e.leader_member_id),
        ),
    ),
    (
        party.PartyGroupDissolved,
        Write(
            _update("rm_buildings", "group_leader = NULL", "building_id"),
            lambda e: (e.community_id, e.building_id),
        ),
    ),
    (
        members.MemberRegistered,
        Write(
            "INSERT INTO rm_members (community_id, member_id, kind, contact_community_id)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            lambda e: (e.community_id, e.member_id, e.kind, e.contact_community_id),
        ),
    ),
    (
        members.MemberResidenceTransferred,
        Write(
            "UPDATE rm_members SET community_id = $2 WHERE member_id = $1",
            lambda e: (e.member_id, e.to_community_id),
        ),
    ),
    (
        members.MemberContactCommunitySet,
        Write(
            "UPDATE rm_members SET contact_community_id = $2 WHERE member_id = $1",
            lambda e: (e.member_id, e.community_id),
        ),
    ),
    (
        members.MemberReported,
        Write(
            "INSERT INTO rm_member_reports (community_id, member_id, period, role, reported_on)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            lambda e: (e.community_id, e.member_id, e.period, e.role, e.reported_on),
        ),
    ),
)


def projector(extra: Rules | None = None) -> TableProjector:
    """Events are applied one by one, in order, inside the consumer's batch transaction."""
    return TableProjector(GROUP, (ORGANISATION_EVENTS.name,), RULES, extra or {})
