"""The demo's volunteering: `make up` loads teams, past and coming activities, certified
hours and the coming weekends' rotas for the eight communities."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def demo(stack) -> dict[str, Any]:
    found = stack.state.get("demo") or {}
    assert "volunteering" in found, "make up loads the volunteering demo; services.json has none"
    return dict(found)


@pytest.fixture(scope="module")
def admin(stack, demo):
    token = stack.token("county_admin", county=demo["county"], subject="demo-vol-e2e")
    with httpx.Client(
        base_url=stack.url("volunteering"),
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ) as client:
        yield client


def _get(client: httpx.Client, path: str, **params: Any) -> Any:
    answer = client.get(path, params=params or None)
    assert answer.status_code == 200, (path, answer.text)
    return answer.json()


def test_every_community_has_teams_of_every_kind_and_certified_hours(admin, demo):
    kinds = {
        "civilisation_supervision",
        "caring_volunteers",
        "fitness_and_arts",
        "emergency_safety",
        "partner",
    }
    total = 0.0
    for community_id in demo["communities"].values():
        teams = _get(admin, f"/communities/{community_id}/teams")
        assert kinds <= {t["kind"] for t in teams}, teams
        assert all(t["members"] > 0 for t in teams)
        hours = _get(admin, f"/communities/{community_id}/hours")
        assert hours["by_month"], community_id
        total += sum(m["hours"] for m in hours["by_month"])
    assert total >= demo["volunteering"]["hours_certified"] - 0.01


def test_the_sample_activities_show_completion_and_a_waitlist(admin, demo):
    samples = demo["volunteering"]["samples"]
    past = _get(admin, f"/activities/{samples['past_activity']}")
    assert past["completed"] is True
    assert past["checked_out"], past
    waiting = _get(admin, f"/activities/{samples['waitlisted_activity']}")
    assert len(waiting["confirmed"]) == waiting["capacity"]
    assert waiting["waitlist"]


def test_the_coming_weekend_rota_shows_its_shifts_and_gaps(admin, demo):
    rota_id = demo["volunteering"]["samples"]["rota"]
    community_id, saturday = rota_id.split(":")[1], rota_id.split(":")[2]
    shown = _get(admin, f"/communities/{community_id}/rota", weekend=saturday)
    assert shown["rota_id"] == rota_id
    assert shown["slots"]
    assert len(shown["gaps"]) == sum(1 for s in shown["slots"] if s["holder"] is None)
    assert any(s["holder"] for s in shown["slots"])
