"""Schema migrations: ordered, named SQL scripts applied once, under an advisory lock.

Several instances of a service may start at once; the lock makes one of them
migrate while the others wait.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import asyncpg
import structlog

log = structlog.get_logger()

_LOCK_KEY = 0x6772617373  # "grass"


@dataclass(frozen=True, slots=True)
class Migration:
    name: str
    sql: str


async def migrate(pool: asyncpg.Pool, migrations: Sequence[Migration]) -> list[str]:
    applied: list[str] = []
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
        for m in migrations:
            if m.name in done:
                continue
            await conn.execute(m.sql)
            await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", m.name)
            applied.append(m.name)
    if applied:
        log.info("db.migrated", migrations=applied)
    return applied


async def run_once(pool: asyncpg.Pool, name: str, step: Callable[[], Awaitable[None]]) -> bool:
    """A data migration written in Python (for what SQL cannot do, e.g. encryption), recorded
    in schema_migrations like the others. Instances starting together serialise on the
    advisory lock; the step runs on its own connections and must be idempotent, since a
    crash after it and before the record runs it again."""
    async with pool.acquire() as conn:
        await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
        try:
            done = await conn.fetchval("SELECT 1 FROM schema_migrations WHERE name = $1", name)
            if done:
                return False
            await step()
            await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", name)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
    log.info("db.migrated", migrations=[name])
    return True
