"""Sealing personal fields that were stored in plain text before sealing existed.

A stack started before this feature holds its residents' texts and contacts in clear.
At start, once per set of personal fields, the service rewrites those events in
place: each stream is folded to find its subject, then each plain event is sealed
with that subject's key (ADR 0017 explains why rewriting in place is acceptable here).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import asyncpg
import structlog

from grassroots_eventkit.domain import Decider
from grassroots_eventkit.personal.sealing import SEALED, Sealer
from grassroots_eventkit.personal.vault import KeyVault
from grassroots_eventkit.store.model import NewEvent, StoredEvent

log = structlog.get_logger()

_PLAIN_STREAMS = (
    "SELECT DISTINCT e.stream_id, s.stream_type FROM es_events e"
    " JOIN es_streams s USING (stream_id)"
    f" WHERE e.event_type = ANY($1) AND NOT e.data ? '{SEALED}' ORDER BY 1"
)


def upgrade_name(sealer: Sealer) -> str:
    """Names the upgrade after the personal fields it seals: marking a new field runs it again."""
    declared = {t: sorted(sealer.fields.of(t)) for t in sealer.fields.stored_types}
    digest = hashlib.sha256(json.dumps(declared, sort_keys=True).encode()).hexdigest()[:16]
    return f"eventkit.seal_plaintext_personal_data.{digest}"


async def seal_plaintext(
    pool: asyncpg.Pool,
    sealer: Sealer,
    vault: KeyVault,
    deciders: Sequence[Decider[Any, Any, Any]],
    *,
    chunk: int = 200,
) -> int:
    """Seal every plain personal field in the store; returns how many events it rewrote."""
    by_type = {d.stream_type: d for d in deciders}
    streams = await pool.fetch(_PLAIN_STREAMS, list(sealer.fields.stored_types))
    rewritten = 0
    for start in range(0, len(streams), chunk):
        async with pool.acquire() as conn, conn.transaction():
            for row in streams[start : start + chunk]:
                decider = by_type.get(row["stream_type"])
                if decider is None or decider.subject_of is None:
                    raise LookupError(
                        f"stream type {row['stream_type']} holds personal fields but no decider"
                        " with subject_of was given to seal them"
                    )
                rewritten += await _seal_stream(conn, sealer, vault, decider, row["stream_id"])
    if rewritten:
        # The plain versions are dead tuples now; VACUUM frees them (outside a transaction).
        await pool.execute("VACUUM es_events")
        log.info("personal_data.upgraded", events=rewritten, streams=len(streams))
    return rewritten


async def _seal_stream(
    conn: asyncpg.Connection,
    sealer: Sealer,
    vault: KeyVault,
    decider: Decider[Any, Any, Any],
    stream_id: str,
) -> int:
    rows = await conn.fetch(
        "SELECT version, event_id, event_type, data::text AS data, recorded_at, global_position"
        " FROM es_events WHERE stream_id = $1 ORDER BY version FOR UPDATE",
        stream_id,
    )
    stored = [
        StoredEvent(
            stream_id=stream_id,
            version=r["version"],
            event_id=r["event_id"],
            event_type=r["event_type"],
            data=json.loads(r["data"]),
            metadata={},
            recorded_at=r["recorded_at"],
            global_position=r["global_position"],
        )
        for r in rows
    ]
    state = decider.initial_state
    for event in await sealer.open(stored):
        state = decider.evolve(state, decider.event_types.decode(event.event_type, event.data))
    subject = decider.subject_of(state)  # type: ignore[misc]
    if subject is None:
        raise LookupError(f"{decider.stream_type} {stream_id} holds personal data but no subject")
    key = (await vault.keys_for_sealing([subject]))[subject]
    count = 0
    for event in stored:
        if SEALED in event.data or not sealer.fields.of(event.event_type):
            continue
        data = sealer.seal_data(
            NewEvent(event.event_id, event.event_type, event.data), subject, key
        )
        await conn.execute(
            "UPDATE es_events SET data = $2::jsonb WHERE event_id = $1",
            event.event_id,
            json.dumps(data, ensure_ascii=False),
        )
        count += 1
    return count
