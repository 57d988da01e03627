"""Every public event model keeps the house rules of a contract."""

from __future__ import annotations

import importlib
import pkgutil
import re

import grassroots_contracts
import pytest
from grassroots_contracts.events import PublicEvent
from grassroots_contracts.registry import BY_TYPE, PUBLIC_EVENTS
from grassroots_contracts.topics import ALL_TOPICS
from pydantic import ValidationError

pytestmark = pytest.mark.contract

EVENT_TYPE = re.compile(r"^grassroots\.[a-z]+\.[A-Z][A-Za-z]+\.v[0-9]+$")


def by_type(event: type[PublicEvent]) -> str:
    return event.event_type


def all_subclasses(cls: type[PublicEvent]) -> set[type[PublicEvent]]:
    direct = set(cls.__subclasses__())
    return direct.union(*(all_subclasses(sub) for sub in direct))


@pytest.mark.parametrize("event", PUBLIC_EVENTS, ids=by_type)
def test_event_is_frozen_when_built_from_its_example(event: type[PublicEvent]) -> None:
    assert event.model_config.get("frozen") is True
    instance = event.model_validate(event.example)
    field = next(iter(type(instance).model_fields))
    with pytest.raises(ValidationError):
        setattr(instance, field, getattr(instance, field))


@pytest.mark.parametrize("event", PUBLIC_EVENTS, ids=by_type)
def test_event_rejects_extra_fields_when_validated(event: type[PublicEvent]) -> None:
    assert event.model_config.get("extra") == "forbid"
    with pytest.raises(ValidationError):
        event.model_validate({**event.example, "unexpected": "field"})


@pytest.mark.parametrize("event", PUBLIC_EVENTS, ids=by_type)
def test_event_type_is_versioned_and_namespaced_when_declared(event: type[PublicEvent]) -> None:
    assert EVENT_TYPE.match(event.event_type), event.event_type
    assert event.event_type == f"{event.type_name()}.v{event.version()}"


@pytest.mark.parametrize("event", PUBLIC_EVENTS, ids=by_type)
def test_event_topic_is_a_known_public_topic_when_declared(event: type[PublicEvent]) -> None:
    public_topics = {topic.name for topic in ALL_TOPICS if topic.public}
    assert event.topic in public_topics


@pytest.mark.parametrize("event", PUBLIC_EVENTS, ids=by_type)
def test_event_is_documented_when_declared(event: type[PublicEvent]) -> None:
    # The docstring is the event's summary in the AsyncAPI catalogue.
    assert event.__dict__.get("__doc__"), event.__name__


def test_event_types_are_unique_when_registered() -> None:
    assert len(BY_TYPE) == len(PUBLIC_EVENTS)


def test_every_public_event_is_registered_when_the_package_is_imported() -> None:
    for module in pkgutil.walk_packages(
        grassroots_contracts.__path__, f"{grassroots_contracts.__name__}."
    ):
        if module.name != f"{grassroots_contracts.__name__}.__main__":
            importlib.import_module(module.name)
    package = f"{grassroots_contracts.__name__}."
    # Intermediate bases (a module's shared `topic`) declare no event type of their own.
    declared = {
        cls
        for cls in all_subclasses(PublicEvent)
        if cls.__module__.startswith(package) and "event_type" in cls.__dict__
    }
    assert declared <= set(PUBLIC_EVENTS)
