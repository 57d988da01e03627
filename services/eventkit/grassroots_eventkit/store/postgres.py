"""The PostgreSQL event store (asyncpg)."""

from __future__ import annotations

import json
import zlib
from typing import Any

import asyncpg

from grassroots_eventkit.codec import KafkaRecord
from grassroots_eventkit.store.model import (
    AppendBatch,
    ConcurrencyConflict,
    IdempotencyKeyTaken,
    IdempotencyRecord,
    ReservationTaken,
    StoredEvent,
)

_APPEND = (
    "SELECT es_append($1, $2, $3, $4, $5, $6, $7::jsonb[], $8::jsonb, $9, $10, $11, $12,"
    " $13::jsonb[], $14, $15, $16, $17, $18, $19, $20, $21, $22::jsonb)"
)
_LOAD = (
    "SELECT version, event_id, event_type, data::text AS data, metadata::text AS metadata,"
    " recorded_at, global_position FROM es_events WHERE stream_id = $1 ORDER BY version"
)


def shard_of(key: bytes, shards: int) -> int:
    """Stable across processes and restarts (unlike hash()); by Kafka key, i.e. community."""
    return zlib.crc32(key) % shards


def _headers_json(record: KafkaRecord) -> str:
    return json.dumps([[name, value.decode()] for name, value in record.headers])


class PostgresEventStore:
    def __init__(self, pool: asyncpg.Pool, *, outbox_shards: int = 8) -> None:
        self._pool = pool
        self._shards = outbox_shards

    async def load(self, stream_id: str) -> list[StoredEvent]:
        rows = await self._pool.fetch(_LOAD, stream_id)
        return [
            StoredEvent(
                stream_id=stream_id,
                version=r["version"],
                event_id=r["event_id"],
                event_type=r["event_type"],
                data=json.loads(r["data"]),
                metadata=json.loads(r["metadata"]),
                recorded_at=r["recorded_at"],
                global_position=r["global_position"],
            )
            for r in rows
        ]

    async def append(self, batch: AppendBatch) -> int:
        idem = batch.idempotency
        args: list[Any] = [
            batch.stream_id,
            batch.stream_type,
            batch.community_id,
            batch.expected_version,
            [e.event_id for e in batch.events],
            [e.event_type for e in batch.events],
            [json.dumps(e.data, ensure_ascii=False) for e in batch.events],
            json.dumps(batch.metadata.as_dict()),
            batch.recorded_at,
            [r.topic for r in batch.outbox],
            [r.key for r in batch.outbox],
            [r.value for r in batch.outbox],
            [_headers_json(r) for r in batch.outbox],
            [shard_of(r.key, self._shards) for r in batch.outbox],
            [r.scope for r in batch.reserve],
            [r.value for r in batch.reserve],
            [r.scope for r in batch.release],
            [r.value for r in batch.release],
            idem.key if idem else None,
            idem.request_hash if idem else None,
            idem.status_code if idem else None,
            json.dumps(idem.response, ensure_ascii=False) if idem else None,
        ]
        try:
            version: int = await self._pool.fetchval(_APPEND, *args)
        except asyncpg.PostgresError as exc:
            raise _translate(exc, batch) from exc
        return version

    async def find_idempotency(self, key: str) -> IdempotencyRecord | None:
        row = await self._pool.fetchrow(
            "SELECT request_hash, status_code, response::text AS response"
            " FROM es_idempotency WHERE key = $1",
            key,
        )
        if row is None:
            return None
        return IdempotencyRecord(
            key=key,
            request_hash=row["request_hash"],
            status_code=row["status_code"],
            response=json.loads(row["response"]),
        )

    async def pending_outbox(self) -> list[KafkaRecord]:
        rows = await self._pool.fetch(
            "SELECT topic, key, value, headers::text AS headers FROM es_outbox ORDER BY id"
        )
        return [
            KafkaRecord(
                topic=r["topic"],
                key=bytes(r["key"]),
                value=bytes(r["value"]),
                headers=tuple((n, v.encode()) for n, v in json.loads(r["headers"])),
            )
            for r in rows
        ]


def _translate(exc: asyncpg.PostgresError, batch: AppendBatch) -> Exception:
    code = getattr(exc, "sqlstate", None)
    if code == "GR409":
        return ConcurrencyConflict(batch.stream_id, batch.expected_version)
    if code == "GR410":
        scope, _, value = (getattr(exc, "detail", None) or "\x1f").partition("\x1f")
        return ReservationTaken(scope, value)
    if code == "GR411" and batch.idempotency:
        return IdempotencyKeyTaken(batch.idempotency.key)
    unknown: Exception = exc
    return unknown
