"""Open311 documents without a server: rendering (JSON and the spec's XML), our requests
in Open311's terms, and the checks on what clients send."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree as ET

import pytest
from grassroots_eventkit.domain import DomainEvent
from grassroots_eventkit.store import StoredEvent
from requests_service.domain import request as rq
from requests_service.domain.catalogue import CATEGORIES, DEADLINE_CLASSES
from requests_service.open311 import formats, inputs, mapping
from requests_service.open311.errors import Open311Error

pytestmark = pytest.mark.unit

NOW = datetime(2026, 5, 10, 2, 0, tzinfo=UTC)
BUILDING = "0193a7c2-0000-7000-8000-00000000b001"


def xml(body: bytes) -> ET.Element:
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(body)  # noqa: S314 - our own output, not untrusted input


def facts(**changes: object) -> mapping.RequestFacts:
    base = mapping.RequestFacts(
        request_id="r1",
        county="东安县",
        category="repairs",
        status="open",
        level="building",
        department=None,
        holder=None,
        building_id=BUILDING,
        submitted_at=NOW,
        updated_at=NOW + timedelta(hours=1),
        resolve_by=NOW + timedelta(days=7),
    )
    return base.model_copy(update=changes)


def item(private: mapping.Private | None = None, **changes: object) -> dict[str, object]:
    rule = DEADLINE_CLASSES["general"]
    return mapping.service_request(facts(**changes), CATEGORIES["repairs"], rule, private)


# --- rendering --------------------------------------------------------------------------


def test_the_service_list_is_services_of_service_elements_in_xml():
    items = [mapping.service(c) for c in CATEGORIES.values()]
    root = xml(formats.render("xml", "services", "service", items))
    assert root.tag == "services"
    assert [s.tag for s in root] == ["service"] * len(CATEGORIES)
    repairs = next(s for s in root if s.findtext("service_code") == "repairs")
    assert repairs.findtext("service_name") == "房屋维修 (Repairs)"
    assert repairs.findtext("metadata") == "true"
    assert repairs.findtext("type") == "realtime"
    assert repairs.findtext("keywords") == "leak,light,lift"
    assert repairs.findtext("group") == "general"


def test_the_service_list_is_a_plain_array_in_json():
    items = [mapping.service(CATEGORIES["safety"])]
    assert json.loads(formats.render("json", "services", "service", items)) == [
        {
            "service_code": "safety",
            "service_name": "安全隐患 (Safety hazard)",
            "description": CATEGORIES["safety"].description,
            "metadata": True,
            "type": "realtime",
            "keywords": "fire,gas,danger",
            "group": "urgent",
        }
    ]


def test_nested_lists_are_wrapped_in_their_plural_with_singular_items():
    definition = {
        "service_code": "x",
        "attributes": [
            {
                "code": "kind",
                "datatype": "singlevaluelist",
                "values": [{"key": "a", "name": "A"}, {"key": "b", "name": "B"}],
            }
        ],
    }
    root = xml(formats.render_object("xml", "service_definition", definition))
    assert root.tag == "service_definition"
    (attribute,) = root.findall("attributes/*")
    assert attribute.tag == "attribute"
    values = attribute.find("values")
    assert values is not None
    assert [(v.tag, v.findtext("key"), v.findtext("name")) for v in values] == [
        ("value", "a", "A"),
        ("value", "b", "B"),
    ]


def test_the_service_definition_offers_the_grid_attributes_and_no_coordinates():
    body = mapping.service_definition(CATEGORIES["repairs"], DEADLINE_CLASSES["general"])
    root = xml(formats.render_object("xml", "service_definition", body))
    attributes = root.findall("attributes/attribute")
    assert [a.findtext("code") for a in attributes] == ["building_id", "household_id", "deadlines"]
    assert [a.findtext("variable") for a in attributes] == ["true", "true", "false"]
    assert {a.findtext("required") for a in attributes} == {"false"}
    assert "7 days" in (attributes[2].findtext("description") or "")


def test_errors_are_errors_of_error_with_code_and_description():
    error = Open311Error(400, "address_id is required")
    assert json.loads(formats.render("json", "errors", "error", error.items())) == [
        {"code": 400, "description": "address_id is required"}
    ]
    root = xml(formats.render("xml", "errors", "error", error.items()))
    assert root.tag == "errors"
    assert [(e.tag, e.findtext("code"), e.findtext("description")) for e in root] == [
        ("error", "400", "address_id is required")
    ]


def test_a_missing_value_is_null_in_json_and_an_empty_element_in_xml():
    created = [mapping.created("r1", DEADLINE_CLASSES["urgent"])]
    assert (
        json.loads(formats.render("json", "service_requests", "request", created))[0]["account_id"]
        is None
    )
    request = xml(formats.render("xml", "service_requests", "request", created))[0]
    assert request.tag == "request"
    account = request.find("account_id")
    assert account is not None
    assert account.text is None
    assert request.findtext("service_notice", "").endswith("resolved within 24 h")


def test_characters_xml_cannot_carry_are_replaced_so_the_document_stays_well_formed():
    error = Open311Error(400, "service_code: no service 'a\x00b\x1bc'")
    root = xml(formats.render("xml", "errors", "error", error.items()))
    assert root.findtext("error/description") == "service_code: no service 'a\ufffdb\ufffdc'"
    assert b"\x00" not in formats.render("json", "errors", "error", error.items())


def test_chinese_text_is_written_as_utf_8_in_both_formats():
    body = formats.render("json", "services", "service", [mapping.service(CATEGORIES["other"])])
    assert "其他".encode() in body
    assert "其他".encode() in formats.render(
        "xml", "services", "service", [mapping.service(CATEGORIES["other"])]
    )


def test_json_and_xml_have_their_media_types():
    assert formats.media_type("json") == "application/json"
    assert formats.media_type("xml") == "text/xml; charset=utf-8"


# --- our requests in Open311's terms ----------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("open", "open"),
        ("claimed", "open"),
        ("resolved", "open"),
        ("closed", "closed"),
        ("cancelled", "closed"),
        ("rejected", "closed"),
        ("merged", "closed"),
    ],
)
def test_our_statuses_map_to_open_or_closed(status, expected):
    assert item(status=status)["status"] == expected


@pytest.mark.parametrize(
    ("changes", "notes"),
    [
        ({"status": "claimed", "holder": "member"}, "claimed: a member reported for duty (报到)"),
        ({"status": "resolved"}, "resolved: waiting for the resident's rating"),
        ({"status": "merged", "merged_into": "r0"}, "merged into r0"),
        ({"status": "closed", "outcome": "unresolved"}, "closed: unresolved"),
        (
            {"status": "open", "level": "department", "department": "housing"},
            "open: whistled (吹哨) to the county department housing",
        ),
    ],
)
def test_status_notes_keep_our_detailed_status(changes, notes):
    assert item(**changes)["status_notes"] == notes


def test_a_request_without_a_key_shows_no_description_and_no_photo():
    shown = item()
    assert "description" not in shown
    assert "media_url" not in shown
    assert "address" not in shown
    assert shown["address_id"] == BUILDING
    assert (shown["lat"], shown["long"], shown["zipcode"]) == (None, None, None)
    assert shown["requested_datetime"] == "2026-05-10T10:00:00+08:00"
    assert shown["expected_datetime"] == "2026-05-17T10:00:00+08:00"
    assert shown["agency_responsible"] == "building"


def test_a_key_holder_sees_the_description_and_first_photo():
    private = mapping.Private(text="楼道灯坏了", photos=("https://files.example.cn/1.jpg",))
    shown = item(private)
    assert shown["description"] == "楼道灯坏了"
    assert shown["media_url"] == "https://files.example.cn/1.jpg"


def test_a_department_is_the_agency_responsible_once_whistled():
    assert item(level="department", department="housing")["agency_responsible"] == "housing"


def _stored(version: int, event: DomainEvent) -> StoredEvent:
    return StoredEvent(
        stream_id="r1",
        version=version,
        event_id=uuid.uuid4(),
        event_type=event.stored_type(),
        data=event.model_dump(mode="json"),
        metadata={"actor": "staff-1"},
        recorded_at=NOW + timedelta(minutes=version),
        global_position=version,
    )


def _history() -> list[StoredEvent]:
    address = rq.Address(community_id="c1", building_id=BUILDING)
    staff = rq.Actor(kind="community", id="staff-1")
    return [
        _stored(
            1,
            rq.RequestSubmitted(
                request_id="r1",
                county="东安县",
                address=address,
                category="repairs",
                channel="open311",
                text="楼道灯坏了",
                photos=(),
                contact=rq.Contact(name="李秀英", phone="13907461234"),
                resident_id=None,
                submitted_by="staff",
                at=NOW,
                respond_by=NOW + timedelta(hours=24),
                resolve_by=NOW + timedelta(days=7),
            ),
        ),
        _stored(2, rq.RequestRouted(request_id="r1", route=rq.Route(level="building"), at=NOW)),
        _stored(
            3, rq.RequestRejected(request_id="r1", by=staff, reason="属于开发商责任。", at=NOW)
        ),
    ]


def test_updates_name_each_event_and_the_status_after_it_without_its_text():
    history = _history()
    updates = mapping.updates(history)
    assert [(u["description"], u["status"]) for u in updates] == [
        ("RequestSubmitted", "open"),
        ("RequestRouted", "open"),
        ("RequestRejected", "closed"),
    ]
    assert [u["update_id"] for u in updates] == [str(e.event_id) for e in history]
    text = json.dumps(updates, ensure_ascii=False)
    assert "开发商" not in text
    assert "李秀英" not in text
    assert "13907461234" not in text


def test_a_request_read_from_its_history_is_closed_as_rejected():
    facts = mapping.facts_from_history(_history())
    assert facts.status == "rejected"
    assert facts.updated_at == NOW + timedelta(minutes=3)
    assert mapping.status_notes(facts) == "rejected: outside the community's remit"


# --- what clients send ------------------------------------------------------------------


def form(**fields: str) -> dict[str, str]:
    return {"service_code": "repairs", "address_id": BUILDING, "description": "灯坏了", **fields}


def refusal(call) -> Open311Error:  # type: ignore[no-untyped-def]
    with pytest.raises(Open311Error) as caught:
        call()
    return caught.value


def test_coordinates_alone_are_refused_because_the_grid_has_none():
    fields = form(lat="26.4", long="111.3")
    del fields["address_id"]
    error = refusal(lambda: inputs.read_form(fields))
    assert error.code == 400
    assert "no coordinates" in error.description
    assert "address_id" in error.description


def test_an_invalid_phone_is_refused_naming_the_field():
    error = refusal(lambda: inputs.read_form(form(last_name="李", first_name="秀英", phone="123")))
    assert error.code == 400
    assert error.description.startswith("phone:")


def test_a_contact_is_kept_only_with_both_a_name_and_a_phone():
    both = inputs.read_form(form(last_name="李", first_name="秀英", phone="13907461234"))
    assert both.contact == rq.Contact(name="李秀英", phone="13907461234")
    assert inputs.read_form(form(first_name="Xiuying", last_name="Li")).contact is None
    assert inputs.read_form(form(phone="13907461234")).contact is None


def test_a_western_name_is_written_first_name_first():
    assert inputs.full_name("Mary", "Smith") == "Mary Smith"


def test_the_grid_attributes_locate_a_request_without_address_id():
    fields = form(**{"attribute[household_id]": "h1", "email": "a@b.cn", "device_id": "d"})
    del fields["address_id"]
    checked = inputs.read_form(fields)
    assert (checked.address_id, checked.household_id, checked.building_id) == (None, "h1", None)


@pytest.mark.parametrize(
    ("fields", "starts"),
    [
        (form(service_code="potholes"), "service_code: no service"),
        (form(description=" "), "description is required"),
        (form(description="x" * 2001), "description:"),
        (form(media_url="not a url"), "media_url:"),
        (form(address_id="a b"), "address_id: not a grid id"),
    ],
)
def test_bad_fields_are_refused_naming_the_field(fields, starts):
    error = refusal(lambda: inputs.read_form(fields))
    assert error.code == 400
    assert error.description.startswith(starts)


def test_the_form_body_is_read_over_the_query_string():
    fields = inputs.form_fields(
        b"service_code=repairs&description=%E7%81%AF&api_key=form",
        {"api_key": "query", "jurisdiction_id": "东安县"},
    )
    assert fields == {
        "service_code": "repairs",
        "description": "灯",
        "api_key": "form",
        "jurisdiction_id": "东安县",
    }


def test_a_form_that_is_not_utf_8_is_refused():
    assert refusal(lambda: inputs.form_fields(b"description=\xff\xfe", {})).code == 400


def test_the_window_defaults_to_the_last_90_days():
    window = inputs.window(None, None, now=NOW)
    assert (window.start, window.end) == (NOW - timedelta(days=90), NOW)


def test_a_datetime_without_an_offset_is_the_county_time():
    window = inputs.window("2026-05-01", "2026-05-02T00:00:00Z", now=NOW)
    assert window.start == datetime(2026, 4, 30, 16, 0, tzinfo=UTC)
    assert window.end == datetime(2026, 5, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "end", "words"),
    [
        ("2026-01-01T00:00:00Z", "2026-05-01T00:00:00Z", "at most 90 days"),
        ("2026-05-02T00:00:00Z", "2026-05-01T00:00:00Z", "after end_date"),
        ("yesterday", None, "not a W3C datetime"),
        ("0001-01-01T00:00:00+08:00", None, "out of range"),
    ],
)
def test_a_bad_window_is_refused(start, end, words):
    error = refusal(lambda: inputs.window(start, end, now=NOW))
    assert error.code == 400
    assert words in error.description


def test_a_list_filter_reads_comma_lists():
    f = inputs.read_filter(
        service_request_id=None,
        service_code="repairs, safety",
        start_date=None,
        end_date=None,
        status="open,closed",
        now=NOW,
    )
    assert f.codes == ("repairs", "safety")
    assert f.statuses == ("open", "closed")
    assert f.ids is None


@pytest.mark.parametrize(
    ("field", "value"),
    [("status", "pending"), ("service_code", "potholes"), ("service_request_id", "a b")],
)
def test_a_bad_list_filter_is_refused_naming_the_field(field, value):
    args: dict[str, str | None] = dict.fromkeys(
        ("service_request_id", "service_code", "start_date", "end_date", "status")
    )
    args[field] = value
    error = refusal(lambda: inputs.read_filter(**args, now=NOW))  # type: ignore[arg-type]
    assert error.description.startswith(f"{field}:")
