"""The love supermarket (stock, price, taking and returning goods), the yearly double
evaluation (ratings, score and grade) and the community's awards; every rule, on the pure
domain.

States are built by folding the events `decide` produced, so `evolve` is exercised too.
"""

from __future__ import annotations

from datetime import UTC, datetime

import hypothesis
import pytest
from grassroots_eventkit.domain import CommandRejected, NotFound
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from points_service.domain import evaluation as ev
from points_service.domain import supermarket as sm
from pydantic import ValidationError

pytestmark = pytest.mark.unit

NOW = datetime(2026, 5, 9, 9, 30, tzinfo=UTC)
COMMUNITY = "c-chating"
OIL, RICE, SOAP = "i-oil", "i-rice", "i-soap"
A, B = "m-a", "m-b"


def _no_ids() -> str:
    raise AssertionError("these deciders never make ids")


def story(module, *steps) -> list:
    """The events of a story with one decider module; a step is a command."""
    events: list = []
    for command in steps:
        events += module.decide(module.DECIDER.fold(events), command, now=NOW, new_id=_no_ids)
    return events


def refusal(module, state, command) -> tuple[type, str]:
    with pytest.raises(CommandRejected) as refused:
        module.decide(state, command, now=NOW, new_id=_no_ids)
    return type(refused.value), refused.value.rule


# === the love supermarket ===============================================================


def shop_decide(state, command) -> list:
    return sm.decide(state, command, now=NOW, new_id=_no_ids)


def shop_of(*steps) -> sm.Supermarket:
    state = sm.DECIDER.fold(story(sm, *steps))
    assert state is not None
    return state


def stock(
    item_id: str = OIL, *, name: str = "食用油 5L", price: int = 50, added: int = 20
) -> sm.StockItem:
    return sm.StockItem(
        community_id=COMMUNITY, item_id=item_id, name=name, price=price, added=added
    )


def take(
    redemption_id: str = "rd-1", item_id: str = OIL, quantity: int = 1, member_id: str = A
) -> sm.TakeGoods:
    return sm.TakeGoods(
        community_id=COMMUNITY,
        redemption_id=redemption_id,
        member_id=member_id,
        item_id=item_id,
        quantity=quantity,
    )


def give_back(redemption_id: str = "rd-1") -> sm.ReturnGoods:
    return sm.ReturnGoods(community_id=COMMUNITY, redemption_id=redemption_id)


def test_a_new_item_is_on_the_shelf_with_its_price_and_stock_when_stocked():
    assert shop_decide(None, stock()) == [
        sm.ItemStocked(
            community_id=COMMUNITY, item_id=OIL, name="食用油 5L", price=50, added=20, stock=20
        )
    ]
    assert shop_of(stock()).items == {OIL: sm.Item("食用油 5L", 50, 20)}


def test_stock_is_added_and_the_price_changed_when_an_item_is_restocked():
    events = story(sm, stock(added=20), stock(price=60, added=5))
    assert [(e.price, e.added, e.stock) for e in events] == [(50, 20, 20), (60, 5, 25)]
    assert shop_of(stock(added=20), stock(price=60, added=5)).items[OIL] == sm.Item(
        "食用油 5L", 60, 25
    )


def test_only_the_price_changes_when_an_item_is_re_priced_without_goods():
    shop = shop_of(stock(added=20), take(quantity=3), stock(price=40, added=0))
    assert shop.items[OIL] == sm.Item("食用油 5L", 40, 17)


def test_items_are_stocked_apart_when_several_are_on_the_shelf():
    shop = shop_of(stock(OIL, added=20), stock(RICE, name="大米 10kg", price=80, added=5))
    assert shop.items == {
        OIL: sm.Item("食用油 5L", 50, 20),
        RICE: sm.Item("大米 10kg", 80, 5),
    }


def test_goods_are_taken_for_their_price_times_the_quantity_when_in_stock():
    assert shop_decide(shop_of(stock()), take(quantity=2)) == [
        sm.GoodsTaken(
            community_id=COMMUNITY,
            redemption_id="rd-1",
            member_id=A,
            item_id=OIL,
            quantity=2,
            points=100,
            stock=18,
        )
    ]
    shop = shop_of(stock(), take(quantity=2))
    assert shop.items[OIL].stock == 18
    assert shop.taken == {"rd-1": (A, OIL, 2, 100, False)}


def test_goods_are_taken_at_the_current_price_when_the_item_was_re_priced():
    [taken] = shop_decide(shop_of(stock(), stock(price=30, added=0)), take(quantity=3))
    assert taken.points == 90


def test_the_last_goods_can_be_taken_when_the_quantity_equals_the_stock():
    [taken] = shop_decide(shop_of(stock(added=2)), take(quantity=2))
    assert taken.stock == 0


@pytest.mark.parametrize(
    ("added", "before", "quantity"),
    [(2, (), 3), (2, (take("rd-0", quantity=2),), 1), (0, (), 1)],
    ids=["more_than_stocked", "all_taken", "none_stocked"],
)
def test_goods_are_refused_when_out_of_stock(added, before, quantity):
    shop = shop_of(stock(added=added), *before)
    assert refusal(sm, shop, take(quantity=quantity)) == (CommandRejected, "out_of_stock")


@pytest.mark.parametrize("state", [None, "stocked"], ids=["empty_shop", "other_goods"])
def test_goods_are_not_found_when_the_item_is_not_on_the_shelf(state):
    shop = shop_of(stock(RICE)) if state else None
    assert refusal(sm, shop, take(item_id=OIL)) == (NotFound, "item_not_found")


def test_nothing_more_is_taken_when_the_same_redemption_arrives_again():
    shop = shop_of(stock(), take("rd-1", quantity=2))
    assert shop_decide(shop, take("rd-1", quantity=2)) == []
    assert shop_decide(shop, take("rd-1", quantity=50)) == []  # the id decides
    assert shop.items[OIL].stock == 18


def test_goods_go_back_on_the_shelf_when_a_redemption_is_returned():
    shop = shop_of(stock(), take(quantity=2, member_id=B))
    assert shop_decide(shop, give_back()) == [
        sm.GoodsReturned(
            community_id=COMMUNITY,
            redemption_id="rd-1",
            member_id=B,
            item_id=OIL,
            quantity=2,
            stock=20,
        )
    ]
    after = shop_of(stock(), take(quantity=2, member_id=B), give_back())
    assert after.items[OIL].stock == 20
    assert after.taken["rd-1"] == (B, OIL, 2, 100, True)


def test_goods_go_back_once_when_the_return_arrives_again():
    shop = shop_of(stock(), take(quantity=2), give_back())
    assert shop_decide(shop, give_back()) == []
    assert shop_decide(shop, take(quantity=2)) == []  # a returned redemption is not redone
    assert shop.items[OIL].stock == 20


def test_goods_go_back_onto_the_current_stock_when_restocked_in_between():
    shop = shop_of(stock(), take(quantity=2), stock(added=10))
    [returned] = shop_decide(shop, give_back())
    assert returned.stock == 30


@pytest.mark.parametrize("state", [None, "stocked"], ids=["empty_shop", "other_redemption"])
def test_a_return_is_not_found_when_the_redemption_is_unknown(state):
    shop = shop_of(stock(), take("rd-1")) if state else None
    assert refusal(sm, shop, give_back("rd-2")) == (NotFound, "redemption_not_found")


@pytest.mark.parametrize(
    ("command", "change"),
    [
        (stock, {"price": 0}),
        (stock, {"price": 100_001}),
        (stock, {"added": -1}),
        (stock, {"name": ""}),
        (take, {"quantity": 0}),
        (take, {"quantity": 101}),
    ],
    ids=["free", "too_dear", "negative_stock", "no_name", "nothing", "too_many"],
)
def test_a_supermarket_command_is_invalid_when_a_field_is_out_of_bounds(command, change):
    fields = {**command().model_dump(), **change}
    with pytest.raises(ValidationError):
        type(command())(**fields)


def test_the_supermarket_is_one_per_community_when_declared():
    assert sm.supermarket_id(COMMUNITY) == "supermarket:c-chating"
    assert sm.DECIDER.stream_type == "supermarket"
    assert sm.DECIDER.owns(["ItemStocked.v1", "GoodsTaken.v1", "GoodsReturned.v1"])
    assert sm.community_of(shop_of(stock())) == COMMUNITY


# --- stock, for any sequence of redemptions and returns ---------------------------------

ITEMS = {OIL: 5, RICE: 3, SOAP: 0}
REDEMPTIONS = ("rd-1", "rd-2", "rd-3", "rd-4", "rd-5", "rd-6", "rd-7", "rd-8")


@settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@hypothesis.given(
    moves=st.lists(
        st.one_of(
            st.tuples(
                st.just("take"),
                st.sampled_from(REDEMPTIONS),
                st.sampled_from(sorted(ITEMS)),
                st.integers(1, 4),
            ),
            st.tuples(st.just("return"), st.sampled_from(REDEMPTIONS)),
        ),
        max_size=40,
    )
)
def test_stock_is_stocked_minus_taken_plus_returned_when_goods_move_in_any_order(moves):
    history = story(sm, *(stock(i, price=10, added=n) for i, n in ITEMS.items()))
    shop = sm.DECIDER.fold(history)
    taken = dict.fromkeys(ITEMS, 0)
    returned = dict.fromkeys(ITEMS, 0)
    redemptions: dict[str, tuple[str, int, bool]] = {}  # the model
    for move in moves:
        if move[0] == "take":
            _, redemption_id, item_id, quantity = move
            command = take(redemption_id, item_id, quantity)
            left = ITEMS[item_id] - taken[item_id] + returned[item_id]
            if redemption_id in redemptions:
                events = shop_decide(shop, command)
                assert events == []
            elif left < quantity:
                assert refusal(sm, shop, command) == (CommandRejected, "out_of_stock")
                events = []
            else:
                events = shop_decide(shop, command)
                [event] = events
                assert (event.points, event.stock) == (10 * quantity, left - quantity)
                taken[item_id] += quantity
                redemptions[redemption_id] = (item_id, quantity, False)
        else:
            _, redemption_id = move
            if redemption_id not in redemptions:
                assert refusal(sm, shop, give_back(redemption_id)) == (
                    NotFound,
                    "redemption_not_found",
                )
                events = []
            else:
                events = shop_decide(shop, give_back(redemption_id))
                item_id, quantity, done = redemptions[redemption_id]
                if done:
                    assert events == []
                else:
                    [event] = events
                    assert (event.item_id, event.quantity) == (item_id, quantity)
                    returned[item_id] += quantity
                    redemptions[redemption_id] = (item_id, quantity, True)
        for event in events:
            shop = sm.evolve(shop, event)
        history += events
        for item_id, stocked in ITEMS.items():
            left = shop.items[item_id].stock
            assert left >= 0
            assert left == stocked - taken[item_id] + returned[item_id]
            assert returned[item_id] <= taken[item_id]
    assert sm.DECIDER.fold(history) == shop


# === the double evaluation ==============================================================

YEAR = 2026
MEMBER = "m-1"
HOME, CONTACT = "c-home", "c-contact"
DEFAULT = ev.Thresholds(full_points=200)


def rate(role: str = "residence", score: int = 90) -> ev.RateMember:
    return ev.RateMember(
        member_id=MEMBER,
        year=YEAR,
        home_community_id=HOME,
        community_id=HOME if role == "residence" else CONTACT,
        role=role,
        score=score,
    )


def grade(
    points: int = 200, *, reported_both: bool = True, thresholds: ev.Thresholds = DEFAULT
) -> ev.GradeMember:
    return ev.GradeMember(
        member_id=MEMBER,
        year=YEAR,
        home_community_id=HOME,
        points=points,
        reported_both=reported_both,
        thresholds=thresholds,
    )


def evaluation_of(*steps) -> ev.Evaluation:
    state = ev.DECIDER.fold(story(ev, *steps))
    assert state is not None
    return state


def test_a_rating_is_recorded_for_its_role_when_a_community_rates_the_member():
    assert story(ev, rate("contact", 85)) == [
        ev.CommunityRated(
            member_id=MEMBER,
            year=YEAR,
            community_id=CONTACT,
            home_community_id=HOME,
            role="contact",
            score=85,
        )
    ]
    state = evaluation_of(rate("residence", 90), rate("contact", 85))
    assert state.scores == {"residence": 90, "contact": 85}
    assert (state.member_id, state.year, state.home_community_id) == (MEMBER, YEAR, HOME)
    assert state.grade is None


def test_a_later_rating_replaces_the_earlier_when_the_same_role_rates_again():
    state = evaluation_of(rate("residence", 70), rate("residence", 95))
    assert state.scores == {"residence": 95}


@pytest.mark.parametrize("score", [-1, 101], ids=["below_zero", "above_100"])
def test_a_rating_is_invalid_when_outside_0_to_100(score):
    with pytest.raises(ValidationError):
        rate(score=score)


@pytest.mark.parametrize(
    "before", [(), (rate("contact", 95),)], ids=["no_rating", "only_the_contact"]
)
def test_a_grade_is_refused_when_the_residence_community_has_not_rated(before):
    state = evaluation_of(*before) if before else None
    assert refusal(ev, state, grade()) == (CommandRejected, "residence_rating_missing")


def test_a_grade_combines_the_points_and_both_ratings_when_given():
    events = story(ev, rate("residence", 90), rate("contact", 80), grade(200))
    assert events[-1] == ev.MemberGraded(
        member_id=MEMBER,
        year=YEAR,
        home_community_id=HOME,
        points=200,
        residence_score=90,
        contact_score=80,
        score=91.0,  # 0.4 * 100 + 0.6 * 85
        grade="excellent",
        reported_both=True,
    )
    assert ev.DECIDER.fold(events).grade == "excellent"


def test_a_grade_uses_the_residence_rating_alone_when_the_contact_did_not_rate():
    graded = story(ev, rate("residence", 80), grade(100))[-1]
    assert (graded.residence_score, graded.contact_score) == (80, None)
    assert graded.score == 68.0  # 0.4 * 50 + 0.6 * 80
    assert graded.grade == "basically_qualified"


def test_a_member_who_did_not_report_to_both_is_graded_basically_qualified_when_excellent():
    graded = story(ev, rate("residence", 95), rate("contact", 95), grade(200, reported_both=False))[
        -1
    ]
    assert (graded.score, graded.grade, graded.reported_both) == (
        97.0,
        "basically_qualified",
        False,
    )


@pytest.mark.parametrize(
    ("points", "residence", "contact", "score"),
    [
        (200, 90, 80, 91.0),
        (400, 90, 80, 91.0),
        (-50, 100, 100, 60.0),
        (100, 80, None, 68.0),
        (100, None, 80, 68.0),
        (0, None, None, 0.0),
        (150, 75, 75, 75.0),
        (123, 77, 88, 74.1),
        (1, 0, 0, 0.2),
        (200, 100, 100, 100.0),
    ],
    ids=[
        "full_points",
        "points_capped_at_full",
        "negative_points_count_as_none",
        "residence_only",
        "contact_only",
        "nothing",
        "exactly_75",
        "mixed",
        "one_point",
        "perfect",
    ],
)
def test_the_score_weighs_capped_points_with_the_mean_rating_when_computed(
    points, residence, contact, score
):
    assert ev.score_of(points, residence, contact, DEFAULT) == score


def test_the_score_follows_the_thresholds_when_weights_and_full_points_differ():
    t = ev.Thresholds(full_points=100, points_weight=0.5)
    assert ev.score_of(50, 80, 60, t) == 60.0  # 0.5 * 50 + 0.5 * 70
    assert ev.score_of(150, 80, 60, t) == 85.0  # points count up to 100
    assert ev.score_of(50, 80, 60, ev.Thresholds(full_points=200, points_weight=0)) == 70.0
    assert ev.score_of(50, 80, 60, ev.Thresholds(full_points=200, points_weight=1)) == 25.0


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        (100.0, "excellent"),
        (90.0, "excellent"),
        (89.99, "qualified"),
        (75.0, "qualified"),
        (74.99, "basically_qualified"),
        (60.0, "basically_qualified"),
        (59.99, "unqualified"),
        (0.0, "unqualified"),
    ],
)
def test_the_grade_follows_the_default_boundaries_when_the_member_reported_to_both(score, grade):
    assert ev.grade_of(score, True, DEFAULT) == grade


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        (95.0, "basically_qualified"),
        (80.0, "basically_qualified"),
        (65.0, "basically_qualified"),
        (30.0, "unqualified"),
    ],
    ids=["excellent", "qualified", "basically_qualified", "unqualified"],
)
def test_no_grade_above_basically_qualified_is_given_when_the_member_did_not_report_to_both(
    score, grade
):
    assert ev.grade_of(score, False, DEFAULT) == grade


def test_the_grade_follows_other_boundaries_when_the_thresholds_are_set():
    t = ev.Thresholds(excellent=80, qualified=70, basically_qualified=50, full_points=200)
    assert [ev.grade_of(s, True, t) for s in (80, 79.9, 70, 69.9, 50, 49.9)] == [
        "excellent",
        "qualified",
        "qualified",
        "basically_qualified",
        "basically_qualified",
        "unqualified",
    ]


@pytest.mark.parametrize(
    "change",
    [{"full_points": 0}, {"points_weight": -0.1}, {"points_weight": 1.1}, {"other": 1}],
    ids=["no_full_points", "negative_weight", "weight_above_one", "unknown_field"],
)
def test_thresholds_are_invalid_when_out_of_bounds(change):
    with pytest.raises(ValidationError):
        ev.Thresholds(**change)


def test_the_evaluation_is_one_per_member_and_year_when_declared():
    assert ev.evaluation_id(MEMBER, YEAR) == "evaluation:m-1:2026"
    assert ev.DECIDER.stream_type == "evaluation"
    assert ev.DECIDER.owns(["CommunityRated.v1", "MemberGraded.v1"])
    assert ev.community_of(evaluation_of(rate())) == HOME
    assert ev.GRADES == ("excellent", "qualified", "basically_qualified", "unqualified")


# === awards =============================================================================

HOUSEHOLD, BUILDING = "h-1", "b-1"


def award(kind: str = "best_family", subject_id: str = HOUSEHOLD) -> ev.RecordAward:
    return ev.RecordAward(community_id=COMMUNITY, year=YEAR, kind=kind, subject_id=subject_id)


def award_decide(state, command) -> list:
    return ev.decide_award(state, command, now=NOW, new_id=_no_ids)


def test_an_award_is_recorded_for_its_subject_when_given():
    assert award_decide(None, award()) == [
        ev.AwardRecorded(
            award_id="best_family:2026:h-1",
            community_id=COMMUNITY,
            year=YEAR,
            kind="best_family",
            subject_id=HOUSEHOLD,
        )
    ]


def test_an_award_is_refused_when_already_given_to_the_subject_this_year():
    state = ev.AWARDS.fold(award_decide(None, award()))
    with pytest.raises(CommandRejected) as refused:
        award_decide(state, award())
    assert (refused.value.rule, refused.value.field) == ("already_awarded", "subject_id")


def test_other_awards_are_recorded_when_the_kind_or_the_subject_differs():
    events: list = []
    for command in (
        award("best_family", HOUSEHOLD),
        award("best_family", "h-2"),
        award("best_building", BUILDING),
        award("best_building", HOUSEHOLD),
    ):
        events += award_decide(ev.AWARDS.fold(events), command)
    assert [e.award_id for e in events] == [
        "best_family:2026:h-1",
        "best_family:2026:h-2",
        "best_building:2026:b-1",
        "best_building:2026:h-1",
    ]
    assert ev.AWARDS.fold(events).given == frozenset(
        {
            ("best_family", HOUSEHOLD),
            ("best_family", "h-2"),
            ("best_building", BUILDING),
            ("best_building", HOUSEHOLD),
        }
    )


def test_awards_are_one_stream_per_community_and_year_when_declared():
    assert ev.awards_id(COMMUNITY, YEAR) == "awards:c-chating:2026"
    assert ev.AWARDS.stream_type == "awards"
    assert ev.AWARDS.owns(["AwardRecorded.v1"])
    assert ev.awards_community(ev.AWARDS.fold(award_decide(None, award()))) == COMMUNITY


def test_an_award_is_invalid_when_its_kind_is_unknown():
    with pytest.raises(ValidationError):
        award(kind="best_street")
