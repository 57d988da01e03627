"""Events/s of each view by batch size: a live consumer sees small polls, a catching-up
one full ones. Each size gets fresh events (a repeated one would be a dedupe no-op), and
the cost of a batch is fitted as `per_batch + per_event × size`: `per_batch` is what a
transaction costs whatever it holds (commit, round trips), `1 / per_event` the most
events/s one consumer instance can take whatever its polls."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg
from projections_service.views.registry import View

from grassroots_stack.capacity.feed import Feeder
from grassroots_stack.capacity.timeline import Published, batches

# batch size -> events applied at that size
SIZES: dict[int, int] = {1: 300, 10: 1000, 100: 3000, 1000: 6000}


@dataclass(frozen=True, slots=True)
class Point:
    size: int
    events: int
    seconds: float

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    @property
    def ms_per_batch(self) -> float:
        return 1000 * self.seconds / -(-self.events // self.size)


@dataclass(frozen=True, slots=True)
class ViewSweep:
    view: str
    points: list[Point]

    def fit(self) -> tuple[float, float]:
        """Least squares of ms per batch on batch size: (ms per batch, ms per event)."""
        xs = [float(p.size) for p in self.points]
        ys = [p.ms_per_batch for p in self.points]
        n = len(xs)
        mx, my = sum(xs) / n, sum(ys) / n
        sxx = sum((x - mx) ** 2 for x in xs)
        if not sxx:  # one batch size only (a view with few events): no slope to fit
            return my, 0.0
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
        return max(0.0, my - slope * mx), slope

    def as_dict(self) -> dict[str, object]:
        per_batch, per_event = self.fit()
        return {
            "view": self.view,
            "by_batch_size": [
                {
                    "batch": p.size,
                    "events": p.events,
                    "events_per_s": round(p.events_per_s, 1),
                    "ms_per_batch": round(p.ms_per_batch, 2),
                }
                for p in self.points
            ],
            "fit_ms_per_batch": round(per_batch, 3),
            "fit_us_per_event": round(per_event * 1000, 1),
            "ceiling_events_per_s": round(1000 / per_event) if per_event > 0 else None,
        }


async def sweep_view(pool: asyncpg.Pool, view: View, records: Sequence[Published]) -> ViewSweep:
    topics = set(view.topics)
    mine = [p for p in records if p.record.topic in topics]
    feeder = Feeder(pool, views=[view])
    points, start = [], 0
    for size, wanted in SIZES.items():
        chunk = mine[start : start + wanted]
        start += len(chunk)
        if not chunk:
            break
        before = feeder.tallies[view.name].seconds
        for batch in batches(chunk, size):
            await feeder.apply(batch)
        points.append(Point(size, len(chunk), feeder.tallies[view.name].seconds - before))
    return ViewSweep(view.name, points)
