"""The simulation's phases, into the database `pool` points at (migrated by the caller):

1. onboarding: the first county's communities join in full (grid, party, members, teams,
   shelves) — what the organisation tables hold per community;
2. history: that county lives `history_days` days — a year of one county, time-compressed:
   the per-community history the dashboard queries run over;
3. province: every other county's communities are registered and live `days` days — the
   province's key spread and daily volume through the apply path.

Each phase's records go through `Feeder` (the consumers' apply path) in batches of
`batch`, and come out tallied per view and per event type."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from datetime import time as clock

import asyncpg
from grassroots_contracts.topics import ALL_TOPICS

from grassroots_stack.capacity.feed import Feeder, ViewTally
from grassroots_stack.capacity.onboarding import Roster
from grassroots_stack.capacity.places import Place, places
from grassroots_stack.capacity.planned import Planned
from grassroots_stack.capacity.province import (
    Window,
    daily,
    onboarding,
    registrations,
    rosters,
)
from grassroots_stack.capacity.scale import COMMUNITIES_PER_COUNTY, Province
from grassroots_stack.capacity.stories import CST
from grassroots_stack.capacity.timeline import Published, Timeline, batches

DEFAULT_SEED = 20220509  # the article's publication date, as the demo's


def midnight(now: datetime) -> datetime:
    """The start of today in China: the simulated days are whole days before it."""
    return datetime.combine(now.astimezone(CST).date(), clock(0), tzinfo=CST).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Plan:
    communities: int
    days: int
    history_days: int
    now: datetime
    per_county: int = COMMUNITIES_PER_COUNTY
    batch: int = 2000  # the projections' consumer batch (IdempotentConsumer's default)
    seed: int = DEFAULT_SEED

    @property
    def province(self) -> Province:
        return Province(communities=self.communities, per_county=self.per_county)

    def as_dict(self) -> dict[str, object]:
        return {
            "communities": self.communities,
            "counties": self.province.counties,
            "communities_per_county": self.per_county,
            "province_days": self.days,
            "history_county_days": self.history_days,
            "now": self.now.isoformat(),
            "batch": self.batch,
            "seed": self.seed,
        }


@dataclass
class PhaseResult:
    name: str
    communities: int
    days: int
    events: int = 0
    seconds: float = 0.0
    by_type: Counter[str] = field(default_factory=Counter)
    bytes_by_topic: Counter[str] = field(default_factory=Counter)
    events_by_topic: Counter[str] = field(default_factory=Counter)
    views: dict[str, ViewTally] = field(default_factory=dict)
    hours: Counter[datetime] = field(default_factory=Counter)  # events per hour they happened

    def busiest_hours(self) -> dict[str, object]:
        """Events per hour of the phase's days: the mean and the busiest, and that hour's
        share of a day's mean (what sizes peak events/s)."""
        if not self.days or not self.hours:
            return {}
        ordered = sorted(self.hours.values())
        mean = self.events / (self.days * 24)
        top = max(self.hours, key=lambda h: self.hours[h])
        return {
            "mean_events_per_hour": round(mean, 1),
            "p99_events_per_hour": ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
            "max_events_per_hour": self.hours[top],
            "busiest_hour": top.astimezone(CST).isoformat(),
            "peak_to_mean": round(self.hours[top] / mean, 2),
        }

    def as_dict(self) -> dict[str, object]:
        community_days = self.communities * self.days
        return {
            "phase": self.name,
            "communities": self.communities,
            "days": self.days,
            "events": self.events,
            "seconds": round(self.seconds, 1),
            "events_per_s": round(self.events / self.seconds, 1) if self.seconds else None,
            "events_per_community_day": (
                round(self.events / community_days, 2) if community_days else None
            ),
            "topics": {
                t: {
                    "events": self.events_by_topic[t],
                    "mean_record_bytes": round(self.bytes_by_topic[t] / self.events_by_topic[t])
                    if self.events_by_topic[t]
                    else None,
                }
                for t in sorted(self.events_by_topic)
            },
            "hours": self.busiest_hours(),
            "by_type": dict(self.by_type.most_common()),
            "views": [v.as_dict() for v in self.views.values()],
        }


Progress = Callable[[str, int], None]  # (phase, events just applied)
Watch = Callable[[Sequence[Published]], None]  # sees every batch before it is applied


class Simulation:
    def __init__(
        self,
        pool: asyncpg.Pool,
        plan: Plan,
        *,
        progress: Progress = lambda _phase, _n: None,
        watch: Watch = lambda _batch: None,
    ) -> None:
        self.plan = plan
        self.feeder = Feeder(pool, batch=plan.batch)
        self.timeline = Timeline(partitions=ALL_TOPICS[0].partitions)
        self.places = places(plan.province, plan.seed)
        self._progress = progress
        self._watch = watch
        self._rosters: list[Roster] = []

    def county(self, n: int) -> list[Place]:
        per = self.plan.per_county
        return self.places[n * per : (n + 1) * per]

    async def _feed(
        self, phase: PhaseResult, planned: Iterable[Planned], *, hourly: bool = True
    ) -> None:
        """`hourly`: count the events in the phase's hours (not a burst of set-up)."""
        for batch in batches(self.timeline.publish(planned), self.plan.batch):
            self._watch(batch)
            await self.feeder.add(batch)
            phase.events += len(batch)
            for p in batch:
                phase.by_type[p.event_type.split(".")[2]] += 1
                phase.events_by_topic[p.record.topic] += 1
                phase.bytes_by_topic[p.record.topic] += p.size
                if hourly:
                    phase.hours[p.at.replace(minute=0, second=0, microsecond=0)] += 1
            self._progress(phase.name, len(batch))

    async def onboarding(self) -> PhaseResult:
        """The first county's communities join in full."""
        county = self.county(0)
        self._rosters = rosters(county, self.plan.province.shape, self.plan.seed)
        window = Window(self.plan.now, self.plan.history_days)
        joined = PhaseResult("onboarding", len(county), 0)
        started = time.perf_counter()
        await self._feed(joined, onboarding(self._rosters, window), hourly=False)
        joined.views = await self.feeder.reset()
        joined.seconds = time.perf_counter() - started
        return joined

    async def history(self) -> PhaseResult:
        """The first county's `history_days` days, after `onboarding`."""
        window = Window(self.plan.now, self.plan.history_days)
        lived = PhaseResult("history", len(self._rosters), window.days)
        started = time.perf_counter()
        for chunk in daily(self._rosters, self.plan.province.rates, window, self.plan.seed):
            await self._feed(lived, chunk)
        lived.views = await self.feeder.reset()
        lived.seconds = time.perf_counter() - started
        return lived

    async def province_days(self) -> PhaseResult:
        """Every county but the first: registered, then `days` days of their traffic.
        Their full onboarding is left out (its cost and size per community are the first
        county's); each county's rosters are drawn, used and dropped."""
        window = Window(self.plan.now, self.plan.days)
        others = self.plan.province.counties - 1
        result = PhaseResult("province", len(self.places) - len(self.county(0)), window.days)
        started = time.perf_counter()
        for n in range(1, others + 1):
            county = self.county(n)
            await self._feed(result, registrations(county, window), hourly=False)
            planned = rosters(county, self.plan.province.shape, self.plan.seed)
            for chunk in daily(planned, self.plan.province.rates, window, self.plan.seed):
                await self._feed(result, chunk)
        result.views = await self.feeder.reset()
        result.seconds = time.perf_counter() - started
        return result
