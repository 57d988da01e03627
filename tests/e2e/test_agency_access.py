"""Outside agencies and services on a broker that denies what no ACL allows (ADR 0015/0016).

Against the running stack: agencies are made with the real CLI, read with real clients
(aiokafka here, confluent-kafka in the example subscriber), and the brokers' refusals
are the ones a partner would meet.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    TopicAuthorizationFailedError,
)
from confluent_kafka import Consumer
from grassroots_contracts.topics import (
    ALL_TOPICS,
    ORGANISATION_EVENTS,
    POINTS_EVENTS,
    dead_letter_topic,
)
from grassroots_eventkit.kafka import client_security
from grassroots_eventkit.settings import KafkaSecurity
from pydantic import SecretStr

from tests.support.kafka import read_until
from tests.support.org_client import Org
from tests.support.stack import ROOT, Stack

pytestmark = pytest.mark.e2e

COUNTY = "东安县"
# A dead-letter topic every stack has: the organisation service's read model's.
ORGANISATION_DLQ = dead_letter_topic("grassroots.organisation.readmodel")


@dataclass(frozen=True)
class Credentials:
    name: str
    username: str
    password: str
    group_prefix: str
    topics: list[str]

    def security(self, password: str | None = None) -> KafkaSecurity:
        return KafkaSecurity(
            security_protocol="SASL_PLAINTEXT",
            sasl_mechanism="SCRAM-SHA-512",
            username=self.username,
            password=SecretStr(password or self.password),
        )


def grassroots(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "grassroots_stack", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def add_agency(name: str | None = None) -> Credentials:
    name = name or f"test-{uuid.uuid4().hex[:8]}"
    done = grassroots("agencies", "add", name, "--actor", "pytest")
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    return Credentials(
        name=name,
        username=printed["username"],
        password=printed["password"],
        group_prefix=printed["group_prefix"],
        topics=printed["topics"],
    )


@pytest.fixture
def agency() -> Iterator[Credentials]:
    made = add_agency()
    yield made
    grassroots("agencies", "remove", made.name, "--actor", "pytest")


def consumer(stack: Stack, security: KafkaSecurity, group: str | None = None) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        bootstrap_servers=stack.kafka,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        request_timeout_ms=10_000,
        **client_security(security),
    )


async def fetch_once(stack: Stack, security: KafkaSecurity, topic: str) -> None:
    """Assign every partition of `topic` and fetch from the beginning once."""
    reader = consumer(stack, security)
    try:
        await reader.start()
        tps = [TopicPartition(topic, p) for p in range(_partitions(topic))]
        reader.assign(tps)
        await reader.seek_to_beginning(*tps)
        await reader.getmany(timeout_ms=2000)
    finally:
        await reader.stop()


async def join_group(
    stack: Stack, security: KafkaSecurity, group: str, topic: str, *, wanted: int = 1
) -> int:
    """Join `group`, read `topic` until `wanted` records came (or 30 s), commit; how many."""
    reader = consumer(stack, security, group)
    reader.subscribe([topic])
    try:
        await reader.start()
        deadline = time.monotonic() + 30
        read = 0
        while time.monotonic() < deadline and read < wanted:
            read += sum(len(r) for r in (await reader.getmany(timeout_ms=500)).values())
        await reader.commit()
        return read
    finally:
        await reader.stop()


def refusal(
    stack: Stack,
    security: KafkaSecurity,
    topic: str,
    group: str,
    *,
    after_first_message: Callable[[], None] | None = None,
    within: float = 20.0,
) -> str | None:
    """Subscribe with confluent-kafka (librdkafka reports a broker's refusal as an error
    event, where aiokafka retries quietly) and poll: the first error's name, or None.

    With `after_first_message`, it is called once a message has arrived, and only the
    errors after that count.
    """
    assert security.password is not None
    reader = Consumer(
        {
            "bootstrap.servers": stack.kafka,
            "security.protocol": security.security_protocol,
            "sasl.mechanism": security.sasl_mechanism,
            "sasl.username": security.username,
            "sasl.password": security.password.get_secret_value(),
            "group.id": group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    reader.subscribe([topic])
    waiting_for_first = after_first_message is not None
    try:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            message = reader.poll(0.5)
            if message is None:
                continue
            if message.error() is not None:
                if waiting_for_first:
                    raise AssertionError(f"refused before it read: {message.error()}")
                return str(message.error().name())
            if waiting_for_first and after_first_message is not None:
                after_first_message()
                waiting_for_first = False
                deadline = time.monotonic() + within
        return None
    finally:
        reader.close()


def _partitions(topic: str) -> int:
    spec = next((s for s in ALL_TOPICS if s.name == topic), None)
    return spec.partitions if spec else 1


async def end_offsets(stack: Stack, topic: str) -> int:
    reader = consumer(stack, stack.kafka_security)
    await reader.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(_partitions(topic))]
        return sum((await reader.end_offsets(tps)).values())
    finally:
        await reader.stop()


# ---------------------------------------------------------------- what an agency may do


async def test_an_agency_reads_every_public_topic_to_its_end_when_added(stack, agency):
    assert sorted(agency.topics) == sorted(s.name for s in ALL_TOPICS if s.public)
    for topic in agency.topics:
        records = await read_until(
            stack.kafka, topic, expected=0, timeout=30, security=agency.security()
        )
        assert len(records) == await end_offsets(stack, topic), topic


async def test_an_agency_consumes_in_a_group_under_its_own_prefix_when_it_subscribes(stack, agency):
    Org(stack, stack.token("county_admin", county=COUNTY)).community(COUNTY)
    group = f"{agency.group_prefix}dashboard"
    read = await join_group(stack, agency.security(), group, ORGANISATION_EVENTS.name)
    assert read >= 1
    assert agency.group_prefix == f"agency-{agency.name}."


def test_the_example_subscriber_prints_cloud_events_when_an_agency_runs_it(stack, agency, tmp_path):
    community = Org(stack, stack.token("county_admin", county=COUNTY)).community(COUNTY)
    password_file = tmp_path / "password"
    password_file.write_text(agency.password)
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "deploy" / "examples" / "agency_subscriber.py"),
            "--bootstrap",
            stack.kafka,
            "--username",
            agency.username,
            "--password-file",
            str(password_file),
            "--topic",
            ORGANISATION_EVENTS.name,
            "--idle-exit",
            "5",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert events, done.stderr
    assert all(e["specversion"] == "1.0" for e in events)
    assert all(e["type"].startswith("grassroots.organisation.") for e in events)
    assert all(e["datacontenttype"] == "application/json" for e in events)
    mine = [e for e in events if e["subject"] == community]
    assert mine
    assert mine[0]["type"] == "grassroots.organisation.CommunityRegistered.v1"
    assert mine[0]["data"]["community_id"] == community
    assert f"{len(events)} events" in done.stderr


# ---------------------------------------------------------------- what an agency may not do


def test_an_agency_is_refused_when_it_reads_a_dead_letter_topic(stack, agency):
    group = f"{agency.group_prefix}letters"
    refused = refusal(stack, agency.security(), ORGANISATION_DLQ, group)
    assert refused == "TOPIC_AUTHORIZATION_FAILED"


async def test_an_agency_is_refused_when_it_produces_to_a_public_topic(stack, agency):
    producer = AIOKafkaProducer(
        bootstrap_servers=stack.kafka,
        request_timeout_ms=10_000,
        **client_security(agency.security()),
    )
    await producer.start()
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            await producer.send_and_wait(ORGANISATION_EVENTS.name, b"{}", key=b"forged")
    finally:
        await producer.stop()
    # Nothing reached the topic: the last record is still a real service's.
    last = await read_until(
        stack.kafka, ORGANISATION_EVENTS.name, expected=0, timeout=30, security=stack.kafka_security
    )
    assert all(r.key != b"forged" for r in last)


async def test_an_agency_is_refused_when_it_uses_another_agencys_group(stack, agency):
    other = add_agency()
    try:
        with pytest.raises(GroupAuthorizationFailedError):
            await join_group(
                stack, agency.security(), f"{other.group_prefix}stolen", ORGANISATION_EVENTS.name
            )
        with pytest.raises(GroupAuthorizationFailedError):
            await join_group(
                stack,
                agency.security(),
                "grassroots.projections.communities",
                ORGANISATION_EVENTS.name,
            )
    finally:
        grassroots("agencies", "remove", other.name, "--actor", "pytest")


async def test_a_removed_agency_is_refused_at_once_even_on_an_open_connection(stack):
    gone = add_agency()
    Org(stack, stack.token("county_admin", county=COUNTY)).community(COUNTY)
    removed_at: list[float] = []

    def remove() -> None:
        done = grassroots("agencies", "remove", gone.name, "--actor", "pytest")
        assert done.returncode == 0, done.stderr
        removed_at.append(time.monotonic())

    # Reading in its own group on an open connection, then removed mid-read.
    refused = refusal(
        stack,
        gone.security(),
        ORGANISATION_EVENTS.name,
        f"{gone.group_prefix}live",
        after_first_message=remove,
    )
    assert refused in ("TOPIC_AUTHORIZATION_FAILED", "GROUP_AUTHORIZATION_FAILED")
    assert time.monotonic() - removed_at[0] < 10
    # And a new connection is not even authenticated: the credential is gone.
    with pytest.raises(KafkaConnectionError):
        await fetch_once(stack, gone.security(), ORGANISATION_EVENTS.name)


async def test_the_old_password_is_refused_when_an_agency_rotates(stack, agency):
    rotated = grassroots("agencies", "rotate", agency.name, "--actor", "pytest")
    assert rotated.returncode == 0, rotated.stderr
    new_password = json.loads(rotated.stdout)["password"]
    assert new_password != agency.password
    with pytest.raises(KafkaConnectionError):
        await fetch_once(stack, agency.security(), ORGANISATION_EVENTS.name)
    await fetch_once(stack, agency.security(new_password), ORGANISATION_EVENTS.name)


# ---------------------------------------------------------------- services' own principals


async def test_a_service_is_refused_when_it_writes_another_services_topic(stack):
    requests_service = stack.kafka_principal("service-requests")
    producer = AIOKafkaProducer(
        bootstrap_servers=stack.kafka,
        request_timeout_ms=10_000,
        **client_security(requests_service),
    )
    await producer.start()
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            await producer.send_and_wait(ORGANISATION_EVENTS.name, b"{}", key=b"forged")
    finally:
        await producer.stop()


def test_a_service_is_refused_when_it_reads_a_topic_it_does_not_consume(stack):
    # The requests service consumes organisation and requests events, not points events.
    group = f"grassroots.requests.probe-{uuid.uuid4().hex[:8]}"
    service = stack.kafka_principal("service-requests")
    assert refusal(stack, service, POINTS_EVENTS.name, group) == "TOPIC_AUTHORIZATION_FAILED"


# ---------------------------------------------------------------- the CLI and its ledger


def test_every_change_is_in_the_ledger_with_who_and_which_acls_when_logged(stack):
    made = add_agency()
    assert grassroots("agencies", "rotate", made.name, "--actor", "pytest").returncode == 0
    assert grassroots("agencies", "remove", made.name, "--actor", "pytest").returncode == 0
    done = grassroots("agencies", "log")
    assert done.returncode == 0, done.stderr
    mine = [e for e in map(json.loads, done.stdout.splitlines()) if e["agency"] == made.name]
    assert [e["action"] for e in mine] == ["add", "rotate", "remove"]
    assert {e["actor"] for e in mine} == {"pytest"}
    assert f"read topic {ORGANISATION_EVENTS.name}" in mine[0]["acls_added"]
    assert f"read group agency-{made.name}.*" in mine[0]["acls_added"]
    assert sorted(mine[2]["acls_removed"]) == sorted(mine[0]["acls_added"])
    assert not Path(stack.kafka_password_file(made.username)).exists()


@pytest.mark.parametrize("bad", ["Civil", "ab", "x_y", "a.b", "ab c", "abc-", "a--b", "9lives"])
def test_a_bad_agency_name_is_refused_with_the_rule_when_added(stack, bad):
    done = grassroots("agencies", "add", bad)
    assert done.returncode == 2
    assert "not valid" in done.stderr
    assert "lower-case letters, digits and hyphens" in " ".join(done.stderr.split())
    assert grassroots("agencies", "list").stdout.count(f"agency-{bad}") == 0


def test_an_agency_is_refused_when_added_twice_or_rotated_unknown(stack, agency):
    again = grassroots("agencies", "add", agency.name)
    assert again.returncode == 2
    assert "exists already" in again.stderr
    unknown = grassroots("agencies", "rotate", f"none-{uuid.uuid4().hex[:6]}")
    assert unknown.returncode == 2
    assert "no agency" in unknown.stderr


def test_the_listing_shows_an_agency_with_its_grants_when_added(stack, agency):
    done = grassroots("agencies", "list")
    assert done.returncode == 0, done.stderr
    assert agency.username in done.stdout
