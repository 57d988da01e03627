"""`grassroots capacity double-report` makes the organisation tables in the onboarding's
shape and times the overview's own statements on them: the rows are what the shape says,
the timed function answers what an independent count of the same rows answers, and the
plan summary names how each table was read."""

from __future__ import annotations

import pytest
from grassroots_eventkit.migrations import migrate
from grassroots_stack.capacity.command import MIGRATIONS
from grassroots_stack.capacity.double_report import Shape, build, county_ids, scans, time_county
from projections_service.views.organisation_figures import MEMBERS_REGISTERED_SQL

from tests.support.databases import fresh_database

pytestmark = pytest.mark.integration

SHAPE = Shape(counties=3, per_county=12, years=2)
YEAR = 2026

# Every in-service member of the county with both reports of the year, counted apart from
# the view's statement: one EXISTS per report, not two joins.
BOTH = """
SELECT count(*) FROM pj_org_members m
WHERE m.community_id = ANY($1::text[]) AND m.kind = 'in_service'
  AND EXISTS (SELECT FROM pj_org_reports r WHERE r.community_id = m.community_id
              AND r.member_id = m.member_id AND r.period = $2)
  AND EXISTS (SELECT FROM pj_org_reports r WHERE r.community_id = m.contact_community_id
              AND r.member_id = m.member_id AND r.period = $2)
"""


async def test_the_double_report_at_scale_builds_the_shape_and_times_the_views_statements(stack):
    async with fresh_database(stack) as (_dsn, pool):
        await migrate(pool, MIGRATIONS)
        seen: list[int] = []
        async with pool.acquire() as conn:
            rows = await build(conn, SHAPE, YEAR, seen.append)
        assert seen == [1, 2, 3]
        communities = SHAPE.counties * SHAPE.per_county
        assert rows["members"] == communities * SHAPE.community.members
        in_service = communities * SHAPE.in_service
        # Two reports a year per in-service member, 90 % of them (a hash decides which).
        most = 2 * SHAPE.years * in_service
        assert 0.8 * most < rows["reports"] < most

        ids = county_ids(SHAPE, 0)
        assert await pool.fetchval(
            "SELECT count(DISTINCT community_id) FROM pj_org_members"
            " WHERE community_id = ANY($1::text[])",
            ids,
        ) == len(ids)
        # Every contact community is another community of the same county.
        assert await pool.fetchval(
            "SELECT bool_and(contact_community_id = ANY($1::text[])"
            " AND contact_community_id <> community_id) FROM pj_org_members"
            " WHERE community_id = ANY($1::text[]) AND kind = 'in_service'",
            ids,
        )

        timed = await time_county(pool, SHAPE, YEAR)
        assert timed["county_in_service"] == SHAPE.per_county * SHAPE.in_service
        assert timed["county_reported_both"] == await pool.fetchval(BOTH, ids, YEAR)
        assert 0 < timed["county_reported_both"] < timed["county_in_service"]
        assert timed["reporting_in_ms"] > 0
        assert timed["members_registered_ms"] > 0
        assert any("on pj_org_reports" in s for s in timed["plans"]["reporting_in"])

        async with pool.acquire() as conn:
            await conn.execute("SET enable_seqscan = off")
            assert await scans(conn, MEMBERS_REGISTERED_SQL, ids) in (
                [
                    "Bitmap Heap Scan on pj_org_members",
                    "Bitmap Index Scan on pj_org_members_pkey",
                ],
                ["Index Scan using pj_org_members_pkey on pj_org_members"],
            )
            await conn.execute("SET enable_seqscan = on")
            await conn.execute("SET enable_indexscan = off")
            await conn.execute("SET enable_bitmapscan = off")
            assert await scans(conn, MEMBERS_REGISTERED_SQL, ids) == ["Seq Scan on pj_org_members"]
