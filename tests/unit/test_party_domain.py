"""The party organisation's rules, on the pure domain: branches, secretaries, committee, groups."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from grassroots_eventkit.domain import CommandRejected, NotFound
from organisation_service.domain import branch

pytestmark = pytest.mark.unit

NOW = datetime(2026, 3, 1, tzinfo=UTC)
B = branch.branch_id_for("x1")


def run(history, command):
    return branch.DECIDER.decide(branch.DECIDER.fold(history), command, now=NOW, new_id=lambda: "n")


def established(*members: str) -> list:
    history: list = [
        branch.BranchEstablished(
            branch_id=B, compound_id="x1", community_id="c1", county="东安县", established_at=NOW
        )
    ]
    history += [branch.BranchMemberAdmitted(branch_id=B, member_id=m) for m in members]
    return history


def rule_of(history, command) -> str:
    with pytest.raises(CommandRejected) as refused:
        run(history, command)
    return refused.value.rule


def test_the_branch_id_is_fixed_by_the_compound():
    assert branch.branch_id_for("x1") == B
    assert branch.branch_id_for("x2") != B


def test_a_second_branch_for_a_compound_is_refused():
    assert (
        rule_of(
            established(),
            branch.EstablishBranch(
                branch_id=B, compound_id="x1", community_id="c1", county="东安县"
            ),
        )
        == "branch_already_established"
    )


def test_a_dissolved_branch_can_be_established_again():
    history = [*established("m1"), branch.BranchDissolved(branch_id=B, dissolved_at=NOW)]
    [event] = run(
        history,
        branch.EstablishBranch(branch_id=B, compound_id="x1", community_id="c1", county="东安县"),
    )
    assert branch.DECIDER.fold([*history, event]).members == frozenset()


def test_a_dissolved_branch_refuses_appointments():
    history = [*established("m1"), branch.BranchDissolved(branch_id=B, dissolved_at=NOW)]
    assert (
        rule_of(history, branch.AppointSecretary(branch_id=B, member_id="m1")) == "branch_dissolved"
    )


def test_a_secretary_must_be_a_member_of_the_branch():
    assert (
        rule_of(established(), branch.AppointSecretary(branch_id=B, member_id="m1"))
        == "secretary_not_branch_member"
    )


def test_a_branch_has_one_secretary():
    history = [
        *established("m1", "m2"),
        branch.SecretaryAppointed(branch_id=B, member_id="m1", replaced_member_id=None),
    ]
    assert (
        rule_of(history, branch.AppointSecretary(branch_id=B, member_id="m2"))
        == "secretary_already_appointed"
    )


def test_replacing_the_secretary_records_who_was_replaced():
    history = [
        *established("m1", "m2"),
        branch.SecretaryAppointed(branch_id=B, member_id="m1", replaced_member_id=None),
    ]
    [event] = run(history, branch.ReplaceSecretary(branch_id=B, member_id="m2"))
    assert (event.member_id, event.replaced_member_id) == ("m2", "m1")


def test_replacing_a_secretary_that_does_not_exist_is_refused():
    assert (
        rule_of(established("m1"), branch.ReplaceSecretary(branch_id=B, member_id="m1"))
        == "no_secretary_to_replace"
    )


def test_a_group_leader_must_be_a_member_of_that_branch():
    assert (
        rule_of(
            established(),
            branch.FormPartyGroup(branch_id=B, building_id="b1", leader_member_id="outsider"),
        )
        == "group_leader_not_branch_member"
    )


def test_a_building_has_one_party_group():
    history = [
        *established("m1", "m2"),
        branch.PartyGroupFormed(branch_id=B, building_id="b1", leader_member_id="m1"),
    ]
    assert (
        rule_of(
            history, branch.FormPartyGroup(branch_id=B, building_id="b1", leader_member_id="m2")
        )
        == "group_already_formed"
    )


def test_a_new_group_leader_must_also_be_a_branch_member():
    history = [
        *established("m1"),
        branch.PartyGroupFormed(branch_id=B, building_id="b1", leader_member_id="m1"),
    ]
    assert (
        rule_of(
            history,
            branch.ReplaceGroupLeader(branch_id=B, building_id="b1", leader_member_id="outsider"),
        )
        == "group_leader_not_branch_member"
    )


def test_replacing_the_leader_of_a_missing_group_is_not_found():
    with pytest.raises(NotFound):
        run(
            established("m1"),
            branch.ReplaceGroupLeader(branch_id=B, building_id="b9", leader_member_id="m1"),
        )


def test_an_area_has_one_committee_member():
    history = [
        *established("m1", "m2"),
        branch.CommitteeMemberAppointed(branch_id=B, member_id="m1", area_id="a1"),
    ]
    assert (
        rule_of(history, branch.AppointCommitteeMember(branch_id=B, member_id="m2", area_id="a1"))
        == "area_already_covered"
    )


def test_moving_a_committee_member_to_another_area_frees_the_first():
    history = [
        *established("m1"),
        branch.CommitteeMemberAppointed(branch_id=B, member_id="m1", area_id="a1"),
    ]
    events = run(history, branch.AppointCommitteeMember(branch_id=B, member_id="m1", area_id="a2"))
    assert [type(e).__name__ for e in events] == [
        "CommitteeMemberRemoved",
        "CommitteeMemberAppointed",
    ]
    assert dict(branch.DECIDER.fold([*history, *events]).committee) == {"m1": "a2"}


def test_a_member_holding_a_post_cannot_be_removed():
    history = [
        *established("m1"),
        branch.PartyGroupFormed(branch_id=B, building_id="b1", leader_member_id="m1"),
    ]
    assert (
        rule_of(history, branch.RemoveBranchMember(branch_id=B, member_id="m1"))
        == "member_holds_post"
    )


def test_commands_on_a_branch_never_established_are_not_found():
    with pytest.raises(NotFound):
        run([], branch.AdmitBranchMember(branch_id=B, member_id="m1"))
