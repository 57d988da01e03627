"""PostgreSQL connection pools, configured once for every service."""

from __future__ import annotations

import asyncpg


async def _keep_session(_conn: asyncpg.Connection) -> None:
    """Pooled connections carry no session state: nothing SETs, LISTENs or takes session
    advisory locks on them (the relay's locks live on its own dedicated connection).
    asyncpg's default reset would cost a round trip on every release, i.e. on every
    query run through the pool. An open transaction is still rolled back by asyncpg."""


async def create_pool(dsn: str, *, min_size: int = 2, max_size: int = 20) -> asyncpg.Pool:
    pool: asyncpg.Pool = await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, reset=_keep_session
    )
    return pool
