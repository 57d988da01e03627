"""The running stack's consumer groups, what each reads, and waiting until every group has
committed everything there is to read.

Each service names its consumer groups on `/readyz` (`consumer:<group>`), so the list
is the stack's own, not a copy kept here. "Caught up" means, at one moment: no service
has an outbox row waiting for its relay, and every group's committed offset equals the
end offset of every partition of the topics it reads; a policy that turns events into
new ones (points) moves the ends again, so the moment is looked for until it holds.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from grassroots_contracts.topics import ALL_TOPICS
from grassroots_eventkit.kafka import client_security

from grassroots_stack import kafka, postgres, services
from grassroots_stack.kafka_access import SERVICE_CONSUMES
from grassroots_stack.layout import Layout

Ends = dict[TopicPartition, int]
EVENT_TOPICS: tuple[str, ...] = tuple(spec.name for spec in ALL_TOPICS)


@dataclass(frozen=True, slots=True)
class Group:
    name: str
    service: str

    def topics(self, committed: Iterable[TopicPartition]) -> set[str]:
        """The event topics it reads: those it has committed offsets on, else its service's."""
        found = {tp.topic for tp in committed if tp.topic in EVENT_TOPICS}
        return found or {spec.name for spec in SERVICE_CONSUMES[self.service]}


async def stack_groups(layout: Layout, *, timeout: float = 120.0) -> list[Group]:
    """Every consumer group of every service, as its `/readyz` names them."""
    found: list[Group] = []
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=3.0) as client:
        for plan in layout.services:
            while True:
                try:
                    checks = (await client.get(f"{services.url(plan)}/readyz")).json()["checks"]
                    if checks:
                        break
                except (httpx.HTTPError, ValueError, KeyError):
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{plan.name} did not name its consumer groups")
                await asyncio.sleep(0.5)
            found += [
                Group(name.removeprefix("consumer:"), plan.name)
                for name in checks
                if name.startswith("consumer:")
            ]
    return found


def _admin(layout: Layout) -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(
        bootstrap_servers=layout.kafka_bootstrap,
        request_timeout_ms=10_000,
        **client_security(kafka.admin_security(layout)),
    )


async def end_offsets(layout: Layout, topics: Iterable[str] = EVENT_TOPICS) -> Ends:
    """Every partition's end offset (the offset its next record will get)."""
    return await _offsets(layout, topics, first=False)


async def first_offsets(layout: Layout, topics: Iterable[str]) -> Ends:
    """Every partition's first offset still kept (0 on the event topics: kept forever)."""
    return await _offsets(layout, topics, first=True)


async def _offsets(layout: Layout, topics: Iterable[str], *, first: bool) -> Ends:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=layout.kafka_bootstrap,
        group_id=None,
        enable_auto_commit=False,
        request_timeout_ms=10_000,
        **client_security(kafka.admin_security(layout)),
    )
    await consumer.start()
    try:
        tps = []
        for topic in topics:
            partitions = consumer.partitions_for_topic(topic)
            if not partitions:
                await consumer._client.force_metadata_update()
                partitions = consumer.partitions_for_topic(topic) or set()
            tps += [TopicPartition(topic, p) for p in sorted(partitions)]
        found = await (consumer.beginning_offsets(tps) if first else consumer.end_offsets(tps))
        return dict(found)
    finally:
        await consumer.stop()


async def committed(layout: Layout, groups: Iterable[Group]) -> dict[str, Ends]:
    admin = _admin(layout)
    await admin.start()
    try:
        out: dict[str, Ends] = {}
        for group in groups:
            offsets = await admin.list_consumer_group_offsets(group.name)
            out[group.name] = {tp: meta.offset for tp, meta in offsets.items()}
        return out
    finally:
        await admin.close()


async def topics_read(layout: Layout, groups: Iterable[Group]) -> dict[Group, set[str]]:
    """The event topics each group reads (those it has committed offsets on)."""
    groups = list(groups)
    done = await committed(layout, groups)
    return {g: g.topics(done[g.name]) for g in groups}


def lag(group: Group, done: Ends, ends: Ends) -> int:
    """Records of the group's topics below `ends` it has not committed."""
    topics = group.topics(done)
    return sum(
        max(0, end - max(done.get(tp, 0), 0)) for tp, end in ends.items() if tp.topic in topics
    )


async def outbox_rows(layout: Layout) -> dict[str, int]:
    """Rows each service's relay has yet to publish."""
    out: dict[str, int] = {}
    for plan in layout.services:
        conn = await asyncpg.connect(postgres.service_dsn(layout, plan.name), timeout=10)
        try:
            out[plan.name] = int(await conn.fetchval("SELECT count(*) FROM es_outbox"))
        finally:
            await conn.close()
    return out


@dataclass(frozen=True, slots=True)
class Behind:
    """Why the stack is not caught up yet (empty: it is)."""

    outbox: dict[str, int]
    groups: dict[str, int]

    def __bool__(self) -> bool:
        return any(self.outbox.values()) or any(self.groups.values())

    def describe(self) -> str:
        parts = [f"outbox {s}: {n}" for s, n in self.outbox.items() if n]
        parts += [f"{g}: {n} behind" for g, n in self.groups.items() if n]
        return ", ".join(parts) or "caught up"


async def behind(layout: Layout, groups: list[Group]) -> tuple[Behind, Ends]:
    outbox = await outbox_rows(layout)
    ends = await end_offsets(layout)
    done = await committed(layout, groups)
    return Behind(outbox, {g.name: lag(g, done[g.name], ends) for g in groups}), ends


async def wait_caught_up(layout: Layout, groups: list[Group], *, timeout: float) -> float:
    """Seconds until nothing waits in an outbox and every group has committed the ends,
    twice in a row with the same ends. Raises with what is still behind."""
    started = time.monotonic()
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    previous: Ends | None = None
    last = Behind({}, {})
    while time.monotonic() - started < timeout:
        try:
            last, ends = await behind(layout, groups)
        except (OSError, KafkaError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            last, ends = Behind({"unreachable": 1}, {str(exc): 1}), {}
        if not last and ends == previous:
            return time.monotonic() - started
        previous = ends if not last else None
        await asyncio.sleep(0.5)
    raise CatchUpTimeout(f"not caught up after {timeout:.0f}s: {last.describe()}", last)


class CatchUpTimeout(RuntimeError):
    def __init__(self, message: str, behind: Behind) -> None:
        super().__init__(message)
        self.behind = behind
