"""What an event store takes and gives, and how it refuses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from grassroots_eventkit.audit import AuditEntry
from grassroots_eventkit.codec import KafkaRecord

if TYPE_CHECKING:
    from grassroots_eventkit.store.aggregates import AggregateReader


@dataclass(frozen=True, slots=True)
class NewEvent:
    event_id: UUID
    event_type: str
    data: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class EventMetadata:
    actor: str | None = None
    correlation_id: str | None = None
    causation_id: str | None = None

    def as_dict(self) -> dict[str, str]:
        return {
            k: v
            for k, v in (
                ("actor", self.actor),
                ("correlation_id", self.correlation_id),
                ("causation_id", self.causation_id),
            )
            if v is not None
        }


@dataclass(frozen=True, slots=True)
class StoredEvent:
    stream_id: str
    version: int
    event_id: UUID
    event_type: str
    data: Mapping[str, Any]
    metadata: Mapping[str, str]
    recorded_at: datetime
    global_position: int


@dataclass(frozen=True, slots=True)
class Reservation:
    """A unique value claimed by one stream (e.g. a community name within a county).

    Set validation across aggregates: the claim is written in the same transaction
    as the events, so two streams can never both hold it.
    """

    scope: str
    value: str


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    key: str
    request_hash: str
    status_code: int
    response: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class AppendBatch:
    """Everything one command writes, atomically."""

    stream_id: str
    stream_type: str
    community_id: str
    expected_version: int
    events: Sequence[NewEvent]
    recorded_at: datetime
    metadata: EventMetadata = field(default_factory=EventMetadata)
    outbox: Sequence[KafkaRecord] = ()
    reserve: Sequence[Reservation] = ()
    release: Sequence[Reservation] = ()
    idempotency: IdempotencyRecord | None = None
    # Whose personal data the events' Personal fields are (sealed with that subject's key).
    subject_id: str | None = None
    # The command's audit row, written in the same transaction.
    audit: AuditEntry | None = None

    @property
    def new_version(self) -> int:
        return self.expected_version + len(self.events)


class ConcurrencyConflict(Exception):
    def __init__(self, stream_id: str, expected_version: int) -> None:
        super().__init__(f"stream {stream_id} is not at version {expected_version}")
        self.stream_id = stream_id
        self.expected_version = expected_version


class ReservationTaken(Exception):
    def __init__(self, scope: str, value: str) -> None:
        super().__init__(f"{scope} {value!r} is already taken")
        self.scope = scope
        self.value = value


class IdempotencyKeyTaken(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(f"idempotency key {key!r} already used")
        self.key = key


class EventStore(Protocol):
    async def load(self, stream_id: str, *, after: int = 0) -> list[StoredEvent]:
        """A stream's events after version `after`, in version order ([] for a stream never
        written, or one with nothing newer): a cached state catches up with one read."""
        ...

    async def append(self, batch: AppendBatch) -> int:
        """Write events, outbox records, reservations and idempotency record atomically.

        Returns the stream's new version. Raises ConcurrencyConflict when the stream is
        not at `expected_version`, ReservationTaken, or IdempotencyKeyTaken; in each
        case nothing is written.
        """
        ...

    async def find_idempotency(self, key: str) -> IdempotencyRecord | None: ...

    async def record_audit(self, entry: AuditEntry) -> None:
        """The audit row of a command that wrote no events (refused, or nothing to do)."""
        ...

    @property
    def aggregates(self) -> AggregateReader:
        """Aggregates' current state through this store's cache."""
        ...

    async def pending_outbox(self) -> list[KafkaRecord]:
        """Outbox records not yet published, oldest first."""
        ...
