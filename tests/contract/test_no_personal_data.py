"""No public event can carry personal data: every text field says why it is safe."""

from __future__ import annotations

import re
from typing import Any

import pytest
from grassroots_contracts.events import PublicEvent
from grassroots_contracts.privacy import findings, markers
from grassroots_contracts.registry import PUBLIC_EVENTS

pytestmark = pytest.mark.contract

# What an id minted by a service looks like (UUIDs, `county:<name>` keys): no spaces,
# no sentence; a name or a phrase marked as an id would not pass.
ID_SHAPE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$|^county:[^\s]{1,32}$")


def by_type(event: type[PublicEvent]) -> str:
    return event.event_type


def values_at(payload: Any, path: str) -> list[Any]:
    """The example's values at a marker path such as `households[].room`."""
    found = [payload]
    for part in path.split("."):
        many = part.endswith("[]")
        key = part.removesuffix("[]")
        found = [item.get(key) for item in found if isinstance(item, dict)]
        if many:
            found = [v for item in found if isinstance(item, list) for v in item]
    flat = [v for item in found for v in (item if isinstance(item, list) else [item])]
    return [v for v in flat if v is not None]


@pytest.mark.parametrize("event", PUBLIC_EVENTS, ids=by_type)
def test_no_field_can_hold_personal_data_when_the_event_is_public(
    event: type[PublicEvent],
) -> None:
    assert findings(event) == []


@pytest.mark.parametrize("event", PUBLIC_EVENTS, ids=by_type)
def test_fields_marked_as_ids_hold_ids_in_the_example_when_declared(
    event: type[PublicEvent],
) -> None:
    ids = [path for path, marker in markers(event).items() if marker.kind == "id"]
    for path in ids:
        for value in values_at(event.example, path):
            assert isinstance(value, str), (path, value)
            assert ID_SHAPE.match(value), (path, value)


def test_every_marker_gives_a_reason_when_a_field_is_declared_not_personal() -> None:
    reasons = {m.reason for event in PUBLIC_EVENTS for m in markers(event).values()}
    assert reasons
    assert all(len(reason) >= 20 for reason in reasons)
