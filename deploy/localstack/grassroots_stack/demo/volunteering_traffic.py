"""Demo data for the volunteering service: the eight communities' volunteer teams
(志愿服务队) with their members and service projects (认领), activities of the last three
months (signed up, attended and certified) and of the coming two weeks (signed up, with a
waitlist), and the service station's weekend rota (党员周末轮班) for the coming two
weekends, through the HTTP API with each actor's own token: the community's staff run
teams, activities and the rota; members join, sign up, claim and swap for themselves.

Deterministic from the seed and the day: the same teams, members, times and outcomes.
Every command carries an Idempotency-Key made from the seed (`demo-<seed>:volunteering:
...`), so a second run the same day replays answers instead of writing again. Bodies
carry no clock readings: activities sit on whole hours of days counted from `as_of`
(today in China by default, and part of their keys, so a run on a later day adds that
day's activities instead of clashing with the earlier ones); shifts on the Saturday and
Sunday they belong to.

The volunteering service learns communities and members from the organisation's events
(its directory); before commanding, the loader waits until the directory knows every
community and member it will use. Past activities are filled in by staff from their
paper sheets only once the activity's end timer has run (with nobody signed up it
records no no-shows), so the no-shows are exactly the ones planned; completing one
certifies its attendees' hours, and the loader waits until the hours read model shows
them. Shifts give hours only once their weekend has passed and staff record them: the
rota here is all in the future, so it adds claims and gaps, not hours.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from grassroots_eventkit.values import CHINA_STANDARD_TIME
from rich.console import Console

from grassroots_stack.demo import dongan
from grassroots_stack.demo.loader import (
    Api,
    DemoLoadError,
    Tokens,
    api_session,
    china_today,
    together,
)

PER_COMMUNITY = 9  # activities per community: two thirds past, a third to come
MEMBERS = 48  # members per community who volunteer
BUILDINGS_READ = 8  # buildings per community whose households' members are read
CHINA = CHINA_STANDARD_TIME  # the county counts days in China Standard Time
# Claims need the shift not begun: leave shifts starting sooner than this as gaps.
CLAIM_MARGIN = timedelta(minutes=10)

COMMUNITY_NAMES = {c.key: c.name for c in dongan.COMMUNITIES}
# kind -> (name, its two service projects with their skills)
TEAMS: dict[str, tuple[str, tuple[tuple[str, tuple[str, ...]], ...]]] = {
    "civilisation_supervision": (
        "文明创建督导团",
        (("文明交通劝导", ("劝导", "宣传")), ("楼道堆物清理督导", ("巡查",))),
    ),
    "caring_volunteers": (
        "爱心义工社",
        (("空巢老人结对帮扶", ("陪伴", "家政")), ("留守儿童课业辅导", ("辅导",))),
    ),
    "fitness_and_arts": (
        "健身娱乐文艺队",
        (("广场舞教学", ("舞蹈",)), ("社区文艺汇演排练", ("文艺", "主持"))),
    ),
    "emergency_safety": (
        "应急安全服务队",
        (("消防安全隐患排查", ("消防",)), ("防汛应急值守", ("应急", "救护"))),
    ),
}
# The partner team's outside organisation, rotating over the communities, with its projects.
PARTNERS: tuple[tuple[str, str, str], ...] = (
    ("县人民医院", "健康义诊进社区", "慢病随访"),
    ("县妇联", "家庭教育讲堂", "妇女儿童权益咨询"),
    ("县公安局", "反诈宣传进楼栋", "夜间治安巡逻"),
    ("县司法局", "法律明白人培训", "矛盾纠纷调解"),
    ("县消防救援大队", "消防演练进小区", "电动车充电安全检查"),
    ("县中医院", "中医养生讲座", "推拿理疗义诊"),
    ("团县委", "青少年暑期托管", "青年志愿者招募"),
    ("县市场监督管理局", "食品安全宣传", "保健品防骗提醒"),
)
# kind -> (title, the team kind that usually runs it)
ACTIVITIES: dict[str, tuple[str, str]] = {
    "free_clinic": ("社区义诊", "partner"),
    "anti_fraud_talk": ("防诈骗宣传讲座", "emergency_safety"),
    "anti_drug_talk": ("禁毒宣传", "emergency_safety"),
    "legal_aid": ("法律援助咨询", "partner"),
    "clean_up": ("环境卫生大扫除", "civilisation_supervision"),
    "elderly_visit": ("走访慰问空巢老人", "caring_volunteers"),
}
AREAS = ("reception", "elderly_home", "youth_home", "children_home", "convenience_services")
SHIFTS = ((9, 12), (14, 17))  # morning and afternoon, China time

# (subject, roles, communities, county, department) -> a token
Mint = Callable[..., str]


@dataclass
class TeamPlan:
    key: str  # <community>:<kind>
    community: str
    kind: str
    name: str
    partner: str | None
    members: list[str]
    projects: list[tuple[str, tuple[str, ...]]]
    claims: dict[int, str]  # project index -> the member who claims it


@dataclass
class ActivityPlan:
    key: str  # <community>:<as_of>:<n>
    community: str
    kind: str
    title: str
    team: str | None  # a TeamPlan key; None: the community runs it
    starts: datetime
    ends: datetime
    capacity: int
    past: bool
    signups: list[str]
    attended: dict[str, tuple[datetime, datetime]] = field(default_factory=dict)
    residents_served: int = 0
    cancels: list[str] = field(default_factory=list)
    waitlisted: int = 0  # after the cancellations

    def hours(self) -> float:
        """What completing it certifies: each attendee's time, capped by the window."""
        total = 0.0
        for came, left in self.attended.values():
            seconds = (min(left, self.ends) - max(came, self.starts)).total_seconds()
            total += round(seconds / 3600, 2) if seconds > 0 else 0.0
        return round(total, 2)


@dataclass
class RotaPlan:
    key: str  # <community>:<saturday>
    community: str
    saturday: date
    slots: list[tuple[str, datetime, datetime]]  # area, start, end
    claims: dict[int, str]  # slot index -> the member who claims it
    swap: tuple[int, int] | None  # the proposer's slot index, the counterpart's


@dataclass
class VolunteeringSummary:
    teams: int
    members_joined: int
    projects: int
    projects_claimed: int
    activities_past: int
    activities_upcoming: int
    sign_ups: int
    waitlisted: int
    cancelled: int
    checked_in: int
    no_shows: int
    hours_certified: float
    rota_weekends: list[str]
    shifts_opened: int
    shifts_claimed: int
    swaps: int
    requests: int
    replayed: int
    seconds: float
    samples: dict[str, str]

    def state(self) -> dict[str, Any]:
        return {
            "teams": self.teams,
            "members_joined": self.members_joined,
            "projects": {"offered": self.projects, "claimed": self.projects_claimed},
            "activities": {"past": self.activities_past, "upcoming": self.activities_upcoming},
            "sign_ups": self.sign_ups,
            "waitlisted": self.waitlisted,
            "cancelled": self.cancelled,
            "checked_in": self.checked_in,
            "no_shows": self.no_shows,
            "hours_certified": self.hours_certified,
            "rota": {
                "weekends": self.rota_weekends,
                "shifts_opened": self.shifts_opened,
                "shifts_claimed": self.shifts_claimed,
                "gaps": self.shifts_opened - self.shifts_claimed,
                "swaps": self.swaps,
            },
            "http": {"requests": self.requests, "replayed": self.replayed},
            "seconds": round(self.seconds, 1),
            "samples": self.samples,
        }


def coming_saturday(today: date) -> date:
    """This Saturday (today on a Saturday), next week's on a Sunday."""
    return today + timedelta(days=(5 - today.weekday()) % 7)


def load_volunteering(
    organisation_url: str,
    volunteering_url: str,
    county_token: str,
    mint: Mint,
    *,
    county: str,
    communities: dict[str, str],
    seed: int,
    per_community: int = PER_COMMUNITY,
    as_of: date | None = None,
    settle_timeout: float = 240.0,
    console: Console | None = None,
) -> VolunteeringSummary:
    """Load the volunteering demo; see the module docstring. `per_community` is the
    number of activities per community; `as_of` the day they are counted from."""
    traffic = _Traffic(
        mint, county, communities, seed, per_community, as_of or china_today(), settle_timeout
    )
    return asyncio.run(
        traffic.run(
            organisation_url, volunteering_url, county_token, console or Console(stderr=True)
        )
    )


def _at(day: date, hour: int, minutes: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=CHINA) + timedelta(minutes=minutes)


def _iso(at: datetime) -> str:
    return at.isoformat()


class _Traffic:
    def __init__(
        self,
        mint: Mint,
        county: str,
        communities: dict[str, str],
        seed: int,
        per_community: int,
        as_of: date,
        settle_timeout: float,
    ) -> None:
        self.mint = mint
        self.county = county
        self.communities = dict(sorted(communities.items()))
        self.seed = seed
        self.per_community = max(2, per_community)
        self.as_of = as_of
        self.settle_timeout = settle_timeout
        self.tokens = Tokens(mint, "volunteering")
        self.pools: dict[str, list[str]] = {}  # community key -> member ids
        self.teams: list[TeamPlan] = []
        self.activities: list[ActivityPlan] = []
        self.rotas: list[RotaPlan] = []
        self.ids: dict[str, str] = {}  # plan key -> server id
        self.slot_ids: dict[str, list[str | None]] = {}  # rota key -> slot ids by index
        self.claimed: dict[str, set[int]] = defaultdict(set)  # rota key -> slot indexes
        self.swapped: set[str] = set()

    def key(self, what: str) -> str:
        return f"demo-{self.seed}:volunteering:{what}"

    def staff(self, community: str) -> str:
        return self.tokens.staff(community)

    def member(self, member_id: str, community: str) -> str:
        return self.tokens.member(member_id, community)

    async def run(
        self, organisation_url: str, volunteering_url: str, county_token: str, console: Console
    ) -> VolunteeringSummary:
        started = time.perf_counter()
        async with api_session(console, county_token) as open_api:
            org = await open_api(organisation_url, 8)
            api = await open_api(volunteering_url, 16)
            org.plan("volunteer members", len(self.communities))
            await together(self._read_members(org, k, c) for k, c in self.communities.items())
            self._plan()
            self._plan_steps(api)
            await self._await_directory(api)
            await together(self._register_team(api, t) for t in self.teams)
            await together(
                [self._team_lane(api, t) for t in self.teams]
                + [self._schedule(api, a) for a in self.activities]
                + [self._open_rota(api, r) for r in self.rotas]
            )
            await self._await_schedules(api)
            await together(
                [self._past_lane(api, a) for a in self.activities if a.past]
                + [self._upcoming_lane(api, a) for a in self.activities if not a.past]
                + [self._rota_lane(api, r) for r in self.rotas]
            )
            await self._await_hours(api)
            sent, replayed = org.sent + api.sent, api.replayed
        return self._summary(time.perf_counter() - started, sent, replayed)

    # Members, from the organisation

    async def _read_members(self, org: Api, community_key: str, community_id: str) -> None:
        """The community's group leaders and building heads, and the members answering for
        the households of a few buildings picked by the seed: its volunteers."""
        rng = random.Random(f"{self.seed}:{community_key}:members")
        tree = await org.read(f"/communities/{community_id}/tree")
        found: set[str] = set()
        buildings: list[str] = []
        for compound in tree:
            rows = [b for a in compound["areas"] for b in a.get("buildings", [])]
            rows += compound.get("buildings_outside_areas") or []
            for b in rows:
                buildings.append(b["id"])
                found.update(
                    b[role] for role in ("party_group_leader", "building_head") if b.get(role)
                )
        buildings.sort()
        picked = rng.sample(buildings, min(BUILDINGS_READ, len(buildings)))
        for answer in await asyncio.gather(*(org.read(f"/buildings/{b}") for b in picked)):
            found.update(h["member_id"] for h in answer["households"] if h.get("member_id"))
        members = sorted(found)
        if len(members) < 12:
            raise DemoLoadError(
                f"community {community_key} has only {len(members)} members with a post or a "
                f"household in the buildings read: too few volunteers for the demo"
            )
        self.pools[community_key] = sorted(rng.sample(members, min(MEMBERS, len(members))))
        org.advance("volunteer members")

    # The plan

    def _plan(self) -> None:
        for n, (community_key, community_id) in enumerate(self.communities.items()):
            pool = self.pools[community_key]
            self._plan_teams(community_key, community_id, pool, n)
            self._plan_activities(community_key, community_id, pool)
            first = coming_saturday(self.as_of)
            for saturday in (first, first + timedelta(days=7)):
                self._plan_rota(community_key, community_id, pool, saturday, swap=saturday == first)

    def _plan_teams(self, community_key: str, community_id: str, pool: list[str], n: int) -> None:
        rng = random.Random(f"{self.seed}:{community_key}:teams")
        name = COMMUNITY_NAMES.get(community_key, "社区")
        partner, *partner_projects = PARTNERS[n % len(PARTNERS)]
        kinds: list[tuple[str, str, str | None, list[tuple[str, tuple[str, ...]]]]] = [
            *(
                (kind, f"{name}{title}", None, list(projects))
                for kind, (title, projects) in TEAMS.items()
            ),
            (
                "partner",
                f"{name}{partner}共建志愿服务队",
                partner,
                [(p, ("专业服务",)) for p in partner_projects],
            ),
        ]
        for kind, team_name, organisation, projects in kinds:
            members = rng.sample(pool, min(len(pool), rng.randint(8, 15)))
            claims = {i: rng.choice(members) for i in range(len(projects)) if rng.random() < 0.65}
            self.teams.append(
                TeamPlan(
                    key=f"{community_key}:{kind}",
                    community=community_id,
                    kind=kind,
                    name=team_name,
                    partner=organisation,
                    members=members,
                    projects=projects,
                    claims=claims,
                )
            )

    def _plan_activities(self, community_key: str, community_id: str, pool: list[str]) -> None:
        rng = random.Random(f"{self.seed}:{community_key}:activities:{self.as_of}")
        upcoming = max(1, round(self.per_community / 3))
        past = self.per_community - upcoming
        days = sorted(rng.sample(range(3, 92), past), reverse=True)
        days_ahead = sorted(rng.sample(range(1, 15), upcoming))
        kinds = list(ACTIVITIES)
        for n, offset in enumerate([-d for d in days] + days_ahead):
            kind = kinds[rng.randrange(len(kinds))]
            title, usual = ACTIVITIES[kind]
            team = None if rng.random() < 0.25 else f"{community_key}:{usual}"
            hour, length = rng.choice((8, 9, 14, 15)), rng.choice((2, 3))
            day = self.as_of + timedelta(days=offset)
            plan = ActivityPlan(
                key=f"{community_key}:{self.as_of}:{n:02d}",
                community=community_id,
                kind=kind,
                title=title,
                team=team,
                starts=_at(day, hour),
                ends=_at(day, hour + length),
                capacity=0,
                past=offset < 0,
                signups=[],
            )
            if plan.past:
                self._plan_past(rng, plan, pool)
            else:
                self._plan_upcoming(rng, plan, pool, oversubscribed=offset == days_ahead[0])
            self.activities.append(plan)

    def _plan_past(self, rng: random.Random, a: ActivityPlan, pool: list[str]) -> None:
        """Signed up from the paper sheet, most came (a few never did), then completed."""
        a.capacity = rng.randint(10, 30)
        wanted = rng.randint(max(4, a.capacity * 2 // 5), max(5, a.capacity * 4 // 5))
        a.signups = rng.sample(pool, min(wanted, len(pool)))
        no_shows = set(rng.sample(a.signups, rng.randint(1, min(3, len(a.signups) - 1))))
        for m in a.signups:
            if m in no_shows:
                continue
            came = a.starts + timedelta(minutes=rng.choice((-20, -10, -5, 0, 0, 5, 10, 15, 30)))
            left = a.ends + timedelta(minutes=rng.choice((-45, -30, -15, 0, 0, 10, 20)))
            a.attended[m] = (came, max(left, came + timedelta(minutes=30)))
        a.residents_served = rng.randint(20, 120)

    def _plan_upcoming(
        self, rng: random.Random, a: ActivityPlan, pool: list[str], *, oversubscribed: bool
    ) -> None:
        """Members sign up themselves; the first one to come is over capacity, so it has a
        waitlist; a confirmed member or two withdraws and the waitlist moves up."""
        if oversubscribed:
            a.capacity = min(rng.randint(10, 14), len(pool) - 4)
            wanted = a.capacity + rng.randint(3, 4)
        else:
            a.capacity = rng.randint(15, 30)
            wanted = rng.randint(a.capacity // 3, a.capacity * 2 // 3)
        a.signups = rng.sample(pool, min(wanted, len(pool)))
        confirmed, waitlist = a.signups[: a.capacity], a.signups[a.capacity :]
        if oversubscribed or rng.random() < 0.4:
            leaving = rng.choice(confirmed)
            a.cancels.append(leaving)
            confirmed.remove(leaving)
            if waitlist:
                confirmed.append(waitlist.pop(0))
        a.waitlisted = len(waitlist)

    def _plan_rota(
        self,
        community_key: str,
        community_id: str,
        pool: list[str],
        saturday: date,
        *,
        swap: bool,
    ) -> None:
        """Five areas, morning and afternoon, both days; each time block's holders are
        different members (nobody holds two shifts at once); one to three gaps."""
        rng = random.Random(f"{self.seed}:{community_key}:rota:{saturday}")
        slots = [
            (area, _at(saturday + timedelta(days=d), begin), _at(saturday + timedelta(days=d), end))
            for d in (0, 1)
            for begin, end in SHIFTS
            for area in AREAS
        ]
        gaps = set(rng.sample(range(len(slots)), rng.randint(1, 3)))
        claims: dict[int, str] = {}
        for block in range(0, len(slots), len(AREAS)):
            holders = rng.sample(pool, len(AREAS))
            for i, member in enumerate(holders, start=block):
                if i not in gaps:
                    claims[i] = member
        exchange = None
        if swap:  # two members of one time block trade areas
            block = rng.randrange(len(slots) // len(AREAS)) * len(AREAS)
            held = [i for i in range(block, block + len(AREAS)) if i in claims]
            if len(held) >= 2:
                a, b = rng.sample(held, 2)
                exchange = (a, b)
        self.rotas.append(
            RotaPlan(
                key=f"{community_key}:{saturday}",
                community=community_id,
                saturday=saturday,
                slots=slots,
                claims=claims,
                swap=exchange,
            )
        )

    def _plan_steps(self, api: Api) -> None:
        members = {m for pool in self.pools.values() for m in pool}
        api.plan("volunteer directory", len(self.communities) + len(members))
        api.plan("teams", len(self.teams))
        api.plan(
            "team members, projects",
            sum(len(t.members) + len(t.projects) + len(t.claims) for t in self.teams),
        )
        api.plan("activities", len(self.activities))
        api.plan(
            "sign-ups, attendance",
            sum(
                len(a.signups) + 2 * len(a.attended) + 1
                if a.past
                else len(a.signups) + len(a.cancels)
                for a in self.activities
            ),
        )
        api.plan(
            "weekend rota",
            sum(1 + len(r.claims) + (2 if r.swap else 0) for r in self.rotas),
        )
        api.plan("hours read model", len(self.communities))

    # Waiting for the read models

    async def _await_directory(self, api: Api) -> None:
        """The directory is built from the organisation's events by a consumer: wait until
        it knows every community and every member the demo uses."""
        step = "volunteer directory"
        deadline = time.monotonic() + self.settle_timeout
        waiting = [f"/communities/{c}/teams" for c in self.communities.values()]
        waiting += sorted(f"/members/{m}/hours" for pool in self.pools.values() for m in pool)
        last = ""

        async def known(path: str) -> bool:
            nonlocal last
            try:
                await api.read(path)
            except DemoLoadError as refused:
                last = str(refused)
                return False
            api.advance(step)
            return True

        while waiting:
            found = await asyncio.gather(*(known(p) for p in waiting))
            waiting = [p for p, ok in zip(waiting, found, strict=True) if not ok]
            if waiting:
                if time.monotonic() > deadline:
                    raise DemoLoadError(
                        f"the volunteering service's directory did not catch up with the "
                        f"organisation in {self.settle_timeout:.0f}s: {len(waiting)} communities "
                        f"or members unknown (first: {waiting[0]}); last answer: {last}"
                    )
                api.note(step, f"{len(waiting)} not yet known")
                await asyncio.sleep(1.0)
        api.note(step, "all known", done=True)

    async def _await_schedules(self, api: Api) -> None:
        """Wait until the calendars show every activity and the rotas every shift (the
        rota's slot ids are the server's: read them back); then give the end timers of
        freshly scheduled past activities time to run before staff fill in their sheets."""
        deadline = time.monotonic() + self.settle_timeout
        first = min(a.starts for a in self.activities).date()
        days = (max(a.ends for a in self.activities).date() - first).days + 2
        waiting = set(self.communities.values())
        while waiting:
            for community in sorted(waiting):
                shown = await api.read(
                    f"/communities/{community}/calendar", **{"from": first.isoformat()}, days=days
                )
                listed = {row["activity_id"] for row in shown}
                wanted = {self.ids[a.key] for a in self.activities if a.community == community}
                rotas = [r for r in self.rotas if r.community == community]
                if wanted <= listed and all([await self._find_slots(api, r) for r in rotas]):
                    waiting.discard(community)
            if waiting:
                if time.monotonic() > deadline:
                    raise DemoLoadError(
                        f"the volunteering read model did not show the scheduled activities "
                        f"and shifts in {self.settle_timeout:.0f}s ({len(waiting)} communities)"
                    )
                api.note("activities", f"read model: {len(waiting)} communities to come")
                await asyncio.sleep(0.5)
        api.note("activities", "in the calendar")

    async def _find_slots(self, api: Api, r: RotaPlan) -> bool:
        """The ids of the plan's shifts, matched on area and times. Should the weekend hold
        other shifts at the same place and time, prefer the one held by the member the
        plan gives it (or its swap partner), then an unheld one."""
        if r.key in self.slot_ids:
            return True
        shown = await api.read(f"/communities/{r.community}/rota", weekend=r.saturday.isoformat())
        by_spec: dict[tuple[str, datetime, datetime], list[dict[str, Any]]] = defaultdict(list)
        for s in shown["slots"]:
            spec = (
                s["area"],
                datetime.fromisoformat(s["starts_at"]),
                datetime.fromisoformat(s["ends_at"]),
            )
            by_spec[spec].append(s)
        partner = {}
        if r.swap:
            a, b = r.swap
            partner = {a: r.claims[b], b: r.claims[a]}
        ids: list[str | None] = []
        for i, spec in enumerate(r.slots):
            candidates = by_spec.get(spec)
            if not candidates:
                return False
            mine = {r.claims.get(i), partner.get(i)} - {None}
            best = max(
                candidates,
                key=lambda s: (s["holder"] in mine, s["holder"] is None, s["slot_id"]),
            )
            ids.append(best["slot_id"])
        self.slot_ids[r.key] = ids
        return True

    async def _await_hours(self, api: Api) -> None:
        """Wait until each community's certified hours show at least what this demo's
        completed activities certified."""
        step = "hours read model"
        expected: dict[str, float] = defaultdict(float)
        for a in self.activities:
            expected[a.community] += a.hours()
        deadline = time.monotonic() + self.settle_timeout
        waiting = set(self.communities.values())
        while waiting:
            for community in sorted(waiting):
                shown = await api.read(f"/communities/{community}/hours")
                total = sum(row["hours"] for row in shown["by_month"])
                if total + 0.005 >= expected[community]:
                    waiting.discard(community)
                    api.advance(step)
            if waiting:
                if time.monotonic() > deadline:
                    raise DemoLoadError(
                        f"the volunteering read model did not show the certified hours in "
                        f"{self.settle_timeout:.0f}s ({len(waiting)} communities short)"
                    )
                api.note(step, f"waiting for {len(waiting)}")
                await asyncio.sleep(0.5)
        api.note(step, "caught up")

    # Teams

    async def _register_team(self, api: Api, t: TeamPlan) -> None:
        body: dict[str, Any] = {"community_id": t.community, "kind": t.kind, "name": t.name}
        if t.partner:
            body["partner"] = t.partner
        answer, _ = await api.command(
            "teams", "/teams", self.key(f"{t.key}:team"), body, token=self.staff(t.community)
        )
        self.ids[t.key] = answer["id"]

    async def _team_lane(self, api: Api, t: TeamPlan) -> None:
        """Members join, staff offer the projects, some members claim one."""
        step, tid, staff = "team members, projects", self.ids[t.key], self.staff(t.community)
        for m in t.members:
            await api.command(
                step,
                f"/teams/{tid}/members",
                self.key(f"{t.key}:join"),
                {},
                token=self.member(m, t.community),
            )
        for i, (title, skills) in enumerate(t.projects):
            await api.command(
                step,
                f"/teams/{tid}/projects",
                self.key(f"{t.key}:project:{i}"),
                {"title": title, "skills": list(skills)},
                token=staff,
            )
        # The project ids are the server's (and a replay's Location names a new one): read
        # them back from the team, in the order they were offered.
        projects = list((await api.read(f"/teams/{tid}", token=staff))["projects"])
        if len(projects) < len(t.projects):
            raise DemoLoadError(f"team {tid} shows {len(projects)} projects, not {len(t.projects)}")
        for i, m in sorted(t.claims.items()):
            await api.command(
                step,
                f"/teams/{tid}/projects/{projects[i]}/claim",
                self.key(f"{t.key}:claim:{i}"),
                {},
                token=self.member(m, t.community),
            )

    # Activities

    async def _schedule(self, api: Api, a: ActivityPlan) -> None:
        body: dict[str, Any] = {
            "community_id": a.community,
            "kind": a.kind,
            "title": a.title,
            "starts_at": _iso(a.starts),
            "ends_at": _iso(a.ends),
            "capacity": a.capacity,
        }
        if a.team:
            body["team_id"] = self.ids[a.team]
        answer, _ = await api.command(
            "activities",
            "/activities",
            self.key(f"{a.key}:schedule"),
            body,
            token=self.staff(a.community),
        )
        self.ids[a.key] = answer["id"]

    async def _past_lane(self, api: Api, a: ActivityPlan) -> None:
        """Staff type in the paper sheet: who signed up, when each came and left; then
        complete it with the residents served, which certifies the hours."""
        step, aid, staff = "sign-ups, attendance", self.ids[a.key], self.staff(a.community)
        for m in a.signups:
            await api.command(
                step,
                f"/activities/{aid}/signups",
                self.key(f"{a.key}:signup:{m}"),
                {"member_id": m},
                token=staff,
            )
        for m, (came, left) in a.attended.items():
            await api.command(
                step,
                f"/activities/{aid}/check-in",
                self.key(f"{a.key}:check-in:{m}"),
                {"member_id": m, "at": _iso(came)},
                token=staff,
            )
            await api.command(
                step,
                f"/activities/{aid}/check-out",
                self.key(f"{a.key}:check-out:{m}"),
                {"member_id": m, "at": _iso(left)},
                token=staff,
            )
        await api.command(
            step,
            f"/activities/{aid}/complete",
            self.key(f"{a.key}:complete"),
            {"residents_served": a.residents_served},
            token=staff,
        )

    async def _upcoming_lane(self, api: Api, a: ActivityPlan) -> None:
        """Members sign up themselves, one after another (who gets a place is first come,
        first served); then the planned withdrawals."""
        step, aid = "sign-ups, attendance", self.ids[a.key]
        for m in a.signups:
            await api.command(
                step,
                f"/activities/{aid}/signups",
                self.key(f"{a.key}:signup"),
                {},
                token=self.member(m, a.community),
            )
        for m in a.cancels:
            await api.command(
                step,
                f"/activities/{aid}/signups/cancel",
                self.key(f"{a.key}:cancel"),
                {},
                token=self.member(m, a.community),
            )

    # The weekend rota

    async def _open_rota(self, api: Api, r: RotaPlan) -> None:
        body = {
            "slots": [
                {"area": area, "starts_at": _iso(begin), "ends_at": _iso(end)}
                for area, begin, end in r.slots
            ]
        }
        answer, _ = await api.command(
            "weekend rota",
            f"/communities/{r.community}/rota/{r.saturday.isoformat()}/shifts",
            self.key(f"{r.key}:open"),
            body,
            token=self.staff(r.community),
        )
        self.ids[r.key] = answer["id"]

    async def _rota_lane(self, api: Api, r: RotaPlan) -> None:
        """Members take their shifts (those not begun yet), then one pair swaps."""
        step, rid, slots = "weekend rota", self.ids[r.key], self.slot_ids[r.key]
        soon = datetime.now(CHINA) + CLAIM_MARGIN
        for i, m in sorted(r.claims.items()):
            if r.slots[i][1] > soon:
                await api.command(
                    step,
                    f"/rotas/{rid}/shifts/{slots[i]}/claim",
                    self.key(f"{r.key}:claim:{i}"),
                    {},
                    token=self.member(m, r.community),
                )
                self.claimed[r.key].add(i)
            else:
                api.advance(step)  # begun: left as a gap
        if r.swap is None:
            return
        a, b = r.swap
        if not {a, b} <= self.claimed[r.key]:
            api.advance(step, 2)
            return
        await api.command(
            step,
            f"/rotas/{rid}/shifts/{slots[a]}/swap",
            self.key(f"{r.key}:swap:{a}:{b}"),
            {"with_slot_id": slots[b]},
            token=self.member(r.claims[a], r.community),
        )
        await api.command(
            step,
            f"/rotas/{rid}/shifts/{slots[b]}/swap/accept",
            self.key(f"{r.key}:swap:{a}:{b}"),
            {"with_slot_id": slots[a]},
            token=self.member(r.claims[b], r.community),
        )
        self.swapped.add(r.key)

    # The summary

    def _summary(self, seconds: float, sent: int, replayed: int) -> VolunteeringSummary:
        past = [a for a in self.activities if a.past]
        upcoming = [a for a in self.activities if not a.past]
        sample_community = self.communities.get("chating") or next(iter(self.communities.values()))
        local = [a for a in self.activities if a.community == sample_community]
        waitlisted = next((a for a in local if a.waitlisted), None) or next(
            (a for a in upcoming if a.waitlisted), None
        )
        team = next(t for t in self.teams if t.community == sample_community)
        rota = next(r for r in self.rotas if r.community == sample_community)
        samples = {
            "community": sample_community,
            "team": self.ids[team.key],
            "past_activity": self.ids[next(a for a in local if a.past).key],
            "upcoming_activity": self.ids[next(a for a in local if not a.past).key],
            "rota": self.ids[rota.key],
        }
        if waitlisted:
            samples["waitlisted_activity"] = self.ids[waitlisted.key]
        return VolunteeringSummary(
            teams=len(self.teams),
            members_joined=sum(len(t.members) for t in self.teams),
            projects=sum(len(t.projects) for t in self.teams),
            projects_claimed=sum(len(t.claims) for t in self.teams),
            activities_past=len(past),
            activities_upcoming=len(upcoming),
            sign_ups=sum(len(a.signups) for a in self.activities),
            waitlisted=sum(a.waitlisted for a in upcoming),
            cancelled=sum(len(a.cancels) for a in upcoming),
            checked_in=sum(len(a.attended) for a in past),
            no_shows=sum(len(a.signups) - len(a.attended) for a in past),
            hours_certified=round(sum(a.hours() for a in past), 2),
            rota_weekends=sorted({r.saturday.isoformat() for r in self.rotas}),
            shifts_opened=sum(len(r.slots) for r in self.rotas),
            shifts_claimed=sum(len(c) for c in self.claimed.values()),
            swaps=len(self.swapped),
            requests=sent,
            replayed=replayed,
            seconds=seconds,
            samples=samples,
        )
