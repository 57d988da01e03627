"""How long after a command's answer the community dashboard shows it.

One dashboard, one community: the probe polls the picture a county watcher sees
(`/dashboard/api/communities/{id}`) back to back and counts the community's requests.
When the count has grown by k, the first k submissions answered for that community
are taken as shown, and each one's delay is the end of that poll minus its answer.
That is an upper bound: the figures may have been there up to one poll earlier. The
probe's own polls load the projections service like any dashboard left open.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from grassroots_stack.load.mix import Accepted
from grassroots_stack.load.wire import WirePool

PAUSE_S = 0.1  # between one poll's answer and the next: a watcher, not a siege


@dataclass
class DashboardProbe:
    url: str
    token: str
    community: str
    answered: list[float] = field(default_factory=list)  # time.time() of each submission
    delays_ms: list[float] = field(default_factory=list)
    poll_ms: list[float] = field(default_factory=list)
    _baseline: int = 0
    _shown: int = 0

    def __post_init__(self) -> None:
        self._wire = WirePool(self.url, 1)

    def on_accepted(self, accepted: Accepted) -> None:
        if accepted.kind == "submit" and accepted.community == self.community:
            self.answered.append(accepted.answered_at)

    async def _count(self) -> int:
        path = f"/dashboard/api/communities/{self.community}"
        started = time.perf_counter()
        answer = await self._wire.request("GET", path, self.token)
        self.poll_ms.append((time.perf_counter() - started) * 1000)
        if answer.status_code != 200:
            raise RuntimeError(f"dashboard answered {answer.status_code}: {answer.text[:300]}")
        return sum(answer.json()["requests"]["by_status"].values())

    async def start_step(self) -> None:
        """Forget the last step; what the dashboard shows now is the new baseline."""
        self.answered.clear()
        self.delays_ms.clear()
        self.poll_ms.clear()
        self._baseline = await self._count()
        self._shown = 0

    async def poll_once(self) -> None:
        visible = await self._count() - self._baseline
        seen_at = time.time()
        while self._shown < min(visible, len(self.answered)):
            self.delays_ms.append((seen_at - self.answered[self._shown]) * 1000)
            self._shown += 1

    async def watch(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.poll_once()
            await asyncio.sleep(PAUSE_S)

    async def settle(self, timeout: float) -> bool:
        """Poll until every submission of the step is shown; False if time ran out."""
        deadline = time.monotonic() + timeout
        while self._shown < len(self.answered):
            if time.monotonic() > deadline:
                return False
            await self.poll_once()
            await asyncio.sleep(PAUSE_S)
        return True

    async def close(self) -> None:
        await self._wire.close()
