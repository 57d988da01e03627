"""A community's dashboard as of a past moment, replayed from the public topics on request:
equal to what the live dashboard showed at that moment, blind to what came after, and
built once (the second asker gets it at once)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.support.org_client import Org, eventually
from tests.support.requests_client import Desk, build_neighbourhood

pytestmark = pytest.mark.e2e

COUNTY = "回放县"
# Everything but the clock: a live picture says "today", a past one says "as of".
CLOCK_FIELDS = ("today", "as_of")


@pytest.fixture(scope="module")
def desk(stack) -> Desk:
    org = Org(stack, stack.token("county_admin", county=COUNTY, subject="as-of-admin"))
    desk = Desk(stack, build_neighbourhood(org, COUNTY))
    desk.routed()
    return desk


@pytest.fixture(scope="module")
def admin(stack) -> dict[str, str]:
    token = stack.token("county_admin", county=COUNTY, subject="as-of-reader")
    return {"Authorization": f"Bearer {token}"}


def _live(stack, admin, community: str) -> dict[str, Any]:
    answer = httpx.get(
        f"{stack.url('projections')}/dashboard/api/communities/{community}",
        headers=admin,
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _as_of(stack, headers, community: str, at: str) -> httpx.Response:
    return httpx.get(
        f"{stack.url('projections')}/dashboard/api/communities/{community}/as-of",
        params={"at": at},
        headers=headers,
        timeout=60,
    )


def _open(picture: dict[str, Any]) -> int:
    return int(picture["requests"]["by_status"].get("open", 0))


def _without_clock(picture: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in picture.items() if k not in CLOCK_FIELDS}


def test_a_past_picture_is_the_live_one_of_that_moment_and_ignores_what_came_after(
    stack, desk, admin
):
    community = desk.place.community
    desk.submit()

    def first_is_shown() -> dict[str, Any]:
        picture = _live(stack, admin, community)
        assert _open(picture) == 1, picture["requests"]
        return picture

    eventually(first_is_shown, timeout=60)
    time.sleep(1.0)
    moment = datetime.now(UTC).replace(microsecond=0)
    then = _live(stack, admin, community)
    time.sleep(1.5)
    desk.submit()

    def second_is_shown() -> None:
        assert _open(_live(stack, admin, community)) == 2

    eventually(second_is_shown, timeout=60)
    time.sleep(max(0.0, (moment + timedelta(seconds=6) - datetime.now(UTC)).total_seconds()))

    progress: list[dict[str, Any]] = []

    def built() -> dict[str, Any]:
        answer = _as_of(stack, admin, community, moment.isoformat())
        if answer.status_code == 202:
            progress.append(answer.json())
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    past = eventually(built, timeout=600)
    assert progress, "the first asker is told the picture is being replayed"
    assert progress[0]["status"] == "building"
    assert all(p["events_total"] >= p["events_read"] >= 0 for p in progress)
    assert datetime.fromisoformat(past["as_of"]) == moment
    assert _open(past) == 1, "the request submitted after the moment is not in the picture"
    assert _without_clock(past) == _without_clock(then)

    started = time.monotonic()
    again = _as_of(stack, admin, community, moment.isoformat())
    assert again.status_code == 200, "a snapshot once built is kept"
    assert _without_clock(again.json()) == _without_clock(past)
    assert time.monotonic() - started < 10


def test_the_moment_must_be_past_and_well_formed_and_within_scope(stack, desk, admin):
    community = desk.place.community
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    for at, rule in ((future, "as_of_not_past"), ("2026-13-45", "as_of_format")):
        answer = _as_of(stack, admin, community, at)
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        problem = answer.json()
        assert problem["rule"] == rule
        assert problem["errors"][0]["field"] == "at"

    other = stack.token("community_staff", subject="as-of-other", communities=["elsewhere"])
    answer = _as_of(
        stack, {"Authorization": f"Bearer {other}"}, community, "2026-01-01T00:00:00+08:00"
    )
    assert answer.status_code == 403, answer.text
