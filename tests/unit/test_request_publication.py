"""What the world sees of a request: one public event per stored event, without personal data;
and how a request is routed down the responsibility chain of its address."""

from __future__ import annotations

import typing
from datetime import UTC, datetime, timedelta

import pytest
from grassroots_contracts.requests import lifecycle as pub
from grassroots_eventkit.domain import DomainEvent
from requests_service import publication
from requests_service.domain import erasure
from requests_service.domain import request as rq
from requests_service.domain.catalogue import DeadlineRule
from requests_service.domain.routing import route_for

pytestmark = pytest.mark.unit

NOW = datetime(2026, 5, 9, 9, 30, tzinfo=UTC)
HOUR = timedelta(hours=1)
RULE = DeadlineRule(respond_within=timedelta(hours=24), resolve_within=timedelta(days=7))
COMMUNITY = "c-chating"
ADDRESS = rq.Address(
    community_id=COMMUNITY, compound_id="x-1", area_id="a-1", building_id="b-1", household_id="h-1"
)
MEMBER = "m-building"
RESIDENT = rq.Actor(kind="resident", id="res-1")
STAFF = rq.Actor(kind="community", id="staff-1")
HOUSING = rq.Actor(kind="department", id="housing")

# Everything a person wrote or is: none of it may reach a public topic.
TEXT = "楼道灯坏了三天 SECRET-TEXT-4711"
NAME = "张秀兰"
PHONE = "13907461234"
PHOTO = "https://photos.example/SECRET-PHOTO-0815.jpg"
NOTE = "换了灯泡 SECRET-NOTE-1001"
RESOLUTION = "灯已修好 SECRET-RESOLUTION-2002"
COMMENT = "师傅很耐心 SECRET-COMMENT-3003"
ESCALATION_REASON = "线路老化 SECRET-WHISTLE-4004"
CANCEL_REASON = "自己修好了 SECRET-CANCEL-5005"
REJECT_REASON = "不属于社区事务 SECRET-REJECT-6006"
SECRETS = (
    TEXT,
    NAME,
    PHONE,
    PHOTO,
    NOTE,
    RESOLUTION,
    COMMENT,
    ESCALATION_REASON,
    CANCEL_REASON,
    REJECT_REASON,
)

EXPECTED_PUBLIC = {
    rq.RequestSubmitted: pub.RequestSubmitted,
    rq.RequestRouted: pub.RequestRouted,
    rq.RequestClaimed: pub.RequestClaimed,
    rq.ProgressNoted: pub.RequestProgressNoted,
    rq.RequestEscalated: pub.RequestEscalated,
    rq.DepartmentReported: pub.DepartmentReported,
    rq.RequestResolved: pub.RequestResolved,
    rq.RequestRated: pub.RequestRated,
    rq.RequestReopened: pub.RequestReopened,
    rq.RequestClosed: pub.RequestClosed,
    rq.RequestCancelled: pub.RequestCancelled,
    rq.RequestRejected: pub.RequestRejected,
    rq.RequestMerged: pub.RequestMerged,
    rq.SupportersJoined: pub.SupportersJoined,
    rq.DeadlineMissed: pub.DeadlineMissed,
    erasure.ResidentErased: pub.ResidentErased,
}


def _no_ids() -> str:
    raise AssertionError("the request decider never makes ids")


def submit(request_id: str, route: rq.Route) -> rq.SubmitRequest:
    return rq.SubmitRequest(
        request_id=request_id,
        county="东安县",
        address=ADDRESS,
        category="repairs",
        channel="app",
        text=TEXT,
        photos=(PHOTO,),
        contact=rq.Contact(name=NAME, phone=PHONE),
        resident_id=RESIDENT.id,
        deadlines=RULE,
        route=route,
    )


def story(*steps: tuple[rq.RequestCommand, datetime]) -> list[tuple[DomainEvent, rq.Request]]:
    """Each event decide produced, with the state right after it (what publication sees)."""
    state: rq.Request | None = None
    published: list[tuple[DomainEvent, rq.Request]] = []
    for command, at in steps:
        for event in rq.decide(state, command, now=at, new_id=_no_ids):
            state = rq.evolve(state, event)
            assert state is not None
            published.append((event, state))
    return published


def every_kind_of_event() -> list[tuple[DomainEvent, rq.Request]]:
    respond_by, resolve_by = NOW + RULE.respond_within, NOW + RULE.resolve_within
    r1, r2, r3, r4 = "r-1", "r-2", "r-3", "r-4"
    chain = rq.Route(level="building", responsible_ids=(MEMBER, "m-compound"))
    # claimed, noted, resolved, reopened, resolved again and closed by a rating
    member_path = story(
        (submit(r1, chain), NOW),
        (rq.ClaimRequest(request_id=r1, member_id=MEMBER), NOW + HOUR),
        (rq.NoteProgress(request_id=r1, by=rq.Actor(kind="member", id=MEMBER), note=NOTE), NOW),
        (
            rq.ResolveRequest(
                request_id=r1,
                by=rq.Actor(kind="member", id=MEMBER),
                resolution=RESOLUTION,
                confirm_within=timedelta(days=3),
            ),
            NOW + 2 * HOUR,
        ),
        (
            rq.RateRequest(
                request_id=r1,
                by=RESIDENT,
                rating="dissatisfied",
                comment=COMMENT,
                max_reopenings=2,
            ),
            NOW + 3 * HOUR,
        ),
        (
            rq.ResolveRequest(
                request_id=r1,
                by=rq.Actor(kind="member", id=MEMBER),
                resolution=RESOLUTION,
                confirm_within=timedelta(days=3),
            ),
            NOW + 4 * HOUR,
        ),
        (
            rq.RateRequest(
                request_id=r1, by=RESIDENT, rating="satisfied", comment=COMMENT, max_reopenings=2
            ),
            NOW + 5 * HOUR,
        ),
    )
    # missed deadlines, whistles (automatic and by hand), a department's report and resolution
    whistle_path = story(
        (submit(r2, chain), NOW),
        (rq.MarkDeadline(request_id=r2, deadline="response", due_at=respond_by), respond_by),
        (
            rq.EscalateRequest(
                request_id=r2,
                by=STAFF,
                to_level="department",
                department=HOUSING.id,
                whistle="tough_problem",
                reason=ESCALATION_REASON,
            ),
            respond_by + HOUR,
        ),
        (rq.ReportForWhistle(request_id=r2, department=HOUSING.id), respond_by + 2 * HOUR),
        (
            rq.MarkDeadline(request_id=r2, deadline="resolution", due_at=resolve_by),
            resolve_by,
        ),
        (
            rq.ResolveRequest(
                request_id=r2,
                by=HOUSING,
                resolution=RESOLUTION,
                confirm_within=timedelta(days=3),
            ),
            resolve_by + HOUR,
        ),
        (
            rq.MarkDeadline(
                request_id=r2,
                deadline="confirmation",
                due_at=resolve_by + HOUR + timedelta(days=3),
            ),
            resolve_by + timedelta(days=4),
        ),
    )
    cancelled = story(
        (submit(r3, chain), NOW),
        (rq.CancelRequest(request_id=r3, by=RESIDENT, reason=CANCEL_REASON), NOW + HOUR),
    )
    rejected = story(
        (submit(r4, chain), NOW),
        (rq.RejectRequest(request_id=r4, by=STAFF, reason=REJECT_REASON), NOW + HOUR),
    )
    merged = story(
        (submit("r-5", chain), NOW),
        (rq.MergeRequest(request_id="r-5", into_request_id=r1, by=STAFF), NOW + HOUR),
    )
    joined = story(
        (submit("r-6", rq.Route(level="community")), NOW),
        (
            rq.JoinSupporters(
                request_id="r-6", from_request_id="r-5", supporters=("res-7", RESIDENT.id)
            ),
            NOW + HOUR,
        ),
    )
    return [*member_path, *whistle_path, *cancelled, *rejected, *merged, *joined]


EVENTS = every_kind_of_event()


def _event_classes_of_the_module() -> set[type]:
    return {
        value
        for value in vars(rq).values()
        if isinstance(value, type) and issubclass(value, DomainEvent) and value is not DomainEvent
    }


def test_every_stored_event_type_has_one_mapper_when_the_decider_knows_it():
    stored = set(typing.get_args(rq.RequestEvent))
    assert stored == _event_classes_of_the_module()
    assert all(rq.DECIDER.event_types.knows(cls.stored_type()) for cls in stored)
    assert set(publication.MAPPERS) == stored | {erasure.ResidentErased}
    assert len(publication.MAPPERS) == 16


def test_every_stored_event_type_maps_to_its_own_public_event_type_when_published():
    assert set(EXPECTED_PUBLIC) == set(publication.MAPPERS)
    assert set(EXPECTED_PUBLIC.values()) == set(pub.EVENTS)
    assert len(set(EXPECTED_PUBLIC.values())) == len(EXPECTED_PUBLIC)


def test_the_stories_produce_every_kind_of_stored_event_when_played():
    request_events = set(publication.MAPPERS) - {erasure.ResidentErased}
    assert {type(event) for event, _ in EVENTS} == request_events


def test_an_erasure_is_published_with_the_opaque_resident_id_and_a_count_only_when_mapped():
    [event] = erasure.decide(
        None,
        erasure.EraseResident(
            resident_id="res-1", community_id=COMMUNITY, request_ids=("r-1", "r-2"), by="staff-1"
        ),
        now=NOW,
        new_id=_no_ids,
    )
    public = publication.to_public(event, erasure.evolve(None, event))
    assert public == pub.ResidentErased(
        resident_id="res-1", community_id=COMMUNITY, requests=2, erased_at=NOW
    )
    again = erasure.decide(
        erasure.evolve(None, event),
        erasure.EraseResident(
            resident_id="res-1", community_id=COMMUNITY, request_ids=("r-1",), by="staff-2"
        ),
        now=NOW,
        new_id=_no_ids,
    )
    assert again == []


def test_a_callers_erasure_is_recorded_once_and_published_as_nothing_when_mapped():
    erase = erasure.EraseCaller(request_id="r-1", community_id=COMMUNITY, by="staff-1")
    [event] = erasure.decide_caller(None, erase, now=NOW, new_id=_no_ids)
    state = erasure.evolve_caller(None, event)
    assert publication.to_public(event, state) is None
    assert erasure.decide_caller(state, erase, now=NOW, new_id=_no_ids) == []


@pytest.mark.parametrize(
    ("event", "state"), EVENTS, ids=[f"{i}-{type(e).__name__}" for i, (e, _) in enumerate(EVENTS)]
)
def test_a_public_event_validates_against_its_contract_when_published(event, state):
    public = publication.to_public(event, state)
    assert type(public) is EXPECTED_PUBLIC[type(event)]
    assert type(public).model_validate_json(public.model_dump_json()) == public
    assert type(public).model_validate(public.model_dump(mode="json")) == public
    assert (public.request_id, public.community_id) == (event.request_id, COMMUNITY)


@pytest.mark.parametrize(
    ("event", "state"), EVENTS, ids=[f"{i}-{type(e).__name__}" for i, (e, _) in enumerate(EVENTS)]
)
def test_a_public_event_carries_no_personal_data_when_published(event, state):
    payload = publication.to_public(event, state).model_dump_json()
    leaked = [secret for secret in SECRETS if secret in payload]
    assert leaked == []
    assert "SECRET-" not in payload


def test_the_stored_events_do_hold_the_personal_data_when_the_check_is_meaningful():
    stored = "".join(event.model_dump_json() for event, _ in EVENTS)
    assert [secret for secret in SECRETS if secret not in stored] == []


def test_a_submission_is_published_with_its_grid_position_and_a_photo_count_when_mapped():
    event, state = EVENTS[0]
    public = publication.to_public(event, state)
    assert public == pub.RequestSubmitted(
        request_id="r-1",
        community_id=COMMUNITY,
        compound_id="x-1",
        area_id="a-1",
        building_id="b-1",
        household_id="h-1",
        category="repairs",
        channel="app",
        photos=1,
        submitted_at=NOW,
        respond_by=NOW + RULE.respond_within,
        resolve_by=NOW + RULE.resolve_within,
    )


def test_a_resolution_names_what_resolved_it_when_mapped():
    resolvers = {
        public.resolved_by: public.resolver
        for public in (publication.to_public(e, s) for e, s in EVENTS)
        if isinstance(public, pub.RequestResolved)
    }
    assert resolvers == {MEMBER: "member", HOUSING.id: "department"}
    assert rq.resolver_of(STAFF) == "community"


def test_joined_supporters_are_published_as_a_count_when_mapped():
    [(event, state)] = [(e, s) for e, s in EVENTS if isinstance(e, rq.SupportersJoined)]
    public = publication.to_public(event, state)
    assert public.supporters == 2 == len(state.supporters)
    assert public.from_request_id == "r-5"


# --- routing ----------------------------------------------------------------------------


def test_a_route_goes_to_the_community_with_no_ids_when_nobody_answers_for_the_address():
    assert route_for([]) == rq.Route(level="community", responsible_ids=())


def test_a_route_keeps_everyone_nearest_first_without_duplicates_when_the_chain_repeats():
    chain = [
        ("building", "m-1"),
        ("area", "m-2"),
        ("compound", "m-1"),
        ("compound", "m-3"),
        ("area", "m-2"),
    ]
    assert route_for(chain) == rq.Route(level="building", responsible_ids=("m-1", "m-2", "m-3"))


def test_a_route_takes_the_level_of_the_nearest_when_it_starts_above_the_building():
    assert route_for([("compound", "m-9"), ("community", "m-8")]) == rq.Route(
        level="compound", responsible_ids=("m-9", "m-8")
    )
