"""The county mix: residents' requests through their whole life, members signing up and
checking in, taking weekend shifts and spending points, sent open-loop at a set rate.

Open-loop means each command has a scheduled moment and goes out then, whether or not
earlier ones were answered: a slow service shows as latency, not as a politely slower
client (the mistake called coordinated omission). Latency is counted from the scheduled
moment. Commands beyond `max_in_flight` are shed and counted, never queued unboundedly.

Every command carries its own Idempotency-Key. With `retry_for` > 0 a command whose
answer was lost (connection refused or reset, 5xx, timeout) is sent again with the same
key until answered or the time is up, as a careful client would during an outage; only
2xx answers reach `on_accepted`, so the ledger holds exactly what the system accepted.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from grassroots_stack.layout import Layout
from grassroots_stack.load import fixtures
from grassroots_stack.load.county import County, Home, Tokens, discover
from grassroots_stack.load.wire import Answer, WirePool

# Per 100 commands, shaped on the demo county: a request's four steps are about half of
# what a county does; volunteering (sign-up, then the check-in at the venue) a third;
# weekend shifts and the love supermarket the rest.
WEIGHTS: dict[str, int] = {
    "submit": 13,
    "claim": 13,
    "resolve": 13,
    "rate": 13,
    "sign_up": 16,
    "check_in": 16,
    "shift_claim": 8,
    "redeem": 8,
}
# A step that has nothing to act on yet falls back to the step before it.
FALLBACK = {"claim": "submit", "resolve": "claim", "rate": "resolve", "check_in": "sign_up"}
SERVICE = {
    "submit": "requests",
    "claim": "requests",
    "resolve": "requests",
    "rate": "requests",
    "sign_up": "volunteering",
    "check_in": "volunteering",
    "shift_claim": "volunteering",
    "redeem": "points",
}
REQUEST_TIMEOUT_S = 30.0
CATEGORIES = ("repairs", "sanitation", "neighbour_dispute", "elderly_care", "safety")


@dataclass(frozen=True, slots=True)
class Accepted:
    kind: str
    service: str
    target: str  # request, activity, rota or redemption id
    community: str
    member: str | None
    latency_ms: float
    answered_at: float  # time.time() of the 2xx answer


@dataclass
class RunStats:
    rate: float
    seconds: float
    scheduled: int = 0
    accepted: int = 0
    refused: Counter[str] = field(default_factory=Counter)  # "kind:status" -> n
    failed: int = 0  # no answer within retry_for: outage, timeout, 5xx
    shed: int = 0  # not sent: max_in_flight reached
    retried: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    by_kind: Counter[str] = field(default_factory=Counter)
    kind_latencies_ms: dict[str, list[float]] = field(default_factory=dict)
    elapsed_s: float = 0.0

    @property
    def achieved_per_s(self) -> float:
        return self.accepted / self.elapsed_s if self.elapsed_s else 0.0


@dataclass(frozen=True, slots=True)
class _Command:
    kind: str
    method: str
    path: str
    token: str
    body: dict[str, Any] | None
    community: str
    member: str | None
    target: str
    subject: Any = None  # what the next step acts on: a _Request or a SignUp


@dataclass
class _Request:
    id: str
    home: Home
    resident: str


class CountyMix:
    """Prepared once per stack (`prepare`), then `run` at one rate after another."""

    def __init__(
        self, county: County, tokens: Tokens, seed: int, max_in_flight: int, retry_for: float
    ) -> None:
        self.county = county
        self._tokens = tokens
        self._rng = random.Random(seed)
        self._run = fixtures.run_id()
        self._stocker = fixtures.Stocker(county, tokens, self._run, random.Random(seed + 1))
        self._pools = fixtures.Pools()
        self._max_in_flight = max_in_flight
        self._retry_for = retry_for
        self._wire = {
            name: WirePool(url, max_in_flight)
            for name, url in county.urls.items()
            if name in set(SERVICE.values())
        }
        self._to_claim: deque[_Request] = deque()
        self._to_resolve: deque[_Request] = deque()
        self._to_rate: deque[_Request] = deque()
        self._to_check_in: deque[fixtures.SignUp] = deque()
        self._sent = 0
        self._commands = 0
        self._kinds = list(WEIGHTS)
        self._weights = list(WEIGHTS.values())

    @classmethod
    async def prepare(
        cls,
        layout: Layout,
        *,
        seed: int = 1,
        max_in_flight: int = 256,
        retry_for: float = 0.0,
    ) -> CountyMix:
        county = await discover(layout, seed)
        return cls(county, Tokens(layout), seed, max_in_flight, retry_for)

    async def close(self) -> None:
        for pool in self._wire.values():
            await pool.close()

    async def top_up(self, rate: float, seconds: float) -> None:
        """Stock what a run at `rate` for `seconds` acts on (staff work, not timed)."""
        # 20% over the mix's share: the draws are random
        expected = int(rate * seconds * 1.2) + 10
        total = sum(self._weights)
        wanted = {k: expected * WEIGHTS[k] // total for k in ("sign_up", "shift_claim", "redeem")}
        await self._stocker.top_up(self._pools, wanted)

    async def run(
        self,
        rate: float,
        seconds: float,
        on_accepted: Callable[[Accepted], None] | None = None,
    ) -> RunStats:
        """Send `rate` commands a second for `seconds`, then wait for the last answers."""
        await self.top_up(rate, seconds)
        stats = RunStats(rate=rate, seconds=seconds)
        in_flight: set[asyncio.Task[None]] = set()
        started = time.perf_counter()
        interval = 1.0 / rate
        n = 0
        while (due := n * interval) < seconds:
            lag = due - (time.perf_counter() - started)
            if lag > 0:
                await asyncio.sleep(lag)
            n += 1
            stats.scheduled += 1
            if len(in_flight) >= self._max_in_flight:
                stats.shed += 1
                continue
            command = self._next()
            task = asyncio.create_task(
                self._send(command, started + due, stats, on_accepted), name=command.kind
            )
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
        if in_flight:
            await asyncio.gather(*in_flight)
        stats.elapsed_s = time.perf_counter() - started
        return stats

    # Choosing the next command

    def _next(self) -> _Command:
        kind = self._rng.choices(self._kinds, self._weights)[0]
        while True:
            command = self._build(kind)
            if command is not None:
                return command
            kind = FALLBACK.get(kind, "submit")

    def _build(self, kind: str) -> _Command | None:
        match kind:
            case "submit":
                return self._submit()
            case "claim" | "resolve" | "rate":
                return self._request_step(kind)
            case "sign_up":
                return self._sign_up()
            case "check_in":
                return self._check_in()
            case "shift_claim":
                return self._shift_claim()
            case "redeem":
                return self._redeem()
        raise ValueError(f"unknown kind {kind}")

    def _submit(self) -> _Command:
        community = self._rng.choice(self.county.communities)
        home = self._rng.choice(self.county.homes[community])
        self._sent += 1
        resident = f"load-resident-{self._run}-{self._sent}"
        body = {
            "category": self._rng.choice(CATEGORIES),
            "address": {"household_id": home.household},
            "text": "压测：楼道灯坏了",
        }
        token = self._tokens.resident(resident, community)
        r = _Request("", home, resident)
        return _Command("submit", "POST", "/requests", token, body, community, None, "", r)

    def _request_step(self, kind: str) -> _Command | None:
        queue = {"claim": self._to_claim, "resolve": self._to_resolve, "rate": self._to_rate}[kind]
        if not queue:
            return None
        r = queue.popleft()
        community = r.home.community
        if kind == "rate":
            token = self._tokens.resident(r.resident, community)
            path, body = f"/requests/{r.id}/rating", {"rating": "satisfied"}
        else:
            token = self._tokens.member(r.home)
            body = {"resolution": "已处理"} if kind == "resolve" else None
            path = f"/requests/{r.id}/{kind}"
        return _Command(kind, "POST", path, token, body, community, r.home.member, r.id, r)

    def _sign_up(self) -> _Command | None:
        community = self._rng.choice(self.county.communities)
        queue = self._pools.sign_ups.get(community)
        if not queue:
            return None
        s = queue.popleft()
        return _Command(
            "sign_up",
            "POST",
            f"/activities/{s.activity}/signups",
            self._tokens.member(s.home),
            {},
            community,
            s.home.member,
            s.activity,
            s,
        )

    def _check_in(self) -> _Command | None:
        if not self._to_check_in:
            return None
        s = self._to_check_in.popleft()
        community = s.home.community
        at = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
        return _Command(
            "check_in",
            "POST",
            f"/activities/{s.activity}/check-in",
            self._tokens.staff(community),
            {"member_id": s.home.member, "at": at},
            community,
            s.home.member,
            s.activity,
        )

    def _shift_claim(self) -> _Command | None:
        community = self._rng.choice(self.county.communities)
        queue = self._pools.shifts.get(community)
        if not queue:
            return None
        s = queue.popleft()
        return _Command(
            "shift_claim",
            "POST",
            f"/rotas/{s.rota}/shifts/{s.slot}/claim",
            self._tokens.member(s.home),
            {},
            community,
            s.home.member,
            s.slot,
        )

    def _redeem(self) -> _Command | None:
        community = self._rng.choice(self.county.communities)
        budgets = self._pools.budgets.get(community)
        spendable = [m for m, points in (budgets or {}).items() if points > 0]
        if not budgets or not spendable:
            return None
        member = self._rng.choice(spendable)
        budgets[member] -= 1
        home = next(h for h in self.county.homes[community] if h.member == member)
        return _Command(
            "redeem",
            "POST",
            f"/communities/{community}/supermarket/redemptions",
            self._tokens.member(home),
            {"item_id": self._pools.items[community], "quantity": 1},
            community,
            member,
            "",
        )

    # Sending

    async def _send(
        self,
        command: _Command,
        scheduled: float,
        stats: RunStats,
        on_accepted: Callable[[Accepted], None] | None,
    ) -> None:
        self._commands += 1
        key = f"load-{self._run}-{self._commands}"
        answer = await self._answer(command, key, stats)
        if answer is None:
            stats.failed += 1
            return
        if answer.status_code >= 300:
            stats.refused[f"{command.kind}:{answer.status_code}"] += 1
            return
        latency = (time.perf_counter() - scheduled) * 1000
        stats.accepted += 1
        stats.by_kind[command.kind] += 1
        stats.latencies_ms.append(latency)
        stats.kind_latencies_ms.setdefault(command.kind, []).append(latency)
        target = self._advance(command, answer)
        if on_accepted is not None:
            on_accepted(
                Accepted(
                    kind=command.kind,
                    service=SERVICE[command.kind],
                    target=target,
                    community=command.community,
                    member=command.member,
                    latency_ms=latency,
                    answered_at=time.time(),
                )
            )

    async def _answer(self, command: _Command, key: str, stats: RunStats) -> Answer | None:
        """The service's answer, sent again with the same key while none comes back."""
        wire = self._wire[SERVICE[command.kind]]
        give_up = time.monotonic() + self._retry_for
        pause = 0.05
        while True:
            try:
                answer = await asyncio.wait_for(
                    wire.request(command.method, command.path, command.token, command.body, key),
                    REQUEST_TIMEOUT_S,
                )
                if answer.status_code < 500:
                    return answer
            except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError, IndexError):
                pass
            if time.monotonic() + pause > give_up:
                return None
            stats.retried += 1
            await asyncio.sleep(pause)
            pause = min(pause * 2, 2.0)

    def _advance(self, command: _Command, answer: Answer) -> str:
        """Move what the command acted on to its next step; the target it names."""
        match command.kind, command.subject:
            case "submit", _Request() as r:
                r.id = answer.json()["id"]
                self._to_claim.append(r)
                return r.id
            case "claim", _Request() as r:
                self._to_resolve.append(r)
            case "resolve", _Request() as r:
                self._to_rate.append(r)
            case "sign_up", fixtures.SignUp() as s:
                self._to_check_in.append(s)
            case "redeem", _:
                return answer.headers.get("x-redemption-id", "")
        return command.target
