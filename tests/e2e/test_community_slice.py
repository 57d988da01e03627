"""The thin slice end to end: POST to organisation -> event store -> relay -> Kafka ->
projections -> GET, across two separate service processes."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
import pytest

pytestmark = pytest.mark.e2e

COUNTY = "测试县"  # not the demo's county, so the demo's names never collide


def _unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:6]}社区"


@pytest.fixture
def admin(stack) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {stack.token('county_admin', county=COUNTY, subject='e2e-admin')}"
    }


def _wait_listed(
    stack, headers, community_id: str, *, name: str | None = None, timeout: float = 15
):
    deadline = time.monotonic() + timeout
    while True:
        listed = httpx.get(f"{stack.url('projections')}/communities", headers=headers).json()[
            "items"
        ]
        match = [
            c for c in listed if c["id"] == community_id and (name is None or c["name"] == name)
        ]
        if match:
            return match[0], time.monotonic() - (deadline - timeout)
        assert time.monotonic() < deadline, (
            f"{community_id} not in the county list after {timeout}s"
        )
        time.sleep(0.05)


def test_a_registered_community_appears_in_the_county_list(stack, admin):
    name = _unique("茶亭")
    response = httpx.post(
        f"{stack.url('organisation')}/communities",
        json={"name": name, "county": COUNTY, "town": "白牙市镇"},
        headers=admin,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["version"] == 1
    assert response.headers["Location"] == f"/communities/{body['id']}"

    listed, seconds = _wait_listed(stack, admin, body["id"])
    assert listed == {
        "id": body["id"],
        "name": name,
        "county": COUNTY,
        "town": "白牙市镇",
        "registered_at": listed["registered_at"],
        "version": 1,
    }
    assert seconds < 5

    one = httpx.get(f"{stack.url('projections')}/communities/{body['id']}", headers=admin)
    assert one.status_code == 200
    assert one.json()["name"] == name


def test_a_rename_reaches_the_county_list(stack, admin):
    created = httpx.post(
        f"{stack.url('organisation')}/communities",
        json={"name": _unique("旧"), "county": COUNTY, "town": "白牙市镇"},
        headers=admin,
    ).json()
    new_name = _unique("新")
    renamed = httpx.post(
        f"{stack.url('organisation')}/communities/{created['id']}/rename",
        json={"name": new_name},
        headers=admin,
    )
    assert renamed.status_code == 200
    assert renamed.json()["version"] == 2
    listed, _ = _wait_listed(stack, admin, created["id"], name=new_name)
    assert listed["version"] == 2


@pytest.mark.parametrize(
    ("body", "field", "rule"),
    [
        ({"county": COUNTY, "town": "白牙市镇"}, "name", "missing"),
        ({"name": "", "county": COUNTY, "town": "白牙市镇"}, "name", "string_too_short"),
        ({"name": "x" * 51, "county": COUNTY, "town": "白牙市镇"}, "name", "string_too_long"),
        ({"name": 42, "county": COUNTY, "town": "白牙市镇"}, "name", "string_type"),
        ({"name": "茶亭\u0000社区", "county": COUNTY, "town": "白牙市镇"}, "name", "value_error"),
        (
            {"name": "茶亭社区", "county": COUNTY, "town": "白牙市镇", "x": 1},
            "x",
            "extra_forbidden",
        ),
    ],
)
def test_bad_input_gets_a_422_problem_naming_the_field_and_rule(stack, admin, body, field, rule):
    response = httpx.post(f"{stack.url('organisation')}/communities", json=body, headers=admin)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422
    assert problem["rule"] == "validation"
    assert {"field": field, "rule": rule} in [
        {"field": e["field"], "rule": e["rule"]} for e in problem["errors"]
    ]


def test_malformed_json_gets_a_422_problem(stack, admin):
    response = httpx.post(
        f"{stack.url('organisation')}/communities",
        content=b"{nope",
        headers={**admin, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["rule"] == "json_invalid"


def test_a_duplicate_name_in_the_same_county_gets_409_and_elsewhere_201(stack, admin):
    name = _unique("重名")
    url = f"{stack.url('organisation')}/communities"
    first = httpx.post(url, json={"name": name, "county": COUNTY, "town": "A镇"}, headers=admin)
    again = httpx.post(url, json={"name": name, "county": COUNTY, "town": "B镇"}, headers=admin)
    assert first.status_code == 201
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert again.json()["rule"] == "community_name_taken"
    assert again.json()["errors"][0]["field"] == "name"

    other = {"Authorization": f"Bearer {stack.token('county_admin', county='别的县')}"}
    elsewhere = httpx.post(
        url, json={"name": name, "county": "别的县", "town": "A镇"}, headers=other
    )
    assert elsewhere.status_code == 201


def test_a_retried_command_with_the_same_idempotency_key_writes_once(stack, admin):
    url = f"{stack.url('organisation')}/communities"
    body = {"name": _unique("幂等"), "county": COUNTY, "town": "白牙市镇"}
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = httpx.post(url, json=body, headers={**admin, **key})
    second = httpx.post(url, json=body, headers={**admin, **key})
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers["Idempotent-Replayed"] == "true"

    changed = httpx.post(url, json={**body, "town": "别处"}, headers={**admin, **key})
    assert changed.status_code == 422
    assert changed.json()["rule"] == "idempotency_key_reused"


async def test_concurrent_renames_are_each_applied_or_refused_never_lost(stack, admin):
    url = stack.url("organisation")
    async with httpx.AsyncClient(base_url=url, headers=admin) as client:
        created = (
            await client.post(
                "/communities", json={"name": _unique("并发"), "county": COUNTY, "town": "白牙市镇"}
            )
        ).json()
        names = [_unique(f"名{i}") for i in range(10)]
        answers = await asyncio.gather(
            *(client.post(f"/communities/{created['id']}/rename", json={"name": n}) for n in names)
        )
        assert {a.status_code for a in answers} <= {200, 409}
        accepted = [a.json()["version"] for a in answers if a.status_code == 200]
        assert sorted(accepted) == list(range(2, 2 + len(accepted)))
        now = (await client.get(f"/communities/{created['id']}")).json()
        assert now["version"] == 1 + len(accepted)
