"""Read model of unit party organisations per community: who is paired, who reported,
and the pledges' progress (承诺践诺). Unit-org events are keyed by county; each names
the community it concerns, which keys these tables."""

from __future__ import annotations

from typing import Any

import asyncpg
from grassroots_contracts.organisation import unit_orgs as events
from grassroots_eventkit.migrations import Migration
from grassroots_eventkit.tables import Rules, Write, rules

MIGRATION = Migration(
    name="organisation.0002_unit_org_read_model",
    sql="""
CREATE TABLE rm_unit_orgs (
    county      text NOT NULL,
    unit_org_id text NOT NULL,
    name        text NOT NULL,
    kind        text NOT NULL,
    PRIMARY KEY (county, unit_org_id)
);
CREATE UNIQUE INDEX rm_unit_orgs_id ON rm_unit_orgs (unit_org_id);
CREATE TABLE rm_unit_org_links (
    community_id text NOT NULL,
    unit_org_id  text NOT NULL,
    paired       boolean NOT NULL DEFAULT false,
    PRIMARY KEY (community_id, unit_org_id)
);
CREATE TABLE rm_unit_org_reports (
    community_id text NOT NULL,
    unit_org_id  text NOT NULL,
    period       integer NOT NULL,
    reported_on  date NOT NULL,
    PRIMARY KEY (community_id, unit_org_id, period)
);
CREATE TABLE rm_pledges (
    community_id text NOT NULL,
    pledge_id    text NOT NULL,
    unit_org_id  text NOT NULL,
    year         integer NOT NULL,
    title        text NOT NULL,
    status       text NOT NULL,
    notes        integer NOT NULL DEFAULT 0,
    PRIMARY KEY (community_id, pledge_id)
);
""",
)


def _pledge_status(status: str) -> Write:
    return Write(
        "UPDATE rm_pledges SET status = $3 WHERE community_id = $1 AND pledge_id = $2",
        lambda e: (e.community_id, e.pledge_id, status),
    )


RULES: Rules = rules(
    (
        events.UnitOrganisationRegistered,
        Write(
            "INSERT INTO rm_unit_orgs (county, unit_org_id, name, kind) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT DO NOTHING",
            lambda e: (e.county, e.unit_org_id, e.name, str(e.kind)),
        ),
    ),
    (
        events.UnitOrganisationRenamed,
        Write(
            "UPDATE rm_unit_orgs SET name = $2 WHERE unit_org_id = $1",
            lambda e: (e.unit_org_id, e.name),
        ),
    ),
    (
        events.UnitOrganisationPaired,
        Write(
            "INSERT INTO rm_unit_org_links (community_id, unit_org_id, paired)"
            " VALUES ($1, $2, true)"
            " ON CONFLICT (community_id, unit_org_id) DO UPDATE SET paired = true",
            lambda e: (e.community_id, e.unit_org_id),
        ),
    ),
    (
        events.UnitOrganisationReported,
        (
            Write(
                "INSERT INTO rm_unit_org_links (community_id, unit_org_id) VALUES ($1, $2)"
                " ON CONFLICT DO NOTHING",
                lambda e: (e.community_id, e.unit_org_id),
            ),
            Write(
                "INSERT INTO rm_unit_org_reports (community_id, unit_org_id, period, reported_on)"
                " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                lambda e: (e.community_id, e.unit_org_id, e.reported_on.year, e.reported_on),
            ),
        ),
    ),
    (
        events.PledgeMade,
        Write(
            "INSERT INTO rm_pledges (community_id, pledge_id, unit_org_id, year, title, status)"
            " VALUES ($1, $2, $3, $4, $5, 'pledged') ON CONFLICT DO NOTHING",
            lambda e: (e.community_id, e.pledge_id, e.unit_org_id, e.year, e.title),
        ),
    ),
    (events.PledgeStarted, _pledge_status("in_progress")),
    (events.PledgeCompleted, _pledge_status("done")),
    (
        events.PledgeNoteAdded,
        Write(
            "UPDATE rm_pledges SET notes = notes + 1 WHERE community_id = $1 AND pledge_id = $2",
            lambda e: (e.community_id, e.pledge_id),
        ),
    ),
)


async def unit_reporting(
    db: asyncpg.Pool | asyncpg.Connection, community_id: str, period: int
) -> dict[str, int]:
    """Of the unit organisations paired with the community, how many reported this period."""
    row = await db.fetchrow(
        """
        SELECT count(*) FILTER (WHERE l.paired) AS paired,
               count(*) FILTER (WHERE l.paired AND r.unit_org_id IS NOT NULL) AS reported
        FROM rm_unit_org_links l
        LEFT JOIN rm_unit_org_reports r
          ON r.community_id = l.community_id AND r.unit_org_id = l.unit_org_id AND r.period = $2
        WHERE l.community_id = $1
        """,
        community_id,
        period,
    )
    assert row is not None
    return {"paired": row["paired"], "reported": row["reported"]}


async def pledges(
    db: asyncpg.Pool | asyncpg.Connection, community_id: str, year: int
) -> list[dict[str, Any]]:
    rows = await db.fetch(
        """
        SELECT p.pledge_id, p.unit_org_id, u.name AS unit_org, p.year, p.title, p.status, p.notes
        FROM rm_pledges p LEFT JOIN rm_unit_orgs u ON u.unit_org_id = p.unit_org_id
        WHERE p.community_id = $1 AND p.year = $2
        ORDER BY u.name, p.title
        """,
        community_id,
        year,
    )
    return [dict(r) for r in rows]
