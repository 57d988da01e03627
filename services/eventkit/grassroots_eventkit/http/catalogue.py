"""The public event catalogue over HTTP, from every service: a page for people, the
AsyncAPI document and each event type's JSON Schema for programs.

Public and without a token: it documents the contracts, never data. Built once per
process, off the event loop, when the service starts (`start_building`); requests
arriving before it is ready wait for it. The pieces come from `grassroots_contracts`
(the same code that writes contracts/schemas), so what a service serves is what it
publishes.
"""

from __future__ import annotations

import asyncio
import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from grassroots_contracts import history as contract_history
from grassroots_contracts.catalogue import (
    CATALOGUE_TITLE,
    asyncapi_document,
    catalogue_version,
    event_schemas,
    example_cloudevent,
)
from grassroots_contracts.events import PublicEvent
from grassroots_contracts.privacy import markers
from grassroots_contracts.registry import PUBLIC_EVENTS
from grassroots_contracts.topics import ALL_TOPICS, TopicSpec

from grassroots_eventkit.domain import NotFound

SCHEMA_JSON = "application/schema+json"


@dataclass(frozen=True)
class Catalogue:
    page: str
    asyncapi: dict[str, Any]
    schemas: dict[str, dict[str, Any]]


def build_catalogue(
    events: Sequence[type[PublicEvent]] = PUBLIC_EVENTS,
    topics: Sequence[TopicSpec] = ALL_TOPICS,
    history: Mapping[str, list[contract_history.Entry]] | None = None,
    *,
    version: str | None = None,
) -> Catalogue:
    schemas = event_schemas(events)
    version = version or catalogue_version()
    known = contract_history.load() if history is None else history
    return Catalogue(
        page=render_page(events, topics, schemas, known, version=version),
        asyncapi=asyncapi_document(events, topics, version=version),
        schemas=schemas,
    )


def start_building(app: FastAPI) -> None:
    """Build the catalogue in a worker thread (it takes a second or two of CPU)."""
    app.state.catalogue = asyncio.ensure_future(asyncio.to_thread(build_catalogue))


async def _catalogue(request: Request) -> Catalogue:
    task: asyncio.Future[Catalogue] | None = getattr(request.app.state, "catalogue", None)
    if task is None:  # an app run without its lifespan (a test client): build here
        start_building(request.app)
        task = request.app.state.catalogue
    assert task is not None
    return await asyncio.shield(task)


def catalogue_router() -> APIRouter:
    # Out of the OpenAPI document: these are no part of a service's API, and need no token.
    router = APIRouter(tags=["catalogue"], include_in_schema=False)

    @router.get("/catalogue", response_class=HTMLResponse)
    async def page(request: Request) -> HTMLResponse:
        return HTMLResponse((await _catalogue(request)).page)

    @router.get("/catalogue/asyncapi.json")
    async def asyncapi(request: Request) -> JSONResponse:
        return JSONResponse((await _catalogue(request)).asyncapi)

    @router.get("/catalogue/schemas/{event_type}")
    async def schema(request: Request, event_type: str) -> JSONResponse:
        found = (await _catalogue(request)).schemas.get(event_type)
        if found is None:
            raise NotFound(
                "unknown_event_type",
                f"no public event type {event_type!r}; see /catalogue",
                field="event_type",
            )
        return JSONResponse(found, media_type=SCHEMA_JSON)

    return router


# -- the page ---------------------------------------------------------------------------

_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;
color:#222}
h1{margin-bottom:.2rem}h2{border-bottom:2px solid #b22;padding-bottom:.2rem;margin-top:3rem}
article{border:1px solid #ddd;border-radius:6px;padding:.2rem 1rem 1rem;margin:1.2rem 0}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{text-align:left;border-bottom:1px solid #eee;padding:.25rem .5rem;vertical-align:top}
code,pre{font:13px ui-monospace,monospace}pre{background:#f6f6f6;padding:.6rem;overflow:auto}
.muted{color:#666}.no{color:#b22;font-weight:bold}nav li{margin:.1rem 0}
"""


def render_page(
    events: Sequence[type[PublicEvent]],
    topics: Sequence[TopicSpec],
    schemas: Mapping[str, Mapping[str, Any]],
    history: Mapping[str, list[contract_history.Entry]],
    *,
    version: str,
) -> str:
    public = [t for t in topics if t.public]
    by_topic = {t.name: [e for e in events if e.topic == t.name] for t in public}
    nav = "".join(
        f'<li><a href="#{_e(t.name)}"><code>{_e(t.name)}</code></a> '
        f'<span class="muted">({len(by_topic[t.name])} event types)</span></li>'
        for t in public
    )
    sections = "".join(
        _topic_section(t, by_topic[t.name], schemas, history) for t in public if by_topic[t.name]
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{_e(CATALOGUE_TITLE)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{_e(CATALOGUE_TITLE)}</h1>"
        f'<p class="muted">Contracts version {_e(version)} · '
        '<a href="/catalogue/asyncapi.json">AsyncAPI 3 document</a> · '
        "JSON Schema per event type at <code>/catalogue/schemas/&lt;event type&gt;</code></p>"
        "<p>CloudEvents 1.0 in Kafka binary mode: the record value is the JSON payload, "
        "the attributes travel as <code>ce_*</code> headers, and the record key is the "
        "community id. Topics are kept forever; consumers dedupe by <code>ce_id</code> and "
        "pick the schema by <code>ce_type</code>. An event type only gains optional "
        "fields; a breaking change is a new <code>.vN</code> type. Public events carry "
        "ids, grid positions, categories, times and outcomes, never personal data.</p>"
        f"<nav><ul>{nav}</ul></nav>{sections}</body></html>"
    )


def _topic_section(
    topic: TopicSpec,
    events: Sequence[type[PublicEvent]],
    schemas: Mapping[str, Mapping[str, Any]],
    history: Mapping[str, list[contract_history.Entry]],
) -> str:
    listing = " · ".join(
        f'<a href="#{_e(e.event_type)}">{_e(_short(e))} v{e.version()}</a>' for e in events
    )
    articles = "".join(
        _event_article(e, schemas[e.event_type], history.get(e.type_name(), [])) for e in events
    )
    return (
        f'<section id="{_e(topic.name)}"><h2><code>{_e(topic.name)}</code></h2>'
        f"<p>{_e(topic.description)}</p><p class=muted>{topic.partitions} partitions · "
        f"kept forever · {len(events)} event types</p><p>{listing}</p>{articles}</section>"
    )


def _event_article(
    event: type[PublicEvent], schema: Mapping[str, Any], entries: list[contract_history.Entry]
) -> str:
    doc = (event.__dict__.get("__doc__") or "").strip().splitlines()
    summary = _e(doc[0]) if doc else ""
    details = _e(" ".join(line.strip() for line in doc[1:]).strip())
    kinds = {path: m.kind for path, m in markers(event).items()}
    rows = "".join(
        f"<tr><td><code>{_e(path)}</code></td><td><code>{_e(kind)}</code></td>"
        f"<td>{'yes' if required else 'no'}</td><td>{_e(kinds.get(path) or _kind(kind))}</td>"
        f"<td>{_e(description)}</td></tr>"
        for path, kind, required, description in fields(schema)
    )
    example = json.dumps(example_cloudevent(event), indent=2, ensure_ascii=False)
    versions = "".join(
        f"<tr><td>v{e['version']}</td><td>{_e(e['date'])}</td><td>{_e(e['change'])}</td>"
        f"<td>{'yes' if e['compatible'] else '<span class=no>no</span>'}</td></tr>"
        for e in entries
    )
    return (
        f'<article id="{_e(event.event_type)}"><h3>{_e(_short(event))} '
        f'<span class="muted">v{event.version()}</span></h3>'
        f"<p><code>{_e(event.event_type)}</code> · "
        f'<a href="/catalogue/schemas/{_e(event.event_type)}">JSON Schema</a></p>'
        f"<p>{summary}</p>{f'<p>{details}</p>' if details else ''}"
        "<table><tr><th>field</th><th>type</th><th>required</th><th>data</th>"
        f"<th>description</th></tr>{rows}</table>"
        f"<h4>Example (a CloudEvent)</h4><pre>{_e(example)}</pre>"
        "<h4>History</h4><table><tr><th>version</th><th>date</th><th>change</th>"
        f"<th>compatible</th></tr>{versions}</table></article>"
    )


def fields(schema: Mapping[str, Any]) -> list[tuple[str, str, bool, str]]:
    """(path, type, required, description) of every field, nested models flattened
    into dotted paths (`households[].room`)."""
    found: list[tuple[str, str, bool, str]] = []
    _walk(schema, schema, "", found, depth=0)
    return found


def _walk(
    node: Mapping[str, Any],
    root: Mapping[str, Any],
    prefix: str,
    found: list[tuple[str, str, bool, str]],
    *,
    depth: int,
) -> None:
    required = set(node.get("required", ()))
    for name, prop in node.get("properties", {}).items():
        path = f"{prefix}{name}"
        found.append((path, type_name(prop), name in required, str(prop.get("description", ""))))
        if depth < 4:  # no public event nests deeper; a recursive model must not loop
            for nested, suffix in _nested(prop, root):
                _walk(nested, root, f"{path}{suffix}.", found, depth=depth + 1)


def _nested(
    prop: Mapping[str, Any], root: Mapping[str, Any]
) -> list[tuple[Mapping[str, Any], str]]:
    if "$ref" in prop:
        return [(_resolve(root, prop["$ref"]), "")]
    if prop.get("type") == "array" and isinstance(prop.get("items"), Mapping):
        return [(n, f"[]{s}") for n, s in _nested(prop["items"], root)]
    return [item for option in prop.get("anyOf", ()) for item in _nested(option, root)]


def _resolve(root: Mapping[str, Any], ref: str) -> Mapping[str, Any]:
    node: Any = root
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node if isinstance(node, Mapping) else {}


def type_name(prop: Mapping[str, Any]) -> str:
    """A short readable type: `string (date-time)`, `one of: a, b`, `list of X`, `X or null`."""
    if "$ref" in prop:
        return str(prop["$ref"]).rsplit("/", 1)[-1]
    if "const" in prop:
        return f"always {json.dumps(prop['const'], ensure_ascii=False)}"
    if "enum" in prop:
        return "one of: " + ", ".join(str(v) for v in prop["enum"])
    if "anyOf" in prop:
        return " or ".join(type_name(option) for option in prop["anyOf"])
    kind = str(prop.get("type", "any"))
    if kind == "array":
        items = prop.get("items")
        return f"list of {type_name(items)}" if isinstance(items, Mapping) else "list"
    if "format" in prop:
        return f"{kind} ({prop['format']})"
    return kind


def _kind(type_text: str) -> str:
    """The data column of an unmarked field: what its type alone says."""
    if type_text.startswith(("one of", "always")):
        return "closed set"
    if "date" in type_text or type_text.startswith(("integer", "number", "boolean")):
        return "number or time"
    return ""


def _short(event: type[PublicEvent]) -> str:
    return event.type_name().rsplit(".", 1)[-1]


def _e(text: str) -> str:
    return html.escape(text, quote=True)
