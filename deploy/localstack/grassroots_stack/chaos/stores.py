"""The writers' stored events an accepted-commands ledger touches, loaded once per check."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg

from grassroots_stack.chaos.effects import SCORES, SERVICE_OF, AcceptedCommand, Stored

# Commands are stored a moment before their answer; a scenario's ledger begins with the load.
LEDGER_SLACK_S = 120.0
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


async def _stored(conn: asyncpg.Connection, where: str, *args: Any) -> list[Stored]:
    rows = await conn.fetch(
        "SELECT event_id::text AS event_id, event_type, stream_id, version, community_id,"
        f" data::text AS data, recorded_at FROM es_events WHERE {where}"
        " ORDER BY stream_id, version",
        *args,
    )
    return [
        Stored(
            r["event_id"],
            r["event_type"],
            r["stream_id"],
            r["version"],
            r["community_id"],
            json.loads(r["data"]),
            r["recorded_at"],
        )
        for r in rows
    ]


@dataclass
class Stores:
    """The writers' stored events the ledger touches, loaded once."""

    streams: dict[str, list[Stored]] = field(default_factory=dict)
    scores: dict[str, list[Stored]] = field(default_factory=lambda: defaultdict(list))
    spent: dict[str, Stored] = field(default_factory=dict)  # account entry id -> event
    # Accepted submissions per resident, and a moment before the ledger's first answer.
    submissions: Counter[str] = field(default_factory=Counter)
    since: datetime = EPOCH

    def add(self, events: Iterable[Stored]) -> None:
        for e in events:
            self.streams.setdefault(e.stream_id, []).append(e)


async def load_stores(
    conns: dict[str, asyncpg.Connection], ledger: Sequence[AcceptedCommand]
) -> Stores:
    stores = Stores()
    by_service: dict[str, set[str]] = defaultdict(set)
    slots: set[str] = set()
    redemptions: set[str] = set()
    submitted = {c.target for c in ledger if c.kind == "submit"}
    for c in ledger:
        if c.kind == "redeem":
            redemptions.add(c.target)
        elif c.kind == "shift_claim":
            slots.add(c.target)
        else:
            by_service[SERVICE_OF[c.kind]].add(c.target)
    if by_service["requests"]:
        stores.add(
            await _stored(
                conns["requests"], "stream_id = ANY($1::text[])", list(by_service["requests"])
            )
        )
    volunteering = set(by_service["volunteering"])
    if slots:
        # A shift claim names a rota or one of its slots: the rota is the stream.
        rows = await conns["volunteering"].fetch(
            "SELECT DISTINCT stream_id FROM es_events WHERE stream_id = ANY($1::text[])"
            " OR (event_type = 'ShiftClaimed.v1' AND data->>'slot_id' = ANY($1::text[]))",
            list(slots),
        )
        volunteering |= {r["stream_id"] for r in rows}
    if volunteering:
        stores.add(
            await _stored(conns["volunteering"], "stream_id = ANY($1::text[])", list(volunteering))
        )
    if redemptions:
        shops = await conns["points"].fetch(
            "SELECT DISTINCT stream_id FROM es_events WHERE event_type = 'GoodsTaken.v1'"
            " AND data->>'redemption_id' = ANY($1::text[])",
            list(redemptions),
        )
        stores.add(
            await _stored(
                conns["points"], "stream_id = ANY($1::text[])", [r["stream_id"] for r in shops]
            )
        )
        for e in await _stored(
            conns["points"],
            "event_type = 'PointsEntered.v1' AND data->>'entry_id' = ANY($1::text[])",
            [f"redemption:{r}" for r in redemptions],
        ):
            stores.spent[e.data["entry_id"]] = e
    sources = [
        e.event_id
        for events in stores.streams.values()
        for e in events
        if e.event_type in ("RequestResolved.v1", "RequestRated.v1")
    ]
    if sources:
        for e in await _stored(
            conns["points"],
            "event_type = ANY($1::text[]) AND data->>'source_event_id' = ANY($2::text[])",
            list(SCORES),
            sources,
        ):
            stores.scores[e.data["source_event_id"]].append(e)
    first = min((c.answered_at for c in ledger), default=0.0)
    stores.since = datetime.fromtimestamp(first - LEDGER_SLACK_S, UTC)
    for events in stores.streams.values():
        for e in events:
            if e.event_type == "RequestSubmitted.v1" and e.stream_id in submitted:
                stores.submissions[e.data["resident_id"]] += 1
    return stores
