"""Rule books: versions of a county's book (or of a community's overrides), each in force
from its effective date, and the rules in force for a community on a day; every rule, on
the pure domain.

States are built by folding the events `decide` produced, so `evolve` is exercised too.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from grassroots_eventkit.domain import CommandRejected, InvalidValue
from points_service.domain import rulebook as rb
from points_service.domain.default_rules import DEFAULT_RULES
from points_service.domain.rulebook import Rule
from pydantic import ValidationError

from tests.support.story import Story

pytestmark = pytest.mark.unit

NOW = datetime(2026, 5, 9, 9, 30, tzinfo=UTC)  # 17:30 on 9 May in Dong'an
TODAY = date(2026, 5, 9)
DAY = timedelta(days=1)
JUNE, JULY = date(2026, 6, 1), date(2026, 7, 1)

COUNTY = "东安县"
COMMUNITY = "c-chating"
RESOLVED_T = "grassroots.requests.RequestResolved.v1"
RATED_T = "grassroots.requests.RequestRated.v1"
HOURS_T = "grassroots.volunteering.HoursCertified.v1"


def rule(rule_id: str = "request_resolved", amount: int = 5, trigger: str = RESOLVED_T) -> Rule:
    return Rule(rule_id=rule_id, trigger=trigger, amount=amount)


RESOLVED = rule()
RESOLVED_MORE = rule(amount=8)
RATED = rule("satisfied_rating", 3, RATED_T)
CLEAN_UP = rule("clean_up_day", 6, "grassroots.volunteering.ShiftServed.v1")


story = Story(rb.DECIDER, NOW)
decide, fold, given, state_of, refusal = story.helpers()


def publish(
    effective_from: date = TODAY,
    rules: tuple[Rule, ...] = (RESOLVED,),
    *,
    community_id: str | None = None,
) -> rb.PublishRuleBook:
    return rb.PublishRuleBook(
        stream_id=rb.book_stream(COUNTY, community_id),
        county=COUNTY,
        community_id=community_id,
        effective_from=effective_from,
        rules=rules,
    )


# --- publishing versions ----------------------------------------------------------------


def test_the_first_version_is_1_when_a_county_publishes_its_book():
    assert decide(None, publish(TODAY, (RESOLVED, RATED))) == [
        rb.RuleBookPublished(
            county=COUNTY,
            community_id=None,
            version=1,
            effective_from=TODAY,
            rules=(RESOLVED, RATED),
        )
    ]


def test_versions_are_numbered_1_2_3_when_published_one_after_another():
    events = given(publish(TODAY), publish(JUNE, (RESOLVED_MORE,)), publish(JULY, (RATED,)))
    assert [e.version for e in events] == [1, 2, 3]
    assert fold(events) == rb.RuleBook(
        county=COUNTY,
        community_id=None,
        versions=(
            rb.Version(1, TODAY, (RESOLVED,)),
            rb.Version(2, JUNE, (RESOLVED_MORE,)),
            rb.Version(3, JULY, (RATED,)),
        ),
    )


def test_a_community_s_overrides_are_numbered_on_their_own_when_published():
    events = given(publish(TODAY, (RESOLVED_MORE,), community_id=COMMUNITY))
    assert [(e.community_id, e.version) for e in events] == [(COMMUNITY, 1)]
    state = fold(events)
    assert (state.county, state.community_id) == (COUNTY, COMMUNITY)


@pytest.mark.parametrize(
    ("at", "effective_from"),
    [
        (NOW, TODAY - DAY),
        (NOW, date(2025, 1, 1)),
        # 23:30 UTC on 9 May is already 10 May in Dong'an: the 9th is the past there
        (datetime(2026, 5, 9, 23, 30, tzinfo=UTC), TODAY),
    ],
    ids=["yesterday", "last_year", "yesterday_in_china_time"],
)
def test_a_book_is_refused_when_effective_in_the_past(at, effective_from):
    with pytest.raises(CommandRejected) as refused:
        decide(None, publish(effective_from), at)
    assert (type(refused.value), refused.value.rule) == (CommandRejected, "effective_in_the_past")
    assert refused.value.field == "effective_from"


@pytest.mark.parametrize(
    ("at", "effective_from"),
    [
        (NOW, TODAY),
        (NOW, JUNE),
        (datetime(2026, 5, 9, 23, 30, tzinfo=UTC), TODAY + DAY),
        # 15:59 UTC on 9 May is still 9 May in Dong'an
        (datetime(2026, 5, 9, 15, 59, tzinfo=UTC), TODAY),
    ],
    ids=["today", "a_future_day", "today_in_china_time", "just_before_china_midnight"],
)
def test_a_book_is_published_when_effective_today_or_later(at, effective_from):
    [published] = decide(None, publish(effective_from), at)
    assert published.effective_from == effective_from


def test_a_version_is_refused_when_effective_before_the_latest_version():
    state = state_of(publish(TODAY), publish(JULY))
    assert refusal(state, publish(JUNE)) == (CommandRejected, "effective_before_latest")
    assert refusal(state, publish(JULY - DAY)) == (CommandRejected, "effective_before_latest")


def test_a_book_is_invalid_when_a_rule_appears_twice():
    with pytest.raises(InvalidValue) as refused:
        decide(None, publish(TODAY, (RESOLVED, RATED, RESOLVED_MORE)))
    assert refused.value.rule == "duplicate_rule"
    assert refused.value.field == "rules"


def test_the_same_rule_may_appear_in_two_versions_when_published_one_after_another():
    events = given(publish(TODAY, (RESOLVED,)), publish(JUNE, (RESOLVED_MORE,)))
    assert [e.rules for e in events] == [(RESOLVED,), (RESOLVED_MORE,)]


# --- the version in force ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "version"),
    [
        (TODAY - DAY, None),
        (TODAY, 1),
        (JUNE - DAY, 1),
        (JUNE, 2),
        (JULY - DAY, 2),
        (JULY, 3),
        (date(2030, 1, 1), 3),
    ],
    ids=[
        "before_the_first",
        "the_first_day",
        "the_day_before_the_second",
        "the_second_day",
        "the_day_before_the_third",
        "the_third_day",
        "years_later",
    ],
)
def test_the_version_in_force_is_the_latest_effective_when_a_day_is_asked(day, version):
    book = state_of(publish(TODAY), publish(JUNE, (RESOLVED_MORE,)), publish(JULY, (RATED,)))
    found = book.in_force(day)
    assert (found.version if found else None) == version


def test_nothing_is_in_force_when_the_book_has_no_version():
    assert rb.RuleBook(county=COUNTY, community_id=None).in_force(TODAY) is None


def test_a_version_for_the_same_day_as_the_latest_replaces_it_when_published():
    events = given(publish(TODAY), publish(JUNE, (RESOLVED_MORE,)), publish(JUNE, (RATED,)))
    assert [e.version for e in events] == [1, 2, 3]
    book = fold(events)
    assert [v.version for v in book.versions] == [1, 3]
    assert book.in_force(JUNE) == rb.Version(3, JUNE, (RATED,))
    assert book.in_force(JUNE - DAY) == rb.Version(1, TODAY, (RESOLVED,))
    # the next version is numbered after the replacement
    [nxt] = decide(book, publish(JULY))
    assert nxt.version == 4


def test_the_only_version_is_replaced_when_republished_for_its_day():
    book = state_of(publish(TODAY), publish(TODAY, (RATED,)))
    assert book.versions == (rb.Version(2, TODAY, (RATED,)),)
    assert book.in_force(TODAY).rules == (RATED,)


# --- rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"rule_id": "Request-Resolved"},
        {"rule_id": ""},
        {"rule_id": "x" * 61},
        {"amount": 1001},
        {"amount": -1001},
        {"cap_day": -1},
        {"cap_month": -1},
        {"cap_year": -1},
        {"expires_after_days": 0},
        {"expires_after_days": 3651},
        {"trigger": ""},
        {"unknown": 1},
    ],
    ids=[
        "uppercase_id",
        "empty_id",
        "long_id",
        "too_much",
        "too_little",
        "negative_day_cap",
        "negative_month_cap",
        "negative_year_cap",
        "expires_at_once",
        "expires_after_ten_years",
        "no_trigger",
        "unknown_field",
    ],
)
def test_a_rule_is_invalid_when_a_field_is_out_of_bounds(change):
    with pytest.raises(ValidationError):
        Rule(**{**RESOLVED.model_dump(), **change})


def test_a_book_is_invalid_when_it_has_no_rules():
    with pytest.raises(ValidationError):
        publish(TODAY, ())


def test_every_default_rule_is_valid_and_unique_when_the_default_book_is_read():
    ids = [r.rule_id for r in DEFAULT_RULES]
    assert len(ids) == len(set(ids))
    assert all(Rule.model_validate(r.model_dump()) == r for r in DEFAULT_RULES)
    # the default book is itself publishable
    [published] = decide(None, publish(TODAY, DEFAULT_RULES))
    assert published.rules == DEFAULT_RULES


# --- streams and the decider ------------------------------------------------------------


def test_the_stream_names_the_county_and_the_community_when_one_is_given():
    assert rb.book_stream(COUNTY) == "rulebook:东安县"
    assert rb.book_stream(COUNTY, COMMUNITY) == "rulebook:东安县:c-chating"
    assert rb.DECIDER.stream_type == "rulebook"
    assert rb.DECIDER.owns(["RuleBookPublished.v1"])


def test_a_county_book_belongs_to_the_county_and_an_override_to_its_community_when_asked():
    assert rb.community_of(state_of(publish())) == "county:东安县"
    assert rb.community_of(state_of(publish(community_id=COMMUNITY))) == COMMUNITY


# --- the rules in force for a community on a day ----------------------------------------


def in_force(county_book, community_book, day: date = TODAY) -> rb.Scoring:
    return rb.rules_in_force(county_book, community_book, day, DEFAULT_RULES, COUNTY)


def labelled(scoring: rb.Scoring) -> dict[str, tuple[int, str]]:
    return {rule_id: (r.amount, book) for rule_id, (r, book) in scoring.rules.items()}


def test_the_default_book_is_in_force_when_the_county_has_published_none():
    scoring = in_force(None, None)
    assert scoring.rules == {r.rule_id: (r, "default:1") for r in DEFAULT_RULES}


def test_the_default_book_is_in_force_when_the_county_book_is_not_yet_effective():
    county = state_of(publish(JUNE, (RESOLVED_MORE,)))
    assert in_force(county, None, JUNE - DAY).rules == {
        r.rule_id: (r, "default:1") for r in DEFAULT_RULES
    }


def test_the_county_version_replaces_the_default_book_when_in_force():
    county = state_of(publish(TODAY, (RESOLVED_MORE, RATED)))
    assert labelled(in_force(county, None)) == {
        "request_resolved": (8, "东安县:1"),
        "satisfied_rating": (3, "东安县:1"),
    }


def test_the_label_names_the_version_in_force_when_the_county_published_several():
    county = state_of(publish(TODAY, (RESOLVED,)), publish(JUNE, (RESOLVED_MORE,)))
    assert labelled(in_force(county, None, JUNE - DAY)) == {"request_resolved": (5, "东安县:1")}
    assert labelled(in_force(county, None, JUNE)) == {"request_resolved": (8, "东安县:2")}


def test_a_community_override_replaces_rules_by_id_when_in_force():
    county = state_of(publish(TODAY, (RESOLVED, RATED)))
    community = state_of(publish(TODAY, (RESOLVED_MORE, CLEAN_UP), community_id=COMMUNITY))
    assert labelled(in_force(county, community)) == {
        "request_resolved": (8, "东安县/c-chating:1"),
        "satisfied_rating": (3, "东安县:1"),
        "clean_up_day": (6, "东安县/c-chating:1"),
    }


def test_a_community_override_applies_to_the_default_book_when_the_county_has_none():
    community = state_of(publish(TODAY, (RESOLVED_MORE,), community_id=COMMUNITY))
    found = labelled(in_force(None, community))
    assert found.pop("request_resolved") == (8, "东安县/c-chating:1")
    assert set(found) == {r.rule_id for r in DEFAULT_RULES} - {"request_resolved"}
    assert {book for _, book in found.values()} == {"default:1"}


def test_a_community_override_is_ignored_when_not_yet_effective():
    county = state_of(publish(TODAY, (RESOLVED,)))
    community = state_of(publish(JUNE, (RESOLVED_MORE,), community_id=COMMUNITY))
    assert labelled(in_force(county, community, JUNE - DAY)) == {
        "request_resolved": (5, "东安县:1")
    }
    assert labelled(in_force(county, community, JUNE)) == {
        "request_resolved": (8, "东安县/c-chating:1")
    }


def test_the_override_label_names_its_own_version_when_the_community_published_several():
    community = state_of(
        publish(TODAY, (RESOLVED,), community_id=COMMUNITY),
        publish(JUNE, (RESOLVED_MORE,), community_id=COMMUNITY),
    )
    county = state_of(publish(TODAY, (RESOLVED, RATED)), publish(JULY, (RATED,)))
    assert labelled(in_force(county, community, JUNE)) == {
        "request_resolved": (8, "东安县/c-chating:2"),
        "satisfied_rating": (3, "东安县:1"),
    }
    assert labelled(in_force(county, community, JULY)) == {
        "request_resolved": (8, "东安县/c-chating:2"),
        "satisfied_rating": (3, "东安县:2"),
    }


def test_for_trigger_gives_every_rule_of_that_trigger_with_its_book_when_asked():
    bonus = rule("resolved_bonus", 2)
    county = state_of(publish(TODAY, (RESOLVED, RATED, bonus)))
    community = state_of(publish(TODAY, (RESOLVED_MORE,), community_id=COMMUNITY))
    scoring = in_force(county, community)
    assert sorted(scoring.for_trigger(RESOLVED_T), key=lambda found: found[0].rule_id) == [
        (RESOLVED_MORE, "东安县/c-chating:1"),
        (bonus, "东安县:1"),
    ]
    assert scoring.for_trigger(RATED_T) == [(RATED, "东安县:1")]
    assert scoring.for_trigger(HOURS_T) == []  # the county book has no hours rule
    assert scoring.for_trigger("grassroots.requests.RequestClosed.v1") == []


def test_for_trigger_finds_the_default_rule_of_each_trigger_when_no_book_is_published():
    scoring = in_force(None, None)
    for r in DEFAULT_RULES:
        assert scoring.for_trigger(r.trigger) == [(r, "default:1")]
