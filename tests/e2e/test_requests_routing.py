"""Routing comes from the organisation's events: the requests service's own routing table
follows a new party group leader, a household without a member, an unmanned building."""

from __future__ import annotations

import pytest

from tests.support.org_client import Org, eventually
from tests.support.requests_client import Desk, build_neighbourhood

pytestmark = pytest.mark.e2e

COUNTY = "路由县"


@pytest.fixture
def org(stack) -> Org:
    return Org(stack, stack.token("county_admin", county=COUNTY, subject="routing-admin"))


def test_new_requests_go_to_the_new_group_leader_after_the_leader_changes(stack, org):
    place = build_neighbourhood(org, COUNTY)
    desk = Desk(stack, place)
    desk.routed()
    before = desk.submit()
    taken = desk.submit()
    assert desk.view(before)["responsible_ids"] == place.chain
    desk.ok(f"/requests/{taken}/claim", desk.member("leader"))

    successor = org.member(place.community, name="新组长")
    org.ok("POST", f"/branches/{place.branch}/members", json={"member_id": successor})
    org.ok(
        "PUT",
        f"/branches/{place.branch}/groups/{place.building}/leader",
        json={"leader_member_id": successor},
    )
    expected = [place.people["household"], successor, *place.chain[2:]]

    def rerouted() -> None:
        answer = desk.get("/routing", desk.staff(), household_id=place.homes[0])
        assert answer.json()["responsible_ids"] == expected

    eventually(rerouted, timeout=60)
    after = desk.submit()
    assert desk.view(after)["responsible_ids"] == expected
    # The old leader is off the new request's chain; the new one may claim it.
    assert desk.refused(f"/requests/{after}/claim", desk.member("leader")) == (
        409,
        "not_in_chain",
    )
    new_leader = stack.token("member", subject=successor)
    assert desk.post(f"/requests/{after}/claim", new_leader).status_code == 200

    # The open request routed before the change follows the new chain too (re-routed by
    # the durable timer); one already taken stays with the member who took it.
    def rerouted_open() -> None:
        assert desk.view(before)["responsible_ids"] == expected

    eventually(rerouted_open, timeout=30)
    assert desk.post(f"/requests/{before}/claim", new_leader).status_code == 200
    held = desk.view(taken)
    assert (held["holder"], held["responsible_ids"]) == (
        {"kind": "member", "id": place.people["leader"]},
        place.chain,
    )


def test_a_household_without_a_member_starts_at_the_building_and_an_empty_grid_at_the_community(
    stack, org
):
    place = build_neighbourhood(org, COUNTY)
    desk = Desk(stack, place)
    desk.routed()
    second_home = place.homes[1]  # no responsible member assigned

    def building_level() -> dict:
        answer = desk.get("/routing", desk.staff(), household_id=second_home).json()
        assert answer["level"] == "building"
        return answer

    assert eventually(building_level, timeout=30)["responsible_ids"] == place.chain[1:]

    bare = org.compound(place.community)
    building = org.building(bare, "9栋")
    [home] = org.households(building, (1, "101"))

    def community_level() -> None:
        answer = desk.get("/routing", desk.staff(), household_id=home)
        assert answer.status_code == 200, answer.text
        assert answer.json()["level"] == "community"
        assert answer.json()["responsible_ids"] == []

    eventually(community_level, timeout=60)
    rid = desk.submit(address={"household_id": home})
    shown = desk.view(rid)
    assert (shown["level"], shown["responsible_ids"]) == ("community", [])
    # Nobody on a chain: the community assigns it.
    assert desk.refused(f"/requests/{rid}/claim", desk.member("leader")) == (409, "not_in_chain")
    desk.ok(f"/requests/{rid}/assign", desk.staff(), {"member_id": place.people["other"]})
    assert desk.view(rid)["holder"] == {"kind": "member", "id": place.people["other"]}
