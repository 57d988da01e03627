"""How long the dashboard's two pages take to compute at the simulated table sizes: the
very functions the API runs (`community_picture`, `county_overview`), on a pool like the
service's, timed one call at a time."""

from __future__ import annotations

import functools
import random
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg
from projections_service.community_picture import community_picture
from projections_service.views import communities, overview


@dataclass(frozen=True, slots=True)
class Timings:
    label: str
    samples_ms: list[float]

    def as_dict(self) -> dict[str, object]:
        s = sorted(self.samples_ms)
        return {
            "label": self.label,
            "samples": len(s),
            "p50_ms": round(statistics.median(s), 2),
            "p99_ms": round(percentile(s, 0.99), 2),
            "max_ms": round(s[-1], 2),
        }


def percentile(ordered: Sequence[float], q: float) -> float:
    """Nearest rank on sorted samples: with few samples p99 is the largest."""
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


async def timed_ms(call: Callable[[], Awaitable[object]]) -> float:
    """One call's wall time, in milliseconds."""
    started = time.perf_counter()
    await call()
    return (time.perf_counter() - started) * 1000


async def community_pictures(
    pool: asyncpg.Pool, community_ids: Sequence[str], now: datetime, *, rounds: int, label: str
) -> Timings:
    """Each community's picture `rounds` times, communities shuffled per round (the first
    round also pays for reading pages from disk into the cache)."""
    rows = [await communities.get_community(pool, c) for c in community_ids]
    found = [r for r in rows if r is not None]
    samples = []
    order = list(found)
    for _ in range(rounds):
        random.shuffle(order)
        for row in order:
            samples.append(await timed_ms(functools.partial(community_picture, pool, row, now)))
    return Timings(label, samples)


async def county_overviews(
    pool: asyncpg.Pool, county: str, now: datetime, *, rounds: int, label: str
) -> Timings:
    samples = [
        await timed_ms(lambda: overview.county_overview(pool, county, now=now))
        for _ in range(rounds)
    ]
    return Timings(label, samples)
