"""`grassroots keys rotate` on the running stack: residents' data written under the old
master key still shows after it, an erased resident stays erased, every data key is
re-wrapped by the new key (and new residents' keys are made with it), and the old key is
kept as a backup file while the service runs with the new one alone (ADR 0021)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest
from grassroots_eventkit.personal import ERASED_TEXT, MasterKey
from grassroots_eventkit.personal.cipher import parse_master_key

from tests.e2e.test_resident_erasure import Person, _life_of_a_request
from tests.support.org_client import Org
from tests.support.requests_client import Desk, build_neighbourhood
from tests.support.stack import ROOT

pytestmark = pytest.mark.e2e

COUNTY = "换钥县"


async def _key_ids(stack) -> dict[str | None, int]:
    conn = await asyncpg.connect(stack.dsn("requests"))
    try:
        rows = await conn.fetch(
            "SELECT key_id, count(*) AS n FROM ek_subject_keys"
            " WHERE wrapped_key IS NOT NULL GROUP BY key_id"
        )
    finally:
        await conn.close()
    return {r["key_id"]: r["n"] for r in rows}


def _key_id(path: Path) -> str:
    return MasterKey(parse_master_key(path.read_text())).key_id


def test_keys_rotate_rewraps_every_residents_key_and_the_service_runs_on_the_new_key(stack):
    org = Org(stack, stack.token("county_admin", county=COUNTY, subject="rotation-admin"))
    desk = Desk(stack, build_neighbourhood(org, COUNTY))
    desk.routed()
    kept, erased = Person(), Person()
    kept_rid = _life_of_a_request(desk, kept)
    erased_rid = _life_of_a_request(desk, erased)
    desk.ok(f"/residents/{erased.resident_id}/erase", desk.staff())

    key_file = Path(stack.personal_data_key_file)
    old_text, old_id = key_file.read_text(), _key_id(key_file)
    backups = set(key_file.parent.glob("personal-data.key.*.bak"))
    done = subprocess.run(
        [sys.executable, "-m", "grassroots_stack", "keys", "rotate"],
        cwd=ROOT,
        env=os.environ,
        capture_output=True,
        text=True,
        timeout=240,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    new_id = _key_id(key_file)
    assert new_id != old_id
    assert f"rotated to {new_id}:" in output
    assert old_text not in output
    assert key_file.read_text() not in output
    (backup,) = set(key_file.parent.glob("personal-data.key.*.bak")) - backups
    assert backup.read_text() == old_text
    assert oct(backup.stat().st_mode & 0o777) == "0o600"
    assert not (key_file.parent / "personal-data.previous.key").exists()
    running = json.loads((Path(stack.state["logs"]).parent / "services.json").read_text())
    pid = running["services"]["requests"]["pid"]
    assert "requests_service" in Path(f"/proc/{pid}/cmdline").read_text()  # the new process

    shown = desk.view(kept_rid)
    assert shown["contact"] == {"name": kept.name, "phone": kept.phone}
    assert kept.marker in shown["text"]
    gone = desk.view(erased_rid)
    assert (gone["text"], gone["contact"]) == (ERASED_TEXT, None)

    newcomer = Person()
    _life_of_a_request(desk, newcomer)  # a key made after the rotation: by the new key
    assert asyncio.run(_key_ids(stack)).keys() == {new_id}
