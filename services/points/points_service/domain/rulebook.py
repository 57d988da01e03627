"""Rule books: points are data. One book per county, versioned, each version in force from
its effective date; a community may publish overrides of single rules the same way.

A version never changes once published and never applies before its effective date, so
a new book never rewrites history; re-scoring under another book is a replay (the
what-if, `scoring.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from grassroots_eventkit.domain import (
    Command,
    CommandRejected,
    Decider,
    DomainEvent,
    EventTypes,
    IdFactory,
    InvalidValue,
)
from grassroots_eventkit.values import EntityId
from pydantic import BaseModel, ConfigDict, Field

from points_service.domain.calendar import local_day

STREAM_TYPE = "rulebook"


class Rule(BaseModel):
    """What a source event is worth: per event, or per hour for certified hours."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule_id: str = Field(min_length=1, max_length=60, pattern=r"^[a-z0-9_]+$")
    trigger: str = Field(min_length=1, max_length=120, description="a public event type")
    amount: int = Field(ge=-1000, le=1000)
    per_hour: bool = False
    cap_day: int | None = Field(default=None, ge=0)
    cap_month: int | None = Field(default=None, ge=0)
    cap_year: int | None = Field(default=None, ge=0)
    expires_after_days: int | None = Field(default=None, ge=1, le=3650)


def book_stream(county: str, community_id: str | None = None) -> str:
    return f"rulebook:{county}" if community_id is None else f"rulebook:{county}:{community_id}"


class PublishRuleBook(Command):
    stream_id: str
    county: str
    community_id: EntityId | None = None
    effective_from: date
    rules: tuple[Rule, ...] = Field(min_length=1, max_length=100)


class RuleBookPublished(DomainEvent):
    event_name = "RuleBookPublished"

    county: str
    community_id: str | None
    version: int
    effective_from: date
    rules: tuple[Rule, ...]


@dataclass(frozen=True, slots=True)
class Version:
    version: int
    effective_from: date
    rules: tuple[Rule, ...]


@dataclass(frozen=True, slots=True)
class RuleBook:
    county: str
    community_id: str | None
    versions: tuple[Version, ...] = ()

    def in_force(self, day: date) -> Version | None:
        """The latest version effective on `day`."""
        found = None
        for v in self.versions:
            if v.effective_from <= day:
                found = v
        return found


def decide(
    state: RuleBook | None, command: PublishRuleBook, *, now: datetime, new_id: IdFactory
) -> list[RuleBookPublished]:
    ids = [r.rule_id for r in command.rules]
    if len(set(ids)) != len(ids):
        raise InvalidValue("duplicate_rule", "each rule once per book", field="rules")
    if command.effective_from < local_day(now):
        raise CommandRejected(
            "effective_in_the_past",
            "a rule book applies from today or later: history is never re-scored",
            field="effective_from",
        )
    latest = state.versions[-1] if state and state.versions else None
    if latest and command.effective_from < latest.effective_from:
        raise CommandRejected(
            "effective_before_latest",
            f"version {latest.version} is in force from {latest.effective_from}",
            field="effective_from",
        )
    return [
        RuleBookPublished(
            county=command.county,
            community_id=command.community_id,
            version=(latest.version if latest else 0) + 1,
            effective_from=command.effective_from,
            rules=command.rules,
        )
    ]


def evolve(state: RuleBook | None, event: RuleBookPublished) -> RuleBook:
    base = state or RuleBook(county=event.county, community_id=event.community_id)
    version = Version(event.version, event.effective_from, event.rules)
    # A version published for the same day as the latest replaces it from that day on.
    kept = tuple(v for v in base.versions if v.effective_from < event.effective_from)
    return RuleBook(base.county, base.community_id, (*kept, version))


def community_of(state: RuleBook | None) -> str:
    assert state is not None
    return state.community_id or f"county:{state.county}"


DECIDER: Decider[RuleBook | None, PublishRuleBook, RuleBookPublished] = Decider(
    stream_type=STREAM_TYPE,
    initial_state=None,
    decide=decide,
    evolve=evolve,
    event_types=EventTypes(RuleBookPublished),
)


@dataclass(frozen=True, slots=True)
class Scoring:
    """The rules in force for one community on one day, and the books they came from."""

    rules: dict[str, tuple[Rule, str]]  # rule_id -> (rule, the label of its book)

    def for_trigger(self, trigger: str) -> list[tuple[Rule, str]]:
        return [(r, book) for r, book in self.rules.values() if r.trigger == trigger]


def rules_in_force(
    county_book: RuleBook | None,
    community_book: RuleBook | None,
    day: date,
    default: tuple[Rule, ...],
    county: str,
) -> Scoring:
    """County rules (or the built-in default before any is in force), with the
    community's overrides replacing rules of the same id."""
    county_version = county_book.in_force(day) if county_book else None
    rules: dict[str, tuple[Rule, str]] = {}
    if county_version is None:
        rules = {r.rule_id: (r, "default:1") for r in default}
    else:
        label = f"{county}:{county_version.version}"
        rules = {r.rule_id: (r, label) for r in county_version.rules}
    override = community_book.in_force(day) if community_book else None
    if override is not None:
        label = f"{county}/{community_book.community_id}:{override.version}"  # type: ignore[union-attr]
        rules.update({r.rule_id: (r, label) for r in override.rules})
    return Scoring(rules)
