"""Every service serves the public event catalogue, without a token."""

from __future__ import annotations

import json
import re
from html import unescape

import httpx
import pytest
from grassroots_contracts.catalogue import event_schemas
from grassroots_contracts.registry import PUBLIC_EVENTS

pytestmark = pytest.mark.e2e

SERVICES = ("organisation", "requests", "volunteering", "points", "projections")


@pytest.mark.parametrize("service", SERVICES)
def test_the_catalogue_page_shows_every_event_type_with_its_example(stack, service):
    answer = httpx.get(f"{stack.url(service)}/catalogue", timeout=60)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    page = answer.text
    for event in PUBLIC_EVENTS:
        found = re.search(
            rf'<article id="{re.escape(event.event_type)}">(.*?)</article>', page, re.S
        )
        assert found, event.event_type
        example = json.loads(
            unescape(re.search(r"<pre>(.*?)</pre>", found.group(1), re.S).group(1))
        )
        assert (example["type"], example["data"]) == (event.event_type, event.example)


def test_the_asyncapi_document_and_schemas_are_served_as_committed(stack):
    base = stack.url("requests")
    document = httpx.get(f"{base}/catalogue/asyncapi.json", timeout=60).json()
    assert document["asyncapi"] == "3.0.0"
    assert set(document["components"]["messages"]) == {e.event_type for e in PUBLIC_EVENTS}
    expected = event_schemas()
    for event_type in (
        "grassroots.requests.RequestClaimed.v1",
        "grassroots.points.RuleBookPublished.v1",
    ):
        answer = httpx.get(f"{base}/catalogue/schemas/{event_type}", timeout=20)
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("application/schema+json")
        assert answer.json() == json.loads(json.dumps(expected[event_type]))


def test_an_unknown_event_type_is_a_404_problem(stack):
    answer = httpx.get(
        f"{stack.url('points')}/catalogue/schemas/grassroots.x.Nothing.v1", timeout=20
    )
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["rule"] == "unknown_event_type"
