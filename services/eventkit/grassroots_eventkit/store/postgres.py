"""The PostgreSQL event store (asyncpg)."""

from __future__ import annotations

import asyncio
import json
import zlib
from typing import Any

import asyncpg

from grassroots_eventkit import audit
from grassroots_eventkit.audit import AuditEntry
from grassroots_eventkit.codec import KafkaRecord
from grassroots_eventkit.personal.sealing import Sealer
from grassroots_eventkit.store.aggregates import AggregateReader, StateCache
from grassroots_eventkit.store.model import (
    AppendBatch,
    ConcurrencyConflict,
    IdempotencyKeyTaken,
    IdempotencyRecord,
    NewEvent,
    ReservationTaken,
    StoredEvent,
)

# The audited variants append exactly as es_append/es_append_many, plus the command's
# audit row in the same transaction (grassroots_eventkit.audit).
_APPEND = (
    "SELECT es_append_audited($1, $2, $3, $4, $5, $6, $7::jsonb[], $8::jsonb, $9, $10, $11,"
    " $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22::jsonb, $23::jsonb)"
)
_APPEND_MANY = (
    "SELECT outcome, version, detail FROM es_append_many_audited($1, $2, $3, $4, $5,"
    " $6::jsonb[], $7, $8, $9, $10, $11, $12::jsonb[], $13, $14, $15, $16, $17, $18, $19,"
    " $20, $21, $22, $23, $24, $25, $26, $27, $28::jsonb[], $29::jsonb[])"
)
_LOAD = (
    "SELECT version, event_id, event_type, data::text AS data, metadata::text AS metadata,"
    " recorded_at, global_position FROM es_events WHERE stream_id = $1 AND version > $2"
    " ORDER BY version"
)


def shard_of(key: bytes, shards: int) -> int:
    """Stable across processes and restarts (unlike hash()); by Kafka key, i.e. community."""
    return zlib.crc32(key) % shards


def _data_json(event: NewEvent) -> str:
    return json.dumps(event.data, ensure_ascii=False)


def _headers_json(record: KafkaRecord) -> str:
    return json.dumps([[name, value.decode()] for name, value in record.headers])


class PostgresEventStore:
    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        outbox_shards: int = 8,
        max_group: int = 32,
        max_inflight: int = 4,
        cache_size: int = 10_000,
        sealer: Sealer | None = None,
    ) -> None:
        self._pool = pool
        self._sealer = sealer
        self._aggregates = AggregateReader(self, StateCache(cache_size))
        self._shards = outbox_shards
        # A subtransaction per batch: PostgreSQL caches 64 subxids per transaction.
        self._max_group = min(max_group, 60)
        self._max_inflight = max_inflight
        self._queue: list[tuple[AppendBatch, asyncio.Future[int]]] = []
        self._flushers = 0
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def aggregates(self) -> AggregateReader:
        return self._aggregates

    async def load(self, stream_id: str, *, after: int = 0) -> list[StoredEvent]:
        rows = await self._pool.fetch(_LOAD, stream_id, after)
        events = [
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
        return await self._sealer.open(events) if self._sealer else events

    async def append(self, batch: AppendBatch) -> int:
        """Queue the batch for the next group commit and wait for its own outcome.

        Alone, a batch goes straight to es_append. Under concurrency the batches that
        queue up while a group is in flight leave together in one es_append_many call:
        one round trip and one WAL flush for the group instead of one per command.
        """
        if self._sealer:
            batch = await self._sealer.seal(batch)
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._queue.append((batch, future))
        if self._flushers < self._max_inflight:
            self._flushers += 1
            task = asyncio.create_task(self._flush())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await future

    async def _flush(self) -> None:
        try:
            while self._queue:
                group = self._take_group()
                if len(group) == 1:
                    await self._append_one(*group[0])
                else:
                    await self._append_group(group)
        finally:
            self._flushers -= 1

    def _take_group(self) -> list[tuple[AppendBatch, asyncio.Future[int]]]:
        """Up to max_group queued batches, one per stream (a second command on the same
        stream waits for the next group), sorted by stream so locks are taken in order."""
        group: dict[str, tuple[AppendBatch, asyncio.Future[int]]] = {}
        rest = []
        for item in self._queue:
            if len(group) < self._max_group and item[0].stream_id not in group:
                group[item[0].stream_id] = item
            else:
                rest.append(item)
        self._queue[:] = rest
        return [group[stream] for stream in sorted(group)]

    async def append_many(self, batches: list[AppendBatch]) -> list[int | Exception]:
        """Append several streams' batches in one transaction; each batch is accepted or
        refused on its own. Returns, per batch, its new version or its refusal."""
        futures = [asyncio.get_running_loop().create_future() for _ in batches]
        group = sorted(zip(batches, futures, strict=True), key=lambda item: item[0].stream_id)
        if len({b.stream_id for b in batches}) != len(batches):
            raise ValueError("append_many takes at most one batch per stream")
        await self._append_group(group)
        results: list[int | Exception] = []
        for future in futures:
            exc = future.exception()
            results.append(exc if isinstance(exc, Exception) else future.result())
        return results

    async def _append_one(self, batch: AppendBatch, future: asyncio.Future[int]) -> None:
        try:
            version: int = await self._pool.fetchval(_APPEND, *_single_args(batch, self._shards))
        except asyncpg.PostgresError as exc:
            _settle(future, exc=_translate(exc, batch))
        except Exception as exc:  # noqa: BLE001 - handed to the waiting command as is
            _settle(future, exc=exc)
        else:
            _settle(future, result=version)

    async def _append_group(self, group: list[tuple[AppendBatch, asyncio.Future[int]]]) -> None:
        try:
            rows = await self._pool.fetch(_APPEND_MANY, *_group_args(group, self._shards))
        except Exception:  # noqa: BLE001 - GR499 or anything else: one by one, exactly
            for batch, future in group:
                await self._append_one(batch, future)
            return
        for (batch, future), row in zip(group, rows, strict=True):
            if row["outcome"] == "ok":
                _settle(future, result=row["version"])
            else:
                _settle(future, exc=_refusal(row["outcome"], row["detail"], batch))

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

    async def record_audit(self, entry: AuditEntry) -> None:
        await audit.record(self._pool, entry)

    async def pending_outbox(self) -> list[KafkaRecord]:
        rows = await self._pool.fetch(
            "SELECT topic, key, value, headers FROM es_outbox ORDER BY id"
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
    refusal = _refusal(code, getattr(exc, "detail", None), batch) if code else None
    if refusal is not None:
        return refusal
    unknown: Exception = exc
    return unknown


def _refusal(code: str | None, detail: str | None, batch: AppendBatch) -> Exception | None:
    """The store's own refusals, raised by es_append with custom SQLSTATEs."""
    if code == "GR409":
        return ConcurrencyConflict(batch.stream_id, batch.expected_version)
    if code == "GR410":
        scope, _, value = (detail or "\x1f").partition("\x1f")
        return ReservationTaken(scope, value)
    if code == "GR411" and batch.idempotency:
        return IdempotencyKeyTaken(batch.idempotency.key)
    return None


def _settle(
    future: asyncio.Future[int], *, result: int | None = None, exc: BaseException | None = None
) -> None:
    if future.done():  # the waiting command was cancelled
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        assert result is not None
        future.set_result(result)


def _single_args(batch: AppendBatch, shards: int) -> list[Any]:
    idem = batch.idempotency
    return [
        batch.stream_id,
        batch.stream_type,
        batch.community_id,
        batch.expected_version,
        [e.event_id for e in batch.events],
        [e.event_type for e in batch.events],
        [_data_json(e) for e in batch.events],
        json.dumps(batch.metadata.as_dict()),
        batch.recorded_at,
        [r.topic for r in batch.outbox],
        [r.key for r in batch.outbox],
        [r.value for r in batch.outbox],
        [_headers_json(r) for r in batch.outbox],
        [shard_of(r.key, shards) for r in batch.outbox],
        [r.scope for r in batch.reserve],
        [r.value for r in batch.reserve],
        [r.scope for r in batch.release],
        [r.value for r in batch.release],
        idem.key if idem else None,
        idem.request_hash if idem else None,
        idem.status_code if idem else None,
        json.dumps(idem.response, ensure_ascii=False) if idem else None,
        batch.audit.as_json() if batch.audit else None,
    ]


def _group_args(group: list[tuple[AppendBatch, asyncio.Future[int]]], shards: int) -> list[Any]:
    """Flatten the group into es_append_many's parallel arrays; children carry their
    batch's 1-based index."""
    cols: dict[str, list[Any]] = {name: [] for name in _GROUP_COLUMNS}
    for index, (batch, _) in enumerate(group, start=1):
        idem = batch.idempotency
        for name, value in (
            ("stream_ids", batch.stream_id),
            ("stream_types", batch.stream_type),
            ("community_ids", batch.community_id),
            ("expected", batch.expected_version),
            ("counts", len(batch.events)),
            ("metadata", json.dumps(batch.metadata.as_dict())),
            ("recorded_at", batch.recorded_at),
            ("idem_keys", idem.key if idem else None),
            ("idem_hashes", idem.request_hash if idem else None),
            ("idem_status", idem.status_code if idem else None),
            ("idem_responses", json.dumps(idem.response, ensure_ascii=False) if idem else None),
            ("audits", batch.audit.as_json() if batch.audit else None),
        ):
            cols[name].append(value)
        for position, e in enumerate(batch.events, start=1):
            cols["e_batch"].append(index)
            cols["e_pos"].append(position)
            cols["e_ids"].append(e.event_id)
            cols["e_types"].append(e.event_type)
            cols["e_data"].append(_data_json(e))
        for r in batch.outbox:
            cols["o_batch"].append(index)
            cols["o_shards"].append(shard_of(r.key, shards))
            cols["o_topics"].append(r.topic)
            cols["o_keys"].append(r.key)
            cols["o_values"].append(r.value)
            cols["o_headers"].append(_headers_json(r))
        for res in batch.reserve:
            cols["rs_batch"].append(index)
            cols["rs_scopes"].append(res.scope)
            cols["rs_values"].append(res.value)
        for res in batch.release:
            cols["rl_batch"].append(index)
            cols["rl_scopes"].append(res.scope)
            cols["rl_values"].append(res.value)
    return [cols[name] for name in _GROUP_COLUMNS]


_GROUP_COLUMNS = (
    "stream_ids", "stream_types", "community_ids", "expected", "counts", "metadata",
    "recorded_at",
    "e_batch", "e_pos", "e_ids", "e_types", "e_data",
    "o_batch", "o_shards", "o_topics", "o_keys", "o_values", "o_headers",
    "rs_batch", "rs_scopes", "rs_values",
    "rl_batch", "rl_scopes", "rl_values",
    "idem_keys", "idem_hashes", "idem_status", "idem_responses",
    "audits",
)  # fmt: skip
