"""The simulated province, county by county: each county's communities are onboarded,
then live their days; both come out as planned events in time order.

A county is the unit of work because a community's daily life needs its roster (the ids
onboarding made) and a province's rosters do not fit in memory at once; the county's
communities are the contact communities its in-service members report to (双报到)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from grassroots_stack.capacity.onboarding import (
    Roster,
    onboarding_events,
    registration,
    roster,
)
from grassroots_stack.capacity.places import Place
from grassroots_stack.capacity.planned import Planned
from grassroots_stack.capacity.scale import CommunityShape, DailyRates
from grassroots_stack.capacity.stories import CST, day
from grassroots_stack.capacity.timeline import in_time_order

# Community-days planned at once: bounds the memory a year of history takes.
COMMUNITY_DAYS_AT_ONCE = 2400
# Requests close within days and activities end within a week of being scheduled.
WARMUP_DAYS = 7


@dataclass(frozen=True, slots=True)
class Window:
    """The simulated days: the `days` whole days (China) before `now`, a midnight.

    Stories are drawn from `warmup` days earlier on, and only what happens inside the
    window is kept: its first day then carries the later steps of requests and
    activities begun before it, as any ordinary day does."""

    now: datetime
    days: int
    warmup: int = WARMUP_DAYS

    @property
    def first(self) -> date:
        return (self.now - timedelta(days=self.days)).astimezone(CST).date()

    @property
    def onboarded_at(self) -> datetime:
        """Communities join the day before their stories start, at 08:00 China."""
        on = self.first - timedelta(days=self.warmup + 1)
        return datetime.combine(on, time(8), tzinfo=CST).astimezone(UTC)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(0), tzinfo=CST).astimezone(UTC)

    def dates(self) -> list[date]:
        """The days stories start on: the warm-up, then the window."""
        return [self.first + timedelta(days=d) for d in range(-self.warmup, self.days)]


def rosters(county: Sequence[Place], shape: CommunityShape, seed: int) -> list[Roster]:
    """The county's communities as planned; each other's contact communities."""
    contacts = [p.community_id for p in county]
    return [roster(place, shape, contacts, seed) for place in county]


def onboarding(planned: Sequence[Roster], window: Window) -> list[Planned]:
    return [p for r in planned for p in onboarding_events(r, window.onboarded_at)]


def registrations(county: Sequence[Place], window: Window) -> list[Planned]:
    return [registration(place, window.onboarded_at) for place in county]


def daily(
    rosters: Sequence[Roster], rates: DailyRates, window: Window, seed: int
) -> Iterator[list[Planned]]:
    """The window's events of `rosters`, a slice of communities at a time, each slice in
    time order; events after `now` have not happened yet and are left out, those before
    the window's start belong to the warm-up."""
    step = max(1, COMMUNITY_DAYS_AT_ONCE // (window.days + window.warmup))
    for start in range(0, len(rosters), step):
        lists = [
            day(r, rates, on, seed) for r in rosters[start : start + step] for on in window.dates()
        ]
        yield [p for p in in_time_order(*lists) if window.start <= p.at < window.now]
