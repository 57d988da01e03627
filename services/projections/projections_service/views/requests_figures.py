"""Requests per community: by status and category, overdue, the three rates (三率) per month,
times to respond and to resolve, and whistles (吹哨), from the requests service's public topic.

The status transitions are those of the requests service's own read model
(requests_service/views/request_model.py): submitted → open; claimed or taken by a
department → claimed; escalated → open again (holder cleared); resolved → resolved;
reopened → claimed if someone holds it, else open; closed, cancelled, rejected, merged are
final.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeAlias

import asyncpg
from grassroots_contracts.requests import lifecycle as pub
from grassroots_contracts.topics import REQUESTS_EVENTS
from grassroots_eventkit.migrations import Migration
from grassroots_eventkit.tables import Rules, TableProjector, Write, keyed, rules

GROUP = "grassroots.projections.requests_figures"

MIGRATION = Migration(
    name="projections.0003_requests_figures",
    sql="""
CREATE TABLE pj_rq_requests (
    community_id text NOT NULL,
    request_id   text NOT NULL,
    category     text NOT NULL,
    status       text NOT NULL,
    holder       text,
    submitted_at timestamptz NOT NULL,
    respond_by   timestamptz NOT NULL,
    resolve_by   timestamptz NOT NULL,
    responded_at timestamptz,
    resolved_at  timestamptz,
    closed_at    timestamptz,
    outcome      text,
    PRIMARY KEY (community_id, request_id)
);
CREATE INDEX pj_rq_requests_status ON pj_rq_requests (community_id, status);
CREATE TABLE pj_rq_ratings (
    community_id text NOT NULL,
    request_id   text NOT NULL,
    rated_at     timestamptz NOT NULL,
    rating       text NOT NULL,
    PRIMARY KEY (community_id, request_id, rated_at)
);
CREATE TABLE pj_rq_whistles (
    community_id text NOT NULL,
    request_id   text NOT NULL,
    escalated_at timestamptz NOT NULL,
    to_level     text NOT NULL,
    department   text,
    whistle      text NOT NULL,
    automatic    boolean NOT NULL,
    PRIMARY KEY (community_id, request_id, escalated_at, to_level)
);
""",
)


# The three rates read one or twelve months of a community's requests (RATES_SQL); found
# by the capacity simulation (docs/capacity.md): with a year of a county's history the
# county overview spent 0.65 s of its 0.77 s in the rates.
RATES_MIGRATION = Migration(
    name="projections.0009_requests_rates_by_month",
    sql="""
CREATE INDEX pj_rq_requests_submitted ON pj_rq_requests (community_id, submitted_at);
CREATE INDEX pj_rq_requests_closed ON pj_rq_requests (community_id, closed_at)
    WHERE status = 'closed';
CREATE INDEX pj_rq_ratings_rated ON pj_rq_ratings (community_id, rated_at);
""",
)
MIGRATIONS: tuple[Migration, ...] = (MIGRATION, RATES_MIGRATION)


def _request(assignments: str) -> str:
    return f"UPDATE pj_rq_requests SET {assignments} WHERE community_id = $1 AND request_id = $2"


def _final(status: str, stamp: str) -> Write:
    return Write(
        _request(f"status = '{status}', closed_at = $3"),
        lambda e: (e.community_id, e.request_id, getattr(e, stamp)),
    )


# Every statement touches only its own request's rows, named by its first two arguments
# (community_id, request_id): a batch runs each statement once for many requests.
RULES: Rules = keyed(
    2,
    rules(
        (
            pub.RequestSubmitted,
            Write(
                "INSERT INTO pj_rq_requests (community_id, request_id, category, status,"
                " submitted_at, respond_by, resolve_by) VALUES ($1, $2, $3, 'open', $4, $5, $6)"
                " ON CONFLICT DO NOTHING",
                lambda e: (
                    e.community_id,
                    e.request_id,
                    e.category,
                    e.submitted_at,
                    e.respond_by,
                    e.resolve_by,
                ),
            ),
        ),
        (
            pub.RequestClaimed,
            Write(
                _request(
                    "status = 'claimed', holder = $3, responded_at = COALESCE(responded_at, $4)"
                ),
                lambda e: (e.community_id, e.request_id, e.member_id, e.claimed_at),
            ),
        ),
        (
            pub.RequestEscalated,
            (
                Write(
                    _request("status = 'open', holder = NULL"),
                    lambda e: (e.community_id, e.request_id),
                ),
                Write(
                    "INSERT INTO pj_rq_whistles (community_id, request_id, escalated_at, to_level,"
                    " department, whistle, automatic) VALUES ($1, $2, $3, $4, $5, $6, $7)"
                    " ON CONFLICT DO NOTHING",
                    lambda e: (
                        e.community_id,
                        e.request_id,
                        e.escalated_at,
                        e.to_level,
                        e.department,
                        e.whistle,
                        e.automatic,
                    ),
                ),
            ),
        ),
        (
            pub.DepartmentReported,
            Write(
                _request(
                    "status = 'claimed', holder = 'department:' || $3,"
                    " responded_at = COALESCE(responded_at, $4)"
                ),
                lambda e: (e.community_id, e.request_id, e.department, e.reported_at),
            ),
        ),
        (
            pub.RequestResolved,
            Write(
                _request(
                    "status = 'resolved', resolved_at = $3,"
                    " responded_at = COALESCE(responded_at, $3)"
                ),
                lambda e: (e.community_id, e.request_id, e.resolved_at),
            ),
        ),
        (
            pub.RequestRated,
            Write(
                "INSERT INTO pj_rq_ratings (community_id, request_id, rated_at, rating)"
                " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                lambda e: (e.community_id, e.request_id, e.rated_at, e.rating),
            ),
        ),
        (
            pub.RequestReopened,
            Write(
                _request(
                    "status = CASE WHEN holder IS NULL THEN 'open' ELSE 'claimed' END,"
                    " resolve_by = $3, resolved_at = NULL"
                ),
                lambda e: (e.community_id, e.request_id, e.resolve_by),
            ),
        ),
        (
            pub.RequestClosed,
            Write(
                _request("status = 'closed', outcome = $3, closed_at = $4"),
                lambda e: (e.community_id, e.request_id, e.outcome, e.closed_at),
            ),
        ),
        (pub.RequestCancelled, _final("cancelled", "cancelled_at")),
        (pub.RequestRejected, _final("rejected", "rejected_at")),
        (pub.RequestMerged, _final("merged", "merged_at")),
    ),
)


def projector() -> TableProjector:
    return TableProjector(GROUP, (REQUESTS_EVENTS.name,), RULES)


Db: TypeAlias = asyncpg.Pool | asyncpg.Connection
STATUSES = ("open", "claimed", "resolved", "closed", "cancelled", "rejected", "merged")


async def status_counts(db: Db, community_id: str) -> dict[str, int]:
    """Every status, zero included, so a chart's bars never come and go."""
    rows = await db.fetch(
        "SELECT status, count(*) AS n FROM pj_rq_requests WHERE community_id = $1 GROUP BY 1",
        community_id,
    )
    found = {r["status"]: int(r["n"]) for r in rows}
    return {s: found.get(s, 0) for s in STATUSES} | found


async def category_counts(db: Db, community_id: str) -> dict[str, dict[str, int]]:
    """Per category: its requests by status."""
    rows = await db.fetch(
        "SELECT category, status, count(*) AS n FROM pj_rq_requests WHERE community_id = $1"
        " GROUP BY 1, 2 ORDER BY 1, 2",
        community_id,
    )
    out: dict[str, dict[str, int]] = {}
    for r in rows:
        out.setdefault(r["category"], {})[r["status"]] = int(r["n"])
    return out


# The requests service's own overdue list (requests_service/views/queries.py `overdue`).
_OVERDUE = (
    "status IN ('open', 'claimed')"
    " AND ((responded_at IS NULL AND respond_by < $2) OR resolve_by < $2)"
)


async def overdue_count(db: Db, community_id: str, now: datetime) -> int:
    n = await db.fetchval(
        f"SELECT count(*) FROM pj_rq_requests WHERE community_id = $1 AND {_OVERDUE}",
        community_id,
        now,
    )
    return int(n)


@dataclass(frozen=True, slots=True)
class Overdue:
    request_id: str
    category: str
    status: str
    holder: str | None
    respond_by: datetime
    resolve_by: datetime
    answered: bool


async def overdue_list(db: Db, community_id: str, now: datetime, limit: int = 20) -> list[Overdue]:
    """The overdue requests themselves, the longest overdue first."""
    rows = await db.fetch(
        "SELECT request_id, category, status, holder, respond_by, resolve_by,"
        " responded_at IS NOT NULL AS answered FROM pj_rq_requests"
        f" WHERE community_id = $1 AND {_OVERDUE}"
        " ORDER BY CASE WHEN responded_at IS NULL THEN LEAST(respond_by, resolve_by)"
        " ELSE resolve_by END, request_id LIMIT $3",
        community_id,
        now,
        limit,
    )
    return [Overdue(**dict(r)) for r in rows]


async def open_counts(
    db: Db, community_ids: list[str], now: datetime
) -> dict[str, tuple[int, int]]:
    """(open or claimed, overdue) per community, for the county overview."""
    rows = await db.fetch(
        "SELECT community_id, count(*) AS open,"
        f" count(*) FILTER (WHERE {_OVERDUE}) AS overdue"
        " FROM pj_rq_requests WHERE community_id = ANY($1::text[])"
        " AND status IN ('open', 'claimed') GROUP BY 1",
        community_ids,
        now,
    )
    return {r["community_id"]: (int(r["open"]), int(r["overdue"])) for r in rows}


@dataclass(frozen=True, slots=True)
class Durations:
    """Minutes, over the requests that have the end point."""

    count: int
    p50: float | None
    p90: float | None


@dataclass(frozen=True, slots=True)
class Times:
    respond: Durations
    resolve: Durations


async def times(db: Db, community_id: str) -> Times:
    """To respond: submission → first claim, department report or resolution.
    To resolve: submission → the resolution that stands (a reopened request's earlier
    resolution is forgotten; a request closed unresolved has none)."""
    row = await db.fetchrow(
        """
        WITH r AS (
            SELECT extract(epoch FROM responded_at - submitted_at) / 60 AS respond,
                   CASE WHEN resolved_at IS NOT NULL
                             AND (status = 'resolved' OR outcome = 'resolved')
                        THEN extract(epoch FROM resolved_at - submitted_at) / 60 END AS resolve
            FROM pj_rq_requests WHERE community_id = $1
        )
        SELECT count(respond) AS respond_n,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY respond) AS respond_p50,
               percentile_cont(0.9) WITHIN GROUP (ORDER BY respond) AS respond_p90,
               count(resolve) AS resolve_n,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY resolve) AS resolve_p50,
               percentile_cont(0.9) WITHIN GROUP (ORDER BY resolve) AS resolve_p90
        FROM r
        """,
        community_id,
    )
    assert row is not None

    def minutes(value: float | None) -> float | None:
        return round(float(value), 1) if value is not None else None

    return Times(
        respond=Durations(
            int(row["respond_n"]), minutes(row["respond_p50"]), minutes(row["respond_p90"])
        ),
        resolve=Durations(
            int(row["resolve_n"]), minutes(row["resolve_p50"]), minutes(row["resolve_p90"])
        ),
    )


@dataclass(frozen=True, slots=True)
class Whistles:
    total: int
    by_to_level: dict[str, int]
    by_department: dict[str, int]
    by_kind: dict[str, int]
    automatic: int


async def whistles(db: Db, community_id: str) -> Whistles:
    rows = await db.fetch(
        "SELECT to_level, coalesce(department, '') AS department, whistle, automatic,"
        " count(*) AS n FROM pj_rq_whistles WHERE community_id = $1 GROUP BY 1, 2, 3, 4",
        community_id,
    )
    level: dict[str, int] = {}
    department: dict[str, int] = {}
    kind: dict[str, int] = {}
    automatic = 0
    for r in rows:
        n = int(r["n"])
        level[r["to_level"]] = level.get(r["to_level"], 0) + n
        if r["department"]:
            department[r["department"]] = department.get(r["department"], 0) + n
        kind[r["whistle"]] = kind.get(r["whistle"], 0) + n
        automatic += n if r["automatic"] else 0
    return Whistles(sum(level.values()), level, department, kind, automatic)


# The three rates (三率), with the requests service's definitions, copied from
# requests_service/views/rates.py (RATES_SQL) onto this view's tables:
# - response rate   = requests submitted in the month and answered (claimed, taken by the
#                     department, or resolved) by respond_by / requests submitted in the
#                     month that were answered or whose respond_by has passed, leaving out
#                     cancelled, rejected and merged ones never answered;
# - resolution rate = requests closed in the month as resolved / requests closed in the month;
# - satisfaction    = ratings in the month satisfied or basically satisfied / ratings in the
#                     month.
# Months are calendar months in China Standard Time.
_MONTH = "date_trunc('month', {col} AT TIME ZONE 'Asia/Shanghai')::date"
# Only the rows of the months asked for ($2 to $3, first days of months): without it every
# rate read a community's whole history, a county's year of requests for one month's rates
# (the indexes of RATES_MIGRATION serve these ranges).
_IN_MONTHS = (
    "{col} >= $2::date::timestamp AT TIME ZONE 'Asia/Shanghai'"
    " AND {col} < ($3::date + interval '1 month') AT TIME ZONE 'Asia/Shanghai'"
)

RATES_SQL = f"""
WITH months AS (
    SELECT generate_series($2::date, $3::date, interval '1 month')::date AS month
), response AS (
    SELECT community_id, {_MONTH.format(col="submitted_at")} AS month,
           count(*) FILTER (WHERE responded_at IS NOT NULL AND responded_at <= respond_by) AS yes,
           count(*) AS total
    FROM pj_rq_requests
    WHERE community_id = ANY($1::text[]) AND {_IN_MONTHS.format(col="submitted_at")}
      AND (responded_at IS NOT NULL OR (respond_by < $4
           AND status NOT IN ('cancelled', 'rejected', 'merged')))
    GROUP BY 1, 2
), resolution AS (
    SELECT community_id, {_MONTH.format(col="closed_at")} AS month,
           count(*) FILTER (WHERE outcome = 'resolved') AS yes,
           count(*) AS total
    FROM pj_rq_requests
    WHERE community_id = ANY($1::text[]) AND status = 'closed'
      AND {_IN_MONTHS.format(col="closed_at")}
    GROUP BY 1, 2
), satisfaction AS (
    SELECT community_id, {_MONTH.format(col="rated_at")} AS month,
           count(*) FILTER (WHERE rating IN ('satisfied', 'basically_satisfied')) AS yes,
           count(*) AS total
    FROM pj_rq_ratings
    WHERE community_id = ANY($1::text[]) AND {_IN_MONTHS.format(col="rated_at")}
    GROUP BY 1, 2
)
SELECT c.community_id, m.month,
       coalesce(a.yes, 0) AS response_yes, coalesce(a.total, 0) AS response_total,
       coalesce(r.yes, 0) AS resolution_yes, coalesce(r.total, 0) AS resolution_total,
       coalesce(s.yes, 0) AS satisfaction_yes, coalesce(s.total, 0) AS satisfaction_total
FROM unnest($1::text[]) AS c(community_id)
CROSS JOIN months m
LEFT JOIN response a ON a.community_id = c.community_id AND a.month = m.month
LEFT JOIN resolution r ON r.community_id = c.community_id AND r.month = m.month
LEFT JOIN satisfaction s ON s.community_id = c.community_id AND s.month = m.month
ORDER BY c.community_id, m.month
"""


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

    @property
    def mean(self) -> float | None:
        """The mean of the rates that have a denominator; None when none has."""
        values = [
            r.value
            for r in (self.response, self.resolution, self.satisfaction)
            if r.value is not None
        ]
        return round(sum(values) / len(values), 4) if values else None


async def monthly(
    db: Db, community_ids: list[str], first: date, last: date, now: datetime
) -> dict[str, list[MonthRates]]:
    """`now` decides which unanswered requests count as late: the clock, or the time a
    past picture is "as of"."""
    rows = await db.fetch(RATES_SQL, community_ids, first, last, now)
    out: dict[str, list[MonthRates]] = {c: [] for c in community_ids}
    for r in rows:
        out[r["community_id"]].append(
            MonthRates(
                month=r["month"],
                response=Rate(r["response_yes"], r["response_total"]),
                resolution=Rate(r["resolution_yes"], r["resolution_total"]),
                satisfaction=Rate(r["satisfaction_yes"], r["satisfaction_total"]),
            )
        )
    return out
