"""The catalogue page shows every public event: fields, example CloudEvent, history."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from grassroots_contracts.catalogue import event_schemas
from grassroots_contracts.organisation.grid import HouseholdsAdded
from grassroots_contracts.registry import PUBLIC_EVENTS
from grassroots_contracts.requests.lifecycle import RequestSubmitted
from grassroots_contracts.topics import ALL_TOPICS
from grassroots_eventkit.http.catalogue import fields, render_page, type_name

pytestmark = pytest.mark.unit

HISTORY = {
    "grassroots.requests.RequestSubmitted": [
        {"version": 1, "date": "2026-11-29", "change": "introduced", "compatible": True},
        {"version": 2, "date": "2026-12-01", "change": "v2 replaces v1", "compatible": False},
    ]
}


@pytest.fixture(scope="module")
def page() -> str:
    return render_page(PUBLIC_EVENTS, ALL_TOPICS, event_schemas(), HISTORY, version="9.9")


def article(page: str, event_type: str) -> str:
    found = re.search(rf'<article id="{re.escape(event_type)}">(.*?)</article>', page, re.S)
    assert found, event_type
    return found.group(1)


def test_every_public_event_has_an_article_with_its_example_when_rendered(page: str) -> None:
    for event in PUBLIC_EVENTS:
        body = article(page, event.event_type)
        example = json.loads(unescape(re.search(r"<pre>(.*?)</pre>", body, re.S).group(1)))
        assert example["type"] == event.event_type
        assert example["data"] == event.example
        assert example["specversion"] == "1.0"


def test_fields_show_type_requirement_data_kind_and_description_when_rendered(page: str) -> None:
    body = article(page, RequestSubmitted.event_type)
    assert (
        "<tr><td><code>category</code></td><td><code>string</code></td><td>yes</td>"
        "<td>code</td><td>a service code of the county&#x27;s catalogue, e.g. repairs</td></tr>"
    ) in body
    assert "<td><code>submitted_at</code></td><td><code>string (date-time)</code></td>" in body


def test_history_rows_say_whether_each_change_was_compatible_when_rendered(page: str) -> None:
    body = article(page, RequestSubmitted.event_type)
    assert "<tr><td>v1</td><td>2026-11-29</td><td>introduced</td><td>yes</td></tr>" in body
    assert "<td>v2 replaces v1</td><td><span class=no>no</span></td>" in body


def test_nested_models_are_flattened_into_dotted_paths_when_listed() -> None:
    schema = event_schemas([HouseholdsAdded])[HouseholdsAdded.event_type]
    paths = {path: kind for path, kind, _, _ in fields(schema)}
    assert paths["households"] == "list of HouseholdPosition"
    assert paths["households[].room"] == "string"


def test_types_read_plainly_when_optional_or_enumerated() -> None:
    assert type_name({"anyOf": [{"type": "string"}, {"type": "null"}]}) == "string or null"
    assert type_name({"enum": ["a", "b"], "type": "string"}) == "one of: a, b"
    assert type_name({"type": "array", "items": {"type": "integer"}}) == "list of integer"


def test_text_is_escaped_when_it_could_be_markup() -> None:
    history = {
        "grassroots.requests.RequestSubmitted": [
            {"version": 1, "date": "2026-11-29", "change": "<script>x</script>", "compatible": True}
        ]
    }
    page = render_page(
        [RequestSubmitted], ALL_TOPICS, event_schemas([RequestSubmitted]), history, version="1"
    )
    assert "<script>" not in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page
