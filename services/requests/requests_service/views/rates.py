"""The three rates (三率) per community per month, computed from the raw answers.

- response rate   = requests dispatched in the month and answered (claimed, taken by the
                    department, or resolved) by their response deadline
                    / requests dispatched in the month whose answer is known (answered,
                    or their response deadline has passed); withdrawn, rejected and merged
                    requests never answered are left out;
- resolution rate = requests closed as resolved in the month / requests closed in the
                    month (resolved or unresolved; cancelled, rejected, merged left out);
- satisfaction    = ratings in the month that were satisfied or basically satisfied
                    / ratings in the month (every rating counts, a reopened request's too).

Months are calendar months in China Standard Time. Each figure comes with its numerator
and denominator; the raw answers are events, so a new formula is a new query here (or a
replay of the topic), never a migration of stored figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import asyncpg

_MONTH = "date_trunc('month', {col} AT TIME ZONE 'Asia/Shanghai')::date"


@dataclass(frozen=True, slots=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return round(self.numerator / self.denominator, 4) if self.denominator else None


@dataclass(frozen=True, slots=True)
class MonthRates:
    month: date
    response: Rate
    resolution: Rate
    satisfaction: Rate


RATES_SQL = f"""
WITH months AS (
    SELECT generate_series($2::date, $3::date, interval '1 month')::date AS month
), response AS (
    SELECT {_MONTH.format(col="submitted_at")} AS month,
           count(*) FILTER (WHERE responded_at IS NOT NULL AND responded_at <= respond_by) AS yes,
           count(*) AS total
    FROM rq_requests
    WHERE community_id = $1
      AND (responded_at IS NOT NULL OR (respond_by < now()
           AND status NOT IN ('cancelled', 'rejected', 'merged')))
    GROUP BY 1
), resolution AS (
    SELECT {_MONTH.format(col="closed_at")} AS month,
           count(*) FILTER (WHERE outcome = 'resolved') AS yes,
           count(*) AS total
    FROM rq_requests
    WHERE community_id = $1 AND status = 'closed'
    GROUP BY 1
), satisfaction AS (
    SELECT {_MONTH.format(col="rated_at")} AS month,
           count(*) FILTER (WHERE rating IN ('satisfied', 'basically_satisfied')) AS yes,
           count(*) AS total
    FROM rq_ratings
    WHERE community_id = $1
    GROUP BY 1
)
SELECT m.month,
       coalesce(a.yes, 0) AS response_yes, coalesce(a.total, 0) AS response_total,
       coalesce(r.yes, 0) AS resolution_yes, coalesce(r.total, 0) AS resolution_total,
       coalesce(s.yes, 0) AS satisfaction_yes, coalesce(s.total, 0) AS satisfaction_total
FROM months m
LEFT JOIN response a ON a.month = m.month
LEFT JOIN resolution r ON r.month = m.month
LEFT JOIN satisfaction s ON s.month = m.month
ORDER BY m.month
"""


async def monthly(
    conn: asyncpg.Pool | asyncpg.Connection, community_id: str, first: date, last: date
) -> list[MonthRates]:
    rows = await conn.fetch(RATES_SQL, community_id, first, last)
    return [
        MonthRates(
            month=r["month"],
            response=Rate(r["response_yes"], r["response_total"]),
            resolution=Rate(r["resolution_yes"], r["resolution_total"]),
            satisfaction=Rate(r["satisfaction_yes"], r["satisfaction_total"]),
        )
        for r in rows
    ]
