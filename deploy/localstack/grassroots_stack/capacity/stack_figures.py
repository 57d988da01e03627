"""Figures measured on the running stack's own data (the Dong'an demo, or whatever it
holds): bytes per stored event in each service's database, bytes per record on each
public topic's disk, and the demo's mix of event types (what a county's traffic looks
like when the services themselves made it)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import asyncpg
from grassroots_contracts.envelope import H_COMMUNITY, H_TYPE
from grassroots_contracts.topics import ALL_TOPICS
from projections_service.replay.reader import TopicReader

from grassroots_stack import kafka, postgres
from grassroots_stack.layout import Layout

SERVICES = ("organisation", "requests", "volunteering", "points", "projections")


# What a table's size grows with, by its name.
STORE = ("es_events", "es_streams", "es_outbox")  # the service's own events
COMMANDS = ("es_idempotency", "ek_audit", "es_reservations", "ek_subject_keys")  # its commands
DEDUPE = ("ek_processed_events", "ek_dead_letters")  # every event its consumers applied
# Read models built from the organisation's events: its own (rm_), and the copies the
# requests (routing, rt_), volunteering (directory, vd_) and points (pd_) services keep.
ORGANISATION_COPIES = ("rm_", "rt_", "vd_", "pd_")


def table_class(table: str) -> str:
    if table in STORE:
        return "event_store"
    if table in COMMANDS:
        return "commands"
    if table in DEDUPE:
        return "dedupe"
    if table.startswith(ORGANISATION_COPIES):
        return "organisation_read_models"
    return "own_read_models"


@dataclass(frozen=True, slots=True)
class ServiceDatabase:
    service: str
    database_bytes: int
    events: int  # rows of its event store (es_events); 0 for projections
    tables: dict[str, int]  # every table's total bytes

    def classes(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for table, size in self.tables.items():
            if table != "schema_migrations":
                out[table_class(table)] = out.get(table_class(table), 0) + size
        return out

    def as_dict(self) -> dict[str, object]:
        per_event = self.database_bytes / self.events if self.events else None
        store = self.classes().get("event_store", 0)
        return {
            "service": self.service,
            "database_bytes": self.database_bytes,
            "events": self.events,
            "database_bytes_per_event": round(per_event) if per_event else None,
            "event_store_bytes_per_event": round(store / self.events) if self.events else None,
            "bytes_by_class": self.classes(),
            "tables": self.tables,
        }


async def service_database(layout: Layout, service: str) -> ServiceDatabase:
    conn = await asyncpg.connect(postgres.service_dsn(layout, service))
    try:
        await conn.execute("VACUUM ANALYZE")
        size = int(await conn.fetchval("SELECT pg_database_size(current_database())"))
        has_store = await conn.fetchval("SELECT to_regclass('es_events') IS NOT NULL")
        events = int(await conn.fetchval("SELECT count(*) FROM es_events")) if has_store else 0
        rows = await conn.fetch(
            "SELECT relname, pg_total_relation_size(c.oid) AS bytes FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 2 DESC"
        )
    finally:
        await conn.close()
    return ServiceDatabase(service, size, events, {r["relname"]: int(r["bytes"]) for r in rows})


def topic_log_bytes(layout: Layout, topic: str) -> int:
    """The topic's log segments on disk (the index files are preallocated, left out)."""
    data = layout.run_dir / "kafka" / "data"
    return sum(f.stat().st_size for f in data.glob(f"{topic}-*/*.log"))


@dataclass(frozen=True, slots=True)
class TopicFigures:
    topic: str
    records: int
    log_bytes: int
    by_type: Counter[str]
    communities: int

    def as_dict(self) -> dict[str, object]:
        return {
            "topic": self.topic,
            "records": self.records,
            "log_bytes": self.log_bytes,
            "bytes_per_record": round(self.log_bytes / self.records) if self.records else None,
            "communities": self.communities,
            "by_type": dict(self.by_type.most_common()),
        }


async def topic_figures(layout: Layout, topic: str) -> TopicFigures:
    """Reads the topic from its first offset (outside any group) and counts its types."""
    reader = TopicReader(
        layout.kafka_bootstrap,
        [topic],
        client_id="capacity-topic-figures",
        security=kafka.admin_security(layout),
    )
    by_type: Counter[str] = Counter()
    keys: set[str] = set()
    await reader.open()
    try:
        async for records in reader.batches():
            for r in records:
                headers = dict(r.headers or ())
                by_type[headers.get(H_TYPE, b"?").decode().split(".")[2]] += 1
                keys.add(headers.get(H_COMMUNITY, b"").decode())
        read = reader.read
    finally:
        await reader.close()
    return TopicFigures(topic, read, topic_log_bytes(layout, topic), by_type, len(keys))


async def measure(layout: Layout) -> dict[str, object]:
    return {
        "databases": [(await service_database(layout, s)).as_dict() for s in SERVICES],
        "topics": [(await topic_figures(layout, t.name)).as_dict() for t in ALL_TOPICS],
    }
