"""The public event catalogue: a JSON Schema per event type and one AsyncAPI 3 document.

Pure: these functions build documents and their text; reading and writing files is
the CLI's job (`python -m grassroots_contracts`). Output is canonical (sorted keys,
fixed indentation, a final newline) so regenerating an unchanged catalogue changes
no committed byte.
"""

from __future__ import annotations

import copy
import inspect
import json
import warnings
from collections.abc import Mapping, Sequence
from importlib.metadata import version as installed_version
from typing import Any

from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI

from grassroots_contracts import envelope as ce
from grassroots_contracts.events import PublicEvent
from grassroots_contracts.registry import PUBLIC_EVENTS
from grassroots_contracts.topics import ALL_TOPICS, TopicSpec

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
ASYNCAPI_VERSION = "3.0.0"
ASYNCAPI_FILE = "asyncapi.json"
CATALOGUE_TITLE = "Grassroots public events"
# The Kafka bindings version FastStream 0.7 writes; 0.4.0 is the one made for AsyncAPI 3.0.
KAFKA_BINDING_VERSION = "0.4.0"

_DESCRIPTION = (
    "The public events of Grassroots, one Kafka topic per producing service. "
    "CloudEvents 1.0 in Kafka binary mode: the record value is the JSON payload, the "
    "event's metadata travels in `ce_*` headers, and the record key is the community id, "
    "so one community's events keep their order within one partition. Topics are kept "
    "forever: replay from the earliest offset. Consumers dedupe by `ce_id` and pick the "
    "payload schema by `ce_type`. Event types evolve only by gaining optional fields; "
    "a breaking change is published as a new `.vN` event type."
)

# Producers (the eventkit codec) always write these; a consumer may still meet an
# event without the optional ones.
_ALWAYS_SENT = (*ce.REQUIRED_HEADERS, ce.H_CONTENT_TYPE)

_EXAMPLE_EVENT_ID = "5f0c6a3e-8d2b-4c1f-9e7a-2b3c4d5e6f70"
_EXAMPLE_SUBJECT = "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d"
_EXAMPLE_TIME = "2026-03-01T08:00:00+00:00"


def schema_file_name(event_type: str) -> str:
    return f"{event_type}.json"


def _tolerant(schema: Any) -> Any:
    """Drop `additionalProperties: false` everywhere.

    The models forbid extra fields so that producers never emit a stray one; readers
    must not, because an event type evolves by gaining optional fields and a consumer
    on the older schema has to accept them.
    """
    if isinstance(schema, dict):
        return {
            k: _tolerant(v)
            for k, v in schema.items()
            if not (k == "additionalProperties" and v is False)
        }
    if isinstance(schema, list):
        return [_tolerant(v) for v in schema]
    return schema


def event_schema(event: type[PublicEvent]) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one public event's payload."""
    return {
        **_tolerant(event.model_json_schema()),
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": event.event_type,
        "title": event.event_type,
        "examples": [copy.deepcopy(event.example)],
        "x-topic": event.topic,
    }


def event_schemas(events: Sequence[type[PublicEvent]] = PUBLIC_EVENTS) -> dict[str, dict[str, Any]]:
    return {event.event_type: event_schema(event) for event in events}


def catalogue_version() -> str:
    """The AsyncAPI `info.version`: the version of the contracts package."""
    return installed_version("grassroots-contracts")


def asyncapi_document(
    events: Sequence[type[PublicEvent]] = PUBLIC_EVENTS,
    topics: Sequence[TopicSpec] = ALL_TOPICS,
    *,
    version: str,
) -> dict[str, Any]:
    """The AsyncAPI 3.0.0 document of the public topics and the events on them.

    FastStream maps each publisher to its own channel, operation and message, and a
    publisher describes one payload type. A topic here carries several event types, so
    FastStream documents one publisher per event type (it builds the payload schemas,
    moves nested models into `components/schemas` and names the messages), and the
    document is then laid out the way AsyncAPI 3 expresses "one address, several
    messages": one channel per topic whose `messages` list every event type on it, and
    one `send` operation per channel referencing all of them. A union payload was the
    alternative; it collapses the event types into one anonymous message, losing their
    names, their `ce_type` header and their examples. The re-layout also gives the
    messages keys AsyncAPI allows in `components` (FastStream's `<title>:Message`
    has a colon) and the CloudEvents headers FastStream cannot express.
    """
    # The document is for outside agencies: internal topics stay out of it.
    public_topics = [topic for topic in topics if topic.public]
    known = {topic.name for topic in public_topics}
    if stray := sorted(e.event_type for e in events if e.topic not in known):
        raise ValueError(f"public events on a topic that is not a public topic: {stray}")

    generated = _faststream_document(events, version=version)
    messages = {
        event.event_type: _message(event, payload=_faststream_payload(generated, event))
        for event in events
    }
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for topic in public_topics:
        on_topic = [event.event_type for event in events if event.topic == topic.name]
        channels[topic.name] = _channel(topic, on_topic)
        operations[f"{topic.name}.publish"] = {
            "action": "send",
            "title": f"Publish to {topic.name}",
            "channel": {"$ref": f"#/channels/{topic.name}"},
            "messages": [
                {"$ref": f"#/channels/{topic.name}/messages/{event_type}"}
                for event_type in on_topic
            ],
        }
    return {
        "asyncapi": generated["asyncapi"],
        "info": {**generated["info"], "description": _DESCRIPTION},
        "defaultContentType": ce.CONTENT_TYPE,
        # No servers: brokers differ per deployment, and a channel without servers is
        # available on every server the reader connects to.
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": generated["components"]["schemas"]},
    }


def headers_schema(event_type: str) -> dict[str, Any]:
    """The CloudEvents Kafka headers of an event: all strings on the wire (UTF-8 bytes)."""
    properties: dict[str, dict[str, Any]] = {
        ce.H_ID: {
            "type": "string",
            "format": "uuid",
            "description": "CloudEvents id: the event's unique id. Consumers dedupe by it.",
        },
        ce.H_TYPE: {
            "type": "string",
            "const": event_type,
            "description": "CloudEvents type: the versioned event type; picks the payload schema.",
        },
        ce.H_SOURCE: {
            "type": "string",
            "description": "CloudEvents source: the producer, e.g. /grassroots/organisation.",
        },
        ce.H_SPECVERSION: {
            "type": "string",
            "const": ce.SPEC_VERSION,
            "description": "CloudEvents specversion.",
        },
        ce.H_TIME: {
            "type": "string",
            "format": "date-time",
            "description": "CloudEvents time: when the event happened (RFC 3339, with offset).",
        },
        ce.H_SUBJECT: {
            "type": "string",
            "description": "CloudEvents subject: the id of the aggregate (stream) it belongs to.",
        },
        ce.H_COMMUNITY: {
            "type": "string",
            "description": "Extension: the community id; also the record key.",
        },
        ce.H_STREAM_VERSION: {
            "type": "string",
            "pattern": "^[1-9][0-9]*$",
            "description": "Extension: the event's position in its stream, from 1, in decimal.",
        },
        ce.H_CORRELATION: {
            "type": "string",
            "description": "Extension: the id shared by everything one request set off.",
        },
        ce.H_CAUSATION: {
            "type": "string",
            "description": "Extension: the id of the command or event that caused this one.",
        },
        ce.H_ACTOR: {
            "type": "string",
            "description": "Extension: the authenticated subject who caused it, if any.",
        },
        ce.H_CONTENT_TYPE: {
            "type": "string",
            "const": ce.CONTENT_TYPE,
            "description": "CloudEvents datacontenttype of the record value.",
        },
    }
    return {
        "type": "object",
        "properties": properties,
        "required": list(_ALWAYS_SENT),
    }


def render(document: Mapping[str, Any]) -> str:
    """Canonical JSON text; keeps non-ASCII (the events carry Chinese place names)."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def catalogue_files(
    events: Sequence[type[PublicEvent]] = PUBLIC_EVENTS,
    topics: Sequence[TopicSpec] = ALL_TOPICS,
    *,
    version: str | None = None,
) -> dict[str, str]:
    """Every file of the catalogue, by file name, with its text."""
    files = {
        schema_file_name(event_type): render(schema)
        for event_type, schema in event_schemas(events).items()
    }
    document = asyncapi_document(events, topics, version=version or catalogue_version())
    files[ASYNCAPI_FILE] = render(document)
    return files


def _faststream_document(events: Sequence[type[PublicEvent]], *, version: str) -> dict[str, Any]:
    # Never connected: the broker only carries the publishers' specification.
    broker = KafkaBroker()
    for event in events:
        broker.publisher(
            event.topic, schema=event, title=event.event_type, description=_summary(event)
        )
    with warnings.catch_warnings():
        # FastStream warns and then overwrites when two payload models share a name
        # (a CommunityRegistered in two modules); a catalogue must not silently lose one.
        warnings.simplefilter("error", RuntimeWarning)
        specification = AsyncAPI(
            broker, schema_version=ASYNCAPI_VERSION, title=CATALOGUE_TITLE, version=version
        ).to_specification()
    document: dict[str, Any] = specification.to_jsonable()
    return document


def _faststream_payload(generated: Mapping[str, Any], event: type[PublicEvent]) -> Any:
    """The payload FastStream wrote for `event`, found through the refs it wrote."""
    channel = generated["channels"][event.event_type]
    (message_ref,) = channel["messages"].values()
    return _follow(generated, message_ref["$ref"])["payload"]


def _follow(document: Mapping[str, Any], ref: str) -> Any:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _channel(topic: TopicSpec, event_types: Sequence[str]) -> dict[str, Any]:
    return {
        "address": topic.name,
        "title": topic.name,
        "description": topic.description,
        "messages": {
            event_type: {"$ref": f"#/components/messages/{event_type}"}
            for event_type in event_types
        },
        "bindings": {
            "kafka": {
                "topic": topic.name,
                "partitions": topic.partitions,
                "topicConfiguration": {"retention.ms": topic.retention_ms},
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
    }


def _message(event: type[PublicEvent], *, payload: Any) -> dict[str, Any]:
    message: dict[str, Any] = {
        "name": event.event_type,
        "title": f"{_short_name(event)} v{event.version()}",
        "summary": _summary(event),
        "contentType": ce.CONTENT_TYPE,
        "headers": headers_schema(event.event_type),
        "payload": payload,
        "correlationId": {
            "description": "Shared by every event one request set off.",
            "location": f"$message.header#/{ce.H_CORRELATION}",
        },
        "bindings": {
            "kafka": {
                "key": {
                    "type": "string",
                    "description": "The community id: one community's events share a partition.",
                },
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
        "examples": [
            {
                "name": f"{_short_name(event)}V{event.version()}",
                "headers": _example_headers(event),
                "payload": copy.deepcopy(event.example),
            }
        ],
    }
    if details := _details(event):
        message["description"] = details
    return message


def _example_headers(event: type[PublicEvent]) -> dict[str, str]:
    service = event.event_type.split(".")[1]
    community = event.example.get("community_id")
    community_id = community if isinstance(community, str) else _EXAMPLE_SUBJECT
    return {
        ce.H_ID: _EXAMPLE_EVENT_ID,
        ce.H_TYPE: event.event_type,
        ce.H_SOURCE: f"/grassroots/{service}",
        ce.H_SPECVERSION: ce.SPEC_VERSION,
        ce.H_TIME: _EXAMPLE_TIME,
        ce.H_SUBJECT: _EXAMPLE_SUBJECT,
        ce.H_COMMUNITY: community_id,
        ce.H_STREAM_VERSION: "1",
        ce.H_CONTENT_TYPE: ce.CONTENT_TYPE,
    }


def example_cloudevent(event: type[PublicEvent]) -> dict[str, Any]:
    """The event's example as one CloudEvent in the structured JSON form: the Kafka
    headers' attributes (without their `ce_` prefix) beside the payload as `data`."""
    headers = _example_headers(event)
    attributes = {
        name.removeprefix("ce_"): value for name, value in headers.items() if name.startswith("ce_")
    }
    return {
        **attributes,
        "datacontenttype": headers[ce.H_CONTENT_TYPE],
        "data": copy.deepcopy(event.example),
    }


def _short_name(event: type[PublicEvent]) -> str:
    # From the event type, not the class: a v2 class may well be called ThingMadeV2.
    return event.type_name().rsplit(".", 1)[-1]


def _summary(event: type[PublicEvent]) -> str:
    return _docstring(event)[0]


def _details(event: type[PublicEvent]) -> str:
    return "\n".join(_docstring(event)[1:]).strip()


def _docstring(event: type[PublicEvent]) -> list[str]:
    # The class's own docstring only: an undocumented event must not inherit the base's.
    own = event.__dict__.get("__doc__")
    if not own:
        raise ValueError(f"{event.event_type} needs a docstring: it is the catalogue's summary")
    return inspect.cleandoc(own).splitlines()
