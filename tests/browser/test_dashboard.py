"""The dashboard page in a real browser against the running stack and the Dong'an demo: it
shows what its JSON API says, follows it live, speaks Chinese and English, and keeps a
community's figures from another community's staff."""

from __future__ import annotations

import re
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from grassroots_eventkit.values import CHINA_STANDARD_TIME
from playwright.sync_api import Page

from tests.browser.dashboard import (
    COMMUNITY_FIGURES,
    COUNTY_FIGURES,
    api,
    community_expected,
    county_expected,
    county_rows,
    figures,
    mismatches,
    open_dashboard,
    screenshot,
)
from tests.support.org_client import eventually
from tests.support.stack import Stack

pytestmark = pytest.mark.browser

COUNTY = "东安县"
SETTLE = 15.0  # seconds for the page (1 s refresh) to agree with an API read


@pytest.fixture(scope="module")
def demo(stack: Stack) -> dict[str, Any]:
    found = stack.state.get("demo") or {}
    assert "communities" in found, "make up loads the demo; services.json has none"
    return dict(found)


@pytest.fixture(scope="module")
def admin(stack: Stack) -> str:
    return stack.token("county_admin", county=COUNTY, subject="dashboard-browser")


def staff(stack: Stack, community_id: str) -> str:
    return stack.token("community_staff", subject="dashboard-staff", communities=[community_id])


def _agrees_with_county(page: Page, stack: Stack, token: str) -> list[dict[str, Any]]:
    """Poll until every row shows what a fresh API read says; return the API's rows."""

    def check() -> list[dict[str, Any]]:
        rows = api(stack, "/county", token, county=COUNTY)["communities"]
        shown = {r["id"]: r["cells"] for r in county_rows(page)}
        assert list(shown) == [r["community_id"] for r in rows], (list(shown), rows)
        wrong = {
            r["name"]: why
            for r in rows
            if (why := mismatches(county_expected(r), shown[r["community_id"]]))
        }
        assert not wrong, wrong
        return list(rows)

    return eventually(check, timeout=SETTLE, interval=0.5)


def _agrees_with_community(page: Page, stack: Stack, token: str, cid: str) -> dict[str, Any]:
    def check() -> dict[str, Any]:
        view = api(stack, f"/communities/{cid}", token)
        wrong = mismatches(community_expected(view), figures(page))
        assert not wrong, wrong
        return view

    return eventually(check, timeout=SETTLE, interval=0.5)


def test_the_county_page_ranks_the_eight_demo_communities_as_the_api_does(
    page, dashboard, stack, demo, admin
):
    open_dashboard(page, dashboard, admin, "/county")
    page.wait_for_selector("#county-table tr[data-community-id]", timeout=10_000)

    rows = _agrees_with_county(page, stack, admin)

    # The demo's eight, and any community other tests registered in the county meanwhile.
    shown = county_rows(page)
    assert len(demo["communities"]) == 8
    assert set(demo["communities"].values()) <= {r["id"] for r in shown}
    ranks = list(range(1, len(shown) + 1))
    assert [int(r["cells"]["rank"]) for r in shown] == ranks
    assert [r["rank"] for r in rows] == ranks
    for row in shown:
        assert set(COUNTY_FIGURES) <= set(row["cells"]), row
    assert page.locator("#message").inner_text().strip() == ""
    # The README's picture is the demo county as `make up` shows it: without other tests'.
    page.evaluate(
        """(ids) => document.querySelectorAll('#county-table tr[data-community-id]')
            .forEach(tr => ids.includes(tr.dataset.communityId) || tr.remove())""",
        list(demo["communities"].values()),
    )
    screenshot(page, "dashboard-county.png")


def test_a_community_page_shows_the_api_figures_in_chinese_and_in_english(
    page, dashboard, stack, demo
):
    cid = demo["communities"]["chating"]
    token = staff(stack, cid)
    open_dashboard(page, dashboard, token, f"/communities/{cid}")
    page.wait_for_selector('[data-figure="response_rate"]', timeout=10_000)

    view = _agrees_with_community(page, stack, token, cid)
    assert view["name"] in page.inner_text("body")
    leaders = view["points"]["leaderboard_month"]["leaders"]
    assert leaders, "the demo's points give this month a leaderboard"
    page.wait_for_selector("#leaderboard", timeout=5_000)
    shown = page.evaluate(
        """() => Array.from(document.querySelectorAll('#leaderboard tbody tr'))
            .map(tr => tr.innerText)"""
    )
    assert 1 <= len(shown) <= len(leaders), shown
    for row, leader in zip(shown, leaders, strict=False):
        assert str(leader["points"]) in row, (row, leader)
    assert page.locator("#message").inner_text().strip() == ""
    screenshot(page, "dashboard-community.png")

    chinese = _labels(page)
    assert all(_han(label) for label in chinese.values()), chinese
    page.click("#lang")
    english = eventually(lambda: _changed(page, chinese), timeout=5)
    assert not any(_han(label) for label in english.values()), english
    assert all(re.search("[A-Za-z]", label) for label in english.values()), english
    _agrees_with_community(page, stack, token, cid)  # the figures do not depend on it
    page.click("#lang")
    back = eventually(lambda: _changed(page, english), timeout=5)
    assert back == chinese


def _labels(page: Page) -> dict[str, str]:
    """Each figure's label: the text beside it in its enclosing element."""
    return dict(
        page.evaluate(
            """(names) => Object.fromEntries(names.map(n => {
                const el = document.querySelector(`[data-figure="${n}"]`);
                return [n, el.parentElement.innerText.replace(el.innerText, '').trim()];
            }))""",
            list(COMMUNITY_FIGURES),
        )
    )


def _changed(page: Page, before: dict[str, str]) -> dict[str, str]:
    now = _labels(page)
    assert now != before
    return now


def _han(text: str) -> int:
    return sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")


def test_a_new_request_shows_on_the_open_page_within_seconds(page, dashboard, stack, demo):
    samples = demo["samples"]
    cid = demo["communities"][samples["compound"]["community"]]
    token = staff(stack, cid)
    open_dashboard(page, dashboard, token, f"/communities/{cid}")
    page.wait_for_selector('[data-figure="open_requests"]', timeout=10_000)
    before = _agrees_with_community(page, stack, token, cid)["requests"]["open"]
    page.evaluate("window.__sameDocument = true")
    stamp = page.locator("#updated").inner_text()

    resident = stack.token("resident", subject=f"browser-{uuid.uuid4().hex[:8]}", communities=[cid])
    requests = httpx.Client(
        base_url=stack.url("requests"),
        headers={"Authorization": f"Bearer {resident}"},
        timeout=20,
    )
    submitted = requests.post(
        "/requests",
        json={
            "category": "repairs",
            "address": {"household_id": samples["household"]},
            "text": "单元门禁坏了，进出要等人开门。",
            "contact": {"name": "周建国", "phone": "13907460000"},
        },
    )
    assert submitted.status_code in (200, 201), submitted.text
    started = time.monotonic()
    try:
        page.wait_for_function(
            """(n) => {
                const el = document.querySelector('[data-figure="open_requests"]');
                return el && (el.innerText.match(/\\d[\\d,]*/) || [''])[0].replace(/,/g, '')
                    === String(n);
            }""",
            arg=before + 1,
            timeout=10_000,
        )
        seen_after = time.monotonic() - started
        assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"
        # The stamp shows whole seconds: the figure can change within the second it was
        # read, so wait for the next refresh to move it (the page refreshes every second).
        page.wait_for_function(
            "(s) => document.querySelector('#updated').innerText !== s", arg=stamp, timeout=5_000
        )
        print(f"\nopen_requests {before} -> {before + 1} on the page after {seen_after:.1f}s")
    finally:
        cancelled = requests.post(
            f"/requests/{submitted.json()['id']}/cancel", json={"reason": "浏览器测试，已撤回。"}
        )
        requests.close()
    assert cancelled.status_code in (200, 201), cancelled.text
    page.wait_for_function(
        """(n) => (document.querySelector('[data-figure="open_requests"]').innerText
            .match(/\\d[\\d,]*/) || [''])[0].replace(/,/g, '') === String(n)""",
        arg=before,
        timeout=10_000,
    )


def test_community_staff_cannot_open_another_communitys_page(page, dashboard, stack, demo):
    own, other = demo["communities"]["shanziling"], demo["communities"]["chating"]
    token = staff(stack, own)
    refused = httpx.get(
        f"{stack.url('projections')}/dashboard/api/communities/{other}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=20,
    )
    assert refused.status_code == 403, refused.text

    open_dashboard(page, dashboard, token, f"/communities/{other}")
    message = page.locator("#message")
    message.wait_for(state="visible", timeout=10_000)
    eventually(lambda: _non_empty(message.inner_text()), timeout=10)
    other_name = api(stack, f"/communities/{other}", stack.token("county_admin", county=COUNTY))[
        "name"
    ]
    assert other_name not in page.inner_text("body"), "another community's page is shown"
    assert not any(t and t[0].isdigit() for t in figures(page).values()), (
        "another community's figures are shown"
    )

    # The same token opens its own community's page.
    page.goto("about:blank")
    page.goto(f"{dashboard}#/communities/{own}")
    _agrees_with_community(page, stack, token, own)
    assert message.inner_text().strip() == ""
    assert message.is_hidden()


def _non_empty(text: str) -> None:
    assert text.strip(), text


def test_a_community_page_as_of_a_past_moment_shows_the_replayed_snapshot(
    page, dashboard, stack, demo, admin
):
    cid = demo["communities"]["chating"]
    # The page's picker has minutes; a minute ago, in China time, is safely settled.
    moment = (datetime.now(CHINA_STANDARD_TIME) - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    open_dashboard(page, dashboard, admin, f"/communities/{cid}?at={moment}")
    page.wait_for_selector(f'.as-of-banner[data-as-of="{moment}"]', timeout=10_000)

    def built() -> dict[str, Any]:
        answer = httpx.get(
            f"{stack.url('projections')}/dashboard/api/communities/{cid}/as-of",
            params={"at": moment},
            headers={"Authorization": f"Bearer {admin}"},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    view = eventually(built, timeout=600, interval=1.0)
    assert view["as_of"]
    page.wait_for_function("() => document.querySelector('#replay-bar').hidden", timeout=30_000)
    wrong = mismatches(community_expected(view), figures(page))
    assert not wrong, wrong
    shown = page.evaluate(
        "() => Array.from(document.querySelectorAll('[data-pledge]')).map(li => li.dataset.pledge)"
    )
    assert shown == [p["pledge_id"] for p in view["pledges"]]
    assert view["pledges"], "the demo's unit organisations pledged projects this year"
    units = view["unit_organisations"]
    unit_text = page.locator('[data-figure="unit_reporting"]').inner_text()
    assert unit_text == f"{units['reported']}/{units['paired']}"
    screenshot(page, "dashboard-as-of.png")

    page.click("#as-of-live")
    page.wait_for_selector(".as-of-banner", state="detached", timeout=10_000)
