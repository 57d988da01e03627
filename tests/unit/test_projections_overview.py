"""The county overview's pure pieces: the coming weekend, the month arithmetic, the ranking."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from projections_service.views.overview import (
    CommunityFigures,
    china_today,
    coming_saturday,
    month_end,
    months_back,
    ranked,
)
from projections_service.views.requests_figures import MonthRates, Rate


@pytest.mark.parametrize(
    ("today", "saturday"),
    [
        (date(2026, 11, 23), date(2026, 11, 28)),  # Monday
        (date(2026, 11, 27), date(2026, 11, 28)),  # Friday
        (date(2026, 11, 28), date(2026, 11, 28)),  # Saturday: this weekend
        (date(2026, 11, 29), date(2026, 12, 5)),  # Sunday: the next one
        (date(2026, 12, 31), date(2027, 1, 2)),  # across a year
    ],
)
def test_the_coming_saturday_is_today_or_the_next_one_when_asked_on(today, saturday):
    assert coming_saturday(today) == saturday
    assert coming_saturday(today).weekday() == 5


def test_today_is_the_china_date_when_utc_is_still_the_day_before():
    assert china_today(datetime(2026, 11, 27, 17, 0, tzinfo=UTC)) == date(2026, 11, 28)


def test_months_back_and_month_end_cross_years_when_needed():
    assert months_back(date(2026, 3, 1), 11) == date(2025, 4, 1)
    assert months_back(date(2026, 1, 1), 1) == date(2025, 12, 1)
    assert months_back(date(2026, 12, 1), -1) == date(2027, 1, 1)
    assert month_end(date(2026, 2, 1)) == date(2026, 2, 28)
    assert month_end(date(2026, 12, 1)) == date(2026, 12, 31)


def _row(name: str, *rates: tuple[int, int]) -> CommunityFigures:
    response, resolution, satisfaction = (Rate(*r) for r in rates)
    return CommunityFigures(
        community_id=f"id-{name}",
        name=name,
        town="白牙市镇",
        rates=MonthRates(date(2026, 11, 1), response, resolution, satisfaction),
        reporting_rate=None,
        open_requests=0,
        overdue=0,
        volunteer_hours=3.0,
        members=4,
        rota_slots=0,
        rota_gaps=0,
    )


def test_the_mean_leaves_out_rates_without_a_denominator():
    assert _row("甲", (1, 2), (0, 0), (1, 1)).rates.mean == 0.75
    assert _row("乙", (0, 0), (0, 0), (0, 0)).rates.mean is None


def test_communities_rank_by_mean_rate_then_name_with_no_rate_last_when_ranked():
    rows = [
        _row("丙", (0, 0), (0, 0), (0, 0)),
        _row("乙", (1, 2), (1, 2), (1, 2)),
        _row("甲", (1, 1), (1, 1), (1, 1)),
        _row("丁", (2, 4), (2, 4), (2, 4)),
    ]
    out = ranked(rows)
    assert [(r.rank, r.name) for r in out] == [(1, "甲"), (2, "丁"), (3, "乙"), (4, "丙")]
    # Equal means follow the names' order (code points: 丁 before 乙).
    assert [r.name for r in out[1:3]] == sorted(["乙", "丁"])


def test_hours_per_member_is_none_when_no_member_lives_there():
    row = _row("甲", (1, 1), (1, 1), (1, 1))
    assert row.hours_per_member == 0.75
    assert replace(row, members=0).hours_per_member is None
