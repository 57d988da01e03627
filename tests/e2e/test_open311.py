"""Open311 GeoReport v2 on the running requests service, read with the off-the-shelf
`georeport` client in JSON and XML; posted with httpx in the spec's form encoding (the
client cannot post). The grid is made through the organisation service."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
from georeport import GeoReport

from tests.support.org_client import Org, eventually
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e

COUNTY = "东安县"  # the county the local stack's Open311 key files requests in
OTHER_COUNTY = "测试县"
NAME, PHONE = "李秀英", "13907461234"
FORM = "application/x-www-form-urlencoded"


class Open311:
    """The endpoint, its key and a form poster that speaks the spec's encoding."""

    def __init__(self, stack: Stack) -> None:
        self.url = str(stack.state["open311"]["url"])
        self.key = Path(stack.state["open311"]["api_key_file"]).read_text().strip()

    def client(self, fmt: str, **kw: Any) -> GeoReport:
        return GeoReport(self.url, output_format=fmt, **kw)

    def post(
        self, fields: dict[str, str], *, fmt: str = "json", key: str | None = None
    ) -> httpx.Response:
        headers = {"Content-Type": FORM}
        if key:
            headers["Idempotency-Key"] = key
        return httpx.post(f"{self.url}/requests.{fmt}", data=fields, headers=headers, timeout=20)

    def get(self, path: str, **params: str) -> httpx.Response:
        return httpx.get(f"{self.url}/{path}", params=params, timeout=20)


@pytest.fixture(scope="module")
def o311(stack: Stack) -> Open311:
    return Open311(stack)


@pytest.fixture(scope="module")
def admin(stack: Stack) -> str:
    return stack.token("county_admin", county=COUNTY, subject="e2e-open311")


@pytest.fixture(scope="module")
def grid(stack: Stack, admin: str) -> dict[str, str]:
    org = Org(stack, admin)
    community = org.community(COUNTY)
    building = org.building(org.compound(community), "3栋")
    (household,) = org.households(building, (2, "301"))
    return {"community": community, "building": building, "household": household}


def report(o311: Open311, grid: dict[str, str], **fields: str) -> dict[str, str]:
    return {
        "api_key": o311.key,
        "jurisdiction_id": COUNTY,
        "service_code": "repairs",
        "address_id": grid["building"],
        "description": "3栋2单元楼道灯坏了一周，老人晚上上下楼不安全。",
        "media_url": "https://files.example.cn/p/1.jpg",
        "first_name": "秀英",
        "last_name": "李",
        "phone": PHONE,
        "email": "li@example.cn",
        "device_id": "hotline-terminal-7",
        **fields,
    }


def file(o311: Open311, grid: dict[str, str], **fields: str) -> str:
    """Post until the requests service's routing model knows the new building (it
    follows the organisation's events); the Idempotency-Key keeps it to one request."""
    key = str(uuid.uuid4())

    def created() -> str:
        response = o311.post(report(o311, grid, **fields), key=key)
        assert response.status_code == 201, response.text
        return str(response.json()[0]["service_request_id"])

    return str(eventually(created, timeout=30))


@pytest.fixture(scope="module")
def filed(o311: Open311, grid: dict[str, str]) -> str:
    return file(o311, grid)


def test_the_service_list_offers_every_category_in_json_and_xml(o311):
    listed = o311.client("json").get_service_list()
    as_xml = o311.client("xml").get_service_list()
    codes = [s["service_code"] for s in listed]
    assert "repairs" in codes
    assert [s["service_code"] for s in as_xml] == codes
    repairs = next(s for s in listed if s["service_code"] == "repairs")
    assert repairs["service_name"] == "房屋维修 (Repairs)"
    assert repairs["metadata"] is True
    assert repairs["type"] == "realtime"
    assert repairs["group"] == "general"
    xml_repairs = next(s for s in as_xml if s["service_code"] == "repairs")
    assert (xml_repairs["metadata"], xml_repairs["keywords"]) == ("true", "leak,light,lift")


def test_a_service_definition_locates_by_grid_attributes_in_json_and_xml(o311):
    definition = o311.client("json").get_service_definition("repairs")
    codes = [a["code"] for a in definition["attributes"]]
    assert codes == ["building_id", "household_id", "deadlines"]
    as_xml = o311.client("xml").get_service_definition("repairs")
    assert [a["code"] for a in as_xml["attributes"]["attribute"]] == codes


def test_an_unknown_service_is_a_404_open311_error(o311):
    response = o311.get("services/potholes.json")
    assert response.status_code == 404
    assert response.json()[0]["code"] == 404
    with pytest.raises(requests.HTTPError):
        o311.client("xml").get_service_definition("potholes")


def test_a_posted_request_reads_back_through_the_client_in_both_formats(o311, grid, filed):
    one = o311.client("json", jurisdiction=COUNTY).get_service_request(filed)
    assert one["service_request_id"] == filed
    assert one["status"] == "open"
    assert one["status_notes"].startswith("open")
    assert one["service_code"] == "repairs"
    assert one["address_id"] == grid["building"]
    assert one["lat"] is None
    assert one["requested_datetime"].endswith("+08:00")
    as_xml = o311.client("xml").get_service_request(filed)
    assert as_xml["service_request_id"] == filed
    assert as_xml["status"] == "open"
    assert as_xml["expected_datetime"] == one["expected_datetime"]


def test_the_answer_to_a_post_is_the_spec_s_list_in_json_and_xml(o311, grid):
    file(o311, grid)  # the building is known once this has succeeded
    response = o311.post(report(o311, grid), fmt="xml")
    assert response.status_code == 201
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert b"<service_requests><request><service_request_id>" in response.content
    assert b"<account_id />" in response.content
    response = o311.post(report(o311, grid, address_id=grid["household"]))
    assert response.headers["content-type"] == "application/json"
    (created,) = response.json()
    assert set(created) == {"service_request_id", "service_notice", "account_id"}
    assert "7 days" in created["service_notice"]


def test_a_retried_post_with_the_same_idempotency_key_files_one_request(o311, grid, filed):
    key = str(uuid.uuid4())
    first = o311.post(report(o311, grid), key=key)
    again = o311.post(report(o311, grid), key=key)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()[0]["service_request_id"] == first.json()[0]["service_request_id"]
    other = o311.post(report(o311, grid, description="另一件事"), key=key)
    assert other.status_code == 400
    assert other.json()[0]["code"] == 400


def test_a_key_holder_reads_the_description_and_nobody_reads_the_contact(o311, filed):
    public = o311.get(f"requests/{filed}.json")
    keyed = o311.get(f"requests/{filed}.json", api_key=o311.key)
    assert "description" not in public.json()[0]
    assert "media_url" not in public.json()[0]
    assert keyed.json()[0]["description"].startswith("3栋2单元楼道灯坏了")
    assert keyed.json()[0]["media_url"] == "https://files.example.cn/p/1.jpg"

    def listed() -> httpx.Response:
        response = o311.get("requests.xml", service_request_id=filed, api_key=o311.key)
        assert filed.encode() in response.content
        return response

    for body in (public.text, keyed.text, eventually(listed).text):
        assert NAME not in body
        assert PHONE not in body


def test_a_request_in_another_county_is_refused_to_this_key(stack, o311):
    org = Org(stack, stack.token("county_admin", county=OTHER_COUNTY, subject="e2e-open311"))
    building = org.building(org.compound(org.community(OTHER_COUNTY)), "1栋")

    def refused() -> httpx.Response:
        fields = {"api_key": o311.key, "service_code": "repairs", "address_id": building}
        response = o311.post({**fields, "description": "漏水"})
        assert response.status_code == 403, response.text
        return response

    assert COUNTY in eventually(refused, timeout=30).json()[0]["description"]


@pytest.mark.parametrize(
    ("changes", "status", "words"),
    [
        ({"api_key": ""}, 403, "api_key is required"),
        ({"api_key": "not-a-key"}, 403, "invalid api_key"),
        ({"address_id": "", "lat": "26.4", "long": "111.3"}, 400, "no coordinates"),
        ({"phone": "12345"}, 400, "phone:"),
        ({"address_id": "no-such-building"}, 400, "address_id: no building or household"),
        ({"jurisdiction_id": OTHER_COUNTY}, 400, "jurisdiction_id"),
        ({"service_code": "potholes"}, 400, "service_code"),
        ({"description": ""}, 400, "description is required"),
    ],
)
def test_a_refused_post_answers_an_open311_error_in_the_asked_format(
    o311, grid, filed, changes, status, words
):
    fields = report(o311, grid, **changes)
    response = o311.post(fields)
    assert response.status_code == status
    (error,) = response.json()
    assert error["code"] == status
    assert words in error["description"]
    as_xml = o311.post(fields, fmt="xml")
    assert as_xml.status_code == status
    assert as_xml.headers["content-type"] == "text/xml; charset=utf-8"
    assert f"<errors><error><code>{status}</code>".encode() in as_xml.content


def test_a_json_body_is_refused_as_not_the_spec_s_form(o311, grid):
    response = httpx.post(f"{o311.url}/requests.json", json=report(o311, grid))
    assert response.status_code == 400
    assert "x-www-form-urlencoded" in response.json()[0]["description"]


def test_lists_filter_by_ids_code_and_status_through_the_client(o311, grid, filed):
    second = file(o311, grid, service_code="sanitation", description="楼道堆满杂物")
    both = f"{filed},{second}"
    client = o311.client("json", jurisdiction=COUNTY)

    def listed() -> list[dict[str, Any]]:
        found = client.get_service_requests(service_request_id=both)
        assert {r["service_request_id"] for r in found} == {filed, second}
        return found

    eventually(listed)
    as_xml = o311.client("xml").get_service_requests(service_request_id=both)
    assert isinstance(as_xml, list)
    assert {r["service_request_id"] for r in as_xml} == {filed, second}
    one = o311.client("xml").get_service_requests(service_request_id=second)
    assert one["service_code"] == "sanitation"  # one element: xmltodict gives a dict
    sanitation = client.get_service_requests(service_code="sanitation", status="open")
    assert second in {r["service_request_id"] for r in sanitation}
    assert filed not in {r["service_request_id"] for r in sanitation}
    closed = client.get_service_requests(service_code="sanitation", status="closed")
    assert second not in {r["service_request_id"] for r in closed}


def test_a_window_longer_than_90_days_is_refused(o311):
    response = o311.get(
        "requests.json", start_date="2026-01-01T00:00:00Z", end_date="2026-06-01T00:00:00Z"
    )
    assert response.status_code == 400
    assert "90 days" in response.json()[0]["description"]


def test_merged_and_rejected_requests_are_closed_with_our_status_in_the_notes(
    stack, o311, grid, admin
):
    # The feed answers the oldest updates of its window first (a client pages on from the
    # last one it saw); this test's updates are the ones since it began.
    since = (datetime.now(UTC) - timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    kept = file(o311, grid, description="垃圾桶满了")
    duplicate = file(o311, grid, description="垃圾桶又满了")
    rejected = file(o311, grid, description="商品房墙面开裂")
    api = httpx.Client(
        base_url=stack.url("requests"), headers={"Authorization": f"Bearer {admin}"}, timeout=20
    )
    merge = api.post(f"/requests/{duplicate}/merge", json={"into_request_id": kept})
    assert merge.status_code == 200, merge.text
    reject = api.post(f"/requests/{rejected}/reject", json={"reason": "属于开发商责任。"})
    assert reject.status_code == 200, reject.text

    client = o311.client("json")

    def closed() -> dict[str, dict[str, Any]]:
        # Ids override every other filter (the spec): all three come back.
        found = client.get_service_requests(service_request_id=f"{kept},{duplicate},{rejected}")
        by_id = {r["service_request_id"]: r for r in found}
        assert [by_id[i]["status"] for i in (kept, duplicate, rejected)] == [
            "open",
            "closed",
            "closed",
        ]
        return by_id

    by_id = eventually(closed)
    assert by_id[duplicate]["status_notes"] == f"merged into {kept}"
    assert by_id[rejected]["status_notes"].startswith("rejected")
    assert client.get_service_request(rejected)["status"] == "closed"

    updates = o311.get(f"requests/{rejected}/updates.xml")
    assert updates.status_code == 200
    assert b"<service_request_updates><request_update>" in updates.content
    names = [u["description"] for u in o311.get(f"requests/{rejected}/updates.json").json()]
    assert names == ["RequestSubmitted", "RequestRouted", "RequestRejected"]
    assert "开发商" not in updates.text
    everything = o311.get("servicerequestupdates.json", start_date=since).json()
    mine = [u for u in everything if u["service_request_id"] == rejected]
    assert [(u["description"], u["status"]) for u in mine][-1] == ("RequestRejected", "closed")


def test_a_token_is_the_request_id_because_requests_are_filed_at_once(o311, filed):
    response = o311.get(f"tokens/{filed}.json")
    assert response.json() == [{"service_request_id": filed, "token": filed}]
    assert o311.get(f"tokens/{uuid.uuid4()}.xml").status_code == 404


def test_an_unknown_request_or_format_is_a_404_open311_error(o311, filed):
    with pytest.raises(requests.HTTPError) as caught:
        o311.client("json").get_service_request(str(uuid.uuid4()))
    assert caught.value.response.status_code == 404
    unknown = o311.get(f"requests/{filed}.yaml")
    assert unknown.status_code == 404
    assert unknown.json() == [{"code": 404, "description": "no such format: use .json or .xml"}]


def test_the_open311_routes_are_in_the_openapi_document(stack):
    spec = httpx.get(f"{stack.url('requests')}/openapi.json").json()
    paths = [p for p in spec["paths"] if p.startswith("/open311/v2/")]
    assert "/open311/v2/requests.{fmt}" in paths
    assert "/open311/v2/servicerequestupdates.{fmt}" in paths
    post = spec["paths"]["/open311/v2/requests.{fmt}"]["post"]
    assert post["tags"] == ["open311"]
    assert FORM in post["requestBody"]["content"]
