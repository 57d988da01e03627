"""`grassroots bench key-rotation`: how fast `rotate-master-key` re-wraps data keys.

A scratch database on the stack's server gets N subjects' keys wrapped by a master key
A; then the real command (`python -m requests_service rotate-master-key`, its own
process, as ops run it) rotates them to B and prints its figures. The scratch database
is dropped afterwards; the stack's own data is not touched.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from grassroots_eventkit.migrations import migrate
from grassroots_eventkit.personal import KEY_VAULT_MIGRATIONS, KeyVault, MasterKey
from grassroots_eventkit.personal.cipher import new_master_key_text, parse_master_key
from grassroots_eventkit.store.schema import EVENTKIT_MIGRATIONS
from rich.console import Console

from grassroots_stack import postgres
from grassroots_stack.bench.ceilings import scratch_database
from grassroots_stack.layout import Layout

CHUNK = 5000  # keys made per statement while filling the table


async def _run(layout: Layout, keys: int, batch_size: int, console: Console) -> int:
    with tempfile.TemporaryDirectory(prefix="key-rotation-") as folder:
        files = {name: Path(folder) / f"{name}.key" for name in ("current", "new")}
        for path in files.values():
            path.write_text(new_master_key_text())
            path.chmod(0o600)
        current = MasterKey(parse_master_key(files["current"].read_text()))
        async with scratch_database(layout, 2, prefix="keyrot") as pool:
            await migrate(pool, [*EVENTKIT_MIGRATIONS, *KEY_VAULT_MIGRATIONS])
            vault = KeyVault(pool, current, cache_s=0)
            started = time.perf_counter()
            for first in range(0, keys, CHUNK):
                subjects = [
                    f"resident:bench-{i:07d}" for i in range(first, min(keys, first + CHUNK))
                ]
                await vault.keys_for_sealing(subjects)
            console.print(f"{keys:,} subject keys made in {time.perf_counter() - started:.1f} s")
            name = await pool.fetchval("SELECT current_database()")
            command = [
                sys.executable,
                "-m",
                "requests_service",
                "rotate-master-key",
                "--current-key-file",
                str(files["current"]),
                "--new-key-file",
                str(files["new"]),
                "--batch-size",
                str(batch_size),
            ]
            env = {**os.environ, "GRASSROOTS_PG_DSN": postgres.service_dsn(layout, name)}
            return await asyncio.to_thread(subprocess.call, command, cwd=layout.root, env=env)


def main(layout: Layout, *, keys: int, batch_size: int) -> int:
    return asyncio.run(_run(layout, keys, batch_size, Console(stderr=True)))
