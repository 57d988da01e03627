"""Queries over the grid read model: the organisation tree, coverage, the double report."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

Db = asyncpg.Pool | asyncpg.Connection


@dataclass(frozen=True, slots=True)
class Ratio:
    total: int
    covered: int

    @property
    def rate(self) -> float | None:
        return round(self.covered / self.total, 4) if self.total else None


async def coverage(db: Db, community_id: str) -> dict[str, Ratio]:
    """有效覆盖: compounds with a branch, buildings with a party group, households with a
    responsible member."""
    row = await db.fetchrow(
        """
        SELECT
          (SELECT count(*) FROM rm_compounds WHERE community_id = $1) AS compounds,
          (SELECT count(*) FROM rm_compounds WHERE community_id = $1 AND branch_id IS NOT NULL)
            AS compounds_with_branch,
          (SELECT count(*) FROM rm_buildings WHERE community_id = $1 AND NOT retired) AS buildings,
          (SELECT count(*) FROM rm_buildings
            WHERE community_id = $1 AND NOT retired AND group_leader IS NOT NULL)
            AS buildings_with_group,
          (SELECT count(*) FROM rm_households WHERE community_id = $1) AS households,
          (SELECT count(*) FROM rm_households WHERE community_id = $1 AND member_id IS NOT NULL)
            AS households_with_member
        """,
        community_id,
    )
    assert row is not None
    return {
        "compounds_with_branch": Ratio(row["compounds"], row["compounds_with_branch"]),
        "buildings_with_party_group": Ratio(row["buildings"], row["buildings_with_group"]),
        "households_with_responsible_member": Ratio(
            row["households"], row["households_with_member"]
        ),
    }


@dataclass(frozen=True, slots=True)
class Reporting:
    period: int
    in_service: int
    reported_residence: int
    reported_contact: int
    reported_both: int
    not_reported: list[dict[str, Any]]

    @property
    def rate(self) -> float | None:
        return round(self.reported_both / self.in_service, 4) if self.in_service else None


async def reporting(db: Db, community_id: str, period: int, *, limit: int = 100) -> Reporting:
    """双报到 of the in-service members living in the community."""
    counts = await db.fetchrow(
        """
        SELECT count(*) AS in_service,
               count(r.member_id) AS residence,
               count(c.member_id) AS contact,
               count(*) FILTER (WHERE r.member_id IS NOT NULL AND c.member_id IS NOT NULL) AS both
        FROM rm_members m
        LEFT JOIN rm_member_reports r
          ON r.community_id = m.community_id AND r.member_id = m.member_id AND r.period = $2
        LEFT JOIN rm_member_reports c
          ON c.community_id = m.contact_community_id AND c.member_id = m.member_id
         AND c.period = $2
        WHERE m.community_id = $1 AND m.kind = 'in_service'
        """,
        community_id,
        period,
    )
    assert counts is not None
    missing = await db.fetch(
        """
        SELECT m.member_id, m.contact_community_id,
               r.member_id IS NOT NULL AS residence, c.member_id IS NOT NULL AS contact
        FROM rm_members m
        LEFT JOIN rm_member_reports r
          ON r.community_id = m.community_id AND r.member_id = m.member_id AND r.period = $2
        LEFT JOIN rm_member_reports c
          ON c.community_id = m.contact_community_id AND c.member_id = m.member_id
         AND c.period = $2
        WHERE m.community_id = $1 AND m.kind = 'in_service'
          AND (r.member_id IS NULL OR c.member_id IS NULL)
        ORDER BY m.member_id LIMIT $3
        """,
        community_id,
        period,
        limit,
    )
    return Reporting(
        period=period,
        in_service=counts["in_service"],
        reported_residence=counts["residence"],
        reported_contact=counts["contact"],
        reported_both=counts["both"],
        not_reported=[
            {
                "member_id": r["member_id"],
                "reported_to_residence": r["residence"],
                "reported_to_contact": r["contact"],
                "contact_community_id": r["contact_community_id"],
            }
            for r in missing
        ],
    )


async def tree(db: Db, community_id: str) -> list[dict[str, Any]]:
    """Compounds → areas → buildings, with the party organisation at each level."""
    compounds = await db.fetch(
        "SELECT compound_id, name, branch_id, secretary, key_leader FROM rm_compounds"
        " WHERE community_id = $1 ORDER BY name",
        community_id,
    )
    areas = await db.fetch(
        "SELECT area_id, compound_id, name, committee_member FROM rm_areas"
        " WHERE community_id = $1 ORDER BY name",
        community_id,
    )
    buildings = await db.fetch(
        """
        SELECT b.building_id, b.compound_id, b.area_id, b.name, b.units, b.head, b.group_leader,
               count(h.household_id) AS households,
               count(h.member_id) AS households_with_member
        FROM rm_buildings b
        LEFT JOIN rm_households h
          ON h.community_id = b.community_id AND h.building_id = b.building_id
        WHERE b.community_id = $1 AND NOT b.retired
        GROUP BY b.community_id, b.building_id
        ORDER BY b.name
        """,
        community_id,
    )
    out = []
    for c in compounds:

        def building_rows(
            area_id: str | None, compound_id: str = c["compound_id"]
        ) -> list[dict[str, Any]]:
            return [
                {
                    "id": b["building_id"],
                    "name": b["name"],
                    "units": b["units"],
                    "households": b["households"],
                    "households_with_member": b["households_with_member"],
                    "building_head": b["head"],
                    "party_group_leader": b["group_leader"],
                }
                for b in buildings
                if b["compound_id"] == compound_id and b["area_id"] == area_id
            ]

        out.append(
            {
                "id": c["compound_id"],
                "name": c["name"],
                "branch_id": c["branch_id"],
                "branch_secretary": c["secretary"],
                "key_compound_leader": c["key_leader"],
                "areas": [
                    {
                        "id": a["area_id"],
                        "name": a["name"],
                        "committee_member": a["committee_member"],
                        "buildings": building_rows(a["area_id"]),
                    }
                    for a in areas
                    if a["compound_id"] == c["compound_id"]
                ],
                "buildings_outside_areas": building_rows(None),
            }
        )
    return out
