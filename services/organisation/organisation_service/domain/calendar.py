"""The county's calendar: dates and years as people in the county count them.

Commands carry the instant (`now`, UTC); "today" and "this year" are China Standard
Time, or a report made before 08:00 Beijing time would look dated in the future.
"""

from __future__ import annotations

from datetime import date, datetime

from grassroots_eventkit.values import CHINA_STANDARD_TIME


def local_today(now: datetime) -> date:
    return now.astimezone(CHINA_STANDARD_TIME).date()
