"""Per-subject data keys in the service's own database, wrapped by the master key.

Erasing a subject deletes its wrapped key and leaves a tombstone row: every value
sealed with that key is unreadable from then on, in the store and in every backup
taken afterwards, without rewriting one event (crypto-shredding). The tombstone also
tells later writes that the subject is gone, so nothing new is sealed for it.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Collection
from datetime import datetime

import asyncpg
import structlog

from grassroots_eventkit.migrations import Migration
from grassroots_eventkit.personal.cipher import MasterKey, new_data_key
from grassroots_eventkit.personal.keyring import MasterKeys

log = structlog.get_logger()

SUBJECT_KEYS = Migration(
    name="eventkit.0004_subject_keys",
    sql="""
CREATE TABLE ek_subject_keys (
    subject_id  text PRIMARY KEY,
    wrapped_key bytea,  -- NULL once erased: the data key is gone for good
    created_at  timestamptz NOT NULL DEFAULT now(),
    erased_at   timestamptz,
    CHECK ((wrapped_key IS NULL) = (erased_at IS NOT NULL))
);
-- One value sealed with the master key at first start: a later start with another
-- master key is refused instead of reading every subject as erased.
CREATE TABLE ek_master_key_check (
    id          boolean PRIMARY KEY DEFAULT true CHECK (id),
    check_value bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
""",
)

# Master key rotation (ADR 0021): each wrapped key names the master key that wrapped it,
# and while a rotation runs the key it moves away from stays in ek_master_key_retiring,
# so a crash half-way leaves every row readable and a rerun finishes the job.
MASTER_KEY_IDS = Migration(
    name="eventkit.0005_master_key_ids",
    sql="""
ALTER TABLE ek_subject_keys ADD COLUMN key_id text;  -- NULL: wrapped before key ids existed
ALTER TABLE ek_master_key_check ADD COLUMN key_id text;  -- filled in by the next start
CREATE TABLE ek_master_key_retiring (
    key_id      text PRIMARY KEY,
    check_value bytea NOT NULL,
    since       timestamptz NOT NULL DEFAULT now()
);
""",
)
KEY_VAULT_MIGRATIONS = (SUBJECT_KEYS, MASTER_KEY_IDS)

# New subjects' keys are inserted and every asked-for key read back in one statement.
# New keys are written only when wrapped by the database's active master key: the lock on
# the canary row is the one a rotation takes to switch it, so once a rotation has switched,
# no instance adds a key wrapped by the old master key (it re-reads the canary and retries).
_KEYS_FOR_SEALING = """
WITH active AS (SELECT key_id FROM ek_master_key_check FOR KEY SHARE),
created AS (
    INSERT INTO ek_subject_keys (subject_id, wrapped_key, key_id)
    SELECT s, w, $3 FROM unnest($1::text[], $2::bytea[]) AS fresh(s, w)
    WHERE $3 = (SELECT key_id FROM active)
    ON CONFLICT (subject_id) DO NOTHING
    RETURNING subject_id, wrapped_key, key_id
)
SELECT subject_id, wrapped_key, key_id FROM created
UNION ALL
SELECT subject_id, wrapped_key, key_id FROM ek_subject_keys
WHERE subject_id = ANY($1::text[]) AND subject_id NOT IN (SELECT subject_id FROM created)
"""

Key = bytes | None  # None: the subject is erased (or never had a key)


class KeyVault:
    """Data keys by subject, with a short in-process cache.

    An erasure evicts the key here at once. Another instance of the service may keep
    using its cached copy for at most `cache_s` seconds; the key is never written
    anywhere, so nothing recoverable is left once those caches expire.
    """

    def __init__(
        self,
        pool: asyncpg.Pool,
        master: MasterKey | MasterKeys,
        *,
        cache_s: float = 10.0,
        cache_size: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._pool = pool
        self._keys = master if isinstance(master, MasterKeys) else MasterKeys(master)
        self._writer: MasterKey | None = None  # the database's active key, once verified
        self._cache_s = cache_s
        self._cache_size = cache_size
        self._clock = clock
        self._cache: OrderedDict[str, tuple[float, Key]] = OrderedDict()

    async def verify_master(self) -> None:
        """Refuse master keys other than the ones the stored keys are wrapped with (raises
        WrongMasterKey): the database's active key, and during a rotation the key it moves
        away from. The first start of a database stores the given key's canary."""
        given = self._keys.given
        await self._pool.execute(
            "INSERT INTO ek_master_key_check (check_value, key_id) VALUES ($1, $2)"
            " ON CONFLICT DO NOTHING",
            given.check_value(),
            given.key_id,
        )
        active = await self._pool.fetchrow("SELECT key_id, check_value FROM ek_master_key_check")
        retiring = await self._pool.fetch(
            "SELECT key_id, check_value FROM ek_master_key_retiring ORDER BY key_id"
        )
        writer = self._keys.opening(
            active["key_id"], bytes(active["check_value"]), role="active master key"
        )
        for row in retiring:
            self._keys.opening(
                row["key_id"],
                bytes(row["check_value"]),
                role="master key of an unfinished rotation (keys may still be wrapped by it)",
            )
        if active["key_id"] is None:  # a canary from before key ids: name it once
            await self._pool.execute(
                "UPDATE ek_master_key_check SET key_id = $1 WHERE key_id IS NULL", writer.key_id
            )
        if self._writer is not None and writer is not self._writer:
            log.info("personal_data.master_key_switched", key_id=writer.key_id)
        self._writer = writer

    async def keys_for_sealing(self, subjects: Collection[str]) -> dict[str, Key]:
        """Each subject's key, made on first use; None for an erased subject."""
        found, missing = self._cached(subjects)
        # Two tries for a key created concurrently (visible to the second statement), one
        # more after learning that a rotation switched the database's master key.
        for _ in range(3):
            if not missing:
                break
            if self._writer is None:
                await self.verify_master()
            writer = self._writer
            assert writer is not None
            fresh = {s: new_data_key() for s in missing}
            rows = await self._pool.fetch(
                _KEYS_FOR_SEALING,
                list(fresh),
                [writer.wrap(s, k) for s, k in fresh.items()],
                writer.key_id,
            )
            found.update(self._remember(rows))
            missing = [s for s in missing if s not in found]
            if missing:
                await self.verify_master()  # raises WrongMasterKey if its new key is not held
        if missing:
            raise RuntimeError(f"no key could be made for {missing}")
        return found

    async def keys_for_opening(self, subjects: Collection[str]) -> dict[str, Key]:
        """Each subject's key; None for one erased (or unknown)."""
        found, missing = self._cached(subjects)
        if missing:
            rows = await self._pool.fetch(
                "SELECT subject_id, wrapped_key, key_id FROM ek_subject_keys"
                " WHERE subject_id = ANY($1)",
                missing,
            )
            found.update(self._remember(rows))
            for subject in missing:
                found.setdefault(subject, None)
        return found

    async def erase(self, subject_id: str, *, at: datetime | None = None) -> bool:
        """Shred the subject's key (idempotent). True when a key was there to shred."""
        shredded = await self._pool.fetchval(
            "INSERT INTO ek_subject_keys (subject_id, wrapped_key, erased_at)"
            " VALUES ($1, NULL, coalesce($2, now()))"
            " ON CONFLICT (subject_id) DO UPDATE"
            " SET wrapped_key = NULL, erased_at = coalesce($2, now())"
            " WHERE ek_subject_keys.erased_at IS NULL"
            " RETURNING (xmax <> 0)",  # true: an existing key was shredded
            subject_id,
            at,
        )
        self._cache.pop(subject_id, None)
        log.info("personal_data.erased", subject_id=subject_id, had_key=bool(shredded))
        return bool(shredded)

    def _cached(self, subjects: Collection[str]) -> tuple[dict[str, Key], list[str]]:
        now = self._clock()
        found: dict[str, Key] = {}
        missing: list[str] = []
        for subject in dict.fromkeys(subjects):
            entry = self._cache.get(subject)
            if entry is not None and entry[0] > now:
                found[subject] = entry[1]
            else:
                missing.append(subject)
        return found, missing

    def _remember(self, rows: list[asyncpg.Record]) -> dict[str, Key]:
        expires = self._clock() + self._cache_s
        keys: dict[str, Key] = {}
        for row in rows:
            wrapped = row["wrapped_key"]
            subject = row["subject_id"]
            key = (
                None
                if wrapped is None
                else self._keys.unwrap(subject, bytes(wrapped), row["key_id"])
            )
            keys[row["subject_id"]] = key
            if self._cache_s > 0:
                self._cache[row["subject_id"]] = (expires, key)
                self._cache.move_to_end(row["subject_id"])
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return keys
