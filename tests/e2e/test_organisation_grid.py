"""The grid and the party organisation over HTTP, through to the read models."""

from __future__ import annotations

import uuid

import pytest

from tests.support.org_client import Org, eventually

pytestmark = pytest.mark.e2e

COUNTY = "网格县"


@pytest.fixture
def org(stack) -> Org:
    return Org(stack, stack.token("county_admin", county=COUNTY, subject="grid-admin"))


def test_the_chain_follows_a_building_move_and_a_new_group_leader(org):
    community = org.community(COUNTY)
    compound = org.compound(community, "雍景园小区" + uuid.uuid4().hex[:4])
    east, west = org.area(compound, "东片区"), org.area(compound, "西片区")
    building = org.building(compound, "3栋", area_id=east)
    [home] = org.households(building, (1, "302"))
    people = {
        role: org.member(community, name=name)
        for role, name in (
            ("household", "户联系人"),
            ("leader", "老组长"),
            ("new_leader", "新组长"),
            ("east", "东片委员"),
            ("west", "西片委员"),
            ("secretary", "支部书记"),
            ("head", "楼栋长"),
        )
    }
    branch = org.branch(compound, *people.values())
    org.ok("POST", f"/branches/{branch}/secretary", json={"member_id": people["secretary"]})
    org.ok(
        "POST", f"/branches/{branch}/committee", json={"member_id": people["east"], "area_id": east}
    )
    org.ok(
        "POST", f"/branches/{branch}/committee", json={"member_id": people["west"], "area_id": west}
    )
    org.ok(
        "POST",
        f"/branches/{branch}/groups",
        json={"building_id": building, "leader_member_id": people["leader"]},
    )
    org.ok(
        "POST",
        f"/buildings/{building}/households/{home}/member",
        json={"member_id": people["household"]},
    )
    org.ok("POST", f"/buildings/{building}/head", json={"member_id": people["head"]})

    before = org.ok("GET", f"/buildings/{building}/households/{home}/chain")
    assert [(r["role"], r["person_id"]) for r in before["chain"]] == [
        ("household_member", people["household"]),
        ("party_group_leader", people["leader"]),
        ("building_head", people["head"]),
        ("committee_member", people["east"]),
        ("branch_secretary", people["secretary"]),
    ]
    assert before["chain"][0]["name"] == "户联系人"
    assert before["address"] == {
        "community_id": community,
        "compound_id": compound,
        "area_id": east,
        "building_id": building,
        "unit": 1,
        "household_id": home,
    }

    org.ok("POST", f"/buildings/{building}/move", json={"area_id": west})
    org.ok(
        "PUT",
        f"/branches/{branch}/groups/{building}/leader",
        json={"leader_member_id": people["new_leader"]},
    )

    after = org.ok("GET", f"/buildings/{building}/households/{home}/chain")
    assert [(r["role"], r["person_id"]) for r in after["chain"]] == [
        ("household_member", people["household"]),
        ("party_group_leader", people["new_leader"]),
        ("building_head", people["head"]),
        ("committee_member", people["west"]),
        ("branch_secretary", people["secretary"]),
    ]
    assert after["address"]["area_id"] == west


def test_coverage_and_tree_follow_the_events(org):
    community = org.community(COUNTY)
    with_branch, without = org.compound(community), org.compound(community)
    b1 = org.building(with_branch, "1栋")
    b2 = org.building(without, "2栋")
    homes = org.households(b1, (1, "101"), (1, "102"), (2, "201"))
    org.households(b2, (1, "101"))
    leader = org.member(community, name="组长")
    branch = org.branch(with_branch, leader)
    org.ok(
        "POST", f"/branches/{branch}/groups", json={"building_id": b1, "leader_member_id": leader}
    )
    org.ok("POST", f"/buildings/{b1}/households/{homes[0]}/member", json={"member_id": leader})

    def figures() -> dict:
        found = org.ok("GET", f"/communities/{community}/coverage")
        assert found["households_with_responsible_member"]["covered"] == 1
        return found

    found = eventually(figures)
    assert found["compounds_with_branch"] == {"total": 2, "covered": 1, "rate": 0.5}
    assert found["buildings_with_party_group"] == {"total": 2, "covered": 1, "rate": 0.5}
    assert found["households_with_responsible_member"] == {"total": 4, "covered": 1, "rate": 0.25}

    tree = org.ok("GET", f"/communities/{community}/tree")
    by_id = {c["id"]: c for c in tree}
    assert by_id[with_branch]["branch_id"] == branch
    [building] = by_id[with_branch]["buildings_outside_areas"]
    assert building["households"] == 3
    assert building["party_group_leader"] == leader


def test_the_double_report_counts_members_who_reported_to_both(org, stack):
    home, contact = org.community(COUNTY), org.community(COUNTY)
    both = org.member(home, contact=contact, name="两处报到")
    one = org.member(home, contact=contact, name="只报居住地")
    org.member(home, kind="retired", name="退休党员")  # not in service: not counted
    for member_id, where in ((both, home), (both, contact), (one, home)):
        role = "residence" if where == home else "contact"
        org.ok(
            "POST",
            f"/members/{member_id}/reports",
            json={"community_id": where, "role": role, "reported_on": "2026-03-02"},
        )

    def figures() -> dict:
        found = org.ok("GET", f"/communities/{home}/reporting?period=2026")
        assert found["reported_to_residence"] == 2
        return found

    found = eventually(figures)
    assert found["in_service_members"] == 2
    assert found["reported_to_both"] == 1
    assert found["rate"] == 0.5
    assert [(m["member_id"], m["name"]) for m in found["not_reported"]] == [(one, "只报居住地")]

    again = org.http.post(
        f"/members/{both}/reports",
        json={"community_id": home, "role": "residence", "reported_on": "2026-05-01"},
    )
    assert again.status_code == 409
    assert again.json()["rule"] == "already_reported"


def test_unit_organisations_pledges_and_reports_reach_the_community_figures(org):
    from datetime import UTC, datetime, timedelta

    community = org.community(COUNTY)
    unit = org.ok(
        "POST",
        "/unit-organisations",
        json={
            "name": f"县供销联社{uuid.uuid4().hex[:4]}",
            "kind": "county_office",
            "county": COUNTY,
        },
    )["id"]
    today = (datetime.now(UTC) + timedelta(hours=8)).date()
    org.ok("POST", f"/unit-organisations/{unit}/pairings", json={"community_id": community})
    org.ok(
        "POST",
        f"/unit-organisations/{unit}/reports",
        json={"community_id": community, "reported_on": today.isoformat()},
    )
    pledges = [
        org.ok(
            "POST",
            f"/unit-organisations/{unit}/pledges",
            json={"community_id": community, "year": today.year, "title": title},
        )["pledge_id"]
        for title in ("加装路灯", "修缮健身广场")
    ]
    org.ok("POST", f"/unit-organisations/{unit}/pledges/{pledges[0]}/start")
    org.ok(
        "POST",
        f"/unit-organisations/{unit}/pledges/{pledges[0]}/complete",
        json={"evidence": "路灯已亮, 居民验收"},
    )

    def progress() -> dict:
        found = org.ok("GET", f"/communities/{community}/pledges?year={today.year}")
        assert found["done"] == 1
        return found

    found = eventually(progress)
    assert (found["pledged"], found["in_progress"], found["done"]) == (1, 0, 1)
    assert {p["title"] for p in found["pledges"]} == {"加装路灯", "修缮健身广场"}
    reporting = org.ok("GET", f"/communities/{community}/reporting?period={today.year}")
    assert reporting["unit_organisations"] == {"paired": 1, "reported": 1, "rate": 1.0}


async def test_a_members_name_and_phone_never_reach_the_public_topic(org, stack):
    from grassroots_contracts.envelope import H_SUBJECT, H_TYPE
    from grassroots_contracts.topics import ORGANISATION_EVENTS

    from tests.support.kafka import read_until

    community = org.community(COUNTY)
    member_id = org.member(community, name="隐私测试员")
    org.ok(
        "POST",
        f"/members/{member_id}/reports",
        json={"community_id": community, "role": "residence", "reported_on": "2026-03-02"},
    )
    records = await read_until(
        stack.kafka, ORGANISATION_EVENTS.name, expected=1, timeout=60, security=stack.kafka_security
    )
    mine = [r for r in records if dict(r.headers)[H_SUBJECT].decode() == member_id]
    types = {dict(r.headers)[H_TYPE].decode() for r in mine}
    assert types == {
        "grassroots.organisation.MemberRegistered.v1",
        "grassroots.organisation.MemberReported.v1",
    }
    for record in mine:
        text = record.value.decode()
        assert "隐私测试员" not in text
        assert "13907460001" not in text
    # The service itself still knows them, for its own staff.
    assert org.ok("GET", f"/members/{member_id}")["name"] == "隐私测试员"


def test_a_replayed_creation_answers_with_the_first_ids(org):
    compound = org.compound(org.community(COUNTY))
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = org.ok("POST", f"/compounds/{compound}/areas", json={"name": "北片区"}, headers=key)
    again = org.ok("POST", f"/compounds/{compound}/areas", json={"name": "北片区"}, headers=key)
    assert again["area_id"] == first["area_id"]
    building = org.building(compound, "1栋")
    body = {"households": [{"unit": 1, "room": "101"}, {"unit": 2, "room": "201"}]}
    first = org.ok("POST", f"/buildings/{building}/households", json=body, headers=key)
    again = org.ok("POST", f"/buildings/{building}/households", json=body, headers=key)
    assert again["household_ids"] == first["household_ids"]


def test_members_are_assigned_and_admitted_in_bulk(org):
    community = org.community(COUNTY)
    compound = org.compound(community)
    building = org.building(compound, "1栋")
    homes = org.households(building, *[(1, f"10{i}") for i in range(1, 6)])
    people = [org.member(community, name=f"党员{i}") for i in range(5)]
    branch = org.ok("POST", f"/compounds/{compound}/branch")["id"]
    admitted = org.ok("POST", f"/branches/{branch}/members/bulk", json={"member_ids": people})
    assert admitted["version"] == 1 + len(people)
    assigned = org.ok(
        "POST",
        f"/buildings/{building}/households/members",
        json={
            "assignments": [
                {"household_id": h, "member_id": m} for h, m in zip(homes, people, strict=True)
            ]
        },
    )
    assert assigned["version"] == 2 + len(homes)
    state = org.ok("GET", f"/buildings/{building}")
    assert {h["id"]: h["member_id"] for h in state["households"]} == dict(
        zip(homes, people, strict=True)
    )
    unknown = org.http.post(
        f"/buildings/{building}/households/members",
        json={"assignments": [{"household_id": homes[0], "member_id": "no-such-member"}]},
    )
    assert unknown.status_code == 404
    assert unknown.json()["errors"][0]["field"] == "assignments.0.member_id"


def test_a_roster_and_a_report_sheet_are_recorded_item_by_item(org):
    community = org.community(COUNTY)
    people = [
        {
            "name": f"花名册{i}",
            "phone": "13907460001",
            "kind": "resident",
            "residence": {"community_id": community},
        }
        for i in range(3)
    ]
    people.append({**people[0], "phone": "bad"})  # refused alone, by validation: 422
    bad = org.http.post("/members/bulk", json={"members": people})
    assert bad.status_code == 422  # the request's shape is checked as a whole
    key = {"Idempotency-Key": uuid.uuid4().hex}
    roster = org.ok("POST", "/members/bulk", json={"members": people[:3]}, headers=key)
    assert (roster["accepted"], roster["refused"]) == (3, 0)
    again = org.ok("POST", "/members/bulk", json={"members": people[:3]}, headers=key)
    assert [r["id"] for r in again["results"]] == [r["id"] for r in roster["results"]]
    ids = [r["id"] for r in roster["results"]]
    lines = [{"member_id": m, "role": "residence", "reported_on": "2026-03-02"} for m in ids]
    lines.append(lines[0])  # the same member twice on one sheet: the second is refused
    sheet = org.ok("POST", f"/communities/{community}/report-sheet", json={"reports": lines})
    assert (sheet["accepted"], sheet["refused"]) == (3, 1)
    # Lines run concurrently: whichever of the two lines for one member comes second
    # is refused.
    [refused] = [r for r in sheet["results"] if r["status"] >= 400]
    assert refused["index"] in (0, 3)
    assert (refused["status"], refused["rule"], refused["field"]) == (
        409,
        "already_reported",
        f"reports.{refused['index']}.community_id",
    )
