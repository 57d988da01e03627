"""The audit trail: one row per command a service ran, with who, when, where and how it ended.

An accepted command's row is written by the event store in the transaction that
appends its events (es_append_audited), so there is never an event without its row
nor a row without its events. A refused command changed nothing; its row is written
on its own. See docs/adr/0013-audit-trail.md.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import asyncpg

from grassroots_eventkit.migrations import Migration

Outcome = Literal["accepted", "refused"]

# A stream keyed by a county rather than a community (a county's rule book, a unit
# organisation) has this Kafka key; its audit rows have no community.
COUNTY_KEY_PREFIX = "county:"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    command_id: UUID
    command: str
    actor: str | None
    actor_roles: tuple[str, ...]
    community_id: str | None
    county: str | None
    stream_id: str
    stream_version: int | None
    at: datetime
    outcome: Outcome
    problem: str | None = None
    correlation_id: str | None = None

    def as_json(self) -> str:
        """The row as es_append_audited reads it (jsonb_populate_record)."""
        return json.dumps(
            {
                "command_id": str(self.command_id),
                "command": self.command,
                "actor": self.actor,
                "actor_roles": list(self.actor_roles),
                "community_id": self.community_id,
                "county": self.county,
                "stream_id": self.stream_id,
                "stream_version": self.stream_version,
                "at": self.at.isoformat(),
                "outcome": self.outcome,
                "problem": self.problem,
                "correlation_id": self.correlation_id,
            },
            ensure_ascii=False,
        )


def scope_of(
    key: str | None, state: Any, command: Any, actor_county: str | None
) -> tuple[str | None, str | None]:
    """(community id, county) of a command, from what the runner already has.

    The community is the stream's Kafka key (the handler's `community_of`), or, before
    the stream exists, the command's own `community_id`. The county comes from a
    `county:` key, else the aggregate's or the command's `county` (the convention of
    every aggregate that has one), else the acting token's county.
    """
    if key is None:
        found = getattr(command, "community_id", None)
        key = found if isinstance(found, str) else None
    if key is not None and key.startswith(COUNTY_KEY_PREFIX):
        return None, key.removeprefix(COUNTY_KEY_PREFIX)
    for source in (state, command):
        county = getattr(source, "county", None)
        if isinstance(county, str):
            return key, county
    return key, actor_county


_COLUMNS = (
    "command_id, command, actor, actor_roles, community_id, county, stream_id,"
    " stream_version, at, outcome, problem, correlation_id"
)

AUDIT_V1 = Migration(
    name="eventkit.0004_audit",
    sql=rf"""
CREATE TABLE ek_audit (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    command_id     uuid NOT NULL,
    command        text NOT NULL,
    actor          text,
    actor_roles    text[] NOT NULL DEFAULT '{{}}',
    community_id   text,           -- NULL: a county-level command
    county         text,
    stream_id      text NOT NULL,
    stream_version integer,        -- after an accepted command; NULL when refused
    at             timestamptz NOT NULL,
    outcome        text NOT NULL CHECK (outcome IN ('accepted', 'refused')),
    problem        text,           -- the refusal's rule, e.g. rating_not_allowed
    correlation_id text
);
CREATE INDEX ek_audit_community ON ek_audit (community_id, id);
CREATE INDEX ek_audit_county ON ek_audit (county, id);

-- es_append and es_append_many plus the command's audit row, in the same transaction.
CREATE FUNCTION es_append_audited(
    p_stream_id text, p_stream_type text, p_community_id text, p_expected integer,
    p_event_ids uuid[], p_event_types text[], p_data jsonb[], p_metadata jsonb,
    p_recorded_at timestamptz,
    p_topics text[], p_keys bytea[], p_values bytea[], p_headers text[], p_shards integer[],
    p_reserve_scopes text[], p_reserve_values text[],
    p_release_scopes text[], p_release_values text[],
    p_idem_key text, p_idem_hash text, p_idem_status integer, p_idem_response jsonb,
    p_audit jsonb
) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    new_version integer;
BEGIN
    new_version := es_append(p_stream_id, p_stream_type, p_community_id, p_expected,
        p_event_ids, p_event_types, p_data, p_metadata, p_recorded_at,
        p_topics, p_keys, p_values, p_headers, p_shards,
        p_reserve_scopes, p_reserve_values, p_release_scopes, p_release_values,
        p_idem_key, p_idem_hash, p_idem_status, p_idem_response);
    IF p_audit IS NOT NULL THEN
        INSERT INTO ek_audit ({_COLUMNS})
        SELECT {_COLUMNS} FROM jsonb_populate_record(NULL::ek_audit, p_audit);
    END IF;
    RETURN new_version;
END
$$;

CREATE FUNCTION es_append_many_audited(
    b_stream_ids text[], b_stream_types text[], b_community_ids text[], b_expected integer[],
    b_counts integer[], b_metadata jsonb[], b_recorded_at timestamptz[],
    e_batch integer[], e_pos integer[], e_ids uuid[], e_types text[], e_data jsonb[],
    o_batch integer[], o_shards integer[], o_topics text[], o_keys bytea[], o_values bytea[],
    o_headers text[],
    rs_batch integer[], rs_scopes text[], rs_values text[],
    rl_batch integer[], rl_scopes text[], rl_values text[],
    b_idem_keys text[], b_idem_hashes text[], b_idem_status integer[], b_idem_responses jsonb[],
    b_audits jsonb[]
) RETURNS TABLE (outcome text, version integer, detail text) LANGUAGE sql AS $$
    WITH result AS (
        SELECT r.outcome, r.version, r.detail, r.i
        FROM es_append_many(b_stream_ids, b_stream_types, b_community_ids, b_expected,
            b_counts, b_metadata, b_recorded_at, e_batch, e_pos, e_ids, e_types, e_data,
            o_batch, o_shards, o_topics, o_keys, o_values, o_headers,
            rs_batch, rs_scopes, rs_values, rl_batch, rl_scopes, rl_values,
            b_idem_keys, b_idem_hashes, b_idem_status, b_idem_responses)
            WITH ORDINALITY AS r(outcome, version, detail, i)
    ), audited AS (
        INSERT INTO ek_audit ({_COLUMNS})
        SELECT a.{_COLUMNS.replace(", ", ", a.")}
        FROM result CROSS JOIN LATERAL jsonb_populate_record(NULL::ek_audit, b_audits[result.i]) a
        WHERE result.outcome = 'ok' AND b_audits[result.i] IS NOT NULL
    )
    SELECT result.outcome, result.version, result.detail FROM result ORDER BY result.i
$$;
""",
)

_RECORD = (
    f"INSERT INTO ek_audit ({_COLUMNS}) SELECT {_COLUMNS}"
    " FROM jsonb_populate_record(NULL::ek_audit, $1::jsonb)"
)


async def record(pool: asyncpg.Pool, entry: AuditEntry) -> None:
    """A row on its own: a refused command, or one that had nothing to change."""
    await pool.execute(_RECORD, entry.as_json())


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """Filters of GET /audit; the caller's scope is already folded into them."""

    communities: Sequence[str] | None = None  # None: every community of `county`
    county: str | None = None
    actor: str | None = None
    command: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_id: int | None = None  # the cursor: rows older than this one
    limit: int = 50


async def query(pool: asyncpg.Pool, q: AuditQuery) -> list[asyncpg.Record]:
    """Newest first, `limit` + 1 rows (the extra one tells whether a next page exists)."""
    rows: list[asyncpg.Record] = await pool.fetch(
        f"SELECT id, {_COLUMNS} FROM ek_audit"
        " WHERE ($1::text[] IS NULL OR community_id = ANY($1))"
        " AND ($2::text IS NULL OR county = $2)"
        " AND ($3::text IS NULL OR actor = $3)"
        " AND ($4::text IS NULL OR command = $4)"
        " AND ($5::timestamptz IS NULL OR at >= $5)"
        " AND ($6::timestamptz IS NULL OR at < $6)"
        " AND ($7::bigint IS NULL OR id < $7)"
        " ORDER BY id DESC LIMIT $8",
        list(q.communities) if q.communities is not None else None,
        q.county,
        q.actor,
        q.command,
        q.since,
        q.until,
        q.before_id,
        q.limit + 1,
    )
    return rows
