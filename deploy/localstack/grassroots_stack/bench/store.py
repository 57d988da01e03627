"""`grassroots bench store`: the event store's figures on the running local stack.

1. write path: commands/s through CommandRunner (load, decide, append + outbox,
   commit) on the organisation's community aggregate, at 1 and 16 writers;
2. raw ceiling: a durable one-row-insert transaction per command on the same server,
   same client harness, at 1 and 16 writers;
3. relay: outbox rows published to Kafka per second (idempotent producer, acks=all);
4. apply: events per second through the idempotent consumer into the real
   communities read model (dedupe + batched upserts, offsets committed after).

Everything runs in a throw-away database and on throw-away topics of the stack's
own servers, so the stack's data is untouched.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import statistics
import time
import uuid
from collections.abc import Awaitable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from grassroots_contracts import organisation as org
from grassroots_contracts.envelope import EnvelopeMeta
from grassroots_eventkit.codec import encode
from grassroots_eventkit.commands import CommandContext, CommandRunner
from grassroots_eventkit.consumer import IdempotentConsumer
from grassroots_eventkit.db import create_pool
from grassroots_eventkit.kafka import client_security, reliable_producer
from grassroots_eventkit.migrations import migrate
from grassroots_eventkit.relay import OutboxRelay
from grassroots_eventkit.settings import KafkaSecurity
from grassroots_eventkit.store.postgres import PostgresEventStore, shard_of
from grassroots_eventkit.store.schema import EVENTKIT_MIGRATIONS
from organisation_service.domain import community
from organisation_service.handlers.communities import community_name_claims
from organisation_service.publication import to_public
from projections_service.views import communities as communities_view
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from grassroots_stack import kafka, postgres
from grassroots_stack.bench import ceilings
from grassroots_stack.layout import Layout

console = Console()

WRITERS = (1, 16)
ROUNDS = 3
OUTBOX_SHARDS = 8


class Sizes:
    def __init__(self, quick: bool) -> None:
        self.write_seconds = 3.0 if quick else 15.0  # per side and writer count, over ROUNDS
        self.aggregates = 200 if quick else 2000
        self.relay_events = 20_000 if quick else 200_000
        self.apply_events = 20_000 if quick else 200_000


async def bench_write_vs_raw(
    pool: asyncpg.Pool, sizes: Sizes
) -> tuple[dict[str, float], dict[str, float], dict[str, list[list[float]]]]:
    """The write path and the raw ceiling, measured in alternating rounds.

    The disk's fsync latency drifts over minutes on a shared machine; alternating
    short rounds of the two (and taking each one's median) lets both sides of the
    ratio see the same disk.
    """
    store = PostgresEventStore(pool, outbox_shards=OUTBOX_SHARDS)
    runner = CommandRunner(store, source="/bench/organisation", publication=to_public)
    ids = [f"bench-{i:05d}" for i in range(sizes.aggregates)]
    ctx = CommandContext(actor="bench")
    for cid in ids:
        cmd = community.RegisterCommunity(
            community_id=cid, name=f"社区{cid}", county="基准县", town="一镇"
        )
        await runner.run(
            community.DECIDER,
            stream_id=cid,
            command=cmd,
            ctx=ctx,
            community_of=community.community_of,
            reservations=community_name_claims,
        )
    raw = await ceilings.raw_insert(pool)

    write: dict[str, float] = {}
    ceiling: dict[str, float] = {}
    rounds: dict[str, list[list[float]]] = {}
    seconds = sizes.write_seconds / ROUNDS
    for writers in WRITERS:
        # Each writer renames its own slice of communities: no contention, like real traffic
        # spread over a county's communities.
        def rename(w: int, i: int, writers: int = writers) -> Awaitable[Any]:
            mine = ids[w::writers]
            cid = mine[i % len(mine)]
            cmd = community.RenameCommunity(community_id=cid, name=f"社区{cid}-{w}-{i}")
            return runner.run(
                community.DECIDER,
                stream_id=cid,
                command=cmd,
                ctx=ctx,
                community_of=community.community_of,
                reservations=community_name_claims,
            )

        pairs = []
        for _ in range(ROUNDS):
            pairs.append(
                [
                    await ceilings.closed_loop("write path", writers, seconds, rename),
                    await ceilings.closed_loop("raw PG insert tx", writers, seconds, raw),
                ]
            )
        rounds[str(writers)] = [[round(a, 1), round(b, 1)] for a, b in pairs]
        write[str(writers)] = statistics.median(a for a, _ in pairs)
        ceiling[str(writers)] = statistics.median(b for _, b in pairs)
    return write, ceiling, rounds


async def _topic(bootstrap: str, security: KafkaSecurity, partitions: int = 24) -> str:
    name = f"bench.{uuid.uuid4().hex[:10]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **client_security(security))
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, partitions, 1)])
    finally:
        await admin.close()
    return name


def _event_record(
    topic: str, i: int, communities: int
) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    cid = f"bench-{i % communities:05d}"
    version = i // communities + 1
    now = datetime.now(UTC)
    if version == 1:
        event: org.CommunityRegistered | org.CommunityRenamed = org.CommunityRegistered(
            community_id=cid, name=f"社区{cid}", county="基准县", town="一镇", registered_at=now
        )
    else:
        event = org.CommunityRenamed(community_id=cid, name=f"社区{cid}-{version}", renamed_at=now)
    meta = EnvelopeMeta(
        event_id=uuid.uuid4(),
        event_type=event.event_type,
        source="/bench",
        time=now,
        subject=cid,
        community_id=cid,
        stream_version=version,
    )
    record = encode(event, meta)
    return record.key, record.value, list(record.headers)


async def bench_relay(
    dsn: str, pool: asyncpg.Pool, bootstrap: str, security: KafkaSecurity, sizes: Sizes
) -> float:
    topic = await _topic(bootstrap, security)
    await pool.execute("TRUNCATE es_outbox")
    n = sizes.relay_events
    rows = []
    for i in range(n):
        key, value, headers = _event_record(topic, i, 2000)
        rows.append(
            (
                shard_of(key, OUTBOX_SHARDS),
                topic,
                key,
                value,
                json.dumps([[k, v.decode()] for k, v in headers]),
            )
        )
    await pool.copy_records_to_table(
        "es_outbox", records=rows, columns=["shard", "topic", "key", "value", "headers"]
    )
    producer = reliable_producer(bootstrap, client_id="bench-relay", security=security)
    await producer.start()
    relay = OutboxRelay(dsn, producer, shards=OUTBOX_SHARDS, batch_size=5000, idle_poll_s=0.01)
    started = time.perf_counter()
    task = asyncio.create_task(relay.run())
    with Progress(
        TextColumn("relay → Kafka"),
        BarColumn(),
        TextColumn("{task.completed:>7.0f}/{task.total:.0f}"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:
        t = bar.add_task("relay", total=n)
        while relay.published < n:
            await asyncio.sleep(0.1)
            bar.update(t, completed=relay.published)
    elapsed = time.perf_counter() - started
    relay.stop()
    await task
    await producer.stop()
    rate = n / elapsed
    console.print(f"{'relay':<22} {n:>8} events in {elapsed:5.1f}s = {rate:9.0f}/s")
    return rate


async def bench_apply(
    bootstrap: str, pool: asyncpg.Pool, security: KafkaSecurity, sizes: Sizes
) -> float:
    topic = await _topic(bootstrap, security)
    n = sizes.apply_events
    producer = reliable_producer(bootstrap, client_id="bench-producer", security=security)
    await producer.start()
    for i in range(n):
        key, value, headers = _event_record(topic, i, 2000)
        await producer.send(topic, value, key=key, headers=headers)
    await producer.flush()
    await migrate(pool, [communities_view.MIGRATION])

    class BenchProjector(communities_view.CommunitiesProjector):
        group = f"bench-{uuid.uuid4().hex[:8]}"
        topics = (topic,)

    consumer = IdempotentConsumer(
        BenchProjector(),
        bootstrap=bootstrap,
        pool=pool,
        dlq_producer=producer,
        batch_size=5000,
        security=security,
    )
    started = time.perf_counter()
    task = asyncio.create_task(consumer.run())
    with Progress(
        TextColumn("Kafka → read model"),
        BarColumn(),
        TextColumn("{task.completed:>7.0f}/{task.total:.0f}"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:
        t = bar.add_task("apply", total=n)
        while consumer.applied < n:
            await asyncio.sleep(0.1)
            bar.update(t, completed=consumer.applied)
    elapsed = time.perf_counter() - started
    consumer.stop()
    await task
    await producer.stop()
    rate = n / elapsed
    console.print(f"{'apply':<22} {n:>8} events in {elapsed:5.1f}s = {rate:9.0f}/s")
    return rate


async def run(layout: Layout, quick: bool) -> dict[str, Any]:
    sizes = Sizes(quick)
    name = f"bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(postgres.admin_dsn(layout))
    await admin.execute(f'CREATE DATABASE "{name}"')
    dsn = postgres.service_dsn(layout, name)
    pool = await create_pool(dsn, min_size=16, max_size=20)
    try:
        await migrate(pool, EVENTKIT_MIGRATIONS)
        write, raw, rounds = await bench_write_vs_raw(pool, sizes)
        # As the stack's super user: the benchmark's topics and groups are its own.
        security = kafka.admin_security(layout)
        relay = await bench_relay(dsn, pool, layout.kafka_bootstrap, security, sizes)
        apply = await bench_apply(layout.kafka_bootstrap, pool, security, sizes)
    finally:
        await pool.close()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    return {
        "write_cmds_per_s": {k: round(v, 1) for k, v in write.items()},
        "raw_pg_tx_per_s": {k: round(v, 1) for k, v in raw.items()},
        "write_vs_raw_at_16": round(write["16"] / raw["16"], 3),
        "rounds_write_then_raw": rounds,
        "relay_events_per_s": round(relay, 1),
        "apply_events_per_s": round(apply, 1),
        "goals": {
            "write_vs_raw_at_16": ">= 0.70",
            "relay_events_per_s": ">= 20000",
            "apply_events_per_s": ">= 10000",
        },
        "run": {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "quick": quick,
            "write_seconds_per_point": sizes.write_seconds,
            "rounds": ROUNDS,
            "aggregates": sizes.aggregates,
            "relay_events": sizes.relay_events,
            "apply_events": sizes.apply_events,
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "machine": platform.machine(),
            "client": "one asyncio process, asyncpg pool of 16-20 connections",
        },
    }


def _markdown(result: dict[str, Any]) -> str:
    w, r = result["write_cmds_per_s"], result["raw_pg_tx_per_s"]
    lines = [
        "# Event store benchmark",
        "",
        f"Run {result['run']['at']} on {result['run']['cpus']} CPUs "
        f"(`make bench-store`{', quick' if result['run']['quick'] else ''}).",
        "",
        "| figure | 1 writer | 16 writers | goal |",
        "| --- | ---: | ---: | --- |",
        f"| write path, commands/s | {w['1']:,.0f} | {w['16']:,.0f} | ≥ 70% of raw at 16 |",
        f"| raw PostgreSQL insert tx/s | {r['1']:,.0f} | {r['16']:,.0f} | ceiling |",
        f"| write path / raw | {w['1'] / r['1']:.0%} | {result['write_vs_raw_at_16']:.0%}"
        " | ≥ 70% |",
        "",
        "| figure | events/s | goal |",
        "| --- | ---: | --- |",
        f"| relay, outbox → Kafka | {result['relay_events_per_s']:,.0f} | ≥ 20,000 |",
        f"| apply, Kafka → read model | {result['apply_events_per_s']:,.0f} | ≥ 10,000 |",
        "",
    ]
    return "\n".join(lines)


def main(layout: Layout, *, quick: bool = False) -> int:
    result = asyncio.run(run(layout, quick))
    out = layout.root / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "store.json").write_text(json.dumps(result, indent=2) + "\n")
    (out / "store.md").write_text(_markdown(result))
    table = Table(title="Event store benchmark")
    for col in ("figure", "value", "goal"):
        table.add_column(col)
    table.add_row("write/raw at 16 writers", f"{result['write_vs_raw_at_16']:.0%}", "≥ 70%")
    table.add_row("relay events/s", f"{result['relay_events_per_s']:,.0f}", "≥ 20,000")
    table.add_row("apply events/s", f"{result['apply_events_per_s']:,.0f}", "≥ 10,000")
    console.print(table)
    console.print(f"wrote {Path(out / 'store.json').relative_to(layout.root)} and store.md")
    return 0
