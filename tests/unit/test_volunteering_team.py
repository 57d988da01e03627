"""The volunteer team aggregate (志愿服务队): registering, joining and leaving, and the
service projects members claim (认领); every rule, on the pure domain.

States are built by folding the events `decide` produced, so `evolve` is exercised too.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from grassroots_eventkit.domain import CommandRejected, InvalidValue, NotFound
from volunteering_service.domain import team as tm

from tests.support.story import Story

pytestmark = pytest.mark.unit

NOW = datetime(2026, 5, 9, 9, 30, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)

TEAM = "t-caring"
COMMUNITY = "c-chating"
PROJECT, OTHER_PROJECT = "p-visits", "p-meals"
M1, M2 = "m-1", "m-2"
HOSPITAL = "县人民医院"


story = Story(tm.DECIDER, NOW)
decide, fold, given, state_of, refusal = story.helpers()


# --- commands ---------------------------------------------------------------------------


def register(kind: str = "caring_volunteers", partner: str | None = None) -> tm.RegisterTeam:
    return tm.RegisterTeam(
        team_id=TEAM,
        community_id=COMMUNITY,
        county="东安县",
        kind=kind,
        name="茶亭社区爱心义工社",
        partner=partner,
    )


def join(member_id: str = M1) -> tm.JoinTeam:
    return tm.JoinTeam(team_id=TEAM, member_id=member_id)


def leave(member_id: str = M1) -> tm.LeaveTeam:
    return tm.LeaveTeam(team_id=TEAM, member_id=member_id)


def add_project(project_id: str = PROJECT) -> tm.AddServiceProject:
    return tm.AddServiceProject(
        team_id=TEAM, project_id=project_id, title="空巢老人结对帮扶", skills=("陪伴", "家政")
    )


def claim(member_id: str = M1, project_id: str = PROJECT) -> tm.ClaimServiceProject:
    return tm.ClaimServiceProject(team_id=TEAM, project_id=project_id, member_id=member_id)


# Stories most tests start from.
REGISTERED = (register(),)
WITH_PROJECT = (*REGISTERED, join(M1), join(M2), add_project())
CLAIMED = (*WITH_PROJECT, claim(M1))


# --- register ---------------------------------------------------------------------------


def test_registering_records_the_team_when_new():
    assert decide(None, register()) == [
        tm.TeamRegistered(
            team_id=TEAM,
            community_id=COMMUNITY,
            county="东安县",
            kind="caring_volunteers",
            name="茶亭社区爱心义工社",
            partner=None,
            at=NOW,
        )
    ]
    assert state_of(*REGISTERED) == tm.Team(
        team_id=TEAM, community_id=COMMUNITY, county="东安县", kind="caring_volunteers"
    )
    assert tm.community_of(state_of(*REGISTERED)) == COMMUNITY


def test_registering_records_the_outside_organisation_when_a_partner_team_names_it():
    [registered] = decide(None, register("partner", HOSPITAL))
    assert (registered.kind, registered.partner) == ("partner", HOSPITAL)


def test_registering_is_refused_with_team_exists_when_registered_twice():
    assert refusal(state_of(*REGISTERED), register()) == (CommandRejected, "team_exists")


@pytest.mark.parametrize(
    ("kind", "partner"),
    [("partner", None), ("caring_volunteers", HOSPITAL), ("emergency_safety", HOSPITAL)],
    ids=["partner_without_organisation", "caring_with_organisation", "safety_with_organisation"],
)
def test_registering_is_refused_with_partner_names_its_organisation_when_kind_and_partner_differ(
    kind, partner
):
    assert refusal(None, register(kind, partner)) == (
        InvalidValue,
        "partner_names_its_organisation",
    )


@pytest.mark.parametrize(
    "command",
    [join(), leave(), add_project(), claim()],
    ids=lambda c: type(c).__name__,
)
def test_a_command_is_refused_with_team_not_found_when_no_team_was_registered(command):
    assert refusal(None, command) == (NotFound, "team_not_found")


# --- join and leave ---------------------------------------------------------------------


def test_joining_makes_the_member_a_member_when_not_in_the_team():
    assert decide(state_of(*REGISTERED), join(M1), LATER) == [
        tm.MemberJoined(team_id=TEAM, member_id=M1, at=LATER)
    ]
    assert state_of(*REGISTERED, join(M1), join(M2)).members == {M1, M2}


def test_joining_records_nothing_when_the_member_is_in_the_team():
    assert decide(state_of(*REGISTERED, join(M1)), join(M1), LATER) == []


def test_leaving_removes_the_member_when_in_the_team():
    state = state_of(*REGISTERED, join(M1), join(M2))
    assert decide(state, leave(M1), LATER) == [tm.MemberLeft(team_id=TEAM, member_id=M1, at=LATER)]
    assert state_of(*REGISTERED, join(M1), join(M2), leave(M1)).members == {M2}


@pytest.mark.parametrize(
    "steps",
    [REGISTERED, (*REGISTERED, join(M1), leave(M1))],
    ids=["never_joined", "already_left"],
)
def test_leaving_is_refused_with_not_a_member_when_the_member_is_not_in_the_team(steps):
    assert refusal(state_of(*steps), leave(M1)) == (CommandRejected, "not_a_member")


def test_joining_again_makes_the_member_a_member_when_they_left():
    state = state_of(*REGISTERED, join(M1), leave(M1), join(M1))
    assert state.members == {M1}


# --- service projects -------------------------------------------------------------------


def test_adding_a_project_offers_it_unclaimed_when_new():
    assert decide(state_of(*REGISTERED), add_project()) == [
        tm.ServiceProjectAdded(
            team_id=TEAM, project_id=PROJECT, title="空巢老人结对帮扶", skills=("陪伴", "家政")
        )
    ]
    assert state_of(*REGISTERED, add_project()).projects == {PROJECT: None}


def test_adding_a_project_is_refused_with_project_exists_when_added_twice():
    assert refusal(state_of(*WITH_PROJECT), add_project()) == (CommandRejected, "project_exists")


def test_adding_a_project_is_refused_with_project_exists_when_it_is_claimed():
    assert refusal(state_of(*CLAIMED), add_project()) == (CommandRejected, "project_exists")


def test_claiming_a_project_gives_it_to_the_member_when_unclaimed():
    assert decide(state_of(*WITH_PROJECT), claim(M1), LATER) == [
        tm.ServiceProjectClaimed(team_id=TEAM, project_id=PROJECT, member_id=M1, at=LATER)
    ]
    assert state_of(*CLAIMED).projects == {PROJECT: M1}


def test_claiming_a_project_is_refused_with_project_not_found_when_the_team_has_no_such_project():
    assert refusal(state_of(*WITH_PROJECT), claim(M1, OTHER_PROJECT)) == (
        NotFound,
        "project_not_found",
    )


@pytest.mark.parametrize(
    "steps",
    [(*REGISTERED, add_project()), (*WITH_PROJECT, leave(M1))],
    ids=["never_joined", "left"],
)
def test_claiming_a_project_is_refused_with_not_a_member_when_the_member_is_not_in_the_team(steps):
    assert refusal(state_of(*steps), claim(M1)) == (CommandRejected, "not_a_member")


def test_claiming_a_project_is_refused_with_project_claimed_when_another_member_claimed_it():
    assert refusal(state_of(*CLAIMED), claim(M2)) == (CommandRejected, "project_claimed")


def test_claiming_a_project_records_nothing_when_the_member_claimed_it_already():
    assert decide(state_of(*CLAIMED), claim(M1), LATER) == []


def test_claiming_another_project_is_accepted_when_the_member_holds_one_already():
    state = state_of(*CLAIMED, add_project(OTHER_PROJECT))
    [claimed] = decide(state, claim(M1, OTHER_PROJECT))
    assert claimed.project_id == OTHER_PROJECT
    assert state_of(*CLAIMED, add_project(OTHER_PROJECT), claim(M1, OTHER_PROJECT)).projects == {
        PROJECT: M1,
        OTHER_PROJECT: M1,
    }
