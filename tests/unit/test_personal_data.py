"""Personal data in the event store: the master key, sealed fields and erasure, on pure
code and the in-memory store (the PostgreSQL vault: tests/integration/test_key_vault.py)."""

from __future__ import annotations

import base64
import json
from collections.abc import Collection
from uuid import uuid4

import pytest
from grassroots_eventkit.commands import CommandContext, CommandRunner
from grassroots_eventkit.domain import DomainEvent
from grassroots_eventkit.personal import (
    ERASED_TEXT,
    SEALED,
    MasterKey,
    PersonalFields,
    Sealer,
    Tampered,
    WrongMasterKey,
)
from grassroots_eventkit.personal.cipher import (
    new_data_key,
    new_master_key_text,
    open_blob,
    parse_master_key,
    seal_blob,
)
from grassroots_eventkit.store.memory import InMemoryEventStore
from grassroots_eventkit.store.model import AppendBatch, NewEvent
from requests_service.domain import request as rq
from requests_service.domain.request_events import PERSONAL_FIELDS
from requests_service.publication import to_public

from tests.unit.test_request_publication import ADDRESS, EVENTS, NOW, RULE, SECRETS

pytestmark = pytest.mark.unit


class DictKeys:
    """The vault's protocol over a dict: a key per subject, None once erased."""

    def __init__(self) -> None:
        self.keys: dict[str, bytes | None] = {}

    async def keys_for_sealing(self, subjects: Collection[str]) -> dict[str, bytes | None]:
        for s in subjects:
            self.keys.setdefault(s, new_data_key())
        return {s: self.keys[s] for s in subjects}

    async def keys_for_opening(self, subjects: Collection[str]) -> dict[str, bytes | None]:
        return {s: self.keys.get(s) for s in subjects}

    def erase(self, subject: str) -> None:
        self.keys[subject] = None


def _master() -> MasterKey:
    return MasterKey(parse_master_key(new_master_key_text()))


def _batch(events: list[DomainEvent], subject: str | None) -> AppendBatch:
    return AppendBatch(
        stream_id="r-1",
        stream_type="request",
        community_id="c-1",
        expected_version=0,
        events=[NewEvent(uuid4(), e.stored_type(), e.model_dump(mode="json")) for e in events],
        recorded_at=NOW,
        subject_id=subject,
    )


def test_a_master_key_unwraps_only_what_it_wrapped_for_that_subject():
    master, other = _master(), _master()
    data_key = new_data_key()
    wrapped = master.wrap("resident:1", data_key)
    assert master.unwrap("resident:1", wrapped) == data_key
    with pytest.raises(WrongMasterKey):
        other.unwrap("resident:1", wrapped)
    with pytest.raises(WrongMasterKey):
        master.unwrap("resident:2", wrapped)  # a key row moved to another subject
    assert data_key not in wrapped
    assert "***" in repr(master)


def test_a_wrong_master_key_is_refused_by_the_check_value_when_verified():
    master = _master()
    check = master.check_value()
    master.verify(check)
    with pytest.raises(WrongMasterKey):
        _master().verify(check)


@pytest.mark.parametrize(
    "text",
    ["not base64!", base64.b64encode(b"short").decode(), base64.b64encode(bytes(33)).decode()],
)
def test_a_master_key_that_is_not_32_bytes_of_base64_is_refused_when_parsed(text):
    with pytest.raises(ValueError, match="master key"):
        parse_master_key(text)


def test_a_sealed_blob_fails_as_tampered_when_altered_truncated_or_moved_to_another_event():
    key = new_data_key()
    sealed = seal_blob(key, "李秀英".encode(), "event-1")
    assert open_blob(key, sealed, "event-1").decode() == "李秀英"
    raw = bytearray(base64.b64decode(sealed))
    raw[20] ^= 1
    for bad, event in (
        (base64.b64encode(bytes(raw)).decode(), "event-1"),
        (sealed[:-8], "event-1"),
        (sealed, "event-2"),
        ("%%%", "event-1"),
    ):
        with pytest.raises(Tampered):
            open_blob(key, bad, event)
    with pytest.raises(Tampered):
        open_blob(new_data_key(), sealed, "event-1")


async def test_every_kind_of_request_event_is_stored_without_any_personal_text_when_sealed():
    keys = DictKeys()
    sealer = Sealer(keys, PERSONAL_FIELDS)
    events = [e for e, _ in EVENTS]
    sealed = await sealer.seal(_batch(events, "resident:res-1"))
    stored = json.dumps([e.data for e in sealed.events], ensure_ascii=False)
    assert [s for s in SECRETS if s in stored] == []
    personal = [e for e in sealed.events if PERSONAL_FIELDS.of(e.event_type)]
    assert personal
    assert all(e.data[SEALED]["subject"] == "resident:res-1" for e in personal)
    plain = [e for e in sealed.events if not PERSONAL_FIELDS.of(e.event_type)]
    assert plain
    assert all(SEALED not in e.data for e in plain)


async def test_sealed_events_open_to_what_was_written_and_to_placeholders_once_erased():
    store = InMemoryEventStore(sealer=Sealer(keys := DictKeys(), PERSONAL_FIELDS))
    events = [e for e, _ in EVENTS]
    await store.append(_batch(events, "resident:res-1"))
    opened = await store.load("r-1")
    assert [dict(e.data) for e in opened] == [e.model_dump(mode="json") for e in events]

    keys.erase("resident:res-1")
    erased = await store.load("r-1")
    text = json.dumps([e.data for e in erased], ensure_ascii=False)
    assert [s for s in SECRETS if s in text] == []
    submitted = rq.RequestSubmitted.model_validate(erased[0].data)
    assert (submitted.text, submitted.contact, submitted.photos) == (ERASED_TEXT, None, ())
    # Every erased event still decodes as its class: replays and loads keep working.
    for stored, original in zip(erased, events, strict=True):
        decoded = rq.DECIDER.event_types.decode(stored.event_type, stored.data)
        assert type(decoded) is type(original)


async def test_an_aggregate_loads_and_takes_commands_after_its_resident_is_erased():
    keys = DictKeys()
    store = InMemoryEventStore(sealer=Sealer(keys, PERSONAL_FIELDS))
    runner = CommandRunner(store, source="/grassroots/requests", publication=to_public)
    submit = rq.SubmitRequest(
        request_id="r-9",
        county="东安县",
        address=ADDRESS,
        category="repairs",
        channel="app",
        text="SECRET-楼道漏水",
        contact=rq.Contact(name="欧阳秀英", phone="13907469999"),
        resident_id="res-9",
        deadlines=RULE,
        route=rq.Route(level="household", responsible_ids=("m-1",)),
    )

    def run(command: rq.RequestCommand):  # type: ignore[no-untyped-def]
        return runner.run(
            rq.DECIDER,
            stream_id="r-9",
            command=command,
            ctx=CommandContext(actor="t"),
            community_of=rq.community_of,
        )

    await run(submit)
    assert set(keys.keys) == {"resident:res-9"}
    keys.erase("resident:res-9")
    store.aggregates.cache.drop(("request", "r-9"))
    await run(rq.ClaimRequest(request_id="r-9", member_id="m-1"))
    member = rq.Actor(kind="member", id="m-1")
    note = rq.NoteProgress(request_id="r-9", by=member, note="SECRET-进度")
    await run(note)
    version, state = await store.aggregates.read(rq.DECIDER, "r-9")
    assert (version, state.status, state.resident_id) == (4, "claimed", "res-9")
    history = await store.load("r-9")
    # The note came after the erasure: it was dropped at the door, never sealed.
    assert history[-1].data["note"] == ERASED_TEXT
    assert "SECRET" not in json.dumps([e.data for e in history], ensure_ascii=False)
    assert "SECRET" not in b"".join(r.value for r in await store.pending_outbox()).decode()


async def test_a_walk_in_request_without_an_account_is_its_own_subject_when_sealed():
    state = rq.DECIDER.fold(
        [e for e, _ in EVENTS[:1]]  # submitted by res-1
    )
    assert rq.subject_of(state) == "resident:res-1"
    assert rq.subject_of(None) is None
    walk_in = rq.DECIDER.evolve(None, EVENTS[0][0].model_copy(update={"resident_id": None}))
    assert rq.subject_of(walk_in) == "request:r-1"


async def test_personal_fields_without_a_subject_are_refused_when_sealed():
    sealer = Sealer(DictKeys(), PERSONAL_FIELDS)
    with pytest.raises(ValueError, match="subject_of"):
        await sealer.seal(_batch([EVENTS[0][0]], None))
    routed = [e for e, _ in EVENTS if isinstance(e, rq.RequestRouted)][:1]
    batch = _batch(routed, None)
    assert await sealer.seal(batch) is batch  # nothing personal: written as it is


def test_an_event_class_listed_without_a_personal_field_is_refused_when_registered():
    with pytest.raises(ValueError, match="marks no field Personal"):
        PersonalFields(rq.RequestRouted)
    assert set(PERSONAL_FIELDS.of("RequestSubmitted.v1")) == {"text", "photos", "contact"}
    assert PERSONAL_FIELDS.of("RequestRouted.v1") == {}
