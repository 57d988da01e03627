"""Our catalogue, requests and their histories as GeoReport v2 documents (plain data).

Decisions that shape these documents (docs/open311.md has the rest):
- the county grid has no coordinates: `address_id` is the building id, `address`,
  `zipcode`, `lat` and `long` are empty;
- Open311 knows `open` and `closed`; our detailed status goes to `status_notes`;
- the resident's words and photos (`description`, `media_url`) are personal data: only
  an API-key holder of the request's county gets them, and nobody gets names or phones.
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

from grassroots_eventkit.store.model import StoredEvent
from grassroots_eventkit.values import CHINA_STANDARD_TIME
from pydantic import AwareDatetime, BaseModel, ConfigDict

from requests_service.domain import request as rq
from requests_service.domain.catalogue import Category, DeadlineRule

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When the served service list or definitions last changed: bump it with the catalogue.
CHANGESET = "2026-05-01T00:00:00+08:00"
CLOSED: frozenset[str] = rq.FINAL  # closed, cancelled, rejected, merged


def w3c(when: datetime) -> str:
    """The county's local time with its offset, as the spec's examples write it."""
    return when.astimezone(CHINA_STANDARD_TIME).isoformat(timespec="seconds")


def span(window: timedelta) -> str:
    """2 h, 24 h, 7 days: how the county states its deadlines."""
    seconds = int(window.total_seconds())
    if seconds % 86400 == 0 and seconds >= 2 * 86400:
        return f"{seconds // 86400} days"
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    return f"{max(1, seconds // 60)} min"


def service_name(category: Category) -> str:
    return f"{category.name_zh} ({category.name_en})"


def notice(rule: DeadlineRule) -> str:
    return (
        f"回应时限 {span(rule.respond_within)}，办结时限 {span(rule.resolve_within)} / "
        f"a first answer within {span(rule.respond_within)}, "
        f"resolved within {span(rule.resolve_within)}"
    )


# --- services ---------------------------------------------------------------------------


def service(category: Category) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": service_name(category),
        "description": category.description,
        # Every service has a definition: the grid attributes that locate a request.
        "metadata": True,
        "type": "realtime",
        "keywords": ",".join(category.keywords),
        "group": category.deadline_class,
    }


def service_definition(category: Category, rule: DeadlineRule) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": True,
                "code": "building_id",
                "datatype": "string",
                "required": False,
                "datatype_description": (
                    "a building id of the county grid; the same as address_id when that "
                    "names a building"
                ),
                "order": 1,
                "description": "楼栋 Building",
            },
            {
                "variable": True,
                "code": "household_id",
                "datatype": "string",
                "required": False,
                "datatype_description": (
                    "a household id of the county grid; the building is then implied"
                ),
                "order": 2,
                "description": "住户 Household",
            },
            {
                # Informational (variable=false): what the county promises for this service.
                "variable": False,
                "code": "deadlines",
                "datatype": "text",
                "required": False,
                "datatype_description": None,
                "order": 3,
                "description": notice(rule),
            },
        ],
    }


def discovery(url: str) -> dict[str, Any]:
    return {
        "changeset": CHANGESET,
        "contact": "the county's 12345 hotline office",
        "key_service": "API keys are issued by the county to systems that file requests",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": url,
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }


# --- requests ---------------------------------------------------------------------------


class RequestFacts(BaseModel):
    """What Open311 shows of one request, from the read model or from its history."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    request_id: str
    county: str | None
    category: str
    status: rq.Status
    level: str
    department: str | None
    holder: Literal["member", "department"] | None
    building_id: str | None
    submitted_at: AwareDatetime
    updated_at: AwareDatetime
    resolve_by: AwareDatetime
    outcome: str | None = None
    merged_into: str | None = None


class Private(BaseModel):
    """The resident's own words and photos: for a key holder of the request's county."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str
    photos: tuple[str, ...]


def facts_from_row(row: Mapping[str, Any], merged_into: str | None = None) -> RequestFacts:
    holder = row["holder"]
    return RequestFacts(
        request_id=row["request_id"],
        county=row.get("county"),
        category=row["category"],
        status=row["status"],
        level=row["level"],
        department=row["department"],
        holder=None
        if holder is None
        else "department"
        if holder.startswith("department:")
        else "member",
        building_id=row["building_id"],
        submitted_at=row["submitted_at"],
        updated_at=row["updated_at"],
        resolve_by=row["resolve_by"],
        outcome=row["outcome"],
        merged_into=merged_into,
    )


def decoded(history: Sequence[StoredEvent]) -> list[rq.RequestEvent]:
    return [rq.DECIDER.event_types.decode(e.event_type, e.data) for e in history]


def facts_from_history(history: Sequence[StoredEvent]) -> RequestFacts:
    """A request straight from its stream: no read-model lag right after a POST."""
    events = decoded(history)
    state = rq.DECIDER.fold(events)
    assert state is not None
    closed = [e for e in events if isinstance(e, rq.RequestClosed)]
    return RequestFacts(
        request_id=state.request_id,
        county=state.county,
        category=state.category,
        status=state.status,
        level=state.level,
        department=state.department,
        holder=state.holder.kind if state.holder else None,
        building_id=state.address.building_id,
        submitted_at=state.submitted_at,
        updated_at=history[-1].recorded_at,
        resolve_by=state.resolve_by,
        outcome=closed[-1].outcome if closed else None,
        merged_into=state.merged_into,
    )


def private_from_history(history: Sequence[StoredEvent]) -> Private:
    first = rq.RequestSubmitted.model_validate(history[0].data)
    return Private(text=first.text, photos=first.photos)


def open_or_closed(status: str) -> Literal["open", "closed"]:
    return "closed" if status in CLOSED else "open"


def status_notes(facts: RequestFacts) -> str:
    """Our status in words; never who the member is (a person), only what kind."""
    match facts.status:
        case "open" if facts.level == "department" and facts.department:
            return f"open: whistled (吹哨) to the county department {facts.department}"
        case "open":
            return f"open: waiting for someone at the {facts.level} level to take it"
        case "claimed" if facts.holder == "department":
            return f"claimed: the department {facts.department} reported for duty (报到)"
        case "claimed":
            return "claimed: a member reported for duty (报到)"
        case "resolved":
            return "resolved: waiting for the resident's rating"
        case "closed":
            return f"closed: {facts.outcome}" if facts.outcome else "closed"
        case "cancelled":
            return "cancelled: withdrawn by the resident"
        case "rejected":
            return "rejected: outside the community's remit"
        case "merged":
            return f"merged into {facts.merged_into or 'another request'}"
    return str(facts.status)


def agency(facts: RequestFacts) -> str:
    """Who answers for it now: a county department's code, or the grid level."""
    if facts.level == "department" and facts.department:
        return facts.department
    return facts.level


def service_request(
    facts: RequestFacts, category: Category, rule: DeadlineRule, private: Private | None
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "service_request_id": facts.request_id,
        "status": open_or_closed(facts.status),
        "status_notes": status_notes(facts),
        "service_name": service_name(category),
        "service_code": facts.category,
    }
    if private is not None:
        item["description"] = private.text
    item.update(
        {
            "agency_responsible": agency(facts),
            "service_notice": notice(rule),
            "requested_datetime": w3c(facts.submitted_at),
            "updated_datetime": w3c(facts.updated_at),
            "expected_datetime": w3c(facts.resolve_by),
            "address_id": facts.building_id,
            "zipcode": None,
            "lat": None,
            "long": None,
        }
    )
    if private is not None:
        item["media_url"] = private.photos[0] if private.photos else None
    return item


def created(request_id: str, rule: DeadlineRule) -> dict[str, Any]:
    return {"service_request_id": request_id, "service_notice": notice(rule), "account_id": None}


def token(request_id: str) -> dict[str, Any]:
    return {"service_request_id": request_id, "token": request_id}


# --- updates ----------------------------------------------------------------------------


def updates(history: Sequence[StoredEvent]) -> list[dict[str, Any]]:
    """One `request_update` per event: its name and the Open311 status after it. Only
    names: notes, reasons and comments can carry personal data."""
    items: list[dict[str, Any]] = []
    state: rq.Request | None = rq.DECIDER.initial_state
    for stored, event in zip(history, decoded(history), strict=True):
        state = rq.DECIDER.evolve(state, event)
        assert state is not None
        items.append(
            {
                "update_id": str(stored.event_id),
                "service_request_id": state.request_id,
                "status": open_or_closed(state.status),
                "updated_datetime": w3c(stored.recorded_at),
                "description": type(event).event_name,
                "media_url": "",
            }
        )
    return items
