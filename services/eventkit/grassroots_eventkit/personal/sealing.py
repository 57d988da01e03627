"""Sealing personal fields on the way into the event store, opening them on the way out.

A stored event with personal fields keeps its other fields as they are and carries
the personal ones in one sealed blob:

    {"request_id": "...", "category": "repairs", ...,
     "$personal": {"subject": "resident:...", "sealed": "<base64 nonce|ciphertext|tag>"}}

`sealed` is null when the subject was already erased at writing time: the data is
dropped at the door. Opening puts the fields back, or each field's `erased` value
when the subject's key is gone; so aggregates load and replays run after an erasure.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol

from grassroots_eventkit.personal.cipher import open_blob, seal_blob
from grassroots_eventkit.personal.fields import PersonalFields
from grassroots_eventkit.store.model import AppendBatch, NewEvent, StoredEvent

SEALED = "$personal"


class SubjectKeys(Protocol):
    """What the sealer needs of a key vault (KeyVault; a dict-backed fake in unit tests)."""

    async def keys_for_sealing(self, subjects: Collection[str]) -> Mapping[str, bytes | None]: ...

    async def keys_for_opening(self, subjects: Collection[str]) -> Mapping[str, bytes | None]: ...


class Sealer:
    def __init__(self, keys: SubjectKeys, fields: PersonalFields) -> None:
        self._keys = keys
        self.fields = fields

    async def seal(self, batch: AppendBatch) -> AppendBatch:
        if not any(self.fields.of(e.event_type) for e in batch.events):
            return batch
        subject = batch.subject_id
        if subject is None:
            raise ValueError(
                f"{batch.stream_type} {batch.stream_id} writes personal fields but its decider"
                " names no subject (Decider.subject_of)"
            )
        key = (await self._keys.keys_for_sealing([subject]))[subject]
        events = [
            NewEvent(e.event_id, e.event_type, self.seal_data(e, subject, key))
            for e in batch.events
        ]
        return replace(batch, events=events)

    def seal_data(self, event: NewEvent, subject: str, key: bytes | None) -> Mapping[str, Any]:
        personal = self.fields.of(event.event_type)
        if not personal or SEALED in event.data:
            return event.data
        plain = {k: v for k, v in event.data.items() if k in personal}
        kept = {k: v for k, v in event.data.items() if k not in personal}
        sealed = None
        if key is not None:
            blob = json.dumps(plain, ensure_ascii=False, separators=(",", ":")).encode()
            sealed = seal_blob(key, blob, str(event.event_id))
        return {**kept, SEALED: {"subject": subject, "sealed": sealed}}

    async def open(self, events: Sequence[StoredEvent]) -> list[StoredEvent]:
        subjects = {e.data[SEALED]["subject"] for e in events if SEALED in e.data}
        if not subjects:
            return list(events)
        keys = await self._keys.keys_for_opening(subjects)
        return [self._open_one(e, keys) if SEALED in e.data else e for e in events]

    def _open_one(self, event: StoredEvent, keys: Mapping[str, bytes | None]) -> StoredEvent:
        data = dict(event.data)
        envelope = data.pop(SEALED)
        key = keys.get(envelope["subject"])
        if key is None or envelope["sealed"] is None:
            data.update(self.fields.of(event.event_type))
        else:
            data.update(json.loads(open_blob(key, envelope["sealed"], str(event.event_id))))
        return replace(event, data=data)
