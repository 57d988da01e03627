"""Volunteering per community: certified hours per month and per certifier (team), activities
held and residents served per month, and the weekend rota with its gaps, from the
volunteering service's public topic.

Hours count in the month of the day served (China Standard Time), as in the volunteering
service. An activity counts as held once completed, in the month it started (CST). A gap is
a slot of the weekend that nobody holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeAlias

import asyncpg
from grassroots_contracts.topics import VOLUNTEERING_EVENTS
from grassroots_contracts.volunteering import events as pub
from grassroots_eventkit.migrations import Migration
from grassroots_eventkit.tables import Rules, TableProjector, Write, rules

GROUP = "grassroots.projections.volunteering_figures"

MIGRATION = Migration(
    name="projections.0004_volunteering_figures",
    sql="""
CREATE TABLE pj_vo_hours (
    community_id text NOT NULL,
    source_id    text NOT NULL,
    member_id    text NOT NULL,
    certified_by text NOT NULL,
    certifier    text NOT NULL,
    served_on    date NOT NULL,
    hours        numeric(8, 2) NOT NULL,
    PRIMARY KEY (community_id, source_id, member_id)
);
CREATE INDEX pj_vo_hours_month ON pj_vo_hours (community_id, served_on);
CREATE TABLE pj_vo_teams (
    community_id text NOT NULL,
    team_id      text NOT NULL,
    name         text NOT NULL,
    kind         text NOT NULL,
    PRIMARY KEY (community_id, team_id)
);
CREATE TABLE pj_vo_activities (
    community_id     text NOT NULL,
    activity_id      text NOT NULL,
    kind             text NOT NULL,
    starts_at        timestamptz NOT NULL,
    completed_at     timestamptz,
    residents_served integer,
    PRIMARY KEY (community_id, activity_id)
);
CREATE TABLE pj_vo_slots (
    community_id text NOT NULL,
    slot_id      text NOT NULL,
    weekend      date NOT NULL,
    area         text NOT NULL,
    starts_at    timestamptz NOT NULL,
    ends_at      timestamptz NOT NULL,
    holder       text,
    PRIMARY KEY (community_id, slot_id)
);
CREATE INDEX pj_vo_slots_weekend ON pj_vo_slots (community_id, weekend, starts_at);
""",
)


def _slot(assignment: str) -> str:
    return f"UPDATE pj_vo_slots SET {assignment} WHERE community_id = $1 AND slot_id = $2"


RULES: Rules = rules(
    (
        pub.TeamRegistered,
        Write(
            "INSERT INTO pj_vo_teams (community_id, team_id, name, kind) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT DO NOTHING",
            lambda e: (e.community_id, e.team_id, e.name, e.kind),
        ),
    ),
    (
        pub.ActivityScheduled,
        Write(
            "INSERT INTO pj_vo_activities (community_id, activity_id, kind, starts_at)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            lambda e: (e.community_id, e.activity_id, e.kind, e.starts_at),
        ),
    ),
    (
        pub.ActivityCompleted,
        Write(
            "UPDATE pj_vo_activities SET residents_served = $3, completed_at = $4"
            " WHERE community_id = $1 AND activity_id = $2",
            lambda e: (e.community_id, e.activity_id, e.residents_served, e.completed_at),
        ),
    ),
    (
        pub.HoursCertified,
        Write(
            "INSERT INTO pj_vo_hours (community_id, source_id, member_id, certified_by,"
            " certifier, served_on, hours) VALUES ($1, $2, $3, $4, $5, $6, $7)"
            " ON CONFLICT DO NOTHING",
            lambda e: (
                e.community_id,
                e.source_id,
                e.member_id,
                e.certified_by,
                e.certifier,
                e.served_on,
                e.hours,
            ),
        ),
    ),
    (
        pub.ShiftSlotsOpened,
        Write(
            "INSERT INTO pj_vo_slots (community_id, slot_id, weekend, area, starts_at, ends_at)"
            " SELECT $1, s, $2, a, st, en FROM unnest($3::text[], $4::text[],"
            " $5::timestamptz[], $6::timestamptz[]) AS x(s, a, st, en)"
            " ON CONFLICT DO NOTHING",
            lambda e: (
                e.community_id,
                e.weekend,
                [s.slot_id for s in e.slots],
                [s.area for s in e.slots],
                [s.starts_at for s in e.slots],
                [s.ends_at for s in e.slots],
            ),
        ),
    ),
    (
        pub.ShiftClaimed,
        Write(_slot("holder = $3"), lambda e: (e.community_id, e.slot_id, e.member_id)),
    ),
    (pub.ShiftReleased, Write(_slot("holder = NULL"), lambda e: (e.community_id, e.slot_id))),
    (
        pub.ShiftsSwapped,
        (
            Write(_slot("holder = $3"), lambda e: (e.community_id, e.slot_id, e.member_id)),
            Write(
                _slot("holder = $3"),
                lambda e: (e.community_id, e.other_slot_id, e.other_member_id),
            ),
        ),
    ),
)


def projector() -> TableProjector:
    return TableProjector(GROUP, (VOLUNTEERING_EVENTS.name,), RULES)


Db: TypeAlias = asyncpg.Pool | asyncpg.Connection


@dataclass(frozen=True, slots=True)
class MonthHours:
    month: str
    hours: float
    members: int


@dataclass(frozen=True, slots=True)
class CertifierHours:
    month: str
    certified_by: str
    certifier: str
    team: str | None
    hours: float
    members: int


@dataclass(frozen=True, slots=True)
class MonthActivities:
    month: str
    held: int
    residents_served: int


@dataclass(frozen=True, slots=True)
class Slot:
    slot_id: str
    area: str
    starts_at: datetime
    ends_at: datetime
    holder: str | None


async def hours_by_month(db: Db, community_id: str, first: date, last: date) -> list[MonthHours]:
    rows = await db.fetch(
        "SELECT to_char(served_on, 'YYYY-MM') AS month, sum(hours)::float AS hours,"
        " count(DISTINCT member_id) AS members FROM pj_vo_hours"
        " WHERE community_id = $1 AND served_on BETWEEN $2 AND $3 GROUP BY 1 ORDER BY 1",
        community_id,
        first,
        last,
    )
    return [MonthHours(r["month"], round(r["hours"], 2), int(r["members"])) for r in rows]


async def hours_by_certifier(
    db: Db, community_id: str, first: date, last: date
) -> list[CertifierHours]:
    """Per team (or the community itself, for shifts and community-run activities)."""
    rows = await db.fetch(
        "SELECT to_char(h.served_on, 'YYYY-MM') AS month, h.certified_by, h.certifier,"
        " t.name AS team, sum(h.hours)::float AS hours, count(DISTINCT h.member_id) AS members"
        " FROM pj_vo_hours h LEFT JOIN pj_vo_teams t"
        "   ON t.community_id = h.community_id AND t.team_id = h.certified_by"
        " WHERE h.community_id = $1 AND h.served_on BETWEEN $2 AND $3"
        " GROUP BY 1, 2, 3, 4 ORDER BY 1, 5 DESC, 2",
        community_id,
        first,
        last,
    )
    return [
        CertifierHours(
            r["month"],
            r["certified_by"],
            r["certifier"],
            r["team"],
            round(r["hours"], 2),
            int(r["members"]),
        )
        for r in rows
    ]


async def hours_in(db: Db, community_ids: list[str], first: date, last: date) -> dict[str, float]:
    rows = await db.fetch(
        "SELECT community_id, sum(hours)::float AS hours FROM pj_vo_hours"
        " WHERE community_id = ANY($1::text[]) AND served_on BETWEEN $2 AND $3 GROUP BY 1",
        community_ids,
        first,
        last,
    )
    return {r["community_id"]: round(r["hours"], 2) for r in rows}


async def activities_by_month(
    db: Db, community_id: str, first: date, last: date
) -> list[MonthActivities]:
    rows = await db.fetch(
        "SELECT to_char(starts_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') AS month,"
        " count(*) AS held, coalesce(sum(residents_served), 0) AS served"
        " FROM pj_vo_activities WHERE community_id = $1 AND completed_at IS NOT NULL"
        " AND (starts_at AT TIME ZONE 'Asia/Shanghai')::date BETWEEN $2 AND $3"
        " GROUP BY 1 ORDER BY 1",
        community_id,
        first,
        last,
    )
    return [MonthActivities(r["month"], int(r["held"]), int(r["served"])) for r in rows]


async def rota(db: Db, community_id: str, weekend: date) -> list[Slot]:
    rows = await db.fetch(
        "SELECT slot_id, area, starts_at, ends_at, holder FROM pj_vo_slots"
        " WHERE community_id = $1 AND weekend = $2 ORDER BY starts_at, area, slot_id",
        community_id,
        weekend,
    )
    return [Slot(r["slot_id"], r["area"], r["starts_at"], r["ends_at"], r["holder"]) for r in rows]


async def gaps(db: Db, community_ids: list[str], weekend: date) -> dict[str, tuple[int, int]]:
    """(slots, unheld slots) of the weekend per community."""
    rows = await db.fetch(
        "SELECT community_id, count(*) AS slots, count(*) FILTER (WHERE holder IS NULL) AS gaps"
        " FROM pj_vo_slots WHERE community_id = ANY($1::text[]) AND weekend = $2 GROUP BY 1",
        community_ids,
        weekend,
    )
    return {r["community_id"]: (int(r["slots"]), int(r["gaps"])) for r in rows}
