"""A fresh PostgreSQL database per test, on the stack's server, dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from grassroots_eventkit.db import create_pool
from grassroots_eventkit.migrations import Migration, migrate
from grassroots_eventkit.store.schema import EVENTKIT_MIGRATIONS

from tests.support.stack import Stack


@asynccontextmanager
async def fresh_database(
    stack: Stack, *, extra: tuple[Migration, ...] = (), pool_size: int = 20
) -> AsyncIterator[tuple[str, asyncpg.Pool]]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(stack.postgres)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    dsn = stack.dsn(name)
    pool = await create_pool(dsn, min_size=2, max_size=pool_size)
    try:
        await migrate(pool, [*EVENTKIT_MIGRATIONS, *extra])
        yield dsn, pool
    finally:
        await pool.close()
        admin = await asyncpg.connect(stack.postgres)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
