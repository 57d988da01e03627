"""Faults on the running local stack, each undone the way the stack itself starts things.

Everything blocking (the stack's own start functions, pg_ctl) runs in a worker thread:
the load keeps running in the event loop meanwhile.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import httpx
import structlog
from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition
from confluent_kafka.admin import AdminClient

from grassroots_stack import kafka, postgres, processes, services, stack
from grassroots_stack.chaos.groups import Ends, Group, committed, end_offsets, first_offsets
from grassroots_stack.kafka_access import confluent_config
from grassroots_stack.layout import Layout

log = structlog.get_logger()


@dataclass
class Fault:
    """What a fault did, for the report: a short line per step, and its timings."""

    steps: list[str] = field(default_factory=list)
    down_s: float = 0.0
    rewound: list[Group] = field(default_factory=list)  # groups made to read a topic again
    redelivered: int = 0  # records each of them reads again

    def note(self, text: str) -> None:
        log.info("chaos.fault", step=text)
        self.steps.append(text)


async def _restart_services(layout: Layout, names: Iterable[str], fault: Fault) -> None:
    plans = tuple(layout.service(n) for n in names)
    for plan in plans:
        await asyncio.to_thread(services.start, layout, plan)
    await asyncio.to_thread(services.wait_ready, layout, plans, 120.0)
    stack.record_pids(layout)
    fault.note(f"{', '.join(p.name for p in plans)} restarted and ready")


async def kill_service(layout: Layout, name: str, *, down_s: float) -> Fault:
    """SIGKILL the service's process, leave it dead `down_s`, start it as `up` does."""
    fault = Fault()
    started = time.monotonic()
    pid = await asyncio.to_thread(processes.kill, layout.pids, name)
    if pid is None:
        raise RuntimeError(f"{name} is not running: `grassroots stack up` first")
    fault.note(f"{name} (pid {pid}) SIGKILLed")
    await asyncio.sleep(down_s)
    await _restart_services(layout, [name], fault)
    fault.down_s = time.monotonic() - started
    return fault


async def restart_kafka(layout: Layout, *, down_s: float) -> Fault:
    """SIGKILL the broker (no clean shutdown: its logs are recovered at start), then start
    it again on the same data folder."""
    fault = Fault()
    started = time.monotonic()
    pid = await asyncio.to_thread(processes.kill, layout.pids, kafka.NAME)
    if pid is None:
        raise RuntimeError("Kafka is not running: `grassroots stack up` first")
    fault.note(f"kafka (pid {pid}) SIGKILLed")
    await asyncio.sleep(down_s)
    await asyncio.to_thread(kafka.start, layout)
    fault.down_s = time.monotonic() - started
    fault.note(f"kafka restarted on the same data in {fault.down_s:.1f}s")
    await asyncio.to_thread(services.wait_ready, layout, layout.services, 180.0)
    fault.note("every service ready again")
    return fault


async def restart_postgres(layout: Layout, *, down_s: float) -> Fault:
    """`pg_ctl stop -m immediate`: every backend aborted, no checkpoint, like a crash; the
    next start replays the WAL. Then started as `up` starts it."""
    fault = Fault()
    if layout.external_pg_dsn:
        raise RuntimeError("PostgreSQL is external (GRASSROOTS_PG_DSN): not ours to restart")
    started = time.monotonic()
    await asyncio.to_thread(postgres.stop, layout, mode="immediate")
    fault.note("postgres stopped in immediate mode")
    await asyncio.sleep(down_s)
    await asyncio.to_thread(postgres.start, layout)
    fault.down_s = time.monotonic() - started
    fault.note(f"postgres started again (WAL replayed) after {fault.down_s:.1f}s")
    await asyncio.to_thread(services.wait_ready, layout, layout.services, 180.0)
    fault.note("every service ready again")
    return fault


async def redeliver(layout: Layout, topic: str, groups: list[Group]) -> Fault:
    """Every consumer group that reads `topic` reads it again from offset 0.

    A group's offsets can only be moved while it has no members, so the services running
    those groups are stopped (SIGTERM: in-flight batches commit), the groups' offsets on
    `topic` set to the earliest offset (its other topics keep theirs), and the services
    started again; the load keeps going meanwhile and meets the stopped ones."""
    fault = Fault()
    started = time.monotonic()
    done = await committed(layout, groups)
    readers = [g for g in groups if topic in g.topics(done[g.name])]
    owners = sorted({g.service for g in readers})
    for name in owners:
        await asyncio.to_thread(services.stop, layout, layout.service(name))
    fault.note(f"stopped {', '.join(owners)} (their groups must be empty to move offsets)")
    ends = await end_offsets(layout, [topic])
    firsts = await first_offsets(layout, [topic])
    backlog = sum(ends[tp] - firsts[tp] for tp in ends)
    await asyncio.to_thread(_rewind, layout, [g.name for g in readers], firsts)
    fault.note(f"{len(readers)} groups rewound to the start of {topic} ({backlog} records)")
    fault.rewound, fault.redelivered = readers, backlog
    await _restart_services(layout, owners, fault)
    fault.down_s = time.monotonic() - started
    return fault


def _rewind(layout: Layout, groups: list[str], firsts: Ends) -> None:
    """Commit each partition's first offset for each group, through the admin API."""
    admin = AdminClient(confluent_config(layout.kafka_bootstrap, kafka.admin_security(layout)))
    for group in groups:
        request = ConsumerGroupTopicPartitions(
            group, [TopicPartition(tp.topic, tp.partition, first) for tp, first in firsts.items()]
        )
        for future in admin.alter_consumer_group_offsets([request], request_timeout=30).values():
            future.result()


async def skipped_as_applied(layout: Layout, rewound: list[Group]) -> dict[str, int]:
    """Per rewound group: the redelivered events its dedupe skipped, from its service's
    /metrics (counted since the restart that followed the rewind)."""
    out: dict[str, int] = {}
    async with httpx.AsyncClient(timeout=5.0) as client:
        for service in sorted({g.service for g in rewound}):
            text = (await client.get(f"{services.url(layout.service(service))}/metrics")).text
            for line in text.splitlines():
                if line.startswith("grassroots_events_duplicate_total{"):
                    group = line.split('consumer="', 1)[1].split('"', 1)[0]
                    out[group] = int(float(line.rsplit(" ", 1)[1]))
    return {g.name: out.get(g.name, 0) for g in rewound}
