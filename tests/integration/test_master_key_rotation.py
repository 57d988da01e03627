"""Master key rotation on real PostgreSQL (ADR 0021): data sealed under key A opens with
key B, and not A, after the rotation; erased subjects stay erased; a rotation that crashes
between batches leaves everything readable and its rerun finishes it; a wrong current key
is refused before anything changes; a subject erased during it stays erased; key
creation racing the switch never leaves a key wrapped by the old master key."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys

import asyncpg
import pytest
from grassroots_eventkit.personal import (
    ERASED_TEXT,
    KEY_VAULT_MIGRATIONS,
    KeyVault,
    MasterKey,
    MasterKeys,
    Sealer,
    WrongMasterKey,
)
from grassroots_eventkit.personal.cipher import new_master_key_text, parse_master_key
from grassroots_eventkit.personal.rotation import RotationRefused, rotate
from grassroots_eventkit.store.postgres import PostgresEventStore
from requests_service import cli
from requests_service.domain.request_events import PERSONAL_FIELDS

from tests.integration.test_key_vault import NAME, TEXT, _submit_and_note
from tests.support.databases import fresh_database

pytestmark = pytest.mark.integration

RESIDENTS = [f"res-{i}" for i in range(5)]
BULK = [f"resident:bulk-{i:05d}" for i in range(2400)]


def _text() -> str:
    return new_master_key_text()


def _key(text: str) -> MasterKey:
    return MasterKey(parse_master_key(text))


def _store(pool: asyncpg.Pool, vault: KeyVault) -> PostgresEventStore:
    return PostgresEventStore(pool, sealer=Sealer(vault, PERSONAL_FIELDS))


async def _texts(pool: asyncpg.Pool, vault: KeyVault) -> dict[str, str]:
    store = _store(pool, vault)
    return {r: (await store.load(f"r-{r}"))[0].data["text"] for r in RESIDENTS}


async def _key_ids(pool: asyncpg.Pool) -> dict[str | None, int]:
    rows = await pool.fetch(
        "SELECT key_id, count(*) AS n FROM ek_subject_keys"
        " WHERE wrapped_key IS NOT NULL GROUP BY key_id"
    )
    return {r["key_id"]: r["n"] for r in rows}


async def _sealed_under_a(pool: asyncpg.Pool, a: MasterKey) -> KeyVault:
    """Residents' requests sealed under A, one of them erased, and bulk keys for batches;
    the canary and the keys as a database from before key ids holds them."""
    vault = KeyVault(pool, a, cache_s=0)
    await vault.verify_master()
    for resident in RESIDENTS:
        await _submit_and_note(_store(pool, vault), f"r-{resident}", resident)
    await vault.keys_for_sealing(BULK)
    await vault.erase("resident:res-1")
    await pool.execute("UPDATE ek_subject_keys SET key_id = NULL")
    await pool.execute("UPDATE ek_master_key_check SET key_id = NULL")
    return vault


class Crash(Exception):
    pass


def _crash_after(rows: int):  # type: ignore[no-untyped-def]
    def progress(done: int, total: int) -> None:
        if done >= rows:
            raise Crash(f"killed after {done} of {total}")

    return progress


async def test_a_rotation_crashed_half_way_reads_with_both_keys_and_its_rerun_finishes(stack):
    a, b = _key(_text()), _key(_text())
    async with fresh_database(stack, extra=KEY_VAULT_MIGRATIONS) as (_, pool):
        await _sealed_under_a(pool, a)
        rows = len(BULK) + len(RESIDENTS) - 1
        with pytest.raises(Crash):
            await rotate(pool, a, b, batch_size=500, on_progress=_crash_after(1000))

        # Half-way: rows under both keys, each naming its key; an instance holding both
        # reads everyone and wraps new subjects' keys with B; one holding only A is refused.
        assert await _key_ids(pool) == {None: rows - 1000, b.key_id: 1000}
        both = KeyVault(pool, MasterKeys(b, a), cache_s=0)
        await both.verify_master()
        assert set((await _texts(pool, both)).values()) == {TEXT, ERASED_TEXT}
        await both.keys_for_sealing(["resident:during"])
        assert (await _key_ids(pool))[b.key_id] == 1001
        with pytest.raises(WrongMasterKey, match="active master key"):
            await KeyVault(pool, a).keys_for_sealing(["resident:old-instance"])
        with pytest.raises(WrongMasterKey, match="unfinished rotation"):
            await KeyVault(pool, b).verify_master()  # rows under A remain

        report = await rotate(pool, a, b, batch_size=500)
        assert (report.step, report.rows) == ("resume", rows - 1000)
        assert await _key_ids(pool) == {b.key_id: rows + 1}
        assert await pool.fetchval("SELECT count(*) FROM ek_master_key_retiring") == 0

        only_b = KeyVault(pool, b, cache_s=0)
        await only_b.verify_master()
        texts = await _texts(pool, only_b)
        assert texts.pop("res-1") == ERASED_TEXT  # erased stays erased
        assert set(texts.values()) == {TEXT}
        note = (await _store(pool, only_b).load("r-res-0"))[-1].data["note"]
        assert note == f"{NAME}家已上门"
        with pytest.raises(WrongMasterKey):
            await KeyVault(pool, a).verify_master()
        with pytest.raises(WrongMasterKey):
            await KeyVault(pool, a, cache_s=0).keys_for_opening(["resident:res-0"])

        again = await rotate(pool, a, b)
        assert (again.step, again.rows) == ("done", 0)


async def test_a_wrong_current_key_is_refused_and_nothing_changes(stack):
    a, b, c = _key(_text()), _key(_text()), _key(_text())
    async with fresh_database(stack, extra=KEY_VAULT_MIGRATIONS) as (_, pool):
        vault = KeyVault(pool, a, cache_s=0)
        await vault.keys_for_sealing(["resident:1", "resident:2"])
        before = await pool.fetch("SELECT * FROM ek_subject_keys ORDER BY subject_id")
        canary = await pool.fetchval("SELECT check_value FROM ek_master_key_check")
        with pytest.raises(WrongMasterKey, match="not the database's"):
            await rotate(pool, c, b)
        with pytest.raises(RotationRefused, match="is the current one"):
            await rotate(pool, a, a)
        assert await pool.fetch("SELECT * FROM ek_subject_keys ORDER BY subject_id") == before
        assert await pool.fetchval("SELECT check_value FROM ek_master_key_check") == canary


async def test_keys_made_while_the_rotation_switches_are_all_wrapped_by_the_new_key(stack):
    a, b = _key(_text()), _key(_text())
    async with fresh_database(stack, extra=KEY_VAULT_MIGRATIONS) as (_, pool):
        await KeyVault(pool, a).keys_for_sealing(BULK[:1000])
        instances = [KeyVault(pool, MasterKeys(b, a), cache_s=0) for _ in range(4)]
        stop = asyncio.Event()

        async def keep_making(n: int) -> int:
            made = 0
            while not stop.is_set():
                await instances[n].keys_for_sealing([f"resident:live-{n}-{made}"])
                made += 1
            return made

        makers = [asyncio.create_task(keep_making(n)) for n in range(4)]
        await asyncio.sleep(0.2)
        await rotate(pool, a, b, batch_size=100)
        stop.set()
        made = sum(await asyncio.gather(*makers))
        assert made > 0
        assert await _key_ids(pool) == {b.key_id: 1000 + made}
        reader = KeyVault(pool, b, cache_s=0)
        await reader.verify_master()
        opened = await reader.keys_for_opening([f"resident:live-{n}-0" for n in range(4)])
        assert None not in opened.values()


def _command(dsn: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "requests_service", "rotate-master-key", "--batch-size", "200"],
        env={**os.environ, "GRASSROOTS_PG_DSN": dsn, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


async def _in_process(monkeypatch, dsn: str, env: dict[str, str]) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    """The same command without a new interpreter's start-up (seconds on a busy machine)."""
    for name in KEY_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    for name, value in {"GRASSROOTS_PG_DSN": dsn, **env}.items():
        monkeypatch.setenv(name, value)
    out = io.StringIO()
    code = await asyncio.to_thread(cli.main, ["rotate-master-key"], out)
    return code, out.getvalue()


KEY_SETTINGS = [
    f"GRASSROOTS_PERSONAL_DATA_{which}KEY{form}"
    for which in ("", "PREVIOUS_")
    for form in ("", "_FILE")
]


async def test_the_command_rotates_reports_figures_then_says_already_rotated(
    stack, tmp_path, monkeypatch
):
    texts = {name: _text() for name in ("a", "b", "c")}
    files = {name: tmp_path / f"{name}.key" for name in texts}
    for name, path in files.items():
        path.write_text(texts[name])
    as_service = {
        "GRASSROOTS_PERSONAL_DATA_KEY_FILE": str(files["b"]),
        "GRASSROOTS_PERSONAL_DATA_PREVIOUS_KEY_FILE": str(files["a"]),
    }
    async with fresh_database(stack, extra=KEY_VAULT_MIGRATIONS) as (dsn, pool):
        await KeyVault(pool, _key(texts["a"])).keys_for_sealing(BULK[:700])
        code, out = await _in_process(
            monkeypatch, dsn, {**as_service, "GRASSROOTS_PERSONAL_DATA_PREVIOUS_KEY": texts["c"]}
        )
        assert code == 2  # the settings' key wins over its file, as in the service
        assert "error: WrongMasterKey: the current master key given" in out
        code, out = await _in_process(
            monkeypatch, dsn, {"GRASSROOTS_PERSONAL_DATA_KEY": texts["b"]}
        )
        assert (code, out.strip()) == (
            2,
            "error: give the current master key:"
            " GRASSROOTS_PERSONAL_DATA_PREVIOUS_KEY[_FILE] or --current-key-file",
        )

        done = _command(dsn, as_service)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "re-wrapped 700 / 700 keys (100%)" in done.stdout
        assert f"rotated to {_key(texts['b']).key_id}: 700 keys re-wrapped in" in done.stdout
        assert "keys/s)" in done.stdout
        assert texts["a"] not in done.stdout + done.stderr
        assert await _key_ids(pool) == {_key(texts["b"]).key_id: 700}

        code, out = await _in_process(monkeypatch, dsn, as_service)
        assert code == 0
        assert f"already rotated: the database's master key is {_key(texts['b']).key_id}" in out


async def test_subjects_erased_while_the_rotation_runs_stay_erased(stack):
    a, b = _key(_text()), _key(_text())
    async with fresh_database(stack, extra=KEY_VAULT_MIGRATIONS) as (_, pool):
        vault = KeyVault(pool, a, cache_s=0)
        await vault.keys_for_sealing(BULK[:1000])
        erased = [BULK[10], BULK[900]]  # one in a batch already re-wrapped, one not yet
        pending: list[asyncio.Task[bool]] = []

        def erase_after_first_batch(done: int, total: int) -> None:
            if done == 200 and not pending:
                pending.extend(asyncio.create_task(vault.erase(s)) for s in erased)

        await rotate(pool, a, b, batch_size=200, on_progress=erase_after_first_batch)
        assert await asyncio.gather(*pending) == [True, True]
        rows = await pool.fetch(
            "SELECT wrapped_key FROM ek_subject_keys WHERE subject_id = ANY($1)",
            erased,
        )
        assert [r["wrapped_key"] for r in rows] == [None, None]
        assert await KeyVault(pool, b, cache_s=0).keys_for_opening(erased) == dict.fromkeys(erased)
        assert await _key_ids(pool) == {b.key_id: 998}
