"""Demo traffic for the requests service: residents of the eight communities submit a few
hundred requests and the people on each address's chain handle them, through the HTTP
API with each actor's own token, until every lifecycle state is represented.

Deterministic from the seed: the same requests, the same actors, the same outcomes.
Every command carries an Idempotency-Key made from the seed, so a second `make up`
replays answers instead of writing again. Before submitting, the loader waits until the
requests service's routing table (built from the organisation's events) routes each
chosen household to the same people the organisation service names for it.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.console import Console

from grassroots_stack.demo.loader import Api, DemoLoadError, api_session, together

PER_COMMUNITY = 50
CHAIN_ROLES = (
    "household_member",
    "party_group_leader",
    "building_head",
    "committee_member",
    "branch_secretary",
)
CATEGORY_WEIGHTS = {
    "repairs": 26,
    "sanitation": 20,
    "elderly_care": 12,
    "utilities": 10,
    "neighbour_dispute": 9,
    "safety": 7,
    "paperwork": 7,
    "health": 5,
    "other": 4,
}
TEXTS = {
    "repairs": "{b}楼道灯坏了好几天，晚上老人上下楼看不清，请帮忙修一下。",
    "sanitation": "{b}门口的垃圾好几天没人清运，味道很大。",
    "elderly_care": "{b}独居老人行动不便，希望有人上门帮忙买菜。",
    "utilities": "{b}今天一早停水了，没看到通知，什么时候恢复？",
    "neighbour_dispute": "楼上住户深夜噪音大，协商多次无果，请社区协调。",
    "safety": "{b}消防通道被电动车堵住了，存在安全隐患。",
    "paperwork": "想咨询一下居住证明怎么开，需要带什么材料？",
    "health": "家里老人有高血压，想请社区医生上门随访。",
    "other": "小区健身器材有一处松动，孩子玩耍不安全。",
}
# The state each request is taken to, with how often it occurs.
OUTCOMES = {
    "open": 12,
    "claimed": 12,
    "resolved": 12,
    "closed_satisfied": 26,
    "closed_basically": 8,
    "reopened": 6,
    "closed_unresolved": 2,
    "escalated_community": 6,
    "escalated_department": 6,
    "cancelled": 4,
    "rejected": 3,
    "merged": 3,
}
DEPARTMENT_OF = {
    "safety": "public_security",
    "utilities": "housing",
    "repairs": "housing",
    "sanitation": "urban_management",
    "elderly_care": "civil_affairs",
    "health": "health",
    "paperwork": "administrative_approval",
    "neighbour_dispute": "justice",
    "other": "civil_affairs",
}

# (subject, roles, communities, department) -> a token
Mint = Callable[..., str]


@dataclass(frozen=True)
class Planned:
    key: str
    community: str
    building_id: str
    household_id: str
    responsible: tuple[str, ...]
    category: str
    outcome: str
    resident: str


@dataclass
class TrafficSummary:
    requests: int
    by_outcome: dict[str, int]
    seconds: float
    samples: dict[str, str]

    def state(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "by_outcome": self.by_outcome,
            "seconds": round(self.seconds, 1),
            "samples": self.samples,
        }


def load_requests(
    organisation_url: str,
    requests_url: str,
    county_token: str,
    mint: Mint,
    *,
    county: str,
    communities: dict[str, str],
    seed: int,
    per_community: int = PER_COMMUNITY,
    settle_timeout: float = 240.0,
    console: Console | None = None,
) -> TrafficSummary:
    traffic = _Traffic(mint, county, communities, seed, per_community, settle_timeout)
    return asyncio.run(
        traffic.run(organisation_url, requests_url, county_token, console or Console(stderr=True))
    )


class _Traffic:
    def __init__(
        self,
        mint: Mint,
        county: str,
        communities: dict[str, str],
        seed: int,
        per_community: int,
        settle_timeout: float,
    ) -> None:
        self.mint = mint
        self.county = county
        self.communities = communities
        self.seed = seed
        self.per_community = per_community
        self.settle_timeout = settle_timeout
        self.rng = random.Random(seed * 31 + 4)
        self.tokens: dict[tuple[str, ...], str] = {}
        self.ids: dict[str, str] = {}
        self.plans: list[Planned] = []

    def key(self, what: str) -> str:
        return f"demo-{self.seed}:request:{what}"

    def token(self, subject: str, role: str, community: str | None = None, **extra: Any) -> str:
        cache = (subject, role, community or "", str(extra))
        if cache not in self.tokens:
            self.tokens[cache] = self.mint(
                subject=subject,
                roles=[role],
                communities=[community] if community else [],
                county=self.county if role in ("county_admin", "department") else None,
                **extra,
            )
        return self.tokens[cache]

    async def run(
        self, organisation_url: str, requests_url: str, county_token: str, console: Console
    ) -> TrafficSummary:
        started = time.perf_counter()
        async with api_session(console, county_token) as open_api:
            org = await open_api(organisation_url, 8)
            api = await open_api(requests_url, 16)
            plans = self.plans = await self._plan(org)
            api.plan("request routing", len(plans))
            api.plan("requests", len(plans))
            await self._await_routing(api, plans)
            await together(self._lane(api, p) for p in plans if p.outcome != "merged")
            await together(self._lane(api, p) for p in plans if p.outcome == "merged")
        by_outcome = Counter(p.outcome for p in plans)
        samples = {p.outcome: self.ids[p.key] for p in reversed(plans)}
        return TrafficSummary(
            requests=len(plans),
            by_outcome=dict(sorted(by_outcome.items())),
            seconds=time.perf_counter() - started,
            samples=dict(sorted(samples.items())),
        )

    async def _plan(self, org: Api) -> list[Planned]:
        """Households picked at random in each community, with their organisation chain."""
        plans: list[Planned] = []
        outcomes, weights = zip(*OUTCOMES.items(), strict=True)
        categories, cat_weights = zip(*CATEGORY_WEIGHTS.items(), strict=True)
        for community_key, community_id in sorted(self.communities.items()):
            tree = await org.read(f"/communities/{community_id}/tree")
            buildings = sorted(
                b["id"] for c in tree for a in [*c["areas"], c] for b in a.get("buildings", [])
            )
            if not buildings:
                continue
            for n in range(self.per_community):
                # Households someone answers for: the demo follows each request to the
                # member who takes it (an unmanned address only reaches the community).
                building_id, home, responsible = await self._household_on_a_chain(org, buildings)
                plans.append(
                    Planned(
                        key=f"{community_key}:{n:03d}",
                        community=community_id,
                        building_id=building_id,
                        household_id=home,
                        responsible=responsible,
                        category=self.rng.choices(categories, cat_weights)[0],
                        outcome=self.rng.choices(outcomes, weights)[0],
                        resident=f"demo-resident-{community_key}-{n:03d}",
                    )
                )
        return plans

    async def _household_on_a_chain(
        self, org: Api, buildings: list[str]
    ) -> tuple[str, str, tuple[str, ...]]:
        while True:
            building_id = self.rng.choice(buildings)
            homes = (await org.read(f"/buildings/{building_id}"))["households"]
            if not homes:
                continue
            home = self.rng.choice(homes)["id"]
            chain = await org.read(f"/buildings/{building_id}/households/{home}/chain")
            responsible = tuple(
                dict.fromkeys(p["person_id"] for p in chain["chain"] if p["role"] in CHAIN_ROLES)
            )
            if responsible:
                return building_id, home, responsible

    async def _await_routing(self, api: Api, plans: list[Planned]) -> None:
        """The routing table is built from the organisation's events by a consumer; wait
        until it routes every chosen household to the chain the organisation names."""
        deadline = time.monotonic() + self.settle_timeout
        waiting = list(plans)
        while waiting:
            still = []
            for p in waiting:
                staff = self.token("demo-staff", "community_staff", p.community)
                try:
                    seen = await api.read("/routing", token=staff, household_id=p.household_id)
                except DemoLoadError:
                    still.append(p)  # not known there yet
                    continue
                if tuple(seen["responsible_ids"]) == p.responsible:
                    api.advance("request routing")
                else:
                    still.append(p)
            waiting = still
            if waiting:
                if time.monotonic() > deadline:
                    raise DemoLoadError(
                        f"the requests service's routing table did not catch up with the "
                        f"organisation in {self.settle_timeout:.0f}s: {len(waiting)} households "
                        f"still route elsewhere (first: {waiting[0].household_id})"
                    )
                api.note("request routing", f"{len(waiting)} not yet routed")
                await asyncio.sleep(1.0)
        api.note("request routing", "all routed", done=True)

    def _merge_target(self, p: Planned) -> str | None:
        """An earlier request of the same community that stays open: duplicates fold into it."""
        return next(
            (
                self.ids[q.key]
                for q in self.plans
                if q.community == p.community and q.outcome in ("open", "claimed")
            ),
            None,
        )

    async def _lane(self, api: Api, p: Planned) -> None:
        """One request from submission to its planned state, each step by its own actor."""
        resident = self.token(p.resident, "resident", p.community)
        staff = self.token(f"demo-staff-{p.community[:8]}", "community_staff", p.community)
        answer, _ = await api.command(
            None,
            "/requests",
            self.key(f"{p.key}:{p.household_id}:submit"),
            {
                "category": p.category,
                "address": {"household_id": p.household_id},
                "text": TEXTS[p.category].format(b="我们楼"),
                "contact": {
                    "name": f"居民{p.key[-3:]}",
                    "phone": f"139{self.seed % 10000:04d}{p.key[-3:]:0>4}",
                },
            },
            token=resident,
        )
        rid = self.ids[p.key] = answer["id"]
        step = 0

        async def do(path: str, token: str, body: dict[str, Any] | None = None) -> None:
            nonlocal step
            step += 1
            await api.command(
                None,
                f"/requests/{rid}/{path}",
                self.key(f"{p.key}:{step}:{path}"),
                body,
                token=token,
            )

        outcome = p.outcome
        member = self.token(p.responsible[0], "member") if p.responsible else None
        if outcome == "cancelled":
            await do("cancel", resident, {"reason": "问题已自行解决。"})
        elif outcome == "rejected":
            await do("reject", staff, {"reason": "属于物业合同纠纷，请联系物业公司。"})
        elif outcome == "merged" and (into := self._merge_target(p)) is not None:
            await do("merge", staff, {"into_request_id": into})
        elif outcome in ("escalated_community", "escalated_department"):
            if p.responsible:  # at a grid level: the compound whistles to the community first
                await do(
                    "escalate",
                    staff,
                    {"to_level": "community", "whistle": "routine", "reason": "楼栋协调不了。"},
                )
            if outcome == "escalated_department":
                department = DEPARTMENT_OF[p.category]
                await do(
                    "escalate",
                    staff,
                    {
                        "to_level": "department",
                        "department": department,
                        "whistle": "tough_problem",
                        "reason": "社区无执法权，吹哨请部门报到。",
                    },
                )
                dept = self.token(f"demo-{department}", "department", department=department)
                await do("department-report", dept)
                await do("notes", dept, {"note": "已派人到现场查看。"})
        elif outcome != "open":
            worker = member or staff
            if member is not None:
                await do("claim", member)
            await do("notes", worker, {"note": "已联系居民，约好明天上门。"})
            if outcome != "claimed":
                await do("resolve", worker, {"resolution": "已处理完毕，请居民确认。"})
                if outcome == "closed_satisfied":
                    await do("rating", resident, {"rating": "satisfied"})
                elif outcome == "closed_basically":
                    await do("rating", resident, {"rating": "basically_satisfied"})
                elif outcome == "reopened":
                    await do("rating", resident, {"rating": "dissatisfied", "comment": "没修好。"})
                elif outcome == "closed_unresolved":
                    for attempt in range(3):  # two reopenings, then the third answer closes it
                        await do("rating", resident, {"rating": "dissatisfied"})
                        if attempt < 2:
                            await do("resolve", worker, {"resolution": "再次处理。"})
        api.advance("requests")
