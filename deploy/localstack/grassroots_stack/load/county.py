"""The running demo county as the load sees it: its communities, the households a
responsible member answers for, and the tokens each actor uses.

Read once over HTTP before the load starts, so the load itself only writes.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any

import httpx

from grassroots_stack import stack
from grassroots_stack.demo import dongan
from grassroots_stack.layout import Layout

BUILDINGS_PER_COMMUNITY = 12  # buildings whose households are read, per community


@dataclass(frozen=True, slots=True)
class Home:
    community: str
    household: str
    member: str  # the party member who answers for the household (and volunteers)


@dataclass(frozen=True, slots=True)
class County:
    name: str
    urls: dict[str, str]  # service name -> base URL
    homes: dict[str, tuple[Home, ...]]  # community id -> its homes with a member
    admin_token: str

    @property
    def communities(self) -> tuple[str, ...]:
        return tuple(self.homes)


class Tokens:
    """Each actor's token, minted once from the local issuer."""

    def __init__(self, layout: Layout) -> None:
        self._layout = layout
        self._made: dict[tuple[str, str, str], str] = {}

    def _token(self, subject: str, role: str, community: str) -> str:
        key = (subject, role, community)
        if key not in self._made:
            self._made[key] = stack.mint(
                self._layout, subject=subject, roles=[role], communities=[community]
            )
        return self._made[key]

    def staff(self, community: str) -> str:
        return self._token(f"load-staff-{community[:8]}", "community_staff", community)

    def member(self, home: Home) -> str:
        return self._token(home.member, "member", home.community)

    def resident(self, name: str, community: str) -> str:
        return self._token(name, "resident", community)


async def discover(layout: Layout, seed: int) -> County:
    """The demo's communities and, in each, households whose member answers for them."""
    state: dict[str, Any] = json.loads(layout.state_file.read_text())
    if "demo" not in state:
        raise RuntimeError("the load needs the demo county: run `grassroots stack up` with it")
    communities: dict[str, str] = state["demo"]["communities"]
    urls = {name: s["url"] for name, s in state["services"].items()}
    admin = stack.mint(layout, subject="load", roles=["county_admin"], county=dongan.COUNTY)
    rng = random.Random(seed)
    homes: dict[str, tuple[Home, ...]] = {}
    async with httpx.AsyncClient(
        base_url=urls["organisation"], headers={"Authorization": f"Bearer {admin}"}, timeout=60
    ) as org:
        for community in communities.values():
            homes[community] = await _homes(org, community, rng)
    empty = [c for c, found in homes.items() if not found]
    if empty:
        raise RuntimeError(f"no household with a member in communities {empty}")
    return County(name=dongan.COUNTY, urls=urls, homes=homes, admin_token=admin)


async def _homes(org: httpx.AsyncClient, community: str, rng: random.Random) -> tuple[Home, ...]:
    tree = (await org.get(f"/communities/{community}/tree")).raise_for_status().json()
    buildings = sorted(b["id"] for c in tree for a in c["areas"] for b in a["buildings"])
    rng.shuffle(buildings)
    found: list[Home] = []
    for building in buildings[:BUILDINGS_PER_COMMUNITY]:
        answer = (await org.get(f"/buildings/{building}")).raise_for_status().json()
        found.extend(
            Home(community=community, household=h["id"], member=h["member_id"])
            for h in answer["households"]
            if h["member_id"]
        )
    rng.shuffle(found)
    return tuple(found)
