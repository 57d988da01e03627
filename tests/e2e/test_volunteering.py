"""Volunteering over HTTP and Kafka: from scheduling an activity to certified hours, and a
weekend rota with a swap and its gaps."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from grassroots_contracts.topics import VOLUNTEERING_EVENTS
from grassroots_contracts.volunteering import events as pub
from grassroots_eventkit.values import CHINA_STANDARD_TIME

from tests.support.kafka import read_until
from tests.support.org_client import Org, eventually

pytestmark = pytest.mark.e2e

COUNTY = "志愿县"


class Volunteering:
    def __init__(self, stack, community: str, members: list[str]) -> None:
        self.stack = stack
        self.community = community
        self.members = members
        self.http = httpx.Client(base_url=stack.url("volunteering"), timeout=20)
        self.staff = stack.token("community_staff", subject="v-staff", communities=[community])

    def member(self, n: int) -> str:
        return self.stack.token("member", subject=self.members[n])

    def post(self, path: str, token: str, body: dict | None = None) -> httpx.Response:
        return self.http.post(path, json=body or {}, headers={"Authorization": f"Bearer {token}"})

    def ok(self, path: str, token: str, body: dict | None = None) -> httpx.Response:
        answer = self.post(path, token, body)
        assert answer.status_code in (200, 201), (path, answer.text)
        return answer

    def refused(self, path: str, token: str, body: dict | None = None) -> tuple[int, str]:
        answer = self.post(path, token, body)
        assert answer.status_code >= 400, (path, answer.text)
        return answer.status_code, answer.json()["rule"]

    def get(self, path: str, **params) -> dict:
        answer = self.http.get(
            path, params=params, headers={"Authorization": f"Bearer {self.staff}"}
        )
        assert answer.status_code == 200, (path, answer.text)
        return answer.json()


@pytest.fixture(scope="module")
def vol(stack) -> Volunteering:
    org = Org(stack, stack.token("county_admin", county=COUNTY, subject="vol-admin"))
    community = org.community(COUNTY)
    members = [org.member(community, name=f"志愿者{n}") for n in range(6)]
    v = Volunteering(stack, community, members)
    # The service learns communities and members from the organisation's events.
    body = {"community_id": community, "kind": "caring_volunteers", "name": "爱心义工社"}

    def team_registered() -> str:
        answer = v.post("/teams", v.staff, body)
        assert answer.status_code == 201, answer.text
        return str(answer.json()["id"])

    v.team = eventually(team_registered, timeout=60)  # type: ignore[attr-defined]
    eventually(lambda: v.ok(f"/teams/{v.team}/members", v.member(5)), timeout=60)  # type: ignore[attr-defined]
    return v


def test_from_scheduling_to_certified_hours_over_http_and_kafka(stack, vol):
    for n in range(4):
        vol.ok(f"/teams/{vol.team}/members", vol.member(n))
    now = datetime.now(CHINA_STANDARD_TIME).replace(microsecond=0)
    starts, ends = now - timedelta(hours=1), now + timedelta(seconds=6)
    activity = vol.ok(
        "/activities",
        vol.staff,
        {
            "community_id": vol.community,
            "team_id": vol.team,
            "kind": "free_clinic",
            "title": "社区义诊",
            "starts_at": starts.isoformat(),
            "ends_at": ends.isoformat(),
            "capacity": 3,
        },
    ).json()["id"]
    a = f"/activities/{activity}"
    for n in range(4):  # three places: the fourth waits
        vol.ok(f"{a}/signups", vol.member(n))
    assert vol.refused(f"{a}/signups", vol.member(0)) == (409, "already_signed_up")
    shown = vol.get(a)
    assert (len(shown["confirmed"]), shown["waitlist"]) == (3, [vol.members[3]])
    vol.ok(f"{a}/signups/cancel", vol.member(2))  # member 3 moves up
    assert vol.members[3] in vol.get(a)["confirmed"]

    code = vol.ok(f"{a}/code", vol.staff).json()["code"]
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert vol.refused(f"{a}/check-in", vol.member(0), {"code": wrong}) == (409, "wrong_code")
    vol.ok(f"{a}/check-in", vol.member(0), {"code": code})
    assert vol.refused(f"{a}/check-out", vol.member(1)) == (409, "not_checked_in")
    # Member 1 signed the paper sheet: staff record their times.
    vol.ok(
        f"{a}/check-in",
        vol.staff,
        {"member_id": vol.members[1], "at": (starts + timedelta(minutes=10)).isoformat()},
    )
    assert vol.refused(
        f"{a}/check-out",
        vol.staff,
        {"member_id": vol.members[1], "at": starts.isoformat()},
    ) == (409, "check_out_before_check_in")
    vol.ok(
        f"{a}/check-out",
        vol.staff,
        {"member_id": vol.members[1], "at": (starts + timedelta(minutes=55)).isoformat()},
    )
    assert vol.refused(f"{a}/complete", vol.staff, {"residents_served": 40}) == (
        409,
        "activity_not_ended",
    )
    time.sleep(max(0.0, (ends - datetime.now(CHINA_STANDARD_TIME)).total_seconds()) + 0.5)
    vol.ok(f"{a}/complete", vol.staff, {"residents_served": 40})

    def certified() -> dict:
        found = vol.get(f"/members/{vol.members[1]}/hours")
        assert found["total_hours"] == 0.75, found
        return found

    hours = eventually(certified, timeout=30)
    assert hours["by_month"][0]["certified_by"] == vol.team
    month = vol.get(f"/communities/{vol.community}/hours")
    assert any(t["certified_by"] == vol.team and t["hours"] >= 0.75 for t in month["by_team"])

    records = asyncio.run(
        read_until(stack.kafka, VOLUNTEERING_EVENTS.name, expected=1, security=stack.kafka_security)
    )
    mine = [r for r in records if dict(r.headers)["ce_subject"].decode() == activity]
    types = [dict(r.headers)["ce_type"].decode() for r in mine]
    assert types.count(pub.ActivityNoShow.event_type) == 1  # member 3 never came
    assert types.count(pub.WaitlistPromoted.event_type) == 1
    assert types.count(pub.HoursCertified.event_type) == 1  # member 0 left no check-out
    assert types[-2:] == [pub.ActivityCompleted.event_type, pub.HoursCertified.event_type]
    assert code.encode() not in b"".join(r.value for r in mine)  # the code stays internal


def _coming_saturday() -> str:
    today = datetime.now(CHINA_STANDARD_TIME).date()
    return (today + timedelta(days=(5 - today.weekday()) % 7 or 7)).isoformat()


def test_a_weekend_rota_with_a_swap_shows_its_gaps(vol):
    sat = _coming_saturday()
    sun = (datetime.fromisoformat(sat) + timedelta(days=1)).date().isoformat()
    slots = [
        {
            "area": "elderly_home",
            "starts_at": f"{sat}T09:00:00+08:00",
            "ends_at": f"{sat}T12:00:00+08:00",
        },
        {
            "area": "youth_home",
            "starts_at": f"{sat}T10:00:00+08:00",
            "ends_at": f"{sat}T13:00:00+08:00",
        },
        {
            "area": "children_home",
            "starts_at": f"{sun}T09:00:00+08:00",
            "ends_at": f"{sun}T12:00:00+08:00",
        },
    ]
    rota_id = vol.ok(
        f"/communities/{vol.community}/rota/{sat}/shifts", vol.staff, {"slots": slots}
    ).json()["id"]

    def listed() -> list[dict]:
        found = vol.get(f"/communities/{vol.community}/rota", weekend=sat)["slots"]
        assert len(found) == 3
        return found

    elderly, youth, children = eventually(listed, timeout=30)
    r = f"/rotas/{rota_id}/shifts"
    vol.ok(f"{r}/{elderly['slot_id']}/claim", vol.member(0))
    assert vol.refused(f"{r}/{youth['slot_id']}/claim", vol.member(0)) == (
        409,
        "overlapping_shift",
    )
    vol.ok(f"{r}/{children['slot_id']}/claim", vol.member(1))
    assert vol.refused(f"{r}/{children['slot_id']}/claim", vol.member(2)) == (409, "slot_taken")
    # A swap needs both: member 0 offers, member 1 accepts.
    vol.ok(f"{r}/{elderly['slot_id']}/swap", vol.member(0), {"with_slot_id": children["slot_id"]})
    assert vol.refused(
        f"{r}/{children['slot_id']}/swap/accept",
        vol.member(2),
        {"with_slot_id": elderly["slot_id"]},
    ) == (409, "no_such_proposal")
    vol.ok(
        f"{r}/{children['slot_id']}/swap/accept",
        vol.member(1),
        {"with_slot_id": elderly["slot_id"]},
    )

    def swapped() -> dict:
        found = vol.get(f"/communities/{vol.community}/rota", weekend=sat)
        holders = {s["area"]: s["holder"] for s in found["slots"]}
        assert holders == {
            "elderly_home": vol.members[1],
            "youth_home": None,
            "children_home": vol.members[0],
        }, holders
        return found

    found = eventually(swapped, timeout=30)
    assert [g["area"] for g in found["gaps"]] == ["youth_home"]


def test_bad_input_and_other_scopes_are_refused_with_the_rule(stack, vol):
    other = stack.token("community_staff", communities=[f"else-{uuid.uuid4().hex[:6]}"])
    body = {"community_id": vol.community, "kind": "partner", "name": "某合作队"}
    assert vol.refused("/teams", other, body)[0] == 403
    assert vol.refused("/teams", vol.staff, body) == (422, "partner_names_its_organisation")
    now = datetime.now(UTC)
    bad = {
        "community_id": vol.community,
        "kind": "legal_aid",
        "title": "法律援助",
        "starts_at": now.isoformat(),
        "ends_at": (now - timedelta(hours=1)).isoformat(),
        "capacity": 5,
    }
    assert vol.refused("/activities", vol.staff, bad) == (422, "ends_before_start")
    assert vol.refused("/activities", vol.staff, {**bad, "capacity": 0})[1] == "validation"
    weekday = datetime.now(CHINA_STANDARD_TIME).date()
    while weekday.weekday() == 5:
        weekday += timedelta(days=1)
    slot = {"area": "reception", "starts_at": now.isoformat(), "ends_at": now.isoformat()}
    assert vol.refused(
        f"/communities/{vol.community}/rota/{weekday.isoformat()}/shifts",
        vol.staff,
        {"slots": [slot]},
    ) == (422, "not_a_saturday")
