"""Every organisation rule, refused over HTTP with a problem+json that names rule and field."""

from __future__ import annotations

import pytest

from tests.support.org_client import Org

pytestmark = pytest.mark.e2e

COUNTY = "规则县"


@pytest.fixture
def org(stack) -> Org:
    return Org(stack, stack.token("county_admin", county=COUNTY, subject="rules-admin"))


def refused(response, status: int, rule: str, field: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["rule"] == rule
    if field is not None:
        assert problem["errors"][0]["field"] == field
    return problem


def test_no_branch_for_an_unknown_compound(org):
    refused(
        org.http.post("/compounds/no-such-compound/branch"),
        404,
        "compound_not_found",
        "compound_id",
    )


def test_one_branch_per_compound(org):
    compound = org.compound(org.community(COUNTY))
    org.branch(compound)
    refused(org.http.post(f"/compounds/{compound}/branch"), 409, "branch_already_established")


def test_one_secretary_per_branch(org):
    community = org.community(COUNTY)
    first, second = org.member(community), org.member(community)
    branch = org.branch(org.compound(community), first, second)
    org.ok("POST", f"/branches/{branch}/secretary", json={"member_id": first})
    refused(
        org.http.post(f"/branches/{branch}/secretary", json={"member_id": second}),
        409,
        "secretary_already_appointed",
        "member_id",
    )


def test_a_group_leader_must_be_a_member_of_that_branch(org):
    community = org.community(COUNTY)
    compound = org.compound(community)
    building = org.building(compound, "1栋")
    outsider = org.member(community)
    branch = org.branch(compound)
    refused(
        org.http.post(
            f"/branches/{branch}/groups",
            json={"building_id": building, "leader_member_id": outsider},
        ),
        409,
        "group_leader_not_branch_member",
        "member_id",
    )


def test_a_party_group_is_for_a_building_of_the_branchs_compound(org):
    community = org.community(COUNTY)
    here, there = org.compound(community), org.compound(community)
    building_there = org.building(there, "9栋")
    leader = org.member(community)
    branch = org.branch(here, leader)
    refused(
        org.http.post(
            f"/branches/{branch}/groups",
            json={"building_id": building_there, "leader_member_id": leader},
        ),
        409,
        "building_not_in_compound",
        "building_id",
    )


def test_no_two_households_at_one_address(org):
    building = org.building(org.compound(org.community(COUNTY)), "1栋")
    org.households(building, (1, "101"))
    refused(
        org.http.post(
            f"/buildings/{building}/households",
            json={"households": [{"unit": 2, "room": "201"}, {"unit": 1, "room": "101"}]},
        ),
        409,
        "household_address_taken",
        "households.1.room",
    )


def test_retiring_a_building_with_households_is_refused_with_a_reason(org):
    building = org.building(org.compound(org.community(COUNTY)), "1栋")
    org.households(building, (1, "101"), (1, "102"))
    problem = refused(
        org.http.post(f"/buildings/{building}/retire"), 409, "building_has_households"
    )
    assert "2 households" in problem["detail"]


def test_a_building_moves_only_to_an_area_of_its_own_compound(org):
    community = org.community(COUNTY)
    here, there = org.compound(community), org.compound(community)
    building = org.building(here, "1栋")
    elsewhere = org.area(there, "外片区")
    refused(
        org.http.post(f"/buildings/{building}/move", json={"area_id": elsewhere}),
        409,
        "area_not_in_compound",
        "area_id",
    )


def test_names_are_unique_where_they_must_be(org):
    community = org.community(COUNTY)
    compound = org.compound(community, "重名小区")
    refused(
        org.http.post(f"/communities/{community}/compounds", json={"name": "重名小区"}),
        409,
        "compound_name_taken",
        "name",
    )
    org.building(compound, "1栋")
    refused(
        org.http.post(f"/compounds/{compound}/buildings", json={"name": "1栋", "units": 1}),
        409,
        "building_name_taken",
        "name",
    )
    org.area(compound, "南片区")
    refused(
        org.http.post(f"/compounds/{compound}/areas", json={"name": "南片区"}),
        409,
        "area_name_taken",
        "name",
    )


def test_a_member_lives_in_a_household_of_their_community(org):
    community, other = org.community(COUNTY), org.community(COUNTY)
    building = org.building(org.compound(other), "1栋")
    [home] = org.households(building, (1, "101"))
    response = org.http.post(
        "/members",
        json={
            "name": "错位",
            "phone": "13907460009",
            "kind": "resident",
            "residence": {"community_id": community, "building_id": building, "household_id": home},
        },
    )
    refused(response, 409, "building_elsewhere", "residence.building_id")


def test_bad_member_input_names_the_field_and_rule(org):
    response = org.http.post(
        "/members",
        json={
            "name": "",
            "phone": "12345",
            "kind": "emperor",
            "residence": {"community_id": "x"},
        },
    )
    problem = refused(response, 422, "validation")
    assert {e["field"] for e in problem["errors"]} >= {"name", "phone", "kind"}


def test_another_communitys_staff_cannot_change_this_community(org, stack):
    community, other = org.community(COUNTY), org.community(COUNTY)
    compound = org.compound(community)
    staff = Org(stack, stack.token("community_staff", communities=[other]))
    assert (
        staff.http.post(f"/compounds/{compound}/areas", json={"name": "越权片区"}).status_code
        == 403
    )
    assert (
        staff.http.post(
            f"/communities/{community}/compounds", json={"name": "越权小区"}
        ).status_code
        == 403
    )
    assert staff.http.get(f"/communities/{community}/coverage").status_code == 403
    own = Org(stack, stack.token("community_staff", communities=[community]))
    assert (
        own.http.post(f"/compounds/{compound}/areas", json={"name": "本社区片区"}).status_code
        == 201
    )
