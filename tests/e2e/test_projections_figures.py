"""The dashboard's figures, built by the projections service from the public topics only,
equal the numbers the four services compute from their own read models, for every demo
community; and the dashboard keeps to the token's scope."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.e2e

COUNTY = "东安县"
# Catching up over the whole demo takes seconds; a generous bound for a busy machine.
CATCH_UP_S = 120.0


@pytest.fixture(scope="module")
def communities(stack) -> dict[str, str]:
    found = (stack.state.get("demo") or {}).get("communities") or {}
    assert found, "make up loads the Dong'an demo; services.json has no demo communities"
    return dict(found)


@pytest.fixture(scope="module")
def admin(stack) -> dict[str, str]:
    token = stack.token("county_admin", county=COUNTY, subject="e2e-dashboard")
    return {"Authorization": f"Bearer {token}"}


def _get(url: str, headers: dict[str, str], **params: str) -> Any:
    response = httpx.get(url, headers=headers, params=params, timeout=30)
    assert response.status_code == 200, f"{url}: {response.status_code} {response.text}"
    return response.json()


def _rates(months: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (
            m["month"],
            *(
                (m[k]["numerator"], m[k]["denominator"], m[k]["value"])
                for k in ("response_rate", "resolution_rate", "satisfaction_rate")
            ),
        )
        for m in months
    ]


def _independent(stack, headers: dict[str, str], community_id: str, year: str) -> dict[str, Any]:
    """The same figures from the services' own APIs."""
    requests = stack.url("requests")
    listed = _get(f"{requests}/communities/{community_id}/requests", headers, limit="1")
    hours = _get(f"{stack.url('volunteering')}/communities/{community_id}/hours", headers)
    leaders = _get(
        f"{stack.url('points')}/communities/{community_id}/leaderboard", headers, period=year
    )
    shelf = _get(f"{stack.url('points')}/communities/{community_id}/supermarket", headers)
    organisation = stack.url("organisation")
    coverage = _get(f"{organisation}/communities/{community_id}/coverage", headers)
    reporting = _get(f"{organisation}/communities/{community_id}/reporting", headers, limit="1")
    overdue = _get(f"{requests}/communities/{community_id}/overdue", headers, limit="500")
    return {
        "by_status": {k: v for k, v in listed["counts"].items() if v},
        "overdue": len(overdue),
        "rates": _rates(_get(f"{requests}/communities/{community_id}/rates", headers)),
        "hours_by_month": sorted(
            (h["month"], round(h["hours"], 2), h["members"]) for h in hours["by_month"]
        ),
        "hours_by_team": sorted(
            (h["month"], h["certified_by"], h["certifier"], round(h["hours"], 2), h["members"])
            for h in hours["by_team"]
        ),
        "leaders_year": [(x["member_id"], x["points"]) for x in leaders["leaders"][:10]],
        "shelf": sorted((i["item_id"], i["stock"]) for i in shelf["items"]),
        "redemptions": shelf["redemptions"],
        "coverage": {k: (v["total"], v["covered"], v["rate"]) for k, v in coverage.items()},
        "reporting": (
            reporting["in_service_members"],
            reporting["reported_to_both"],
            reporting["rate"],
        ),
    }


def _projected(dashboard: dict[str, Any]) -> dict[str, Any]:
    requests, volunteering, points = (
        dashboard["requests"],
        dashboard["volunteering"],
        dashboard["points"],
    )
    return {
        "by_status": {k: v for k, v in requests["by_status"].items() if v},
        "overdue": requests["overdue"],
        "rates": _rates(dashboard["rates"]),
        "hours_by_month": sorted(
            (h["month"], h["hours"], h["members"]) for h in volunteering["hours_by_month"]
        ),
        "hours_by_team": sorted(
            (h["month"], h["certified_by"], h["certifier"], h["hours"], h["members"])
            for h in volunteering["hours_by_team"]
        ),
        "leaders_year": [
            (x["member_id"], x["points"]) for x in points["leaderboard_year"]["leaders"]
        ],
        "shelf": sorted((i["item_id"], i["stock"]) for i in points["supermarket"]["items"]),
        "redemptions": points["supermarket"]["redemptions"],
        "coverage": {
            k: (v["total"], v["covered"], v["rate"]) for k, v in dashboard["coverage"].items()
        },
        "reporting": (
            dashboard["reporting"]["in_service_members"],
            dashboard["reporting"]["reported_to_both"],
            dashboard["reporting"]["rate"],
        ),
    }


def _dashboard(stack, headers: dict[str, str], community_id: str) -> dict[str, Any]:
    return _get(f"{stack.url('projections')}/dashboard/api/communities/{community_id}", headers)


@pytest.fixture(scope="module")
def caught_up(stack, admin, communities) -> dict[str, dict[str, Any]]:
    """Every community's dashboard once it equals the services' own figures (the projections
    are eventually consistent), or the last difference when it never does."""
    deadline = time.monotonic() + CATCH_UP_S
    while True:
        dashboards = {c: _dashboard(stack, admin, c) for c in communities.values()}
        year = next(iter(dashboards.values()))["today"][:4]
        pairs = {
            c: (_projected(d), _independent(stack, admin, c, year)) for c, d in dashboards.items()
        }
        if all(p == i for p, i in pairs.values()) or time.monotonic() > deadline:
            return {"dashboards": dashboards, "pairs": pairs}
        time.sleep(1)


def test_every_demo_community_figures_equal_the_services_own(caught_up, communities):
    assert set(caught_up["pairs"]) == set(communities.values())
    for community_id, (projected, independent) in caught_up["pairs"].items():
        for figure, expected in independent.items():
            assert projected[figure] == expected, f"{community_id}: {figure}"


def test_the_demo_has_figures_in_every_part_of_the_dashboard(caught_up):
    dashboards = list(caught_up["dashboards"].values())
    assert sum(sum(d["requests"]["by_status"].values()) for d in dashboards) >= 400
    assert all(len(d["rates"]) == 12 for d in dashboards)
    assert any(d["volunteering"]["hours_by_month"] for d in dashboards)
    assert any(d["volunteering"]["activities"] for d in dashboards)
    assert any(d["points"]["leaderboard_year"]["leaders"] for d in dashboards)
    assert any(d["points"]["supermarket"]["items"] for d in dashboards)
    assert all(d["coverage"]["compounds_with_branch"]["total"] > 0 for d in dashboards)
    for d in dashboards:
        by_category = d["requests"]["by_category"]
        assert sum(sum(s.values()) for s in by_category.values()) == sum(
            d["requests"]["by_status"].values()
        )
        respond = d["requests"]["minutes_to_respond"]
        if respond["count"]:
            assert respond["p50"] <= respond["p90"]
        rota = d["volunteering"]["rota"]
        assert rota["gaps"] == sum(1 for s in rota["slots"] if s["holder"] is None)


def test_the_county_overview_puts_every_community_side_by_side(
    stack, admin, caught_up, communities
):
    county = _get(f"{stack.url('projections')}/dashboard/api/county", admin, county=COUNTY)
    rows = {r["community_id"]: r for r in county["communities"]}
    # Other tests may register communities of the county too: the demo's are all there.
    assert set(communities.values()) <= set(rows)
    assert sorted(r["rank"] for r in rows.values()) == list(range(1, len(rows) + 1))
    means = [r["rates"]["mean"] for r in sorted(rows.values(), key=lambda r: r["rank"])]
    known = [m for m in means if m is not None]
    assert known == sorted(known, reverse=True)
    assert means[: len(known)] == known  # communities without any rate come last
    for community_id in communities.values():
        row = rows[community_id]
        dashboard = caught_up["dashboards"][community_id]
        assert row["name"] == dashboard["name"]
        assert row["rates"] == dashboard["rates"][-1]
        assert row["open_requests"] == dashboard["requests"]["open"]
        assert row["overdue"] == dashboard["requests"]["overdue"]
        assert row["reporting_rate"] == dashboard["reporting"]["rate"]
        assert row["rota_gaps"] == dashboard["volunteering"]["rota"]["gaps"]
        this_month = [
            h["hours"]
            for h in dashboard["volunteering"]["hours_by_month"]
            if h["month"] == county["month"]
        ]
        assert row["volunteer_hours"] == (this_month[0] if this_month else 0.0)


def test_community_staff_see_their_community_and_not_another(stack, communities):
    mine, other = list(communities.values())[:2]
    token = stack.token("community_staff", communities=[mine], subject="e2e-dashboard-staff")
    headers = {"Authorization": f"Bearer {token}"}
    base = f"{stack.url('projections')}/dashboard/api"

    assert httpx.get(f"{base}/communities/{mine}", headers=headers, timeout=30).status_code == 200
    refused = httpx.get(f"{base}/communities/{other}", headers=headers, timeout=30)
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")

    county = _get(f"{base}/county", headers, county=COUNTY)
    assert [r["community_id"] for r in county["communities"]] == [mine]


def test_a_county_admin_of_another_county_is_refused(stack, communities):
    token = stack.token("county_admin", county="测试县", subject="e2e-dashboard-other")
    headers = {"Authorization": f"Bearer {token}"}
    base = f"{stack.url('projections')}/dashboard/api"
    some = next(iter(communities.values()))
    assert httpx.get(f"{base}/communities/{some}", headers=headers).status_code == 403
    assert (
        httpx.get(f"{base}/county", headers=headers, params={"county": COUNTY}).status_code == 403
    )
    assert httpx.get(f"{base}/county", params={"county": COUNTY}).status_code == 401
