"""The organisation view: coverage, the double report, unit organisations and pledges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from grassroots_contracts.organisation import grid, members, party, unit_orgs
from grassroots_eventkit.codec import ReceivedEvent
from projections_service.views.organisation_figures import (
    Pledge,
    Ratio,
    coverage,
    members_registered,
    pledges,
    reporting,
    unit_organisations,
)

from tests.support.projection_events import Feed, projected

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
C1, C2, C3 = "c-chating", "c-longxi", "c-dongan"
COUNTY_KEY = "county:东安县"  # unit organisations' events are keyed by their county


def grid_events(feed: Feed) -> list[ReceivedEvent]:
    """Compounds X1 (with a branch) and X2; buildings B1, B2 in X1 and B3 in X2, a group in
    B1 and B3, B3 retired; households H1..H4 in B1, H1 and H2 with a member, H2 retired."""
    e, t = feed.event, T0
    return [
        e(grid.CompoundRegistered, at=t, compound_id="X1", community_id=C1),
        e(grid.CompoundRegistered, at=t, compound_id="X2", community_id=C1),
        e(grid.BuildingRegistered, at=t, building_id="B1", compound_id="X1", community_id=C1),
        e(grid.BuildingRegistered, at=t, building_id="B2", compound_id="X1", community_id=C1),
        e(grid.BuildingRegistered, at=t, building_id="B3", compound_id="X2", community_id=C1),
        e(party.BranchEstablished, at=t, branch_id="BR1", compound_id="X1", community_id=C1),
        e(party.PartyGroupFormed, at=t, branch_id="BR1", building_id="B1", community_id=C1),
        e(party.PartyGroupFormed, at=t, branch_id="BR1", building_id="B3", community_id=C1),
        e(grid.BuildingRetired, at=t, building_id="B3", compound_id="X2", community_id=C1),
        e(
            grid.HouseholdsAdded,
            at=t,
            building_id="B1",
            compound_id="X1",
            community_id=C1,
            households=[
                {"household_id": f"H{i}", "unit": 1, "room": f"30{i}"} for i in (1, 2, 3, 4)
            ],
        ),
        e(
            grid.HouseholdMemberAssigned,
            at=t,
            building_id="B1",
            household_id="H1",
            member_id="M1",
            community_id=C1,
        ),
        e(
            grid.HouseholdMemberAssigned,
            at=t,
            building_id="B1",
            household_id="H2",
            member_id="M2",
            community_id=C1,
        ),
        e(grid.HouseholdRetired, at=t, building_id="B1", household_id="H2", community_id=C1),
    ]


async def test_coverage_counts_branches_groups_of_buildings_in_use_and_households(stack):
    async with projected(stack, "organisation") as feed:
        await feed.apply(grid_events(feed))

        assert await coverage(feed.pool, C1) == {
            "compounds_with_branch": Ratio(total=2, covered=1),
            "buildings_with_party_group": Ratio(total=2, covered=1),
            "households_with_responsible_member": Ratio(total=3, covered=1),
        }
        assert (await coverage(feed.pool, C1))["households_with_responsible_member"].rate == 0.3333
        assert (await coverage(feed.pool, C2))["compounds_with_branch"].rate is None


async def test_coverage_is_the_same_event_by_event_as_in_one_batch(stack):
    async with projected(stack, "organisation") as feed:
        await feed.apply_one_by_one(grid_events(feed))

        assert await coverage(feed.pool, C1) == {
            "compounds_with_branch": Ratio(total=2, covered=1),
            "buildings_with_party_group": Ratio(total=2, covered=1),
            "households_with_responsible_member": Ratio(total=3, covered=1),
        }


async def test_households_added_to_several_buildings_in_one_batch_all_count(stack):
    async with projected(stack, "organisation") as feed:
        e, t = feed.event, T0

        def added(building: str, *households: str) -> ReceivedEvent:
            return e(
                grid.HouseholdsAdded,
                at=t,
                building_id=building,
                compound_id="X1",
                community_id=C1,
                households=[{"household_id": h, "unit": 1, "room": "101"} for h in households],
            )

        await feed.apply([added("B1", "H1", "H2"), added("B2", "H3"), added("B3", "H4", "H5")])

        assert (await coverage(feed.pool, C1))["households_with_responsible_member"] == Ratio(5, 0)


async def test_a_dissolved_branch_ends_the_groups_of_its_buildings(stack):
    async with projected(stack, "organisation") as feed:
        e, t = feed.event, T0 + timedelta(days=1)
        await feed.apply(grid_events(feed))
        await feed.apply(
            [
                e(party.PartyGroupFormed, at=t, branch_id="BR1", building_id="B2", community_id=C1),
                e(party.BranchDissolved, at=t, branch_id="BR1", compound_id="X1", community_id=C1),
            ]
        )

        figures = await coverage(feed.pool, C1)
        assert figures["compounds_with_branch"] == Ratio(total=2, covered=0)
        assert figures["buildings_with_party_group"] == Ratio(total=2, covered=0)


async def test_a_dissolved_party_group_no_longer_covers_its_building(stack):
    async with projected(stack, "organisation") as feed:
        e, t = feed.event, T0 + timedelta(days=1)
        await feed.apply(grid_events(feed))
        await feed.apply(
            [e(party.PartyGroupDissolved, at=t, branch_id="BR1", building_id="B1", community_id=C1)]
        )

        assert (await coverage(feed.pool, C1))["buildings_with_party_group"] == Ratio(2, 0)


def member_events(feed: Feed) -> list[ReceivedEvent]:
    """In C1: M1, M2, M3 in service (contacts C2, C2, none then C3), M4 resident."""
    e, t = feed.event, T0

    def member(member_id: str, kind: str, contact: str | None) -> ReceivedEvent:
        return e(
            members.MemberRegistered,
            at=t,
            version=1,  # each member's stream starts with its registration
            member_id=member_id,
            community_id=C1,
            kind=kind,
            contact_community_id=contact,
        )

    def report(member_id: str, community_id: str, role: str, day: str) -> ReceivedEvent:
        return e(
            members.MemberReported,
            at=t,
            member_id=member_id,
            community_id=community_id,
            role=role,
            reported_on=day,
            period=int(day[:4]),
        )

    return [
        member("M1", "in_service", C2),
        member("M2", "in_service", C2),
        member("M3", "in_service", None),
        member("M4", "resident", None),
        # The member's stream, not the key, numbers its events: M3's second one.
        e(members.MemberContactCommunitySet, at=t, version=2, member_id="M3", community_id=C3),
        report("M1", C1, "residence", "2026-03-02"),
        report("M1", C2, "contact", "2026-03-09"),
        report("M2", C1, "residence", "2026-03-02"),
        report("M3", C3, "contact", "2026-04-01"),
        report("M1", C1, "residence", "2025-03-02"),
        report("M4", C1, "residence", "2026-03-02"),
    ]


async def test_the_reporting_rate_counts_residence_and_contact_reports_of_the_year(stack):
    async with projected(stack, "organisation") as feed:
        await feed.apply(member_events(feed))

        year = await reporting(feed.pool, C1, 2026)
        assert (year.in_service, year.reported_residence, year.reported_contact) == (3, 2, 2)
        assert (year.reported_both, year.rate) == (1, 0.3333)
        earlier = await reporting(feed.pool, C1, 2025)
        assert (earlier.reported_residence, earlier.reported_both, earlier.rate) == (1, 0, 0.0)
        assert (await reporting(feed.pool, C2, 2026)).rate is None


async def test_a_member_who_moves_home_counts_in_the_new_community(stack):
    async with projected(stack, "organisation") as feed:
        e, t = feed.event, T0 + timedelta(days=60)
        await feed.apply(member_events(feed))
        await feed.apply(
            [
                e(
                    members.MemberResidenceTransferred,
                    at=t,
                    key=C1,
                    member_id="M1",
                    from_community_id=C1,
                    to_community_id=C3,
                )
            ]
        )

        assert await members_registered(feed.pool, [C1, C2, C3]) == {C1: 3, C3: 1}
        left = await reporting(feed.pool, C1, 2026)
        assert (left.in_service, left.reported_residence, left.reported_both) == (2, 1, 0)
        # Its residence report went to C1; in C3 only the contact report (to C2) stands.
        moved = await reporting(feed.pool, C3, 2026)
        assert (moved.in_service, moved.reported_residence, moved.reported_contact) == (1, 0, 1)


def out_of_order(feed: Feed) -> list[ReceivedEvent]:
    """M9's life in its stream's order, each event keyed (partitioned) by its community,
    handed over latest first: a replay reads partitions side by side."""
    e, t = feed.event, T0
    registered = e(
        members.MemberRegistered,
        at=t,
        version=1,
        member_id="M9",
        community_id=C1,
        kind="in_service",
        contact_community_id=C2,
    )
    contact = e(
        members.MemberContactCommunitySet, at=t, version=2, key=C3, member_id="M9", community_id=C3
    )
    first_move = e(
        members.MemberResidenceTransferred,
        at=t,
        version=3,
        key=C2,
        member_id="M9",
        from_community_id=C1,
        to_community_id=C2,
    )
    second_move = e(
        members.MemberResidenceTransferred,
        at=t,
        version=4,
        key=C3,
        member_id="M9",
        from_community_id=C2,
        to_community_id=C3,
    )
    return [second_move, contact, first_move, registered]


async def test_moves_and_a_contact_read_before_the_registration_still_stand(stack):
    async with projected(stack, "organisation") as feed:
        await feed.apply(out_of_order(feed))

        assert await members_registered(feed.pool, [C1, C2, C3]) == {C3: 1}
        row = await feed.pool.fetchrow(
            "SELECT community_id, kind, contact_community_id FROM pj_org_members"
            " WHERE member_id = 'M9'"
        )
        assert tuple(row) == (C3, "in_service", C3)


async def test_a_move_read_alone_is_no_member_until_its_registration(stack):
    async with projected(stack, "organisation") as feed:
        events = out_of_order(feed)
        await feed.apply_one_by_one(events[:3])
        assert await members_registered(feed.pool, [C1, C2, C3]) == {}
        await feed.apply([events[3]])
        assert await members_registered(feed.pool, [C1, C2, C3]) == {C3: 1}


async def test_unit_organisations_paired_and_those_reported_in_the_year(stack):
    async with projected(stack, "organisation") as feed:
        e, t = feed.event, T0

        def paired(unit: str, community: str) -> ReceivedEvent:
            return e(
                unit_orgs.UnitOrganisationPaired,
                at=t,
                key=COUNTY_KEY,
                unit_org_id=unit,
                community_id=community,
                paired_at=t.isoformat(),
            )

        def reported(unit: str, community: str, day: str) -> ReceivedEvent:
            return e(
                unit_orgs.UnitOrganisationReported,
                at=t,
                key=COUNTY_KEY,
                unit_org_id=unit,
                community_id=community,
                reported_on=day,
                recorded_at=t.isoformat(),
            )

        await feed.apply(
            [
                paired("U1", C1),
                paired("U2", C1),
                paired("U3", C2),
                reported("U1", C1, "2026-03-05"),
                reported("U2", C1, "2025-12-31"),
                reported("U3", C2, "2026-03-05"),
                reported("U4", C1, "2026-03-05"),  # not paired with C1: not counted
            ]
        )

        this_year = await unit_organisations(feed.pool, C1, 2026)
        assert (this_year.paired, this_year.reported, this_year.rate) == (2, 1, 0.5)
        # A pairing has no year: the units paired now count in any year asked for (as in the
        # organisation service's own unit_reporting); the reports are of that year.
        last_year = await unit_organisations(feed.pool, C1, 2025)
        assert (last_year.paired, last_year.reported) == (2, 1)
        assert (await unit_organisations(feed.pool, C3, 2026)).rate is None


async def test_pledges_go_from_pledged_to_in_progress_to_done(stack):
    async with projected(stack, "organisation") as feed:
        e = feed.event

        def made(pledge: str, year: int, title: str, days: int) -> ReceivedEvent:
            at = T0 + timedelta(days=days)
            return e(
                unit_orgs.PledgeMade,
                at=at,
                key=COUNTY_KEY,
                pledge_id=pledge,
                unit_org_id="U1",
                community_id=C1,
                year=year,
                title=title,
                pledged_at=at.isoformat(),
            )

        at = T0 + timedelta(days=30)
        started = {"at": at, "key": COUNTY_KEY, "unit_org_id": "U1", "community_id": C1}
        await feed.apply(
            [
                made("P1", 2026, "加装路灯", 1),
                made("P2", 2026, "修缮凉亭", 2),
                made("P3", 2025, "清理河道", 0),
                e(unit_orgs.PledgeStarted, pledge_id="P1", started_at=at.isoformat(), **started),
                e(unit_orgs.PledgeStarted, pledge_id="P2", started_at=at.isoformat(), **started),
                e(
                    unit_orgs.PledgeCompleted,
                    pledge_id="P1",
                    year=2026,
                    completed_at=at.isoformat(),
                    **started,
                ),
            ]
        )

        assert await pledges(feed.pool, C1, 2026) == [
            Pledge("P1", "U1", "加装路灯", "done"),
            Pledge("P2", "U1", "修缮凉亭", "in_progress"),
        ]
        assert await pledges(feed.pool, C1, 2025) == [Pledge("P3", "U1", "清理河道", "pledged")]
        assert await pledges(feed.pool, C2, 2026) == []


async def test_replaying_the_organisation_events_changes_no_figure(stack):
    async with projected(stack, "organisation") as feed:
        events = grid_events(feed) + member_events(feed)
        await feed.apply(events)
        before = (await coverage(feed.pool, C1), await reporting(feed.pool, C1, 2026))
        await feed.apply(events)
        await feed.apply_one_by_one(events)

        assert (await coverage(feed.pool, C1), await reporting(feed.pool, C1, 2026)) == before
        assert before[0]["households_with_responsible_member"] == Ratio(total=3, covered=1)
        assert await members_registered(feed.pool, [C1]) == {C1: 4}
