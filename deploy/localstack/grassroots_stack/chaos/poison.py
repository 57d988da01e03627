"""Malformed and oversized records, produced onto the real event topics as the stack's
super user, and what the consumer groups did with them.

Every record is keyed by a community that does not exist (`chaos-<run>`), so nothing a
consumer might wrongly apply lands on a real community's figures. What each kind must
meet, in every group that reads its topic:

- `undecodable` (not JSON, a value that is not an object, CloudEvents headers missing or
  wrong): dead-lettered by every group;
- `unknown-type` (a sound envelope of a type nobody knows): passed over, as a newer
  producer's event types are (no dead letter, the partition moves on);
- `wrong-schema` (a known type whose payload breaks its contract): dead-lettered by each
  group that has a rule for the type, passed over by the others;
- `refused` (bigger than the broker takes): refused by the broker, never stored.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.errors import MessageSizeTooLargeError
from aiokafka.record.default_records import DefaultRecordBatchBuilder
from grassroots_contracts import envelope as ce
from grassroots_contracts.topics import (
    ORGANISATION_EVENTS,
    POINTS_EVENTS,
    REQUESTS_EVENTS,
    VOLUNTEERING_EVENTS,
)
from grassroots_eventkit.kafka import client_security

from grassroots_stack import kafka, postgres
from grassroots_stack.chaos.groups import Group
from grassroots_stack.layout import Layout

# The broker's default message.max.bytes (the local stack does not change it).
BROKER_MAX_BYTES = 1_048_588
# A record whose batch is this big is stored, with no room left for the ~400 bytes of
# headers a dead-letter copy adds.
NEAR_LIMIT_BYTES = BROKER_MAX_BYTES - 100
UNDECODABLE, UNKNOWN_TYPE, WRONG_SCHEMA, REFUSED = (
    "undecodable",
    "unknown-type",
    "wrong-schema",
    "refused",
)
TOPICS = tuple(
    spec.name for spec in (ORGANISATION_EVENTS, REQUESTS_EVENTS, VOLUNTEERING_EVENTS, POINTS_EVENTS)
)
# A known type per topic that some groups apply (they have a rule for it), sent with a
# payload that lacks the contract's required fields.
KNOWN_TYPE = {
    ORGANISATION_EVENTS.name: "grassroots.organisation.MemberReported.v1",
    REQUESTS_EVENTS.name: "grassroots.requests.RequestResolved.v1",
    VOLUNTEERING_EVENTS.name: "grassroots.volunteering.HoursCertified.v1",
    POINTS_EVENTS.name: "grassroots.points.PointsEntered.v1",
}

Headers = list[tuple[str, bytes]]


@dataclass(frozen=True, slots=True)
class Poison:
    """One record to send: what it is, what it must meet, and its bytes."""

    name: str
    kind: str
    topic: str
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]


@dataclass(frozen=True, slots=True)
class Sent:
    poison: Poison
    partition: int | None  # None: the broker refused it
    offset: int | None
    refusal: str | None = None


def _headers(community: str, event_type: str, **override: str | None) -> Headers:
    values: dict[str, str | None] = {
        ce.H_ID: str(uuid.uuid4()),
        ce.H_TYPE: event_type,
        ce.H_SOURCE: "/grassroots/chaos",
        ce.H_SPECVERSION: ce.SPEC_VERSION,
        ce.H_TIME: datetime.now(UTC).isoformat(),
        ce.H_SUBJECT: f"{community}-subject",
        ce.H_COMMUNITY: community,
        ce.H_STREAM_VERSION: "1",
        ce.H_CONTENT_TYPE: ce.CONTENT_TYPE,
    }
    values |= override
    return [(k, v.encode()) for k, v in values.items() if v is not None]


def _unknown(topic: str) -> str:
    return topic.replace(".events", ".ChaosNoSuchEvent.v1")


def malformed(community: str, topics: Iterable[str] = TOPICS) -> list[Poison]:
    """Per topic: four undecodable records, one of an unknown type, one breaking its
    type's schema."""
    out: list[Poison] = []
    for topic in topics:
        known = KNOWN_TYPE[topic]
        body = json.dumps({"community_id": community}).encode()

        def one(name: str, kind: str, value: bytes | None, headers: Headers) -> Poison:
            return Poison(name, kind, topic, value, tuple(headers))  # noqa: B023 - used at once

        out += [
            one("not-json", UNDECODABLE, b"{not json at all", _headers(community, known)),
            one("json-not-object", UNDECODABLE, b"[1, 2, 3]", _headers(community, known)),
            one(
                "no-cloudevents-id",
                UNDECODABLE,
                body,
                _headers(community, known, **{ce.H_ID: None}),
            ),
            one(
                "specversion-0.3",
                UNDECODABLE,
                body,
                _headers(community, known, **{ce.H_SPECVERSION: "0.3"}),
            ),
            one("unknown-type", UNKNOWN_TYPE, body, _headers(community, _unknown(topic))),
            one("wrong-schema", WRONG_SCHEMA, body, _headers(community, known)),
        ]
    return out


def _filled(community: str, headers: Headers, wrap: bytes) -> bytes:
    """`wrap` with its `{}` filled so that the record's batch comes to NEAR_LIMIT_BYTES."""
    bare = DefaultRecordBatchBuilder.estimate_size_in_bytes(
        community.encode(), wrap.replace(b"{}", b""), headers
    )
    return wrap.replace(b"{}", b"x" * (NEAR_LIMIT_BYTES - bare))


def oversized(community: str, topic: str = REQUESTS_EVENTS.name) -> list[Poison]:
    """Twice the broker's limit (refused); just under it and not JSON (stored, then
    dead-lettered: its copy no longer fits once the error headers are added); just under
    it, sound, of an unknown type (passed over)."""
    known, unknown = _headers(community, KNOWN_TYPE[topic]), _headers(community, _unknown(topic))
    wrapped = b'{"community_id": "' + community.encode() + b'", "filler": "{}"}'
    return [
        Poison(
            "twice-the-limit",
            REFUSED,
            topic,
            b"x" * (2 * BROKER_MAX_BYTES),
            tuple(known),
        ),
        Poison(
            "near-limit-not-json",
            UNDECODABLE,
            topic,
            _filled(community, known, b"{}"),
            tuple(known),
        ),
        Poison(
            "near-limit-unknown-type",
            UNKNOWN_TYPE,
            topic,
            _filled(community, unknown, wrapped),
            tuple(unknown),
        ),
    ]


async def send(layout: Layout, poisons: Iterable[Poison], community: str) -> list[Sent]:
    """Produced one by one as the super user, each acknowledged by the broker (or refused).
    The client's own size check is set far above the broker's so the broker decides."""
    producer = AIOKafkaProducer(
        bootstrap_servers=layout.kafka_bootstrap,
        client_id="grassroots-chaos",
        acks="all",
        max_request_size=8 * BROKER_MAX_BYTES,
        request_timeout_ms=30_000,
        **client_security(kafka.admin_security(layout)),
    )
    await producer.start()
    sent: list[Sent] = []
    try:
        for poison in poisons:
            try:
                meta = await producer.send_and_wait(
                    poison.topic,
                    value=poison.value,
                    key=community.encode(),
                    headers=list(poison.headers),
                )
            except MessageSizeTooLargeError as exc:
                sent.append(Sent(poison, None, None, refusal=type(exc).__name__))
                continue
            sent.append(Sent(poison, meta.partition, meta.offset))
    finally:
        await producer.stop()
    return sent


@dataclass(frozen=True, slots=True)
class Fate:
    """What became of one sent record in one group."""

    group: str
    dead_lettered: bool


DeadLetter = tuple[str, str, int, int]  # consumer group, topic, partition, offset


async def dead_letters(layout: Layout) -> set[DeadLetter]:
    """Every record any consumer group of the stack has dead-lettered (`ek_dead_letters`
    of each service's database)."""
    rows: set[DeadLetter] = set()
    for plan in layout.services:
        conn = await asyncpg.connect(postgres.service_dsn(layout, plan.name), timeout=10)
        try:
            for r in await conn.fetch(
                'SELECT consumer, topic, partition, "offset" FROM ek_dead_letters'
            ):
                rows.add((r["consumer"], r["topic"], r["partition"], r["offset"]))
        finally:
            await conn.close()
    return rows


def fates(
    sent: list[Sent], reads: dict[Group, set[str]], letters: set[DeadLetter]
) -> dict[int, list[Fate]]:
    """Per stored record (index in `sent`): each group reading its topic, and whether it
    dead-lettered the record."""
    out: dict[int, list[Fate]] = {}
    for i, s in enumerate(sent):
        if s.partition is None or s.offset is None:
            continue
        where = (s.poison.topic, s.partition, s.offset)
        out[i] = [
            Fate(g.name, (g.name, *where) in letters)
            for g, topics in reads.items()
            if s.poison.topic in topics
        ]
    return out


def positions(sent: list[Sent]) -> set[tuple[str, int, int]]:
    return {
        (s.poison.topic, s.partition, s.offset)
        for s in sent
        if s.partition is not None and s.offset is not None
    }


@dataclass(frozen=True, slots=True)
class Judged:
    """Each sent record's fate, what was noticed, and what broke its kind's rule."""

    records: list[dict[str, Any]]
    notes: list[str]
    problems: list[str]


def judge(sent: list[Sent], fates: dict[int, list[Fate]]) -> Judged:
    """Each record against what its kind must meet (module docstring)."""
    records: list[dict[str, Any]] = []
    problems: list[str] = []
    letters: dict[str, list[int]] = {}
    for i, s in enumerate(sent):
        p, where = s.poison, f"{s.poison.name} on {s.poison.topic}"
        record: dict[str, Any] = {"record": p.name, "kind": p.kind, "topic": p.topic}
        if s.refusal is not None:
            records.append(record | {"refused": s.refusal})
            letters.setdefault(p.kind, []).append(0)
            if p.kind != REFUSED:
                problems.append(f"poison: {where} was refused by the broker")
            continue
        dead = [f.group for f in fates.get(i, []) if f.dead_lettered]
        passed = [f.group for f in fates.get(i, []) if not f.dead_lettered]
        records.append(
            record
            | {
                "partition": s.partition,
                "offset": s.offset,
                "dead_lettered_by": dead,
                "passed_over_by": passed,
            }
        )
        letters.setdefault(p.kind, []).append(len(dead))
        if p.kind == REFUSED:
            problems.append(f"poison: {where} was stored, not refused")
        elif p.kind == UNDECODABLE and passed:
            problems.append(f"poison: {where} not dead-lettered by {', '.join(passed)}")
        elif p.kind == UNKNOWN_TYPE and dead:
            problems.append(f"poison: {where} dead-lettered by {', '.join(dead)}")
        elif p.kind == WRONG_SCHEMA and not dead:
            problems.append(f"poison: {where} dead-lettered by no group")
    notes = [
        f"{kind}: {len(n)} records, {sum(n)} dead letters"
        + (" (refused by the broker)" if kind == REFUSED else "")
        for kind, n in sorted(letters.items())
    ]
    return Judged(records, notes, problems)
