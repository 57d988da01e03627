"""The county's calendar: days, months and years in China Standard Time."""

from __future__ import annotations

from datetime import date, datetime

from grassroots_eventkit.values import CHINA_STANDARD_TIME


def local_day(at: datetime) -> date:
    return at.astimezone(CHINA_STANDARD_TIME).date()
