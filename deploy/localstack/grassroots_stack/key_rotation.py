"""`grassroots keys rotate`: the personal-data master key of the local stack, rotated the
way a rolling restart in Kubernetes does it (docs/personal-data.md, ADR 0021):

1. a new key becomes `personal-data.key`; the old one stays as `personal-data.previous.key`
   (and as a dated backup, kept afterwards);
2. the requests service restarts holding both keys;
3. `python -m requests_service rotate-master-key` re-wraps every resident's data key;
4. the previous key file goes and the service restarts holding only the new key.

A run that stops half-way (a crash, Ctrl-C) is finished by running the command again:
it finds `personal-data.previous.key` and resumes instead of making another key.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from grassroots_eventkit.personal.cipher import new_master_key_text
from rich.console import Console

from grassroots_stack import keys, postgres, processes, services, stack
from grassroots_stack.layout import Layout, ServicePlan

# The services that keep personal data: those services._own_environment hands the master key.
WITH_PERSONAL_DATA = ("requests",)


def rotate(layout: Layout, console: Console) -> int:
    plans = [layout.service(name) for name in WITH_PERSONAL_DATA]
    for plan in plans:
        problem = asyncio.run(_not_rotatable(layout, plan))
        if problem and not layout.personal_data_previous_key.exists():
            console.print(f"[red]nothing changed[/red]: {problem}")
            return 2
    backup = _begin(layout)
    if backup is None:
        console.print("resuming the unfinished rotation (personal-data.previous.key is there)")
    else:
        console.print(f"new master key in {layout.personal_data_key}; the old one kept in {backup}")
    _restart(layout, plans, console, "holding the old and the new key")
    for plan in plans:
        code = subprocess.call(
            [sys.executable, "-m", plan.module, "rotate-master-key"],
            cwd=layout.root,
            env={**os.environ, **services.environment(layout, plan)},
        )
        if code != 0:
            console.print(
                f"[red]the rotation of {plan.name} did not finish[/red]: the service keeps both"
                " keys; fix the cause and run `grassroots keys rotate` again to finish it"
            )
            return code
    layout.personal_data_previous_key.unlink()
    _restart(layout, plans, console, "holding only the new key")
    return 0


async def _not_rotatable(layout: Layout, plan: ServicePlan) -> str | None:
    """Why the service's database cannot be rotated now, checked before any file changes."""
    try:
        conn = await asyncpg.connect(postgres.service_dsn(layout, plan.name), timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        return f"{plan.name}'s database is not reachable ({exc}): `grassroots stack up` first"
    try:
        if await conn.fetchval("SELECT to_regclass('ek_master_key_check')") is None:
            return f"{plan.name} has never started with a master key: nothing to rotate"
    finally:
        await conn.close()
    return None


def _begin(layout: Layout) -> Path | None:
    """The new key in place and the old one kept; None when a rotation was already begun."""
    previous, current = layout.personal_data_previous_key, layout.personal_data_key
    # A crash between the two copies below leaves both files holding the old key: begin anew.
    if previous.exists() and previous.read_text().strip() != current.read_text().strip():
        return None
    keys.ensure_personal_data_key(layout)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    backup = layout.personal_data_key.with_name(f"personal-data.key.{stamp}.bak")
    shutil.copy2(layout.personal_data_key, backup)  # copy2 keeps the 0600 mode
    shutil.copy2(layout.personal_data_key, previous)
    keys.write_secret(layout.personal_data_key, new_master_key_text())
    return backup


def _restart(layout: Layout, plans: list[ServicePlan], console: Console, why: str) -> None:
    for plan in plans:
        if not processes.is_running(layout.pids, plan.name):
            console.print(f"{plan.name} is not running: it takes the keys when it starts")
            continue
        services.stop(layout, plan)
        services.start(layout, plan)
        services.wait_ready(layout, (plan,))
        stack.record_pids(layout)  # services.json names the running process, not the old one
        console.print(f"restarted {plan.name}, {why}")
