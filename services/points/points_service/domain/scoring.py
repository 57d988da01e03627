"""Scoring a community's past under a rule book, in memory: the what-if.

The same translation (`sources.intents`) and the same account rules (`account.decide`,
caps included) as the live ledger, folded over the stored source events in the order
they happened, with one book for the whole replay. Nothing is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from points_service.domain import account
from points_service.domain.rulebook import Rule
from points_service.domain.sources import ReverseIntent, intents


@dataclass(frozen=True, slots=True)
class Source:
    event_id: str
    event_type: str
    payload: dict[str, object]
    occurred_at: datetime
    community_id: str


def replay(sources: Iterable[Source], rules: Sequence[Rule], book: str) -> dict[str, int]:
    """Each member's points from these sources under `rules`."""
    accounts: dict[str, account.Account] = {}
    for source in sorted(sources, key=lambda s: (s.occurred_at, s.event_id)):
        for intent in intents(source.event_type, source.payload, source.occurred_at):
            before = accounts.get(intent.member_id)
            commands: list[account.AccountCommand]
            if isinstance(intent, ReverseIntent):
                commands = [
                    account.Reverse(
                        member_id=intent.member_id,
                        community_id=source.community_id,
                        source_event_id=source.event_id,
                        source_type=source.event_type,
                        subject_ref=intent.subject_ref,
                        rule_id=intent.rule_id,
                        occurred_at=intent.occurred_at,
                    )
                ]
            else:
                commands = [
                    account.Score(
                        member_id=intent.member_id,
                        community_id=source.community_id,
                        source_event_id=source.event_id,
                        source_type=source.event_type,
                        subject_ref=intent.subject_ref,
                        occurred_at=intent.occurred_at,
                        rule=rule,
                        book=book,
                        quantity=intent.quantity,
                    )
                    for rule in rules
                    if rule.trigger == source.event_type
                ]
            state = before
            for command in commands:
                for event in account.decide(
                    state, command, now=intent.occurred_at, new_id=lambda: "what-if"
                ):
                    state = account.evolve(state, event)
            if state is not None:
                accounts[intent.member_id] = state
    return {member: sum(entry[0] for entry in acc.entries) for member, acc in accounts.items()}
