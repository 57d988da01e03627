"""The Dong'an demo generator: deterministic, the sizes the issue asks for, and only
data the organisation API accepts and its rules allow."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict
from datetime import date

import pytest
from grassroots_stack.demo import generator as g

pytestmark = pytest.mark.unit

AS_OF = date(2026, 5, 9)


@pytest.fixture(scope="module")
def county() -> g.County:
    return g.generate(as_of=AS_OF)


@pytest.fixture(scope="module")
def members(county: g.County) -> dict[str, g.Member]:
    return {m.key: m for m in county.members}


@pytest.fixture(scope="module")
def buildings(county: g.County) -> dict[str, g.Building]:
    return {b.key: b for b in county.buildings}


@pytest.fixture(scope="module")
def compounds(county: g.County) -> dict[str, g.Compound]:
    return {c.key: c for c in county.compounds}


# Determinism


def test_the_same_seed_gives_the_same_county(county):
    assert g.generate(as_of=AS_OF) == county


def test_another_seed_gives_another_county(county):
    other = g.generate(seed=g.DEFAULT_SEED + 1, as_of=AS_OF)
    assert [c.name for c in other.compounds] != [c.name for c in county.compounds]
    assert [m.phone for m in other.members] != [m.phone for m in county.members]


def test_another_year_changes_only_what_is_dated(county):
    later = g.generate(as_of=date(2027, 6, 1))
    assert (later.compounds, later.buildings, later.members) == (
        county.compounds,
        county.buildings,
        county.members,
    )
    assert (later.branches, later.duties, later.heads) == (
        county.branches,
        county.duties,
        county.heads,
    )
    assert {r.reported_on.year for r in later.reports} == {2027}
    assert {p.year for u in later.unit_orgs for p in u.pledges} == {2027}


# Sizes


def test_eight_communities_with_the_two_the_article_names(county):
    names = [c.name for c in county.communities]
    assert len(names) == len(set(names)) == 8
    assert {"茶亭社区", "山子岭社区"} <= set(names)
    assert county.name == "东安县"


def test_the_named_compounds_are_where_the_article_puts_them(county):
    where = {c.name: c.community for c in county.compounds}
    assert where["雍景园小区"] == "chating"
    assert where["县生资公司居民小区"] == "shanziling"


def test_the_grid_has_the_size_of_a_county_seat(county, compounds):
    per_community = Counter(c.community for c in county.compounds)
    assert all(4 <= n <= 8 for n in per_community.values())
    assert all(2 <= len(c.areas) <= 3 for c in county.compounds)
    assert len(county.buildings) == 400
    assert all(2 <= b.units <= 4 for b in county.buildings)
    assert 25_000 <= county.households <= 30_000
    for compound in county.compounds:
        names = [c.name for c in county.compounds if c.community == compound.community]
        assert len(names) == len(set(names)), "compound names are unique in a community"
        assert len({a.name for a in compound.areas}) == len(compound.areas)
        mine = [b for b in county.buildings if b.compound == compound.key]
        assert {b.area for b in mine} == {a.key for a in compound.areas}, "no empty area"
        assert len({b.name for b in mine}) == len(mine)


def test_households_are_unique_by_building_unit_and_room(county):
    positions = [(b.key, h.unit, h.room) for b in county.buildings for h in b.households]
    assert len(positions) == len(set(positions))
    keys = [h.key for b in county.buildings for h in b.households]
    assert len(keys) == len(set(keys))
    for b in county.buildings:
        for h in b.households:
            assert 1 <= h.unit <= b.units
            floor, door = divmod(int(h.room), 100)
            assert 1 <= floor <= b.floors
            assert 1 <= door <= 3
    rooms = {h.room for b in county.buildings for h in b.households}
    assert {"101", "602"} <= rooms


def test_six_thousand_in_service_members_live_in_one_community_and_contact_another(
    county, buildings
):
    kinds = Counter(m.kind for m in county.members)
    assert kinds["in_service"] >= 6000
    assert 1000 <= kinds["resident"] + kinds["retired"] <= 2000
    for m in county.members:
        home = buildings[m.building]
        assert (home.community, home.compound) == (m.community, m.compound)
        assert m.household in {h.key for h in home.households}
        if m.kind == "in_service":
            assert m.contact_community
            assert m.contact_community != m.community
            assert m.work_unit
            assert m.unit_org
        else:
            assert m.contact_community is m.work_unit is m.unit_org is None
    assert len({m.phone for m in county.members}) == len(county.members)


def test_every_in_service_member_reports_to_both_communities_this_year(county, members):
    seen = Counter((r.member, r.community) for r in county.reports)
    assert max(seen.values()) == 1, "one report per community and year"
    for r in county.reports:
        m = members[r.member]
        assert r.community == (m.community if r.role == "residence" else m.contact_community)
        assert date(AS_OF.year, 1, 1) <= r.reported_on <= AS_OF
    in_service = {m.key for m in county.members if m.kind == "in_service"}
    assert {(r.member, r.role) for r in county.reports} == {
        (k, role) for k in in_service for role in ("residence", "contact")
    }


def test_reports_are_never_dated_after_as_of_early_in_the_year():
    early = g.generate(as_of=date(2026, 1, 2), sizes=g.Sizes(scale=0.05))
    assert {r.reported_on for r in early.reports} <= {date(2026, 1, 2)}
    assert all(u.reported_on <= date(2026, 1, 2) for u in early.unit_orgs)


# The party organisation


def test_most_compounds_have_a_branch_and_every_post_holder_is_its_member(
    county, members, compounds, buildings
):
    branched = {b.compound for b in county.branches}
    assert 0.85 <= len(branched) / len(county.compounds) <= 0.95
    assert len(branched) < len(county.compounds), "coverage is realistic, not total"
    named = {c.key for c in county.compounds if c.name in ("雍景园小区", "县生资公司居民小区")}
    assert named <= branched
    outside = 0
    for branch in county.branches:
        compound = compounds[branch.compound]
        posts = [
            branch.secretary,
            *(m for m, _ in branch.committee),
            *(m for _, m in branch.groups),
        ]
        assert set(posts) <= set(branch.members), "admitted before appointed"
        assert set(branch.members) <= set(members)
        outside += sum(members[p].community != compound.community for p in posts)
        assert sorted(a for _, a in branch.committee) == sorted(a.key for a in compound.areas)
        assert branch.secretary not in {m for m, _ in branch.committee}
        for building, _ in branch.groups:
            assert buildings[building].compound == branch.compound
    posts_total = sum(1 + len(b.committee) + len(b.groups) for b in county.branches)
    assert outside / posts_total < 0.02, "post holders live in the branch's community"


def test_party_groups_cover_about_eight_buildings_in_ten(county):
    groups = [building for b in county.branches for building, _ in b.groups]
    assert len(groups) == len(set(groups))
    assert 0.75 <= len(groups) / len(county.buildings) <= 0.85


def test_about_six_households_in_ten_have_a_responsible_member_nearby(county, members, buildings):
    households = [d.household for d in county.duties]
    assert len(households) == len(set(households))
    assert 0.55 <= len(households) / county.households <= 0.65
    for d in county.duties:
        assert d.household in {h.key for h in buildings[d.building].households}
        assert members[d.member].community == buildings[d.building].community
    same_building = sum(members[d.member].building == d.building for d in county.duties)
    assert same_building / len(county.duties) > 0.9


def test_over_a_hundred_young_in_service_members_head_their_own_building(county, members):
    assert len(county.heads) >= 100
    assert len({h.building for h in county.heads}) == len(county.heads)
    for head in county.heads:
        m = members[head.member]
        assert m.kind == "in_service"
        assert m.age <= 40
        assert m.building == head.building


# Leaders, workers, unit organisations


def test_each_community_has_a_linked_county_leader_and_grid_workers(county, compounds):
    assert sorted(link.community for link in county.county_links) == sorted(
        c.key for c in county.communities
    )
    assert all(link.leader.title for link in county.county_links)
    per_community = Counter(w.community for w in county.workers)
    assert all(1 <= per_community[c.key] <= 2 for c in county.communities)
    covered = [c for w in county.workers for c in w.compounds]
    assert sorted(covered) == sorted(compounds), "every compound has one grid worker"
    assert all(compounds[c].community == w.community for w in county.workers for c in w.compounds)
    secretaries = {s.community for s in county.committee_secretaries}
    assert secretaries == {c.key for c in county.communities}


def test_county_leaders_take_charge_of_six_key_compounds(county, compounds):
    assert len(county.key_compounds) == 6
    assert len({k.compound for k in county.key_compounds}) == 6
    assert "县生资公司居民小区" in {compounds[k.compound].name for k in county.key_compounds}


def test_unit_organisations_report_pair_and_pledge_one_or_two_projects(county):
    units = {u.unit: u for u in county.unit_orgs}
    assert len(county.unit_orgs) == 40
    assert len({u.name for u in county.unit_orgs}) == 40
    assert units["东安县供销联社"].community == "shanziling"
    assert "东安县人民医院" in units
    assert {u.kind for u in county.unit_orgs} == {
        "county_office",
        "school",
        "hospital",
        "enterprise",
        "other",
    }
    assert {u.community for u in county.unit_orgs} == {c.key for c in county.communities}
    statuses = Counter()
    for u in county.unit_orgs:
        assert 1 <= len(u.pledges) <= 2
        assert u.reported_on <= AS_OF
        for p in u.pledges:
            assert (p.community, p.year) == (u.community, AS_OF.year)
            assert 2 <= len(p.title) <= 100
            assert (p.note is None) == (p.status == "pledged")
            assert (p.evidence is not None) == (p.status == "done")
            statuses[p.status] += 1
    assert set(statuses) == {"pledged", "in_progress", "done"}


# What the loader and the e2e test rely on


def test_the_expected_figures_add_up_to_the_county(county):
    figures = county.expected.values()
    assert sum(f.compounds for f in figures) == len(county.compounds)
    assert sum(f.buildings for f in figures) == len(county.buildings)
    assert sum(f.households for f in figures) == county.households
    assert sum(f.households_with_member for f in figures) == len(county.duties)
    assert sum(f.compounds_with_branch for f in figures) == len(county.branches)
    in_service = sum(m.kind == "in_service" for m in county.members)
    assert sum(f.in_service_members for f in figures) == in_service
    assert all(f.reported_to_both == f.in_service_members for f in figures)


def test_every_value_fits_the_api(county):
    entity_id = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
    mobile = re.compile(r"^1[3-9]\d{9}$")
    names = [c.name for c in county.compounds] + [a.name for c in county.compounds for a in c.areas]
    names += [u.name for u in county.unit_orgs] + [m.work_unit or "单位" for m in county.members]
    assert all(2 <= len(n) <= 50 for n in names)
    assert all(1 <= len(b.name) <= 30 and b.units <= 30 for b in county.buildings)
    assert all(mobile.match(m.phone) and 1 <= len(m.name) <= 40 for m in county.members)
    assert all(len(m.skills) <= 20 and len(m.wishes) <= 20 for m in county.members)
    leaders = [link.leader for link in county.county_links] + [
        k.leader for k in county.key_compounds
    ]
    assert all(entity_id.match(x.key) for x in [*leaders, *county.workers])
    assert all(1 <= len(w.compounds) <= 50 for w in county.workers)


# Scale


@pytest.mark.parametrize("scale", [0.05, 2.0])
def test_scale_makes_a_smaller_or_bigger_county_of_the_same_shape(scale):
    sizes = g.Sizes(scale=scale)
    county = g.generate(sizes=sizes, as_of=AS_OF)
    in_service = sum(m.kind == "in_service" for m in county.members)
    assert in_service == round(6000 * scale)
    assert len(county.communities) == 8
    assert len(county.unit_orgs) == max(8, round(40 * scale))
    assert len({u.name for u in county.unit_orgs}) == len(county.unit_orgs)
    for c in county.communities:
        names = [x.name for x in county.compounds if x.community == c.key]
        assert len(names) == len(set(names))
    if scale > 1:
        assert len(county.buildings) == 800
        assert county.households > 50_000
    assert all(m.contact_community != m.community for m in county.members if m.kind == "in_service")


def test_more_communities_get_invented_names_and_sizes_round_trip_through_json():
    sizes = g.Sizes(scale=0.05, communities=12)
    county = g.generate(sizes=sizes, as_of=AS_OF)
    assert len({c.name for c in county.communities}) == 12
    assert g.Sizes.from_record(asdict(sizes)) == sizes


def test_sizes_refuse_what_cannot_be_loaded():
    with pytest.raises(ValueError, match="two communities"):
        g.Sizes(communities=1)
    with pytest.raises(ValueError, match="30 units"):
        g.Sizes(units_per_building=(2, 31))
    with pytest.raises(ValueError, match="positive"):
        g.Sizes(scale=0)
