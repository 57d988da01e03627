"""A resident's request through its whole life over HTTP, on Kafka and in the read models."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime

import pytest
from grassroots_contracts.requests import lifecycle as pub
from grassroots_contracts.topics import REQUESTS_EVENTS
from grassroots_eventkit.values import CHINA_STANDARD_TIME

from tests.support.kafka import read_until
from tests.support.org_client import Org, eventually
from tests.support.requests_client import Desk, Neighbourhood, build_neighbourhood

pytestmark = pytest.mark.e2e

COUNTY = "点单县"


@pytest.fixture(scope="module")
def place(stack) -> Neighbourhood:
    org = Org(stack, stack.token("county_admin", county=COUNTY, subject="requests-admin"))
    return build_neighbourhood(org, COUNTY)


@pytest.fixture(scope="module")
def desk(stack, place) -> Desk:
    desk = Desk(stack, place)
    desk.routed()
    return desk


def _this_month() -> str:
    return datetime.now(CHINA_STANDARD_TIME).strftime("%Y-%m")


def test_a_request_reaches_its_household_member_is_resolved_rated_and_counted(stack, desk):
    staff = desk.staff()
    before = {
        m["month"]: m for m in desk.get(f"/communities/{desk.place.community}/rates", staff).json()
    }
    rid = desk.submit()
    shown = desk.view(rid)
    assert shown["status"] == "open"
    assert shown["level"] == "household"
    assert shown["responsible_ids"] == desk.place.chain
    assert shown["contact"] == {"name": "李秀英", "phone": "13907461234"}

    desk.ok(f"/requests/{rid}/claim", desk.member("household"))
    desk.ok(f"/requests/{rid}/notes", desk.member("household"), {"note": "明天上午来换灯。"})
    desk.ok(f"/requests/{rid}/resolve", desk.member("household"), {"resolution": "换好了。"})
    desk.ok(f"/requests/{rid}/rating", desk.resident(), {"rating": "satisfied"})
    assert desk.view(rid)["status"] == "closed"

    history = desk.get(f"/requests/{rid}/history", staff).json()
    assert [(h["event"], h["actor"]) for h in history] == [
        ("RequestSubmitted", "resident-1"),
        ("RequestRouted", "resident-1"),
        ("RequestClaimed", desk.place.people["household"]),
        ("ProgressNoted", desk.place.people["household"]),
        ("RequestResolved", desk.place.people["household"]),
        ("RequestRated", "resident-1"),
        ("RequestClosed", "resident-1"),
    ]

    def rates_moved() -> dict:
        rows = desk.get(f"/communities/{desk.place.community}/rates", staff).json()
        month = {m["month"]: m for m in rows}[_this_month()]
        old = before.get(_this_month())
        for rate in ("response_rate", "resolution_rate", "satisfaction_rate"):
            grown = month[rate]["denominator"] - (old[rate]["denominator"] if old else 0)
            assert grown == 1, (rate, month, old)
            assert month[rate]["numerator"] - (old[rate]["numerator"] if old else 0) == 1
        return month

    month = eventually(rates_moved, timeout=30)
    assert month["satisfaction_rate"]["value"] > 0

    records = asyncio.run(
        read_until(
            stack.kafka, REQUESTS_EVENTS.name, expected=7, timeout=60, security=stack.kafka_security
        )
    )
    mine = [r for r in records if dict(r.headers).get("ce_subject", b"").decode() == rid]
    types = [dict(r.headers)["ce_type"].decode() for r in mine]
    assert types == [
        pub.RequestSubmitted.event_type,
        pub.RequestRouted.event_type,
        pub.RequestClaimed.event_type,
        pub.RequestProgressNoted.event_type,
        pub.RequestResolved.event_type,
        pub.RequestRated.event_type,
        pub.RequestClosed.event_type,
    ]
    assert all(r.key.decode() == desk.place.community for r in mine)
    published = b"".join(r.value for r in mine).decode()
    for personal in ("李秀英", "13907461234", "楼道灯", "换好了", "明天上午"):
        assert personal not in published


def test_the_member_queue_shows_what_a_member_may_claim_then_what_they_hold(desk):
    rid = desk.submit(address={"household_id": desk.place.homes[0]}, category="sanitation")
    leader = desk.member("leader")

    def queued(present: bool) -> None:
        queue = desk.get(f"/members/{desk.place.people['leader']}/queue", leader).json()
        assert (rid in [q["request_id"] for q in queue]) is present

    eventually(lambda: queued(True), timeout=30)
    desk.ok(f"/requests/{rid}/claim", desk.member("household"))
    eventually(lambda: queued(False), timeout=30)  # now the household member's


def test_only_the_chain_claims_only_the_submitter_rates_and_closed_stays_closed(desk):
    rid = desk.submit()
    assert desk.refused(f"/requests/{rid}/claim", desk.member("other")) == (409, "not_in_chain")
    assert desk.refused(f"/requests/{rid}/rating", desk.resident(), {"rating": "satisfied"}) == (
        409,
        "not_resolved",
    )
    desk.ok(f"/requests/{rid}/claim", desk.member("leader"))
    assert desk.refused(f"/requests/{rid}/claim", desk.member("head")) == (409, "not_open")
    assert desk.refused(
        f"/requests/{rid}/resolve", desk.member("head"), {"resolution": "不是我的"}
    ) == (409, "not_holder")
    desk.ok(f"/requests/{rid}/resolve", desk.member("leader"), {"resolution": "处理好了"})
    assert desk.refused(
        f"/requests/{rid}/resolve", desk.member("leader"), {"resolution": "再来一次"}
    ) == (409, "already_resolved")
    assert desk.refused(
        f"/requests/{rid}/rating", desk.resident("someone-else"), {"rating": "satisfied"}
    ) == (409, "not_submitter")
    assert desk.refused(f"/requests/{rid}/cancel", desk.resident("someone-else"), {}) == (
        409,
        "not_submitter",
    )
    desk.ok(f"/requests/{rid}/rating", desk.resident(), {"rating": "basically_satisfied"})
    assert desk.refused(
        f"/requests/{rid}/resolve", desk.member("leader"), {"resolution": "又一次"}
    ) == (409, "request_final")


def test_a_dissatisfied_resident_reopens_it_for_the_same_member(desk):
    rid = desk.submit()
    desk.ok(f"/requests/{rid}/claim", desk.member("head"))
    desk.ok(f"/requests/{rid}/resolve", desk.member("head"), {"resolution": "先这样"})
    desk.ok(f"/requests/{rid}/rating", desk.resident(), {"rating": "dissatisfied"})
    shown = desk.view(rid)
    assert (shown["status"], shown["holder"], shown["reopenings"]) == (
        "claimed",
        {"kind": "member", "id": desk.place.people["head"]},
        1,
    )


def test_the_whistle_calls_a_department_which_reports_and_resolves(desk):
    rid = desk.submit(category="safety", text="消防通道被杂物堵死了。")
    staff = desk.staff()
    desk.ok(
        f"/requests/{rid}/escalate",
        desk.member("secretary"),
        {"to_level": "community", "whistle": "routine", "reason": "小区协调不了"},
    )
    assert desk.refused(
        f"/requests/{rid}/escalate",
        staff,
        {"to_level": "department", "whistle": "emergency", "reason": "无部门"},
    ) == (422, "department_required")
    desk.ok(
        f"/requests/{rid}/escalate",
        staff,
        {
            "to_level": "department",
            "department": "public_security",
            "whistle": "emergency",
            "reason": "需要执法",
        },
    )
    assert desk.refused(f"/requests/{rid}/department-report", desk.department("health")) == (
        409,
        "not_called",
    )
    police = desk.department("public_security")
    desk.ok(f"/requests/{rid}/department-report", police)
    desk.ok(f"/requests/{rid}/resolve", police, {"resolution": "已清理并处罚"})
    shown = desk.view(rid)
    assert (shown["status"], shown["level"], shown["department"]) == (
        "resolved",
        "department",
        "public_security",
    )

    def counted() -> None:
        found = desk.get(f"/communities/{desk.place.community}/whistles", staff).json()
        kinds = {(w["to_level"], w["department"], w["whistle"]) for w in found}
        assert ("department", "public_security", "emergency") in kinds
        assert ("community", None, "routine") in kinds

    eventually(counted, timeout=30)


def test_a_duplicate_merges_with_its_supporters_and_cancel_and_reject_are_final(desk):
    staff = desk.staff()
    target = desk.submit(category="sanitation", text="垃圾堆了三天。")
    duplicate = desk.submit(desk.resident("resident-2"), category="sanitation", text="垃圾没人收。")
    desk.ok(f"/requests/{duplicate}/merge", staff, {"into_request_id": target})
    desk.ok(f"/requests/{duplicate}/merge", staff, {"into_request_id": target})  # a retry
    assert desk.view(duplicate)["merged_into"] == target
    assert desk.view(target)["supporters"] == 2
    assert desk.refused(f"/requests/{target}/merge", staff, {"into_request_id": target}) == (
        422,
        "merge_into_itself",
    )

    cancelled = desk.submit()
    desk.ok(f"/requests/{cancelled}/cancel", desk.resident(), {"reason": "自己修好了"})
    rejected = desk.submit(category="other", text="请帮我办房产证。")
    desk.ok(f"/requests/{rejected}/reject", staff, {"reason": "不属于社区事务"})
    assert (desk.view(cancelled)["status"], desk.view(rejected)["status"]) == (
        "cancelled",
        "rejected",
    )
    assert desk.refused(f"/requests/{rejected}/claim", desk.member("leader")) == (
        409,
        "request_final",
    )


def test_a_retried_submission_with_the_same_idempotency_key_creates_one_request(desk):
    body = {
        "category": "repairs",
        "address": {"household_id": desk.place.homes[1]},
        "text": "窗户漏风。",
    }
    key = f"submit-{uuid.uuid4()}"
    first = desk.post("/requests", desk.resident(), body, key=key)
    second = desk.post("/requests", desk.resident(), body, key=key)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json() == second.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    other = desk.post("/requests", desk.resident(), {**body, "text": "别的事"}, key=key)
    assert (other.status_code, other.json()["rule"]) == (422, "idempotency_key_reused")


def test_bad_input_is_refused_with_the_field_and_the_rule(desk):
    resident = desk.resident()
    cases = [
        ({"category": "nope"}, 422, "unknown_category", "category"),
        (
            {"address": {"household_id": "no-such-home"}},
            422,
            "unknown_address",
            "address.household_id",
        ),
        ({"text": ""}, 422, "validation", "body.text"),
        ({"contact": {"name": "李", "phone": "12"}}, 422, "validation", "body.contact.phone"),
        ({"channel": "hotline"}, 422, "channel_not_for_residents", "channel"),
    ]
    for overrides, status, rule, field in cases:
        body = {
            "category": "repairs",
            "address": {"household_id": desk.place.homes[0]},
            "text": "灯坏了",
            **overrides,
        }
        answer = desk.post("/requests", resident, body)
        problem = answer.json()
        assert answer.status_code == status, (overrides, problem)
        assert problem["rule"] == rule, (overrides, problem)
        fields = [problem.get("field")] + [e.get("field") for e in problem.get("errors", [])]
        assert any(f and f.endswith(field.split(".", 1)[-1]) for f in fields), (field, problem)


def test_other_communities_and_agencies_never_read_a_residents_request(stack, desk):
    rid = desk.submit()
    other = stack.token("community_staff", communities=["some-other-community"])
    agency = stack.token("agency", county=COUNTY)
    for token in (other, agency, desk.resident("a-neighbour")):
        assert desk.get(f"/requests/{rid}", token).status_code == 403
        assert desk.get(f"/requests/{rid}/history", token).status_code == 403
    assert desk.get(f"/communities/{desk.place.community}/requests", other).status_code == 403
