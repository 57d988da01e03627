"""Red points over HTTP: earned automatically from another service's events, each line
naming its source; manual awards, the love supermarket, rule books, the what-if and
the double evaluation."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import httpx
import pytest
from grassroots_eventkit.values import CHINA_STANDARD_TIME

from tests.support.org_client import Org, eventually
from tests.support.requests_client import Desk, build_neighbourhood

pytestmark = pytest.mark.e2e

COUNTY = "积分县"


class Points:
    def __init__(self, stack, community: str) -> None:
        self.stack = stack
        self.community = community
        self.http = httpx.Client(base_url=stack.url("points"), timeout=30)
        self.staff = stack.token("community_staff", subject="p-staff", communities=[community])

    def call(self, method: str, path: str, token: str, body: dict | None = None, **kw):
        return self.http.request(
            method, path, json=body, headers={"Authorization": f"Bearer {token}", **kw}
        )

    def ok(self, path: str, token: str, body: dict | None = None, **headers) -> httpx.Response:
        answer = self.call("POST", path, token, body, **headers)
        assert answer.status_code in (200, 201), (path, answer.text)
        return answer

    def refused(self, path: str, token: str, body: dict | None = None) -> tuple[int, str]:
        answer = self.call("POST", path, token, body)
        assert answer.status_code >= 400, (path, answer.text)
        return answer.status_code, answer.json()["rule"]

    def get(self, path: str, token: str | None = None, **params) -> dict:
        answer = self.http.get(
            path, params=params, headers={"Authorization": f"Bearer {token or self.staff}"}
        )
        assert answer.status_code == 200, (path, answer.text)
        return answer.json()


@pytest.fixture(scope="module")
def world(stack):
    org = Org(stack, stack.token("county_admin", county=COUNTY, subject="points-admin"))
    place = build_neighbourhood(org, COUNTY)
    desk = Desk(stack, place)
    desk.routed()
    return place, desk, Points(stack, place.community)


def _resolve_and_rate(desk: Desk) -> str:
    rid = desk.submit()
    desk.ok(f"/requests/{rid}/claim", desk.member("household"))
    desk.ok(f"/requests/{rid}/resolve", desk.member("household"), {"resolution": "修好了"})
    desk.ok(f"/requests/{rid}/rating", desk.resident(), {"rating": "satisfied"})
    return rid


def test_a_resolved_and_well_rated_request_earns_points_each_line_naming_its_source(world):
    place, desk, pts = world
    member = place.people["household"]
    _resolve_and_rate(desk)

    def earned() -> dict:
        found = pts.get(f"/members/{member}/statement")
        rules = sorted(line["rule_id"] for line in found["lines"])
        assert rules == ["request_resolved", "satisfied_rating"], found
        return found

    statement = eventually(earned, timeout=60)
    assert statement["balance"] == 5 + 3
    assert sum(line["amount"] for line in statement["lines"]) == statement["balance"]
    for line in statement["lines"]:
        assert line["source_event_id"]
        assert line["rule_book"] == "default:1"
        assert line["source_type"].startswith("grassroots.requests.")

    # The member sees their own statement; another member does not.
    own = pts.get(f"/members/{member}/statement", desk.member("household"))
    assert own["balance"] == 8
    other = pts.call("GET", f"/members/{member}/statement", desk.member("other"))
    assert other.status_code == 403


def test_a_manual_award_needs_another_approver_and_the_shelf_never_overdraws(world):
    place, _desk, pts = world
    member = place.people["leader"]
    body = {"amount": 40, "reason": "疫情防控志愿服务", "approver": "p-staff"}
    assert pts.refused(f"/members/{member}/manual-awards", pts.staff, body) == (
        409,
        "approver_must_differ",
    )
    pts.ok(f"/members/{member}/manual-awards", pts.staff, {**body, "approver": "书记 王明"})
    item = (
        pts.ok(
            f"/communities/{place.community}/supermarket/items",
            pts.staff,
            {"name": "食用油 5L", "price": 30, "added": 2},
        )
        .headers["location"]
        .rsplit("/", 1)[1]
    )
    shop = f"/communities/{place.community}/supermarket/redemptions"
    token = pts.stack.token("member", subject=member)

    def redeem(key: str) -> httpx.Response:
        return pts.call("POST", shop, token, {"item_id": item}, **{"Idempotency-Key": key})

    eventually(lambda: _balance_is(pts, member, 40), timeout=30)
    first = redeem("oil-1")
    assert first.status_code == 201, first.text
    again = redeem("oil-1")  # a retry: one redemption
    assert again.headers["x-redemption-id"] == first.headers["x-redemption-id"]
    short = redeem("oil-2")  # 10 points left
    assert (short.status_code, short.json()["rule"]) == (409, "insufficient_points")
    redemption = first.headers["x-redemption-id"]
    pts.ok(f"{shop}/{redemption}/cancel", pts.staff)

    def refunded() -> None:
        assert _balance_is(pts, member, 40)
        shelf = pts.get(f"/communities/{place.community}/supermarket")
        assert [(i["name"], i["stock"]) for i in shelf["items"]] == [("食用油 5L", 2)]

    eventually(refunded, timeout=30)


def _balance_is(pts: Points, member: str, expected: int) -> bool:
    found = pts.get(f"/members/{member}/statement")["balance"]
    assert found == expected, found
    return True


def test_rule_books_apply_from_their_date_and_the_what_if_changes_nothing(world):
    place, _desk, pts = world
    admin = pts.stack.token("county_admin", county=COUNTY, subject="points-admin")
    today = datetime.now(CHINA_STANDARD_TIME).date()
    rule = {
        "rule_id": "request_resolved",
        "trigger": "grassroots.requests.RequestResolved.v1",
        "amount": 10,
    }
    past = {"county": COUNTY, "effective_from": str(today - timedelta(days=1)), "rules": [rule]}
    assert pts.refused("/rulebooks", admin, past) == (409, "effective_in_the_past")
    assert pts.refused("/rulebooks", pts.staff, {**past, "effective_from": str(today)})[0] == 403
    county = f"{COUNTY}{uuid.uuid4().hex[:4]}"  # a county of its own: no effect on the others
    pts.ok(
        "/rulebooks",
        pts.stack.token("county_admin", county=county),
        {"county": county, "effective_from": str(today + timedelta(days=1)), "rules": [rule]},
    )
    member = place.people["household"]
    eventually(lambda: pts.get(f"/members/{member}/statement")["lines"], timeout=60)
    before = pts.get(f"/members/{member}/statement")["balance"]
    doubled = {
        "rules": [
            {**rule, "amount": 10},
            {
                "rule_id": "satisfied_rating",
                "trigger": "grassroots.requests.RequestRated.v1",
                "amount": 3,
            },
        ]
    }
    answer = pts.call("POST", f"/communities/{place.community}/what-if", pts.staff, doubled)
    assert answer.status_code == 200, answer.text
    mine = {m["member_id"]: m for m in answer.json()["by_member"]}[member]
    resolved = sum(
        1
        for line in pts.get(f"/members/{member}/statement")["lines"]
        if line["rule_id"] == "request_resolved" and line["kind"] == "award"
    )
    assert mine["difference"] == 5 * resolved  # 10 instead of 5 for each resolution
    assert pts.get(f"/members/{member}/statement")["balance"] == before  # nothing written


def test_a_member_who_did_not_report_cannot_be_graded_qualified(world):
    place, _desk, pts = world
    member = place.people["secretary"]
    year = datetime.now(CHINA_STANDARD_TIME).year
    path = f"/members/{member}/evaluations/{year}"
    assert pts.refused(f"{path}/grade", pts.staff) == (409, "residence_rating_missing")
    pts.ok(f"{path}/ratings", pts.staff, {"community_id": place.community, "score": 100})
    pts.ok(f"{path}/grade", pts.staff)

    def graded() -> dict:
        found = pts.get(f"/communities/{place.community}/evaluations", year=year)
        mine = [m for m in found["members"] if m["member_id"] == member]
        assert len(mine) == 1, found
        return mine[0]

    mine = eventually(graded, timeout=30)
    assert mine["reported_both"] is False
    assert mine["grade"] in ("basically_qualified", "unqualified")
