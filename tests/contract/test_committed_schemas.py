"""contracts/schemas is in step with the code, and says what the catalogue promises."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from grassroots_contracts import envelope as ce
from grassroots_contracts.catalogue import (
    ASYNCAPI_FILE,
    JSON_SCHEMA_DIALECT,
    catalogue_files,
    event_schemas,
    schema_file_name,
)
from grassroots_contracts.compatibility import check_catalogue
from grassroots_contracts.events import PublicEvent
from grassroots_contracts.registry import PUBLIC_EVENTS
from grassroots_contracts.topics import ALL_TOPICS

pytestmark = pytest.mark.contract

SCHEMAS = Path(__file__).resolve().parents[2] / "contracts" / "schemas"
REGENERATE = "contracts/schemas is stale: run `make contracts` and commit the result"
CE_HEADERS = {
    "ce_id",
    "ce_type",
    "ce_source",
    "ce_specversion",
    "ce_time",
    "ce_subject",
    "ce_communityid",
    "ce_streamversion",
    "ce_correlationid",
    "ce_causationid",
    "ce_actor",
}
# AsyncAPI 3.0.0, Components Object: every key MUST match this.
COMPONENT_KEY = re.compile(r"^[a-zA-Z0-9.\-_]+$")


def by_type(event: type[PublicEvent]) -> str:
    return event.event_type


def committed_schemas() -> dict[str, Any]:
    return {
        path.name.removesuffix(".json"): json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(SCHEMAS.glob("*.json"))
        if path.name != ASYNCAPI_FILE
    }


@pytest.fixture(scope="module")
def generated() -> dict[str, str]:
    return catalogue_files()


@pytest.fixture(scope="module")
def asyncapi() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((SCHEMAS / ASYNCAPI_FILE).read_text(encoding="utf-8"))
    return document


def test_no_violations_when_committed_schemas_are_checked_against_the_models() -> None:
    current = {t: json.loads(json.dumps(s)) for t, s in event_schemas().items()}
    assert check_catalogue(committed_schemas(), current) == []


@pytest.mark.parametrize("event", PUBLIC_EVENTS, ids=by_type)
def test_committed_schema_equals_generated_when_the_catalogue_is_up_to_date(
    event: type[PublicEvent], generated: dict[str, str]
) -> None:
    name = schema_file_name(event.event_type)
    path = SCHEMAS / name
    assert path.exists(), REGENERATE
    assert path.read_text(encoding="utf-8") == generated[name], REGENERATE


def test_committed_asyncapi_equals_generated_when_the_catalogue_is_up_to_date(
    generated: dict[str, str],
) -> None:
    assert (SCHEMAS / ASYNCAPI_FILE).read_text(encoding="utf-8") == generated[ASYNCAPI_FILE], (
        REGENERATE
    )


def test_generation_is_deterministic_when_run_twice(generated: dict[str, str]) -> None:
    assert catalogue_files() == generated


@pytest.mark.parametrize("event", PUBLIC_EVENTS, ids=by_type)
def test_event_schema_is_identified_by_its_event_type_when_generated(
    event: type[PublicEvent],
) -> None:
    schema = committed_schemas()[event.event_type]
    assert schema["$schema"] == JSON_SCHEMA_DIALECT
    assert schema["$id"] == schema["title"] == event.event_type
    assert schema["x-topic"] == event.topic
    assert schema["examples"] == [event.example]


@pytest.mark.parametrize("event", PUBLIC_EVENTS, ids=by_type)
def test_example_validates_when_parsed_by_its_own_model(event: type[PublicEvent]) -> None:
    parsed = event.model_validate_json(json.dumps(event.example))
    assert type(parsed) is event


def test_asyncapi_version_is_3_0_0_when_generated(asyncapi: dict[str, Any]) -> None:
    assert asyncapi["asyncapi"] == "3.0.0"
    assert asyncapi["info"]["title"] == "Grassroots public events"


def test_one_channel_per_public_topic_when_generated(asyncapi: dict[str, Any]) -> None:
    public = {topic.name: topic for topic in ALL_TOPICS if topic.public}
    assert set(asyncapi["channels"]) == set(public)
    for name, channel in asyncapi["channels"].items():
        assert channel["address"] == name
        assert channel["bindings"]["kafka"]["topic"] == name
        assert channel["bindings"]["kafka"]["partitions"] == public[name].partitions


@pytest.mark.parametrize("event", PUBLIC_EVENTS, ids=by_type)
def test_each_event_type_is_a_message_on_its_topic_when_generated(
    event: type[PublicEvent], asyncapi: dict[str, Any]
) -> None:
    channel = asyncapi["channels"][event.topic]
    assert channel["messages"][event.event_type] == {
        "$ref": f"#/components/messages/{event.event_type}"
    }
    (operation,) = (
        op
        for op in asyncapi["operations"].values()
        if op["channel"] == {"$ref": f"#/channels/{event.topic}"}
    )
    assert operation["action"] == "send"
    assert {"$ref": f"#/channels/{event.topic}/messages/{event.event_type}"} in operation[
        "messages"
    ]
    message = asyncapi["components"]["messages"][event.event_type]
    assert message["name"] == event.event_type
    assert message["contentType"] == ce.CONTENT_TYPE
    assert message["examples"][0]["payload"] == event.example


@pytest.mark.parametrize("event", PUBLIC_EVENTS, ids=by_type)
def test_message_carries_the_cloudevents_headers_when_generated(
    event: type[PublicEvent], asyncapi: dict[str, Any]
) -> None:
    message = asyncapi["components"]["messages"][event.event_type]
    headers = message["headers"]
    assert headers["type"] == "object"
    assert CE_HEADERS.issubset(headers["properties"])
    assert set(ce.REQUIRED_HEADERS) <= set(headers["required"])
    assert set(headers["required"]) <= set(headers["properties"])
    assert headers["properties"][ce.H_TYPE]["const"] == event.event_type
    assert headers["properties"][ce.H_SPECVERSION]["const"] == ce.SPEC_VERSION
    assert message["correlationId"]["location"] == f"$message.header#/{ce.H_CORRELATION}"
    example = message["examples"][0]["headers"]
    assert set(headers["required"]) <= set(example)
    assert example[ce.H_TYPE] == event.event_type


def test_operations_only_reference_messages_of_their_channel_when_generated(
    asyncapi: dict[str, Any],
) -> None:
    for operation in asyncapi["operations"].values():
        channel_ref = operation["channel"]["$ref"]
        for message in operation["messages"]:
            assert message["$ref"].startswith(f"{channel_ref}/messages/")


def test_every_ref_resolves_when_the_document_is_walked(asyncapi: dict[str, Any]) -> None:
    refs = list(_refs(asyncapi))
    assert refs
    for ref in refs:
        _resolve(asyncapi, ref)


def test_component_keys_match_the_asyncapi_pattern_when_generated(
    asyncapi: dict[str, Any],
) -> None:
    for section in asyncapi["components"].values():
        for key in section:
            assert COMPONENT_KEY.match(key), key


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        key = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict), ref
        assert key in node, ref
        node = node[key]
    return node


@pytest.mark.parametrize("event", PUBLIC_EVENTS, ids=by_type)
def test_every_event_has_an_example_of_its_own_that_its_committed_schema_accepts(
    event: type[PublicEvent],
) -> None:
    # Its own: an example inherited from a base would document another event.
    assert "example" in event.__dict__, f"{event.event_type} has no example"
    schema = json.loads((SCHEMAS / schema_file_name(event.event_type)).read_text("utf-8"))
    validator = jsonschema_rs.Draft202012Validator(schema, validate_formats=True)
    errors = [error.message for error in validator.iter_errors(event.example)]
    assert errors == [], errors
