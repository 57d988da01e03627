"""Loads the generated Dong'an county through the organisation service's HTTP API, as a
county administrator would: no table is written directly; every change is a command,
an event and a public event like any other.

Idempotency. Every command carries a key made from the seed and what it creates
(`demo-<seed>:member:m00042`). The server scopes keys to the token's subject and the
route, and a replay answers what the first request answered: a second `make up` writes
nothing and still learns the server-made ids. Two answers need help on a replay: an
area's carries a fresh `area_id` that names nothing, and a household batch's carries no
ids, so the loader reads both back from the compound and the building.

Ordering. Commands on one aggregate go one after another in a *lane* (a building's
households, then its head and household duties; a branch's admissions, then its
posts); lanes run side by side with at most `in_flight` requests at a time. Commands
racing on one stream would only conflict and be retried by the server.

Re-runs. Before the bulk of the work the loader asks the read model whether the
county is already there (`_already_loaded`); if it is, only the unit organisations
and the community-level links are replayed, and a re-run takes seconds, not minutes.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import sys
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import httpx
import structlog
from grassroots_eventkit.values import CHINA_STANDARD_TIME
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from grassroots_stack.demo import generator
from grassroots_stack.demo.generator import County, Figures, Sizes

log = structlog.get_logger()

IN_FLIGHT = 32
HOUSEHOLDS_PER_REQUEST = 500  # the API's limit for one batch
ROSTER = 200  # members per roster import (and per bulk admission)
SHEET = 500  # reports per sign-in sheet (the API's limit)
ATTEMPTS = 6
RETRYABLE = {429, 502, 503, 504}


class DemoLoadError(RuntimeError):
    """A command was refused, or the read model did not catch up: the message says which."""


@dataclass(frozen=True)
class Summary:
    county: County
    communities: dict[str, str]
    unit_orgs: dict[str, str]
    samples: dict[str, Any]
    requests: int
    replayed: int
    seconds: float
    already_loaded: bool

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def state(self) -> dict[str, Any]:
        """What `make up` records in services.json under "demo"; the e2e test regenerates
        the county from seed, sizes and as_of and compares."""
        return {
            "county": self.county.name,
            "communities": self.communities,
            "seed": self.county.seed,
            "sizes": asdict(self.county.sizes),
            "as_of": self.county.as_of.isoformat(),
            "counts": self.county.counts(),
            "unit_orgs": self.unit_orgs,
            "samples": self.samples,
            "load": {
                "requests": self.requests,
                "replayed": self.replayed,
                "seconds": round(self.seconds, 1),
                "requests_per_second": round(self.rate, 1),
                "already_loaded": self.already_loaded,
            },
        }


def china_today() -> date:
    """The day as the county counts it (China Standard Time)."""
    return datetime.now(CHINA_STANDARD_TIME).date()


def today() -> date:
    """The server refuses reports dated after *its* today, in UTC for members and in
    China for units; UTC is never ahead of China, so it satisfies both."""
    return datetime.now(UTC).date()


def _spare_httpcore_a_failing_import() -> None:
    """httpcore runs `import sniffio` for every request; without the package installed,
    each failed import searches sys.path again (a fifth of the loader's CPU). Marking it
    absent makes the failure instant and changes nothing else."""
    if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]


def load(
    organisation_url: str, projections_url: str, token: str, timeout: float = 180.0
) -> dict[str, str]:
    """The default demo, for callers that only need the community ids (docker-compose's
    one-shot). `timeout` is how long the read models may lag once the load is done."""
    return load_county(organisation_url, projections_url, token, settle_timeout=timeout).communities


def load_county(
    organisation_url: str,
    projections_url: str,
    token: str,
    *,
    seed: int = generator.DEFAULT_SEED,
    sizes: Sizes | None = None,
    as_of: date | None = None,
    in_flight: int = IN_FLIGHT,
    settle_timeout: float = 180.0,
    verify_first: bool = True,
    console: Console | None = None,
) -> Summary:
    """Generate the county and load it; see the module docstring."""
    county = generator.generate(seed, sizes, as_of or today())
    _spare_httpcore_a_failing_import()
    return asyncio.run(
        _Loader(county, token, in_flight, console or Console(stderr=True)).run(
            organisation_url, projections_url, settle_timeout, verify_first
        )
    )


@dataclass
class _Ids:
    """Server-made ids by generator key."""

    communities: dict[str, str] = field(default_factory=dict)
    compounds: dict[str, str] = field(default_factory=dict)
    areas: dict[str, str] = field(default_factory=dict)
    buildings: dict[str, str] = field(default_factory=dict)
    households: dict[str, str] = field(default_factory=dict)
    members: dict[str, str] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)


class Api:
    """Bounded, retried requests; progress per step; refusals explained.

    One connection per client, `in_flight` clients handed out in turn: httpcore's pool
    scans all its connections for every request, which with 32 in one pool cost the
    loader 5 ms of CPU a request, on a machine whose other core runs the server.
    """

    def __init__(self, clients: list[httpx.AsyncClient], progress: Progress) -> None:
        self._free: asyncio.Queue[httpx.AsyncClient] = asyncio.Queue()
        for client in clients:
            self._free.put_nowait(client)
        self._progress = progress
        self._steps: dict[str, TaskID] = {}
        self.sent = 0
        self.replayed = 0

    def plan(self, step: str, total: int) -> None:
        self._steps[step] = self._progress.add_task(step, total=total, note="")

    def note(self, step: str, note: str, *, done: bool = False) -> None:
        task = self._steps[step]
        self._progress.update(task, note=note)
        if done:
            self._progress.update(task, completed=self._progress.tasks[task].total)

    def advance(self, step: str, count: int = 1) -> None:
        self._progress.advance(self._steps[step], count)

    async def command(
        self,
        step: str | None,
        path: str,
        key: str,
        body: dict[str, Any] | None = None,
        *,
        count: int = 1,
        token: str | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """POST a command; its answer and whether it was a replay. `step` is what the
        progress display counts it under (None: not counted, a look-up by replay);
        `count` is how many items a bulk command carries."""
        response = await self._send("POST", path, key=key, body=body, token=token)
        replayed = response.headers.get("Idempotent-Replayed") == "true"
        self.replayed += replayed
        if step:
            self.advance(step, count)
        answer: dict[str, Any] = response.json()
        return answer, replayed

    async def read(self, path: str, *, token: str | None = None, **params: Any) -> Any:
        return (await self._send("GET", path, params=params or None, token=token)).json()

    async def _send(
        self,
        method: str,
        path: str,
        *,
        key: str | None = None,
        body: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        token: str | None = None,
    ) -> httpx.Response:
        """`token` acts as someone else than the clients' default bearer."""
        headers = {"Idempotency-Key": key} if key else {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        failure = ""
        for attempt in range(ATTEMPTS):
            client = await self._free.get()
            self.sent += 1
            try:
                response = await client.request(
                    method, path, json=body, params=params, headers=headers
                )
            except httpx.TransportError as exc:
                # Safe to resend: the Idempotency-Key makes a command happen once.
                failure = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code < 400:
                    return response
                if not _retryable(response):
                    raise DemoLoadError(_refusal(method, path, body, response))
                failure = f"{response.status_code} {response.text[:300]}"
            finally:
                self._free.put_nowait(client)
            await asyncio.sleep(min(3.0, 0.1 * 2**attempt))
        raise DemoLoadError(f"{method} {path} failed {ATTEMPTS} times; last: {failure}")


class Tokens:
    """The demo's actors' tokens, each made once: community staff, party members."""

    def __init__(self, mint: Callable[..., str], service: str) -> None:
        self._mint = mint
        self._service = service
        self._made: dict[tuple[str, str, str], str] = {}

    def _token(self, subject: str, role: str, community: str) -> str:
        key = (subject, role, community)
        if key not in self._made:
            self._made[key] = self._mint(
                subject=subject,
                roles=[role],
                communities=[community],
                county=None,
                department=None,
            )
        return self._made[key]

    def staff(self, community: str) -> str:
        return self._token(
            f"demo-{self._service}-staff-{community[:8]}", "community_staff", community
        )

    def member(self, member_id: str, community: str) -> str:
        return self._token(member_id, "member", community)


def progress_display(console: Console) -> Progress:
    """The demo loaders' progress bars: one row per step, with a note."""
    return Progress(
        TextColumn("{task.description:<26}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[note]}"),
        console=console,
    )


A = TypeVar("A", bound=Api)


@contextlib.asynccontextmanager
async def api_session(console: Console, token: str) -> AsyncIterator[Callable[..., Awaitable[Any]]]:
    """Progress shown while inside; yields `open(url, clients, kind=Api)`, which makes an
    Api of `clients` one-connection clients to `url` with the loader's bearer token."""
    headers = {"Authorization": f"Bearer {token}"}
    # One connection per client, keep-alive shorter than uvicorn's 5 s (see Api).
    one = httpx.Limits(max_connections=1, max_keepalive_connections=1, keepalive_expiry=2.0)
    progress = progress_display(console)
    async with contextlib.AsyncExitStack() as stack:

        async def open_api(url: str, clients: int, kind: type[A] = Api) -> A:  # type: ignore[assignment]
            made = [
                await stack.enter_async_context(
                    httpx.AsyncClient(base_url=url, headers=headers, timeout=60.0, limits=one)
                )
                for _ in range(clients)
            ]
            return kind(made, progress)

        with progress:
            yield open_api


def _retryable(response: httpx.Response) -> bool:
    if response.status_code in RETRYABLE:
        return True
    # Another writer on the same stream kept winning: the server asks to retry later.
    return response.status_code == 409 and _problem(response).get("rule") == (
        "concurrent_modification"
    )


def _problem(response: httpx.Response) -> dict[str, Any]:
    try:
        found = response.json()
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _refusal(method: str, path: str, body: dict[str, Any] | None, response: httpx.Response) -> str:
    problem = _problem(response) or {"body": response.text[:2000]}
    sent = json.dumps(body, ensure_ascii=False) if body is not None else "(no body)"
    rule = str(problem.get("rule", ""))
    hint = ""
    if rule == "idempotency_key_reused" or rule.endswith("_name_taken"):
        # The same keys or names with other content: the data was made by another
        # generator version, seed or size than this run's.
        hint = (
            "\nhint: the stack holds a demo generated differently (another generator "
            "version, seed or size); `make clean` then `make up` loads this one"
        )
    return (
        f"the demo load stopped: {method} {path} was refused with {response.status_code}\n"
        f"problem: {json.dumps(problem, ensure_ascii=False, indent=2)}\n"
        f"request: {sent[:2000]}{hint}"
    )


class _Loader:
    def __init__(self, county: County, token: str, in_flight: int, console: Console) -> None:
        self.county = county
        self.token = token
        self.in_flight = in_flight
        self.console = console
        self.ids = _Ids()
        # Duties by the building lane they belong to.
        self.duties_of: dict[str, list[generator.HouseholdDuty]] = defaultdict(list)
        for d in county.duties:
            self.duties_of[d.building].append(d)
        self.head_of = {h.building: h.member for h in county.heads}
        self.leader_of = {k.compound: k.leader for k in county.key_compounds}
        self.buildings = {b.key: b for b in county.buildings}
        self.members = {m.key: m for m in county.members}

    def key(self, what: str, key: str) -> str:
        return f"demo-{self.county.seed}:{what}:{key}"

    async def run(
        self, organisation_url: str, projections_url: str, settle: float, verify_first: bool
    ) -> Summary:
        started = time.perf_counter()
        headers = {"Authorization": f"Bearer {self.token}"}
        progress = progress_display(self.console)
        # Keep-alive shorter than uvicorn's 5 s, so a pooled connection is never reused
        # just as the server closes it.
        one = httpx.Limits(max_connections=1, max_keepalive_connections=1, keepalive_expiry=2.0)
        async with contextlib.AsyncExitStack() as stack:
            clients = [
                await stack.enter_async_context(
                    httpx.AsyncClient(
                        base_url=organisation_url, headers=headers, timeout=60.0, limits=one
                    )
                )
                for _ in range(self.in_flight)
            ]
            pj = await stack.enter_async_context(
                httpx.AsyncClient(base_url=projections_url, headers=headers, timeout=30.0)
            )
            with progress:
                api = Api(clients, progress)
                self._plan(api)
                await self._communities(api)
                done = verify_first and await self._already_loaded(api)
                if done:
                    for step in _BULK_STEPS:
                        api.note(step, "already loaded", done=True)
                    await together(
                        [self._unit_lane(api, u) for u in self.county.unit_orgs]
                        + [self._county_link(api, c) for c in self.county.county_links]
                    )
                    await self._recover_for_samples(api)  # members name their unit
                    await self._community_lanes(api)
                else:
                    await self._grid_and_units(api)
                    await together(self._building_lane(api, b) for b in self.county.buildings)
                    await together(self._roster(api, c) for c in self._rosters())
                    await together(self._sheet(api, c) for c in self._sheets())
                    await together(
                        [self._branch_lane(api, b) for b in self.county.branches]
                        + [self._duty_lane(api, b) for b in self.county.buildings]
                    )
                    await self._community_lanes(api)
                await self._settle(api, pj, settle)
        summary = Summary(
            county=self.county,
            communities=dict(self.ids.communities),
            unit_orgs=dict(self.ids.units),
            samples=self._samples(),
            requests=api.sent,
            replayed=api.replayed,
            seconds=time.perf_counter() - started,
            already_loaded=done,
        )
        log.info(
            "demo.loaded",
            requests=summary.requests,
            replayed=summary.replayed,
            seconds=round(summary.seconds, 1),
            per_second=round(summary.rate, 1),
            already_loaded=done,
        )
        return summary

    # Plan

    def _plan(self, api: Api) -> None:
        c = self.county
        counts = c.counts()
        pledge_moves = sum(
            {"pledged": 1, "in_progress": 3, "done": 4}[p.status]
            for u in c.unit_orgs
            for p in u.pledges
        )
        chunks = sum(_chunks(len(b.households)) for b in c.buildings)
        api.plan("communities", counts["communities"])
        api.plan("unit organisations", 3 * counts["unit_orgs"] + pledge_moves)
        api.plan(
            "compounds and areas", counts["compounds"] + counts["areas"] + len(c.key_compounds)
        )
        api.plan("county leaders", counts["county_links"])
        api.plan("buildings and households", counts["buildings"] + chunks)
        api.plan("members", counts["members"])
        api.plan("double reports", counts["reports"])
        api.plan(
            "branches and posts",
            sum(2 + len(b.members) + len(b.committee) + len(b.groups) for b in c.branches),
        )
        api.plan("households and heads", counts["household_duties"] + counts["building_heads"])
        api.plan("workers, secretaries", counts["workers"] + len(c.committee_secretaries))
        api.plan("read model", counts["communities"])

    # Phases

    async def _communities(self, api: Api) -> None:
        async def one(community: generator.Community) -> None:
            answer, _ = await api.command(
                "communities",
                "/communities",
                # The key the first demo loader used: stacks loaded before keep working.
                f"demo-community-{community.key}",
                {"name": community.name, "county": self.county.name, "town": community.town},
            )
            self.ids.communities[community.key] = answer["id"]

        await together(one(c) for c in self.county.communities)

    async def _grid_and_units(self, api: Api) -> None:
        await together(
            [self._unit_lane(api, u) for u in self.county.unit_orgs]
            + [self._compound_lane(api, c) for c in self.county.compounds]
            + [self._county_link(api, link) for link in self.county.county_links]
        )

    async def _unit_lane(self, api: Api, unit: generator.UnitOrg) -> None:
        step, year = "unit organisations", self.county.period
        community = self.ids.communities[unit.community]
        answer, _ = await api.command(
            step,
            "/unit-organisations",
            self.key("unit", unit.key),
            {"name": unit.name, "kind": unit.kind, "county": self.county.name},
        )
        uid = self.ids.units[unit.key] = answer["id"]
        base = f"/unit-organisations/{uid}"
        await api.command(
            step,
            f"{base}/reports",
            self.key("unit-report", f"{unit.key}:{year}"),
            {"community_id": community, "reported_on": unit.reported_on.isoformat()},
        )
        await api.command(
            step,
            f"{base}/pairings",
            self.key("unit-pairing", f"{unit.key}:{unit.community}"),
            {"community_id": community},
        )
        for pledge in unit.pledges:
            # The pledge id comes from the key on the server, so a replay gives it again.
            answer, _ = await api.command(
                step,
                f"{base}/pledges",
                self.key("pledge", f"{pledge.key}:{pledge.year}"),
                {"community_id": community, "year": pledge.year, "title": pledge.title},
            )
            path = f"{base}/pledges/{answer['pledge_id']}"
            if pledge.status == "pledged":
                continue
            await api.command(step, f"{path}/start", self.key("pledge-start", pledge.key))
            await api.command(
                step, f"{path}/notes", self.key("pledge-note", pledge.key), {"text": pledge.note}
            )
            if pledge.status == "done":
                await api.command(
                    step,
                    f"{path}/complete",
                    self.key("pledge-complete", pledge.key),
                    {"evidence": pledge.evidence},
                )

    async def _compound_lane(self, api: Api, compound: generator.Compound) -> None:
        step = "compounds and areas"
        answer, _ = await api.command(
            step,
            f"/communities/{self.ids.communities[compound.community]}/compounds",
            self.key("compound", compound.key),
            {"name": compound.name},
        )
        cid = self.ids.compounds[compound.key] = answer["id"]
        stale = False
        for area in compound.areas:
            answer, replayed = await api.command(
                step, f"/compounds/{cid}/areas", self.key("area", area.key), {"name": area.name}
            )
            self.ids.areas[area.key] = answer["area_id"]
            stale |= replayed
        if stale:
            # A replayed answer's area_id is made afresh and names no area: read them back.
            found = await api.read(f"/compounds/{cid}")
            by_name = {a["name"]: a["id"] for a in found["areas"]}
            for area in compound.areas:
                self.ids.areas[area.key] = by_name[area.name]
        leader = self.leader_of.get(compound.key)
        if leader:
            await api.command(
                step,
                f"/compounds/{cid}/key-leader",
                self.key("key-leader", f"{compound.key}:{leader.key}"),
                {"leader_id": leader.key, "name": leader.name, "title": leader.title},
            )

    async def _county_link(self, api: Api, link: generator.CountyLink) -> None:
        leader = link.leader
        await api.command(
            "county leaders",
            f"/communities/{self.ids.communities[link.community]}/county-leader",
            self.key("county-leader", f"{link.community}:{leader.key}"),
            {"leader_id": leader.key, "name": leader.name, "title": leader.title},
        )

    async def _building_lane(self, api: Api, building: generator.Building) -> None:
        step = "buildings and households"
        answer, _ = await api.command(
            step,
            f"/compounds/{self.ids.compounds[building.compound]}/buildings",
            self.key("building", building.key),
            {
                "name": building.name,
                "units": building.units,
                "area_id": self.ids.areas[building.area],
            },
        )
        bid = self.ids.buildings[building.key] = answer["id"]
        homes = building.households
        stale = False
        for n in range(_chunks(len(homes))):
            chunk = homes[n * HOUSEHOLDS_PER_REQUEST : (n + 1) * HOUSEHOLDS_PER_REQUEST]
            answer, replayed = await api.command(
                step,
                f"/buildings/{bid}/households",
                self.key("households", f"{building.key}:{n}"),
                {"households": [{"unit": h.unit, "room": h.room} for h in chunk]},
            )
            if replayed:
                stale = True  # a replay's answer carries no ids
            else:
                for home, hid in zip(chunk, answer["household_ids"], strict=True):
                    self.ids.households[home.key] = hid
        if stale:
            await self._read_households(api, building)

    async def _read_households(self, api: Api, building: generator.Building) -> None:
        found = await api.read(f"/buildings/{self.ids.buildings[building.key]}")
        at = {(h["unit"], h["room"]): h["id"] for h in found["households"]}
        for home in building.households:
            self.ids.households[home.key] = at[(home.unit, home.room)]

    def _rosters(self) -> list[tuple[str, list[generator.Member]]]:
        """Members by residence community, in chunks: each chunk one roster import, its
        key stable across runs (the generator's order is)."""
        by_community: dict[str, list[generator.Member]] = defaultdict(list)
        for member in self.county.members:
            by_community[member.community].append(member)
        return [
            (f"{community}:{start // ROSTER}", members[start : start + ROSTER])
            for community, members in by_community.items()
            for start in range(0, len(members), ROSTER)
        ]

    async def _roster(
        self, api: Api, chunk: tuple[str, list[generator.Member]], step: str | None = "members"
    ) -> None:
        name, members = chunk
        answer, _ = await api.command(
            step,
            "/members/bulk",
            self.key("roster", name),
            {"members": [self._registration(m) for m in members]},
            count=len(members),
        )
        for member, outcome in zip(members, answer["results"], strict=True):
            if outcome["status"] >= 400:
                raise DemoLoadError(f"roster {name}: {member.key} refused: {outcome}")
            self.ids.members[member.key] = outcome["id"]

    def _sheets(self) -> list[tuple[str, str, list[generator.Report]]]:
        """Reports by community and year, in chunks: each chunk one sign-in sheet."""
        by_sheet: dict[tuple[str, int], list[generator.Report]] = defaultdict(list)
        for report in self.county.reports:
            by_sheet[(report.community, report.reported_on.year)].append(report)
        return [
            (f"{community}:{year}:{start // SHEET}", community, reports[start : start + SHEET])
            for (community, year), reports in by_sheet.items()
            for start in range(0, len(reports), SHEET)
        ]

    async def _sheet(self, api: Api, chunk: tuple[str, str, list[generator.Report]]) -> None:
        name, community, reports = chunk
        answer, _ = await api.command(
            "double reports",
            f"/communities/{self.ids.communities[community]}/report-sheet",
            self.key("sheet", name),
            {
                "reports": [
                    {
                        "member_id": self.ids.members[r.member],
                        "role": r.role,
                        "reported_on": r.reported_on.isoformat(),
                    }
                    for r in reports
                ]
            },
            count=len(reports),
        )
        refused = [o for o in answer["results"] if o["status"] >= 400]
        if refused:
            raise DemoLoadError(f"report sheet {name}: {len(refused)} refused, e.g. {refused[0]}")

    def _registration(self, member: generator.Member) -> dict[str, Any]:
        ids = self.ids
        contact = member.contact_community
        return {
            "name": member.name,
            "phone": member.phone,
            "residence": {
                "community_id": ids.communities[member.community],
                "building_id": ids.buildings[member.building],
                "household_id": ids.households[member.household],
            },
            "kind": member.kind,
            "work_unit": member.work_unit,
            "unit_org_id": ids.units[member.unit_org] if member.unit_org else None,
            "contact_community_id": ids.communities[contact] if contact else None,
            "skills": list(member.skills),
            "wishes": list(member.wishes),
        }

    async def _branch_lane(self, api: Api, branch: generator.Branch) -> None:
        step, m = "branches and posts", self.ids.members
        answer, _ = await api.command(
            step,
            f"/compounds/{self.ids.compounds[branch.compound]}/branch",
            self.key("branch", branch.compound),
        )
        path = f"/branches/{answer['id']}"
        self.ids.branches[branch.key] = answer["id"]
        # Admission first: the secretary, committee and group leaders must be members.
        members = list(branch.members)
        for start in range(0, len(members), ROSTER):
            part = members[start : start + ROSTER]
            await api.command(
                step,
                f"{path}/members/bulk",
                self.key("admit", f"{branch.key}:{start // ROSTER}"),
                {"member_ids": [m[k] for k in part]},
                count=len(part),
            )
        await api.command(
            step,
            f"{path}/secretary",
            self.key("secretary", branch.key),
            {"member_id": m[branch.secretary]},
        )
        for member, area in branch.committee:
            await api.command(
                step,
                f"{path}/committee",
                self.key("committee", area),
                {"member_id": m[member], "area_id": self.ids.areas[area]},
            )
        for building, leader in branch.groups:
            await api.command(
                step,
                f"{path}/groups",
                self.key("group", building),
                {"building_id": self.ids.buildings[building], "leader_member_id": m[leader]},
            )

    async def _duty_lane(self, api: Api, building: generator.Building) -> None:
        step, m = "households and heads", self.ids.members
        bid = self.ids.buildings[building.key]
        head = self.head_of.get(building.key)
        if head:
            await api.command(
                step,
                f"/buildings/{bid}/head",
                self.key("head", building.key),
                {"member_id": m[head]},
            )
        duties = self.duties_of.get(building.key, [])
        if duties:
            await api.command(
                step,
                f"/buildings/{bid}/households/members",
                self.key("duties", building.key),
                {
                    "assignments": [
                        {
                            "household_id": self.ids.households[d.household],
                            "member_id": m[d.member],
                        }
                        for d in duties
                    ]
                },
                count=len(duties),
            )

    async def _community_lanes(self, api: Api) -> None:
        """Grid workers and the party committee's secretary: one community stream each,
        so one request at a time per community."""
        step, ids = "workers, secretaries", self.ids
        secretaries = {p.community: p.member for p in self.county.committee_secretaries}

        async def lane(community: str) -> None:
            path = f"/communities/{ids.communities[community]}"
            for w in (w for w in self.county.workers if w.community == community):
                await api.command(
                    step,
                    f"{path}/workers",
                    self.key("worker", w.key),
                    {
                        "worker_id": w.key,
                        "name": w.name,
                        "role": w.role,
                        "grid_unit_ids": [ids.compounds[c] for c in w.compounds],
                    },
                )
            if community in secretaries:
                await api.command(
                    step,
                    f"{path}/committee-secretary",
                    self.key("committee-secretary", community),
                    {"member_id": ids.members[secretaries[community]]},
                )

        await together(lane(c.key) for c in self.county.communities)

    # Re-runs

    async def _already_loaded(self, api: Api) -> bool:
        """True if the read model shows the whole generated grid, party organisation and
        double report. Sound because of the lanes' order: a branch's posts come after
        its admissions, a building's duties after its households, reports after
        registration, and every phase after the one before; so when the last things of
        every lane show, everything before them is there."""
        trees: dict[str, list[dict[str, Any]]] = {}
        for community in self.county.communities:
            cid = self.ids.communities[community.key]
            coverage = await api.read(f"/communities/{cid}/coverage")
            reporting = await api.read(
                f"/communities/{cid}/reporting", period=self.county.period, limit=1
            )
            if _differences(self.county.expected[community.key], coverage, reporting):
                return False
            trees[community.key] = await api.read(f"/communities/{cid}/tree")
        if not self._tree_matches(trees):
            return False
        self._ids_from_trees(trees)
        return True

    def _tree_matches(self, trees: dict[str, list[dict[str, Any]]]) -> bool:
        branched = {b.compound: b for b in self.county.branches}
        grouped = {building for b in self.county.branches for building, _ in b.groups}
        covered: dict[str, int] = defaultdict(int)
        for d in self.county.duties:
            covered[d.building] += 1
        shown = {(community, c["name"]): c for community, tree in trees.items() for c in tree}
        for compound in self.county.compounds:
            node = shown.get((compound.community, compound.name))
            if node is None:
                return False
            branch = branched.get(compound.key)
            if (node["branch_secretary"] is not None) != (branch is not None):
                return False
            if node["key_compound_leader"] != (compound.key in self.leader_of):
                return False
            areas = {a["name"]: a for a in node["areas"]}
            for area in compound.areas:
                if area.name not in areas:
                    return False
                if branch and areas[area.name]["committee_member"] is None:
                    return False
            buildings = {b["name"]: b for a in node["areas"] for b in a["buildings"]}
            for building in self.county.buildings:
                if building.compound != compound.key:
                    continue
                row = buildings.get(building.name)
                if (
                    row is None
                    or row["households"] != len(building.households)
                    or row["households_with_member"] != covered[building.key]
                    or (row["building_head"] is not None) != (building.key in self.head_of)
                    or (row["party_group_leader"] is not None) != (building.key in grouped)
                ):
                    return False
        return True

    def _ids_from_trees(self, trees: dict[str, list[dict[str, Any]]]) -> None:
        shown = {(community, c["name"]): c for community, tree in trees.items() for c in tree}
        for compound in self.county.compounds:
            node = shown[(compound.community, compound.name)]
            self.ids.compounds[compound.key] = node["id"]
            areas = {a["name"]: a["id"] for a in node["areas"]}
            for area in compound.areas:
                self.ids.areas[area.key] = areas[area.name]
            if node["branch_id"]:
                self.ids.branches[f"{compound.key}.branch"] = node["branch_id"]
            rows = {b["name"]: b["id"] for a in node["areas"] for b in a["buildings"]}
            for building in self.county.buildings:
                if building.compound == compound.key:
                    self.ids.buildings[building.key] = rows[building.name]

    async def _recover_for_samples(self, api: Api) -> None:
        """Member ids are not in the read model's answers: replay the registrations of
        the few members the samples and the community posts name (their households'
        ids first, which the replayed body must carry)."""
        wanted = {p.member for p in self.county.committee_secretaries}
        wanted |= set(self._sample_keys()["people"].values())
        for building in {self.members[k].building for k in wanted}:
            await self._read_households(api, self.buildings[building])
        for b in self._sample_keys()["buildings"]:
            await self._read_households(api, self.buildings[b])
        rosters = [r for r in self._rosters() if wanted & {m.key for m in r[1]}]
        buildings = {m.building for _, members in rosters for m in members}
        await together(self._read_households(api, self.buildings[b]) for b in sorted(buildings))
        await together(self._roster(api, roster, None) for roster in rosters)

    async def _settle(self, api: Api, pj: httpx.AsyncClient, timeout: float) -> None:
        """Wait until the organisation's read model shows the generated figures and the
        projections service lists every community."""
        step = "read model"
        deadline = time.monotonic() + timeout
        waiting = {c.key for c in self.county.communities}
        last: dict[str, list[str]] = {}
        while True:
            for community in sorted(waiting):
                cid = self.ids.communities[community]
                coverage = await api.read(f"/communities/{cid}/coverage")
                reporting = await api.read(
                    f"/communities/{cid}/reporting", period=self.county.period, limit=1
                )
                last[community] = _differences(self.county.expected[community], coverage, reporting)
                if not last[community]:
                    waiting.discard(community)
                    api.advance(step)
            if not waiting:
                listed = {c["id"] for c in (await pj.get("/communities")).json()["items"]}
                missing = set(self.ids.communities.values()) - listed
                if not missing:
                    api.note(step, "caught up")
                    return
                api.note(step, f"projections: {len(missing)} communities to come")
            else:
                api.note(step, f"waiting for {len(waiting)}")
            if time.monotonic() > deadline:
                detail = "; ".join(f"{k}: {', '.join(v)}" for k, v in last.items() if v)
                raise DemoLoadError(
                    f"the read models did not show the demo within {timeout:.0f}s: "
                    f"{detail or 'projections service lacks communities'}"
                )
            await asyncio.sleep(0.5)

    # Samples

    def _sample_keys(self) -> dict[str, Any]:
        """A few well-connected things in 雍景园小区 (茶亭社区), for tests and tokens."""
        c = self.county
        home = next((x for x in c.compounds if x.name == "雍景园小区"), c.compounds[0])
        branch = next((b for b in c.branches if b.compound == home.key), c.branches[0])
        groups = dict(branch.groups)
        buildings = [b for b in c.buildings if b.compound == branch.compound]
        # Prefer a building with a party group, a head and duties: its chain is complete.
        building = max(
            buildings,
            key=lambda b: (b.key in groups, b.key in self.head_of, len(self.duties_of[b.key])),
        )
        duty = next(iter(self.duties_of[building.key]), None)
        in_community = [m for m in c.members if m.community == home.community]
        people = {
            "branch_secretary": branch.secretary,
            "committee_member": branch.committee[0][0],
            "group_leader": groups.get(building.key),
            "building_head": self.head_of.get(building.key)
            or (c.heads[0].member if c.heads else None),
            "household_member": duty.member if duty else None,
            "in_service_member": next(
                (m.key for m in in_community if m.kind == "in_service"), None
            ),
            "retired_member": next((m.key for m in in_community if m.kind == "retired"), None),
        }
        return {
            "compound": home.key,
            "buildings": [building.key],
            "household": duty.household if duty else building.households[0].key,
            "people": {k: v for k, v in people.items() if v},
        }

    def _samples(self) -> dict[str, Any]:
        keys = self._sample_keys()
        compound = next(x for x in self.county.compounds if x.key == keys["compound"])
        [building] = keys["buildings"]
        unit = self.county.unit_orgs[0]
        return {
            "compound": {
                "id": self.ids.compounds.get(compound.key),
                "name": compound.name,
                "community": compound.community,
                "branch_id": self.ids.branches.get(f"{compound.key}.branch"),
            },
            "building": {
                "id": self.ids.buildings.get(building),
                "name": self.buildings[building].name,
            },
            "household": self.ids.households.get(keys["household"]),
            "people": {role: self.ids.members.get(k) for role, k in keys["people"].items()},
            "unit_org": {"id": self.ids.units.get(unit.key), "name": unit.name},
        }


_BULK_STEPS = (
    "compounds and areas",
    "buildings and households",
    "members",
    "double reports",
    "branches and posts",
    "households and heads",
)


def _chunks(households: int) -> int:
    return -(-households // HOUSEHOLDS_PER_REQUEST)


async def together(lanes: Iterable[Awaitable[Any]]) -> None:
    """Run lanes side by side; the first failure cancels the rest and is raised alone
    (one refused command is the story, not the group of lanes it cancelled)."""
    try:
        async with asyncio.TaskGroup() as group:
            for lane in lanes:
                group.create_task(_awaited(lane))
    except BaseExceptionGroup as failed:
        raise _first(failed) from None


def _first(failed: BaseExceptionGroup[BaseException]) -> BaseException:
    found = failed.exceptions[0]
    return _first(found) if isinstance(found, BaseExceptionGroup) else found


async def _awaited(lane: Awaitable[Any]) -> None:
    await lane


def _differences(
    expected: Figures, coverage: dict[str, Any], reporting: dict[str, Any]
) -> list[str]:
    """What the read model shows that differs from the generated county."""
    shown = {
        "compounds": coverage["compounds_with_branch"]["total"],
        "compounds_with_branch": coverage["compounds_with_branch"]["covered"],
        "buildings": coverage["buildings_with_party_group"]["total"],
        "buildings_with_group": coverage["buildings_with_party_group"]["covered"],
        "households": coverage["households_with_responsible_member"]["total"],
        "households_with_member": coverage["households_with_responsible_member"]["covered"],
        "in_service_members": reporting["in_service_members"],
        "reported_to_residence": reporting["reported_to_residence"],
        "reported_to_contact": reporting["reported_to_contact"],
        "reported_to_both": reporting["reported_to_both"],
    }
    wanted = asdict(expected)
    return [f"{k} {shown[k]}/{v}" for k, v in wanted.items() if shown[k] != v]
