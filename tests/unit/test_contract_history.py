"""The compatibility history gains an entry for each new type, new version or added field."""

from __future__ import annotations

from datetime import date

import pytest
from grassroots_contracts import history
from grassroots_contracts.catalogue import event_schemas

pytestmark = pytest.mark.unit

DAY = date(2026, 12, 1)
OLD = {"properties": {"a": {"type": "string"}}}
WIDER = {"properties": {"a": {"type": "string"}, "b": {"type": "integer"}}}
INTRODUCED = history.Entry(version=1, date="2026-11-29", change="introduced", compatible=True)


def test_a_new_event_type_is_recorded_as_introduced_when_first_written():
    new = history.updated({}, {}, {"grassroots.x.Thing.v1": OLD}, today=DAY)
    assert new == {"grassroots.x.Thing": [{**INTRODUCED, "date": "2026-12-01"}]}


def test_an_added_optional_field_is_recorded_as_compatible_when_the_schema_grows():
    known = {"grassroots.x.Thing": [INTRODUCED]}
    new = history.updated(
        known, {"grassroots.x.Thing.v1": OLD}, {"grassroots.x.Thing.v1": WIDER}, today=DAY
    )
    assert new["grassroots.x.Thing"][-1] == {
        "version": 1,
        "date": "2026-12-01",
        "change": "added optional field(s): b",
        "compatible": True,
    }


def test_a_new_version_is_recorded_as_breaking_when_it_replaces_an_older_one():
    known = {"grassroots.x.Thing": [INTRODUCED]}
    current = {"grassroots.x.Thing.v1": OLD, "grassroots.x.Thing.v2": WIDER}
    new = history.updated(known, {"grassroots.x.Thing.v1": OLD}, current, today=DAY)
    last = new["grassroots.x.Thing"][-1]
    assert (last["version"], last["compatible"]) == (2, False)
    assert "replaces v1" in last["change"]


def test_nothing_is_recorded_when_nothing_changed():
    known = {"grassroots.x.Thing": [INTRODUCED]}
    schemas = {"grassroots.x.Thing.v1": OLD}
    assert history.updated(known, schemas, schemas, today=DAY) == known


def test_check_names_an_event_type_the_history_misses():
    assert history.problems({}, {"grassroots.x.Thing.v1": OLD}) == [
        "grassroots.x.Thing.v1: not in the compatibility history; run `make contracts` "
        "(python -m grassroots_contracts write)"
    ]


def test_the_shipped_history_knows_every_public_event_when_loaded_from_the_package():
    assert history.problems(history.load(), event_schemas()) == []
