"""Every command's actor, time and outcome is queryable per community: GET /audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from grassroots_eventkit.values import CHINA_STANDARD_TIME

from tests.support.org_client import Org, eventually
from tests.support.requests_client import Desk, Neighbourhood, build_neighbourhood

pytestmark = pytest.mark.e2e

COUNTY = "审计县"


@pytest.fixture(scope="module")
def place(stack) -> Neighbourhood:
    org = Org(stack, stack.token("county_admin", county=COUNTY, subject="audit-admin"))
    return build_neighbourhood(org, COUNTY)


@pytest.fixture(scope="module")
def desk(stack, place) -> Desk:
    desk = Desk(stack, place)
    desk.routed()
    return desk


def audit(stack, service: str, token: str, **params) -> httpx.Response:
    return httpx.get(
        f"{stack.url(service)}/audit",
        params=params,
        headers={"Authorization": f"Bearer {token}"},
        timeout=20,
    )


def rows(stack, service: str, token: str, **params) -> list[dict]:
    answer = audit(stack, service, token, **params)
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def test_claim_rating_and_a_refused_rating_are_audited_with_actor_time_and_outcome(
    stack, desk, place
):
    since = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    rid = desk.submit()
    member = place.people["household"]
    desk.ok(f"/requests/{rid}/claim", desk.member("household"))
    desk.ok(f"/requests/{rid}/resolve", desk.member("household"), {"resolution": "修好了"})
    desk.ok(f"/requests/{rid}/rating", desk.resident(), {"rating": "satisfied"})
    again = desk.post(f"/requests/{rid}/rating", desk.resident(), {"rating": "dissatisfied"})
    assert again.status_code == 409, again.text

    found = rows(stack, "requests", desk.staff(), community=place.community, since=since)
    mine = [r for r in found if r["stream_id"] == rid]
    assert [(r["command"], r["outcome"]) for r in reversed(mine)] == [
        ("SubmitRequest", "accepted"),
        ("ClaimRequest", "accepted"),
        ("ResolveRequest", "accepted"),
        ("RateRequest", "accepted"),
        ("RateRequest", "refused"),
    ]
    claim = next(r for r in mine if r["command"] == "ClaimRequest")
    assert (claim["actor"], claim["actor_roles"]) == (member, ["member"])
    assert (claim["community_id"], claim["county"]) == (place.community, COUNTY)
    assert datetime.fromisoformat(claim["at"]) >= datetime.fromisoformat(since)
    assert claim["stream_version"] >= 2
    refused = mine[0]
    assert (refused["actor"], refused["problem"]) == ("resident-1", again.json()["rule"])
    assert refused["stream_version"] is None

    # Filters: by actor and by command; a county administrator sees the same rows.
    by_actor = rows(stack, "requests", desk.staff(), community=place.community, actor=member)
    assert {r["command"] for r in by_actor if r["stream_id"] == rid} == {
        "ClaimRequest",
        "ResolveRequest",
    }
    admin = stack.token("county_admin", county=COUNTY, subject="audit-admin")
    rated = rows(stack, "requests", admin, command="RateRequest", since=since)
    assert {(r["stream_id"], r["outcome"]) for r in rated} >= {
        (rid, "accepted"),
        (rid, "refused"),
    }


def test_a_rule_book_published_by_staff_is_audited_in_the_points_service(stack, place):
    staff = stack.token("community_staff", subject="audit-staff", communities=[place.community])
    tomorrow = datetime.now(CHINA_STANDARD_TIME).date() + timedelta(days=1)
    book = {
        "county": COUNTY,
        "community_id": place.community,
        "effective_from": str(tomorrow),
        "rules": [
            {
                "rule_id": "request_resolved",
                "trigger": "grassroots.requests.RequestResolved.v1",
                "amount": 7,
            }
        ],
    }

    def published() -> None:
        answer = httpx.post(
            f"{stack.url('points')}/rulebooks",
            json=book,
            headers={"Authorization": f"Bearer {staff}"},
            timeout=20,
        )
        assert answer.status_code in (200, 201), answer.text  # once the directory knows it

    eventually(published, timeout=60)
    [row] = rows(
        stack, "points", staff, community=place.community, command="PublishRuleBook", limit=1
    )
    assert (row["actor"], row["outcome"], row["county"]) == ("audit-staff", "accepted", COUNTY)
    assert row["actor_roles"] == ["community_staff"]


def test_only_staff_of_the_community_or_its_county_read_the_audit(stack, place, desk):
    assert audit(stack, "requests", desk.member("household")).status_code == 403
    assert audit(stack, "requests", desk.resident()).status_code == 403
    stranger = stack.token("community_staff", subject="s", communities=["another-community"])
    assert audit(stack, "requests", stranger, community=place.community).status_code == 403
    elsewhere = stack.token("county_admin", county="别的县", subject="other-admin")
    assert rows(stack, "requests", elsewhere, community=place.community) == []
    agency = stack.token("agency", county=COUNTY, subject="agency-1")
    assert audit(stack, "requests", agency).status_code == 403
    assert audit(stack, "requests", desk.staff()).status_code == 200
    assert audit(stack, "points", desk.staff(), limit=0).status_code == 422
    bad = audit(stack, "requests", desk.staff(), actor="a\x00b")
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "query.actor")


def test_pages_follow_the_cursor_without_gaps_or_repeats(stack, place):
    admin = stack.token("county_admin", county=COUNTY, subject="audit-admin")
    everything = rows(stack, "organisation", admin, limit=500)
    assert len(everything) >= 4  # the neighbourhood's set-up commands
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        answer = audit(stack, "organisation", admin, **params)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        seen += [r["command_id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [r["command_id"] for r in everything]
