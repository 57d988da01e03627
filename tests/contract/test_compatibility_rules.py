"""The backward-compatibility rules, on small hand-made JSON Schemas."""

from __future__ import annotations

from typing import Any

import pytest
from grassroots_contracts.compatibility import check
from pydantic import BaseModel, ConfigDict

pytestmark = pytest.mark.contract

STRING = {"type": "string"}
INTEGER = {"type": "integer"}
NULL = {"type": "null"}


def event(
    properties: dict[str, Any],
    required: list[str] | None = None,
    *,
    defs: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A payload schema shaped like pydantic's: required defaults to every property."""
    schema = {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": False,
        **extra,
    }
    return schema if defs is None else {**schema, "$defs": defs}


def with_address(address: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """An event whose `address` field is a $ref'd nested model."""
    return event(
        {"community_id": STRING, "address": {"$ref": "#/$defs/Address"}, **fields},
        defs={"Address": address},
    )


ADDRESS = event({"street": STRING, "number": INTEGER})


def test_no_violations_when_schemas_are_identical() -> None:
    schema = with_address(ADDRESS)
    assert check(schema, schema) == []


def test_no_violations_when_an_optional_field_is_added() -> None:
    old = event({"community_id": STRING})
    new = event({"community_id": STRING, "note": {"anyOf": [STRING, NULL]}}, ["community_id"])
    assert check(old, new) == []


def test_no_violations_when_only_annotations_change() -> None:
    old = event({"name": {"type": "string", "title": "Name"}}, title="A", description="old")
    new = event(
        {"name": {"type": "string", "title": "Full name", "description": "the name"}},
        title="B",
        examples=[{"name": "x"}],
    )
    assert check(old, new) == []


def test_violation_when_a_field_is_removed() -> None:
    old = event({"community_id": STRING, "name": STRING})
    new = event({"community_id": STRING})
    assert check(old, new) == ["$.name: field removed"]


def test_violation_when_an_optional_field_is_removed() -> None:
    old = event({"community_id": STRING, "note": STRING}, ["community_id"])
    new = event({"community_id": STRING})
    assert check(old, new) == ["$.note: field removed"]


def test_violation_when_a_new_field_is_required() -> None:
    old = event({"community_id": STRING})
    new = event({"community_id": STRING, "town": STRING})
    assert check(old, new) == ["$.town: new required field"]


def test_violation_when_an_optional_field_is_made_required() -> None:
    old = event({"community_id": STRING, "town": STRING}, ["community_id"])
    new = event({"community_id": STRING, "town": STRING})
    assert check(old, new) == ["$.town: optional field made required"]


def test_no_violations_when_a_required_field_is_made_optional() -> None:
    old = event({"community_id": STRING, "town": STRING})
    new = event({"community_id": STRING, "town": STRING}, ["community_id"])
    assert check(old, new) == []


def test_violation_when_a_field_type_changes() -> None:
    old = event({"count": STRING})
    new = event({"count": INTEGER})
    assert check(old, new) == ["$.count: type changed from string to integer"]


def test_violation_when_integer_is_widened_to_number() -> None:
    old = event({"count": INTEGER})
    new = event({"count": {"type": "number"}})
    assert check(old, new) == ["$.count: type changed from integer to number"]


def test_violation_when_a_field_becomes_nullable() -> None:
    old = event({"name": STRING})
    new = event({"name": {"anyOf": [STRING, NULL], "default": None}})
    assert check(old, new) == ["$.name: type changed from string to null | string"]


def test_violation_when_a_nullable_field_loses_null() -> None:
    old = event({"name": {"anyOf": [STRING, NULL]}}, [])
    new = event({"name": STRING}, [])
    assert check(old, new) == ["$.name: type changed from null | string to string"]


def test_no_violations_when_a_type_list_becomes_the_equivalent_any_of() -> None:
    old = event({"name": {"type": ["string", "null"]}})
    new = event({"name": {"anyOf": [STRING, NULL]}})
    assert check(old, new) == []


def test_violation_when_an_untyped_field_gets_a_type() -> None:
    old = event({"data": {}})
    new = event({"data": STRING})
    assert check(old, new) == ["$.data: type changed from any to string"]


def test_violation_when_a_nested_refd_field_changes_type() -> None:
    old = with_address(ADDRESS)
    new = with_address(event({"street": STRING, "number": STRING}))
    assert check(old, new) == ["$.address.number: type changed from integer to string"]


def test_violation_when_a_nested_refd_field_is_removed() -> None:
    old = with_address(ADDRESS)
    new = with_address(event({"street": STRING}))
    assert check(old, new) == ["$.address.number: field removed"]


def test_violation_when_a_nested_model_gains_a_required_field() -> None:
    old = with_address(ADDRESS)
    new = with_address(event({"street": STRING, "number": INTEGER, "town": STRING}))
    assert check(old, new) == ["$.address.town: new required field"]


def test_violation_when_a_refd_model_is_replaced_by_a_string() -> None:
    old = with_address(ADDRESS)
    new = event({"community_id": STRING, "address": STRING})
    assert check(old, new) == ["$.address: type changed from object to string"]


def test_no_violations_when_a_refd_model_is_renamed_or_inlined() -> None:
    old = with_address(ADDRESS)
    renamed = event(
        {"community_id": STRING, "address": {"$ref": "#/$defs/PostalAddress"}},
        defs={"PostalAddress": ADDRESS},
    )
    inlined = event({"community_id": STRING, "address": ADDRESS})
    assert check(old, renamed) == []
    assert check(old, inlined) == []


def test_violation_when_a_ref_wrapped_in_all_of_changes() -> None:
    old = event({"address": {"allOf": [{"$ref": "#/$defs/A"}]}}, defs={"A": ADDRESS})
    new = event(
        {"address": {"allOf": [{"$ref": "#/$defs/A"}]}},
        defs={"A": event({"street": STRING})},
    )
    assert check(old, new) == ["$.address.number: field removed"]


def test_violation_reported_at_each_use_when_a_shared_model_changes() -> None:
    def two_addresses(address: dict[str, Any]) -> dict[str, Any]:
        ref = {"$ref": "#/$defs/Address"}
        return event({"home": ref, "work": ref}, defs={"Address": address})

    old = two_addresses(ADDRESS)
    new = two_addresses(event({"street": STRING}))
    assert check(old, new) == ["$.home.number: field removed", "$.work.number: field removed"]


def test_check_terminates_when_models_are_recursive() -> None:
    def tree(value: dict[str, Any]) -> dict[str, Any]:
        node = event(
            {"value": value, "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}}
        )
        return {"$ref": "#/$defs/Node", "$defs": {"Node": node}}

    assert check(tree(STRING), tree(STRING)) == []
    assert check(tree(STRING), tree(INTEGER)) == ["$.value: type changed from string to integer"]


def test_violation_when_an_enum_is_narrowed() -> None:
    status = {"$ref": "#/$defs/Status"}
    old = event({"status": status}, defs={"Status": {"type": "string", "enum": ["a", "b"]}})
    new = event({"status": status}, defs={"Status": {"type": "string", "enum": ["a"]}})
    assert check(old, new) == ["$.status: enum narrowed: 'b' no longer allowed"]


def test_no_violations_when_an_enum_is_widened() -> None:
    old = event({"status": {"type": "string", "enum": ["a"]}})
    new = event({"status": {"type": "string", "enum": ["a", "b"]}})
    assert check(old, new) == []


def test_violation_when_a_free_string_becomes_an_enum() -> None:
    old = event({"status": STRING})
    new = event({"status": {"type": "string", "enum": ["open", "closed"]}})
    assert check(old, new) == ["$.status: values restricted to 'open', 'closed'"]


def test_violation_when_a_const_changes() -> None:
    old = event({"kind": {"const": "a", "type": "string"}})
    new = event({"kind": {"const": "b", "type": "string"}})
    assert check(old, new) == ["$.kind: enum narrowed: 'a' no longer allowed"]


def test_violation_when_a_format_changes() -> None:
    old = event({"at": {"type": "string", "format": "date-time"}})
    new = event({"at": {"type": "string", "format": "date"}})
    assert check(old, new) == ["$.at: format changed from date-time to date"]


def test_violation_when_a_format_is_added_or_removed() -> None:
    plain = event({"id": STRING})
    uuid = event({"id": {"type": "string", "format": "uuid"}})
    assert check(plain, uuid) == ["$.id: format changed from none to uuid"]
    assert check(uuid, plain) == ["$.id: format changed from uuid to none"]


def test_violation_when_additional_properties_are_forbidden() -> None:
    old = {"type": "object", "properties": {"a": STRING}, "required": ["a"]}
    new = {**old, "additionalProperties": False}
    assert check(old, new) == [
        "$: additionalProperties tightened: extra properties were allowed, now forbidden"
    ]


def test_violation_when_additional_properties_go_from_true_to_a_schema() -> None:
    old = event({"labels": {"type": "object", "additionalProperties": True}})
    new = event({"labels": {"type": "object", "additionalProperties": STRING}})
    assert check(old, new) == [
        "$.labels: additionalProperties tightened: "
        "extra properties were allowed, now restricted by a schema"
    ]


def test_violation_when_additional_properties_go_from_a_schema_to_false() -> None:
    old = event({"labels": {"type": "object", "additionalProperties": STRING}})
    new = event({"labels": {"type": "object", "additionalProperties": False}})
    assert check(old, new) == [
        "$.labels: additionalProperties tightened: "
        "extra properties were restricted by a schema, now forbidden"
    ]


def test_no_violations_when_additional_properties_are_loosened() -> None:
    old = event({"a": STRING})
    new = {key: value for key, value in old.items() if key != "additionalProperties"}
    assert check(old, new) == []


def test_violation_when_a_mapping_value_type_changes() -> None:
    old = event({"labels": {"type": "object", "additionalProperties": STRING}})
    new = event({"labels": {"type": "object", "additionalProperties": INTEGER}})
    assert check(old, new) == ["$.labels.*: type changed from string to integer"]


def test_violation_when_array_items_change_type() -> None:
    old = event({"tags": {"type": "array", "items": STRING}})
    new = event({"tags": {"type": "array", "items": INTEGER}})
    assert check(old, new) == ["$.tags[]: type changed from string to integer"]


def test_violation_when_a_model_in_an_array_loses_a_field() -> None:
    old = event({"stops": {"type": "array", "items": {"$ref": "#/$defs/A"}}}, defs={"A": ADDRESS})
    new = event(
        {"stops": {"type": "array", "items": {"$ref": "#/$defs/A"}}},
        defs={"A": event({"number": INTEGER})},
    )
    assert check(old, new) == ["$.stops[].street: field removed"]


def test_violation_when_a_tuple_changes() -> None:
    old = event({"point": {"type": "array", "prefixItems": [INTEGER, INTEGER]}})
    longer = event({"point": {"type": "array", "prefixItems": [INTEGER, INTEGER, INTEGER]}})
    retyped = event({"point": {"type": "array", "prefixItems": [INTEGER, STRING]}})
    assert check(old, longer) == ["$.point: tuple length changed from 2 to 3"]
    assert check(old, retyped) == ["$.point[1]: type changed from integer to string"]


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ({}, {"maxLength": 10}, "maxLength tightened from none to 10"),
        ({"maxLength": 20}, {"maxLength": 10}, "maxLength tightened from 20 to 10"),
        ({"minLength": 1}, {"minLength": 2}, "minLength tightened from 1 to 2"),
        ({}, {"pattern": "^[a-z]+$"}, "pattern changed from none to ^[a-z]+$"),
        ({"pattern": "^a"}, {"pattern": "^b"}, "pattern changed from ^a to ^b"),
    ],
)
def test_violation_when_a_string_constraint_is_tightened(
    old: dict[str, Any], new: dict[str, Any], problem: str
) -> None:
    assert check(event({"name": {**STRING, **old}}), event({"name": {**STRING, **new}})) == [
        f"$.name: {problem}"
    ]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ({"maxLength": 10}, {"maxLength": 20}),
        ({"maxLength": 10}, {}),
        ({"minLength": 2}, {"minLength": 1}),
        ({"pattern": "^a"}, {}),
    ],
)
def test_no_violations_when_a_string_constraint_is_loosened(
    old: dict[str, Any], new: dict[str, Any]
) -> None:
    assert check(event({"name": {**STRING, **old}}), event({"name": {**STRING, **new}})) == []


def test_violation_when_a_number_bound_is_tightened() -> None:
    old = event({"version": {"type": "integer", "minimum": 1}})
    new = event({"version": {"type": "integer", "minimum": 2, "maximum": 9}})
    assert check(old, new) == [
        "$.version: minimum tightened from 1 to 2",
        "$.version: maximum tightened from none to 9",
    ]


def test_violation_when_a_union_member_is_removed() -> None:
    defs = {"Cash": event({"amount": INTEGER}), "Card": event({"last4": STRING})}
    members = [{"$ref": "#/$defs/Cash"}, {"$ref": "#/$defs/Card"}]
    old = event({"payment": {"anyOf": members}}, defs=defs)
    new = event({"payment": {"anyOf": members[:1]}}, defs=defs)
    assert check(old, new) == ["$.payment: union member Card removed"]
    assert check(new, old) == []


def test_violation_when_a_union_member_changes() -> None:
    def schema(card: dict[str, Any]) -> dict[str, Any]:
        members = {"oneOf": [{"$ref": "#/$defs/Cash"}, {"$ref": "#/$defs/Card"}]}
        defs = {"Cash": event({"amount": INTEGER}), "Card": card}
        return event({"payment": members}, defs=defs)

    old = schema(event({"last4": STRING}))
    new = schema(event({"last4": INTEGER}))
    assert check(old, new) == ["$.payment.last4: type changed from string to integer"]


def test_every_violation_is_reported_when_several_rules_break() -> None:
    old = event({"a": STRING, "b": STRING, "c": STRING}, ["a"])
    new = event({"a": INTEGER, "c": STRING, "d": STRING}, ["a", "c", "d"])
    assert check(old, new) == [
        "$.a: type changed from string to integer",
        "$.b: field removed",
        "$.c: optional field made required",
        "$.d: new required field",
    ]


def test_value_error_when_a_ref_does_not_resolve() -> None:
    schema = event({"address": {"$ref": "#/$defs/Missing"}})
    with pytest.raises(ValueError, match="does not resolve"):
        check(schema, schema)


def test_value_error_when_a_ref_is_not_local() -> None:
    schema = event({"address": {"$ref": "https://example.org/address.json"}})
    with pytest.raises(ValueError, match="only local"):
        check(schema, schema)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _PlaceV1(_Frozen):
    name: str


class _RegisteredV1(_Frozen):
    community_id: str
    place: _PlaceV1


class _PlaceV2(_Frozen):
    name: str
    postcode: str | None = None


class _RegisteredWithOptionals(_Frozen):
    community_id: str
    place: _PlaceV2
    note: str | None = None


class _PlaceBroken(_Frozen):
    name: int


class _RegisteredBroken(_Frozen):
    community_id: str
    place: _PlaceBroken


def test_no_violations_when_pydantic_models_only_gain_optional_fields() -> None:
    old = _RegisteredV1.model_json_schema()
    new = _RegisteredWithOptionals.model_json_schema()
    assert check(old, new) == []


def test_violation_when_a_pydantic_nested_model_changes_a_type() -> None:
    old = _RegisteredV1.model_json_schema()
    new = _RegisteredBroken.model_json_schema()
    assert check(old, new) == ["$.place.name: type changed from string to integer"]
