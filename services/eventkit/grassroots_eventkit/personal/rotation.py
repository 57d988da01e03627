"""Master key rotation: re-wrap every subject's data key under a new master key.

The sealed events do not change (each is sealed with its subject's data key, and the data
keys stay the same); only their wrapping in `ek_subject_keys` does. The rotation runs in
batches, resumable (ADR 0021):

1. switch: in one transaction, the current key's canary moves to `ek_master_key_retiring`
   and the new key's canary becomes the active one. From its commit on, instances wrap
   new data keys with the new key (the canary row's lock orders them after the switch).
2. re-wrap: batches of rows not yet wrapped by the new key, each in its own transaction,
   rows locked so an erasure waits for the batch instead of being undone by it.
3. finish: the retiring canary is deleted once no row is wrapped by the old key.

A crash anywhere leaves every row readable with the old or the new key (each row names
its key) and the rerun picks up where the state says.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import asyncpg
import structlog

from grassroots_eventkit.personal.cipher import MasterKey, WrongMasterKey
from grassroots_eventkit.personal.keyring import opens

log = structlog.get_logger()

# Apart from the migrations' lock: two rotations of one database never run at once.
_ROTATION_LOCK = 0x67726B726F74  # "grkrot"

Step = Literal["start", "resume", "done"]


class RotationRefused(Exception):
    """The database is not in a state this rotation may act on (the message says why)."""


@dataclass(frozen=True, slots=True)
class KeyState:
    """The canaries: the active master key's, and the one a rotation is moving away from."""

    active_id: str | None
    active_check: bytes
    retiring: tuple[tuple[str, bytes], ...]


@dataclass(frozen=True, slots=True)
class RotationReport:
    from_key: str
    to_key: str
    step: Step
    rows: int
    seconds: float

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


def plan(state: KeyState, current: MasterKey, new: MasterKey) -> Step:
    """What a rotation from `current` to `new` does with the database in `state`; raises
    WrongMasterKey or RotationRefused when it must not touch it."""
    if current.key_id == new.key_id:
        raise RotationRefused(f"the new master key is the current one ({new.key_id})")
    if state.active_id in (None, new.key_id) and opens(new, state.active_check):
        return _after_switch(state, current, new)
    if state.active_id not in (None, current.key_id) or not opens(current, state.active_check):
        raise WrongMasterKey(
            f"the current master key given ({current.key_id}) is not the database's"
            f" (active: {state.active_id or 'from before key ids'}); nothing was changed"
        )
    if state.retiring:
        old = ", ".join(k for k, _ in state.retiring)
        raise RotationRefused(
            f"an earlier rotation from {old} to {current.key_id} is unfinished: finish it first"
            f" (current key {old}, new key {current.key_id})"
        )
    return "start"


def _after_switch(state: KeyState, current: MasterKey, new: MasterKey) -> Step:
    if not state.retiring:
        return "done"
    ids = [k for k, _ in state.retiring]
    if ids != [current.key_id] or not opens(current, state.retiring[0][1]):
        raise WrongMasterKey(
            f"the unfinished rotation to {new.key_id} is from master key {', '.join(ids)},"
            f" not from the current key given ({current.key_id}); nothing was changed"
        )
    return "resume"


async def rotate(
    pool: asyncpg.Pool,
    current: MasterKey,
    new: MasterKey,
    *,
    batch_size: int = 1000,
    on_progress: Callable[[int, int], None] = lambda done, total: None,
) -> RotationReport:
    """Rotate the database's master key from `current` to `new` (idempotent, resumable)."""
    started = time.perf_counter()
    async with pool.acquire() as lock_conn:
        if not await lock_conn.fetchval("SELECT pg_try_advisory_lock($1)", _ROTATION_LOCK):
            raise RotationRefused("another master key rotation of this database is running")
        try:
            step = plan(await _state(lock_conn), current, new)
            if step == "done":
                log.info("personal_data.rotation_already_done", key_id=new.key_id)
                return RotationReport(current.key_id, new.key_id, step, 0, 0.0)
            if step == "start":
                await _switch(pool, current, new)
            rows = await _rewrap_all(pool, current, new, batch_size, on_progress)
            await _finish(pool, current, new)
        finally:
            await lock_conn.execute("SELECT pg_advisory_unlock($1)", _ROTATION_LOCK)
    report = RotationReport(current.key_id, new.key_id, step, rows, time.perf_counter() - started)
    log.info(
        "personal_data.rotated",
        from_key=report.from_key,
        to_key=report.to_key,
        step=step,
        rows=rows,
        seconds=round(report.seconds, 3),
    )
    return report


async def _state(conn: asyncpg.Connection, *, lock: bool = False) -> KeyState:
    active = await conn.fetchrow(
        "SELECT key_id, check_value FROM ek_master_key_check" + (" FOR UPDATE" if lock else "")
    )
    if active is None:
        raise RotationRefused("this database has no master key yet: nothing to rotate")
    retiring = await conn.fetch(
        "SELECT key_id, check_value FROM ek_master_key_retiring ORDER BY key_id"
    )
    return KeyState(
        active["key_id"],
        bytes(active["check_value"]),
        tuple((r["key_id"], bytes(r["check_value"])) for r in retiring),
    )


async def _switch(pool: asyncpg.Pool, current: MasterKey, new: MasterKey) -> None:
    """The new key becomes the one new data keys are wrapped with; the old one retires.
    FOR UPDATE on the canary waits for every key insert holding its KEY SHARE lock."""
    async with pool.acquire() as conn, conn.transaction():
        old = await _state(conn, lock=True)
        if plan(old, current, new) != "start":
            raise RotationRefused("the database changed under the rotation: run it again")
        await conn.execute(
            "INSERT INTO ek_master_key_retiring (key_id, check_value) VALUES ($1, $2)",
            current.key_id,
            old.active_check,
        )
        await conn.execute(
            "UPDATE ek_master_key_check SET key_id = $1, check_value = $2, created_at = now()",
            new.key_id,
            new.check_value(),
        )
    log.info("personal_data.master_key_switched", from_key=current.key_id, to_key=new.key_id)


_LEFT = "wrapped_key IS NOT NULL AND key_id IS DISTINCT FROM $1"


async def _rewrap_all(
    pool: asyncpg.Pool,
    current: MasterKey,
    new: MasterKey,
    batch_size: int,
    on_progress: Callable[[int, int], None],
) -> int:
    total = await pool.fetchval(f"SELECT count(*) FROM ek_subject_keys WHERE {_LEFT}", new.key_id)
    done, after = 0, ""
    on_progress(done, total)
    while True:
        async with pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "SELECT subject_id, wrapped_key, key_id FROM ek_subject_keys"
                f" WHERE {_LEFT} AND subject_id > $2 ORDER BY subject_id LIMIT $3 FOR UPDATE",
                new.key_id,
                after,
                batch_size,
            )
            if not rows:
                return done
            subjects = [r["subject_id"] for r in rows]
            await conn.execute(
                "UPDATE ek_subject_keys AS k SET wrapped_key = u.w, key_id = $3"
                " FROM unnest($1::text[], $2::bytea[]) AS u(s, w) WHERE k.subject_id = u.s",
                subjects,
                [_rewrap(r, current, new) for r in rows],
                new.key_id,
            )
        done, after = done + len(rows), subjects[-1]
        on_progress(done, max(total, done))


def _rewrap(row: asyncpg.Record, current: MasterKey, new: MasterKey) -> bytes:
    if row["key_id"] not in (None, current.key_id):
        raise WrongMasterKey(
            f"the data key of {row['subject_id']} is wrapped by master key {row['key_id']},"
            f" neither the current ({current.key_id}) nor the new one ({new.key_id})"
        )
    subject = row["subject_id"]
    return new.wrap(subject, current.unwrap(subject, bytes(row["wrapped_key"])))


async def _finish(pool: asyncpg.Pool, current: MasterKey, new: MasterKey) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await _state(conn, lock=True)  # no key insert runs while this checks
        left = await conn.fetchval(
            f"SELECT count(*) FROM ek_subject_keys WHERE {_LEFT}", new.key_id
        )
        if left:
            raise RotationRefused(f"{left} keys are still wrapped by {current.key_id}: run again")
        await conn.execute("DELETE FROM ek_master_key_retiring WHERE key_id = $1", current.key_id)
