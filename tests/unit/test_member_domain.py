"""Members and the double report (双报到), on the pure domain."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from grassroots_eventkit.domain import CommandRejected, InvalidValue, NotFound
from organisation_service.domain import community, member
from pydantic import ValidationError

pytestmark = pytest.mark.unit

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
HOME = member.Residence(community_id="home", building_id="b1", household_id="h1")


def run(history, command):
    return member.DECIDER.decide(member.DECIDER.fold(history), command, now=NOW, new_id=lambda: "n")


def registered(kind: str = "in_service", contact: str | None = "contact") -> list:
    [event] = run(
        [],
        member.RegisterMember(
            member_id="m1",
            county="东安县",
            name="张伟",
            phone="13907460001",
            residence=HOME,
            kind=kind,
            contact_community_id=contact,
        ),
    )
    return [event]


def report(community_id: str, role: str, day: date = date(2026, 3, 2)) -> member.ReportToCommunity:
    return member.ReportToCommunity(
        member_id="m1", community_id=community_id, role=role, reported_on=day
    )


def test_a_member_who_reported_to_both_communities_in_a_year_has_double_reported():
    history = registered()
    history += run(history, report("home", "residence"))
    assert not member.DECIDER.fold(history).reported_both(2026)
    history += run(history, report("contact", "contact"))
    assert member.DECIDER.fold(history).reported_both(2026)
    assert not member.DECIDER.fold(history).reported_both(2027)


def test_a_member_cannot_report_twice_to_the_same_community_in_the_same_year():
    history = registered()
    history += run(history, report("home", "residence"))
    with pytest.raises(CommandRejected) as refused:
        run(history, report("home", "residence", date(2026, 5, 1)))
    assert (refused.value.rule, refused.value.field) == ("already_reported", "community_id")


def test_a_member_reports_again_in_the_next_year():
    history = registered()
    history += run(history, report("home", "residence", date(2025, 3, 2)))
    [event] = run(history, report("home", "residence", date(2026, 1, 5)))
    assert event.period == 2026


def test_a_residence_report_must_go_to_the_residence_community():
    with pytest.raises(CommandRejected) as refused:
        run(registered(), report("contact", "residence"))
    assert refused.value.rule == "not_residence_community"


def test_a_contact_report_must_go_to_the_contact_community():
    with pytest.raises(CommandRejected) as refused:
        run(registered(), report("home", "contact"))
    assert refused.value.rule == "not_contact_community"


def test_only_in_service_members_have_a_contact_community():
    with pytest.raises(CommandRejected) as refused:
        run(
            [],
            member.RegisterMember(
                member_id="m1",
                county="东安县",
                name="李四",
                phone="13907460002",
                residence=HOME,
                kind="retired",
                contact_community_id="contact",
            ),
        )
    assert refused.value.rule == "contact_community_in_service_only"
    with pytest.raises(CommandRejected):
        run(registered("retired", None), report("contact", "contact"))


def test_a_report_dated_in_the_future_is_refused():
    with pytest.raises(InvalidValue) as refused:
        run(registered(), report("home", "residence", date(2026, 6, 2)))
    assert refused.value.field == "reported_on"


def test_after_a_transfer_the_residence_report_goes_to_the_new_community():
    history = registered()
    new_home = member.Residence(community_id="elsewhere")
    history += run(history, member.TransferResidence(member_id="m1", residence=new_home))
    [event] = run(history, report("elsewhere", "residence"))
    assert event.community_id == "elsewhere"
    # The stream keeps its first community as its Kafka key.
    assert member.community_of(member.DECIDER.fold(history)) == "home"


def test_commands_for_an_unknown_member_are_not_found():
    with pytest.raises(NotFound):
        run([], report("home", "residence"))


@pytest.mark.parametrize("phone", ["12345", "23907460001", "1390746000", "phone"])
def test_a_phone_must_be_a_mobile_or_landline_number(phone):
    with pytest.raises(ValidationError):
        member.RegisterMember(
            member_id="m", county="x", name="王五", phone=phone, residence=HOME, kind="resident"
        )


def test_a_landline_number_is_accepted():
    assert (
        member.RegisterMember(
            member_id="m",
            county="x",
            name="王五",
            phone="0746-1234567",
            residence=HOME,
            kind="resident",
        ).phone
        == "0746-1234567"
    )


def test_the_community_records_its_committee_secretary_and_linked_leader():
    history: list = [
        community.CommunityRegistered(
            community_id="c1", name="茶亭社区", county="东安县", town="白牙市镇", registered_at=NOW
        )
    ]
    for command in (
        community.AppointCommitteeSecretary(community_id="c1", member_id="m1"),
        community.LinkCountyLeader(
            community_id="c1", leader_id="l1", name="王强", title="县委常委"
        ),
    ):
        history += community.decide(
            community.DECIDER.fold(history), command, now=NOW, new_id=lambda: "n"
        )
    state = community.DECIDER.fold(history)
    assert state.committee_secretary == "m1"
    assert [p.person_id for p in state.leaders] == ["l1"]
    again = community.LinkCountyLeader(
        community_id="c1", leader_id="l1", name="王强", title="县委常委"
    )
    assert community.decide(state, again, now=NOW, new_id=lambda: "n") == []
