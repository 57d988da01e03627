"""The unit party organisation aggregate's rules, on the pure domain (no I/O)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from grassroots_contracts.organisation import unit_orgs as public
from grassroots_eventkit.domain import CommandRejected, InvalidValue, NotFound
from organisation_service.domain import unit_org as u
from organisation_service.publication.unit_orgs import to_public
from pydantic import ValidationError

pytestmark = pytest.mark.unit

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
COUNTY = "东安县"
CHATING, SHANZILING = "c-chating", "c-shanziling"


def _ids() -> str:
    raise AssertionError("the unit organisation decider never makes ids")


def decide(state, command, now=NOW):
    return u.decide(state, command, now=now, new_id=_ids)


def run(state, *commands, now=NOW):
    for command in commands:
        for event in decide(state, command, now=now):
            state = u.evolve(state, event)
    return state


REGISTER = u.RegisterUnitOrg(
    unit_org_id="u1", name="东安县人民医院党委", kind="hospital", county=COUNTY
)


def report(community=CHATING, on=date(2026, 2, 20), county=COUNTY):
    return u.ReportToCommunity(
        unit_org_id="u1", community_id=community, community_county=county, reported_on=on
    )


def pair(community=CHATING, county=COUNTY):
    return u.PairWithCommunity(unit_org_id="u1", community_id=community, community_county=county)


def pledge(pledge_id="p1", community=CHATING, year=2026, title="为茶亭社区老旧小区加装路灯"):
    return u.MakePledge(
        unit_org_id="u1", pledge_id=pledge_id, community_id=community, year=year, title=title
    )


def start(pledge_id="p1"):
    return u.StartPledge(unit_org_id="u1", pledge_id=pledge_id)


def note(text="路灯选址完成", pledge_id="p1"):
    return u.AddPledgeNote(unit_org_id="u1", pledge_id=pledge_id, text=text)


def complete(evidence="新装路灯24盏，已验收", pledge_id="p1"):
    return u.CompletePledge(unit_org_id="u1", pledge_id=pledge_id, evidence=evidence)


@pytest.fixture
def registered():
    return run(None, REGISTER)


@pytest.fixture
def paired(registered):
    return run(registered, pair())


def publish(state, command):
    [event] = decide(state, command)
    return to_public(event, u.evolve(state, event))


def refused(state, command, *, now=NOW, kind=CommandRejected):
    with pytest.raises(kind) as caught:
        decide(state, command, now=now)
    return caught.value


# Register and rename


def test_registering_records_name_kind_county_and_time_when_new():
    [event] = decide(None, REGISTER)
    assert event == u.UnitOrgRegistered(
        unit_org_id="u1",
        name="东安县人民医院党委",
        kind="hospital",
        county=COUNTY,
        registered_at=NOW,
    )
    state = u.evolve(None, event)
    assert (state.name, state.kind, state.county) == (
        "东安县人民医院党委",
        u.UnitKind.HOSPITAL,
        COUNTY,
    )
    assert (dict(state.reports), dict(state.pairings), dict(state.pledges)) == ({}, {}, {})


def test_registering_is_refused_when_already_registered(registered):
    assert refused(registered, REGISTER).rule == "unit_org_already_registered"


def test_registering_is_refused_when_the_kind_is_unknown():
    with pytest.raises(ValidationError):
        u.RegisterUnitOrg(unit_org_id="u1", name="某单位", kind="church", county=COUNTY)


def test_renaming_records_the_previous_name_when_the_name_changes(registered):
    [event] = decide(registered, u.RenameUnitOrg(unit_org_id="u1", name="东安县人民医院党总支"))
    assert (event.name, event.previous_name) == ("东安县人民医院党总支", "东安县人民医院党委")


def test_renaming_to_the_same_name_records_nothing(registered):
    assert decide(registered, u.RenameUnitOrg(unit_org_id="u1", name="东安县人民医院党委")) == []


@pytest.mark.parametrize(
    "command",
    [u.RenameUnitOrg(unit_org_id="u1", name="新名字"), report(), pair(), pledge(), start()],
    ids=lambda c: type(c).__name__,
)
def test_every_command_is_refused_with_not_found_when_the_unit_does_not_exist(command):
    problem = refused(None, command, kind=NotFound)
    assert (problem.status, problem.rule) == (404, "unit_org_not_found")


# Report (报到)


def test_reporting_records_the_community_and_date_when_the_community_is_in_the_county(registered):
    [event] = decide(registered, report())
    assert event == u.UnitOrgReported(
        unit_org_id="u1", community_id=CHATING, reported_on=date(2026, 2, 20), recorded_at=NOW
    )
    assert u.evolve(registered, event).reports == {CHATING: (date(2026, 2, 20),)}


def test_reporting_is_refused_when_the_community_is_in_another_county(registered):
    problem = refused(registered, report(county="别的县"), kind=InvalidValue)
    assert (problem.rule, problem.field, problem.status) == (
        "community_of_another_county",
        "community_id",
        422,
    )


def test_reporting_is_refused_when_already_reported_to_that_community_in_the_same_year(registered):
    state = run(registered, report(on=date(2026, 1, 2)))
    problem = refused(state, report(on=date(2026, 2, 27)))
    assert (problem.rule, problem.field, problem.status) == (
        "already_reported_this_year",
        "reported_on",
        409,
    )


def test_reporting_is_accepted_when_the_earlier_report_was_in_another_year(registered):
    state = run(registered, report(on=date(2025, 12, 31)), report(on=date(2026, 1, 1)))
    assert state.reports[CHATING] == (date(2025, 12, 31), date(2026, 1, 1))


def test_reporting_is_accepted_when_the_same_year_goes_to_another_community(registered):
    state = run(registered, report(), report(community=SHANZILING))
    assert set(state.reports) == {CHATING, SHANZILING}


def test_reporting_is_refused_when_dated_in_the_future(registered):
    problem = refused(registered, report(on=date(2026, 3, 2)), kind=InvalidValue)
    assert (problem.rule, problem.field) == ("report_date_in_future", "reported_on")


def test_reporting_today_is_accepted_when_it_is_already_today_in_china_but_not_in_utc(registered):
    # 2026-03-01T23:30Z is 07:30 on 2 March in 东安县.
    late_evening_utc = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    [event] = decide(registered, report(on=date(2026, 3, 2)), now=late_evening_utc)
    assert event.reported_on == date(2026, 3, 2)


def test_reporting_is_refused_when_dated_before_2000():
    with pytest.raises(ValidationError):
        report(on=date(1999, 12, 31))


# Pair (结对)


def test_pairing_records_the_community_and_time_when_in_the_same_county(registered):
    [event] = decide(registered, pair())
    assert event == u.UnitOrgPaired(unit_org_id="u1", community_id=CHATING, paired_at=NOW)
    assert u.evolve(registered, event).pairings == {CHATING: NOW}


def test_pairing_is_refused_when_the_community_is_in_another_county(registered):
    problem = refused(registered, pair(county="别的县"), kind=InvalidValue)
    assert (problem.rule, problem.field) == ("community_of_another_county", "community_id")


def test_pairing_is_refused_when_already_paired_with_that_community(paired):
    problem = refused(paired, pair())
    assert (problem.rule, problem.field) == ("already_paired", "community_id")


def test_pairing_is_accepted_when_it_is_another_community(paired):
    assert set(run(paired, pair(SHANZILING)).pairings) == {CHATING, SHANZILING}


# Pledges (民生实事承诺)


def test_pledging_records_a_pledged_project_when_paired(paired):
    [event] = decide(paired, pledge())
    assert event == u.PledgeMade(
        unit_org_id="u1",
        pledge_id="p1",
        community_id=CHATING,
        year=2026,
        title="为茶亭社区老旧小区加装路灯",
        pledged_at=NOW,
    )
    assert u.evolve(paired, event).pledges["p1"] == u.Pledge(
        "p1", CHATING, 2026, "为茶亭社区老旧小区加装路灯", u.PledgeStatus.PLEDGED, ()
    )


def test_pledging_is_refused_when_not_paired_with_the_community(registered):
    state = run(registered, report())  # reporting is not pairing
    problem = refused(state, pledge())
    assert (problem.rule, problem.field) == ("pledge_needs_pairing", "community_id")


def test_pledging_is_refused_when_two_pledges_exist_for_that_community_and_year(paired):
    state = run(paired, pledge("p1"), pledge("p2", title="助老食堂"))
    problem = refused(state, pledge("p3", title="第三件实事"))
    assert (problem.rule, problem.field, problem.status) == ("pledge_limit", "year", 409)


def test_pledging_is_refused_when_the_limit_is_reached_even_if_the_pledges_are_done(paired):
    state = run(
        paired,
        pledge("p1"),
        start("p1"),
        complete(pledge_id="p1"),
        pledge("p2", title="助老食堂"),
    )
    assert refused(state, pledge("p3", title="第三件实事")).rule == "pledge_limit"


def test_pledging_is_accepted_when_the_limit_is_reached_for_another_year_or_community(paired):
    state = run(paired, pair(SHANZILING), pledge("p1"), pledge("p2", title="助老食堂"))
    state = run(state, pledge("p3", year=2027), pledge("p4", community=SHANZILING))
    assert set(state.pledges) == {"p1", "p2", "p3", "p4"}


@pytest.mark.parametrize("year", [2025, 2028])
def test_pledging_is_refused_when_the_year_is_neither_this_nor_next(paired, year):
    problem = refused(paired, pledge(year=year), kind=InvalidValue)
    assert (problem.rule, problem.field) == ("pledge_year_out_of_range", "year")


def test_pledging_is_refused_when_the_pledge_id_exists(paired):
    state = run(paired, pledge("p1"))
    assert refused(state, pledge("p1", title="另一件")).rule == "pledge_already_made"


@pytest.mark.parametrize("title", ["", "x", "x" * 101, "加装\n路灯", "加装\u200b路灯"])
def test_a_title_is_refused_when_too_short_too_long_or_with_invisible_characters(title):
    with pytest.raises(ValidationError):
        pledge(title=title)


def test_a_note_keeps_line_breaks_and_tabs_when_crlf_becomes_lf():
    assert note("第一行\r\n\t第二行").text == "第一行\n\t第二行"


# Pledge status: pledged → in progress → done


def test_starting_moves_a_pledge_to_in_progress_when_pledged(paired):
    state = run(paired, pledge())
    [event] = decide(state, start())
    assert event == u.PledgeStarted(
        unit_org_id="u1", pledge_id="p1", community_id=CHATING, started_at=NOW
    )
    assert u.evolve(state, event).pledges["p1"].status is u.PledgeStatus.IN_PROGRESS


def test_starting_is_refused_when_already_started(paired):
    state = run(paired, pledge(), start())
    assert refused(state, start()).rule == "pledge_already_started"


def test_completing_is_refused_when_the_pledge_was_not_started(paired):
    state = run(paired, pledge())
    problem = refused(state, complete())
    assert (problem.rule, problem.field) == ("pledge_not_started", "pledge_id")


def test_completing_records_the_evidence_as_a_note_when_in_progress(paired):
    state = run(paired, pledge(), start())
    [event] = decide(state, complete())
    assert event == u.PledgeCompleted(
        unit_org_id="u1",
        pledge_id="p1",
        community_id=CHATING,
        year=2026,
        evidence="新装路灯24盏，已验收",
        completed_at=NOW,
    )
    done = u.evolve(state, event).pledges["p1"]
    assert done.status is u.PledgeStatus.DONE
    assert done.notes == (u.PledgeNote("新装路灯24盏，已验收", NOW, evidence=True),)


@pytest.mark.parametrize("evidence", ["", "   ", "x" * 2001, "带\x00控制符"])
def test_completing_is_refused_when_the_evidence_is_empty_too_long_or_has_control_characters(
    evidence,
):
    with pytest.raises(ValidationError):
        complete(evidence=evidence)


@pytest.mark.parametrize("command", [start(), note(), complete()], ids=lambda c: type(c).__name__)
def test_a_done_pledge_refuses_every_change_when_done(paired, command):
    state = run(paired, pledge(), start(), complete())
    assert refused(state, command).rule == "pledge_already_done"


def test_notes_are_added_in_order_when_pledged_or_in_progress(paired):
    state = run(paired, pledge(), note("立项"), start(), note("施工中\n第二行"))
    assert [n.text for n in state.pledges["p1"].notes] == ["立项", "施工中\n第二行"]


@pytest.mark.parametrize(
    "command",
    [start("p9"), note(pledge_id="p9"), complete(pledge_id="p9")],
    ids=lambda c: type(c).__name__,
)
def test_moving_a_pledge_is_refused_with_not_found_when_the_pledge_is_unknown(paired, command):
    problem = refused(paired, command, kind=NotFound)
    assert (problem.status, problem.rule, problem.field) == (404, "pledge_not_found", "pledge_id")


# Key, storage and publication


def test_the_kafka_key_is_the_county_whichever_community_an_event_concerns(paired):
    state = run(paired, pair(SHANZILING), pledge(community=SHANZILING))
    assert u.community_of(state) == u.community_of(run(None, REGISTER)) == f"county:{COUNTY}"


def test_stored_events_decode_back_to_the_same_events(paired):
    events = [
        *decide(None, REGISTER),
        *decide(paired, report()),
        *decide(paired, pair(SHANZILING)),
    ]
    state = run(paired, pledge())
    events += decide(state, start()) + decide(state, note())
    events += decide(run(state, start()), complete())
    types = u.DECIDER.event_types
    for event in events:
        assert types.decode(event.stored_type(), event.model_dump(mode="json")) == event


def test_the_private_kinds_are_the_public_kinds():
    assert {k.value for k in u.UnitKind} == {k.value for k in public.UnitOrganisationKind}


def test_public_events_never_carry_note_or_evidence_text(paired):
    state = run(paired, pledge(), start())
    added = publish(state, note("居民王某电话13912345678"))
    completed = publish(state, complete("居民王某确认"))
    assert isinstance(added, public.PledgeNoteAdded)
    assert isinstance(completed, public.PledgeCompleted)
    for event in (added, completed):
        assert "王某" not in event.model_dump_json()


def test_every_event_has_a_public_counterpart_when_published(paired):
    pledged = run(paired, pledge())
    started = run(pledged, start())
    events = [
        *decide(None, REGISTER),
        *decide(paired, u.RenameUnitOrg(unit_org_id="u1", name="新名字党委")),
        *decide(paired, report()),
        *decide(paired, pair(SHANZILING)),
        *decide(paired, pledge()),
        *decide(pledged, start()),
        *decide(started, note()),
        *decide(started, complete()),
    ]
    published = [to_public(e, None) for e in events]
    assert {type(p) for p in published} == set(public.EVENTS)
