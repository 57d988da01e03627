"""Which public events earn or cost points and for whom (`sources`), the what-if replay of
a community's past under a rule book (`scoring`), and what the world sees of each stored
points event (`publication`); on the pure domain, with the contracts' own example payloads.
"""

from __future__ import annotations

import random
import typing
from datetime import UTC, date, datetime, timedelta

import pytest
from grassroots_contracts.events import PublicEvent
from grassroots_contracts.organisation import members
from grassroots_contracts.points import events as pub
from grassroots_contracts.requests import lifecycle as requests
from grassroots_contracts.volunteering import events as volunteering
from grassroots_eventkit.domain import DomainEvent
from points_service import publication
from points_service.domain import account as acc
from points_service.domain import evaluation as ev
from points_service.domain import rulebook as rb
from points_service.domain import supermarket as sm
from points_service.domain.default_rules import DEFAULT_RULES
from points_service.domain.rulebook import Rule
from points_service.domain.scoring import Source, replay
from points_service.domain.sources import SOURCE_TYPES, ReverseIntent, ScoreIntent, intents

pytestmark = pytest.mark.unit

# the ids of the contracts' example payloads
M = "0193a7c2-0000-7000-8000-00000000e001"
C = "7d3f1c2e-0b1a-4c55-9a57-1f0e4b8f2c11"
REQUEST = "0193a7c2-0000-7000-8000-0000000f0001"
ACTIVITY = "0193a7c2-0000-7000-8000-0000000c1001"
SLOT = "0193a7c2-0000-7000-8000-0000000c2001"

OTHER = "0193a7c2-0000-7000-8000-00000000e002"
THIRD = "0193a7c2-0000-7000-8000-00000000e003"
# when the source event happened (its CloudEvents time), not any time in its payload
AT = datetime(2026, 5, 10, 2, 0, tzinfo=UTC)  # 10:00 on 10 May in Dong'an
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def payload(cls: type[PublicEvent], **change: object) -> dict[str, object]:
    """The contract's example, changed, as it arrives off Kafka: validated, then JSON."""
    return cls.model_validate({**cls.example, **change}).model_dump(mode="json")


# === sources ============================================================================

EXAMPLES: dict[type[PublicEvent], list] = {
    members.MemberReported: [ScoreIntent(M, f"report:{C}:2026", AT)],
    requests.RequestResolved: [ScoreIntent(M, f"request:{REQUEST}", AT)],
    requests.RequestRated: [ScoreIntent(M, f"request:{REQUEST}", AT)],
    requests.RequestReopened: [ReverseIntent(M, f"request:{REQUEST}", "request_resolved", AT)],
    volunteering.HoursCertified: [ScoreIntent(M, f"activity:{ACTIVITY}", AT, 2.5)],
    volunteering.ShiftServed: [ScoreIntent(M, f"shift:{SLOT}", AT)],
    volunteering.ShiftMissed: [ScoreIntent(M, f"shift:{SLOT}", AT)],
    volunteering.ActivityNoShow: [ScoreIntent(M, f"activity:{ACTIVITY}", AT)],
}


def test_the_examples_cover_every_source_type_when_listed():
    assert {cls.event_type for cls in EXAMPLES} == SOURCE_TYPES
    assert len(SOURCE_TYPES) == 8


@pytest.mark.parametrize(
    ("cls", "expected"), list(EXAMPLES.items()), ids=[c.__name__ for c in EXAMPLES]
)
def test_a_source_names_the_member_subject_and_quantity_when_its_example_arrives(cls, expected):
    found = intents(cls.event_type, payload(cls), AT)
    assert found == expected
    assert all(intent.occurred_at == AT for intent in found)


@pytest.mark.parametrize(
    ("cls", "change", "expected"),
    [
        (
            members.MemberReported,
            {"member_id": OTHER, "community_id": "c-2", "role": "contact", "period": 2027},
            ScoreIntent(OTHER, "report:c-2:2027", AT),
        ),
        (
            requests.RequestResolved,
            {"resolved_by": OTHER, "request_id": "r-9"},
            ScoreIntent(OTHER, "request:r-9", AT),
        ),
        (
            requests.RequestRated,
            {"resolved_by": OTHER, "request_id": "r-9", "rating": "basically_satisfied"},
            ScoreIntent(OTHER, "request:r-9", AT),
        ),
        (
            requests.RequestReopened,
            {"previously_resolved_by": OTHER, "request_id": "r-9"},
            ReverseIntent(OTHER, "request:r-9", "request_resolved", AT),
        ),
        (
            volunteering.HoursCertified,
            {"member_id": OTHER, "hours": 3.25, "source": "shift", "source_id": "s-9"},
            ScoreIntent(OTHER, "shift:s-9", AT, 3.25),
        ),
        (
            volunteering.ShiftServed,
            {"member_id": OTHER, "slot_id": "s-9", "hours": 4.0},
            ScoreIntent(OTHER, "shift:s-9", AT),  # a shift scores per shift, not per hour
        ),
        (
            volunteering.ShiftMissed,
            {"member_id": OTHER, "slot_id": "s-9"},
            ScoreIntent(OTHER, "shift:s-9", AT),
        ),
        (
            volunteering.ActivityNoShow,
            {"member_id": OTHER, "activity_id": "a-9"},
            ScoreIntent(OTHER, "activity:a-9", AT),
        ),
    ],
    ids=[
        "reported_as_contact",
        "resolved",
        "rated_basically_satisfied",
        "reopened",
        "hours_of_a_shift",
        "shift_served",
        "shift_missed",
        "no_show",
    ],
)
def test_a_source_reads_the_member_and_subject_from_the_payload_when_they_change(
    cls, change, expected
):
    assert intents(cls.event_type, payload(cls, **change), AT) == [expected]


@pytest.mark.parametrize(
    ("cls", "change"),
    [
        (requests.RequestResolved, {"resolver": "department", "resolved_by": "housing"}),
        (requests.RequestResolved, {"resolver": "community", "resolved_by": "staff-1"}),
        (requests.RequestRated, {"resolver": "department", "resolved_by": "housing"}),
        (requests.RequestRated, {"resolver": "community", "resolved_by": "staff-1"}),
        (requests.RequestRated, {"rating": "dissatisfied"}),
        (requests.RequestReopened, {"previous_resolver": "department"}),
        (requests.RequestReopened, {"previous_resolver": "community"}),
    ],
    ids=[
        "resolved_by_a_department",
        "resolved_by_the_community",
        "rated_for_a_department",
        "rated_for_the_community",
        "dissatisfied",
        "reopened_from_a_department",
        "reopened_from_the_community",
    ],
)
def test_nothing_is_scored_when_the_resolver_is_no_member_or_the_rating_is_dissatisfied(
    cls, change
):
    assert intents(cls.event_type, payload(cls, **change), AT) == []


@pytest.mark.parametrize(
    "cls",
    [requests.RequestClosed, members.MemberRegistered, volunteering.ActivityCompleted],
    ids=lambda c: c.__name__,
)
def test_nothing_is_scored_when_the_event_type_is_no_source(cls):
    assert cls.event_type not in SOURCE_TYPES
    assert intents(cls.event_type, payload(cls), AT) == []


# === scoring: the what-if replay ========================================================


def source(event_id: str, cls: type[PublicEvent], at: datetime = AT, **change: object) -> Source:
    return Source(event_id, cls.event_type, payload(cls, **change), at, C)


def resolved(event_id: str, request_id: str, at: datetime = AT, member: str = M) -> Source:
    return source(event_id, requests.RequestResolved, at, request_id=request_id, resolved_by=member)


def reopened(event_id: str, request_id: str, at: datetime = AT, member: str = M) -> Source:
    return source(
        event_id, requests.RequestReopened, at, request_id=request_id, previously_resolved_by=member
    )


def hours(event_id: str, amount: float, at: datetime = AT, activity: str = "a-1") -> Source:
    return source(event_id, volunteering.HoursCertified, at, hours=amount, source_id=activity)


DOUBLED = tuple(r.model_copy(update={"amount": r.amount * 2}) for r in DEFAULT_RULES)

SEASON = [
    source("s-1", members.MemberReported, AT),  # 10
    resolved("s-2", "r-1", AT + HOUR),  # 5
    source("s-3", requests.RequestRated, AT + 2 * HOUR, request_id="r-1"),  # 3
    hours("s-4", 2.5, AT + 3 * HOUR),  # 2 per hour: 5
    source("s-5", volunteering.ShiftServed, AT + 4 * HOUR),  # 5
    source("s-6", volunteering.ActivityNoShow, AT + 5 * HOUR),  # -3
    source("s-7", volunteering.ShiftMissed, AT + 6 * HOUR),  # -5
    resolved("s-8", "r-2", AT + 7 * HOUR, member=OTHER),  # 5
    source(  # resolved by a department: nobody scores
        "s-9", requests.RequestResolved, AT, resolver="department", resolved_by="housing"
    ),
]


def test_the_default_book_scores_each_member_s_sources_when_replayed():
    assert replay(SEASON, DEFAULT_RULES, "default:1") == {M: 20, OTHER: 5}


def test_a_doubled_draft_doubles_every_total_when_no_cap_is_reached():
    default = replay(SEASON, DEFAULT_RULES, "default:1")
    doubled = replay(SEASON, DOUBLED, "draft")
    assert doubled == {M: 40, OTHER: 10}
    assert doubled == {member: 2 * points for member, points in default.items()}


def test_a_draft_scores_only_the_triggers_it_has_rules_for_when_replayed():
    only_resolved = tuple(r for r in DEFAULT_RULES if r.rule_id == "request_resolved")
    assert replay(SEASON, only_resolved, "draft") == {M: 5, OTHER: 5}
    assert replay([hours("h-1", 3.0)], only_resolved, "draft") == {}


def test_the_day_cap_holds_under_both_books_when_many_requests_are_resolved_one_day():
    many = [resolved(f"s-{n}", f"r-{n}", AT + n * HOUR) for n in range(6)]
    assert replay(many, DEFAULT_RULES, "default:1") == {M: 20}  # 4 x 5, then capped
    assert replay(many, DOUBLED, "draft") == {M: 20}  # 2 x 10, then capped
    next_day = [*many, resolved("s-next", "r-next", AT + DAY)]
    assert replay(next_day, DEFAULT_RULES, "default:1") == {M: 25}
    assert replay(next_day, DOUBLED, "draft") == {M: 30}


def test_the_month_cap_on_hours_holds_when_a_member_serves_many_hours():
    month = [hours("h-1", 30.0, AT), hours("h-2", 20.0, AT + DAY, "a-2")]
    assert replay(month, DEFAULT_RULES, "default:1") == {M: 80}  # 60 + 40 cut to 20
    june = [*month, hours("h-3", 2.0, datetime(2026, 6, 1, 1, 0, tzinfo=UTC), "a-3")]
    assert replay(june, DEFAULT_RULES, "default:1") == {M: 84}
    assert replay(june, DOUBLED, "draft") == {M: 88}


def test_the_year_cap_on_reporting_holds_when_a_member_reports_to_two_communities():
    both = [
        source("m-1", members.MemberReported, AT, role="residence"),
        source("m-2", members.MemberReported, AT + DAY, role="contact", community_id="c-2"),
    ]
    assert replay(both, DEFAULT_RULES, "default:1") == {M: 20}
    assert replay(both, DOUBLED, "draft") == {M: 20}  # 20, then the cap is used up


def test_a_reopen_reverses_the_resolved_award_when_replayed():
    story = [resolved("s-1", "r-1", AT), reopened("s-2", "r-1", AT + HOUR)]
    assert replay(story, DEFAULT_RULES, "default:1") == {M: 0}
    again = [*story, resolved("s-3", "r-1", AT + 2 * HOUR)]
    assert replay(again, DEFAULT_RULES, "default:1") == {M: 5}
    assert replay(again, DOUBLED, "draft") == {M: 10}
    # a reopen of another member's request leaves this member's award alone
    other = [resolved("s-1", "r-1", AT), reopened("s-2", "r-2", AT + HOUR, member=OTHER)]
    assert replay(other, DEFAULT_RULES, "default:1") == {M: 5, OTHER: 0}


def test_a_source_given_twice_counts_once_when_replayed():
    assert replay([*SEASON, *SEASON], DEFAULT_RULES, "default:1") == {M: 20, OTHER: 5}


@pytest.mark.parametrize("seed", range(5))
def test_the_order_of_the_input_does_not_matter_when_replayed(seed):
    story = [
        *SEASON,
        *(resolved(f"c-{n}", f"r-c{n}", AT + n * HOUR) for n in range(5)),
        reopened("x-1", "r-1", AT + 10 * HOUR),
        resolved("s-again", "r-1", AT + 11 * HOUR),
    ]
    expected = replay(story, DEFAULT_RULES, "default:1")
    shuffled = story[:]
    random.Random(seed).shuffle(shuffled)
    assert replay(shuffled, DEFAULT_RULES, "default:1") == expected
    assert replay(list(reversed(story)), DEFAULT_RULES, "default:1") == expected


def test_a_reopen_listed_before_its_resolution_still_reverses_it_when_it_happened_after():
    story = [reopened("s-2", "r-1", AT + HOUR), resolved("s-1", "r-1", AT)]
    assert replay(story, DEFAULT_RULES, "default:1") == {M: 0}


# === publication ========================================================================

NOW = datetime(2026, 5, 9, 9, 30, tzinfo=UTC)
COUNTY = "东安县"
COMMUNITY = "c-chating"
HOME, CONTACT = "c-home", "c-contact"
RESOLVED_T = requests.RequestResolved.event_type


def _ids() -> str:
    return "manual-1"


def story(module_decide, module_evolve, *steps) -> list[tuple[DomainEvent, object]]:
    """Each event decide produced, with the state right after it (what publication sees)."""
    state = None
    published: list[tuple[DomainEvent, object]] = []
    for command in steps:
        for event in module_decide(state, command, now=NOW, new_id=_ids):
            state = module_evolve(state, event)
            assert state is not None
            published.append((event, state))
    return published


def _score(source_id: str, rule: Rule, subject: str = "request:r-1") -> acc.Score:
    return acc.Score(
        member_id="m-1",
        community_id=COMMUNITY,
        source_event_id=source_id,
        source_type=rule.trigger,
        subject_ref=subject,
        occurred_at=NOW,
        rule=rule,
        book="东安县:1",
    )


AWARD = Rule(
    rule_id="request_resolved", trigger=RESOLVED_T, amount=5, cap_day=7, expires_after_days=365
)
NO_SHOW = Rule(
    rule_id="activity_no_show", trigger="grassroots.volunteering.ActivityNoShow.v1", amount=-3
)

ACCOUNT_STORY = story(
    acc.decide,
    acc.evolve,
    _score("e-1", AWARD),
    _score("e-2", AWARD, "request:r-2"),  # capped to 2
    _score("e-3", AWARD, "request:r-3"),  # nothing left
    _score("e-4", NO_SHOW, "activity:a-1"),
    acc.Reverse(
        member_id="m-1",
        community_id=COMMUNITY,
        source_event_id="e-5",
        source_type=requests.RequestReopened.event_type,
        subject_ref="request:r-1",
        rule_id="request_resolved",
        occurred_at=NOW,
    ),
    acc.ManualAward(
        member_id="m-1",
        community_id=COMMUNITY,
        amount=20,
        reason="flood relief",
        approver="staff-2",
        recorded_by="staff-1",
    ),
    acc.Redeem(member_id="m-1", community_id=COMMUNITY, redemption_id="rd-1", points=10),
    acc.Refund(member_id="m-1", redemption_id="rd-1"),
)
COUNTY_BOOK_STORY = story(
    rb.decide,
    rb.evolve,
    rb.PublishRuleBook(
        stream_id=rb.book_stream(COUNTY),
        county=COUNTY,
        effective_from=date(2026, 6, 1),
        rules=DEFAULT_RULES,
    ),
)
COMMUNITY_BOOK_STORY = story(
    rb.decide,
    rb.evolve,
    rb.PublishRuleBook(
        stream_id=rb.book_stream(COUNTY, COMMUNITY),
        county=COUNTY,
        community_id=COMMUNITY,
        effective_from=date(2026, 5, 9),
        rules=(AWARD,),
    ),
)
SHOP_STORY = story(
    sm.decide,
    sm.evolve,
    sm.StockItem(community_id=COMMUNITY, item_id="i-oil", name="食用油 5L", price=50, added=3),
    sm.TakeGoods(
        community_id=COMMUNITY, redemption_id="rd-1", member_id="m-1", item_id="i-oil", quantity=3
    ),
    sm.ReturnGoods(community_id=COMMUNITY, redemption_id="rd-1"),
)
EVALUATION_STORY = story(
    ev.decide,
    ev.evolve,
    ev.RateMember(
        member_id="m-1",
        year=2026,
        home_community_id=HOME,
        community_id=HOME,
        role="residence",
        score=90,
    ),
    ev.RateMember(
        member_id="m-1",
        year=2026,
        home_community_id=HOME,
        community_id=CONTACT,
        role="contact",
        score=85,
    ),
    ev.GradeMember(
        member_id="m-1",
        year=2026,
        home_community_id=HOME,
        points=180,
        reported_both=True,
        thresholds=ev.Thresholds(full_points=200),
    ),
)
AWARDS_STORY = story(
    ev.decide_award,
    ev.evolve_award,
    ev.RecordAward(community_id=COMMUNITY, year=2026, kind="best_building", subject_id="b-1"),
)
EVENTS = [
    *ACCOUNT_STORY,
    *COUNTY_BOOK_STORY,
    *COMMUNITY_BOOK_STORY,
    *SHOP_STORY,
    *EVALUATION_STORY,
    *AWARDS_STORY,
]
IDS = [f"{n}-{type(event).__name__}" for n, (event, _) in enumerate(EVENTS)]

EXPECTED_PUBLIC: dict[type[DomainEvent], type[PublicEvent] | None] = {
    acc.PointsEntered: pub.PointsEntered,
    acc.ScoredNothing: None,
    rb.RuleBookPublished: pub.RuleBookPublished,
    sm.ItemStocked: pub.SupermarketItemStocked,
    sm.GoodsTaken: pub.RedemptionRecorded,
    sm.GoodsReturned: pub.RedemptionCancelled,
    ev.CommunityRated: pub.CommunityRatingGiven,
    ev.MemberGraded: pub.MemberGraded,
    ev.AwardRecorded: pub.AwardRecorded,
}
STORED = (
    set(typing.get_args(acc.AccountEvent))
    | {rb.RuleBookPublished}
    | set(typing.get_args(sm.SupermarketEvent))
    | set(typing.get_args(ev.EvaluationEvent))
    | {ev.AwardRecorded}
)


def test_every_domain_event_class_is_a_key_of_the_mappers_when_listed():
    assert set(publication.MAPPERS) == STORED
    assert len(publication.MAPPERS) == 9
    for decider in (acc.DECIDER, rb.DECIDER, sm.DECIDER, ev.DECIDER, ev.AWARDS):
        for cls in STORED:
            if decider.event_types.knows(cls.stored_type()):
                assert cls in publication.MAPPERS


def test_every_public_points_event_is_published_from_some_stored_event_when_mapped():
    assert set(EXPECTED_PUBLIC) == set(publication.MAPPERS)
    assert {cls for cls in EXPECTED_PUBLIC.values() if cls is not None} == set(pub.EVENTS)


def test_the_stories_produce_every_kind_of_stored_event_when_played():
    assert {type(event) for event, _ in EVENTS} == STORED
    kinds = {event.kind for event, _ in ACCOUNT_STORY if isinstance(event, acc.PointsEntered)}
    assert kinds == {"award", "deduction", "reversal", "manual", "redemption", "refund"}


def test_a_scored_nothing_maps_to_nothing_when_published():
    assert publication.MAPPERS[acc.ScoredNothing] is None
    nothing = [(e, s) for e, s in EVENTS if isinstance(e, acc.ScoredNothing)]
    assert nothing
    assert all(publication.to_public(e, s) is None for e, s in nothing)


@pytest.mark.parametrize(("event", "state"), EVENTS, ids=IDS)
def test_a_public_event_validates_against_its_contract_when_published(event, state):
    public = publication.to_public(event, state)
    expected = EXPECTED_PUBLIC[type(event)]
    if expected is None:
        assert public is None
        return
    assert type(public) is expected
    assert expected.model_validate(public.model_dump(mode="json")) == public
    assert expected.model_validate_json(public.model_dump_json()) == public
    for key in ("member_id", "redemption_id", "item_id", "entry_id", "year", "kind", "score"):
        if key in type(event).model_fields and key in expected.model_fields:
            assert getattr(public, key) == getattr(event, key), key


def _public(kind: type[DomainEvent], events=EVENTS) -> list:
    return [publication.to_public(e, s) for e, s in events if type(e) is kind]


def test_an_entry_is_published_with_its_rule_book_source_and_expiry_when_awarded():
    award, capped = _public(acc.PointsEntered)[:2]
    assert award == pub.PointsEntered(
        community_id=COMMUNITY,
        member_id="m-1",
        entry_id="e-1:request_resolved",
        kind="award",
        amount=5,
        rule_id="request_resolved",
        rule_book="东安县:1",
        source_event_id="e-1",
        source_type=RESOLVED_T,
        occurred_at=NOW,
        expires_on=date(2027, 5, 9),
        capped=False,
    )
    assert (capped.amount, capped.capped) == (2, True)


def test_every_entry_is_published_with_its_signed_amount_when_entered():
    assert [(p.kind, p.amount) for p in _public(acc.PointsEntered)] == [
        ("award", 5),
        ("award", 2),
        ("deduction", -3),
        ("reversal", -5),
        ("manual", 20),
        ("redemption", -10),
        ("refund", 10),
    ]


def test_a_county_book_is_published_for_the_county_when_mapped():
    [county] = _public(rb.RuleBookPublished, COUNTY_BOOK_STORY)
    assert (county.community_id, county.county, county.scope, county.book_version) == (
        "county:东安县",
        COUNTY,
        "county",
        1,
    )
    assert county.effective_from == date(2026, 6, 1)
    assert county.rules == [pub.RuleSpec(**r.model_dump()) for r in DEFAULT_RULES]


def test_a_community_s_overrides_are_published_for_the_community_when_mapped():
    [override] = _public(rb.RuleBookPublished, COMMUNITY_BOOK_STORY)
    assert (override.community_id, override.scope, override.book_version) == (
        COMMUNITY,
        "community",
        1,
    )
    assert [r.rule_id for r in override.rules] == ["request_resolved"]
    assert override.rules[0].expires_after_days == 365


def test_the_supermarket_publishes_stock_redemption_and_return_when_goods_move():
    assert _public(sm.ItemStocked) == [
        pub.SupermarketItemStocked(
            community_id=COMMUNITY, item_id="i-oil", name="食用油 5L", price=50, added=3, stock=3
        )
    ]
    assert _public(sm.GoodsTaken) == [
        pub.RedemptionRecorded(
            community_id=COMMUNITY,
            redemption_id="rd-1",
            member_id="m-1",
            item_id="i-oil",
            quantity=3,
            points=150,
            stock=0,
        )
    ]
    assert _public(sm.GoodsReturned) == [
        pub.RedemptionCancelled(
            community_id=COMMUNITY,
            redemption_id="rd-1",
            member_id="m-1",
            item_id="i-oil",
            quantity=3,
            stock=3,
        )
    ]


def test_ratings_are_published_in_the_member_s_home_community_when_given():
    assert _public(ev.CommunityRated) == [
        pub.CommunityRatingGiven(
            community_id=HOME, member_id="m-1", year=2026, role="residence", score=90
        ),
        pub.CommunityRatingGiven(
            community_id=HOME, member_id="m-1", year=2026, role="contact", score=85
        ),
    ]


def test_a_grade_and_an_award_are_published_with_their_details_when_given():
    assert _public(ev.MemberGraded) == [
        pub.MemberGraded(
            community_id=HOME,
            member_id="m-1",
            year=2026,
            points=180,
            residence_score=90,
            contact_score=85,
            score=88.5,  # 0.4 * 90 + 0.6 * 87.5
            grade="qualified",
            reported_both=True,
        )
    ]
    assert _public(ev.AwardRecorded) == [
        pub.AwardRecorded(
            community_id=COMMUNITY,
            award_id="best_building:2026:b-1",
            kind="best_building",
            year=2026,
            subject_id="b-1",
        )
    ]
