"""Coverage (有效覆盖) and the double report (双报到) of each community, from the organisation
service's public topic.

The tables keep only what the two figures need; the definitions are the organisation
service's own (its grid_queries.coverage and .reporting), so both sides agree:

- coverage: compounds with a branch / compounds; buildings not retired with a party group /
  buildings not retired; households with a responsible member / households;
- reporting rate of a year: in-service members living in the community who reported both
  to it (role residence) and to their contact community that year / in-service members
  living in the community;
- unit organisations (单位党组织) of a year: those paired with the community, and of them
  the ones that reported to it that year;
- pledges (认领项目) of a year by status, named as the organisation service names them:
  pledged, in_progress, done.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

import asyncpg
from grassroots_contracts.organisation import grid, members, party, unit_orgs
from grassroots_contracts.topics import ORGANISATION_EVENTS
from grassroots_eventkit.migrations import Migration
from grassroots_eventkit.tables import Rules, TableProjector, Write, rules

GROUP = "grassroots.projections.organisation_figures"

MIGRATION = Migration(
    name="projections.0002_organisation_figures",
    sql="""
CREATE TABLE pj_org_compounds (
    community_id text NOT NULL,
    compound_id  text NOT NULL,
    branch_id    text,
    PRIMARY KEY (community_id, compound_id)
);
CREATE TABLE pj_org_buildings (
    community_id text NOT NULL,
    building_id  text NOT NULL,
    compound_id  text NOT NULL,
    has_group    boolean NOT NULL DEFAULT false,
    retired      boolean NOT NULL DEFAULT false,
    PRIMARY KEY (community_id, building_id)
);
CREATE TABLE pj_org_households (
    community_id text NOT NULL,
    household_id text NOT NULL,
    building_id  text NOT NULL,
    member_id    text,
    PRIMARY KEY (community_id, household_id)
);
CREATE TABLE pj_org_members (
    community_id         text NOT NULL,
    member_id            text NOT NULL,
    kind                 text NOT NULL,
    contact_community_id text,
    PRIMARY KEY (community_id, member_id)
);
CREATE UNIQUE INDEX pj_org_members_id ON pj_org_members (member_id);
CREATE TABLE pj_org_reports (
    community_id text NOT NULL,
    member_id    text NOT NULL,
    period       integer NOT NULL,
    role         text NOT NULL,
    PRIMARY KEY (community_id, member_id, period)
);
""",
)

# Added after the first release: on an existing deployment, fill it with
# `grassroots projections rebuild --view organisation`.
UNIT_ORGS_MIGRATION = Migration(
    name="projections.0006_organisation_unit_orgs",
    sql="""
CREATE TABLE pj_org_unit_pairings (
    community_id text NOT NULL,
    unit_org_id  text NOT NULL,
    paired_at    timestamptz NOT NULL,
    PRIMARY KEY (community_id, unit_org_id)
);
CREATE TABLE pj_org_unit_reports (
    community_id text NOT NULL,
    unit_org_id  text NOT NULL,
    year         integer NOT NULL,
    PRIMARY KEY (community_id, unit_org_id, year)
);
CREATE TABLE pj_org_pledges (
    community_id text NOT NULL,
    pledge_id    text NOT NULL,
    unit_org_id  text NOT NULL,
    year         integer NOT NULL,
    title        text NOT NULL,
    status       text NOT NULL,
    pledged_at   timestamptz NOT NULL,
    started_at   timestamptz,
    completed_at timestamptz,
    PRIMARY KEY (community_id, pledge_id)
);
""",
)

# Member rows independent of the order partitions are read in (see the rules below); an
# existing deployment fills the versions with `grassroots projections rebuild --view
# organisation`.
MEMBER_VERSIONS_MIGRATION = Migration(
    name="projections.0008_organisation_member_versions",
    sql="""
ALTER TABLE pj_org_members
    ADD COLUMN residence_version integer NOT NULL DEFAULT 0,
    ADD COLUMN contact_version integer NOT NULL DEFAULT 0;
""",
)

MIGRATIONS: tuple[Migration, ...] = (MIGRATION, UNIT_ORGS_MIGRATION, MEMBER_VERSIONS_MIGRATION)


def _update(table: str, assignments: str, key: str) -> str:
    return f"UPDATE {table} SET {assignments} WHERE community_id = $1 AND {key} = $2"


RULES: Rules = rules(
    (
        grid.CompoundRegistered,
        Write(
            "INSERT INTO pj_org_compounds (community_id, compound_id) VALUES ($1, $2)"
            " ON CONFLICT DO NOTHING",
            lambda e: (e.community_id, e.compound_id),
        ),
    ),
    (
        grid.BuildingRegistered,
        Write(
            "INSERT INTO pj_org_buildings (community_id, building_id, compound_id)"
            " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            lambda e: (e.community_id, e.building_id, e.compound_id),
        ),
    ),
    (
        grid.BuildingRetired,
        Write(
            _update("pj_org_buildings", "retired = true", "building_id"),
            lambda e: (e.community_id, e.building_id),
        ),
    ),
    (
        grid.HouseholdsAdded,
        Write(
            "INSERT INTO pj_org_households (community_id, household_id, building_id)"
            " SELECT $1, h, $2 FROM unnest($3::text[]) AS x(h) ON CONFLICT DO NOTHING",
            lambda e: (e.community_id, e.building_id, [h.household_id for h in e.households]),
        ),
    ),
    (
        grid.HouseholdRetired,
        Write(
            "DELETE FROM pj_org_households WHERE community_id = $1 AND household_id = $2",
            lambda e: (e.community_id, e.household_id),
        ),
    ),
    (
        grid.HouseholdMemberAssigned,
        Write(
            _update("pj_org_households", "member_id = $3", "household_id"),
            lambda e: (e.community_id, e.household_id, e.member_id),
        ),
    ),
    (
        party.BranchEstablished,
        Write(
            _update("pj_org_compounds", "branch_id = $3", "compound_id"),
            lambda e: (e.community_id, e.compound_id, e.branch_id),
        ),
    ),
    (
        party.BranchDissolved,
        (
            Write(
                _update("pj_org_compounds", "branch_id = NULL", "compound_id"),
                lambda e: (e.community_id, e.compound_id),
            ),
            # A branch's building groups end with it (the organisation service does the same).
            Write(
                _update("pj_org_buildings", "has_group = false", "compound_id"),
                lambda e: (e.community_id, e.compound_id),
            ),
        ),
    ),
    (
        party.PartyGroupFormed,
        Write(
            _update("pj_org_buildings", "has_group = true", "building_id"),
            lambda e: (e.community_id, e.building_id),
        ),
    ),
    (
        party.PartyGroupDissolved,
        Write(
            _update("pj_org_buildings", "has_group = false", "building_id"),
            lambda e: (e.community_id, e.building_id),
        ),
    ),
    # A member's events are keyed by the community they concern, so a move or a new contact
    # community can sit in another partition than the registration and be read before it
    # in a replay. Each row keeps the member stream's version of its residence and of its
    # contact community and takes only newer values; a move read first leaves a row
    # (kind still unknown) that the registration completes.
    (
        members.MemberRegistered,
        Write(
            "INSERT INTO pj_org_members (community_id, member_id, kind, contact_community_id,"
            " residence_version, contact_version) VALUES ($1, $2, $3, $4, $5, $5)"
            " ON CONFLICT (member_id) DO UPDATE SET kind = EXCLUDED.kind,"
            " community_id = CASE WHEN pj_org_members.residence_version"
            " < EXCLUDED.residence_version THEN EXCLUDED.community_id"
            " ELSE pj_org_members.community_id END,"
            " residence_version = GREATEST(pj_org_members.residence_version,"
            " EXCLUDED.residence_version),"
            " contact_community_id = CASE WHEN pj_org_members.contact_version"
            " < EXCLUDED.contact_version THEN EXCLUDED.contact_community_id"
            " ELSE pj_org_members.contact_community_id END,"
            " contact_version = GREATEST(pj_org_members.contact_version,"
            " EXCLUDED.contact_version)",
            lambda e, m: (
                e.community_id,
                e.member_id,
                e.kind,
                e.contact_community_id,
                m.stream_version,
            ),
            with_meta=True,
        ),
    ),
    (
        members.MemberResidenceTransferred,
        Write(
            "INSERT INTO pj_org_members (community_id, member_id, kind, residence_version)"
            " VALUES ($2, $1, '', $3) ON CONFLICT (member_id) DO UPDATE"
            " SET community_id = EXCLUDED.community_id,"
            " residence_version = EXCLUDED.residence_version"
            " WHERE pj_org_members.residence_version < EXCLUDED.residence_version",
            lambda e, m: (e.member_id, e.to_community_id, m.stream_version),
            with_meta=True,
        ),
    ),
    (
        members.MemberContactCommunitySet,
        Write(
            "INSERT INTO pj_org_members"
            " (community_id, member_id, kind, contact_community_id, contact_version)"
            " VALUES ('', $1, '', $2, $3) ON CONFLICT (member_id) DO UPDATE"
            " SET contact_community_id = EXCLUDED.contact_community_id,"
            " contact_version = EXCLUDED.contact_version"
            " WHERE pj_org_members.contact_version < EXCLUDED.contact_version",
            lambda e, m: (e.member_id, e.community_id, m.stream_version),
            with_meta=True,
        ),
    ),
    (
        members.MemberReported,
        Write(
            "INSERT INTO pj_org_reports (community_id, member_id, period, role)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            lambda e: (e.community_id, e.member_id, e.period, e.role),
        ),
    ),
    (
        unit_orgs.UnitOrganisationPaired,
        Write(
            "INSERT INTO pj_org_unit_pairings (community_id, unit_org_id, paired_at)"
            " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            lambda e: (e.community_id, e.unit_org_id, e.paired_at),
        ),
    ),
    (
        unit_orgs.UnitOrganisationReported,
        Write(
            "INSERT INTO pj_org_unit_reports (community_id, unit_org_id, year)"
            " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            lambda e: (e.community_id, e.unit_org_id, e.reported_on.year),
        ),
    ),
    (
        unit_orgs.PledgeMade,
        Write(
            "INSERT INTO pj_org_pledges"
            " (community_id, pledge_id, unit_org_id, year, title, status, pledged_at)"
            " VALUES ($1, $2, $3, $4, $5, 'pledged', $6) ON CONFLICT DO NOTHING",
            lambda e: (e.community_id, e.pledge_id, e.unit_org_id, e.year, e.title, e.pledged_at),
        ),
    ),
    (
        unit_orgs.PledgeStarted,
        Write(
            _update("pj_org_pledges", "status = 'in_progress', started_at = $3", "pledge_id"),
            lambda e: (e.community_id, e.pledge_id, e.started_at),
        ),
    ),
    (
        unit_orgs.PledgeCompleted,
        Write(
            _update("pj_org_pledges", "status = 'done', completed_at = $3", "pledge_id"),
            lambda e: (e.community_id, e.pledge_id, e.completed_at),
        ),
    ),
)


def projector() -> TableProjector:
    return TableProjector(GROUP, (ORGANISATION_EVENTS.name,), RULES)


Db: TypeAlias = asyncpg.Pool | asyncpg.Connection


@dataclass(frozen=True, slots=True)
class Ratio:
    total: int
    covered: int

    @property
    def rate(self) -> float | None:
        return round(self.covered / self.total, 4) if self.total else None


@dataclass(frozen=True, slots=True)
class Reporting:
    period: int
    in_service: int
    reported_residence: int
    reported_contact: int
    reported_both: int

    @property
    def rate(self) -> float | None:
        return round(self.reported_both / self.in_service, 4) if self.in_service else None


async def coverage(db: Db, community_id: str) -> dict[str, Ratio]:
    row = await db.fetchrow(
        """
        SELECT
          (SELECT count(*) FROM pj_org_compounds WHERE community_id = $1) AS compounds,
          (SELECT count(*) FROM pj_org_compounds
            WHERE community_id = $1 AND branch_id IS NOT NULL) AS compounds_with_branch,
          (SELECT count(*) FROM pj_org_buildings WHERE community_id = $1 AND NOT retired)
            AS buildings,
          (SELECT count(*) FROM pj_org_buildings
            WHERE community_id = $1 AND NOT retired AND has_group) AS buildings_with_group,
          (SELECT count(*) FROM pj_org_households WHERE community_id = $1) AS households,
          (SELECT count(*) FROM pj_org_households
            WHERE community_id = $1 AND member_id IS NOT NULL) AS households_with_member
        """,
        community_id,
    )
    assert row is not None
    return {
        "compounds_with_branch": Ratio(row["compounds"], row["compounds_with_branch"]),
        "buildings_with_party_group": Ratio(row["buildings"], row["buildings_with_group"]),
        "households_with_responsible_member": Ratio(
            row["households"], row["households_with_member"]
        ),
    }


async def reporting(db: Db, community_id: str, period: int) -> Reporting:
    return (await reporting_in(db, [community_id], period))[community_id]


# The double report of many communities in one statement: the county overview asked once
# per community, a few hundred round trips for a county. At a province's proportions the
# reports are read through their key (`grassroots capacity double-report`).
REPORTING_IN_SQL = """
SELECT m.community_id,
       count(*) AS in_service,
       count(r.member_id) AS residence,
       count(c.member_id) AS contact,
       count(*) FILTER (WHERE r.member_id IS NOT NULL AND c.member_id IS NOT NULL) AS both
FROM pj_org_members m
LEFT JOIN pj_org_reports r
  ON r.community_id = m.community_id AND r.member_id = m.member_id AND r.period = $2
LEFT JOIN pj_org_reports c
  ON c.community_id = m.contact_community_id AND c.member_id = m.member_id
 AND c.period = $2
WHERE m.community_id = ANY($1::text[]) AND m.kind = 'in_service'
GROUP BY 1
"""

# Party members of every kind living in each community (the per-member denominators).
MEMBERS_REGISTERED_SQL = (
    "SELECT community_id, count(*) AS n FROM pj_org_members"
    " WHERE community_id = ANY($1::text[]) AND kind <> '' GROUP BY 1"
)


async def reporting_in(db: Db, community_ids: list[str], period: int) -> dict[str, Reporting]:
    rows = await db.fetch(REPORTING_IN_SQL, community_ids, period)
    found = {
        r["community_id"]: Reporting(
            period=period,
            in_service=r["in_service"],
            reported_residence=r["residence"],
            reported_contact=r["contact"],
            reported_both=r["both"],
        )
        for r in rows
    }
    return {c: found.get(c, Reporting(period, 0, 0, 0, 0)) for c in community_ids}


async def members_registered(db: Db, community_ids: list[str]) -> dict[str, int]:
    rows = await db.fetch(MEMBERS_REGISTERED_SQL, community_ids)
    return {r["community_id"]: int(r["n"]) for r in rows}


@dataclass(frozen=True, slots=True)
class UnitOrgs:
    year: int
    paired: int
    reported: int

    @property
    def rate(self) -> float | None:
        return round(self.reported / self.paired, 4) if self.paired else None


@dataclass(frozen=True, slots=True)
class Pledge:
    pledge_id: str
    unit_org_id: str
    title: str
    status: str


async def unit_organisations(db: Db, community_id: str, year: int) -> UnitOrgs:
    """Paired units, and of them those that reported to the community in `year`."""
    row = await db.fetchrow(
        """
        SELECT count(*) AS paired, count(r.unit_org_id) AS reported
        FROM pj_org_unit_pairings p
        LEFT JOIN pj_org_unit_reports r
          ON r.community_id = p.community_id AND r.unit_org_id = p.unit_org_id
         AND r.year = $2
        WHERE p.community_id = $1
        """,
        community_id,
        year,
    )
    assert row is not None
    return UnitOrgs(year=year, paired=row["paired"], reported=row["reported"])


async def pledges(db: Db, community_id: str, year: int) -> list[Pledge]:
    rows = await db.fetch(
        "SELECT pledge_id, unit_org_id, title, status FROM pj_org_pledges"
        " WHERE community_id = $1 AND year = $2 ORDER BY pledged_at, pledge_id",
        community_id,
        year,
    )
    return [Pledge(**dict(r)) for r in rows]
