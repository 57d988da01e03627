"""Unit party organisations (机关企事业单位党组织) over HTTP against the running services:
report (报到), pairing (结对), pledges (民生实事承诺), their refusals, and their public
events on Kafka, keyed by the county."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from grassroots_contracts.envelope import H_COMMUNITY, H_SUBJECT, H_TYPE
from grassroots_contracts.organisation import unit_orgs as public
from grassroots_contracts.topics import ORGANISATION_EVENTS

from tests.support.kafka import read_until, wait_for

pytestmark = pytest.mark.e2e

COUNTY = "单位测试县"  # not the demo's county, so the demo's names never collide
OTHER_COUNTY = "单位别的县"
CST = timezone(timedelta(hours=8))
TODAY = datetime.now(CST).date()
YEAR = TODAY.year


def _unique(name: str) -> str:
    return f"{name}{uuid.uuid4().hex[:6]}"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def org(stack) -> str:
    return stack.url("organisation")


@pytest.fixture(scope="module")
def admin(stack) -> dict[str, str]:
    return _bearer(stack.token("county_admin", county=COUNTY, subject="e2e-unit-admin"))


@pytest.fixture(scope="module")
def communities(stack, org) -> dict[str, str]:
    """Two communities of the test county and one of another county."""
    made = {}
    for key, county in (("a", COUNTY), ("b", COUNTY), ("elsewhere", OTHER_COUNTY)):
        headers = _bearer(stack.token("county_admin", county=county))
        created = httpx.post(
            f"{org}/communities",
            json={"name": _unique("结对社区"), "county": county, "town": "白牙市镇"},
            headers=headers,
        )
        assert created.status_code == 201, created.text
        made[key] = created.json()["id"]
    return made


def _register(org, admin, *, name: str | None = None, kind: str = "hospital") -> str:
    created = httpx.post(
        f"{org}/unit-organisations",
        json={"name": name or _unique("县人民医院党委"), "kind": kind, "county": COUNTY},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def _post(org, path: str, body: dict[str, object] | None, headers: dict[str, str]):
    return httpx.post(f"{org}{path}", json=body, headers=headers)


def _paired_with_pledge(org, admin, community: str) -> tuple[str, str]:
    unit = _register(org, admin)
    paired = _post(org, f"/unit-organisations/{unit}/pairings", {"community_id": community}, admin)
    assert paired.status_code == 200, paired.text
    made = _post(
        org,
        f"/unit-organisations/{unit}/pledges",
        {"community_id": community, "year": YEAR, "title": "助老食堂"},
        admin,
    )
    assert made.status_code == 200, made.text
    return unit, made.json()["pledge_id"]


def _rule(response: httpx.Response) -> tuple[int, str, str | None]:
    assert response.headers["content-type"] == "application/problem+json", response.text
    problem = response.json()
    fields = [e["field"] for e in problem.get("errors", [])]
    return response.status_code, problem["rule"], fields[0] if fields else None


# The whole way, and on Kafka


def test_a_unit_reports_pairs_pledges_and_completes_and_every_step_is_published(
    stack, org, admin, communities
):
    community = communities["a"]
    name = _unique("东安县第一中学党委")
    created = httpx.post(
        f"{org}/unit-organisations",
        json={"name": name, "kind": "school", "county": COUNTY},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    unit = created.json()["id"]
    assert created.json()["version"] == 1
    assert created.headers["Location"] == f"/unit-organisations/{unit}"

    base = f"/unit-organisations/{unit}"
    reported = _post(
        org, f"{base}/reports", {"community_id": community, "reported_on": str(TODAY)}, admin
    )
    assert (reported.status_code, reported.json()["version"]) == (200, 2), reported.text
    paired = _post(org, f"{base}/pairings", {"community_id": community}, admin)
    assert (paired.status_code, paired.json()["version"]) == (200, 3), paired.text
    pledged = _post(
        org,
        f"{base}/pledges",
        {"community_id": community, "year": YEAR, "title": "为社区老旧小区加装路灯"},
        admin,
    )
    assert pledged.status_code == 200, pledged.text
    pledge = pledged.json()["pledge_id"]
    assert pledged.json() == {"id": unit, "version": 4, "pledge_id": pledge}

    steps = [
        (f"{base}/pledges/{pledge}/start", None),
        (f"{base}/pledges/{pledge}/notes", {"text": "已完成路灯选址，施工队下周进场。"}),
        (f"{base}/pledges/{pledge}/complete", {"evidence": "新装路灯24盏，已验收。"}),
    ]
    for version, (path, body) in enumerate(steps, start=5):
        moved = _post(org, path, body, admin)
        assert (moved.status_code, moved.json()["version"]) == (200, version), moved.text

    view = httpx.get(f"{org}{base}", headers=admin).json()
    assert view == {
        "id": unit,
        "name": name,
        "kind": "school",
        "county": COUNTY,
        "reports": [{"community_id": community, "reported_on": str(TODAY)}],
        "pairings": [{"community_id": community, "paired_at": view["pairings"][0]["paired_at"]}],
        "pledges": [
            {
                "id": pledge,
                "community_id": community,
                "year": YEAR,
                "title": "为社区老旧小区加装路灯",
                "status": "done",
                "notes": [
                    {
                        "text": "已完成路灯选址，施工队下周进场。",
                        "added_at": view["pledges"][0]["notes"][0]["added_at"],
                        "evidence": False,
                    },
                    {
                        "text": "新装路灯24盏，已验收。",
                        "added_at": view["pledges"][0]["notes"][1]["added_at"],
                        "evidence": True,
                    },
                ],
            }
        ],
        "version": 7,
    }

    expected = [
        public.UnitOrganisationRegistered,
        public.UnitOrganisationReported,
        public.UnitOrganisationPaired,
        public.PledgeMade,
        public.PledgeStarted,
        public.PledgeNoteAdded,
        public.PledgeCompleted,
    ]

    async def published():
        records = await read_until(
            stack.kafka, ORGANISATION_EVENTS.name, expected=1, security=stack.kafka_security
        )
        mine = [r for r in records if dict(r.headers).get(H_SUBJECT) == unit.encode()]
        return mine if len(mine) == len(expected) else None

    records = asyncio.run(wait_for(published, timeout=30))
    assert [dict(r.headers)[H_TYPE].decode() for r in records] == [e.event_type for e in expected]
    assert {r.key for r in records} == {f"county:{COUNTY}".encode()}
    assert {dict(r.headers)[H_COMMUNITY] for r in records} == {f"county:{COUNTY}".encode()}
    payloads = [cls.model_validate_json(r.value) for cls, r in zip(expected, records, strict=True)]
    assert all(getattr(p, "community_id", community) == community for p in payloads)
    assert payloads[3] == public.PledgeMade(
        pledge_id=pledge,
        unit_org_id=unit,
        community_id=community,
        year=YEAR,
        title="为社区老旧小区加装路灯",
        pledged_at=payloads[3].pledged_at,
    )
    # Staff's free text stays in the service.
    for record in records:
        text = record.value.decode()
        assert "路灯选址" not in text
        assert "已验收" not in text
        assert "evidence" not in json.loads(text)


# Bad input: 422 naming the field


NOTES = "/{unit}/pledges/{pledge}/notes"
BAD_INPUT = [
    ("", {"name": "某单位党委", "county": COUNTY}, "kind", "missing"),
    ("", {"name": "某单位党委", "kind": "church", "county": COUNTY}, "kind", "enum"),
    ("", {"name": "x", "kind": "school", "county": COUNTY}, "name", "string_too_short"),
    (
        "",
        {"name": "某单位党委", "kind": "school", "county": COUNTY, "x": 1},
        "x",
        "extra_forbidden",
    ),
    ("/{unit}/rename", {"name": "x" * 51}, "name", "string_too_long"),
    ("/{unit}/reports", {"community_id": "{a}"}, "reported_on", "missing"),
    (
        "/{unit}/reports",
        {"community_id": "{a}", "reported_on": "2026-13-40"},
        "reported_on",
        "date_from_datetime_parsing",
    ),
    (
        "/{unit}/reports",
        {"community_id": "no spaces", "reported_on": "2026-01-01"},
        "community_id",
        "string_pattern_mismatch",
    ),
    (
        "/{unit}/reports",
        {"community_id": "{a}", "reported_on": "1999-12-31"},
        "reported_on",
        "greater_than_equal",
    ),
    ("/{unit}/pairings", {}, "community_id", "missing"),
    (
        "/{unit}/pledges",
        {"community_id": "{a}", "year": 1999, "title": "助老食堂"},
        "year",
        "greater_than_equal",
    ),
    (
        "/{unit}/pledges",
        {"community_id": "{a}", "year": YEAR, "title": "x" * 101},
        "title",
        "string_too_long",
    ),
    (
        "/{unit}/pledges",
        {"community_id": "{a}", "year": "明年", "title": "助老食堂"},
        "year",
        "int_parsing",
    ),
    (NOTES, {"text": "   "}, "text", "string_too_short"),
    (NOTES, {"text": "带\u0000控制符"}, "text", "value_error"),
    ("/{unit}/pledges/{pledge}/complete", {}, "evidence", "missing"),
]


@pytest.mark.parametrize(("path", "body", "field", "rule"), BAD_INPUT)
def test_bad_input_gets_a_422_problem_naming_the_field_and_rule(
    org, admin, communities, path, body, field, rule
):
    unit, pledge = _paired_with_pledge(org, admin, communities["a"])
    filled = {
        k: v.replace("{a}", communities["a"]) if isinstance(v, str) else v for k, v in body.items()
    }
    url = "/unit-organisations" + path.replace("{unit}", unit).replace("{pledge}", pledge)
    response = _post(org, url, filled, admin)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["rule"] == "validation"
    assert {"field": field, "rule": rule} in [
        {"field": e["field"], "rule": e["rule"]} for e in problem["errors"]
    ]


def test_a_path_id_of_the_wrong_shape_gets_a_422(org, admin):
    response = httpx.get(f"{org}/unit-organisations/not an id", headers=admin)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "path.unit_org_id"


# The rules over HTTP


def test_reporting_twice_to_a_community_in_one_year_is_refused(org, admin, communities):
    unit = _register(org, admin)
    body = {"community_id": communities["a"], "reported_on": str(TODAY)}
    assert _post(org, f"/unit-organisations/{unit}/reports", body, admin).status_code == 200
    again = _post(org, f"/unit-organisations/{unit}/reports", body, admin)
    assert _rule(again) == (409, "already_reported_this_year", "reported_on")
    last_year = {"community_id": communities["a"], "reported_on": f"{YEAR - 1}-06-01"}
    assert _post(org, f"/unit-organisations/{unit}/reports", last_year, admin).status_code == 200


def test_a_report_dated_tomorrow_is_refused(org, admin, communities):
    unit = _register(org, admin)
    body = {"community_id": communities["a"], "reported_on": str(TODAY + timedelta(days=1))}
    refused = _post(org, f"/unit-organisations/{unit}/reports", body, admin)
    assert _rule(refused) == (422, "report_date_in_future", "reported_on")


@pytest.mark.parametrize("action", ["reports", "pairings"])
def test_a_community_of_another_county_is_refused(org, admin, communities, action):
    unit = _register(org, admin)
    body = {"community_id": communities["elsewhere"], "reported_on": str(TODAY)}
    if action == "pairings":
        del body["reported_on"]
    refused = _post(org, f"/unit-organisations/{unit}/{action}", body, admin)
    assert _rule(refused) == (422, "community_of_another_county", "community_id")


def test_pairing_twice_is_refused(org, admin, communities):
    unit = _register(org, admin)
    body = {"community_id": communities["a"]}
    assert _post(org, f"/unit-organisations/{unit}/pairings", body, admin).status_code == 200
    again = _post(org, f"/unit-organisations/{unit}/pairings", body, admin)
    assert _rule(again) == (409, "already_paired", "community_id")


def test_a_pledge_needs_a_pairing_and_at_most_two_a_year(org, admin, communities):
    unit = _register(org, admin)
    url = f"/unit-organisations/{unit}/pledges"
    body = {"community_id": communities["a"], "year": YEAR, "title": "助老食堂"}
    assert _rule(_post(org, url, body, admin)) == (409, "pledge_needs_pairing", "community_id")

    _post(org, f"/unit-organisations/{unit}/pairings", {"community_id": communities["a"]}, admin)
    for title in ("助老食堂", "加装路灯"):
        assert _post(org, url, {**body, "title": title}, admin).status_code == 200
    third = _post(org, url, {**body, "title": "第三件"}, admin)
    assert _rule(third) == (409, "pledge_limit", "year")
    next_year = _post(org, url, {**body, "year": YEAR + 1, "title": "第三件"}, admin)
    assert next_year.status_code == 200
    too_far = _post(org, url, {**body, "year": YEAR + 2, "title": "远期"}, admin)
    assert _rule(too_far) == (422, "pledge_year_out_of_range", "year")


def test_a_pledge_moves_only_pledged_to_in_progress_to_done(org, admin, communities):
    unit, pledge = _paired_with_pledge(org, admin, communities["a"])
    base = f"/unit-organisations/{unit}/pledges/{pledge}"
    early = _post(org, f"{base}/complete", {"evidence": "提前完成"}, admin)
    assert _rule(early) == (409, "pledge_not_started", "pledge_id")
    assert _post(org, f"{base}/notes", {"text": "立项"}, admin).status_code == 200
    assert _post(org, f"{base}/start", None, admin).status_code == 200
    assert _rule(_post(org, f"{base}/start", None, admin))[1] == "pledge_already_started"
    assert _post(org, f"{base}/complete", {"evidence": "已验收"}, admin).status_code == 200
    after = _post(org, f"{base}/notes", {"text": "补充"}, admin)
    assert _rule(after) == (409, "pledge_already_done", "pledge_id")


def test_a_name_taken_in_the_county_is_refused(org, admin):
    name = _unique("县财政局党组")
    _register(org, admin, name=name, kind="county_office")
    again = httpx.post(
        f"{org}/unit-organisations",
        json={"name": name, "kind": "county_office", "county": COUNTY},
        headers=admin,
    )
    assert _rule(again) == (409, "unit_org_name_taken", "name")


def test_a_retried_pledge_with_the_same_idempotency_key_answers_the_same_pledge(
    org, admin, communities
):
    unit = _register(org, admin)
    _post(org, f"/unit-organisations/{unit}/pairings", {"community_id": communities["a"]}, admin)
    body = {"community_id": communities["a"], "year": YEAR, "title": "助老食堂"}
    headers = {**admin, "Idempotency-Key": str(uuid.uuid4())}
    first = _post(org, f"/unit-organisations/{unit}/pledges", body, headers)
    second = _post(org, f"/unit-organisations/{unit}/pledges", body, headers)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    view = httpx.get(f"{org}/unit-organisations/{unit}", headers=admin).json()
    assert [p["id"] for p in view["pledges"]] == [first.json()["pledge_id"]]


# Not found


def test_unknown_units_communities_and_pledges_get_404(org, admin, communities):
    missing = str(uuid.uuid4())
    got = httpx.get(f"{org}/unit-organisations/{missing}", headers=admin)
    assert _rule(got) == (404, "unit_org_not_found", None)
    renamed = _post(org, f"/unit-organisations/{missing}/rename", {"name": "无名单位"}, admin)
    assert _rule(renamed)[:2] == (404, "unit_org_not_found")

    unit, _pledge = _paired_with_pledge(org, admin, communities["a"])
    body = {"community_id": missing, "reported_on": str(TODAY)}
    reported = _post(org, f"/unit-organisations/{unit}/reports", body, admin)
    assert _rule(reported) == (404, "community_not_found", "community_id")
    started = _post(org, f"/unit-organisations/{unit}/pledges/{missing}/start", None, admin)
    assert _rule(started) == (404, "pledge_not_found", "pledge_id")


def test_an_id_of_another_aggregate_reads_as_not_found(org, admin, communities):
    unit = _register(org, admin)
    as_unit = httpx.get(f"{org}/unit-organisations/{communities['a']}", headers=admin)
    assert _rule(as_unit)[:2] == (404, "unit_org_not_found")
    as_community = _post(org, f"/unit-organisations/{unit}/pairings", {"community_id": unit}, admin)
    assert _rule(as_community) == (404, "community_not_found", "community_id")


# Who may


def test_a_county_admin_of_another_county_is_refused_with_403(stack, org, admin, communities):
    unit, pledge = _paired_with_pledge(org, admin, communities["a"])
    foreign = _bearer(stack.token("county_admin", county=OTHER_COUNTY))
    base = f"/unit-organisations/{unit}"
    report = {"community_id": communities["a"], "reported_on": str(TODAY)}
    register = {"name": "越权单位", "kind": "other", "county": COUNTY}
    calls = [
        httpx.get(f"{org}{base}", headers=foreign),
        _post(org, f"{base}/rename", {"name": "越权改名"}, foreign),
        _post(org, f"{base}/reports", report, foreign),
        _post(org, f"{base}/pairings", {"community_id": communities["b"]}, foreign),
        _post(org, f"{base}/pledges/{pledge}/start", None, foreign),
        _post(org, "/unit-organisations", register, foreign),
    ]
    assert [c.status_code for c in calls] == [403] * len(calls)
    assert {_rule(c)[1] for c in calls} == {"forbidden"}


def test_community_staff_act_for_their_own_community_only(stack, org, admin, communities):
    a, b = communities["a"], communities["b"]
    unit = _register(org, admin)
    staff_a = _bearer(stack.token("community_staff", communities=[a]))
    base = f"/unit-organisations/{unit}"

    assert httpx.get(f"{org}{base}", headers=staff_a).status_code == 403  # not linked yet
    assert _post(org, f"{base}/pairings", {"community_id": b}, staff_a).status_code == 403
    assert _post(org, f"{base}/rename", {"name": "员工改名"}, staff_a).status_code == 403
    registered = _post(
        org, "/unit-organisations", {"name": "员工注册", "kind": "other", "county": COUNTY}, staff_a
    )
    assert registered.status_code == 403

    assert _post(org, f"{base}/pairings", {"community_id": a}, staff_a).status_code == 200
    pledged = _post(
        org, f"{base}/pledges", {"community_id": a, "year": YEAR, "title": "助老食堂"}, staff_a
    )
    assert pledged.status_code == 200
    assert _post(org, f"{base}/pairings", {"community_id": b}, admin).status_code == 200
    for_b = _post(
        org, f"{base}/pledges", {"community_id": b, "year": YEAR, "title": "加装路灯"}, admin
    ).json()["pledge_id"]
    assert _post(org, f"{base}/pledges/{for_b}/start", None, staff_a).status_code == 403
    mine = pledged.json()["pledge_id"]
    assert _post(org, f"{base}/pledges/{mine}/start", None, staff_a).status_code == 200

    # Staff see what concerns their community, not what the unit promised elsewhere.
    seen = httpx.get(f"{org}{base}", headers=staff_a).json()
    assert [p["community_id"] for p in seen["pairings"]] == [a]
    assert [p["id"] for p in seen["pledges"]] == [mine]
    whole = httpx.get(f"{org}{base}", headers=admin).json()
    assert {p["community_id"] for p in whole["pairings"]} == {a, b}


def test_a_grid_worker_of_a_linked_community_reads_and_a_resident_does_not(
    stack, org, admin, communities
):
    unit, _pledge = _paired_with_pledge(org, admin, communities["a"])
    worker = _bearer(stack.token("grid_worker", communities=[communities["a"]]))
    resident = _bearer(stack.token("resident", communities=[communities["a"]]))
    department = _bearer(stack.token("department", county=COUNTY))
    assert httpx.get(f"{org}/unit-organisations/{unit}", headers=worker).status_code == 200
    assert httpx.get(f"{org}/unit-organisations/{unit}", headers=resident).status_code == 403
    assert httpx.get(f"{org}/unit-organisations/{unit}", headers=department).status_code == 200
    # Reading is not acting.
    started = _post(org, f"/unit-organisations/{unit}/pledges/{_pledge}/start", None, worker)
    assert started.status_code == 403
