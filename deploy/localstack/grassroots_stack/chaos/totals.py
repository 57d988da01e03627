"""Whole-table counts against a baseline: rows a read model gained during a scenario
against the events the writer stored meanwhile, answered or not.

The ledger knows only the commands whose answer came back; a command committed just
before its service was killed is not in it, yet its events must reach every read model
too. So, per read model of one-row-per-event: rows added == events stored since the
baseline (the store's `global_position` then).
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from grassroots_stack import postgres
from grassroots_stack.layout import Layout


@dataclass(frozen=True, slots=True)
class Total:
    """`model` gains one row per stored event of `event_type` in `writer`'s store."""

    writer: str
    event_type: str
    model: str  # "<database>.<table>"


TOTALS = (
    Total("requests", "RequestSubmitted.v1", "requests.rq_requests"),
    Total("requests", "RequestSubmitted.v1", "projections.pj_rq_requests"),
    Total("requests", "RequestRated.v1", "requests.rq_ratings"),
    Total("requests", "RequestRated.v1", "projections.pj_rq_ratings"),
    Total("points", "PointsEntered.v1", "points.pt_entries"),
    Total("points", "PointsEntered.v1", "projections.pj_pt_entries"),
    Total("points", "GoodsTaken.v1", "points.pt_redemptions"),
    Total("points", "GoodsTaken.v1", "projections.pj_pt_redemptions"),
)


@dataclass(frozen=True, slots=True)
class Baseline:
    positions: dict[str, int]  # writer -> its store's last global_position
    rows: dict[str, int]  # model -> row count


async def _one(layout: Layout, database: str, sql: str, *args: object) -> int:
    conn = await asyncpg.connect(postgres.service_dsn(layout, database), timeout=10)
    try:
        return int(await conn.fetchval(sql, *args))
    finally:
        await conn.close()


async def _rows(layout: Layout, model: str) -> int:
    database, table = model.split(".", 1)
    return await _one(layout, database, f"SELECT count(*) FROM {table}")


async def baseline(layout: Layout) -> Baseline:
    writers = sorted({t.writer for t in TOTALS})
    positions = {
        w: await _one(layout, w, "SELECT coalesce(max(global_position), 0) FROM es_events")
        for w in writers
    }
    rows = {t.model: await _rows(layout, t.model) for t in TOTALS}
    return Baseline(positions, rows)


@dataclass(frozen=True, slots=True)
class Gained:
    model: str
    stored: int  # events stored since the baseline
    added: int  # rows the read model gained

    @property
    def agrees(self) -> bool:
        return self.stored == self.added


async def gained(layout: Layout, base: Baseline) -> list[Gained]:
    out = []
    for t in TOTALS:
        stored = await _one(
            layout,
            t.writer,
            "SELECT count(*) FROM es_events WHERE global_position > $1 AND event_type = $2",
            base.positions[t.writer],
            t.event_type,
        )
        out.append(Gained(t.model, stored, await _rows(layout, t.model) - base.rows[t.model]))
    return out


# A redemption takes the goods from the shop, then spends the points in the member's
# account (points_service/handlers/commands.py `redeem`): two streams, two transactions.
# One stopped between them is finished by a retry with the same Idempotency-Key, or its
# goods go back; a client that never retries leaves it half done.
_HALF_DONE = """
SELECT g.data->>'redemption_id' AS redemption_id FROM es_events g
WHERE g.global_position > $1 AND g.event_type = 'GoodsTaken.v1'
  AND NOT EXISTS (
    SELECT 1 FROM es_events a WHERE a.stream_id = 'account:' || (g.data->>'member_id')
      AND a.event_type = 'PointsEntered.v1'
      AND a.data->>'entry_id' = 'redemption:' || (g.data->>'redemption_id'))
  AND NOT EXISTS (
    SELECT 1 FROM es_events r WHERE r.stream_id = g.stream_id
      AND r.event_type = 'GoodsReturned.v1'
      AND r.data->>'redemption_id' = g.data->>'redemption_id')
"""


async def half_done_redemptions(layout: Layout, base: Baseline) -> list[str]:
    """Redemptions since the baseline whose goods left the shelf but whose points were
    neither spent nor the goods returned."""
    conn = await asyncpg.connect(postgres.service_dsn(layout, "points"), timeout=10)
    try:
        rows = await conn.fetch(_HALF_DONE, base.positions["points"])
    finally:
        await conn.close()
    return [r["redemption_id"] for r in rows]
