"""CloudEvents binary mode: encode and decode, and what counts as poison."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from grassroots_contracts import envelope as ce
from grassroots_contracts.envelope import EnvelopeMeta
from grassroots_contracts.organisation import CommunityRegistered
from grassroots_eventkit.codec import UndecodableMessage, decode, encode

pytestmark = pytest.mark.unit

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
EVENT = CommunityRegistered(
    community_id="c1", name="茶亭社区", county="东安县", town="白牙市镇", registered_at=NOW
)
META = EnvelopeMeta(
    event_id=uuid.UUID(int=7),
    event_type=EVENT.event_type,
    source="/grassroots/organisation",
    time=NOW,
    subject="c1",
    community_id="c1",
    stream_version=1,
    correlation_id="r-1",
    causation_id="r-1",
    actor="admin-1",
)


def test_an_event_round_trips_through_kafka_headers_and_value():
    record = encode(EVENT, META)
    assert record.topic == "grassroots.organisation.events"
    assert record.key == b"c1"  # the community: its events share a partition
    headers = dict(record.headers)
    assert headers[ce.H_TYPE] == b"grassroots.organisation.CommunityRegistered.v1"
    assert headers[ce.H_SPECVERSION] == b"1.0"
    assert headers[ce.H_CONTENT_TYPE] == b"application/json"
    received = decode(record.topic, 3, 42, record.value, record.headers)
    assert received.meta.__class__.__name__ == "ReceivedMeta"
    assert {f: getattr(received.meta, f) for f in EnvelopeMeta.model_fields} == META.model_dump()
    assert received.parse(CommunityRegistered) == EVENT
    assert (received.partition, received.offset) == (3, 42)


def test_optional_extensions_are_left_out_when_absent():
    record = encode(EVENT, META.model_copy(update={"actor": None, "correlation_id": None}))
    names = {name for name, _ in record.headers}
    assert ce.H_ACTOR not in names
    assert ce.H_CORRELATION not in names


def test_encoding_refuses_metadata_of_another_type():
    with pytest.raises(ValueError, match="meta says"):
        encode(EVENT, META.model_copy(update={"event_type": "grassroots.x.Other.v1"}))


def _without(name: str):
    record = encode(EVENT, META)
    return [(k, v) for k, v in record.headers if k != name], record.value


@pytest.mark.parametrize(
    ("headers", "value", "reason"),
    [
        (*_without(ce.H_ID), "missing CloudEvents headers: ce_id"),
        (*_without(ce.H_COMMUNITY), "ce_communityid"),
        (
            [(k, b"0.3" if k == ce.H_SPECVERSION else v) for k, v in encode(EVENT, META).headers],
            encode(EVENT, META).value,
            "unsupported specversion",
        ),
        (
            [(k, b"nope" if k == ce.H_ID else v) for k, v in encode(EVENT, META).headers],
            encode(EVENT, META).value,
            "bad CloudEvents header",
        ),
        (
            [(k, b"\xff" if k == ce.H_SUBJECT else v) for k, v in encode(EVENT, META).headers],
            encode(EVENT, META).value,
            "not UTF-8",
        ),
        (list(encode(EVENT, META).headers), b"{oops", "not JSON"),
        (list(encode(EVENT, META).headers), b"[1, 2]", "not a JSON object"),
        (list(encode(EVENT, META).headers), None, "empty value"),
    ],
)
def test_a_message_is_poison_when_it_breaks_the_envelope_contract(headers, value, reason):
    with pytest.raises(UndecodableMessage, match=reason):
        decode("t", 0, 0, value, headers)
