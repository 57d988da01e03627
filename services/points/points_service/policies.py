"""Policies: events of the other services become commands on members' accounts.

`when_source_event_score_points`: for each public event that can earn or cost points
(`domain/sources.py`), find the member's account and the rules in force on the day it
happened, and send `Score` (or `Reverse`) to the account. The consumer runs this inside
its transaction and commits the Kafka offset after it; the account itself remembers
which (source event, rule) it scored, so a redelivery, a restart or a consumer reset to
offset 0 never counts anything twice. Each source is also kept in `pt_sources`, the
input of the what-if replay.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

import asyncpg
import structlog
from grassroots_contracts.topics import (
    ORGANISATION_EVENTS,
    REQUESTS_EVENTS,
    VOLUNTEERING_EVENTS,
)
from grassroots_eventkit.codec import ReceivedEvent
from grassroots_eventkit.commands import CommandContext, CommandRunner, load_aggregate
from grassroots_eventkit.store import EventStore

from points_service.domain import account, rulebook
from points_service.domain.calendar import local_day
from points_service.domain.default_rules import DEFAULT_RULES
from points_service.domain.sources import SOURCE_TYPES, ReverseIntent, intents
from points_service.views import directory_model

log = structlog.get_logger()

GROUP = "grassroots.points.policies"
# Members whose commands run side by side within one batch.
LANES = 32


class PointsPolicies:
    group = GROUP
    topics: Sequence[str] = (
        ORGANISATION_EVENTS.name,
        REQUESTS_EVENTS.name,
        VOLUNTEERING_EVENTS.name,
    )

    def __init__(self, runner: CommandRunner, store: EventStore) -> None:
        self._runner = runner
        self._store = store

    async def apply(self, conn: asyncpg.Connection, events: Sequence[ReceivedEvent]) -> None:
        """Translate the whole batch first, then run each member's commands in order, and
        different members' side by side: their appends share commits (group commit)
        instead of waiting for one another's."""
        lanes: dict[str, list[account.AccountCommand]] = defaultdict(list)
        ctx: dict[str, CommandContext] = {}
        books: dict[tuple[str | None, str, date], rulebook.Scoring] = {}
        for event in events:
            if event.event_type in SOURCE_TYPES:
                for command in await self._commands(conn, event, books):
                    lanes[command.member_id].append(command)
                    ctx[f"{command.member_id}:{command.source_event_id}"] = CommandContext(
                        actor="policy:when_source_event_score_points",
                        correlation_id=event.meta.correlation_id,
                        causation_id=str(event.event_id),
                    )
        gate = asyncio.Semaphore(LANES)

        async def lane(commands: list[account.AccountCommand]) -> None:
            async with gate:
                for command in commands:
                    await self._runner.run(
                        account.DECIDER,
                        stream_id=account.account_id(command.member_id),
                        command=command,
                        ctx=ctx[f"{command.member_id}:{command.source_event_id}"],
                        community_of=account.community_of,
                    )

        await asyncio.gather(*(lane(commands) for commands in lanes.values()))

    async def _commands(
        self,
        conn: asyncpg.Connection,
        event: ReceivedEvent,
        books: dict[tuple[str | None, str, date], rulebook.Scoring],
    ) -> list[account.Score | account.Reverse]:
        payload: dict[str, Any] = event.payload
        at = event.meta.time
        found = intents(event.event_type, payload, at)
        if not found:
            return []
        known = await directory_model.member(conn, found[0].member_id)
        # The member's home community keys the account; a member the directory does not
        # know yet (topics are read side by side) is booked where the event happened.
        community_id = known["community_id"] if known else event.meta.community_id
        county = known["county"] if known and known["county"] else None
        await conn.execute(
            "INSERT INTO pt_sources (event_id, event_type, community_id, occurred_at, payload)"
            " VALUES ($1, $2, $3, $4, $5::jsonb) ON CONFLICT DO NOTHING",
            str(event.event_id),
            event.event_type,
            community_id,
            at,
            json.dumps(payload, ensure_ascii=False, default=str),
        )
        key = (county, community_id, local_day(at))
        if key not in books:
            books[key] = await self._scoring(county, community_id, at)
        commands: list[account.Score | account.Reverse] = []
        for intent in found:
            if isinstance(intent, ReverseIntent):
                commands.append(
                    account.Reverse(
                        member_id=intent.member_id,
                        community_id=community_id,
                        source_event_id=str(event.event_id),
                        source_type=event.event_type,
                        subject_ref=intent.subject_ref,
                        rule_id=intent.rule_id,
                        occurred_at=intent.occurred_at,
                    )
                )
                continue
            commands += [
                account.Score(
                    member_id=intent.member_id,
                    community_id=community_id,
                    source_event_id=str(event.event_id),
                    source_type=event.event_type,
                    subject_ref=intent.subject_ref,
                    occurred_at=intent.occurred_at,
                    rule=rule,
                    book=book,
                    quantity=intent.quantity,
                )
                for rule, book in books[key].for_trigger(event.event_type)
            ]
        return commands

    async def _scoring(self, county: str | None, community_id: str, at: Any) -> rulebook.Scoring:
        day = local_day(at)
        if county is None:
            return rulebook.rules_in_force(None, None, day, DEFAULT_RULES, "-")
        _, county_book = await load_aggregate(
            self._store, rulebook.DECIDER, rulebook.book_stream(county)
        )
        _, community_book = await load_aggregate(
            self._store, rulebook.DECIDER, rulebook.book_stream(county, community_id)
        )
        return rulebook.rules_in_force(county_book, community_book, day, DEFAULT_RULES, county)
