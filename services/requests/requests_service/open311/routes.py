"""Open311 GeoReport v2 at /open311/v2: services, requests, tokens and updates.

The format is the path's suffix (`services.json`, `services.xml`), as the spec has it.
Reads are public; an API key (issued per county, settings.open311_keys) is needed to
post, and lets its holder read the description and photo of its county's requests.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import asyncpg
from fastapi import APIRouter, Header, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from grassroots_eventkit.commands import CommandContext, CommandRunner
from grassroots_eventkit.domain import CommandRejected, InvalidValue, NotFound
from grassroots_eventkit.ids import uuid7
from grassroots_eventkit.store import EventStore, StoredEvent
from pydantic import ValidationError

from requests_service.config import Open311Client, RequestsSettings
from requests_service.domain import request as rq
from requests_service.domain.catalogue import CATEGORIES, DeadlineRule, deadline_rule
from requests_service.handlers.submit import Submission, place, submit
from requests_service.open311 import formats, inputs, mapping, reads
from requests_service.open311.errors import Open311Error, bad_request
from requests_service.open311.formats import FORMATS, Format

MAX_FORM_BYTES = 64 * 1024
# The spec leaves the updates' window to the server: a day by default, 90 days at most.
UPDATES_DEFAULT = timedelta(days=1)


def _format_of(request: Request) -> Format:
    fmt = request.path_params.get("fmt")
    return fmt if fmt in FORMATS else "json"


def _document(fmt: Format, body: bytes, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type=formats.media_type(fmt))


def _error(fmt: Format, exc: Open311Error) -> Response:
    return _document(fmt, formats.render(fmt, "errors", "error", exc.items()), exc.code)


def _refusal(request: Request, exc: Exception) -> Open311Error:
    """Our refusals in Open311's terms: a client's mistake is a 400, as the spec has it."""
    if isinstance(exc, RequestValidationError):
        if request.path_params.get("fmt") not in FORMATS:
            return Open311Error(404, "no such format: use .json or .xml")
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ())[1:]) or "request"
        return bad_request(f"{field}: {first.get('msg', 'invalid')}")
    if isinstance(exc, ValidationError):
        first_error = exc.errors()[0]
        field = ".".join(str(p) for p in first_error["loc"]) or "request"
        return bad_request(f"{field}: {first_error['msg']}")
    if isinstance(exc, NotFound):
        return Open311Error(404, exc.message)
    if isinstance(exc, InvalidValue):
        return bad_request(exc.message)
    assert isinstance(exc, CommandRejected)
    # 422s (an idempotency key reused for another form) are 400s to Open311 clients.
    return Open311Error(400 if exc.status == 422 else exc.status, exc.message)


class Open311Route(APIRoute):
    """Answers every refusal on these routes as an Open311 error document in the
    request's format, where the rest of the service answers problem+json."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except Open311Error as exc:
                return _error(_format_of(request), exc)
            except (RequestValidationError, ValidationError, CommandRejected) as exc:
                return _error(_format_of(request), _refusal(request, exc))

        return route


router = APIRouter(prefix="/open311/v2", tags=["open311"], route_class=Open311Route)

Fmt = Annotated[Literal["json", "xml"], Path(description="the answer's format")]
ApiKey = Annotated[
    str | None,
    Query(description="the county's key: required to post; lets its holder read descriptions"),
]
Jurisdiction = Annotated[
    str | None,
    # No control characters: PostgreSQL text cannot hold NUL, and a county name has none.
    Query(
        description="a county; limits the answer to its requests",
        max_length=50,
        pattern=r"^[^\x00-\x1f\x7f]*$",
    ),
]
DOCUMENT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "an Open311 document",
        "content": {"application/json": {}, "text/xml": {}},
    },
    400: {"description": "an Open311 error list `[{code, description}]`"},
    403: {"description": "an unknown api_key"},
    404: {"description": "no such service, request or format"},
}


def _settings(request: Request) -> RequestsSettings:
    settings: RequestsSettings = request.app.state.runtime.settings
    return settings


def _store(request: Request) -> EventStore:
    store: EventStore = request.app.state.runtime.store
    return store


def _rule(request: Request, code: str) -> DeadlineRule:
    return deadline_rule(CATEGORIES[code], _settings(request).deadline_overrides)


def _client(request: Request, api_key: str | None) -> Open311Client | None:
    """The key's holder; None without a key; 403 for a key we never issued."""
    if not api_key:
        return None
    for known, client in _settings(request).open311_keys.items():
        if secrets.compare_digest(known.encode(), api_key.encode()):
            return client
    raise Open311Error(403, "invalid api_key")


def _now() -> datetime:
    return datetime.now(UTC)


# --- discovery and services -------------------------------------------------------------


@router.get("/discovery.{fmt}", summary="Open311 discovery", responses=DOCUMENT)
async def discovery(fmt: Fmt, request: Request) -> Response:
    url = str(request.url_for("discovery", fmt=fmt)).rsplit("/", 1)[0]
    return _document(fmt, formats.render_object(fmt, "discovery", mapping.discovery(url)))


@router.get("/services.{fmt}", summary="Open311 service list (our categories)", responses=DOCUMENT)
async def services(fmt: Fmt, jurisdiction_id: Jurisdiction = None) -> Response:
    items = [mapping.service(c) for c in CATEGORIES.values()]
    return _document(fmt, formats.render(fmt, "services", "service", items))


@router.get(
    "/services/{service_code}.{fmt}",
    summary="Open311 service definition: the grid attributes that locate a request",
    responses=DOCUMENT,
)
async def service_definition(
    service_code: str, fmt: Fmt, request: Request, jurisdiction_id: Jurisdiction = None
) -> Response:
    category = CATEGORIES.get(service_code)
    if category is None:
        raise Open311Error(404, f"no service {service_code[:64]!r}; see services.{fmt}")
    body = mapping.service_definition(category, _rule(request, service_code))
    return _document(fmt, formats.render_object(fmt, "service_definition", body))


# --- posting ----------------------------------------------------------------------------

FORM_FIELDS = {
    "api_key": "the county's Open311 key (or in the query string)",
    "jurisdiction_id": "the key's county, if given",
    "service_code": "a service_code from services.json",
    "address_id": "a building or household id of the county grid",
    "attribute[building_id]": "a building id",
    "attribute[household_id]": "a household id",
    "lat": "refused alone: the grid has no coordinates",
    "long": "refused alone: the grid has no coordinates",
    "address_string": "refused alone: the grid has no coordinates",
    "description": "what is wrong (1-2000 characters)",
    "media_url": "a photo's URL",
    "first_name": "the resident's given name (kept only with a phone)",
    "last_name": "the resident's family name",
    "phone": "a mainland mobile or landline number",
    "email": "accepted, not kept",
    "device_id": "accepted, not kept",
    "account_id": "accepted, not kept",
}
FORM_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["service_code", "description"],
                    "properties": {
                        name: {"type": "string", "description": text}
                        for name, text in FORM_FIELDS.items()
                    },
                }
            }
        },
    }
}


async def _read_form(request: Request) -> dict[str, str]:
    kind = request.headers.get("content-type", "application/x-www-form-urlencoded")
    if kind.split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
        raise bad_request("send the fields as application/x-www-form-urlencoded")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise Open311Error(413, f"the form is larger than {MAX_FORM_BYTES} bytes")
    return inputs.form_fields(bytes(body), request.query_params)


async def _locate(pool: asyncpg.Pool, form: inputs.Open311Form) -> tuple[str | None, str | None]:
    """(building_id, household_id) from address_id and the grid attributes."""
    building_id, household_id = form.building_id, form.household_id
    if form.address_id is not None:
        kind = await reads.address_kind(pool, form.address_id)
        if kind is None:
            raise bad_request(f"address_id: no building or household {form.address_id}")
        given = household_id if kind == "household" else building_id
        if given not in (None, form.address_id):
            raise bad_request(f"address_id and attribute[{kind}_id] name different places")
        if kind == "household":
            household_id = form.address_id
        else:
            building_id = form.address_id
    return building_id, household_id


def _idempotency_key(client: Open311Client, key: str | None) -> str | None:
    if key is None:
        return None
    if not 1 <= len(key) <= 200:
        raise bad_request("Idempotency-Key must be 1-200 characters")
    # Scoped to the key's holder: two clients' keys never collide.
    return f"open311:{client.name}|{key}"


@router.post(
    "/requests.{fmt}",
    summary="Open311: file a request (form-encoded; needs an api_key)",
    openapi_extra=FORM_BODY,
    responses={**DOCUMENT, 201: DOCUMENT[200]},
)
async def create_request(
    fmt: Fmt,
    request: Request,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Retrying with the same key returns the first answer and files nothing",
        ),
    ] = None,
) -> Response:
    fields = await _read_form(request)
    client = _client(request, inputs.given(fields, "api_key"))
    if client is None:
        raise Open311Error(403, "an api_key is required to post")
    form = inputs.read_form(fields)
    if form.jurisdiction_id not in (None, client.county):
        raise bad_request(f"jurisdiction_id: this key files requests in {client.county} only")
    runtime = request.app.state.runtime
    building_id, household_id = await _locate(runtime.pool, form)
    sub = Submission(
        community_id=None,
        compound_id=None,
        building_id=building_id,
        household_id=household_id,
        category=form.service_code,
        channel="open311",
        text=form.text,
        photos=form.photos,
        contact=form.contact,
        resident_id=None,
    )
    where = await place(runtime.pool, sub)
    if where.county != client.county:
        raise Open311Error(403, f"this key files requests in {client.county} only")
    correlation = getattr(request.state, "correlation_id", None)
    ctx = CommandContext(
        actor=f"open311:{client.name}",
        correlation_id=correlation,
        causation_id=correlation,
        idempotency_key=_idempotency_key(client, idempotency_key),
    ).for_request(form)
    runner: CommandRunner = runtime.extras["runner"]
    accepted = await submit(
        runner,
        runtime.pool,
        ctx,
        sub,
        request_id=str(uuid7()),
        overrides=_settings(request).deadline_overrides,
        principal=None,
    )
    body = formats.render(
        fmt,
        "service_requests",
        "request",
        [mapping.created(accepted.id, _rule(request, form.service_code))],
    )
    response = _document(fmt, body, accepted.status_code)
    response.headers["Location"] = str(
        request.url_for("get_request", service_request_id=accepted.id, fmt=fmt)
    )
    if accepted.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


# --- reading ----------------------------------------------------------------------------


async def _history(store: EventStore, request_id: str) -> list[StoredEvent]:
    """A request's stream; 404 for an unknown id or another aggregate's stream."""
    history = await store.load(request_id) if inputs.is_request_id(request_id) else []
    if not history or not rq.DECIDER.owns([e.event_type for e in history]):
        raise Open311Error(404, f"no request {request_id[:64]}")
    return history


def _may_read_private(client: Open311Client | None, county: str | None) -> bool:
    return client is not None and county is not None and client.county == county


def _item(
    request: Request,
    facts: mapping.RequestFacts,
    history: list[StoredEvent] | None,
    client: Open311Client | None,
) -> dict[str, Any]:
    private = None
    if history and _may_read_private(client, facts.county):
        private = mapping.private_from_history(history)
    return mapping.service_request(
        facts, CATEGORIES[facts.category], _rule(request, facts.category), private
    )


@router.get(
    "/requests.{fmt}",
    summary="Open311: requests by ids, or by service, window and status",
    responses=DOCUMENT,
)
async def list_requests(
    fmt: Fmt,
    request: Request,
    api_key: ApiKey = None,
    jurisdiction_id: Jurisdiction = None,
    service_request_id: Annotated[
        str | None, Query(description="comma-separated ids; overrides the other filters")
    ] = None,
    service_code: Annotated[str | None, Query(description="comma-separated codes")] = None,
    start_date: Annotated[
        str | None, Query(description="W3C datetime; default 90 days before end_date")
    ] = None,
    end_date: Annotated[str | None, Query(description="W3C datetime; default now")] = None,
    status: Annotated[str | None, Query(description="open, closed or open,closed")] = None,
) -> Response:
    client = _client(request, api_key)
    f = inputs.read_filter(
        service_request_id=service_request_id,
        service_code=service_code,
        start_date=start_date,
        end_date=end_date,
        status=status,
        now=_now(),
    )
    runtime = request.app.state.runtime
    rows = await reads.find_requests(runtime.pool, f, jurisdiction_id)
    # Streams are read only where the answer needs them: a key holder's descriptions,
    # and what a merged request was merged into.
    wanted = [
        r["request_id"]
        for r in rows
        if r["status"] == "merged" or _may_read_private(client, r["county"])
    ]
    streams = await reads.histories(_store(request), wanted)
    items = []
    for row in rows:
        history = streams.get(row["request_id"])
        merged_into = None
        if history and row["status"] == "merged":
            merged_into = mapping.facts_from_history(history).merged_into
        facts = mapping.facts_from_row(row, merged_into)
        items.append(_item(request, facts, history, client))
    return _document(fmt, formats.render(fmt, "service_requests", "request", items))


@router.get(
    "/requests/{service_request_id}.{fmt}",
    summary="Open311: one request (a one-element list, as the spec has it)",
    responses=DOCUMENT,
)
async def get_request(
    service_request_id: str,
    fmt: Fmt,
    request: Request,
    api_key: ApiKey = None,
    jurisdiction_id: Jurisdiction = None,
) -> Response:
    client = _client(request, api_key)
    history = await _history(_store(request), service_request_id)
    facts = mapping.facts_from_history(history)
    if jurisdiction_id is not None and jurisdiction_id != facts.county:
        raise Open311Error(404, f"no request {service_request_id} in {jurisdiction_id[:40]}")
    item = _item(request, facts, history, client)
    return _document(fmt, formats.render(fmt, "service_requests", "request", [item]))


@router.get(
    "/tokens/{token}.{fmt}",
    summary="Open311: the request a token became (requests are filed at once: token = id)",
    responses=DOCUMENT,
)
async def get_token(
    token: str, fmt: Fmt, request: Request, jurisdiction_id: Jurisdiction = None
) -> Response:
    await _history(_store(request), token)
    body = formats.render(fmt, "service_requests", "request", [mapping.token(token)])
    return _document(fmt, body)


def _updates(fmt: Format, items: list[dict[str, Any]]) -> Response:
    body = formats.render(fmt, "service_request_updates", "request_update", items)
    return _document(fmt, body)


@router.get(
    "/requests/{service_request_id}/updates.{fmt}",
    summary="A request's updates: one per event, by name (no personal text)",
    responses=DOCUMENT,
)
async def request_updates(
    service_request_id: str, fmt: Fmt, request: Request, jurisdiction_id: Jurisdiction = None
) -> Response:
    history = await _history(_store(request), service_request_id)
    county = mapping.facts_from_history(history).county
    if jurisdiction_id is not None and jurisdiction_id != county:
        raise Open311Error(404, f"no request {service_request_id} in {jurisdiction_id[:40]}")
    return _updates(fmt, mapping.updates(history))


@router.get(
    "/servicerequestupdates.{fmt}",
    summary="Updates of all requests in a window (the FixMyStreet extension)",
    responses=DOCUMENT,
)
async def service_request_updates(
    fmt: Fmt,
    request: Request,
    api_key: ApiKey = None,
    jurisdiction_id: Jurisdiction = None,
    start_date: Annotated[
        str | None, Query(description="W3C datetime; default a day before end_date")
    ] = None,
    end_date: Annotated[str | None, Query(description="W3C datetime; default now")] = None,
) -> Response:
    _client(request, api_key)
    window = inputs.window(start_date, end_date, now=_now(), default=UPDATES_DEFAULT)
    runtime = request.app.state.runtime
    ids = await reads.changed_requests(runtime.pool, window.start, window.end, jurisdiction_id)
    streams = await reads.histories(_store(request), ids)
    found: list[tuple[datetime, str, dict[str, Any]]] = []
    for history in streams.values():
        if not rq.DECIDER.owns([e.event_type for e in history]):
            continue
        for stored, item in zip(history, mapping.updates(history), strict=True):
            if window.start <= stored.recorded_at <= window.end:
                found.append((stored.recorded_at, item["update_id"], item))
    found.sort(key=lambda t: (t[0], t[1]))
    return _updates(fmt, [item for _, _, item in found[: reads.LIMIT]])
