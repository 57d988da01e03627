"""Event stores: one protocol, a PostgreSQL implementation and an in-memory one."""

from grassroots_eventkit.store.model import (
    AppendBatch,
    ConcurrencyConflict,
    EventMetadata,
    EventStore,
    IdempotencyKeyTaken,
    IdempotencyRecord,
    NewEvent,
    Reservation,
    ReservationTaken,
    StoredEvent,
)

__all__ = [
    "AppendBatch",
    "ConcurrencyConflict",
    "EventMetadata",
    "EventStore",
    "IdempotencyKeyTaken",
    "IdempotencyRecord",
    "NewEvent",
    "Reservation",
    "ReservationTaken",
    "StoredEvent",
]
