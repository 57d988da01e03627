"""A member's red points account: every entry an event naming its cause; the balance is
their sum, never set by hand.

Exactly-once effect: the account remembers each (source event, rule) it scored, so
however often a source event arrives it counts once per rule. Caps per day, month and
year are the account's own running totals; an award cut to its cap says so (`capped`),
and one with nothing left records that it was seen. A reversal undoes the latest
unreversed entry a rule made for the same subject (a request reopened undoes its
"resolved" award).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, Literal

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
from pydantic import AwareDatetime, Field

from points_service.domain.calendar import local_day
from points_service.domain.rulebook import Rule

STREAM_TYPE = "account"
EntryKind = Literal["award", "deduction", "reversal", "manual", "redemption", "refund"]


def account_id(member_id: str) -> str:
    return f"account:{member_id}"


# --- commands ---------------------------------------------------------------------------


class Score(Command):
    """A source event, scored by one rule of the book in force when it happened."""

    member_id: EntityId
    community_id: EntityId
    source_event_id: str
    source_type: str
    subject_ref: str = Field(description="what it is about: a request, an activity, a shift")
    occurred_at: AwareDatetime
    rule: Rule
    book: str
    quantity: float = Field(default=1.0, gt=0, description="hours, for a per-hour rule")


class Reverse(Command):
    """Undo what `rule_id` awarded for `subject_ref`, because of `source_event_id`."""

    member_id: EntityId
    community_id: EntityId
    source_event_id: str
    source_type: str
    subject_ref: str
    rule_id: str
    occurred_at: AwareDatetime


class ManualAward(Command):
    member_id: EntityId
    community_id: EntityId
    amount: int = Field(ge=-500, le=500)
    reason: str = Field(min_length=2, max_length=200)
    approver: str = Field(min_length=1, max_length=80)
    recorded_by: str


class Redeem(Command):
    member_id: EntityId
    community_id: EntityId
    redemption_id: EntityId
    points: int = Field(ge=1)


class Refund(Command):
    member_id: EntityId
    redemption_id: EntityId


AccountCommand = Score | Reverse | ManualAward | Redeem | Refund


# --- events -----------------------------------------------------------------------------


class PointsEntered(DomainEvent):
    event_name = "PointsEntered"

    member_id: str
    community_id: str
    entry_id: str
    kind: EntryKind
    amount: int
    rule_id: str | None = None
    book: str | None = None
    source_event_id: str | None = None
    source_type: str | None = None
    subject_ref: str | None = None
    occurred_at: AwareDatetime
    expires_on: date | None = None
    capped: bool = False
    note: str | None = None


class ScoredNothing(DomainEvent):
    """The source was seen under this rule, but its cap was used up: nothing to enter."""

    event_name = "ScoredNothing"

    member_id: str
    community_id: str
    source_event_id: str
    rule_id: str


AccountEvent = PointsEntered | ScoredNothing


# --- state ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Account:
    member_id: str
    community_id: str
    entries: tuple[Entry, ...] = ()
    seen: frozenset[tuple[str, str]] = frozenset()  # (source event, rule)
    used: dict[tuple[str, str], int] = field(default_factory=dict)  # (rule, period) -> points
    # (subject, rule) -> entries a rule made for it, newest last: (entry id, amount, reversed)
    made: dict[tuple[str, str], tuple[tuple[str, int, bool], ...]] = field(default_factory=dict)
    redemptions: dict[str, tuple[int, bool]] = field(default_factory=dict)  # id -> (pts, refunded)

    def balance(self, today: date) -> int:
        return available(self.entries, today)


# (amount, expires on, day it happened)
Entry = tuple[int, date | None, date]


def available(entries: Sequence[Entry], today: date) -> int:
    """Points a member can spend on `today`.

    Earned points are lots; what is taken away (a deduction, a reversal, a redemption)
    is taken from the oldest lots still valid on its day, so a lot that expires loses
    only what is left of it: points spent or reversed never expire a second time.
    """
    lots: list[list[Any]] = []  # [remaining, expires on]
    debt = 0
    for amount, expires, day in entries:
        if amount > 0:
            lots.append([amount, expires])
            continue
        need = -amount
        for lot in lots:
            if need == 0:
                break
            if lot[1] is not None and lot[1] <= day:
                continue
            take = min(lot[0], need)
            lot[0] -= take
            need -= take
        debt += need
    valid: int = sum(remaining for remaining, expires in lots if expires is None or expires > today)
    return valid - debt


def _periods(day: date) -> dict[str, str]:
    return {"day": day.isoformat(), "month": day.strftime("%Y-%m"), "year": str(day.year)}


# --- decide -----------------------------------------------------------------------------


def decide(
    state: Account | None, command: AccountCommand, *, now: datetime, new_id: IdFactory
) -> list[AccountEvent]:
    account = state or Account(member_id=command.member_id, community_id=_community(command))
    match command:
        case Score():
            return _score(account, command)
        case Reverse():
            return _reverse(account, command, new_id)
        case ManualAward():
            if command.approver == command.recorded_by:
                raise CommandRejected(
                    "approver_must_differ",
                    "a manual award is approved by someone other than who records it",
                    field="approver",
                )
            return [
                PointsEntered(
                    member_id=account.member_id,
                    community_id=account.community_id,
                    entry_id=new_id(),
                    kind="manual",
                    amount=command.amount,
                    occurred_at=now,
                    note=f"{command.reason} (approved by {command.approver})",
                )
            ]
        case Redeem():
            if command.redemption_id in account.redemptions:
                return []
            available = account.balance(local_day(now))
            if available < command.points:
                raise CommandRejected(
                    "insufficient_points",
                    f"the member has {available} points; this costs {command.points}",
                    field="quantity",
                )
            return [
                PointsEntered(
                    member_id=account.member_id,
                    community_id=account.community_id,
                    entry_id=f"redemption:{command.redemption_id}",
                    kind="redemption",
                    amount=-command.points,
                    subject_ref=command.redemption_id,
                    occurred_at=now,
                )
            ]
        case Refund():
            found = account.redemptions.get(command.redemption_id)
            if found is None:
                raise InvalidValue("no_such_redemption", "nothing to refund", field="redemption_id")
            points, refunded = found
            if refunded:
                return []
            return [
                PointsEntered(
                    member_id=account.member_id,
                    community_id=account.community_id,
                    entry_id=f"refund:{command.redemption_id}",
                    kind="refund",
                    amount=points,
                    subject_ref=command.redemption_id,
                    occurred_at=now,
                )
            ]
    raise AssertionError(f"unhandled command {command!r}")


def _community(command: AccountCommand) -> str:
    return getattr(command, "community_id", "")


def _score(account: Account, command: Score) -> list[AccountEvent]:
    rule = command.rule
    key = (command.source_event_id, rule.rule_id)
    if key in account.seen:
        return []  # delivered again: it counts once per rule
    day = local_day(command.occurred_at)
    # Half a point rounds up (2 points an hour for 1.25 h is 3), never to the even number.
    wanted = math.floor(rule.amount * (command.quantity if rule.per_hour else 1) + 0.5)
    allowed = wanted
    if wanted > 0:
        for period, cap in (
            ("day", rule.cap_day),
            ("month", rule.cap_month),
            ("year", rule.cap_year),
        ):
            if cap is not None:
                used = account.used.get((rule.rule_id, f"{period}:{_periods(day)[period]}"), 0)
                allowed = min(allowed, max(0, cap - used))
    if wanted == 0 or (wanted > 0 and allowed == 0):
        return [
            ScoredNothing(
                member_id=account.member_id,
                community_id=account.community_id,
                source_event_id=command.source_event_id,
                rule_id=rule.rule_id,
            )
        ]
    expires = (
        day + timedelta(days=rule.expires_after_days)
        if rule.expires_after_days and allowed > 0
        else None
    )
    return [
        PointsEntered(
            member_id=account.member_id,
            community_id=account.community_id,
            entry_id=f"{command.source_event_id}:{rule.rule_id}",
            kind="award" if allowed > 0 else "deduction",
            amount=allowed,
            rule_id=rule.rule_id,
            book=command.book,
            source_event_id=command.source_event_id,
            source_type=command.source_type,
            subject_ref=command.subject_ref,
            occurred_at=command.occurred_at,
            expires_on=expires,
            capped=allowed != wanted,
        )
    ]


def _reverse(account: Account, command: Reverse, new_id: IdFactory) -> list[AccountEvent]:
    key = (command.source_event_id, f"reverse:{command.rule_id}")
    if key in account.seen:
        return []
    made = account.made.get((command.subject_ref, command.rule_id), ())
    open_entries = [(entry_id, amount) for entry_id, amount, reversed_ in made if not reversed_]
    if not open_entries:
        return [
            ScoredNothing(
                member_id=account.member_id,
                community_id=account.community_id,
                source_event_id=command.source_event_id,
                rule_id=f"reverse:{command.rule_id}",
            )
        ]
    entry_id, amount = open_entries[-1]
    return [
        PointsEntered(
            member_id=account.member_id,
            community_id=account.community_id,
            entry_id=f"{command.source_event_id}:reverse:{command.rule_id}",
            kind="reversal",
            amount=-amount,
            rule_id=command.rule_id,
            source_event_id=command.source_event_id,
            source_type=command.source_type,
            subject_ref=command.subject_ref,
            occurred_at=command.occurred_at,
            note=f"reverses {entry_id}",
        )
    ]


# --- evolve -----------------------------------------------------------------------------


def evolve(state: Account | None, event: AccountEvent) -> Account:
    if isinstance(event, ScoredNothing):
        base = state or Account(member_id=event.member_id, community_id=event.community_id)
        return replace(base, seen=base.seen | {(event.source_event_id, event.rule_id)})
    account = state or Account(member_id=event.member_id, community_id=event.community_id)
    entries = (*account.entries, (event.amount, event.expires_on, local_day(event.occurred_at)))
    seen, used, made = account.seen, dict(account.used), dict(account.made)
    redemptions = dict(account.redemptions)
    if event.kind in ("award", "deduction") and event.rule_id and event.source_event_id:
        seen = seen | {(event.source_event_id, event.rule_id)}
        if event.amount > 0:
            day = local_day(event.occurred_at)
            for period, value in _periods(day).items():
                k = (event.rule_id, f"{period}:{value}")
                used[k] = used.get(k, 0) + event.amount
        if event.subject_ref:
            k2 = (event.subject_ref, event.rule_id)
            made[k2] = (*made.get(k2, ()), (event.entry_id, event.amount, False))
    elif event.kind == "reversal" and event.rule_id and event.source_event_id:
        seen = seen | {(event.source_event_id, f"reverse:{event.rule_id}")}
        k2 = (event.subject_ref or "", event.rule_id)
        undone = (event.note or "").removeprefix("reverses ")
        made[k2] = tuple((e, a, r or e == undone) for e, a, r in made.get(k2, ()))
    elif event.kind == "redemption" and event.subject_ref:
        redemptions[event.subject_ref] = (-event.amount, False)
    elif event.kind == "refund" and event.subject_ref:
        points, _ = redemptions[event.subject_ref]
        redemptions[event.subject_ref] = (points, True)
    return replace(
        account, entries=entries, seen=seen, used=used, made=made, redemptions=redemptions
    )


def community_of(state: Account | None) -> str:
    assert state is not None
    return state.community_id


DECIDER: Decider[Account | None, AccountCommand, AccountEvent] = Decider(
    stream_type=STREAM_TYPE,
    initial_state=None,
    decide=decide,
    evolve=evolve,
    event_types=EventTypes(PointsEntered, ScoredNothing),
)
