"""CloudEvents 1.0 Kafka binary mode: public event + metadata <-> Kafka record."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from grassroots_contracts import envelope as ce
from grassroots_contracts.envelope import EnvelopeMeta
from grassroots_contracts.events import PublicEvent
from pydantic_core import from_json

Headers = tuple[tuple[str, bytes], ...]
P = TypeVar("P", bound=PublicEvent)


@dataclass(frozen=True, slots=True)
class KafkaRecord:
    topic: str
    key: bytes
    value: bytes
    headers: Headers


@dataclass(frozen=True, slots=True)
class ReceivedMeta:
    """EnvelopeMeta's fields, as a plain slotted dataclass: consumers build one per
    message, and a pydantic model costs several times more to construct."""

    event_id: UUID
    event_type: str
    source: str
    time: datetime
    subject: str
    community_id: str
    stream_version: int
    correlation_id: str | None = None
    causation_id: str | None = None
    actor: str | None = None


@dataclass(frozen=True, slots=True)
class ReceivedEvent:
    """A decoded message: envelope metadata, the raw JSON payload and where it came from."""

    meta: ReceivedMeta
    payload: dict[str, Any]
    topic: str
    partition: int
    offset: int

    @property
    def event_id(self) -> UUID:
        return self.meta.event_id

    @property
    def event_type(self) -> str:
        return self.meta.event_type

    def parse(self, model: type[P]) -> P:
        """A tolerant reader: fields added by a newer producer are ignored, not refused."""
        known = model.model_fields
        return model.model_validate({k: v for k, v in self.payload.items() if k in known})


class UndecodableMessage(ValueError):
    """The message breaks the envelope contract: a poison message, never retried."""


def encode(event: PublicEvent, meta: EnvelopeMeta) -> KafkaRecord:
    if meta.event_type != event.event_type:
        raise ValueError(f"meta says {meta.event_type}, payload is {event.event_type}")
    headers: list[tuple[str, bytes]] = [
        (ce.H_ID, str(meta.event_id).encode()),
        (ce.H_TYPE, meta.event_type.encode()),
        (ce.H_SOURCE, meta.source.encode()),
        (ce.H_SPECVERSION, ce.SPEC_VERSION.encode()),
        (ce.H_TIME, meta.time.isoformat().encode()),
        (ce.H_SUBJECT, meta.subject.encode()),
        (ce.H_COMMUNITY, meta.community_id.encode()),
        (ce.H_STREAM_VERSION, str(meta.stream_version).encode()),
        (ce.H_CONTENT_TYPE, ce.CONTENT_TYPE.encode()),
    ]
    for name, value in (
        (ce.H_CORRELATION, meta.correlation_id),
        (ce.H_CAUSATION, meta.causation_id),
        (ce.H_ACTOR, meta.actor),
    ):
        if value is not None:
            headers.append((name, value.encode()))
    return KafkaRecord(
        topic=event.topic,
        key=meta.community_id.encode(),
        value=event.model_dump_json().encode(),
        headers=tuple(headers),
    )


def decode(
    topic: str,
    partition: int,
    offset: int,
    value: bytes | None,
    headers: Sequence[tuple[str, bytes]],
) -> ReceivedEvent:
    """Check the envelope by hand: this runs for every message a consumer reads."""
    try:
        h = {name: raw.decode() for name, raw in headers}
    except UnicodeDecodeError as exc:
        raise UndecodableMessage(f"header is not UTF-8: {exc}") from exc
    missing = [name for name in ce.REQUIRED_HEADERS if name not in h]
    if missing:
        raise UndecodableMessage(f"missing CloudEvents headers: {', '.join(missing)}")
    if h[ce.H_SPECVERSION] != ce.SPEC_VERSION:
        raise UndecodableMessage(f"unsupported specversion {h[ce.H_SPECVERSION]!r}")
    try:
        event_id = UUID(h[ce.H_ID])
        time = datetime.fromisoformat(h[ce.H_TIME])
        stream_version = int(h[ce.H_STREAM_VERSION])
    except ValueError as exc:
        raise UndecodableMessage(f"bad CloudEvents header: {exc}") from exc
    if time.tzinfo is None:
        raise UndecodableMessage("bad CloudEvents header: ce_time has no time zone")
    if stream_version < 1:
        raise UndecodableMessage("bad CloudEvents header: ce_streamversion below 1")
    meta = ReceivedMeta(
        event_id=event_id,
        event_type=h[ce.H_TYPE],
        source=h[ce.H_SOURCE],
        time=time,
        subject=h[ce.H_SUBJECT],
        community_id=h[ce.H_COMMUNITY],
        stream_version=stream_version,
        correlation_id=h.get(ce.H_CORRELATION),
        causation_id=h.get(ce.H_CAUSATION),
        actor=h.get(ce.H_ACTOR),
    )
    if value is None:
        raise UndecodableMessage("empty value")
    try:
        payload = from_json(value)
    except ValueError as exc:
        raise UndecodableMessage(f"value is not JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise UndecodableMessage("value is not a JSON object")
    return ReceivedEvent(
        meta=meta, payload=payload, topic=topic, partition=partition, offset=offset
    )
