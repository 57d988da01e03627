"""`grassroots bench requests`: a request's life over HTTP on the running local stack.

Residents of the demo county submit requests at a fixed number in flight; the members
on each household's chain claim and resolve them; the residents rate them. Each phase
reports commands/s and the p50/p99 latency a client sees (HTTP included), then the
time until the community's read model counts every rating. The requests land in the
demo's communities (under a county-admin-visible "bench" resident), like any other.
"""

from __future__ import annotations

import asyncio
import json
import platform
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from grassroots_stack import stack
from grassroots_stack.demo import dongan
from grassroots_stack.layout import Layout
from grassroots_stack.load.wire import Answer, WirePool

console = Console()
IN_FLIGHT = 32


class _Client:
    def __init__(self, base: str, in_flight: int) -> None:
        self.http = WirePool(base, in_flight)
        self.gate = asyncio.Semaphore(in_flight)

    async def send(
        self, method: str, path: str, token: str, body: dict[str, Any] | None = None
    ) -> tuple[float, Answer]:
        async with self.gate:
            started = time.perf_counter()
            response = await self.http.request(method, path, token, body)
            return time.perf_counter() - started, response


async def _phase(
    name: str, calls: list[Callable[[], Awaitable[tuple[float, Answer]]]]
) -> dict[str, Any]:
    started = time.perf_counter()
    results = await asyncio.gather(*(c() for c in calls))
    elapsed = time.perf_counter() - started
    failed = [r for _, r in results if r.status_code >= 300]
    if failed:
        raise RuntimeError(f"{name}: {len(failed)} refused; first: {failed[0].text[:300]}")
    latencies = sorted(t * 1000 for t, _ in results)
    return {
        "phase": name,
        "commands": len(calls),
        "seconds": round(elapsed, 2),
        "commands_per_s": round(len(calls) / elapsed, 1),
        "latency_ms": {
            "p50": round(statistics.median(latencies), 1),
            "p99": round(latencies[max(0, int(len(latencies) * 0.99) - 1)], 1),
        },
    }


async def _households(org: httpx.AsyncClient, communities: dict[str, str], n: int) -> list[dict]:
    """Households with a responsible member, spread over the demo's communities."""
    rng = random.Random(7)
    found: list[dict] = []
    for community_id in communities.values():
        tree = (await org.get(f"/communities/{community_id}/tree")).json()
        buildings = [b["id"] for c in tree for a in c["areas"] for b in a["buildings"]]
        rng.shuffle(buildings)
        for building_id in buildings[:8]:
            homes = (await org.get(f"/buildings/{building_id}")).json()["households"]
            for home in homes:
                if home["member_id"]:
                    found.append(
                        {
                            "community": community_id,
                            "household": home["id"],
                            "member": home["member_id"],
                        }
                    )
    rng.shuffle(found)
    if len(found) < n:
        found = (found * (n // max(1, len(found)) + 1))[:n]
    return found[:n]


async def run(layout: Layout, quick: bool) -> dict[str, Any]:
    state = json.loads(layout.state_file.read_text())
    communities: dict[str, str] = state["demo"]["communities"]
    urls = {name: s["url"] for name, s in state["services"].items()}
    n = 200 if quick else 2000
    admin = stack.mint(layout, subject="bench", roles=["county_admin"], county=dongan.COUNTY)
    async with httpx.AsyncClient(
        base_url=urls["organisation"], headers={"Authorization": f"Bearer {admin}"}, timeout=60
    ) as org:
        homes = await _households(org, communities, n)
    tokens: dict[tuple[str, str], str] = {}

    def token(role: str, subject: str, community: str | None = None) -> str:
        if (role, subject) not in tokens:
            tokens[(role, subject)] = stack.mint(
                layout, subject=subject, roles=[role], communities=[community] if community else []
            )
        return tokens[(role, subject)]

    client = _Client(urls["requests"], IN_FLIGHT)
    ids: list[str] = [""] * n

    def submit(i: int) -> Callable[[], Awaitable[tuple[float, Answer]]]:
        async def call() -> tuple[float, Answer]:
            h = homes[i]
            took, answer = await client.send(
                "POST",
                "/requests",
                token("resident", f"bench-resident-{i}", h["community"]),
                {
                    "category": "repairs",
                    "address": {"household_id": h["household"]},
                    "text": "压测：楼道灯坏了",
                },
            )
            if answer.status_code < 300:
                ids[i] = answer.json()["id"]
            return took, answer

        return call

    def step(i: int, path: str, who: Callable[[int], str], body: dict[str, Any] | None = None):
        async def call() -> tuple[float, Answer]:
            return await client.send("POST", f"/requests/{ids[i]}/{path}", who(i), body)

        return call

    def member(i: int) -> str:
        return token("member", homes[i]["member"])

    def resident(i: int) -> str:
        return token("resident", f"bench-resident-{i}", homes[i]["community"])

    closed_before = await _closed(client, admin, communities)
    phases = [await _phase("submit", [submit(i) for i in range(n)])]
    phases.append(await _phase("claim", [step(i, "claim", member) for i in range(n)]))
    phases.append(
        await _phase(
            "resolve", [step(i, "resolve", member, {"resolution": "已处理"}) for i in range(n)]
        )
    )
    phases.append(
        await _phase(
            "rate", [step(i, "rating", resident, {"rating": "satisfied"}) for i in range(n)]
        )
    )
    settle = await _read_model_settles(client, admin, communities, closed_before + n)
    await client.http.close()
    total = sum(p["commands"] for p in phases)
    seconds = sum(p["seconds"] for p in phases)
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}",
        "requests": n,
        "in_flight": IN_FLIGHT,
        "phases": phases,
        "commands_per_s_overall": round(total / seconds, 1),
        "read_model_settled_s_after_last_rating": round(settle, 2),
    }


async def _closed(client: _Client, admin: str, communities: dict[str, str]) -> int:
    total = 0
    for community_id in communities.values():
        _, listed = await client.send("GET", f"/communities/{community_id}/requests?limit=1", admin)
        total += listed.json()["counts"].get("closed", 0)
    return total


async def _read_model_settles(
    client: _Client, admin: str, communities: dict[str, str], expected: int
) -> float:
    """Seconds from the last rating's answer until the read model counts every bench
    request closed."""
    started = time.perf_counter()
    while await _closed(client, admin, communities) < expected:
        if time.perf_counter() - started > 120:
            raise RuntimeError("the read model did not catch up in 120 s")
        await asyncio.sleep(0.02)
    return time.perf_counter() - started


def _markdown(result: dict[str, Any]) -> str:
    rows = "\n".join(
        f"| {p['phase']} | {p['commands']} | {p['commands_per_s']:,.0f} | "
        f"{p['latency_ms']['p50']} | {p['latency_ms']['p99']} |"
        for p in result["phases"]
    )
    return (
        "# Requests benchmark\n\n"
        f"`make bench-requests` on {result['machine']}, measured {result['measured_at']}: "
        f"{result['requests']} requests, {result['in_flight']} in flight, everything on one "
        "machine.\n\n| phase | commands | commands/s | p50 ms | p99 ms |\n"
        f"| --- | ---: | ---: | ---: | ---: |\n{rows}\n\n"
        f"Overall {result['commands_per_s_overall']:,.0f} commands/s; the "
        f"read model showed the last request closed "
        f"{result['read_model_settled_s_after_last_rating']} s after its rating was answered.\n"
    )


def main(layout: Layout, *, quick: bool = False) -> int:
    result = asyncio.run(run(layout, quick))
    out = layout.root / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "requests.json").write_text(json.dumps(result, indent=2) + "\n")
    (out / "requests.md").write_text(_markdown(result))
    table = Table(title=f"Requests benchmark: {result['requests']} requests")
    for col in ("phase", "commands/s", "p50 ms", "p99 ms"):
        table.add_column(col)
    for p in result["phases"]:
        table.add_row(
            p["phase"],
            f"{p['commands_per_s']:,.0f}",
            str(p["latency_ms"]["p50"]),
            str(p["latency_ms"]["p99"]),
        )
    console.print(table)
    console.print(f"wrote {Path(out / 'requests.json').relative_to(layout.root)} and requests.md")
    return 0
