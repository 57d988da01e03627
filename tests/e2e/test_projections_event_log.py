"""The dashboard's figures equal numbers folded here, independently, from the event log.

Every record of the four public topics is read from offset 0 to the topics' ends, once the
projections' consumer groups have committed up to those ends, and folded in plain Python
from the definitions of docs/projections.md, docs/requests.md and the event contracts:
never the projections service's code or SQL. The fold is compared, for every demo
community, with `GET /dashboard/api/communities/{id}`, and with the demo communities' rows
of `GET /dashboard/api/county`.

Other tests and the services' timers may append events while this runs. A round records
the ends, folds, fetches the dashboards, then reads what arrived past those ends: when a
record is about a demo community (keyed by it, the Kafka key being the community id, or
naming it, as a unit organisation's events keyed by the county do), the round is replayed,
up to three times. Figures that depend on the clock (overdue, the response rate)
are folded at the moments just before and just after each answer: when these differ, a
deadline fell inside the request and the round is replayed too.
"""

from __future__ import annotations

import math
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import httpx
import pytest
from grassroots_contracts.topics import ALL_TOPICS

from tests.support.event_log import (
    LoggedEvent,
    end_offsets,
    read_to,
    wait_until_committed,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

COUNTY = "东安县"
# China Standard Time has had no daylight saving since 1991: a fixed offset.
CST = timezone(timedelta(hours=8))
TOPICS = [t.name for t in ALL_TOPICS]
ORGANISATION, REQUESTS, VOLUNTEERING, POINTS = (
    f"grassroots.{s}.events" for s in ("organisation", "requests", "volunteering", "points")
)
# docs/projections.md: each view's consumer group and the topic it reads.
GROUPS = {
    "grassroots.projections.communities": ORGANISATION,
    "grassroots.projections.organisation_figures": ORGANISATION,
    "grassroots.projections.requests_figures": REQUESTS,
    "grassroots.projections.volunteering_figures": VOLUNTEERING,
    "grassroots.projections.points_figures": POINTS,
}
ROUNDS = 3
CATCH_UP_S = 180.0

STATUSES = ("open", "claimed", "resolved", "closed", "cancelled", "rejected", "merged")
FINAL = {
    "RequestCancelled": ("cancelled", "cancelled_at"),
    "RequestRejected": ("rejected", "rejected_at"),
    "RequestMerged": ("merged", "merged_at"),
}
NEVER_ANSWERED_LEFT_OUT = ("cancelled", "rejected", "merged")
SATISFIED = ("satisfied", "basically_satisfied")
EARNED = ("award", "deduction", "reversal", "manual")
# The dashboard names a pledge's status after its last event (the organisation service's own
# API says in_progress and done for the last two).
PLEDGE_STATUS = {
    "PledgeMade": "pledged",
    "PledgeStarted": "in_progress",
    "PledgeCompleted": "done",
}


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _cst_day(moment: datetime) -> date:
    return moment.astimezone(CST).date()


def _cst_month(moment: datetime) -> str:
    return moment.astimezone(CST).strftime("%Y-%m")


# ---------------------------------------------------------------------------------------
# The log: decoded, deduplicated by event id (as every consumer does), in partition order.


@dataclass(frozen=True)
class Log:
    events: list[LoggedEvent]

    @classmethod
    def of(cls, records: Iterable[LoggedEvent]) -> Log:
        seen: set[Any] = set()
        unique = []
        for r in records:
            if r.event.event_id not in seen:
                seen.add(r.event.event_id)
                unique.append(r)
        return cls(unique)

    def of_type(self, *names: str) -> Iterator[tuple[str, dict[str, Any], LoggedEvent]]:
        """(type name, payload, record) of the events of those types, in log order."""
        for r in self.events:
            if r.type_name in names:
                yield r.type_name, r.event.payload, r


# ---------------------------------------------------------------------------------------
# The clock: today, this month, the 12 months' window and the coming weekend (CST).


@dataclass(frozen=True)
class Clock:
    now: datetime

    @property
    def today(self) -> date:
        return _cst_day(self.now)

    @property
    def month(self) -> str:
        return self.today.strftime("%Y-%m")

    @property
    def months(self) -> list[str]:
        """The last 12 months, this one included, oldest first."""
        index = self.today.year * 12 + self.today.month - 1
        return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - 11, index + 1)]

    @property
    def weekend(self) -> date:
        """The Saturday on or after today; from a Sunday, the next one."""
        return self.today + timedelta(days=(5 - self.today.weekday()) % 7)


# ---------------------------------------------------------------------------------------
# Requests: each request's state from its lifecycle events.


@dataclass
class Request:
    community_id: str
    category: str
    submitted_at: datetime
    respond_by: datetime
    resolve_by: datetime
    status: str = "open"
    holder: str | None = None
    answered_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    outcome: str | None = None

    def answer(self, at: datetime) -> None:
        """The first claim, department report or resolution answers it."""
        if self.answered_at is None:
            self.answered_at = at


@dataclass
class RequestsLog:
    requests: dict[str, Request] = field(default_factory=dict)
    ratings: list[tuple[str, datetime, str]] = field(default_factory=list)
    whistles: list[dict[str, Any]] = field(default_factory=list)


def fold_requests(log: Log) -> RequestsLog:
    """docs/projections.md "Request status": submitted → open; claimed or taken by a
    department → claimed; escalated → open (nobody holds it); resolved → resolved; reopened
    → claimed if held, else open (its resolution no longer stands); closed, cancelled,
    rejected, merged are final."""
    out = RequestsLog()
    rq = out.requests
    for kind, e, _ in log.of_type(
        "RequestSubmitted",
        "RequestClaimed",
        "RequestEscalated",
        "DepartmentReported",
        "RequestResolved",
        "RequestRated",
        "RequestReopened",
        "RequestClosed",
        *FINAL,
    ):
        rid = e["request_id"]
        if kind == "RequestSubmitted":
            rq[rid] = Request(
                e["community_id"],
                e["category"],
                _at(e["submitted_at"]),
                _at(e["respond_by"]),
                _at(e["resolve_by"]),
            )
        elif kind == "RequestClaimed":
            rq[rid].status, rq[rid].holder = "claimed", e["member_id"]
            rq[rid].answer(_at(e["claimed_at"]))
        elif kind == "RequestEscalated":
            rq[rid].status, rq[rid].holder = "open", None
            out.whistles.append(e)
        elif kind == "DepartmentReported":
            rq[rid].status, rq[rid].holder = "claimed", f"department:{e['department']}"
            rq[rid].answer(_at(e["reported_at"]))
        elif kind == "RequestResolved":
            rq[rid].status, rq[rid].resolved_at = "resolved", _at(e["resolved_at"])
            rq[rid].answer(_at(e["resolved_at"]))
        elif kind == "RequestRated":
            out.ratings.append((e["community_id"], _at(e["rated_at"]), e["rating"]))
        elif kind == "RequestReopened":
            rq[rid].status = "claimed" if rq[rid].holder else "open"
            rq[rid].resolve_by, rq[rid].resolved_at = _at(e["resolve_by"]), None
        elif kind == "RequestClosed":
            rq[rid].status, rq[rid].outcome = "closed", e["outcome"]
            rq[rid].closed_at = _at(e["closed_at"])
        else:
            status, stamp = FINAL[kind]
            rq[rid].status, rq[rid].closed_at = status, _at(e[stamp])
    return out


def requests_counts(requests: list[Request]) -> dict[str, Any]:
    by_status = dict.fromkeys(STATUSES, 0) | Counter(r.status for r in requests)
    by_category: dict[str, Counter[str]] = defaultdict(Counter)
    for r in requests:
        by_category[r.category][r.status] += 1
    return {
        "by_status": by_status,
        "by_category": {c: dict(s) for c, s in by_category.items()},
        "open": by_status["open"] + by_status["claimed"],
    }


def overdue(requests: list[Request], now: datetime) -> int:
    """Open or claimed, and unanswered past respond_by or past resolve_by (the requests
    service's /overdue)."""
    return sum(
        1
        for r in requests
        if r.status in ("open", "claimed")
        and ((r.answered_at is None and r.respond_by < now) or r.resolve_by < now)
    )


def _rate(yes: int, total: int) -> dict[str, Any]:
    return {
        "numerator": yes,
        "denominator": total,
        "value": round(yes / total, 4) if total else None,
    }


def rates(
    requests: list[Request], ratings: list[tuple[datetime, str]], months: list[str], now: datetime
) -> list[dict[str, Any]]:
    """docs/requests.md "The three rates", per month (CST):
    response = submitted in the month and answered by respond_by / submitted in the month
    and answered, or unanswered past respond_by unless withdrawn, rejected or merged;
    resolution = closed as resolved in the month / closed in the month (the outcome, not
    cancelled, rejected or merged); satisfaction = satisfied or basically satisfied ratings
    in the month / ratings in the month."""
    out = []
    for month in months:
        known = [
            r
            for r in requests
            if _cst_month(r.submitted_at) == month
            and (
                r.answered_at is not None
                or (r.respond_by < now and r.status not in NEVER_ANSWERED_LEFT_OUT)
            )
        ]
        in_time = [r for r in known if r.answered_at is not None and r.answered_at <= r.respond_by]
        closed = [
            r
            for r in requests
            if r.status == "closed" and r.closed_at and _cst_month(r.closed_at) == month
        ]
        rated = [rating for at, rating in ratings if _cst_month(at) == month]
        response = _rate(len(in_time), len(known))
        resolution = _rate(sum(r.outcome == "resolved" for r in closed), len(closed))
        satisfaction = _rate(sum(x in SATISFIED for x in rated), len(rated))
        values = [
            x["value"] for x in (response, resolution, satisfaction) if x["value"] is not None
        ]
        out.append(
            {
                "month": month,
                "response_rate": response,
                "resolution_rate": resolution,
                "satisfaction_rate": satisfaction,
                "mean": sum(values) / len(values) if values else None,
            }
        )
    return out


def _percentile(values: list[float], q: float) -> float | None:
    """percentile_cont: linear interpolation between the closest ranks."""
    if not values:
        return None
    s = sorted(values)
    pos = q * (len(s) - 1)
    lo, hi = math.floor(pos), math.ceil(pos)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def _duration(minutes: list[float]) -> dict[str, Any]:
    return {
        "count": len(minutes),
        "p50": _percentile(minutes, 0.5),
        "p90": _percentile(minutes, 0.9),
    }


def times(requests: list[Request]) -> dict[str, dict[str, Any]]:
    """Minutes to respond (submission → first answer) and to resolve (submission → the
    resolution that stands: resolved now, or closed as resolved)."""
    respond = [
        (r.answered_at - r.submitted_at).total_seconds() / 60
        for r in requests
        if r.answered_at is not None
    ]
    resolve = [
        (r.resolved_at - r.submitted_at).total_seconds() / 60
        for r in requests
        if r.resolved_at is not None and (r.status == "resolved" or r.outcome == "resolved")
    ]
    return {"minutes_to_respond": _duration(respond), "minutes_to_resolve": _duration(resolve)}


def whistles(escalations: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "total": len(escalations),
        "automatic": sum(1 for e in escalations if e["automatic"]),
        "by_to_level": dict(Counter(e["to_level"] for e in escalations)),
        "by_department": dict(Counter(e["department"] for e in escalations if e["department"])),
        "by_kind": dict(Counter(e["whistle"] for e in escalations)),
    }


# ---------------------------------------------------------------------------------------
# Volunteering: certified hours, activities held, the rota.


@dataclass
class VolunteeringLog:
    teams: dict[tuple[str, str], str] = field(default_factory=dict)
    hours: list[dict[str, Any]] = field(default_factory=list)
    activities: dict[str, dict[str, Any]] = field(default_factory=dict)
    slots: dict[str, dict[str, Any]] = field(default_factory=dict)


def fold_volunteering(log: Log) -> VolunteeringLog:
    out = VolunteeringLog()
    for kind, e, _ in log.of_type(
        "TeamRegistered",
        "HoursCertified",
        "ActivityScheduled",
        "ActivityCompleted",
        "ShiftSlotsOpened",
        "ShiftClaimed",
        "ShiftReleased",
        "ShiftsSwapped",
    ):
        if kind == "TeamRegistered":
            out.teams[(e["community_id"], e["team_id"])] = e["name"]
        elif kind == "HoursCertified":
            out.hours.append(e)
        elif kind == "ActivityScheduled":
            out.activities[e["activity_id"]] = {
                "community_id": e["community_id"],
                "starts_at": _at(e["starts_at"]),
                "completed": False,
                "residents_served": 0,
            }
        elif kind == "ActivityCompleted":
            activity = out.activities[e["activity_id"]]
            activity["completed"], activity["residents_served"] = True, e["residents_served"]
        elif kind == "ShiftSlotsOpened":
            for s in e["slots"]:
                out.slots[s["slot_id"]] = {
                    "community_id": e["community_id"],
                    "weekend": date.fromisoformat(e["weekend"]),
                    "slot_id": s["slot_id"],
                    "area": s["area"],
                    "starts_at": _at(s["starts_at"]),
                    "ends_at": _at(s["ends_at"]),
                    "holder": None,
                }
        elif kind == "ShiftClaimed":
            out.slots[e["slot_id"]]["holder"] = e["member_id"]
        elif kind == "ShiftReleased":
            out.slots[e["slot_id"]]["holder"] = None
        else:  # ShiftsSwapped: each slot now held by the other's member
            out.slots[e["slot_id"]]["holder"] = e["member_id"]
            out.slots[e["other_slot_id"]]["holder"] = e["other_member_id"]
    return out


def _hours(values: Iterable[float]) -> float:
    """Hours are given to two decimals: summed exactly."""
    return float(sum((Decimal(str(v)) for v in values), Decimal(0)).quantize(Decimal("0.01")))


def hours_by_month(hours: list[dict[str, Any]], months: list[str]) -> list[tuple[Any, ...]]:
    """Certified hours in the month of the day served, and how many members served."""
    per: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for h in hours:
        if h["served_on"][:7] in months:
            per[h["served_on"][:7]].append(h)
    return sorted(
        (m, _hours(h["hours"] for h in hs), len({h["member_id"] for h in hs}))
        for m, hs in per.items()
    )


def hours_by_certifier(
    hours: list[dict[str, Any]], teams: dict[tuple[str, str], str], months: list[str]
) -> list[tuple[Any, ...]]:
    """Per month and certifier (a team, named, or the community itself)."""
    per: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for h in hours:
        if h["served_on"][:7] in months:
            per[(h["served_on"][:7], h["certified_by"], h["certifier"])].append(h)
    return sorted(
        (
            m,
            by,
            certifier,
            teams.get((hs[0]["community_id"], by)),
            _hours(h["hours"] for h in hs),
            len({h["member_id"] for h in hs}),
        )
        for (m, by, certifier), hs in per.items()
    )


def activities_by_month(
    activities: list[dict[str, Any]], months: list[str]
) -> list[tuple[str, int, int]]:
    """Completed activities, in the month (CST) they started, with the residents served."""
    held: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for a in activities:
        if a["completed"] and _cst_month(a["starts_at"]) in months:
            held[_cst_month(a["starts_at"])].append(a)
    return sorted((m, len(xs), sum(a["residents_served"] for a in xs)) for m, xs in held.items())


def rota(slots: list[dict[str, Any]], weekend: date) -> dict[str, Any]:
    mine = sorted(
        (
            (s["slot_id"], s["area"], s["starts_at"], s["ends_at"], s["holder"])
            for s in slots
            if s["weekend"] == weekend
        ),
    )
    return {"slots": mine, "gaps": sum(1 for s in mine if s[4] is None)}


# ---------------------------------------------------------------------------------------
# Points: the ledger's entries, the supermarket's shelf and redemptions.


@dataclass
class PointsLog:
    entries: list[dict[str, Any]] = field(default_factory=list)
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    redemptions: dict[str, dict[str, Any]] = field(default_factory=dict)


def fold_points(log: Log) -> PointsLog:
    out = PointsLog()
    for kind, e, _ in log.of_type(
        "PointsEntered", "SupermarketItemStocked", "RedemptionRecorded", "RedemptionCancelled"
    ):
        if kind == "PointsEntered":
            out.entries.append(e)
        elif kind == "SupermarketItemStocked":
            item = out.items.setdefault(e["item_id"], {"community_id": e["community_id"]})
            item |= {"name": e["name"], "price": e["price"], "stock": e["stock"]}
        elif kind == "RedemptionRecorded":
            out.redemptions[e["redemption_id"]] = e | {"cancelled": False}
            out.items[e["item_id"]]["stock"] = e["stock"]
        else:
            out.redemptions[e["redemption_id"]]["cancelled"] = True
            out.items[e["item_id"]]["stock"] = e["stock"]
    return out


def leaderboard(entries: list[dict[str, Any]], period: str) -> list[tuple[str, int]]:
    """Earned points (award, deduction, reversal, manual) in the month or year (CST) of
    what they reward; top 10, ties by member id."""
    points: Counter[str] = Counter()
    for e in entries:
        if e["kind"] in EARNED and _cst_month(_at(e["occurred_at"])).startswith(period):
            points[e["member_id"]] += e["amount"]
    return sorted(points.items(), key=lambda x: (-x[1], x[0]))[:10]


def supermarket(
    items: list[tuple[str, dict[str, Any]]], redemptions: list[dict[str, Any]]
) -> dict[str, Any]:
    """The shelf: each item's stock as last reported and the quantity redeemed (not
    cancelled); the number of redemptions not cancelled."""
    kept = [r for r in redemptions if not r["cancelled"]]
    shelf = sorted(
        (
            item_id,
            i["name"],
            i["price"],
            i["stock"],
            sum(r["quantity"] for r in kept if r["item_id"] == item_id),
        )
        for item_id, i in items
    )
    return {"items": shelf, "redemptions": len(kept)}


# ---------------------------------------------------------------------------------------
# Organisation: the grid's coverage, members and their reports, unit organisations.


@dataclass
class OrganisationLog:
    names: dict[str, str] = field(default_factory=dict)
    compounds: dict[str, dict[str, Any]] = field(default_factory=dict)
    buildings: dict[str, dict[str, Any]] = field(default_factory=dict)
    households: dict[str, dict[str, Any]] = field(default_factory=dict)
    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    reports: set[tuple[str, str, int]] = field(default_factory=set)
    paired: set[tuple[str, str]] = field(default_factory=set)
    unit_reports: set[tuple[str, str, int]] = field(default_factory=set)
    pledges: dict[str, dict[str, Any]] = field(default_factory=dict)


def fold_grid(log: Log, out: OrganisationLog) -> None:
    """Coverage's parts; a community's grid events share its partition, so log order is
    their order."""
    for kind, e, _ in log.of_type(
        "CommunityRegistered",
        "CommunityRenamed",
        "CompoundRegistered",
        "BuildingRegistered",
        "BuildingRetired",
        "HouseholdsAdded",
        "HouseholdRetired",
        "HouseholdMemberAssigned",
        "BranchEstablished",
        "BranchDissolved",
        "PartyGroupFormed",
        "PartyGroupDissolved",
    ):
        if kind in ("CommunityRegistered", "CommunityRenamed"):
            out.names[e["community_id"]] = e["name"]
        elif kind == "CompoundRegistered":
            out.compounds[e["compound_id"]] = {"community_id": e["community_id"], "branch": None}
        elif kind == "BuildingRegistered":
            out.buildings[e["building_id"]] = {
                "community_id": e["community_id"],
                "compound_id": e["compound_id"],
                "group": False,
                "retired": False,
            }
        elif kind == "BuildingRetired":
            out.buildings[e["building_id"]]["retired"] = True
        elif kind == "HouseholdsAdded":
            for h in e["households"]:
                out.households[h["household_id"]] = {
                    "community_id": e["community_id"],
                    "member": None,
                }
        elif kind == "HouseholdRetired":
            out.households.pop(e["household_id"], None)
        elif kind == "HouseholdMemberAssigned":
            out.households[e["household_id"]]["member"] = e["member_id"]
        elif kind == "BranchEstablished":
            out.compounds[e["compound_id"]]["branch"] = e["branch_id"]
        elif kind == "BranchDissolved":
            # A dissolved branch ends its buildings' groups.
            out.compounds[e["compound_id"]]["branch"] = None
            for b in out.buildings.values():
                if b["compound_id"] == e["compound_id"]:
                    b["group"] = False
        elif kind == "PartyGroupFormed":
            out.buildings[e["building_id"]]["group"] = True
        else:
            out.buildings[e["building_id"]]["group"] = False


def fold_members(log: Log, out: OrganisationLog) -> None:
    """Where each member lives and their contact community. A member's events may sit in
    different partitions (keyed by where the member lived then), so moves and contact
    changes are applied in the order they happened, not in log order."""
    changes = sorted(
        log.of_type("MemberResidenceTransferred", "MemberContactCommunitySet"),
        key=lambda x: (x[2].event.meta.time, x[2].event.meta.stream_version),
    )
    for _, e, _ in log.of_type("MemberRegistered"):
        out.members[e["member_id"]] = {
            "community_id": e["community_id"],
            "kind": e["kind"],
            "contact": e["contact_community_id"],
        }
    for kind, e, _ in changes:
        if kind == "MemberResidenceTransferred":
            out.members[e["member_id"]]["community_id"] = e["to_community_id"]
        else:
            out.members[e["member_id"]]["contact"] = e["community_id"]
    for _, e, _ in log.of_type("MemberReported"):
        out.reports.add((e["community_id"], e["member_id"], e["period"]))


def fold_unit_organisations(log: Log, out: OrganisationLog) -> None:
    for kind, e, _ in log.of_type(
        "UnitOrganisationPaired",
        "UnitOrganisationReported",
        "PledgeMade",
        "PledgeStarted",
        "PledgeCompleted",
    ):
        if kind == "UnitOrganisationPaired":
            out.paired.add((e["community_id"], e["unit_org_id"]))
        elif kind == "UnitOrganisationReported":
            year = date.fromisoformat(e["reported_on"]).year
            out.unit_reports.add((e["community_id"], e["unit_org_id"], year))
        elif kind == "PledgeMade":
            out.pledges[e["pledge_id"]] = e | {"status": PLEDGE_STATUS[kind]}
        else:
            out.pledges[e["pledge_id"]]["status"] = PLEDGE_STATUS[kind]


def fold_organisation(log: Log) -> OrganisationLog:
    out = OrganisationLog()
    fold_grid(log, out)
    fold_members(log, out)
    fold_unit_organisations(log, out)
    return out


def _ratio(total: int, covered: int) -> dict[str, Any]:
    return {
        "total": total,
        "covered": covered,
        "rate": round(covered / total, 4) if total else None,
    }


def coverage(org: OrganisationLog, community_id: str) -> dict[str, dict[str, Any]]:
    compounds = [c for c in org.compounds.values() if c["community_id"] == community_id]
    buildings = [
        b for b in org.buildings.values() if b["community_id"] == community_id and not b["retired"]
    ]
    households = [h for h in org.households.values() if h["community_id"] == community_id]
    return {
        "compounds_with_branch": _ratio(
            len(compounds), sum(1 for c in compounds if c["branch"] is not None)
        ),
        "buildings_with_party_group": _ratio(len(buildings), sum(b["group"] for b in buildings)),
        "households_with_responsible_member": _ratio(
            len(households), sum(1 for h in households if h["member"] is not None)
        ),
    }


def residents(org: OrganisationLog, community_id: str) -> dict[str, dict[str, Any]]:
    return {m: x for m, x in org.members.items() if x["community_id"] == community_id}


def reporting(org: OrganisationLog, community_id: str, year: int) -> dict[str, Any]:
    """In-service members living here; of them, those who reported this year here, to their
    contact community, and to both."""
    in_service = {
        m: x for m, x in residents(org, community_id).items() if x["kind"] == "in_service"
    }
    here = {m for m in in_service if (community_id, m, year) in org.reports}
    contact = {m for m, x in in_service.items() if (x["contact"], m, year) in org.reports}
    both = len(here & contact)
    return {
        "period": year,
        "in_service_members": len(in_service),
        "reported_to_residence": len(here),
        "reported_to_contact": len(contact),
        "reported_to_both": both,
        "rate": round(both / len(in_service), 4) if in_service else None,
    }


def unit_organisations(org: OrganisationLog, community_id: str, year: int) -> dict[str, Any]:
    paired = {u for c, u in org.paired if c == community_id}
    reported = {u for u in paired if (community_id, u, year) in org.unit_reports}
    return {
        "year": year,
        "paired": len(paired),
        "reported": len(reported),
        "rate": round(len(reported) / len(paired), 4) if paired else None,
    }


def pledges(org: OrganisationLog, community_id: str, year: int) -> list[dict[str, Any]]:
    mine = [
        p for p in org.pledges.values() if p["community_id"] == community_id and p["year"] == year
    ]
    mine.sort(key=lambda p: (_at(p["pledged_at"]), p["pledge_id"]))
    return [{k: p[k] for k in ("pledge_id", "unit_org_id", "title", "status")} for p in mine]


# ---------------------------------------------------------------------------------------
# The whole fold, and one community's expected figures at a moment.


@dataclass(frozen=True)
class Folded:
    requests: RequestsLog
    volunteering: VolunteeringLog
    points: PointsLog
    organisation: OrganisationLog

    @classmethod
    def of(cls, log: Log) -> Folded:
        return cls(
            fold_requests(log), fold_volunteering(log), fold_points(log), fold_organisation(log)
        )

    def requests_of(self, community_id: str) -> list[Request]:
        return [r for r in self.requests.requests.values() if r.community_id == community_id]

    def ratings_of(self, community_id: str) -> list[tuple[datetime, str]]:
        return [(at, x) for c, at, x in self.requests.ratings if c == community_id]

    def hours_of(self, community_id: str) -> list[dict[str, Any]]:
        return [h for h in self.volunteering.hours if h["community_id"] == community_id]


def expected_community(f: Folded, community_id: str, clock: Clock) -> dict[str, Any]:
    requests = f.requests_of(community_id)
    months = clock.months
    vo, pt, org = f.volunteering, f.points, f.organisation
    year = clock.today.year
    return {
        "name": org.names[community_id],
        "today": clock.today.isoformat(),
        "requests": requests_counts(requests) | {"overdue": overdue(requests, clock.now)},
        "rates": rates(requests, f.ratings_of(community_id), months, clock.now),
        "times": times(requests),
        "whistles": whistles([w for w in f.requests.whistles if w["community_id"] == community_id]),
        "hours_by_month": hours_by_month(f.hours_of(community_id), months),
        "hours_by_team": hours_by_certifier(f.hours_of(community_id), vo.teams, months),
        "activities": activities_by_month(
            [a for a in vo.activities.values() if a["community_id"] == community_id], months
        ),
        "rota": rota(
            [s for s in vo.slots.values() if s["community_id"] == community_id], clock.weekend
        )
        | {"weekend": clock.weekend.isoformat()},
        "leaderboard_month": leaderboard(
            [e for e in pt.entries if e["community_id"] == community_id], clock.month
        ),
        "leaderboard_year": leaderboard(
            [e for e in pt.entries if e["community_id"] == community_id], str(year)
        ),
        "supermarket": supermarket(
            [(i, x) for i, x in pt.items.items() if x["community_id"] == community_id],
            [r for r in pt.redemptions.values() if r["community_id"] == community_id],
        ),
        "coverage": coverage(org, community_id),
        "reporting": reporting(org, community_id, year),
        "unit_organisations": unit_organisations(org, community_id, year),
        "pledges": pledges(org, community_id, year),
    }


def expected_county_row(f: Folded, community_id: str, clock: Clock) -> dict[str, Any]:
    """docs/projections.md "County overview", for one community."""
    requests = f.requests_of(community_id)
    this_month = [h for h in f.hours_of(community_id) if h["served_on"][:7] == clock.month]
    hours = _hours(h["hours"] for h in this_month)
    members = len(residents(f.organisation, community_id))
    weekend = rota(
        [s for s in f.volunteering.slots.values() if s["community_id"] == community_id],
        clock.weekend,
    )
    return {
        "name": f.organisation.names[community_id],
        "rates": rates(requests, f.ratings_of(community_id), [clock.month], clock.now)[0],
        "reporting_rate": reporting(f.organisation, community_id, clock.today.year)["rate"],
        "open_requests": requests_counts(requests)["open"],
        "overdue": overdue(requests, clock.now),
        "volunteer_hours": hours,
        "members": members,
        "volunteer_hours_per_member": round(hours / members, 2) if members else None,
        "rota_slots": len(weekend["slots"]),
        "rota_gaps": weekend["gaps"],
    }


def _clock_sensitive(expected: dict[str, Any]) -> Any:
    """What a deadline passing (overdue, the response rate) or midnight may change."""
    if "requests" in expected:
        return (expected["today"], expected["requests"]["overdue"], expected["rates"])
    return (expected["overdue"], expected["rates"])


# ---------------------------------------------------------------------------------------
# One round: ends, catch-up, log, fold, dashboards, ends again.


@dataclass(frozen=True)
class Answer:
    body: dict[str, Any]
    before: datetime
    after: datetime


@dataclass(frozen=True)
class Round:
    log: Log
    dashboards: dict[str, Answer]
    county: Answer
    # Folded from the log at the moment each answer was asked for.
    expected: dict[str, dict[str, Any]]
    county_rows: dict[str, dict[str, Any]]


async def _get(client: httpx.AsyncClient, url: str, **params: str) -> Answer:
    before = datetime.now(UTC)
    response = await client.get(url, params=params)
    after = datetime.now(UTC)
    assert response.status_code == 200, f"{url}: {response.status_code} {response.text}"
    return Answer(response.json(), before, after)


def _about(record: LoggedEvent, demo: set[str]) -> bool:
    """Whether a record may change a demo community's figures: keyed by one (every
    community's own events), or naming one (a unit organisation's, keyed by its county;
    a member moving in)."""
    payload = record.event.payload
    return record.key in demo or any(
        payload.get(k) in demo for k in ("community_id", "to_community_id", "from_community_id")
    )


def _expect(
    folded: Folded, dashboards: dict[str, Answer], county: Answer
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]], list[str]]:
    """The figures folded at the moment each answer was asked for, and the answers a passing
    deadline or midnight may have changed while they were computed (the figures folded at
    the moment the answer came back differ)."""
    expected, rows, unsteady = {}, {}, []
    for c, a in dashboards.items():
        expected[c], late = (expected_community(folded, c, Clock(t)) for t in (a.before, a.after))
        if _clock_sensitive(expected[c]) != _clock_sensitive(late):
            unsteady.append(f"dashboard of {c}: a deadline or midnight passed")
    for c in dashboards:
        rows[c], late = (
            expected_county_row(folded, c, Clock(t)) for t in (county.before, county.after)
        )
        if _clock_sensitive(rows[c]) != _clock_sensitive(late):
            unsteady.append(f"county row of {c}: a deadline passed")
    if Clock(county.before).today != Clock(county.after).today:
        unsteady.append("county: midnight passed")
    return expected, rows, unsteady


async def _round(stack: Any, headers: dict[str, str], demo: set[str]) -> tuple[Round, list[str]]:
    """One round, and why it must be replayed (nothing: it is steady)."""
    ends = await end_offsets(stack, TOPICS)
    await wait_until_committed(stack, GROUPS, ends, timeout=CATCH_UP_S)
    log = Log.of(await read_to(stack, ends))
    folded = Folded.of(log)
    base = f"{stack.url('projections')}/dashboard/api"
    async with httpx.AsyncClient(headers=headers, timeout=60) as client:
        dashboards = {c: await _get(client, f"{base}/communities/{c}") for c in sorted(demo)}
        county = await _get(client, f"{base}/county", county=COUNTY)
    # What arrived meanwhile: only records about the demo communities spoil the round.
    arrived = await read_to(stack, await end_offsets(stack, TOPICS), since=ends)
    moved = [
        f"{r.event.topic}[{r.event.partition}]@{r.event.offset} {r.type_name}"
        for r in arrived
        if _about(r, demo)
    ]
    expected, rows, unsteady = _expect(folded, dashboards, county)
    return Round(log, dashboards, county, expected, rows), moved + unsteady


@pytest.fixture(scope="module")
def demo(stack: Any) -> set[str]:
    found = (stack.state.get("demo") or {}).get("communities") or {}
    assert found, "make up loads the Dong'an demo; services.json has no demo communities"
    return set(found.values())


@pytest.fixture(scope="module")
def admin(stack: Any) -> dict[str, str]:
    token = stack.token("county_admin", county=COUNTY, subject="e2e-event-log")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
async def steady(stack: Any, admin: dict[str, str], demo: set[str]) -> Round:
    """A round in which nothing about the demo communities changed from the ends read to
    the last dashboard answered."""
    reasons: list[list[str]] = []
    for _ in range(ROUNDS):
        started = time.monotonic()
        r, unsteady = await _round(stack, admin, demo)
        if not unsteady:
            return r
        reasons.append(unsteady)
        print(f"round took {time.monotonic() - started:.1f}s, replayed: {unsteady[:5]}")
    raise AssertionError(f"no steady round in {ROUNDS}: {reasons}")


# ---------------------------------------------------------------------------------------
# The comparisons: one test per figure family, every demo community in each.


def _differences(pairs: dict[str, tuple[Any, Any]]) -> dict[str, tuple[Any, Any]]:
    return {c: (mine, theirs) for c, (mine, theirs) in pairs.items() if mine != theirs}


def _assert_same(figure: str, pairs: dict[str, tuple[Any, Any]]) -> None:
    """`pairs`: community -> (folded from the log, the dashboard's)."""
    diff = _differences(pairs)
    assert not diff, f"{figure} differs (folded, dashboard) in {len(diff)} communities: {diff}"


def _near(a: float | None, b: float | None, tolerance: float) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= tolerance


def test_the_demo_is_not_trivial(steady: Round, demo: set[str]) -> None:
    """The comparisons below are between real figures: the demo has some of each."""
    assert len(steady.log.events) > 10_000
    assert len(steady.dashboards) == len(demo) >= 2
    expected = steady.expected.values()
    assert sum(sum(e["requests"]["by_status"].values()) for e in expected) >= 400
    assert len({s for e in expected for s, n in e["requests"]["by_status"].items() if n}) >= 5
    assert sum(e["requests"]["open"] for e in expected) > 0
    assert sum(e["whistles"]["total"] for e in expected) > 0
    assert any(m["response_rate"]["denominator"] > 0 for e in expected for m in e["rates"])
    assert any(m["satisfaction_rate"]["denominator"] > 0 for e in expected for m in e["rates"])
    assert sum(e["times"]["minutes_to_resolve"]["count"] for e in expected) > 100
    assert sum(h[1] for e in expected for h in e["hours_by_month"]) > 100
    assert sum(a[1] for e in expected for a in e["activities"]) > 0
    assert sum(len(e["rota"]["slots"]) for e in expected) > 0
    assert sum(e["rota"]["gaps"] for e in expected) > 0
    assert sum(len(e["leaderboard_year"]) for e in expected) >= 10
    assert sum(len(e["leaderboard_month"]) for e in expected) > 0
    assert sum(e["supermarket"]["redemptions"] for e in expected) > 0
    assert all(e["coverage"]["compounds_with_branch"]["total"] > 0 for e in expected)
    assert sum(e["reporting"]["in_service_members"] for e in expected) > 100
    assert sum(e["unit_organisations"]["paired"] for e in expected) > 0
    assert len({p["status"] for e in expected for p in e["pledges"]}) >= 2


def test_requests_by_status_category_open_and_overdue(steady: Round) -> None:
    expected = steady.expected
    pairs = {
        c: (
            expected[c]["requests"],
            {k: a.body["requests"][k] for k in ("by_status", "by_category", "open", "overdue")},
        )
        for c, a in steady.dashboards.items()
    }
    _assert_same("requests", pairs)


def test_whistles(steady: Round) -> None:
    expected = steady.expected
    _assert_same(
        "whistles",
        {c: (expected[c]["whistles"], a.body["whistles"]) for c, a in steady.dashboards.items()},
    )


def test_the_three_rates_of_every_month(steady: Round) -> None:
    """Numerators and denominators exactly, the values as rounded; the mean to 1e-4 (the
    mean of rounded rates may differ from the rounded mean in the last digit)."""
    expected = steady.expected

    def counts(months: list[dict[str, Any]]) -> list[Any]:
        return [
            (m["month"], *(m[k] for k in ("response_rate", "resolution_rate", "satisfaction_rate")))
            for m in months
        ]

    _assert_same(
        "rates",
        {
            c: (counts(expected[c]["rates"]), counts(a.body["rates"]))
            for c, a in steady.dashboards.items()
        },
    )
    means = {
        c: ([m["mean"] for m in expected[c]["rates"]], [m["mean"] for m in a.body["rates"]])
        for c, a in steady.dashboards.items()
    }
    off = {
        c: pair
        for c, pair in means.items()
        if not all(_near(x, y, 1e-4) for x, y in zip(*pair, strict=True))
    }
    assert not off, f"mean of the three rates differs: {off}"


def test_minutes_to_respond_and_to_resolve(steady: Round) -> None:
    """Counts exactly; p50 and p90 to the dashboard's one decimal."""
    expected = steady.expected
    off = {}
    for c, a in steady.dashboards.items():
        for figure in ("minutes_to_respond", "minutes_to_resolve"):
            mine, theirs = expected[c]["times"][figure], a.body["requests"][figure]
            if mine["count"] != theirs["count"] or not all(
                _near(mine[p], theirs[p], 0.05 + 1e-6) for p in ("p50", "p90")
            ):
                off[f"{c} {figure}"] = (mine, theirs)
    assert not off, f"times differ (folded, dashboard): {off}"


def test_volunteer_hours_and_activities_by_month(steady: Round) -> None:
    expected = steady.expected
    vo = {c: a.body["volunteering"] for c, a in steady.dashboards.items()}
    _assert_same(
        "hours by month",
        {
            c: (
                expected[c]["hours_by_month"],
                sorted((h["month"], h["hours"], h["members"]) for h in v["hours_by_month"]),
            )
            for c, v in vo.items()
        },
    )
    _assert_same(
        "hours by certifier",
        {
            c: (
                expected[c]["hours_by_team"],
                sorted(
                    (
                        h["month"],
                        h["certified_by"],
                        h["certifier"],
                        h["team"],
                        h["hours"],
                        h["members"],
                    )
                    for h in v["hours_by_team"]
                ),
            )
            for c, v in vo.items()
        },
    )
    _assert_same(
        "activities held",
        {
            c: (
                expected[c]["activities"],
                sorted((x["month"], x["held"], x["residents_served"]) for x in v["activities"]),
            )
            for c, v in vo.items()
        },
    )


def test_the_coming_weekend_rota_and_its_gaps(steady: Round) -> None:
    expected = steady.expected

    def theirs(v: dict[str, Any]) -> dict[str, Any]:
        rota = v["rota"]
        return {
            "slots": sorted(
                (s["slot_id"], s["area"], _at(s["starts_at"]), _at(s["ends_at"]), s["holder"])
                for s in rota["slots"]
            ),
            "gaps": rota["gaps"],
            "weekend": rota["weekend"],
        }

    _assert_same(
        "rota",
        {
            c: (expected[c]["rota"], theirs(a.body["volunteering"]))
            for c, a in steady.dashboards.items()
        },
    )


def test_points_leaderboards_and_supermarket(steady: Round) -> None:
    expected = steady.expected
    for board, period in (("leaderboard_month", "month"), ("leaderboard_year", "year")):
        _assert_same(
            board,
            {
                c: (
                    expected[c][board],
                    [(x["member_id"], x["points"]) for x in a.body["points"][board]["leaders"]],
                )
                for c, a in steady.dashboards.items()
            },
        )
        for a in steady.dashboards.values():
            clock = Clock(a.before)
            assert a.body["points"][board]["period"] == (
                clock.month if period == "month" else str(clock.today.year)
            )
    _assert_same(
        "supermarket",
        {
            c: (
                expected[c]["supermarket"],
                {
                    "items": sorted(
                        (i["item_id"], i["name"], i["price"], i["stock"], i["redeemed"])
                        for i in a.body["points"]["supermarket"]["items"]
                    ),
                    "redemptions": a.body["points"]["supermarket"]["redemptions"],
                },
            )
            for c, a in steady.dashboards.items()
        },
    )


def test_coverage_and_reporting_of_the_year(steady: Round) -> None:
    expected = steady.expected
    _assert_same(
        "coverage",
        {c: (expected[c]["coverage"], a.body["coverage"]) for c, a in steady.dashboards.items()},
    )
    _assert_same(
        "reporting",
        {c: (expected[c]["reporting"], a.body["reporting"]) for c, a in steady.dashboards.items()},
    )


def test_unit_organisations_and_pledges(steady: Round) -> None:
    expected = steady.expected
    _assert_same(
        "unit organisations",
        {
            c: (expected[c]["unit_organisations"], a.body["unit_organisations"])
            for c, a in steady.dashboards.items()
        },
    )
    _assert_same(
        "pledges",
        {c: (expected[c]["pledges"], a.body["pledges"]) for c, a in steady.dashboards.items()},
    )


def test_names_and_today(steady: Round) -> None:
    expected = steady.expected
    _assert_same(
        "name and today",
        {
            c: ((expected[c]["name"], expected[c]["today"]), (a.body["name"], a.body["today"]))
            for c, a in steady.dashboards.items()
        },
    )


def test_the_county_overview_rows(steady: Round) -> None:
    clock = Clock(steady.county.before)
    body = steady.county.body
    assert (body["today"], body["month"], body["weekend"]) == (
        clock.today.isoformat(),
        clock.month,
        clock.weekend.isoformat(),
    )
    rows = {r["community_id"]: r for r in body["communities"]}
    assert set(steady.dashboards) <= set(rows)
    exact = (
        "name",
        "reporting_rate",
        "open_requests",
        "overdue",
        "volunteer_hours",
        "members",
        "rota_slots",
        "rota_gaps",
    )
    pairs = {}
    for c in steady.dashboards:
        mine = steady.county_rows[c]
        row = rows[c]
        pairs[c] = (
            {k: mine[k] for k in exact}
            | {
                k: mine["rates"][k]
                for k in ("response_rate", "resolution_rate", "satisfaction_rate")
            },
            {k: row[k] for k in exact}
            | {
                k: row["rates"][k]
                for k in ("response_rate", "resolution_rate", "satisfaction_rate")
            },
        )
        assert row["rates"]["month"] == clock.month
        assert _near(mine["rates"]["mean"], row["rates"]["mean"], 1e-4), c
        assert _near(
            mine["volunteer_hours_per_member"], row["volunteer_hours_per_member"], 0.005 + 1e-9
        ), c
    _assert_same("county rows", pairs)
    assert sum(p[0]["open_requests"] for p in pairs.values()) > 0
