"""The Dong'an demo `make up` (and `make test`) loaded: the running services show exactly
the county the generator makes from the seed, sizes and day the stack recorded."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from datetime import date
from typing import Any

import httpx
import pytest
from grassroots_stack.demo import generator

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def demo(stack) -> dict[str, Any]:
    found = stack.state.get("demo")
    if not found or "seed" not in found:
        pytest.skip("this stack runs without the demo (`stack up --no-demo`)")
    return found


@pytest.fixture(scope="module")
def county(demo) -> generator.County:
    return generator.generate(
        demo["seed"], generator.Sizes.from_record(demo["sizes"]), date.fromisoformat(demo["as_of"])
    )


@pytest.fixture(scope="module")
def org(stack, demo):
    token = stack.token("county_admin", county=demo["county"], subject="demo-e2e")
    with httpx.Client(
        base_url=stack.url("organisation"),
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ) as client:
        yield client


def _get(client: httpx.Client, path: str, **params: Any) -> Any:
    response = client.get(path, params=params or None)
    assert response.status_code == 200, (path, response.status_code, response.text)
    return response.json()


def test_the_county_list_shows_the_eight_communities(stack, demo, county):
    token = stack.token("county_admin", county=demo["county"], subject="demo-e2e")
    listed = httpx.get(
        f"{stack.url('projections')}/communities",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ).json()["items"]
    shown = {c["id"]: c["name"] for c in listed}
    assert {shown.get(demo["communities"][c.key]) for c in county.communities} == {
        c.name for c in county.communities
    }
    assert len(county.communities) == 8
    assert {"茶亭社区", "山子岭社区"} <= set(shown.values())


def test_each_community_shows_the_generated_coverage_and_double_report(org, demo, county):
    for community in county.communities:
        cid = demo["communities"][community.key]
        expected = county.expected[community.key]
        coverage = _get(org, f"/communities/{cid}/coverage")
        reporting = _get(org, f"/communities/{cid}/reporting", period=county.period, limit=1)
        shown = {
            "compounds": coverage["compounds_with_branch"]["total"],
            "compounds_with_branch": coverage["compounds_with_branch"]["covered"],
            "buildings": coverage["buildings_with_party_group"]["total"],
            "buildings_with_group": coverage["buildings_with_party_group"]["covered"],
            "households": coverage["households_with_responsible_member"]["total"],
            "households_with_member": coverage["households_with_responsible_member"]["covered"],
            "in_service_members": reporting["in_service_members"],
            "reported_to_residence": reporting["reported_to_residence"],
            "reported_to_contact": reporting["reported_to_contact"],
            "reported_to_both": reporting["reported_to_both"],
        }
        assert shown == asdict(expected), community.name
        assert reporting["rate"] == 1.0
        assert reporting["not_reported"] == []


def test_the_named_compounds_stand_in_their_communities_with_a_branch(org, demo):
    for community, name in (("chating", "雍景园小区"), ("shanziling", "县生资公司居民小区")):
        tree = _get(org, f"/communities/{demo['communities'][community]}/tree")
        [compound] = [c for c in tree if c["name"] == name]
        assert compound["branch_secretary"]
        assert all(a["committee_member"] for a in compound["areas"])


def test_the_unit_organisations_reported_paired_and_pledged_as_generated(org, demo, county):
    assert set(demo["unit_orgs"]) == {u.key for u in county.unit_orgs}
    for unit in county.unit_orgs:
        shown = _get(org, f"/unit-organisations/{demo['unit_orgs'][unit.key]}")
        community = demo["communities"][unit.community]
        assert (shown["name"], shown["kind"]) == (unit.name, unit.kind)
        assert [p["community_id"] for p in shown["pairings"]] == [community]
        assert {"community_id": community, "reported_on": unit.reported_on.isoformat()} in shown[
            "reports"
        ]
        assert Counter((p["title"], p["status"]) for p in shown["pledges"]) == Counter(
            (p.title, p.status) for p in unit.pledges
        )


def test_the_sample_household_answers_to_the_generated_people_nearest_first(org, demo):
    samples = demo["samples"]
    people = samples["people"]
    chain = _get(
        org, f"/buildings/{samples['building']['id']}/households/{samples['household']}/chain"
    )
    roles = {r["role"]: r["person_id"] for r in chain["chain"]}
    assert roles["household_member"] == people["household_member"]
    assert roles["party_group_leader"] == people["group_leader"]
    assert roles["branch_secretary"] == people["branch_secretary"]
    assert chain["address"]["compound_id"] == samples["compound"]["id"]
    assert chain["chain"][0]["role"] == "household_member"
