"""A community's ordinary day, as the four services would publish it: requests from
submission to closing, activities from scheduling to certified hours, the weekend rota,
the double report, the love supermarket, and the red points each of these earns.

Pure and seeded: `day(roster, rates, on, seed)` plans everything that *starts* that day,
with the later steps at their later times (a request submitted today may close next
week); the timeline puts them in order. The steps and their order follow the services'
own rules (docs/requests.md, docs/volunteering.md, docs/points.md)."""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from grassroots_contracts.events import PublicEvent
from grassroots_contracts.organisation import members, unit_orgs
from grassroots_contracts.points import events as points
from grassroots_contracts.requests import lifecycle as rq
from grassroots_contracts.volunteering import events as vo
from grassroots_eventkit.values import CHINA_STANDARD_TIME

from grassroots_stack.capacity.onboarding import Roster
from grassroots_stack.capacity.planned import Planned, new_id
from grassroots_stack.capacity.scale import (
    CATEGORIES,
    HOURLY_PROFILE,
    REQUEST_OUTCOMES,
    DailyRates,
)
from grassroots_stack.demo.requests_traffic import DEPARTMENT_OF  # the demo's routing

CST = CHINA_STANDARD_TIME
HOURS = tuple(range(24))
ACTIVITY_KINDS: tuple[vo.ActivityKind, ...] = (
    "free_clinic",
    "anti_fraud_talk",
    "anti_drug_talk",
    "legal_aid",
    "clean_up",
    "elderly_visit",
)
AREAS: tuple[vo.StationArea, ...] = (
    "reception",
    "elderly_home",
    "youth_home",
    "children_home",
    "convenience_services",
)
SHIFTS = ((9, 12), (14, 17))
SHIFT_HOURS = 3.0
ACTIVITY_HOURS = 3.0
CONFIRM_WITHIN = timedelta(days=7)  # the requests service's GRASSROOTS_CONFIRM_WITHIN default
Deadline = Literal["response", "resolution"]
CloseReason = Literal["rated", "not_confirmed", "reopened_too_often"]
Role = Literal["residence", "contact"]


def poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: fine for the small means of a community's day."""
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def moment(rng: random.Random, on: date) -> datetime:
    """A time on `on` (China) drawn from the hourly profile."""
    hour = rng.choices(HOURS, weights=HOURLY_PROFILE)[0]
    local = datetime.combine(on, time(hour), tzinfo=CST) + timedelta(seconds=rng.randrange(3600))
    return local.astimezone(UTC)


def _hours(rng: random.Random, mean: float) -> timedelta:
    return timedelta(hours=rng.expovariate(1 / mean))


class _Story:
    """The events of one thing happening in a community, in the order they happen."""

    def __init__(self, roster: Roster, rng: random.Random, rates: DailyRates) -> None:
        self.roster = roster
        self.rng = rng
        self.rates = rates
        self.out: list[Planned] = []

    @property
    def c(self) -> str:
        return self.roster.community_id

    def add(self, at: datetime, event: PublicEvent, subject: str) -> None:
        self.out.append(Planned(at, event, subject, self.c))

    def points(
        self, at: datetime, member: str, kind: points.EntryKind, amount: int, rule: str | None
    ) -> None:
        self.add(
            at + timedelta(seconds=1),
            points.PointsEntered(
                community_id=self.c,
                member_id=member,
                entry_id=self.roster.entry_id(),
                kind=kind,
                amount=amount,
                rule_id=rule,
                rule_book=f"{self.roster.place.county}:1" if rule else None,
                source_event_id=new_id(self.rng) if rule else None,
                source_type=None,
                occurred_at=at,
            ),
            f"account:{member}",
        )


class _Request(_Story):
    """A resident's request (点单) from submission to its end, by the outcome drawn."""

    def run(self, at: datetime) -> list[Planned]:
        rng = self.rng
        category = rng.choices(list(CATEGORIES), weights=[w for w, _, _ in CATEGORIES.values()])[0]
        _, respond_h, resolve_h = CATEGORIES[category]
        home = rng.choice(self.roster.households)
        self.rid = new_id(rng)
        self.member = self.roster.responsible[home.building_id]
        self.respond_by = at + timedelta(hours=respond_h)
        self.resolve_by = at + timedelta(hours=resolve_h)
        self.add(
            at,
            rq.RequestSubmitted(
                request_id=self.rid,
                community_id=self.c,
                compound_id=home.compound_id,
                area_id=home.area_id,
                building_id=home.building_id,
                household_id=home.household_id,
                category=category,
                channel=rng.choice(("app", "app", "service_hall", "hotline", "grid_worker")),
                photos=rng.choice((0, 0, 1, 2)),
                submitted_at=at,
                respond_by=self.respond_by,
                resolve_by=self.resolve_by,
            ),
            self.rid,
        )
        self.add(
            at + timedelta(seconds=1),
            rq.RequestRouted(
                request_id=self.rid,
                community_id=self.c,
                level="building",
                responsible_ids=[self.member],
                routed_at=at + timedelta(seconds=1),
            ),
            self.rid,
        )
        outcome = rng.choices(list(REQUEST_OUTCOMES), weights=list(REQUEST_OUTCOMES.values()))[0]
        self.outcome = outcome
        t = at + timedelta(seconds=2)
        if outcome in ("cancelled", "rejected", "merged"):
            self._withdrawn(outcome, t + _hours(rng, 3))
        elif outcome == "escalated_department":
            self._department(category, t + _hours(rng, 3))
        else:
            self._handled(outcome, t)
        self.roster.last_request = self.rid
        return self.out

    def _withdrawn(self, outcome: str, t: datetime) -> None:
        c, rid = self.c, self.rid
        if outcome == "cancelled":
            self.add(t, rq.RequestCancelled(request_id=rid, community_id=c, cancelled_at=t), rid)
        elif outcome == "rejected":
            self.add(t, rq.RequestRejected(request_id=rid, community_id=c, rejected_at=t), rid)
        else:
            into = self.roster.last_request or rid
            self.add(
                t,
                rq.RequestMerged(request_id=rid, community_id=c, into_request_id=into, merged_at=t),
                rid,
            )
            if into != rid:
                self.add(
                    t,
                    rq.SupportersJoined(
                        request_id=into, community_id=c, from_request_id=rid, supporters=2
                    ),
                    into,
                )

    def _missed(self, deadline: Deadline, due: datetime) -> None:
        self.add(
            due + timedelta(seconds=1),
            rq.DeadlineMissed(
                request_id=self.rid,
                community_id=self.c,
                deadline=deadline,
                due_at=due,
                detected_at=due + timedelta(seconds=1),
                level="building",
            ),
            self.rid,
        )

    def _claim(self, t: datetime, *, assigned: bool = False) -> None:
        if t > self.respond_by:
            self._missed("response", self.respond_by)
        self.add(
            t,
            rq.RequestClaimed(
                request_id=self.rid,
                community_id=self.c,
                member_id=self.member,
                assigned=assigned,
                claimed_at=t,
                within_deadline=t <= self.respond_by,
            ),
            self.rid,
        )

    def _resolve(self, t: datetime, resolver: rq.Resolver, by: str, level: rq.Level) -> None:
        if t > self.resolve_by:
            self._missed("resolution", self.resolve_by)
        self.add(
            t,
            rq.RequestResolved(
                request_id=self.rid,
                community_id=self.c,
                resolved_by=by,
                resolver=resolver,
                level=level,
                resolved_at=t,
                within_deadline=t <= self.resolve_by,
                confirm_by=t + CONFIRM_WITHIN,
            ),
            self.rid,
        )
        if resolver == "member":
            self.points(t, by, "award", 5, "request_resolved")

    def _rate(self, t: datetime, rating: rq.Rating, resolver: rq.Resolver, by: str) -> None:
        self.add(
            t,
            rq.RequestRated(
                request_id=self.rid,
                community_id=self.c,
                rating=rating,
                resolved_by=by,
                resolver=resolver,
                rated_at=t,
            ),
            self.rid,
        )
        if rating != "dissatisfied" and resolver == "member":
            self.points(t, by, "award", 3, "satisfied_rating")

    def _close(self, t: datetime, outcome: rq.Outcome, reason: CloseReason) -> None:
        self.add(
            t,
            rq.RequestClosed(
                request_id=self.rid,
                community_id=self.c,
                outcome=outcome,
                reason=reason,
                closed_at=t,
            ),
            self.rid,
        )

    def _reopen(self, t: datetime) -> None:
        self.resolve_by = t + timedelta(days=7)
        self.add(
            t,
            rq.RequestReopened(
                request_id=self.rid,
                community_id=self.c,
                reason="dissatisfied",
                reopened_at=t,
                resolve_by=self.resolve_by,
                previously_resolved_by=self.member,
                previous_resolver="member",
            ),
            self.rid,
        )
        self.points(t, self.member, "reversal", -5, "request_resolved")

    def _handled(self, outcome: str, t: datetime) -> None:
        rng = self.rng
        resolver: rq.Resolver = "member"
        level: rq.Level = "building"
        if outcome == "escalated_community":
            t += _hours(rng, 3)
            self.add(
                t,
                rq.RequestEscalated(
                    request_id=self.rid,
                    community_id=self.c,
                    from_level="compound",
                    to_level="community",
                    whistle="routine",
                    automatic=False,
                    escalated_at=t,
                ),
                self.rid,
            )
            resolver, level = "community", "community"
        t += _hours(rng, 2)
        self._claim(t, assigned=outcome == "escalated_community")
        if rng.random() < self.rates.progress_notes:
            t += _hours(rng, 6)
            self.add(
                t,
                rq.RequestProgressNoted(request_id=self.rid, community_id=self.c, noted_at=t),
                self.rid,
            )
        t += _hours(rng, 20)
        by = self.member if resolver == "member" else f"staff:{self.c[:8]}"
        self._resolve(t, resolver, by, level)
        if outcome == "not_confirmed":
            self._close(t + CONFIRM_WITHIN, "resolved", "not_confirmed")
            return
        t += _hours(rng, 8)
        if outcome in ("reopened", "closed_unresolved"):
            self._rate(t, "dissatisfied", resolver, by)
            self._reopen(t + timedelta(seconds=1))
            t += _hours(rng, 24)
            self._resolve(t, resolver, by, level)
            t += _hours(rng, 8)
            if outcome == "closed_unresolved":
                self._rate(t, "dissatisfied", resolver, by)
                self._close(t + timedelta(seconds=1), "unresolved", "reopened_too_often")
                return
        rating: rq.Rating = "basically_satisfied" if outcome == "closed_basically" else "satisfied"
        self._rate(t, rating, resolver, by)
        self._close(t + timedelta(seconds=1), "resolved", "rated")

    def _department(self, category: str, t: datetime) -> None:
        department = DEPARTMENT_OF[category]
        self.add(
            t,
            rq.RequestEscalated(
                request_id=self.rid,
                community_id=self.c,
                from_level="community",
                to_level="department",
                department=department,
                whistle=self.rng.choice(("routine", "tough_problem", "emergency")),
                automatic=False,
                escalated_at=t,
            ),
            self.rid,
        )
        t += _hours(self.rng, 4)
        if t > self.respond_by:
            self._missed("response", self.respond_by)
        self.add(
            t,
            rq.DepartmentReported(
                request_id=self.rid, community_id=self.c, department=department, reported_at=t
            ),
            self.rid,
        )
        t += _hours(self.rng, 30)
        self._resolve(t, "department", department, "department")
        t += _hours(self.rng, 8)
        self._rate(t, "satisfied", "department", department)
        self._close(t + timedelta(seconds=1), "resolved", "rated")


class _Activity(_Story):
    """Scheduled today for three days on: sign-ups, attendance, completion, hours, points."""

    def run(self, at: datetime) -> list[Planned]:
        rates = self.rates
        rng, c = self.rng, self.c
        activity, team = new_id(rng), rng.choice(list(self.roster.teams))
        on = at.astimezone(CST).date() + timedelta(days=3)
        begin = datetime.combine(on, time(rng.choice((9, 14))), tzinfo=CST).astimezone(UTC)
        end = begin + timedelta(hours=ACTIVITY_HOURS)
        self.add(
            at,
            vo.ActivityScheduled(
                activity_id=activity,
                community_id=c,
                team_id=team,
                kind=rng.choice(ACTIVITY_KINDS),
                title="社区志愿服务活动",
                starts_at=begin,
                ends_at=end,
                capacity=20,
                attendance_closes_at=end + timedelta(hours=24),
            ),
            activity,
        )
        people = rng.sample(
            self.roster.member_ids, min(rates.signups_per_activity, len(self.roster.member_ids))
        )
        for member in people:
            signed = at + (begin - at) * rng.random()
            self.add(
                signed,
                vo.ActivitySignedUp(
                    activity_id=activity, community_id=c, member_id=member, status="confirmed"
                ),
                activity,
            )
        attended = [m for m in people if rng.random() >= rates.no_show_share]
        for member in attended:
            self.add(
                begin,
                vo.ActivityCheckedIn(
                    activity_id=activity, community_id=c, member_id=member, at=begin, with_code=True
                ),
                activity,
            )
            self.add(
                end,
                vo.ActivityCheckedOut(
                    activity_id=activity, community_id=c, member_id=member, at=end
                ),
                activity,
            )
        done = end + timedelta(hours=1)
        for member in (m for m in people if m not in attended):
            self.add(
                done,
                vo.ActivityNoShow(activity_id=activity, community_id=c, member_id=member),
                activity,
            )
            self.points(done, member, "deduction", -3, "activity_no_show")
        self.add(
            done,
            vo.ActivityCompleted(
                activity_id=activity,
                community_id=c,
                residents_served=rng.randint(10, 80),
                completed_at=done,
            ),
            activity,
        )
        for member in attended:
            self.add(
                done,
                vo.HoursCertified(
                    community_id=c,
                    member_id=member,
                    hours=ACTIVITY_HOURS,
                    source="activity",
                    source_id=activity,
                    certified_by=team,
                    certifier="team",
                    served_on=on,
                ),
                activity,
            )
            self.points(done, member, "award", int(2 * ACTIVITY_HOURS), "volunteer_hours")
        return self.out


class _Rota(_Story):
    """On a Monday: the coming weekend's shifts opened, claimed, gaps raised on Thursday
    evening, and served (or missed) with their hours and points."""

    def run(self, monday: date) -> list[Planned]:
        rates = self.rates
        rng, c = self.rng, self.c
        saturday = monday + timedelta(days=5)
        rota = f"rota:{c}:{saturday.isoformat()}"
        opened = datetime.combine(monday, time(9), tzinfo=CST).astimezone(UTC)
        gap_check = datetime.combine(monday + timedelta(days=3), time(18), tzinfo=CST)
        slots = [
            vo.ShiftSlot(
                slot_id=new_id(rng),
                area=area,
                starts_at=datetime.combine(saturday + timedelta(days=d), time(b), tzinfo=CST),
                ends_at=datetime.combine(saturday + timedelta(days=d), time(e), tzinfo=CST),
            )
            for d in (0, 1)
            for b, e in SHIFTS
            for area in AREAS
        ][: rates.rota_slots]
        self.add(
            opened,
            vo.ShiftSlotsOpened(
                rota_id=rota,
                community_id=c,
                weekend=saturday,
                slots=slots,
                gap_check_at=gap_check.astimezone(UTC),
            ),
            rota,
        )
        gaps = set(rng.sample(range(len(slots)), rng.randint(*rates.rota_gaps)))
        for i, slot in enumerate(slots):
            if i in gaps:
                self.add(
                    gap_check.astimezone(UTC),
                    vo.RotaGapRaised(
                        rota_id=rota,
                        community_id=c,
                        slot_id=slot.slot_id,
                        area=slot.area,
                        starts_at=slot.starts_at,
                        raised_at=gap_check.astimezone(UTC),
                    ),
                    rota,
                )
                continue
            self._held(rota, slot, opened + timedelta(hours=rng.uniform(0, 60)))
        return self.out

    def _held(self, rota: str, slot: vo.ShiftSlot, claimed: datetime) -> None:
        rates = self.rates
        c, member = self.c, self.rng.choice(self.roster.member_ids)
        self.add(
            claimed,
            vo.ShiftClaimed(
                rota_id=rota, community_id=c, slot_id=slot.slot_id, member_id=member, assigned=False
            ),
            rota,
        )
        # Staff record a shift served (or missed) within a few hours of its end.
        after = slot.ends_at.astimezone(UTC) + timedelta(minutes=self.rng.uniform(30, 240))
        if self.rng.random() < rates.shift_missed_share:
            self.add(
                after,
                vo.ShiftMissed(
                    rota_id=rota, community_id=c, slot_id=slot.slot_id, member_id=member
                ),
                rota,
            )
            self.points(after, member, "deduction", -5, "weekend_shift_missed")
            return
        self.add(
            after,
            vo.ShiftServed(
                rota_id=rota,
                community_id=c,
                slot_id=slot.slot_id,
                member_id=member,
                hours=SHIFT_HOURS,
            ),
            rota,
        )
        self.add(
            after,
            vo.HoursCertified(
                community_id=c,
                member_id=member,
                hours=SHIFT_HOURS,
                source="shift",
                source_id=slot.slot_id,
                certified_by=c,
                certifier="community",
                served_on=slot.starts_at.astimezone(CST).date(),
            ),
            rota,
        )
        self.points(after, member, "award", 5, "weekend_shift_served")
        self.points(after, member, "award", int(2 * SHIFT_HOURS), "volunteer_hours")


class _Life(_Story):
    """The smaller things of a day: double reports, redemptions, team joins, pledges."""

    def reports(self, on: date) -> None:
        """Each in-service member reports once a year to both communities (双报到): on
        any day with probability 1/365, so a year brings about one report each."""
        for m in self.roster.in_service:
            if self.rng.random() >= 1 / 365:
                continue
            assert m.contact is not None  # the roster's in-service members have one
            member, at = m.member_id, moment(self.rng, on)
            both: tuple[tuple[Role, str], ...] = (("residence", self.c), ("contact", m.contact))
            for role, community in both:
                self.add(
                    at,
                    members.MemberReported(
                        member_id=member,
                        community_id=community,
                        role=role,
                        reported_on=on,
                        period=on.year,
                    ),
                    member,
                )
                self.points(at, member, "award", 10, "reported_for_duty")

    def redemptions(self, on: date) -> None:
        rates = self.rates
        roster, rng = self.roster, self.rng
        for _ in range(poisson(rng, rates.redemptions)):
            at = moment(rng, on)
            item, member = rng.choice(list(roster.stock)), rng.choice(roster.member_ids)
            shelf = f"supermarket:{self.c}"
            if roster.stock[item] < 5:
                roster.stock[item] += 40
                self.add(
                    at,
                    points.SupermarketItemStocked(
                        community_id=self.c,
                        item_id=item,
                        name="补货",
                        price=roster.prices[item],
                        added=40,
                        stock=roster.stock[item],
                    ),
                    shelf,
                )
            roster.stock[item] -= 1
            redemption, price = new_id(rng), roster.prices[item]
            self.add(
                at,
                points.RedemptionRecorded(
                    community_id=self.c,
                    redemption_id=redemption,
                    member_id=member,
                    item_id=item,
                    quantity=1,
                    points=price,
                    stock=roster.stock[item],
                ),
                shelf,
            )
            self.points(at, member, "redemption", -price, None)
            if rng.random() < rates.redemption_cancel_share:
                roster.stock[item] += 1
                later = at + timedelta(minutes=30)
                self.add(
                    later,
                    points.RedemptionCancelled(
                        community_id=self.c,
                        redemption_id=redemption,
                        member_id=member,
                        item_id=item,
                        quantity=1,
                        stock=roster.stock[item],
                    ),
                    shelf,
                )
                self.points(later, member, "refund", price, None)

    def joins(self, on: date) -> None:
        rates = self.rates
        for _ in range(poisson(self.rng, rates.team_joins)):
            team, at = self.rng.choice(list(self.roster.teams)), moment(self.rng, on)
            self.add(
                at,
                vo.TeamMemberJoined(
                    team_id=team,
                    community_id=self.c,
                    member_id=self.rng.choice(self.roster.member_ids),
                    joined_at=at,
                ),
                team,
            )

    def pledges(self, on: date) -> None:
        rates = self.rates
        """The paired unit's pledges (承诺), made any day, started a month and completed
        four months later; and its yearly report (报到) to the community."""
        rng, unit = self.rng, self.roster.unit_org
        key, c = f"county:{self.roster.place.county}", self.c
        if rng.random() < 1 / 365:
            at = moment(rng, on)
            self.out.append(
                Planned(
                    at,
                    unit_orgs.UnitOrganisationReported(
                        unit_org_id=unit, community_id=c, reported_on=on, recorded_at=at
                    ),
                    unit,
                    key,
                )
            )
        if rng.random() >= rates.pledges_per_unit_year / 365:
            return
        at, pledge = moment(rng, on), new_id(rng)
        started, completed = at + timedelta(days=30), at + timedelta(days=120)
        self.out += [
            Planned(
                at,
                unit_orgs.PledgeMade(
                    pledge_id=pledge,
                    unit_org_id=unit,
                    community_id=c,
                    year=on.year,
                    title="为社区办一件实事",
                    pledged_at=at,
                ),
                unit,
                key,
            ),
            Planned(
                started,
                unit_orgs.PledgeStarted(
                    pledge_id=pledge, unit_org_id=unit, community_id=c, started_at=started
                ),
                unit,
                key,
            ),
            Planned(
                completed,
                unit_orgs.PledgeCompleted(
                    pledge_id=pledge,
                    unit_org_id=unit,
                    community_id=c,
                    year=on.year,
                    completed_at=completed,
                ),
                unit,
                key,
            ),
        ]


def day(roster: Roster, rates: DailyRates, on: date, seed: int) -> list[Planned]:
    """Everything that starts in `roster`'s community on `on` (China), with its later
    steps; not in time order."""
    rng = random.Random(f"{seed}:day:{roster.community_id}:{on.isoformat()}")
    out: list[Planned] = []
    for _ in range(poisson(rng, rates.requests)):
        out += _Request(roster, rng, rates).run(moment(rng, on))
    for _ in range(poisson(rng, rates.activities)):
        out += _Activity(roster, rng, rates).run(moment(rng, on))
    if on.weekday() == 0:
        out += _Rota(roster, rng, rates).run(on)
    life = _Life(roster, rng, rates)
    life.reports(on)
    life.redemptions(on)
    life.joins(on)
    life.pledges(on)
    return out + life.out
