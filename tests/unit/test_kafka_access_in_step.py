"""The Kafka grants stay in step with what the services produce and consume (ADR 0015).

The table in grassroots_stack.kafka_access is written by hand; these tests build each
service's spec (no I/O: projectors are plain objects until they run) and compare.
"""

from __future__ import annotations

import importlib
import inspect
import types
from typing import Any

import pytest
from grassroots_contracts.topics import ALL_TOPICS, dead_letter_topic
from grassroots_stack import agencies
from grassroots_stack.kafka_access import (
    SERVICE_CONSUMES,
    agency_grants,
    service_grants,
)
from grassroots_stack.layout import load_layout

pytestmark = pytest.mark.unit

SERVICES = [plan.name for plan in load_layout().services]


def _spec_and_projectors(name: str) -> tuple[Any, list[Any]]:
    app = importlib.import_module(f"{name}_service.app")
    config = importlib.import_module(f"{name}_service.config")
    settings_class = next(
        value
        for key, value in vars(config).items()
        if key.endswith("Settings")
        and isinstance(value, type)
        and value.__module__ == config.__name__
    )
    settings = settings_class(service_name=name, pg_dsn="postgresql://nobody@127.0.0.1/none")
    spec = app.spec(settings) if inspect.signature(app.spec).parameters else app.spec()
    # Only what building the projectors reads; nothing here is started or connected.
    runtime = types.SimpleNamespace(
        store=None, pool=None, extras={}, settings=settings, spec=spec,
        source=lambda: f"/grassroots/{name}",
    )  # fmt: skip
    return spec, list(spec.projectors(runtime))


def _matches(grant_name: str, pattern: str, resource: str) -> bool:
    return resource.startswith(grant_name) if pattern == "prefixed" else resource == grant_name


def _allowed(grants: list[Any], resource: str, name: str, operation: str) -> bool:
    return any(
        g.resource == resource and g.operation == operation and _matches(g.name, g.pattern, name)
        for g in grants
    )


@pytest.mark.parametrize("name", SERVICES)
def test_a_service_reads_exactly_what_its_consumers_subscribe_to(name: str) -> None:
    _, projectors = _spec_and_projectors(name)
    subscribed = {topic for projector in projectors for topic in projector.topics}
    assert {spec.name for spec in SERVICE_CONSUMES[name]} == subscribed
    grants = service_grants(name)
    for topic in subscribed:
        assert _allowed(grants, "topic", topic, "read"), topic
    for spec in ALL_TOPICS:
        if spec.name not in subscribed:
            assert not _allowed(grants, "topic", spec.name, "read"), spec.name


@pytest.mark.parametrize("name", SERVICES)
def test_a_service_may_use_its_groups_and_dead_letters_when_its_consumers_run(name: str) -> None:
    _, projectors = _spec_and_projectors(name)
    grants = service_grants(name)
    for projector in projectors:
        for suffix in ("", ".restart-1a2b3c4d"):
            group = projector.group + suffix
            assert _allowed(grants, "group", group, "read"), group
            for operation in ("write", "create", "describe"):
                assert _allowed(grants, "topic", dead_letter_topic(group), operation), group


@pytest.mark.parametrize("name", SERVICES)
def test_a_service_writes_its_own_topics_and_no_other_when_granted(name: str) -> None:
    spec, _ = _spec_and_projectors(name)
    grants = service_grants(name)
    for topic in spec.produces:
        assert _allowed(grants, "topic", topic.name, "write")
        assert _allowed(grants, "topic", topic.name, "create")
    for other in ALL_TOPICS:
        if other not in spec.produces:
            assert not _allowed(grants, "topic", other.name, "write"), other.name
    for other in SERVICES:
        if other != name:
            letters = dead_letter_topic(f"grassroots.{other}.readmodel")
            assert not _allowed(grants, "topic", letters, "write")
            assert not _allowed(grants, "group", f"grassroots.{other}.readmodel", "read")


def test_an_agency_reads_the_public_topics_in_its_own_groups_only_when_granted() -> None:
    grants = agency_grants("agency-civil-affairs")
    assert {g.operation for g in grants} == {"read", "describe"}
    public = {spec.name for spec in ALL_TOPICS if spec.public}
    assert {g.name for g in grants if g.resource == "topic"} == public
    assert all(g.pattern == "literal" for g in grants if g.resource == "topic")
    assert not _allowed(grants, "topic", dead_letter_topic("grassroots.points.policies"), "read")
    assert _allowed(grants, "group", "agency-civil-affairs.dashboard", "read")
    assert not _allowed(grants, "group", "agency-civil-affairs-east.dashboard", "read")
    assert not _allowed(grants, "group", "grassroots.projections.communities", "read")


@pytest.mark.parametrize(
    "name", ["abc", "civil-affairs", "health2", "a-b-c", "x" * 40, "stats-bureau-01"]
)
def test_an_agency_name_is_accepted_when_it_follows_the_rule(name: str) -> None:
    assert agencies.principal_of(name) == f"agency-{name}"


@pytest.mark.parametrize(
    "name", ["", "ab", "x" * 41, "Civil", "civil_affairs", "a.b", "-abc", "abc-", "a--b", "9a"]
)
def test_an_agency_name_is_refused_with_the_rule_when_it_breaks_it(name: str) -> None:
    with pytest.raises(agencies.AgencyError, match="lower-case letters, digits and hyphens"):
        agencies.principal_of(name)
