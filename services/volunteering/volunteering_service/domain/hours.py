"""Volunteer hours: how they are counted, and the star levels they earn."""

from __future__ import annotations

from datetime import date, datetime

from grassroots_eventkit.values import CHINA_STANDARD_TIME

# Star levels (星级志愿者) by certified hours, lowest first.
STAR_THRESHOLDS: tuple[int, ...] = (100, 300, 600, 1000, 1500)


def served_hours(
    checked_in: datetime, checked_out: datetime, starts: datetime, ends: datetime
) -> float:
    """Checked-out minus checked-in, capped by the activity's window, to two decimals."""
    begin, end = max(checked_in, starts), min(checked_out, ends)
    seconds = (end - begin).total_seconds()
    return round(seconds / 3600, 2) if seconds > 0 else 0.0


def star_level(total_hours: float) -> int:
    """0 to 5 stars: one for each threshold reached."""
    return sum(1 for threshold in STAR_THRESHOLDS if total_hours >= threshold)


def local_day(at: datetime) -> date:
    """The day as the county counts it: an activity at 07:00 Beijing time is that day's."""
    return at.astimezone(CHINA_STANDARD_TIME).date()
