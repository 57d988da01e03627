"""A community joining the platform: its grid, party organisation, members, volunteer
teams, love supermarket and paired unit organisation. Pure and seeded.

`roster` draws the community as planned (every id, who answers for what); it is cheap,
so a province's communities can all live their days (stories.py) without their
onboarding going through the projections. `onboarding_events` says what the
organisation, volunteering and points services publish when it joins."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from grassroots_contracts.events import PublicEvent
from grassroots_contracts.organisation import communities, grid, members, party, unit_orgs
from grassroots_contracts.points import events as points
from grassroots_contracts.volunteering import events as volunteering

from grassroots_stack.capacity.places import Place
from grassroots_stack.capacity.planned import Planned, new_id
from grassroots_stack.capacity.scale import CommunityShape

TEAM_KINDS = (
    "civilisation_supervision",
    "caring_volunteers",
    "fitness_and_arts",
    "emergency_safety",
)
TEAM_NAMES = ("文明创建督导团", "爱心义工社", "健身娱乐文艺队", "应急安全服务队")
GOODS = (("食用油 5L", 50), ("大米 10kg", 60), ("洗衣液", 20), ("毛巾", 8), ("牙膏", 6),
         ("酱油", 10), ("挂面", 8), ("香皂", 5))  # fmt: skip
PROJECTS = ("结对帮扶", "文明劝导")  # two service projects per team, as in the demo
ADMITTED_EVERY = 5
HEAD_EVERY = 3
UNITS_PER_BUILDING = 2
SHELF = 40  # each good's stock when stocked


@dataclass(frozen=True, slots=True)
class Household:
    household_id: str
    building_id: str
    compound_id: str
    area_id: str


@dataclass(frozen=True, slots=True)
class Member:
    member_id: str
    kind: members.MemberKind
    home: Household
    contact: str | None  # an in-service member's contact community (双报到)


@dataclass
class Roster:
    """A community as planned. Mutable on purpose: the shelves' stock and the counters
    are the generator's state as the days go by, not an event's."""

    place: Place
    compounds: list[tuple[str, list[str]]]  # (compound, its areas)
    households: list[Household]
    members: list[Member]
    branches: dict[str, tuple[str, str]]  # compound -> (branch, secretary)
    responsible: dict[str, str]  # building -> the member who answers for it first
    groups: list[str]  # buildings with a party group (led by their responsible member)
    assigned: list[Household]  # households with a responsible member
    teams: dict[str, list[str]]  # team -> its members
    prices: dict[str, int]  # item -> price
    unit_org: str
    member_ids: list[str] = field(default_factory=list)
    in_service: list[Member] = field(default_factory=list)
    stock: dict[str, int] = field(default_factory=dict)  # item -> on the shelf
    last_request: str | None = None
    entries: int = 0

    @property
    def community_id(self) -> str:
        return self.place.community_id

    def entry_id(self) -> str:
        """Points entries' ids, as the points service numbers them per community."""
        self.entries += 1
        return f"sim-{self.community_id[:8]}-{self.entries}"


def _kind(n: int, shape: CommunityShape) -> members.MemberKind:
    share = n / shape.members
    if share < shape.in_service_share:
        return "in_service"
    return "resident" if share < shape.in_service_share + shape.resident_share else "retired"


def roster(place: Place, shape: CommunityShape, contacts: Sequence[str], seed: int) -> Roster:
    """`contacts`: the communities of the county an in-service member may also report to."""
    rng = random.Random(f"{seed}:roster:{place.community_id}")
    compounds = [
        (new_id(rng), [new_id(rng) for _ in range(shape.areas_per_compound)])
        for _ in range(shape.compounds)
    ]
    households = []
    for b in range(shape.buildings):
        compound, areas = compounds[b % len(compounds)]
        building, area = new_id(rng), areas[b % len(areas)]
        households += [
            Household(new_id(rng), building, compound, area)
            for _ in range(shape.households_per_building)
        ]
    others = [x for x in contacts if x != place.community_id] or [place.community_id]
    people = []
    for n in range(shape.members):
        kind = _kind(n, shape)
        contact = rng.choice(others) if kind == "in_service" else None
        people.append(Member(new_id(rng), kind, rng.choice(households), contact))
    ids = [m.member_id for m in people]
    branches = {
        compound: (new_id(rng), rng.choice(ids))
        for compound, _ in compounds
        if rng.random() < shape.branch_share
    }
    buildings = dict.fromkeys(h.building_id for h in households)
    responsible = {b: rng.choice(ids) for b in buildings}
    compound_of = {h.building_id: h.compound_id for h in households}
    groups = [
        b for b in buildings if compound_of[b] in branches and rng.random() < shape.group_share
    ]
    assigned = [h for h in households if rng.random() < shape.household_member_share]
    teams = {
        new_id(rng): rng.sample(ids, min(shape.team_members, len(ids))) for _ in range(shape.teams)
    }
    prices = {new_id(rng): price for _, price in GOODS[: shape.supermarket_items]}
    return Roster(
        place=place,
        compounds=compounds,
        households=households,
        members=people,
        branches=branches,
        responsible=responsible,
        groups=groups,
        assigned=assigned,
        teams=teams,
        prices=prices,
        unit_org=new_id(rng),
        member_ids=ids,
        in_service=[m for m in people if m.contact is not None],
        stock=dict.fromkeys(prices, SHELF),
    )


def _grid(r: Roster, at: datetime) -> list[tuple[PublicEvent, str]]:
    c = r.community_id
    out: list[tuple[PublicEvent, str]] = []
    for n, (compound, areas) in enumerate(r.compounds):
        out.append(
            (
                grid.CompoundRegistered(
                    compound_id=compound, community_id=c, name=f"第{n + 1}小区", registered_at=at
                ),
                compound,
            )
        )
        out += [
            (
                grid.AreaAdded(
                    area_id=area, compound_id=compound, community_id=c, name=f"{a + 1}片区"
                ),
                compound,
            )
            for a, area in enumerate(areas)
        ]
    by_building: dict[str, list[Household]] = {}
    for h in r.households:
        by_building.setdefault(h.building_id, []).append(h)
    per_unit = -(-len(next(iter(by_building.values()))) // UNITS_PER_BUILDING)
    for n, (building, homes) in enumerate(by_building.items()):
        first = homes[0]
        out.append(
            (
                grid.BuildingRegistered(
                    building_id=building,
                    compound_id=first.compound_id,
                    community_id=c,
                    area_id=first.area_id,
                    name=f"{n + 1}栋",
                    units=UNITS_PER_BUILDING,
                    registered_at=at,
                ),
                building,
            )
        )
        positions = [
            grid.HouseholdPosition(
                household_id=h.household_id,
                unit=i // per_unit + 1,
                room=f"{i % per_unit + 1:02d}01",
            )
            for i, h in enumerate(homes)
        ]
        out.append(
            (
                grid.HouseholdsAdded(
                    building_id=building,
                    compound_id=first.compound_id,
                    community_id=c,
                    households=positions,
                ),
                building,
            )
        )
    return out


def _people(r: Roster, at: datetime) -> list[tuple[PublicEvent, str]]:
    c = r.community_id
    out: list[tuple[PublicEvent, str]] = [
        (
            members.MemberRegistered(
                member_id=m.member_id,
                community_id=c,
                building_id=m.home.building_id,
                household_id=m.home.household_id,
                kind=m.kind,
                contact_community_id=m.contact,
                registered_at=at,
            ),
            m.member_id,
        )
        for m in r.members
    ]
    for compound, (branch, secretary) in r.branches.items():
        out.append(
            (
                party.BranchEstablished(branch_id=branch, compound_id=compound, community_id=c),
                branch,
            )
        )
        out.append(
            (
                party.BranchSecretaryAppointed(
                    branch_id=branch, compound_id=compound, community_id=c, member_id=secretary
                ),
                branch,
            )
        )
    areas = dict(r.compounds)
    for compound, (branch, _) in r.branches.items():
        # A committee member for each area (支部委员负责片区), as in the demo.
        out += [
            (
                party.CommitteeMemberAppointed(
                    branch_id=branch,
                    community_id=c,
                    member_id=r.member_ids[(i * 7 + len(area)) % len(r.member_ids)],
                    area_id=area,
                ),
                branch,
            )
            for i, area in enumerate(areas[compound])
        ]
    # About a fifth of the members living in a compound with a branch are its members
    # (the demo: 1375 of 7500).
    out += [
        (
            party.BranchMemberAdmitted(
                branch_id=r.branches[m.home.compound_id][0], community_id=c, member_id=m.member_id
            ),
            r.branches[m.home.compound_id][0],
        )
        for n, m in enumerate(r.members)
        if n % ADMITTED_EVERY == 0 and m.home.compound_id in r.branches
    ]
    compound_of = {h.building_id: h.compound_id for h in r.households}
    for building in r.groups:
        branch = r.branches[compound_of[building]][0]
        out.append(
            (
                party.PartyGroupFormed(
                    branch_id=branch,
                    community_id=c,
                    building_id=building,
                    leader_member_id=r.responsible[building],
                ),
                branch,
            )
        )
    out += [
        (
            grid.HouseholdMemberAssigned(
                building_id=h.building_id,
                community_id=c,
                household_id=h.household_id,
                member_id=r.responsible[h.building_id],
            ),
            h.building_id,
        )
        for h in r.assigned
    ]
    # Building heads (楼栋长) for a third of the buildings (the demo: 120 of 400).
    out += [
        (
            grid.BuildingHeadAppointed(building_id=b, community_id=c, member_id=member),
            b,
        )
        for n, (b, member) in enumerate(r.responsible.items())
        if n % HEAD_EVERY == 0
    ]
    return out


def _services(r: Roster, at: datetime) -> list[tuple[PublicEvent, str]]:
    c = r.community_id
    out: list[tuple[PublicEvent, str]] = []
    for n, (team, people) in enumerate(r.teams.items()):
        out.append(
            (
                volunteering.TeamRegistered(
                    team_id=team,
                    community_id=c,
                    kind=TEAM_KINDS[n % len(TEAM_KINDS)],
                    name=f"{r.place.name}{TEAM_NAMES[n % len(TEAM_NAMES)]}",
                    registered_at=at,
                ),
                team,
            )
        )
        out += [
            (
                volunteering.ServiceProjectAdded(
                    team_id=team,
                    community_id=c,
                    project_id=f"{team[:24]}{p:012d}",
                    title=title,
                    skills=["服务"],
                ),
                team,
            )
            for p, title in enumerate(PROJECTS)
        ]
        out += [
            (
                volunteering.TeamMemberJoined(
                    team_id=team, community_id=c, member_id=m, joined_at=at
                ),
                team,
            )
            for m in people
        ]
    shelf = f"supermarket:{c}"
    out += [
        (
            points.SupermarketItemStocked(
                community_id=c, item_id=item, name=name, price=price, added=SHELF, stock=SHELF
            ),
            shelf,
        )
        for (item, price), (name, _) in zip(r.prices.items(), GOODS, strict=False)
    ]
    return out


def onboarding_events(r: Roster, at: datetime) -> list[Planned]:
    """In the order the services would publish them, a second apart."""
    c, place = r.community_id, r.place
    county_key = f"county:{place.county}"
    keyed: list[tuple[PublicEvent, str, str]] = [
        (
            communities.CommunityRegistered(
                community_id=c,
                name=place.name,
                county=place.county,
                town=place.town,
                registered_at=at,
            ),
            c,
            c,
        ),
        *((e, s, c) for e, s in _grid(r, at)),
        *((e, s, c) for e, s in _people(r, at)),
        *((e, s, c) for e, s in _services(r, at)),
        (
            unit_orgs.UnitOrganisationRegistered(
                unit_org_id=r.unit_org,
                name=f"{place.county}第{place.index + 1}单位党支部",
                kind=unit_orgs.UnitOrganisationKind.COUNTY_OFFICE,
                county=place.county,
                registered_at=at,
            ),
            r.unit_org,
            county_key,
        ),
        (
            unit_orgs.UnitOrganisationPaired(unit_org_id=r.unit_org, community_id=c, paired_at=at),
            r.unit_org,
            county_key,
        ),
    ]
    return [
        Planned(at + timedelta(seconds=i), event, subject, key)
        for i, (event, subject, key) in enumerate(keyed)
    ]


def registration(place: Place, at: datetime) -> Planned:
    """Only the community's registration: what the province's list of communities needs
    when the rest of its onboarding is left out of a run."""
    c = place.community_id
    return Planned(
        at,
        communities.CommunityRegistered(
            community_id=c, name=place.name, county=place.county, town=place.town, registered_at=at
        ),
        c,
        c,
    )
