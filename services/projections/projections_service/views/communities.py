"""The county's list of communities, from the organisation service's public events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg
from grassroots_contracts import organisation as org
from grassroots_contracts.topics import ORGANISATION_EVENTS
from grassroots_eventkit.codec import ReceivedEvent
from grassroots_eventkit.migrations import Migration

GROUP = "grassroots.projections.communities"

MIGRATION = Migration(
    name="projections.0001_communities",
    sql="""
CREATE TABLE pj_communities (
    community_id  text PRIMARY KEY,
    county        text NOT NULL,
    town          text NOT NULL,
    name          text NOT NULL,
    registered_at timestamptz NOT NULL,
    version       integer NOT NULL,
    updated_at    timestamptz NOT NULL
);
CREATE INDEX pj_communities_county ON pj_communities (county, name);
""",
)


@dataclass(frozen=True, slots=True)
class CommunityRow:
    community_id: str
    county: str
    town: str
    name: str
    registered_at: datetime
    version: int
    updated_at: datetime


class CommunitiesProjector:
    group = GROUP
    topics: Sequence[str] = (ORGANISATION_EVENTS.name,)

    async def apply(self, conn: asyncpg.Connection, events: Sequence[ReceivedEvent]) -> None:
        """Fold the batch in memory, then write it with two set-based statements."""
        registered: dict[str, tuple[org.CommunityRegistered, int, datetime]] = {}
        renamed: dict[str, tuple[str, int, datetime]] = {}
        for event in events:
            version = event.meta.stream_version
            if event.event_type == org.CommunityRegistered.event_type:
                reg = event.parse(org.CommunityRegistered)
                registered[reg.community_id] = (reg, version, event.meta.time)
            elif event.event_type == org.CommunityRenamed.event_type:
                ren = event.parse(org.CommunityRenamed)
                earlier = renamed.get(ren.community_id)
                if earlier is None or earlier[1] < version:
                    renamed[ren.community_id] = (ren.name, version, event.meta.time)
        if registered:
            rows = list(registered.values())
            await conn.execute(
                """
                INSERT INTO pj_communities
                    (community_id, county, town, name, registered_at, version, updated_at)
                SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],
                                     $5::timestamptz[], $6::int[], $7::timestamptz[])
                ON CONFLICT (community_id) DO NOTHING
                """,
                [r.community_id for r, _, _ in rows],
                [r.county for r, _, _ in rows],
                [r.town for r, _, _ in rows],
                [r.name for r, _, _ in rows],
                [r.registered_at for r, _, _ in rows],
                [v for _, v, _ in rows],
                [t for _, _, t in rows],
            )
        if renamed:
            ids = list(renamed)
            await conn.execute(
                """
                UPDATE pj_communities c
                SET name = x.name, version = x.version, updated_at = x.at
                FROM unnest($1::text[], $2::text[], $3::int[], $4::timestamptz[])
                     AS x(community_id, name, version, at)
                WHERE c.community_id = x.community_id AND c.version < x.version
                """,
                ids,
                [renamed[i][0] for i in ids],
                [renamed[i][1] for i in ids],
                [renamed[i][2] for i in ids],
            )


_COLUMNS = "community_id, county, town, name, registered_at, version, updated_at"


async def list_communities(
    conn: asyncpg.Pool | asyncpg.Connection,
    *,
    county: str | None,
    community_ids: frozenset[str] | None,
    limit: int,
    offset: int,
) -> list[CommunityRow]:
    """County-wide readers pass `county`; community-scoped readers pass their ids."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM pj_communities"
        " WHERE ($1::text IS NULL OR county = $1)"
        " AND ($2::text[] IS NULL OR community_id = ANY($2::text[]))"
        " ORDER BY county, name LIMIT $3 OFFSET $4",
        county,
        sorted(community_ids) if community_ids is not None else None,
        limit,
        offset,
    )
    return [CommunityRow(**dict(r)) for r in rows]


async def get_community(
    conn: asyncpg.Pool | asyncpg.Connection, community_id: str
) -> CommunityRow | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM pj_communities WHERE community_id = $1", community_id
    )
    return CommunityRow(**dict(row)) if row else None
