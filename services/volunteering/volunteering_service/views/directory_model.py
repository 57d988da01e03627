"""Who and where, from the organisation's public events: communities (and their county),
compounds and members. The volunteering service checks ids against this copy and
never reads the organisation's database."""

from __future__ import annotations

import asyncpg
from grassroots_contracts.organisation import communities, grid, members
from grassroots_contracts.topics import ORGANISATION_EVENTS
from grassroots_eventkit.migrations import Migration
from grassroots_eventkit.tables import Rules, TableProjector, Write, rules

GROUP = "grassroots.volunteering.directory"

MIGRATION = Migration(
    name="volunteering.0001_directory",
    sql="""
CREATE TABLE vd_communities (
    community_id text PRIMARY KEY,
    county       text NOT NULL
);
CREATE TABLE vd_compounds (
    community_id text NOT NULL,
    compound_id  text NOT NULL,
    PRIMARY KEY (community_id, compound_id)
);
CREATE UNIQUE INDEX vd_compounds_id ON vd_compounds (compound_id);
CREATE TABLE vd_members (
    member_id    text PRIMARY KEY,
    community_id text NOT NULL
);
""",
)

RULES: Rules = rules(
    (
        communities.CommunityRegistered,
        Write(
            "INSERT INTO vd_communities (community_id, county) VALUES ($1, $2)"
            " ON CONFLICT DO NOTHING",
            lambda e: (e.community_id, e.county),
        ),
    ),
    (
        grid.CompoundRegistered,
        Write(
            "INSERT INTO vd_compounds (community_id, compound_id) VALUES ($1, $2)"
            " ON CONFLICT DO NOTHING",
            lambda e: (e.community_id, e.compound_id),
        ),
    ),
    (
        members.MemberRegistered,
        Write(
            "INSERT INTO vd_members (member_id, community_id) VALUES ($1, $2)"
            " ON CONFLICT DO NOTHING",
            lambda e: (e.member_id, e.community_id),
        ),
    ),
    (
        members.MemberResidenceTransferred,
        Write(
            "UPDATE vd_members SET community_id = $2 WHERE member_id = $1",
            lambda e: (e.member_id, e.to_community_id),
        ),
    ),
)


def projector() -> TableProjector:
    return TableProjector(GROUP, (ORGANISATION_EVENTS.name,), RULES)


async def county_of(db: asyncpg.Pool | asyncpg.Connection, community_id: str) -> str | None:
    county: str | None = await db.fetchval(
        "SELECT county FROM vd_communities WHERE community_id = $1", community_id
    )
    return county


async def compound_community(db: asyncpg.Pool | asyncpg.Connection, compound_id: str) -> str | None:
    found: str | None = await db.fetchval(
        "SELECT community_id FROM vd_compounds WHERE compound_id = $1", compound_id
    )
    return found


async def member_known(db: asyncpg.Pool | asyncpg.Connection, member_id: str) -> bool:
    return bool(
        await db.fetchval(
            "SELECT EXISTS (SELECT 1 FROM vd_members WHERE member_id = $1)", member_id
        )
    )
