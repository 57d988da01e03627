"""What the load's commands act on, made before a run and outside its clock: activities
under way to sign up for, weekend rotas with open shifts, goods on each community's
shelf and members with points to spend.

Each run tops the pools up to what it will use, so a step of the load never waits on
staff work that a real county does days ahead.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from grassroots_stack.load.county import County, Home, Tokens

SIGNUPS_PER_ACTIVITY = 100  # keeps each activity's stream short, as real ones are
SLOTS_PER_ROTA = 200  # the most one opening may hold
SLOT_MINUTES = 10  # a weekend holds 288 such shifts, none overlapping
POINTS_PER_GRANT = 500  # the most one manual entry may give
ITEM_STOCK = 100_000
READ_MODEL_WAIT_S = 30.0  # how long a just-opened rota may take to show


@dataclass(frozen=True, slots=True)
class SignUp:
    activity: str
    home: Home


@dataclass(frozen=True, slots=True)
class Shift:
    rota: str
    slot: str
    home: Home


@dataclass
class Pools:
    """Per community: sign-ups not yet sent, shifts not yet claimed, the shelf's item and
    each member's unspent points."""

    sign_ups: dict[str, deque[SignUp]] = field(default_factory=dict)
    shifts: dict[str, deque[Shift]] = field(default_factory=dict)
    items: dict[str, str] = field(default_factory=dict)
    budgets: dict[str, dict[str, int]] = field(default_factory=dict)  # community -> member -> pts


class Stocker:
    """Staff work through the ordinary API, with each actor's own token."""

    def __init__(self, county: County, tokens: Tokens, run: str, rng: random.Random) -> None:
        self._county = county
        self._tokens = tokens
        self._run = run
        self._rng = rng
        self._weekends: set[tuple[str, date]] = set()
        self._made = 0

    def _key(self) -> str:
        self._made += 1
        return f"load-{self._run}-setup-{self._made}"

    async def _post(
        self, http: httpx.AsyncClient, service: str, path: str, token: str, body: dict[str, Any]
    ) -> httpx.Response:
        answer = await http.post(
            self._county.urls[service] + path,
            json=body,
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": self._key()},
        )
        if answer.status_code >= 300:
            raise RuntimeError(f"setup {path} refused {answer.status_code}: {answer.text[:300]}")
        return answer

    async def top_up(self, pools: Pools, wanted: dict[str, int]) -> None:
        """Make sure each community can take its share of `wanted` commands by kind."""
        share = {kind: -(-n // len(self._county.communities)) for kind, n in wanted.items()}
        async with httpx.AsyncClient(timeout=60) as http:
            for community in self._county.communities:
                await self._activities(http, pools, community, share.get("sign_up", 0))
                await self._rotas(http, pools, community, share.get("shift_claim", 0))
                await self._shelf(http, pools, community, share.get("redeem", 0))

    async def _activities(
        self, http: httpx.AsyncClient, pools: Pools, community: str, wanted: int
    ) -> None:
        queue = pools.sign_ups.setdefault(community, deque())
        members = _distinct_members(self._county.homes[community])
        per_activity = min(SIGNUPS_PER_ACTIVITY, len(members))
        while len(queue) < wanted:
            now = datetime.now(UTC)
            answer = await self._post(
                http,
                "volunteering",
                "/activities",
                self._tokens.staff(community),
                {
                    "community_id": community,
                    "kind": "clean_up",
                    "title": "压测：楼道清洁",
                    # under way now, so members may sign up and staff record arrivals
                    "starts_at": (now - timedelta(hours=1)).isoformat(),
                    "ends_at": (now + timedelta(hours=20)).isoformat(),
                    "capacity": per_activity,
                },
            )
            activity = answer.json()["id"]
            queue.extend(SignUp(activity, h) for h in self._rng.sample(members, per_activity))

    async def _rotas(
        self, http: httpx.AsyncClient, pools: Pools, community: str, wanted: int
    ) -> None:
        queue = pools.shifts.setdefault(community, deque())
        homes = self._county.homes[community]
        while len(queue) < wanted:
            saturday = _far_saturday(self._rng)
            if (community, saturday) in self._weekends:
                continue
            self._weekends.add((community, saturday))
            begin = datetime(saturday.year, saturday.month, saturday.day, tzinfo=UTC)
            slots = [
                {
                    "area": "reception",
                    "starts_at": (begin + timedelta(minutes=SLOT_MINUTES * i)).isoformat(),
                    "ends_at": (begin + timedelta(minutes=SLOT_MINUTES * (i + 1))).isoformat(),
                }
                for i in range(SLOTS_PER_ROTA)
            ]
            staff = self._tokens.staff(community)
            path = f"/communities/{community}/rota/{saturday.isoformat()}/shifts"
            rota = (await self._post(http, "volunteering", path, staff, {"slots": slots})).json()
            shown = await self._rota_shown(http, community, saturday, staff)
            queue.extend(open_shifts(rota["id"], shown, homes, self._rng))

    async def _rota_shown(
        self, http: httpx.AsyncClient, community: str, saturday: date, staff: str
    ) -> list[dict[str, Any]]:
        """The weekend's slots once the service's read model lists those just opened: it
        trails the append, and reading it too soon would find no shift to queue (so the
        caller would open weekend after weekend)."""
        deadline = time.monotonic() + READ_MODEL_WAIT_S
        while True:
            answer = await http.get(
                self._county.urls["volunteering"] + f"/communities/{community}/rota",
                params={"weekend": saturday.isoformat()},
                headers={"Authorization": f"Bearer {staff}"},
            )
            answer.raise_for_status()
            slots: list[dict[str, Any]] = answer.json()["slots"]
            if len(slots) >= SLOTS_PER_ROTA:
                return slots
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"the rota of {community} for {saturday} listed {len(slots)} of the"
                    f" {SLOTS_PER_ROTA} shifts opened, {READ_MODEL_WAIT_S:.0f} s after opening"
                )
            await asyncio.sleep(0.2)

    async def _shelf(
        self, http: httpx.AsyncClient, pools: Pools, community: str, wanted: int
    ) -> None:
        staff = self._tokens.staff(community)
        if community not in pools.items:
            path = f"/communities/{community}/supermarket/items"
            body = {"name": f"压测小礼品-{self._run}", "price": 1, "added": ITEM_STOCK}
            answer = await self._post(http, "points", path, staff, body)
            pools.items[community] = answer.headers["Location"].rsplit("/", 1)[1]
        budgets = pools.budgets.setdefault(community, {})
        members = _distinct_members(self._county.homes[community])
        while sum(budgets.values()) < wanted:
            member = members[len(budgets) % len(members)]
            await self._post(
                http,
                "points",
                f"/members/{member.member}/manual-awards",
                staff,
                {"amount": POINTS_PER_GRANT, "reason": "压测用积分", "approver": "load"},
            )
            budgets[member.member] = budgets.get(member.member, 0) + POINTS_PER_GRANT


def _distinct_members(homes: tuple[Home, ...]) -> list[Home]:
    """One home per member: a member signs up for an activity once."""
    return list({h.member: h for h in homes}.values())


def open_shifts(
    rota: str, slots: list[dict[str, Any]], homes: tuple[Home, ...], rng: random.Random
) -> list[Shift]:
    """One free shift per start time, and none at a time somebody already holds. A weekend
    an earlier run opened (the same seed picks the same far Saturdays) has its slots twice
    over; given two at one time, a member is refused as holding an overlapping shift."""
    taken = {s["starts_at"] for s in slots if s["holder"] is not None}
    free: dict[Any, str] = {}
    for slot in slots:
        if slot["starts_at"] not in taken:
            free.setdefault(slot["starts_at"], slot["slot_id"])
    return [Shift(rota, slot, rng.choice(homes)) for slot in free.values()]


def _far_saturday(rng: random.Random) -> date:
    """A weekend years ahead, picked at random so runs seldom share one (their shifts
    could overlap a member's)."""
    today = date.today()
    saturday = today + timedelta(days=(5 - today.weekday()) % 7)
    return saturday + timedelta(weeks=rng.randrange(100, 5000))


def run_id() -> str:
    return uuid.uuid4().hex[:8]
