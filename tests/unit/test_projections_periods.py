"""Leaderboard periods as month ranges the (community, month) index serves."""

from __future__ import annotations

from datetime import date

import pytest
from projections_service.views.points_figures import period_months

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("period", "months"),
    [
        ("2026-05", (date(2026, 5, 1), date(2026, 6, 1))),
        ("2026-12", (date(2026, 12, 1), date(2027, 1, 1))),
        ("2026", (date(2026, 1, 1), date(2027, 1, 1))),
    ],
)
def test_a_period_is_its_first_month_up_to_the_month_after_it(period, months):
    assert period_months(period) == months
