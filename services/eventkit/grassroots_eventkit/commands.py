"""The write path: load the stream, decide, append events + outbox, retry on conflict."""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal
from uuid import UUID, uuid4

import structlog
from grassroots_contracts.envelope import EnvelopeMeta
from grassroots_contracts.events import PublicEvent
from pydantic import BaseModel

from grassroots_eventkit import metrics
from grassroots_eventkit.audit import AuditEntry, scope_of
from grassroots_eventkit.auth import Forbidden
from grassroots_eventkit.codec import encode
from grassroots_eventkit.domain import Command, CommandRejected, Decider, DomainEvent
from grassroots_eventkit.ids import uuid7
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
)

log = structlog.get_logger()

# (domain event, the aggregate's state right after it) -> its public event, if any
Publication = Callable[[DomainEvent, Any], PublicEvent | None]
Reservations = Callable[[Any, Sequence[DomainEvent]], tuple[list[Reservation], list[Reservation]]]


@dataclass(frozen=True, slots=True)
class CommandContext:
    """Who sent the command and how to trace it; built by the HTTP layer or a policy."""

    actor: str | None = None
    correlation_id: str | None = None
    causation_id: str | None = None
    idempotency_key: str | None = None
    request_hash: str | None = None
    # The acting token's roles and county, for the audit trail.
    roles: tuple[str, ...] = ()
    county: str | None = None

    def next_step(self) -> CommandContext:
        """For a handler's later command: the client's Idempotency-Key belongs to its
        first one (whose stored answer a retry gets back); the actor stays."""
        return replace(self, idempotency_key=None, request_hash=None)

    def for_request(self, body: BaseModel) -> CommandContext:
        """Fix the request hash on what the client sent (not on server-made ids)."""
        digest = hashlib.sha256(body.model_dump_json().encode()).hexdigest()
        return replace(self, request_hash=f"{type(body).__name__}:{digest}")


@dataclass(frozen=True, slots=True)
class Accepted:
    id: str
    version: int
    status_code: int = 201
    replayed: bool = False

    def body(self) -> dict[str, Any]:
        return {"id": self.id, "version": self.version}


class IdempotencyKeyReused(CommandRejected):
    status = 422


class TooMuchContention(CommandRejected):
    status = 409


@dataclass(slots=True)
class _Audit:
    """What the audit row of one run needs, gathered as the run goes."""

    command_id: UUID
    name: str
    stream_id: str
    command: Command
    ctx: CommandContext
    community_of: Callable[[Any], str]
    state: Any = None  # the aggregate as last loaded: a refusal's community

    def accepted(self, after: Any, version: int, at: datetime) -> AuditEntry:
        return self._entry(self.community_of(after), after, version, at, "accepted", None)

    def refused(self, problem: str, at: datetime) -> AuditEntry:
        key = self.community_of(self.state) if self.state is not None else None
        return self._entry(key, self.state, None, at, "refused", problem)

    def _entry(
        self,
        key: str | None,
        state: Any,
        version: int | None,
        at: datetime,
        outcome: Literal["accepted", "refused"],
        problem: str | None,
    ) -> AuditEntry:
        community_id, county = scope_of(key, state, self.command, self.ctx.county)
        return AuditEntry(
            command_id=self.command_id,
            command=self.name,
            actor=self.ctx.actor,
            actor_roles=self.ctx.roles,
            community_id=community_id,
            county=county,
            stream_id=self.stream_id,
            stream_version=version,
            at=at,
            outcome=outcome,
            problem=problem,
            correlation_id=self.ctx.correlation_id,
        )


def _utcnow() -> datetime:
    return datetime.now(UTC)


class CommandRunner:
    def __init__(
        self,
        store: EventStore,
        *,
        source: str,
        publication: Publication,
        max_retries: int = 10,
        clock: Callable[[], datetime] = _utcnow,
        new_event_id: Callable[[], UUID] = uuid7,
    ) -> None:
        self._store = store
        self._source = source
        self._publication = publication
        self._max_retries = max_retries
        self._clock = clock
        self._new_event_id = new_event_id
        # Entries vanish with their last user: no growth with the number of aggregates.
        self._locks: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    async def run(
        self,
        decider: Decider[Any, Any, Any],
        *,
        stream_id: str,
        command: Command,
        ctx: CommandContext,
        community_of: Callable[[Any], str],
        reservations: Reservations | None = None,
        authorize: Callable[[Any], None] | None = None,
        created_status: int = 201,
    ) -> Accepted:
        """Run one command. `authorize(state)` may refuse (Forbidden) on the loaded state.

        Every run leaves one audit row: with the append when accepted, on its own when
        refused (a business rule, a forbidden actor, a taken name) or when it had
        nothing to change. A replayed answer to a retried request leaves none."""
        name = type(command).__name__
        started = time.perf_counter()
        outcome = "error"
        audit = _Audit(self._new_event_id(), name, stream_id, command, ctx, community_of)
        try:
            result = await self._run(
                decider,
                stream_id,
                command,
                ctx,
                community_of,
                reservations,
                authorize,
                created_status,
                audit,
            )
            outcome = "replayed" if result.replayed else "accepted"
            return result
        except CommandRejected as exc:
            outcome = f"rejected:{exc.rule}"
            await self._store.record_audit(audit.refused(exc.rule, self._clock()))
            raise
        except Forbidden:
            outcome = "forbidden"
            await self._store.record_audit(audit.refused("forbidden", self._clock()))
            raise
        except ReservationTaken:
            outcome = "rejected:reservation_taken"
            await self._store.record_audit(audit.refused("reservation_taken", self._clock()))
            raise
        finally:
            metrics.COMMANDS.labels(name, outcome).inc()
            metrics.COMMAND_SECONDS.labels(name).observe(time.perf_counter() - started)

    async def _run(
        self,
        decider: Decider[Any, Any, Any],
        stream_id: str,
        command: Command,
        ctx: CommandContext,
        community_of: Callable[[Any], str],
        reservations: Reservations | None,
        authorize: Callable[[Any], None] | None,
        created_status: int,
        audit: _Audit,
    ) -> Accepted:
        if ctx.idempotency_key:
            if ctx.request_hash is None:
                ctx = ctx.for_request(command)
            earlier = await self._replay(ctx)
            if earlier:
                return earlier
        # One command at a time per aggregate in this process: racing writers queue here
        # instead of colliding in the store; conflicts remain only across instances.
        lock = self._locks.setdefault((decider.stream_type, stream_id), asyncio.Lock())
        waited = lock.locked()
        async with lock:
            if waited and ctx.idempotency_key:
                # A client's retry that queued behind its own first request (still writing
                # when the client gave up waiting) answers with what that one recorded,
                # instead of deciding again on the state it left.
                earlier = await self._replay(ctx)
                if earlier:
                    return earlier
            return await self._attempts(
                decider,
                stream_id,
                command,
                ctx,
                community_of,
                reservations,
                authorize,
                created_status,
                audit,
            )

    async def _attempts(
        self,
        decider: Decider[Any, Any, Any],
        stream_id: str,
        command: Command,
        ctx: CommandContext,
        community_of: Callable[[Any], str],
        reservations: Reservations | None,
        authorize: Callable[[Any], None] | None,
        created_status: int,
        audit: _Audit,
    ) -> Accepted:
        for attempt in range(self._max_retries + 1):
            key = (decider.stream_type, stream_id)
            cache = self._store.aggregates.cache
            cached = cache.get(key) if attempt == 0 else None
            if cached is not None:
                version, state = cached  # optimistic: the append's version check guards it
            else:
                version, state = await self._store.aggregates.read(decider, stream_id)
            audit.state = state
            if authorize:
                authorize(state)
            now = self._clock()
            new_events: Sequence[DomainEvent] = decider.decide(
                state, command, now=now, new_id=lambda: str(uuid4())
            )
            if not new_events:
                await self._store.record_audit(audit.accepted(state, version, now))
                return Accepted(stream_id, version, status_code=200)
            after = state
            for event in new_events:
                after = decider.evolve(after, event)
            status = created_status if version == 0 else 200
            batch = self._batch(
                decider,
                state,
                stream_id,
                version,
                new_events,
                now,
                ctx,
                community_of(after),
                status,
            )
            batch = replace(batch, audit=audit.accepted(after, batch.new_version, now))
            if reservations:
                reserve, release = reservations(state, new_events)
                batch = _with_reservations(batch, reserve, release)
            try:
                new_version = await self._store.append(batch)
            except ConcurrencyConflict:
                cache.drop(key)
                if ctx.idempotency_key:
                    # The winner may be this very request, retried through another instance.
                    earlier = await self._replay(ctx)
                    if earlier:
                        return earlier
                metrics.CONCURRENCY_RETRIES.labels(type(command).__name__).inc()
                log.debug("command.conflict_retry", stream_id=stream_id, attempt=attempt)
                # Writers racing on one aggregate would collide again in lockstep; a
                # growing, jittered pause spreads them out (2 ms, 4 ms, ... up to 100 ms).
                await asyncio.sleep(random.uniform(0, min(0.1, 0.002 * 2**attempt)))
                continue
            except IdempotencyKeyTaken:
                earlier = await self._replay(ctx)
                if earlier:
                    return earlier
                raise
            cache.put(key, new_version, after)
            return Accepted(stream_id, new_version, status_code=status)
        raise TooMuchContention(
            "concurrent_modification",
            f"{stream_id} kept changing under {self._max_retries + 1} attempts; retry later",
        )

    async def _replay(self, ctx: CommandContext) -> Accepted | None:
        assert ctx.idempotency_key is not None
        record = await self._store.find_idempotency(ctx.idempotency_key)
        if record is None:
            return None
        if record.request_hash != ctx.request_hash:
            raise IdempotencyKeyReused(
                "idempotency_key_reused",
                "this Idempotency-Key was used for a different request",
                field="Idempotency-Key",
            )
        return Accepted(
            id=str(record.response["id"]),
            version=int(record.response["version"]),
            status_code=record.status_code,
            replayed=True,
        )

    def _batch(
        self,
        decider: Decider[Any, Any, Any],
        before: Any,
        stream_id: str,
        version: int,
        events: Sequence[DomainEvent],
        now: datetime,
        ctx: CommandContext,
        community_id: str,
        status: int,
    ) -> AppendBatch:
        new_events = [
            NewEvent(self._new_event_id(), e.stored_type(), e.model_dump(mode="json"))
            for e in events
        ]
        outbox = []
        state = before
        for n, (event, new) in enumerate(zip(events, new_events, strict=True), start=1):
            state = decider.evolve(state, event)
            public = self._publication(event, state)
            if public is None:
                continue
            meta = EnvelopeMeta(
                event_id=new.event_id,  # one domain event, at most one public event, same id
                event_type=public.event_type,
                source=self._source,
                time=now,
                subject=stream_id,
                community_id=community_id,
                stream_version=version + n,
                correlation_id=ctx.correlation_id,
                causation_id=ctx.causation_id,
                actor=ctx.actor,
            )
            outbox.append(encode(public, meta))
        idem = None
        if ctx.idempotency_key:
            idem = IdempotencyRecord(
                key=ctx.idempotency_key,
                request_hash=ctx.request_hash or "",
                status_code=status,
                response={"id": stream_id, "version": version + len(events)},
            )
        return AppendBatch(
            stream_id=stream_id,
            stream_type=decider.stream_type,
            community_id=community_id,
            expected_version=version,
            events=new_events,
            recorded_at=now,
            metadata=EventMetadata(ctx.actor, ctx.correlation_id, ctx.causation_id),
            outbox=outbox,
            idempotency=idem,
            subject_id=decider.subject_of(state) if decider.subject_of else None,
        )


async def load_aggregate(
    store: EventStore, decider: Decider[Any, Any, Any], stream_id: str
) -> tuple[int, Any]:
    """(version, state) of a stream, through the store's aggregate cache; a stream of
    another aggregate type is not found."""
    return await store.aggregates.read(decider, stream_id)


def _with_reservations(
    batch: AppendBatch, reserve: list[Reservation], release: list[Reservation]
) -> AppendBatch:
    return replace(
        batch, reserve=tuple(dict.fromkeys(reserve)), release=tuple(dict.fromkeys(release))
    )
