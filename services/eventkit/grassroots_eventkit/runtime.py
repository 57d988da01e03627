"""A service process: its FastAPI app, database pool, relay and consumers, and their lifecycle.

`run(spec, settings)` starts uvicorn; the app's lifespan creates the database (if
allowed), migrates, creates topics, and starts the background workers the
process's roles ask for. SIGTERM stops intake, lets in-flight batches finish and
commit, then closes everything.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import structlog
import uvicorn
from aiokafka import AIOKafkaProducer
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from grassroots_contracts.topics import TopicSpec, dead_letter_spec
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from grassroots_eventkit import failpoints
from grassroots_eventkit.auth import TokenVerifier
from grassroots_eventkit.consumer import IdempotentConsumer, Projector
from grassroots_eventkit.db import create_pool
from grassroots_eventkit.http.audit import audit_router
from grassroots_eventkit.http.catalogue import catalogue_router, start_building
from grassroots_eventkit.http.correlation import CorrelationMiddleware
from grassroots_eventkit.http.problems import install_problem_handlers
from grassroots_eventkit.kafka import ensure_topics, reliable_producer
from grassroots_eventkit.logs import configure_logging
from grassroots_eventkit.migrations import Migration, migrate, run_once
from grassroots_eventkit.personal import (
    KEY_VAULT_MIGRATIONS,
    KeyVault,
    MasterKey,
    MasterKeys,
    PersonalData,
    Sealer,
)
from grassroots_eventkit.personal.cipher import parse_master_key
from grassroots_eventkit.personal.upgrade import seal_plaintext, upgrade_name
from grassroots_eventkit.relay import OutboxRelay
from grassroots_eventkit.settings import ServiceSettings
from grassroots_eventkit.store.postgres import PostgresEventStore
from grassroots_eventkit.store.schema import EVENTKIT_MIGRATIONS

log = structlog.get_logger()


class Worker(Protocol):
    """A background loop of a service besides its relay and consumers (a durable timer)."""

    name: str

    async def run(self) -> None: ...

    def stop(self) -> None: ...


@dataclass(frozen=True)
class ServiceSpec:
    """What makes one service: its name, schema, topics, projectors and routes."""

    name: str
    title: str
    description: str
    version: str
    migrations: Sequence[Migration] = ()
    produces: Sequence[TopicSpec] = ()
    routers: Sequence[APIRouter] = ()
    projectors: Callable[[Runtime], Sequence[Projector]] = lambda _rt: ()
    on_start: Callable[[Runtime], Awaitable[None]] | None = None
    # Started after `on_start`, in processes with the consumer role.
    workers: Callable[[Runtime], Sequence[Worker]] = lambda _rt: ()
    openapi_tags: Sequence[dict[str, Any]] = ()
    # Personal fields sealed per subject in the event store (None: the service has none).
    personal_data: PersonalData | None = None


@dataclass
class Runtime:
    """The live resources of one running process, reachable as `app.state.runtime`."""

    spec: ServiceSpec
    settings: ServiceSettings
    pool: asyncpg.Pool
    store: PostgresEventStore
    vault: KeyVault | None = None
    producer: AIOKafkaProducer | None = None
    relay: OutboxRelay | None = None
    consumers: list[IdempotentConsumer] = field(default_factory=list)
    workers: list[Worker] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def source(self) -> str:
        return f"/grassroots/{self.spec.name}"


async def ensure_database(dsn: str) -> None:
    """Create this service's database on first start (local stack, docker-compose)."""
    try:
        conn = await asyncpg.connect(dsn)
    except asyncpg.InvalidCatalogNameError:
        parts = urlsplit(dsn)
        name = parts.path.lstrip("/")
        admin = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres")))
        try:
            with contextlib.suppress(asyncpg.DuplicateDatabaseError):
                await admin.execute(f'CREATE DATABASE "{name}"')
                log.info("db.created", database=name)
        finally:
            await admin.close()
    else:
        await conn.close()


async def start_runtime(spec: ServiceSpec, settings: ServiceSettings) -> Runtime:
    failpoints.arm(settings.failpoints)
    if settings.create_database:
        await ensure_database(settings.dsn())
    pool = await create_pool(
        settings.dsn(), min_size=settings.pg_pool_min, max_size=settings.pg_pool_max
    )
    await migrate(pool, [*EVENTKIT_MIGRATIONS, *spec.migrations])
    vault, sealer = await _personal_data(spec, settings, pool)
    rt = Runtime(
        spec=spec,
        settings=settings,
        pool=pool,
        store=PostgresEventStore(pool, outbox_shards=settings.outbox_shards, sealer=sealer),
        vault=vault,
    )
    projectors = list(spec.projectors(rt)) if "consumer" in settings.roles else []
    if settings.create_topics:
        suffix = settings.consumer_group_suffix
        topics = [*spec.produces, *(dead_letter_spec(p.group + suffix) for p in projectors)]
        if topics:
            await ensure_topics(
                settings.kafka_bootstrap,
                topics,
                partitions=settings.topic_partitions,
                replication_factor=settings.topic_replication_factor,
                security=settings.kafka_security(),
            )
    needs_producer = ("relay" in settings.roles and spec.produces) or projectors
    if needs_producer:
        rt.producer = reliable_producer(
            settings.kafka_bootstrap, client_id=spec.name, security=settings.kafka_security()
        )
        await rt.producer.start()
    if "relay" in settings.roles and spec.produces and rt.producer:
        rt.relay = OutboxRelay(
            settings.dsn(),
            rt.producer,
            shards=settings.outbox_shards,
            batch_size=settings.relay_batch_size,
            idle_poll_s=settings.relay_idle_poll_s,
        )
        rt._tasks.append(asyncio.create_task(rt.relay.run(), name="relay"))
    for projector in projectors:
        assert rt.producer is not None
        consumer = IdempotentConsumer(
            projector,
            bootstrap=settings.kafka_bootstrap,
            pool=pool,
            dlq_producer=rt.producer,
            batch_size=settings.consumer_batch_size,
            max_attempts=settings.consumer_max_attempts,
            client_id=f"{spec.name}-{projector.group}",
            group_suffix=settings.consumer_group_suffix,
            security=settings.kafka_security(),
        )
        rt.consumers.append(consumer)
        rt._tasks.append(asyncio.create_task(consumer.run(), name=f"consumer:{consumer.group}"))
    if spec.on_start:
        await spec.on_start(rt)
    if "consumer" in settings.roles:
        for worker in spec.workers(rt):
            rt.workers.append(worker)
            rt._tasks.append(asyncio.create_task(worker.run(), name=f"worker:{worker.name}"))
    log.info("service.started", roles=sorted(settings.roles), port=settings.http_port)
    return rt


async def _personal_data(
    spec: ServiceSpec, settings: ServiceSettings, pool: asyncpg.Pool
) -> tuple[KeyVault | None, Sealer | None]:
    """The key vault and sealer of a service with personal fields: a wrong master key
    stops the start; events stored in plain text before are sealed once."""
    if spec.personal_data is None:
        return None, None
    previous = settings.personal_data_previous_master_key()
    keys = MasterKeys(
        MasterKey(parse_master_key(settings.personal_data_master_key())),
        None if previous is None else MasterKey(parse_master_key(previous)),
    )
    await migrate(pool, KEY_VAULT_MIGRATIONS)
    vault = KeyVault(pool, keys, cache_s=settings.personal_key_cache_s)
    await vault.verify_master()
    sealer = Sealer(vault, spec.personal_data.fields)
    deciders = spec.personal_data.deciders

    async def upgrade() -> None:
        await seal_plaintext(pool, sealer, vault, deciders)

    await run_once(pool, upgrade_name(sealer), upgrade)
    return vault, sealer


async def stop_runtime(rt: Runtime) -> None:
    """Stop intake, let in-flight batches commit, then close connections."""
    if rt.relay:
        rt.relay.stop()
    for consumer in rt.consumers:
        consumer.stop()
    for worker in rt.workers:
        worker.stop()
    if rt._tasks:
        done, pending = await asyncio.wait(rt._tasks, timeout=20)
        for task in pending:
            task.cancel()
        for task in done:
            if not task.cancelled() and task.exception():
                log.error(
                    "service.worker_failed", task=task.get_name(), error=repr(task.exception())
                )
    if rt.producer:
        await rt.producer.stop()
    await rt.pool.close()
    log.info("service.stopped")


def _worker_watchdog(rt: Runtime) -> None:
    """A background worker that dies takes the process down: restarted beats half-alive."""
    for task in rt._tasks:
        task.add_done_callback(_exit_if_failed)


def _exit_if_failed(task: asyncio.Task[None]) -> None:
    if task.cancelled() or task.exception() is None:
        return
    log.error("service.worker_crashed", task=task.get_name(), error=repr(task.exception()))
    os.kill(os.getpid(), signal.SIGTERM)


def create_app(spec: ServiceSpec, settings: ServiceSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        start_building(app)
        rt = await start_runtime(spec, settings)
        app.state.runtime = rt
        _worker_watchdog(rt)
        try:
            yield
        finally:
            await stop_runtime(rt)

    app = FastAPI(
        title=spec.title,
        description=spec.description,
        version=spec.version,
        lifespan=lifespan,
        openapi_tags=list(spec.openapi_tags) or None,
    )
    app.state.verifier = TokenVerifier(
        settings.public_key_pem(),
        algorithms=settings.jwt_algorithms,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        leeway_s=settings.jwt_leeway_s,
    )
    install_problem_handlers(app)

    app.add_middleware(CorrelationMiddleware)

    app.include_router(_operations_router())
    app.include_router(catalogue_router())
    if "api" in settings.roles:
        app.include_router(audit_router())
        for router in spec.routers:
            app.include_router(router)
    return app


def _operations_router() -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="Readiness: database reachable, workers running")
    async def readyz(request: Request) -> JSONResponse:
        rt: Runtime | None = getattr(request.app.state, "runtime", None)
        checks: dict[str, bool] = {}
        if rt is None:
            return JSONResponse({"status": "starting", "checks": checks}, status_code=503)
        try:
            checks["database"] = await rt.pool.fetchval("SELECT 1") == 1
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            checks["database"] = False
        if rt.relay is not None:
            checks["relay"] = rt.relay.healthy
        for consumer in rt.consumers:
            checks[f"consumer:{consumer.group}"] = consumer.running
        ok = all(checks.values())
        return JSONResponse(
            {"status": "ready" if ok else "not_ready", "checks": checks},
            status_code=200 if ok else 503,
        )

    @router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
    async def prometheus() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def run(spec: ServiceSpec, settings: ServiceSettings) -> None:
    configure_logging(spec.name, settings.log_level, settings.log_format)
    config = uvicorn.Config(
        create_app(spec, settings),
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        # uvloop and httptools: the event loop and HTTP parser in C, roughly halving the
        # per-request overhead of a small command.
        loop="uvloop",
        http="httptools",
        lifespan="on",
        timeout_graceful_shutdown=20,
    )
    uvicorn.Server(config).run()
