"""The county overview: every community of a county side by side, ranked by the three rates.

Pure query code over the other views' tables; it owns no table and no consumer. Figures:
- the three rates of the current month (CST) and their mean (of those with a denominator);
- the double-report rate of the current year;
- open requests (open or claimed) and how many of them are overdue;
- volunteer hours certified in the current month per party member living in the community;
- the coming weekend's rota: its slots and the gaps (slots nobody holds);
- the rank: by the mean of the three rates, best first, communities without any rate
  last, equal means by name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

import asyncpg
from grassroots_eventkit.values import CHINA_STANDARD_TIME

from projections_service.views import (
    communities,
    organisation_figures,
    requests_figures,
    volunteering_figures,
)

_SATURDAY = 5


def coming_saturday(today: date) -> date:
    """The Saturday of the coming weekend: today on a Saturday, the next one from a Sunday on
    (Sunday's shifts are part of the weekend that began the day before, already under way)."""
    return today + timedelta(days=(_SATURDAY - today.weekday()) % 7)


def month_start(day: date) -> date:
    return day.replace(day=1)


def months_back(month: date, n: int) -> date:
    """The first of the month `n` months before `month` (a first of a month)."""
    index = month.year * 12 + month.month - 1 - n
    return date(index // 12, index % 12 + 1, 1)


def month_end(month: date) -> date:
    return months_back(month, -1) - timedelta(days=1)


def china_today(now: datetime) -> date:
    return now.astimezone(CHINA_STANDARD_TIME).date()


@dataclass(frozen=True, slots=True)
class CommunityFigures:
    community_id: str
    name: str
    town: str
    rates: requests_figures.MonthRates
    reporting_rate: float | None
    open_requests: int
    overdue: int
    volunteer_hours: float
    members: int
    rota_slots: int
    rota_gaps: int
    rank: int = 0

    @property
    def hours_per_member(self) -> float | None:
        return round(self.volunteer_hours / self.members, 2) if self.members else None


def ranked(rows: Sequence[CommunityFigures]) -> list[CommunityFigures]:
    """Best mean of the three rates first, communities without any rate last; equal means
    are ordered by name, so every community has its own place (1, 2, 3 ...)."""

    def key(row: CommunityFigures) -> tuple[bool, float, str]:
        mean = row.rates.mean
        return (mean is None, -(mean or 0.0), row.name)

    return [replace(row, rank=i) for i, row in enumerate(sorted(rows, key=key), start=1)]


@dataclass(frozen=True, slots=True)
class Overview:
    county: str
    today: date
    month: date
    weekend: date
    communities: list[CommunityFigures]


async def county_overview(
    db: asyncpg.Pool | asyncpg.Connection,
    county: str,
    *,
    now: datetime,
    community_ids: frozenset[str] | None = None,
) -> Overview:
    """`community_ids` narrows the county to a community-scoped reader's communities."""
    listed = await communities.list_communities(
        db, county=county, community_ids=community_ids, limit=10_000, offset=0
    )
    ids = [c.community_id for c in listed]
    today = china_today(now)
    month = month_start(today)
    weekend = coming_saturday(today)
    rates = await requests_figures.monthly(db, ids, month, month, now)
    requests = await requests_figures.open_counts(db, ids, now)
    hours = await volunteering_figures.hours_in(db, ids, month, month_end(month))
    members = await organisation_figures.members_registered(db, ids)
    rota = await volunteering_figures.gaps(db, ids, weekend)
    reports = await organisation_figures.reporting_in(db, ids, today.year)
    rows = []
    for c in listed:
        reporting = reports[c.community_id]
        open_requests, overdue = requests.get(c.community_id, (0, 0))
        slots, gaps = rota.get(c.community_id, (0, 0))
        rows.append(
            CommunityFigures(
                community_id=c.community_id,
                name=c.name,
                town=c.town,
                rates=rates[c.community_id][0],
                reporting_rate=reporting.rate,
                open_requests=open_requests,
                overdue=overdue,
                volunteer_hours=hours.get(c.community_id, 0.0),
                members=members.get(c.community_id, 0),
                rota_slots=slots,
                rota_gaps=gaps,
            )
        )
    return Overview(county, today, month, weekend, ranked(rows))
