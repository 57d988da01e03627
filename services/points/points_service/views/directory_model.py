"""Communities (with their county), members (home and contact community, kind) and their
reports (双报到), from the organisation's public events. The points service reads this
copy, never the organisation's database."""

from __future__ import annotations

import asyncpg
from grassroots_contracts.organisation import communities, members
from grassroots_contracts.topics import ORGANISATION_EVENTS
from grassroots_eventkit.migrations import Migration
from grassroots_eventkit.tables import Rules, TableProjector, Write, rules

GROUP = "grassroots.points.directory"

MIGRATION = Migration(
    name="points.0001_directory",
    sql="""
CREATE TABLE pd_communities (
    community_id text PRIMARY KEY,
    county       text NOT NULL
);
CREATE TABLE pd_members (
    member_id            text PRIMARY KEY,
    community_id         text NOT NULL,
    contact_community_id text,
    kind                 text NOT NULL
);
CREATE TABLE pd_reports (
    member_id    text NOT NULL,
    community_id text NOT NULL,
    period       integer NOT NULL,
    PRIMARY KEY (member_id, community_id, period)
);
""",
)

RULES: Rules = rules(
    (
        communities.CommunityRegistered,
        Write(
            "INSERT INTO pd_communities (community_id, county) VALUES ($1, $2)"
            " ON CONFLICT DO NOTHING",
            lambda e: (e.community_id, e.county),
        ),
    ),
    (
        members.MemberRegistered,
        Write(
            "INSERT INTO pd_members (member_id, community_id, contact_community_id, kind)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            lambda e: (e.member_id, e.community_id, e.contact_community_id, e.kind),
        ),
    ),
    (
        members.MemberResidenceTransferred,
        Write(
            "UPDATE pd_members SET community_id = $2 WHERE member_id = $1",
            lambda e: (e.member_id, e.to_community_id),
        ),
    ),
    (
        members.MemberContactCommunitySet,
        Write(
            "UPDATE pd_members SET contact_community_id = $2 WHERE member_id = $1",
            lambda e: (e.member_id, e.community_id),
        ),
    ),
    (
        members.MemberReported,
        Write(
            "INSERT INTO pd_reports (member_id, community_id, period) VALUES ($1, $2, $3)"
            " ON CONFLICT DO NOTHING",
            lambda e: (e.member_id, e.community_id, e.period),
        ),
    ),
)


def projector() -> TableProjector:
    return TableProjector(GROUP, (ORGANISATION_EVENTS.name,), RULES)


Db = asyncpg.Pool | asyncpg.Connection


async def county_of(db: Db, community_id: str) -> str | None:
    found: str | None = await db.fetchval(
        "SELECT county FROM pd_communities WHERE community_id = $1", community_id
    )
    return found


async def member(db: Db, member_id: str) -> asyncpg.Record | None:
    return await db.fetchrow(
        "SELECT m.member_id, m.community_id, m.contact_community_id, m.kind, c.county"
        " FROM pd_members m LEFT JOIN pd_communities c USING (community_id)"
        " WHERE m.member_id = $1",
        member_id,
    )


async def reported_both(db: Db, member_id: str, year: int) -> bool:
    """双报到 for in-service members (residence and contact); the residence otherwise."""
    row = await member(db, member_id)
    if row is None:
        return False
    wanted = {row["community_id"]}
    if row["kind"] == "in_service":
        if row["contact_community_id"] is None:
            return False
        wanted.add(row["contact_community_id"])
    found = await db.fetch(
        "SELECT community_id FROM pd_reports WHERE member_id = $1 AND period = $2",
        member_id,
        year,
    )
    return wanted <= {r["community_id"] for r in found}
