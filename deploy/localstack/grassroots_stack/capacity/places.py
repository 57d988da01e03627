"""The simulated province's counties and communities: names and ids, seeded."""

from __future__ import annotations

import random
from dataclasses import dataclass

from grassroots_stack.capacity.planned import new_id
from grassroots_stack.capacity.scale import Province

TOWNS_PER_COUNTY = 15  # Dong'an has about fifteen towns and townships


@dataclass(frozen=True, slots=True)
class Place:
    community_id: str
    name: str
    county: str
    town: str
    index: int  # 0 .. communities-1, county by county


def county_name(n: int) -> str:
    """Invented, numbered names: only 东安县 is real, and it is the demo's."""
    return f"模拟县{n + 1:03d}"


def places(province: Province, seed: int) -> list[Place]:
    rng = random.Random(f"{seed}:places")
    found = []
    for i in range(province.communities):
        county, within = divmod(i, province.per_county)
        found.append(
            Place(
                community_id=new_id(rng),
                name=f"第{within + 1}社区",
                county=county_name(county),
                town=f"第{within % TOWNS_PER_COUNTY + 1}镇",
                index=i,
            )
        )
    return found
