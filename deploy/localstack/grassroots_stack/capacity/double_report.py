"""The county overview's two statements that grew with the tables (`reporting_in`,
`members_registered`; docs/capacity.md §6), timed on tables of a province's proportions:
one county is 1/122 of the rows, as it will be in a province deployment.

Replaying a province's members and reports through the projection code would take hours
and some 30 GB here; these two statements read two tables only, so the rows are made
directly in SQL, in the shape the onboarding gives a community (150 members, 35 % in
service, each reporting to two communities of the county), and the statements timed are
the view's own functions."""

from __future__ import annotations

import hashlib
import re
import statistics
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg
from projections_service.views import organisation_figures, overview

from grassroots_stack.capacity.latency import timed_ms
from grassroots_stack.capacity.scale import (
    COMMUNITIES_PER_COUNTY,
    PROVINCE_COUNTIES,
    CommunityShape,
)

_ROUNDS = 7
_REPORTED_SHARE_PCT = 90  # of in-service members, per role and year

# One county's members: ids as long as the real ones (uuid text), the first in-service
# share of each community in service and reporting to another community of its county.
_MEMBERS = """
INSERT INTO pj_org_members (community_id, member_id, kind, contact_community_id)
SELECT md5('c' || c)::uuid::text, md5('m' || c || '-' || n)::uuid::text,
       CASE WHEN n < $3::int THEN 'in_service' WHEN n < $4::int THEN 'resident' ELSE 'retired' END,
       CASE WHEN n < $3::int
            THEN md5('c' || (first + (c - first + 1 + n % 7) % $2::int))::uuid::text END
FROM (SELECT $1::int * $2::int AS first) f,
     generate_series(f.first, f.first + $2::int - 1) c, generate_series(0, $5::int - 1) n
"""
# Each in-service member's report to the community it lives in and to its contact
# community, most years: the primary key is (community, member, period), so one row each.
_REPORTS = """
INSERT INTO pj_org_reports (community_id, member_id, period, role)
SELECT community_id, member_id, y, 'residence'
FROM pj_org_members, generate_series($2::int - $3 + 1, $2) y
WHERE kind = 'in_service' AND community_id = ANY($1::text[])
  AND abs(hashtext(member_id || y)) % 100 < $4
UNION ALL
SELECT contact_community_id, member_id, y, 'contact'
FROM pj_org_members, generate_series($2::int - $3 + 1, $2) y
WHERE kind = 'in_service' AND community_id = ANY($1::text[])
  AND abs(hashtext(member_id || y || 'contact')) % 100 < $4
"""


@dataclass(frozen=True, slots=True)
class Shape:
    counties: int = PROVINCE_COUNTIES
    per_county: int = COMMUNITIES_PER_COUNTY
    years: int = 3
    community: CommunityShape = field(default_factory=CommunityShape)

    @property
    def in_service(self) -> int:
        return round(self.community.members * self.community.in_service_share)

    @property
    def residents_end(self) -> int:
        shares = self.community.in_service_share + self.community.resident_share
        return round(self.community.members * shares)


def county_ids(shape: Shape, county: int) -> list[str]:
    """The community ids `build` gives county `county` (the same md5 as its SQL)."""
    first = county * shape.per_county
    return [
        str(uuid.UUID(hashlib.md5(f"c{c}".encode()).hexdigest()))  # noqa: S324 - ids, not security
        for c in range(first, first + shape.per_county)
    ]


async def build(
    conn: asyncpg.Connection,
    shape: Shape,
    year: int,
    on_county: Callable[[int], None] = lambda _n: None,
) -> dict[str, int]:
    """Every county's members and reports into the (empty, migrated) organisation tables."""
    for county in range(shape.counties):
        async with conn.transaction():
            await conn.execute(
                _MEMBERS,
                county,
                shape.per_county,
                shape.in_service,
                shape.residents_end,
                shape.community.members,
            )
            await conn.execute(
                _REPORTS, county_ids(shape, county), year, shape.years, _REPORTED_SHARE_PCT
            )
        on_county(county + 1)
    await conn.execute("VACUUM ANALYZE pj_org_members")
    await conn.execute("VACUUM ANALYZE pj_org_reports")
    return {
        "members": int(await conn.fetchval("SELECT count(*) FROM pj_org_members")),
        "reports": int(await conn.fetchval("SELECT count(*) FROM pj_org_reports")),
        "bytes": int(
            await conn.fetchval(
                "SELECT pg_total_relation_size('pj_org_members')"
                " + pg_total_relation_size('pj_org_reports')"
            )
        ),
    }


async def _median_ms(call: Callable[[], Awaitable[object]]) -> float:
    await call()  # warm: the first run reads the pages into the buffer cache
    return round(statistics.median([await timed_ms(call) for _ in range(_ROUNDS)]), 1)


_SCANS = re.compile(
    r"((?:Parallel )?(?:Seq|Index Only|Index|Bitmap Heap|Bitmap Index) Scan)"
    r"(?: using (\w+))? on (\w+)"
)


async def scans(conn: asyncpg.Connection, sql: str, *args: object) -> list[str]:
    """How the plan reads each table: "Index Only Scan using pj_org_reports_pkey on
    pj_org_reports", "Seq Scan on pj_org_members", …"""
    plan = await conn.fetch(f"EXPLAIN {sql}", *args)
    found = []
    for row in plan:
        m = _SCANS.search(row[0])
        if m:
            kind, index, table = m.groups()
            found.append(f"{kind} using {index} on {table}" if index else f"{kind} on {table}")
    return sorted(set(found))


async def time_county(pool: asyncpg.Pool, shape: Shape, year: int) -> dict[str, object]:
    """The two statements for the first county, as the overview calls them."""
    ids = county_ids(shape, 0)
    reporting = await organisation_figures.reporting_in(pool, ids, year)
    async with pool.acquire() as conn:
        plans = {
            "reporting_in": await scans(conn, organisation_figures.REPORTING_IN_SQL, ids, year),
            "members_registered": await scans(
                conn, organisation_figures.MEMBERS_REGISTERED_SQL, ids
            ),
        }
    return {
        "reporting_in_ms": await _median_ms(
            lambda: organisation_figures.reporting_in(pool, ids, year)
        ),
        "members_registered_ms": await _median_ms(
            lambda: organisation_figures.members_registered(pool, ids)
        ),
        "rounds": _ROUNDS,
        "plans": plans,
        "sequential_scans": sorted(s for p in plans.values() for s in p if "Seq Scan" in s),
        "county_in_service": sum(r.in_service for r in reporting.values()),
        "county_reported_both": sum(r.reported_both for r in reporting.values()),
    }


def this_year() -> int:
    """The year the overview asks for: today's, in China."""
    return overview.china_today(datetime.now(UTC)).year
