"""The outbox relay: publishes committed outbox rows to Kafka, in order, then deletes them.

Hidden-gap safety: there is no read cursor. Rows are read in id order from a shard
whose PostgreSQL advisory lock this relay holds, published with an idempotent
producer, and deleted by id once Kafka acknowledged them. A row that commits late
(with a lower id than rows already published) is simply found on a later pass.
An aggregate's events are committed one after another (optimistic concurrency), so
its later event always has a higher id and is published after its earlier one.
Exactly one relay holds a shard at a time; others stand by and take over when its
database session ends. A crash between publish and delete republishes: consumers
dedupe by event id.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from datetime import UTC, datetime

import asyncpg
import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from grassroots_eventkit import failpoints, metrics

log = structlog.get_logger()

# Advisory-lock namespace for outbox shards: (namespace, shard) pairs.
_LOCK_NAMESPACE = 0x6F7574  # "out"
_SELECT = (
    "SELECT id, topic, key, value, headers::text AS headers, enqueued_at"
    " FROM es_outbox WHERE shard = $1 ORDER BY id LIMIT $2"
)
_DELETE = "DELETE FROM es_outbox WHERE id = ANY($1::bigint[])"


class OutboxRelay:
    def __init__(
        self,
        dsn: str,
        producer: AIOKafkaProducer,
        *,
        shards: int,
        batch_size: int = 2000,
        idle_poll_s: float = 0.02,
        claim_every_s: float = 2.0,
    ) -> None:
        self._dsn = dsn
        self._producer = producer
        self._shards = shards
        self._batch_size = batch_size
        self._idle_poll_s = idle_poll_s
        self._claim_every_s = claim_every_s
        self._stopping = asyncio.Event()
        self._owned: set[int] = set()
        self.published = 0
        self.healthy = False

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        """Run until stop(); reconnects after database or Kafka errors."""
        while not self._stopping.is_set():
            try:
                await self._session()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, KafkaError) as exc:
                self.healthy = False
                log.warning("relay.session_lost", error=repr(exc))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=1.0)

    async def _session(self) -> None:
        conn: asyncpg.Connection = await asyncpg.connect(self._dsn)
        self._owned = set()
        try:
            last_claim = 0.0
            while not self._stopping.is_set():
                if time.monotonic() - last_claim > self._claim_every_s:
                    # Also re-checks for shards a stopped relay left behind.
                    await self._claim(conn)
                    last_claim = time.monotonic()
                self.healthy = True
                moved = 0
                for shard in sorted(self._owned):
                    moved += await self._pass(conn, shard)
                if moved == 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stopping.wait(), self._idle_poll_s)
        finally:
            metrics.RELAY_SHARDS_OWNED.set(0)
            # Closing the session releases the advisory locks for a standby relay.
            await conn.close()

    async def _claim(self, conn: asyncpg.Connection) -> None:
        for shard in range(self._shards):
            if shard in self._owned:
                continue
            got = await conn.fetchval("SELECT pg_try_advisory_lock($1, $2)", _LOCK_NAMESPACE, shard)
            if got:
                self._owned.add(shard)
                log.info("relay.shard_claimed", shard=shard)
        metrics.RELAY_SHARDS_OWNED.set(len(self._owned))
        backlog = dict.fromkeys(self._owned, 0)
        for row in await conn.fetch(
            "SELECT shard, count(*) AS n FROM es_outbox"
            " WHERE shard = ANY($1::int[]) GROUP BY shard",
            list(self._owned),
        ):
            backlog[row["shard"]] = row["n"]
        for shard, n in backlog.items():
            metrics.RELAY_BACKLOG.labels(str(shard)).set(n)

    async def _pass(self, conn: asyncpg.Connection, shard: int) -> int:
        """Publish one batch of a shard; returns how many records moved."""
        rows = await conn.fetch(_SELECT, shard, self._batch_size)
        if not rows:
            return 0
        failpoints.hit("relay.before_publish")
        futures = []
        for row in rows:
            headers = [(name, value.encode()) for name, value in json.loads(row["headers"])]
            futures.append(
                await self._producer.send(
                    row["topic"], value=bytes(row["value"]), key=bytes(row["key"]), headers=headers
                )
            )
        # Every record acknowledged by all in-sync replicas before any row is deleted.
        await asyncio.gather(*futures)
        failpoints.hit("relay.after_publish")
        await conn.execute(_DELETE, [row["id"] for row in rows])
        self.published += len(rows)
        metrics.RELAY_PUBLISHED.inc(len(rows))
        oldest = rows[0]["enqueued_at"]
        metrics.RELAY_LAG_SECONDS.set((datetime.now(UTC) - oldest).total_seconds())
        return len(rows)
