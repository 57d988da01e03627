"""The demo's requests: `make up` loads a few hundred across the eight communities, in
every lifecycle state, and the read models and the three rates show them."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.e2e

# The planned outcome -> (status, level or None for any) the request must show.
SHOWN_AS = {
    "open": ("open", None),
    "claimed": ("claimed", None),
    "resolved": ("resolved", None),
    "closed_satisfied": ("closed", None),
    "closed_basically": ("closed", None),
    "closed_unresolved": ("closed", None),
    "reopened": ("claimed", None),
    "escalated_community": ("open", "community"),
    "escalated_department": ("claimed", "department"),
    "cancelled": ("cancelled", None),
    "rejected": ("rejected", None),
    "merged": ("merged", None),
}


@pytest.fixture(scope="module")
def demo(stack) -> dict[str, Any]:
    found = stack.state.get("demo") or {}
    assert "requests" in found, "make up loads the demo's requests; services.json has none"
    return dict(found)


@pytest.fixture(scope="module")
def admin(stack, demo):
    token = stack.token("county_admin", county=demo["county"], subject="demo-requests-e2e")
    with httpx.Client(
        base_url=stack.url("requests"), headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as client:
        yield client


def test_hundreds_of_requests_were_loaded_in_every_state(demo):
    traffic = demo["requests"]
    assert traffic["requests"] >= 8 * 5
    assert set(traffic["by_outcome"]) == set(SHOWN_AS)
    assert sum(traffic["by_outcome"].values()) == traffic["requests"]


def test_each_sample_request_stands_in_its_planned_state(admin, demo):
    for outcome, request_id in demo["requests"]["samples"].items():
        shown = admin.get(f"/requests/{request_id}")
        assert shown.status_code == 200, (outcome, shown.text)
        status, level = SHOWN_AS[outcome]
        assert shown.json()["status"] == status, (outcome, shown.json())
        if level:
            assert shown.json()["level"] == level, (outcome, shown.json())


def test_the_read_model_counts_at_least_the_planned_requests_per_status(admin, demo):
    expected: Counter[str] = Counter()
    for outcome, n in demo["requests"]["by_outcome"].items():
        expected[SHOWN_AS[outcome][0]] += n
    shown: Counter[str] = Counter()
    for community_id in demo["communities"].values():
        answer = admin.get(f"/communities/{community_id}/requests", params={"limit": 1})
        assert answer.status_code == 200, answer.text
        shown.update(answer.json()["counts"])
    for status, n in expected.items():
        assert shown[status] >= n, (status, shown, expected)


def test_every_community_has_three_rates_from_the_demo(admin, demo):
    for community_id in demo["communities"].values():
        months = admin.get(f"/communities/{community_id}/rates").json()
        latest = months[-1]
        assert latest["satisfaction_rate"]["denominator"] > 0, latest
        assert latest["resolution_rate"]["denominator"] > 0, latest
        assert 0 <= latest["satisfaction_rate"]["value"] <= 1
