"""Demo data for the points service: the eight communities' love supermarkets (爱心超市)
with their goods, members exchanging points for them (one exchange per community is
cancelled), the year's double evaluation (双考评) of some members, the best building
(最美楼栋) and best family (最美家庭) of each community, and one community's rule book
override, through the HTTP API with each actor's own token: the community's staff stock
the shelf, rate, grade, award and publish; members redeem for themselves.

Points are not loaded here: the points service scores them from the other services'
events (reports, requests resolved and well rated, certified hours, shifts, no-shows).
The loader first waits until every community's leaderboard shows points and stops
changing, then picks its redeemers and evaluated members from it.

Deterministic from the seed and the scored points: the same goods, members, ratings and
winners. Every command carries an Idempotency-Key made from the seed (`demo-<seed>:
points:...`), so a second run replays answers instead of writing again. Where the server
builds the command from its own state (a grade is computed from the year's points and
the member's reports), the key names those inputs: a run after new points arrived grades
again instead of reusing a key with another request. A redemption's key names the member
and the goods, and its id is the server's, made from the key (X-Redemption-Id); a
member's balance is read with this loader's own redemptions added back, so a replay
chooses exactly what the first run chose. Item ids are read back from the shelf (a
replayed stocking's Location names a fresh id). The rule book override takes effect the
day after `as_of` (a book never applies to the past); once published, later runs resend
that very command, which replays.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from grassroots_eventkit.values import CHINA_STANDARD_TIME
from rich.console import Console

from grassroots_stack.demo.loader import (
    Api,
    DemoLoadError,
    Tokens,
    api_session,
    china_today,
    together,
)

CHINA = CHINA_STANDARD_TIME  # the county counts days in China Standard Time
REDEMPTIONS = 10  # per community
EVALUATED = 10  # members per community
LEADERS = 40  # leaderboard rows the redeemers and evaluated members are picked from
EARNED = ("award", "deduction", "reversal", "manual")  # what a grade counts as points
# name -> (an ASCII handle for idempotency keys, price in points): the shelf of a
# county-seat love supermarket
GOODS: dict[str, tuple[str, int]] = {
    "食用油 5L": ("cooking-oil-5l", 50),
    "大米 10kg": ("rice-10kg", 60),
    "洗衣液 2kg": ("laundry-liquid-2kg", 30),
    "毛巾": ("towel", 10),
    "牙膏": ("toothpaste", 8),
    "雨伞": ("umbrella", 25),
    "保温杯": ("vacuum-flask", 40),
    "酱油 500ml": ("soy-sauce-500ml", 12),
    "洗洁精": ("dish-soap", 15),
    "抽纸 (一提)": ("tissues", 18),
}
VOLUNTEER_HOURS = {
    "rule_id": "volunteer_hours",
    "trigger": "grassroots.volunteering.HoursCertified.v1",
    "amount": 3,
    "per_hour": True,
    "cap_day": None,
    "cap_month": 120,
    "cap_year": None,
    "expires_after_days": None,
}

# (subject, roles, communities, county, department) -> a token
Mint = Callable[..., str]


@dataclass
class Shelf:
    community_key: str
    community: str
    goods: dict[str, tuple[int, int]]  # name -> (price, stock added)
    ids: dict[str, str] = field(default_factory=dict)  # name -> item id (the server's)


@dataclass
class RedemptionPlan:
    key: str  # the Idempotency-Key
    community: str
    member: str
    item: str  # the goods' name
    price: int
    redemption_id: str = ""  # the server's, from X-Redemption-Id
    cancel: bool = False


@dataclass
class EvaluationPlan:
    community_key: str
    member: str
    residence: str
    residence_score: int
    contact: str | None
    contact_score: int | None
    points: int = 0  # the year's points, as the grade counts them
    reported_both: bool = False


@dataclass
class AwardPlan:
    community_key: str
    community: str
    kind: str
    subject: str


@dataclass
class PointsSummary:
    year: int
    items: int
    stock: int
    redemptions: int
    cancelled: int
    points_spent: int
    points_deducted: int
    evaluations: int
    contact_ratings: int
    grades: dict[str, int]
    awards: int
    rulebook_overrides: int
    rulebook: dict[str, Any]
    requests: int
    replayed: int
    seconds: float
    samples: dict[str, Any]

    def state(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "supermarket": {"items": self.items, "stock_added": self.stock},
            "redemptions": {
                "made": self.redemptions,
                "cancelled": self.cancelled,
                "points_spent": self.points_spent,
                "points_deducted": self.points_deducted,
            },
            "evaluations": {
                "graded": self.evaluations,
                "contact_ratings": self.contact_ratings,
                "by_grade": self.grades,
            },
            "awards": self.awards,
            "rulebook_overrides": self.rulebook_overrides,
            "rulebook": self.rulebook,
            "http": {"requests": self.requests, "replayed": self.replayed},
            "seconds": round(self.seconds, 1),
            "samples": self.samples,
        }


def load_points(
    organisation_url: str,
    points_url: str,
    county_token: str,
    mint: Mint,
    *,
    county: str,
    communities: dict[str, str],
    seed: int,
    as_of: date | None = None,
    settle_timeout: float = 240.0,
    console: Console | None = None,
) -> PointsSummary:
    """Load the points demo; see the module docstring. `as_of` (today in China by
    default) gives the year evaluated and the day before the override takes effect."""
    traffic = _Traffic(mint, county, communities, seed, as_of or china_today(), settle_timeout)
    return asyncio.run(
        traffic.run(organisation_url, points_url, county_token, console or Console(stderr=True))
    )


def redemption_id(member: str, community: str, key: str) -> str:
    """The id the points service gives a member's redemption sent with `key`."""
    return str(uuid5(NAMESPACE_URL, "grassroots:redemption:" + "|".join((member, community, key))))


class _PointsApi(Api):
    async def redeem(
        self, step: str, path: str, key: str, body: dict[str, Any], token: str
    ) -> tuple[str, bool]:
        """POST a redemption; the id the server gave it and whether it was a replay."""
        response = await self._send("POST", path, key=key, body=body, token=token)
        replayed = response.headers.get("Idempotent-Replayed") == "true"
        self.replayed += replayed
        self.advance(step)
        return response.headers.get("X-Redemption-Id", ""), replayed


class _Traffic:
    def __init__(
        self,
        mint: Mint,
        county: str,
        communities: dict[str, str],
        seed: int,
        as_of: date,
        settle_timeout: float,
    ) -> None:
        self.mint = mint
        self.county = county
        self.communities = dict(sorted(communities.items()))
        self.seed = seed
        self.as_of = as_of
        self.year = as_of.year
        self.settle_timeout = settle_timeout
        self.tokens = Tokens(mint, "points")
        self.leaders: dict[str, list[str]] = {}  # community key -> member ids, best first
        self.shelves: list[Shelf] = []
        self.redemptions: list[RedemptionPlan] = []
        self.evaluations: list[EvaluationPlan] = []
        self.awards: list[AwardPlan] = []
        self.rulebook: dict[str, Any] = {}  # the override's body
        self.rulebook_key = ""
        self.grades: dict[str, str] = {}  # member -> grade, as the read model shows it
        self.balances: dict[str, int] = {}  # member -> balance afterwards
        self.deducted = 0  # what the redeemers' statements show of this loader's exchanges

    def key(self, what: str) -> str:
        return f"demo-{self.seed}:points:{what}"

    def staff(self, community: str) -> str:
        return self.tokens.staff(community)

    def member(self, member_id: str, community: str) -> str:
        return self.tokens.member(member_id, community)

    async def run(
        self, organisation_url: str, points_url: str, county_token: str, console: Console
    ) -> PointsSummary:
        started = time.perf_counter()
        async with api_session(console, county_token) as open_api:
            org = await open_api(organisation_url, 8)
            api = await open_api(points_url, 16, _PointsApi)
            api.plan("points scored", len(self.communities))
            await self._await_scoring(api)
            self._plan_shelves()
            api.plan("supermarket goods", sum(len(s.goods) for s in self.shelves))
            await together(self._stock(api, s) for s in self.shelves)
            await self._await_shelves(api)
            org.plan("members, buildings", len(self.communities))
            await together(
                self._plan_community(org, api, k, c) for k, c in self.communities.items()
            )
            await self._plan_rulebook(api)
            # The communities were planned side by side: put the plans in one order.
            self.redemptions.sort(key=lambda r: (r.community, r.key))
            self.evaluations.sort(key=lambda e: (e.community_key, e.member))
            self.awards.sort(key=lambda a: (a.community_key, a.kind))
            self._plan_steps(api)
            await together(
                [self._redemption_lane(api, m, plans) for m, plans in self._by_member()]
                + [self._evaluation_lane(api, e) for e in self.evaluations]
                + [self._award(api, a) for a in self.awards]
                + [self._publish_rulebook(api)]
            )
            await self._await_read_model(api)
            sent, replayed = org.sent + api.sent, api.replayed
        return self._summary(time.perf_counter() - started, sent, replayed)

    # Waiting for the points service

    async def _await_scoring(self, api: Api) -> None:
        """The points are scored from the other services' events by a consumer: wait until
        every community's leaderboard shows some, and then until it stops changing (two
        readings two seconds apart agree), so that the members picked from it and their
        balances are the same on a replay."""
        step = "points scored"
        deadline = time.monotonic() + self.settle_timeout
        last: dict[str, list[tuple[str, int]]] = {}
        why = ""
        while True:
            shown: dict[str, list[tuple[str, int]]] = {}
            for community_key, community in self.communities.items():
                try:
                    board = await api.read(
                        f"/communities/{community}/leaderboard",
                        period=str(self.year),
                        limit=LEADERS,
                    )
                except DemoLoadError as refused:  # the community is not known there yet
                    why = str(refused)
                    continue
                rows = [(r["member_id"], int(r["points"])) for r in board["leaders"]]
                if rows:
                    shown[community_key] = rows
            scored = len(shown) == len(self.communities)
            if scored and shown == last:
                break
            if time.monotonic() > deadline:
                if scored:  # still moving: go on with what there is
                    api.note(step, "still scoring; went on")
                    break
                missing = sorted(set(self.communities) - set(shown))
                raise DemoLoadError(
                    f"the points service showed no points for {len(missing)} communities "
                    f"in {self.settle_timeout:.0f}s (first: {missing[0]}); has it consumed "
                    f"the other services' events? last answer: {why or 'an empty leaderboard'}"
                )
            api.note(step, f"{len(shown)} communities scored" + (", settling" if scored else ""))
            last = shown
            await asyncio.sleep(2.0)
        self.leaders = {k: [m for m, _ in rows] for k, rows in shown.items()}
        api.note(step, "settled", done=True)

    async def _await_shelves(self, api: Api) -> None:
        """The shelf is a read model: wait until it shows every item stocked, and take the
        item ids from it (the earliest of any two with the same name)."""
        step = "supermarket goods"
        deadline = time.monotonic() + self.settle_timeout
        waiting = list(self.shelves)
        while waiting:
            for shelf in list(waiting):
                shown = await api.read(
                    f"/communities/{shelf.community}/supermarket", token=self.staff(shelf.community)
                )
                ids: dict[str, str] = {}
                for item in sorted(shown["items"], key=lambda i: str(i["item_id"])):
                    ids.setdefault(item["name"], str(item["item_id"]))
                if set(shelf.goods) <= set(ids):
                    shelf.ids = {name: ids[name] for name in shelf.goods}
                    waiting.remove(shelf)
            if waiting:
                if time.monotonic() > deadline:
                    raise DemoLoadError(
                        f"the points service's shelf did not show the stocked goods in "
                        f"{self.settle_timeout:.0f}s ({len(waiting)} communities short)"
                    )
                api.note(step, f"read model: {len(waiting)} communities to come")
                await asyncio.sleep(0.5)
        api.note(step, "on the shelf")

    async def _await_read_model(self, api: Api) -> None:
        """Wait until the evaluations show every member graded and every award; read the
        grades, and the redeemers' statements."""
        step = "points read model"
        deadline = time.monotonic() + self.settle_timeout
        graded: dict[str, list[EvaluationPlan]] = defaultdict(list)
        for e in self.evaluations:
            graded[e.residence].append(e)
        awarded: dict[str, set[str]] = defaultdict(set)
        for a in self.awards:
            awarded[a.community].add(f"{a.kind}:{self.year}:{a.subject}")
        waiting = set(self.communities.values())
        while waiting:
            for community in sorted(waiting):
                shown = await api.read(f"/communities/{community}/evaluations", year=self.year)
                rows = {r["member_id"]: r for r in shown["members"]}
                awards = {a["award_id"] for a in shown["awards"]}
                ready = awarded[community] <= awards and all(
                    e.member in rows for e in graded[community]
                )
                if ready:
                    for e in graded[community]:
                        self.grades[e.member] = rows[e.member]["grade"]
                    waiting.discard(community)
                    api.advance(step)
            if waiting:
                if time.monotonic() > deadline:
                    raise DemoLoadError(
                        f"the points read model did not show the grades and awards in "
                        f"{self.settle_timeout:.0f}s ({len(waiting)} communities short)"
                    )
                api.note(step, f"waiting for {len(waiting)}")
                await asyncio.sleep(0.5)
        by_member: dict[str, set[str]] = defaultdict(set)
        for r in self.redemptions:
            by_member[r.member].add(r.redemption_id)
        statements = await asyncio.gather(
            *(api.read(f"/members/{m}/statement", limit=1000) for m in sorted(by_member))
        )
        for answer in statements:
            member, ours = answer["member_id"], by_member[answer["member_id"]]
            self.balances[member] = int(answer["balance"])
            for line in answer["lines"]:
                kind, _, rid = str(line["entry_id"]).partition(":")
                if rid in ours and kind == line["kind"] and kind in ("redemption", "refund"):
                    self.deducted -= int(line["amount"])
        api.note(step, "caught up")

    # The plan

    def _plan_shelves(self) -> None:
        """Six to eight goods per community at the county's prices, 10-40 of each."""
        names = list(GOODS)
        for community_key, community in self.communities.items():
            rng = random.Random(f"{self.seed}:{community_key}:supermarket")
            picked = sorted(rng.sample(names, rng.randint(6, 8)), key=names.index)
            goods = {name: (GOODS[name][1], rng.randint(10, 40)) for name in picked}
            self.shelves.append(Shelf(community_key, community, goods))

    async def _plan_community(self, org: Api, api: Api, community_key: str, community: str) -> None:
        shelf = next(s for s in self.shelves if s.community == community)
        leaders = self.leaders[community_key]
        await self._plan_redemptions(api, shelf, leaders)
        await self._plan_evaluations(org, api, community_key, community, leaders)
        await self._plan_awards(org, community_key, community)
        org.advance("members, buildings")

    async def _plan_redemptions(self, api: Api, shelf: Shelf, leaders: list[str]) -> None:
        """Down the leaderboard: each member whose balance covers something takes one of
        the goods they can afford, now and then a second; one exchange is cancelled."""
        rng = random.Random(f"{self.seed}:{shelf.community_key}:redemptions")
        planned: list[RedemptionPlan] = []
        for member in leaders:
            if len(planned) >= REDEMPTIONS:
                break
            keys = {
                name: self.key(f"redeem:{shelf.community_key}:{member}:{GOODS[name][0]}")
                for name in shelf.goods
            }
            ours = {redemption_id(member, shelf.community, k): n for n, k in keys.items()}
            balance, done = await self._balance(api, member, set(ours))
            if done:
                # A run before this one exchanged these: the same again, whatever the
                # balance now allows (points earned since would pick other goods).
                replayed = [
                    RedemptionPlan(
                        keys[ours[rid]],
                        shelf.community,
                        member,
                        ours[rid],
                        shelf.goods[ours[rid]][0],
                        cancel=refunded,
                    )
                    for rid, refunded in sorted(done.items())
                ]
                planned += replayed[: REDEMPTIONS - len(planned)]
                continue
            taken: list[str] = []
            for n in range(2):
                if n and rng.random() > 0.3:
                    break
                affordable = [
                    name
                    for name, (price, _) in shelf.goods.items()
                    if price <= balance and name not in taken
                ]
                if not affordable:
                    break
                name = rng.choice(affordable)
                price = shelf.goods[name][0]
                planned.append(RedemptionPlan(keys[name], shelf.community, member, name, price))
                taken.append(name)
                balance -= price
                if len(planned) >= REDEMPTIONS:
                    break
        if planned and not any(p.cancel for p in planned):
            rng.choice(planned).cancel = True
        self.redemptions += planned

    async def _balance(self, api: Api, member: str, ours: set[str]) -> tuple[int, dict[str, bool]]:
        """The member's balance before this loader's own redemptions (and refunds), and
        which of them are on the statement already (with whether they were refunded)."""
        answer = await api.read(f"/members/{member}/statement", limit=1000)
        balance = int(answer["balance"])
        done: dict[str, bool] = {}
        for line in answer["lines"]:
            kind, _, rid = str(line["entry_id"]).partition(":")
            if rid in ours and line["kind"] in ("redemption", "refund") and kind == line["kind"]:
                balance -= int(line["amount"])
                done[rid] = done.get(rid, False) or kind == "refund"
        return balance, done

    async def _plan_evaluations(
        self, org: Api, api: Api, community_key: str, community: str, leaders: list[str]
    ) -> None:
        """Some members of the leaderboard: both communities rate them, then the grade."""
        rng = random.Random(f"{self.seed}:{community_key}:evaluations:{self.year}")
        picked = sorted(rng.sample(leaders, min(EVALUATED, len(leaders))))
        known = set(self.communities.values())
        for member in picked:
            found = await org.read(f"/members/{member}")
            residence = found["residence"]["community_id"]
            contact = found.get("contact_community_id")
            if contact not in known or contact == residence:
                contact = None  # rated only where it lives
            # Scores of the member's own: a later run that picks other members (the
            # leaderboard moved) still sends each one the body its key was first sent with.
            scores = random.Random(f"{self.seed}:{member}:evaluation:{self.year}")
            residence_score, contact_score = scores.randint(70, 100), scores.randint(65, 100)
            plan = EvaluationPlan(
                community_key=community_key,
                member=member,
                residence=residence,
                residence_score=residence_score,
                contact=contact,
                contact_score=contact_score if contact else None,
            )
            # What the grade will count (the server's own inputs, named in the grade's key).
            statement = await api.read(f"/members/{member}/statement", limit=1000)
            plan.points = sum(
                int(line["amount"])
                for line in statement["lines"]
                if line["kind"] in EARNED
                and datetime.fromisoformat(line["occurred_at"]).astimezone(CHINA).year == self.year
            )
            reported = {
                r["community_id"] for r in found.get("reports", []) if r["period"] == self.year
            }
            wanted = {residence}
            if found.get("kind") == "in_service":
                wanted.add(found.get("contact_community_id") or "-")
            plan.reported_both = wanted <= reported
            self.evaluations.append(plan)

    async def _plan_awards(self, org: Api, community_key: str, community: str) -> None:
        """The best building of the year, and the best family of another building."""
        rng = random.Random(f"{self.seed}:{community_key}:awards:{self.year}")
        tree = await org.read(f"/communities/{community}/tree")
        buildings: list[str] = []
        for compound in tree:
            rows = [b for a in compound.get("areas", []) for b in a.get("buildings", [])]
            rows += compound.get("buildings_outside_areas") or []
            buildings += [b["id"] for b in rows]
        buildings.sort()
        if not buildings:
            raise DemoLoadError(f"community {community_key} has no buildings to award")
        best = rng.choice(buildings)
        self.awards.append(AwardPlan(community_key, community, "best_building", best))
        for building in [rng.choice(buildings), *rng.sample(buildings, min(5, len(buildings)))]:
            homes = (await org.read(f"/buildings/{building}"))["households"]
            families = sorted(h["id"] for h in homes if h.get("member_id")) or sorted(
                h["id"] for h in homes
            )
            if families:
                family = rng.choice(families)
                self.awards.append(AwardPlan(community_key, community, "best_family", family))
                return
        raise DemoLoadError(f"community {community_key}: no household found to award")

    async def _plan_rulebook(self, api: Api) -> None:
        """One community pays 3 points an hour of volunteering from the day after as_of;
        if the override is already there (an earlier run), the same command again."""
        rng = random.Random(f"{self.seed}:rulebook")
        community_key = rng.choice(sorted(self.communities))
        community = self.communities[community_key]
        effective = max(self.as_of, china_today()) + timedelta(days=1)
        books = await api.read(f"/rulebooks/{self.county}")
        for book in books:
            if (
                book["community_id"] == community
                and book["scope"] == "community"
                and [_rule(r) for r in book["rules"]] == [VOLUNTEER_HOURS]
            ):
                effective = date.fromisoformat(str(book["effective_from"]))
        self.rulebook = {
            "county": self.county,
            "community_id": community,
            "effective_from": effective.isoformat(),
            "rules": [VOLUNTEER_HOURS],
        }
        self.rulebook_key = self.key(f"rulebook:{community_key}:{effective.isoformat()}")

    def _by_member(self) -> list[tuple[str, list[RedemptionPlan]]]:
        by: dict[str, list[RedemptionPlan]] = defaultdict(list)
        for r in self.redemptions:
            by[r.member].append(r)
        return sorted(by.items())

    def _plan_steps(self, api: Api) -> None:
        api.plan("redemptions", len(self.redemptions) + sum(r.cancel for r in self.redemptions))
        api.plan(
            "double evaluation",
            sum(2 + (e.contact is not None) for e in self.evaluations),
        )
        api.plan("awards, rule book", len(self.awards) + 1)
        api.plan("points read model", len(self.communities))

    # Commands

    async def _stock(self, api: Api, shelf: Shelf) -> None:
        staff = self.staff(shelf.community)
        for name, (price, added) in shelf.goods.items():
            await api.command(
                "supermarket goods",
                f"/communities/{shelf.community}/supermarket/items",
                self.key(f"item:{shelf.community_key}:{GOODS[name][0]}"),
                {"name": name, "price": price, "added": added},
                token=staff,
            )

    async def _redemption_lane(
        self, api: _PointsApi, member: str, plans: list[RedemptionPlan]
    ) -> None:
        """One member's exchanges, one after another (they draw on one balance); staff
        cancel the one planned to be cancelled."""
        for r in plans:
            shelf = next(s for s in self.shelves if s.community == r.community)
            token = self.member(member, r.community)
            rid, _ = await api.redeem(
                "redemptions",
                f"/communities/{r.community}/supermarket/redemptions",
                r.key,
                {"item_id": shelf.ids[r.item], "quantity": 1},
                token,
            )
            if rid != redemption_id(member, r.community, r.key):
                raise DemoLoadError(
                    f"the points service named redemption {r.key} {rid or '(no X-Redemption-Id)'}"
                    f", not {redemption_id(member, r.community, r.key)}: the loader's balance "
                    f"arithmetic assumes the service's naming"
                )
            r.redemption_id = rid
            if r.cancel:
                await api.command(
                    "redemptions",
                    f"/communities/{r.community}/supermarket/redemptions/{rid}/cancel",
                    self.key(f"cancel:{rid}"),
                    token=self.staff(r.community),
                )

    async def _evaluation_lane(self, api: Api, e: EvaluationPlan) -> None:
        step, path = "double evaluation", f"/members/{e.member}/evaluations/{self.year}"
        await api.command(
            step,
            f"{path}/ratings",
            self.key(f"rate:{self.year}:{e.member}:residence"),
            {"community_id": e.residence, "score": e.residence_score},
            token=self.staff(e.residence),
        )
        if e.contact is not None:
            await api.command(
                step,
                f"{path}/ratings",
                self.key(f"rate:{self.year}:{e.member}:contact"),
                {"community_id": e.contact, "score": e.contact_score},
                token=self.staff(e.contact),
            )
        both = "both" if e.reported_both else "one"
        await api.command(
            step,
            f"{path}/grade",
            self.key(f"grade:{self.year}:{e.member}:{e.points}:{both}"),
            token=self.staff(e.residence),
        )

    async def _award(self, api: Api, a: AwardPlan) -> None:
        await api.command(
            "awards, rule book",
            f"/communities/{a.community}/awards",
            self.key(f"award:{self.year}:{a.community_key}:{a.kind}"),
            {"year": self.year, "kind": a.kind, "subject_id": a.subject},
            token=self.staff(a.community),
        )

    async def _publish_rulebook(self, api: Api) -> None:
        await api.command(
            "awards, rule book",
            "/rulebooks",
            self.rulebook_key,
            self.rulebook,
            token=self.staff(self.rulebook["community_id"]),
        )

    # The summary

    def _sample_redemption(self) -> RedemptionPlan | None:
        sample_community = self.communities.get("chating") or next(iter(self.communities.values()))
        kept = [r for r in self.redemptions if not r.cancel]
        return next((r for r in kept if r.community == sample_community), None) or next(
            iter(kept), None
        )

    def _summary(self, seconds: float, sent: int, replayed: int) -> PointsSummary:
        sample_community = self.communities.get("chating") or next(iter(self.communities.values()))
        shelf = next(s for s in self.shelves if s.community == sample_community)
        samples: dict[str, Any] = {"community": sample_community}
        sample = self._sample_redemption()
        if sample is not None:
            samples["member"] = {
                "id": sample.member,
                "balance": self.balances.get(sample.member),
            }
            samples["redemption"] = {
                "id": sample.redemption_id,
                "community": sample.community,
                "member": sample.member,
                "item": sample.item,
            }
        name = next(iter(shelf.goods))
        samples["item"] = {"id": shelf.ids[name], "name": name, "price": shelf.goods[name][0]}
        cancelled = next((r for r in self.redemptions if r.cancel), None)
        if cancelled is not None:
            samples["cancelled_redemption"] = cancelled.redemption_id
        evaluated = next((e for e in self.evaluations if e.residence == sample_community), None)
        if evaluated is not None:
            samples["evaluated_member"] = evaluated.member
        kept = [r for r in self.redemptions if not r.cancel]
        return PointsSummary(
            year=self.year,
            items=sum(len(s.goods) for s in self.shelves),
            stock=sum(added for s in self.shelves for _, added in s.goods.values()),
            redemptions=len(self.redemptions),
            cancelled=sum(r.cancel for r in self.redemptions),
            points_spent=sum(r.price for r in kept),
            points_deducted=self.deducted,
            evaluations=len(self.evaluations),
            contact_ratings=sum(e.contact is not None for e in self.evaluations),
            grades=dict(sorted(Counter(self.grades.values()).items())),
            awards=len(self.awards),
            rulebook_overrides=1,
            rulebook={
                "community": self.rulebook["community_id"],
                "effective_from": self.rulebook["effective_from"],
                "rules": [r["rule_id"] for r in self.rulebook["rules"]],
            },
            requests=sent,
            replayed=replayed,
            seconds=seconds,
            samples=samples,
        )


def _rule(shown: dict[str, Any]) -> dict[str, Any]:
    """A rule as the rule books list it, with every field the loader sends (defaulted)."""
    defaults: dict[str, Any] = {name: None for name in VOLUNTEER_HOURS} | {"per_hour": False}
    return {name: shown.get(name, default) for name, default in defaults.items()}
