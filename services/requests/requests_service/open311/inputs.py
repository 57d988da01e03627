"""What Open311 clients send, checked: the POST form and the filters of the GET lists.

Everything arrives as strings (form fields, query parameters); every refusal is an
Open311Error naming the spec's field, never a FastAPI 422, so a GeoReport client can
show it. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import parse_qsl

from grassroots_eventkit.values import CHINA_STANDARD_TIME, ID_PATTERN, EntityId, PersonName, Phone
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, TypeAdapter, ValidationError

from requests_service.domain import request as rq
from requests_service.domain.catalogue import CATEGORIES
from requests_service.open311.errors import bad_request

# The spec's defaults: a list covers the last 90 days and may not span more.
MAX_SPAN = timedelta(days=90)
MAX_IDS = 1000
GRID_ONLY = (
    "this county locates requests on its grid (buildings and households), which has no "
    "coordinates: give address_id (a building or household id) or "
    "attribute[building_id] / attribute[household_id]"
)

PHONE_RULE = "not a mainland mobile (13912345678) or landline (0746-1234567) number"

_id = TypeAdapter(EntityId)
_text = TypeAdapter(rq.RequestText)
_url = TypeAdapter(AnyHttpUrl)
_name = TypeAdapter(PersonName)
_phone = TypeAdapter(Phone)
_CJK = re.compile(r"[\u3400-\u9fff]")


class Open311Form(BaseModel):
    """A checked POST /requests form, in our terms; the API key is checked apart."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    service_code: str
    address_id: str | None
    building_id: str | None
    household_id: str | None
    text: str
    photos: tuple[str, ...]
    contact: rq.Contact | None
    jurisdiction_id: str | None


def given(fields: Mapping[str, str], name: str) -> str | None:
    value = fields.get(name, "").strip()
    return value or None


def is_request_id(text: str) -> bool:
    return len(text) <= 64 and re.fullmatch(ID_PATTERN, text) is not None


def _check(adapter: TypeAdapter[Any], value: str, field: str, why: str | None = None) -> Any:
    try:
        return adapter.validate_python(value)
    except ValidationError as exc:
        raise bad_request(f"{field}: {why or exc.errors()[0]['msg']}") from None


def _grid_id(fields: Mapping[str, str], name: str) -> str | None:
    value = given(fields, name)
    why = "not a grid id (1-64 letters, digits and . _ : -)"
    return None if value is None else str(_check(_id, value, name, why))


def full_name(first: str | None, last: str | None) -> str | None:
    """Chinese names are written family name first, without a space (李 + 秀英 =
    李秀英); others as `first last`."""
    parts = [p for p in (first, last) if p]
    if not parts:
        return None
    if any(_CJK.search(p) for p in parts):
        return "".join(p for p in (last, first) if p)
    return " ".join(parts)


def _contact(fields: Mapping[str, str]) -> rq.Contact | None:
    """A contact needs both a name and a phone: the community calls back, and a name
    alone is personal data with no use. A phone given must be a real one."""
    phone = given(fields, "phone")
    if phone is not None:
        phone = str(_check(_phone, phone, "phone", PHONE_RULE))
    name = full_name(given(fields, "first_name"), given(fields, "last_name"))
    if name is not None:
        name = str(_check(_name, name, "first_name/last_name"))
    if name is None or phone is None:
        return None
    return rq.Contact(name=name, phone=phone)


def read_form(fields: Mapping[str, str]) -> Open311Form:
    """The spec's POST fields (email, device_id, account_id and unknown ones are
    accepted and ignored)."""
    code = given(fields, "service_code")
    if code is None:
        raise bad_request("service_code is required; see services.json")
    if code not in CATEGORIES:
        raise bad_request(f"service_code: no service {code[:64]!r}; see services.json")
    address_id = _grid_id(fields, "address_id")
    building_id = _grid_id(fields, "attribute[building_id]")
    household_id = _grid_id(fields, "attribute[household_id]")
    if address_id is None and building_id is None and household_id is None:
        coordinates = ("lat", "long", "address_string")
        if any(given(fields, f) for f in coordinates):
            raise bad_request(GRID_ONLY)
        raise bad_request("address_id is required: " + GRID_ONLY)
    description = given(fields, "description")
    if description is None:
        raise bad_request("description is required: say what is wrong and where")
    media_url = given(fields, "media_url")
    return Open311Form(
        service_code=code,
        address_id=address_id,
        building_id=building_id,
        household_id=household_id,
        text=str(_check(_text, description, "description")),
        photos=(str(_check(_url, media_url, "media_url")),) if media_url else (),
        contact=_contact(fields),
        jurisdiction_id=given(fields, "jurisdiction_id"),
    )


# --- GET filters ------------------------------------------------------------------------

OpenClosed = Literal["open", "closed"]


class Window(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    start: datetime
    end: datetime


class RequestFilter(BaseModel):
    """GET /requests: ids (which override the rest), or codes, a window and statuses."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ids: tuple[str, ...] | None
    codes: tuple[str, ...] | None
    window: Window
    statuses: tuple[OpenClosed, ...] | None


def parse_when(text: str, field: str) -> datetime:
    """A W3C datetime (2010-01-01T00:00:00Z, ...+08:00) or a date; without an offset it
    is the county's time (UTC+8)."""
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise bad_request(
            f"{field}: {text[:40]!r} is not a W3C datetime such as 2026-05-01T00:00:00+08:00"
        ) from None
    # The database's timestamps (and sane windows) live well inside these years.
    if not 1900 <= when.year <= 2999:
        raise bad_request(f"{field}: {text[:40]!r} is out of range")
    return when if when.tzinfo is not None else when.replace(tzinfo=CHINA_STANDARD_TIME)


def window(
    start: str | None, end: str | None, *, now: datetime, default: timedelta = MAX_SPAN
) -> Window:
    """The spec's range: by default the last `default`; never more than 90 days."""
    last = parse_when(end, "end_date") if end else None
    first = parse_when(start, "start_date") if start else None
    try:
        if last is None:
            last = now if first is None else min(now, first + MAX_SPAN)
        if first is None:
            first = last - default
    except OverflowError:  # year 1 or 9999: no window to speak of
        raise bad_request("start_date or end_date is out of range") from None
    if first > last:
        raise bad_request("start_date is after end_date")
    if last - first > MAX_SPAN:
        raise bad_request("start_date to end_date may span at most 90 days")
    return Window(start=first, end=last)


def _list(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    items = tuple(dict.fromkeys(p.strip() for p in text.split(",") if p.strip()))
    return items or None


def read_filter(
    *,
    service_request_id: str | None,
    service_code: str | None,
    start_date: str | None,
    end_date: str | None,
    status: str | None,
    now: datetime,
) -> RequestFilter:
    ids = _list(service_request_id)
    if ids is not None:
        if len(ids) > MAX_IDS:
            raise bad_request(f"service_request_id: at most {MAX_IDS} ids at once")
        bad = [i for i in ids if not is_request_id(i)]
        if bad:
            raise bad_request(f"service_request_id: {bad[0][:64]!r} is not a request id")
    codes = _list(service_code)
    unknown = [c for c in codes or () if c not in CATEGORIES]
    if unknown:
        raise bad_request(f"service_code: no service {unknown[0][:64]!r}; see services.json")
    statuses = _list(status)
    wrong = [s for s in statuses or () if s not in ("open", "closed")]
    if wrong:
        raise bad_request(f"status: {wrong[0][:40]!r} is neither open nor closed")
    return RequestFilter(
        ids=ids,
        codes=codes,
        window=window(start_date, end_date, now=now),
        statuses=statuses,
    )


def form_fields(body: bytes, query: Mapping[str, str]) -> dict[str, str]:
    """The POST's fields: the query string's (some clients send api_key there) under the
    form body's. A field given twice keeps its last value."""
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=200)
    except UnicodeDecodeError:
        raise bad_request("the form must be UTF-8 encoded") from None
    except ValueError:
        raise bad_request("the form has too many fields") from None
    return {**query, **dict(pairs)}
