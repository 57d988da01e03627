"""The raw ceilings a benchmark compares itself with, on the stack's own servers:
a durable PostgreSQL transaction per command, and Kafka's own producer throughput
(its `ProducerPerformance` tool, from the Maven Central kafka-tools jars).
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from grassroots_eventkit.db import create_pool
from grassroots_eventkit.kafka import client_security
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from grassroots_stack import kafka, postgres
from grassroots_stack.layout import Layout

console = Console()

# What ProducerPerformance prints last: "N records sent, R records/sec (M MB/sec), ..."
_SUMMARY = re.compile(r"(\d+) records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\)")


async def closed_loop(
    label: str, writers: int, seconds: float, one: Callable[[int, int], Awaitable[None]]
) -> float:
    """Run `one(writer, i)` in a loop on `writers` tasks for `seconds`; calls per second."""
    done = [0] * writers
    stop = time.perf_counter() + seconds

    async def loop(w: int) -> None:
        i = 0
        while time.perf_counter() < stop:
            await one(w, i)
            i += 1
        done[w] = i

    with Progress(
        TextColumn(f"{label} × {writers:>2}"),
        BarColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=seconds)
        started = time.perf_counter()
        runners = asyncio.gather(*(loop(w) for w in range(writers)))
        while not runners.done():
            await asyncio.sleep(0.2)
            bar.update(task, completed=min(seconds, time.perf_counter() - started))
        await runners
        elapsed = time.perf_counter() - started
    rate = sum(done) / elapsed
    console.print(
        f"{label:<22} {writers:>2} writers: {sum(done):>8} in {elapsed:5.1f}s = {rate:9.0f}/s"
    )
    return rate


async def raw_insert(pool: asyncpg.Pool) -> Callable[[int, int], Awaitable[None]]:
    """One durable one-row INSERT per call, in a table made for it."""
    await pool.execute(
        "CREATE TABLE IF NOT EXISTS raw_ceiling"
        " (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, payload jsonb NOT NULL)"
    )
    payload = json.dumps(
        {"community_id": "bench-00001", "name": "社区bench-00001-0-0"}, ensure_ascii=False
    )

    async def insert(_w: int, _i: int) -> None:
        # Autocommit: one INSERT is one durable transaction (synchronous_commit on).
        await pool.execute("INSERT INTO raw_ceiling (payload) VALUES ($1::jsonb)", payload)

    return insert


@asynccontextmanager
async def scratch_database(
    layout: Layout, connections: int, *, prefix: str = "bench", keep: bool = False
) -> AsyncIterator[asyncpg.Pool]:
    """A throw-away database on the stack's server, dropped afterwards unless `keep`."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(postgres.admin_dsn(layout))
    await admin.execute(f'CREATE DATABASE "{name}"')
    pool = await create_pool(
        postgres.service_dsn(layout, name), min_size=connections, max_size=connections + 4
    )
    try:
        yield pool
    finally:
        await pool.close()
        if not keep:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def raw_pg_tx_per_s(layout: Layout, writers: int, seconds: float) -> float:
    async with scratch_database(layout, writers) as pool:
        insert = await raw_insert(pool)
        return await closed_loop("raw PG insert tx", writers, seconds, insert)


@asynccontextmanager
async def scratch_topic(layout: Layout, partitions: int) -> AsyncIterator[str]:
    """A topic of the benchmark's own, made as the stack's super user, deleted after."""
    name = f"bench.{uuid.uuid4().hex[:10]}"
    security = kafka.admin_security(layout)
    admin = AIOKafkaAdminClient(
        bootstrap_servers=layout.kafka_bootstrap, **client_security(security)
    )
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, partitions, 1)])
        yield name
        await admin.delete_topics([name])
    finally:
        await admin.close()


async def kafka_producer_records_per_s(
    layout: Layout, records: int, record_size: int, partitions: int = 12
) -> dict[str, float]:
    """Kafka's ProducerPerformance with the services' producer settings (acks=all,
    idempotence, linger 5 ms, 512 KiB batches), as the super user, on a topic of its own."""
    jars = kafka.ensure_tools_jars(layout)
    async with scratch_topic(layout, partitions) as topic:
        return await _producer_performance(layout, jars, topic, records, record_size)


async def _producer_performance(
    layout: Layout, jars: Path, topic: str, records: int, record_size: int
) -> dict[str, float]:
    security = kafka.admin_security(layout)
    password = security.password.get_secret_value() if security.password else ""
    config = (
        f"bootstrap.servers={layout.kafka_bootstrap}\n"
        f"security.protocol={security.security_protocol}\n"
        f"sasl.mechanism={security.sasl_mechanism}\n"
        "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required "
        f'username="{security.username}" password="{password}";\n'
        "acks=all\nenable.idempotence=true\nlinger.ms=5\nbatch.size=524288\n"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".properties", delete=True) as props:
        props.write(config)
        props.flush()
        command = [
            "java",
            "-Xmx512m",
            "-cp",
            f"{jars}/*",
            "org.apache.kafka.tools.ProducerPerformance",
            "--topic",
            topic,
            "--num-records",
            str(records),
            "--record-size",
            str(record_size),
            "--throughput",
            "-1",
            "--producer.config",
            props.name,
        ]
        console.print(f"Kafka ProducerPerformance: {records:,} records of {record_size} bytes")
        done = await asyncio.to_thread(
            subprocess.run, command, capture_output=True, text=True, timeout=600
        )
    found = _SUMMARY.findall(done.stdout)
    if done.returncode != 0 or not found:
        said = done.stdout[-2000:] + done.stderr[-2000:]
        raise RuntimeError(f"ProducerPerformance failed:\n{said}")
    sent, per_s, mb_per_s = found[-1]
    return {"records": int(sent), "records_per_s": float(per_s), "mb_per_s": float(mb_per_s)}
