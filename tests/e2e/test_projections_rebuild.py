"""`grassroots projections rebuild` replays views from offset 0 into fresh tables while the
live ones serve, then swaps them in: the rebuilt views equal the live ones row for row;
requests submitted during a rebuild are in the view exactly once afterwards; and a reader
polling all the while never sees a half-built view."""

from __future__ import annotations

import asyncio
import itertools
import os
import subprocess
import sys
from typing import Any

import asyncpg
import httpx
import pytest
from grassroots_contracts.topics import ALL_TOPICS
from projections_service.views.registry import VIEWS

from tests.support.event_log import Ends, end_offsets, wait_until_committed
from tests.support.org_client import Org, eventually
from tests.support.requests_client import Desk, build_neighbourhood

pytestmark = pytest.mark.e2e

COUNTY = "重建县"
# Each view's tables, by the prefix its migrations give them.
TABLES = {
    "communities": "pj_communities",
    "organisation": "pj_org_",
    "requests": "pj_rq_",
    "volunteering": "pj_vo_",
    "points": "pj_pt_",
}
TRAFFIC = 40


def _rebuild(*views: str) -> subprocess.CompletedProcess[str]:
    args = [a for v in views for a in ("--view", v)]
    return subprocess.run(
        [sys.executable, "-m", "grassroots_stack", "projections", "rebuild", *args],
        capture_output=True,
        text=True,
        timeout=900,
        env=os.environ.copy(),
    )


async def _caught_up(stack, timeout: float = 180.0) -> Ends:
    """Wait until every view's live group has committed up to the topics' ends (offsets
    are committed after the database commit, so the tables hold everything); return the
    ends."""
    ends = await end_offsets(stack, [t.name for t in ALL_TOPICS])
    groups = {view.group: topic for view in VIEWS for topic in view.topics}
    await wait_until_committed(stack, groups, ends, timeout=timeout)
    return ends


async def _rows(dsn: str, view: str) -> dict[str, list[tuple[Any, ...]]]:
    conn = await asyncpg.connect(dsn)
    try:
        tables = [
            r["tablename"]
            for r in await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                " AND tablename LIKE $1 || '%' ORDER BY tablename",
                TABLES[view],
            )
        ]
        return {
            t: sorted(tuple(r) for r in await conn.fetch(f"SELECT * FROM public.{t}"))
            for t in tables
        }
    finally:
        await conn.close()


async def _all_rows(dsn: str) -> dict[str, dict[str, list[tuple[Any, ...]]]]:
    return {v.name: await _rows(dsn, v.name) for v in VIEWS}


def test_every_rebuilt_view_equals_the_live_one(stack):
    dsn = stack.dsn("projections")
    for _attempt in range(3):
        ends_before = asyncio.run(_caught_up(stack))
        before = asyncio.run(_all_rows(dsn))
        done = _rebuild()
        assert done.returncode == 0, done.stdout + done.stderr
        ends_after = asyncio.run(_caught_up(stack))
        after = asyncio.run(_all_rows(dsn))
        if ends_after == ends_before:  # nothing new arrived meanwhile: compare
            break
    else:
        pytest.fail("the topics kept moving (timers?) through three rebuilds")
    for view in VIEWS:
        assert f"rebuilt {view.name}:" in done.stdout, done.stdout
    assert sum(len(rows) for rows in before["requests"].values()) > 0, "the demo is loaded"
    for view in VIEWS:
        assert before[view.name].keys() == after[view.name].keys()
        for table, rows in before[view.name].items():
            assert after[view.name][table] == rows, f"{view.name}: {table} differs"


@pytest.fixture(scope="module")
def desk(stack) -> Desk:
    org = Org(stack, stack.token("county_admin", county=COUNTY, subject="rebuild-admin"))
    desk = Desk(stack, build_neighbourhood(org, COUNTY))
    desk.routed()
    return desk


async def _watch(
    dsn: str, dashboard: str, token: str, community: str, stop: asyncio.Event
) -> tuple[list[int], list[int]]:
    """How many requests the live view shows, again and again; and the dashboard's
    answers meanwhile."""
    counts: list[int] = []
    statuses: list[int] = []
    conn = await asyncpg.connect(dsn)
    async with httpx.AsyncClient(timeout=30) as http:
        try:
            while not stop.is_set():
                counts.append(await conn.fetchval("SELECT count(*) FROM pj_rq_requests"))
                answer = await http.get(
                    f"{dashboard}/dashboard/api/communities/{community}",
                    headers={"Authorization": f"Bearer {token}"},
                )
                statuses.append(answer.status_code)
                await asyncio.sleep(0.05)
        finally:
            await conn.close()
    return counts, statuses


async def _rebuild_under_traffic(stack, desk: Desk) -> tuple[list[str], list[int], list[int]]:
    stop = asyncio.Event()
    token = stack.token("county_admin", county=COUNTY, subject="rebuild-watcher")
    watcher = asyncio.create_task(
        _watch(
            stack.dsn("projections"), stack.url("projections"), token, desk.place.community, stop
        )
    )
    rebuild = asyncio.create_task(asyncio.to_thread(_rebuild, "requests"))
    submitted: list[str] = []
    while not rebuild.done() or len(submitted) < TRAFFIC:
        submitted.append(await asyncio.to_thread(desk.submit))
        await asyncio.sleep(0.05)
    done = await rebuild
    assert done.returncode == 0, done.stdout + done.stderr
    assert "rebuilt requests:" in done.stdout
    await _caught_up(stack)
    stop.set()
    counts, statuses = await watcher
    return submitted, counts, statuses


def test_a_rebuild_under_traffic_loses_nothing_doubles_nothing_and_is_never_half_built(stack, desk):
    asyncio.run(_caught_up(stack))

    async def count() -> int:
        conn = await asyncpg.connect(stack.dsn("projections"))
        try:
            return int(await conn.fetchval("SELECT count(*) FROM pj_rq_requests"))
        finally:
            await conn.close()

    before = asyncio.run(count())
    submitted, counts, statuses = asyncio.run(_rebuild_under_traffic(stack, desk))
    assert len(counts) > 10, "the watcher read the view all through the rebuild"
    # Half-built tables would show fewer requests than before; the live view only grows.
    assert all(b >= a for a, b in itertools.pairwise(counts)), counts
    assert set(statuses) == {200}, statuses

    async def found() -> tuple[list[str], int]:
        conn = await asyncpg.connect(stack.dsn("projections"))
        try:
            rows = await conn.fetch(
                "SELECT request_id FROM pj_rq_requests WHERE community_id = $1",
                desk.place.community,
            )
            total = await conn.fetchval("SELECT count(*) FROM pj_rq_requests")
        finally:
            await conn.close()
        return [r["request_id"] for r in rows], int(total)

    # The last submissions may still be on their way through the outbox and the live
    # consumer when the rebuild ends; every one must arrive, once.
    def all_arrived() -> int:
        ids, total = asyncio.run(found())
        assert sorted(ids) == sorted(submitted), (len(ids), len(submitted))
        return total

    total = eventually(all_arrived, timeout=60, interval=0.5)
    assert total >= before + len(submitted)
