"""The idempotent consumer: apply a batch in one database transaction, then commit offsets.

Per partition batch:
1. decode; messages that break the envelope contract go to the dead-letter topic;
2. in one transaction: record the event ids as processed (the dedupe) and apply the
   fresh ones to the read model;
3. only after that commit, commit the Kafka offsets.
A crash after 2 and before 3 redelivers the batch; step 2 then finds every id
already processed and applies nothing. When a batch fails, it is halved until the
event that fails stands alone (the rest apply in a few transactions, in order), and
one that keeps failing goes to the dead-letter topic with the error while the
partition moves on. Infrastructure errors (database or Kafka
down) never dead-letter: the batch is retried from its first offset. A dead letter too
big for its topic once the error headers are added goes without its value (the
original stays on its topic): a size refusal is not an outage to wait out.
"""

from __future__ import annotations

import asyncio
import contextlib
import traceback
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Protocol
from uuid import UUID

import asyncpg
import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaError, MessageSizeTooLargeError
from aiokafka.structs import ConsumerRecord
from grassroots_contracts.topics import dead_letter_topic

from grassroots_eventkit import failpoints, metrics
from grassroots_eventkit.codec import ReceivedEvent, UndecodableMessage, decode
from grassroots_eventkit.kafka import PLAINTEXT, client_security
from grassroots_eventkit.settings import KafkaSecurity

log = structlog.get_logger()

INFRASTRUCTURE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    KafkaError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.SerializationError,
    asyncpg.DeadlockDetectedError,
    asyncpg.exceptions.AdminShutdownError,
)

H_DLQ_TOPIC = "dlq_original_topic"
H_DLQ_PARTITION = "dlq_original_partition"
H_DLQ_OFFSET = "dlq_original_offset"
H_DLQ_CONSUMER = "dlq_consumer"
H_DLQ_ERROR = "dlq_error"
H_DLQ_ERROR_TYPE = "dlq_error_type"
H_DLQ_FAILED_AT = "dlq_failed_at"
H_DLQ_VALUE_OMITTED = "dlq_value_omitted"  # the original's size: it stays on its topic
H_DLQ_HEADERS_OMITTED = "dlq_headers_omitted"


class Projector(Protocol):
    """Applies events to a read model inside the consumer's transaction."""

    @property
    def group(self) -> str:
        """The Kafka consumer group; also the dedupe namespace."""
        ...

    @property
    def topics(self) -> Sequence[str]: ...

    async def apply(self, conn: asyncpg.Connection, events: Sequence[ReceivedEvent]) -> None: ...


async def claim_fresh(
    conn: asyncpg.Connection, consumer: str, events: Sequence[ReceivedEvent]
) -> list[ReceivedEvent]:
    """Mark ids processed for `consumer`; return the events not processed before, first
    copy only. `ek_processed_events` resolves through the search path, so a replay into
    a schema of its own keeps its own dedupe table there."""
    unique: dict[UUID, ReceivedEvent] = {}
    for event in events:
        unique.setdefault(event.event_id, event)
    rows = await conn.fetch(
        "INSERT INTO ek_processed_events (consumer, event_id)"
        " SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING RETURNING event_id",
        consumer,
        list(unique),
    )
    new = {r["event_id"] for r in rows}
    return [e for e in unique.values() if e.event_id in new]


class _WaitForBatch(ConsumerRebalanceListener):  # type: ignore[misc]
    """Partitions are only handed over once the batch in flight has committed."""

    def __init__(self, lock: asyncio.Lock, group: str) -> None:
        self._lock = lock
        self._group = group

    async def on_partitions_revoked(self, revoked: Iterable[TopicPartition]) -> None:
        async with self._lock:
            pass
        # The new owner reports these partitions' lag from now on; a stale value left
        # here would make a lag-driven autoscaler count them twice.
        for tp in revoked:
            with contextlib.suppress(KeyError):
                metrics.CONSUMER_LAG.remove(self._group, tp.topic, str(tp.partition))

    async def on_partitions_assigned(self, assigned: object) -> None:
        return None


class IdempotentConsumer:
    def __init__(
        self,
        projector: Projector,
        *,
        bootstrap: str,
        pool: asyncpg.Pool,
        dlq_producer: AIOKafkaProducer,
        batch_size: int = 2000,
        max_attempts: int = 3,
        client_id: str | None = None,
        group_suffix: str = "",
        security: KafkaSecurity = PLAINTEXT,
    ) -> None:
        self._projector = projector
        self._group = projector.group + group_suffix
        self._bootstrap = bootstrap
        self._security = security
        self._pool = pool
        self._dlq = dlq_producer
        self._batch_size = batch_size
        self._max_attempts = max_attempts
        self._client_id = client_id or projector.group
        self._lock = asyncio.Lock()
        self._stopping = asyncio.Event()
        self.applied = 0
        self.duplicates = 0  # events seen before (redelivered), skipped by the dedupe
        # True while joined to the group (an instance beyond the partition count idles).
        self.running = False

    @property
    def group(self) -> str:
        return self._group

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self._session()
            except INFRASTRUCTURE_ERRORS as exc:
                self.running = False
                log.warning("consumer.session_lost", group=self.group, error=repr(exc))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=1.0)

    async def _session(self) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            group_id=self.group,
            client_id=self._client_id,
            enable_auto_commit=False,  # offsets are committed after the database commit
            auto_offset_reset="earliest",
            max_poll_records=self._batch_size,
            max_partition_fetch_bytes=4 * 1024 * 1024,
            fetch_max_bytes=16 * 1024 * 1024,
            **client_security(self._security),
        )
        listener = _WaitForBatch(self._lock, self.group)
        consumer.subscribe(list(self._projector.topics), listener=listener)
        await consumer.start()
        self.running = True
        try:
            while not self._stopping.is_set():
                batches = await consumer.getmany(timeout_ms=200, max_records=self._batch_size)
                batches = {tp: records for tp, records in batches.items() if records}
                if batches:
                    async with self._lock:
                        await self._batch(consumer, batches)
        finally:
            self.running = False
            await consumer.stop()

    async def _batch(
        self, consumer: AIOKafkaConsumer, batches: dict[TopicPartition, list[ConsumerRecord]]
    ) -> None:
        """All partitions of one poll in one transaction: one commit, not one per partition.
        Each partition's records keep their order."""
        records = [record for tp in sorted(batches) for record in batches[tp]]
        try:
            await self._apply_batch(records)
        except INFRASTRUCTURE_ERRORS:
            # Nothing committed: read the batch again once the infrastructure is back.
            for tp, recs in batches.items():
                consumer.seek(tp, recs[0].offset)
            raise
        failpoints.hit("consumer.after_db_commit")
        await consumer.commit({tp: recs[-1].offset + 1 for tp, recs in batches.items()})
        for tp, recs in batches.items():
            highwater = consumer.highwater(tp)
            if highwater is not None:
                metrics.CONSUMER_LAG.labels(self.group, tp.topic, str(tp.partition)).set(
                    max(0, highwater - recs[-1].offset - 1)
                )

    async def _apply_batch(self, records: list[ConsumerRecord]) -> None:
        events: list[ReceivedEvent] = []
        for record in records:
            try:
                events.append(
                    decode(
                        record.topic, record.partition, record.offset, record.value, record.headers
                    )
                )
            except UndecodableMessage as exc:
                await self._dead_letter(record, None, exc)
        if not events:
            return
        try:
            await self._apply_together(events)
        except INFRASTRUCTURE_ERRORS:
            raise
        except Exception as exc:  # noqa: BLE001 - isolate the event that fails, below
            log.warning("consumer.batch_failed", group=self.group, error=repr(exc))
            await self._isolate(records, events)

    async def _apply_together(self, events: Sequence[ReceivedEvent]) -> None:
        """The events in one transaction: claimed (the dedupe) and applied, or nothing."""
        async with self._pool.acquire() as conn, conn.transaction():
            fresh = await self._claim(conn, events)
            if fresh:
                await self._projector.apply(conn, fresh)
        self._count(len(fresh), len(events) - len(fresh))

    async def _isolate(self, records: list[ConsumerRecord], events: list[ReceivedEvent]) -> None:
        """A failed run of events, halved until the event that fails stands alone, left
        half first so each partition keeps its order: one poison event in a batch of
        2,000 costs some twenty transactions, not 2,000 (a replay from offset 0 meets
        every poison record ever published)."""
        if len(events) == 1:
            await self._apply_alone(records, events[0])
            return
        middle = len(events) // 2
        for half in (events[:middle], events[middle:]):
            try:
                await self._apply_together(half)
            except INFRASTRUCTURE_ERRORS:
                raise
            except Exception:  # noqa: BLE001 - the half holds the failing event: halve it
                await self._isolate(records, half)

    async def _apply_alone(self, records: list[ConsumerRecord], event: ReceivedEvent) -> None:
        """One event, retried; one that keeps failing is dead-lettered."""
        error: Exception | None = None
        for attempt in range(1, self._max_attempts + 1):
            try:
                await self._apply_together([event])
                return
            except INFRASTRUCTURE_ERRORS:
                raise
            except Exception as exc:  # noqa: BLE001 - counted, then dead-lettered
                error = exc
                log.warning(
                    "consumer.event_failed",
                    group=self.group,
                    event_id=str(event.event_id),
                    attempt=attempt,
                    error=repr(exc),
                )
                await asyncio.sleep(0.05 * attempt)
        assert error is not None
        record = next(
            r
            for r in records
            if (r.topic, r.partition, r.offset) == (event.topic, event.partition, event.offset)
        )
        await self._dead_letter(record, event, error)

    async def _claim(
        self, conn: asyncpg.Connection, events: Sequence[ReceivedEvent]
    ) -> list[ReceivedEvent]:
        return await claim_fresh(conn, self.group, events)

    async def _dead_letter(
        self, record: ConsumerRecord, event: ReceivedEvent | None, error: BaseException
    ) -> None:
        message = "".join(traceback.format_exception_only(error)).strip()[:4000]
        headers = [
            *[(k, v) for k, v in (record.headers or ()) if not k.startswith("dlq_")],
            (H_DLQ_TOPIC, record.topic.encode()),
            (H_DLQ_PARTITION, str(record.partition).encode()),
            (H_DLQ_OFFSET, str(record.offset).encode()),
            (H_DLQ_CONSUMER, self.group.encode()),
            (H_DLQ_ERROR, message.encode()),
            (H_DLQ_ERROR_TYPE, type(error).__name__.encode()),
            (H_DLQ_FAILED_AT, datetime.now(UTC).isoformat().encode()),
        ]
        # Published (and acknowledged) before the offset moves past it: never dropped.
        await self._send_dead_letter(record, headers)
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO ek_dead_letters"
                ' (consumer, topic, partition, "offset", event_id, error)'
                " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                self.group,
                record.topic,
                record.partition,
                record.offset,
                event.event_id if event else None,
                message,
            )
            if event is not None:
                await self._claim(conn, [event])
        metrics.DEAD_LETTERS.labels(self.group).inc()
        log.error(
            "consumer.dead_lettered",
            group=self.group,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            error=message,
        )

    async def _send_dead_letter(
        self, record: ConsumerRecord, headers: list[tuple[str, bytes]]
    ) -> None:
        """The copy, whole if it fits. A record just under the broker's size limit no
        longer fits once the error headers are added; the broker (or the client's own
        check) refuses it with a Kafka error, which is not an outage to wait out: retried,
        it would hold the partition forever. So the copy goes without the value, then
        without the original key and headers too, and says so; the original stays on its topic at
        the offset the headers name (event topics are kept forever)."""
        topic = dead_letter_topic(self.group)
        size = str(len(record.value or b"")).encode()
        own = [(k, v) for k, v in headers if k.startswith("dlq_")]
        copies = (
            (record.key, record.value, headers),
            (record.key, None, [*headers, (H_DLQ_VALUE_OMITTED, size)]),
            (None, None, [*own, (H_DLQ_VALUE_OMITTED, size), (H_DLQ_HEADERS_OMITTED, b"true")]),
        )
        for n, (key, value, with_headers) in enumerate(copies, start=1):
            try:
                await self._dlq.send_and_wait(topic, value=value, key=key, headers=with_headers)
                return
            except MessageSizeTooLargeError:
                if n == len(copies):
                    raise
                log.warning(
                    "consumer.dead_letter_too_large",
                    group=self.group,
                    topic=record.topic,
                    partition=record.partition,
                    offset=record.offset,
                    value_bytes=len(record.value or b""),
                )
            except KafkaError as exc:
                # The partition waits until the dead letter can be written (a missing topic,
                # a broker away): say which topic, not only that the session was lost.
                log.error(
                    "consumer.dead_letter_failed", group=self.group, topic=topic, error=repr(exc)
                )
                raise

    def _count(self, applied: int, duplicates: int) -> None:
        self.applied += applied
        self.duplicates += duplicates
        if applied:
            metrics.EVENTS_APPLIED.labels(self.group).inc(applied)
        if duplicates:
            metrics.EVENTS_DUPLICATE.labels(self.group).inc(duplicates)
