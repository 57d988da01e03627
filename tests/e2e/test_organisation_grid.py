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
    records = await read_until(stack.kafka, ORGANISATION_EVENTS.name, expected=1, timeout=60)
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
