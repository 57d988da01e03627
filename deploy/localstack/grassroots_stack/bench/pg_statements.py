"""PostgreSQL's own profile: which statements of which database took the server's time,
from pg_stat_statements (preloaded by the local stack, docker-compose and the CNPG
clusters)."""

from __future__ import annotations

from typing import Any

import asyncpg

from grassroots_stack import postgres
from grassroots_stack.layout import Layout

TOP = 15
_TOP_STATEMENTS = """
SELECT d.datname AS database, s.query, s.calls, s.total_exec_time, s.mean_exec_time
FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
WHERE d.datname <> 'postgres'
ORDER BY s.total_exec_time DESC
"""


async def reset(layout: Layout) -> None:
    conn = await asyncpg.connect(postgres.admin_dsn(layout))
    try:
        await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        await conn.execute("SELECT pg_stat_statements_reset()")
    finally:
        await conn.close()


async def top(layout: Layout, commands: int) -> list[dict[str, Any]]:
    """The statements that took most of the server's time since `reset`, with how many
    times each ran per command of the load."""
    conn = await asyncpg.connect(postgres.admin_dsn(layout))
    try:
        rows = await conn.fetch(_TOP_STATEMENTS)
    finally:
        await conn.close()
    total = sum(r["total_exec_time"] for r in rows) or 1.0
    return [
        {
            "database": r["database"],
            "statement": " ".join(r["query"].split())[:160],
            "calls_per_command": round(r["calls"] / max(1, commands), 2),
            "mean_ms": round(r["mean_exec_time"], 3),
            "share": round(r["total_exec_time"] / total, 3),
        }
        for r in rows[:TOP]
    ]
