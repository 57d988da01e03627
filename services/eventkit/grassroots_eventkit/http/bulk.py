"""Bulk routes: many independent commands in one request, each accepted or refused alone.

A roster import or a day's report sheet touches many aggregates. They run
concurrently (so the store's group commit batches their appends), each with its own
idempotency key derived from the request's, and the answer lists every item's
outcome: the request as a whole succeeds even when some items are refused.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import TypeVar

from pydantic import BaseModel, ConfigDict

from grassroots_eventkit.auth import Forbidden
from grassroots_eventkit.commands import Accepted, CommandContext
from grassroots_eventkit.domain import CommandRejected

T = TypeVar("T")

MAX_ITEMS = 500
_CONCURRENCY = 32


class ItemOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    index: int
    status: int
    id: str | None = None
    version: int | None = None
    rule: str | None = None
    detail: str | None = None
    field: str | None = None


class BulkAccepted(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "accepted": 1,
                    "refused": 1,
                    "results": [
                        {"index": 0, "status": 201, "id": "0193a7c2-…", "version": 1},
                        {
                            "index": 1,
                            "status": 409,
                            "rule": "already_reported",
                            "detail": "member already reported to this community in 2026",
                            "field": "community_id",
                        },
                    ],
                }
            ]
        },
    )

    accepted: int
    refused: int
    results: list[ItemOutcome]


def item_context(ctx: CommandContext, index: int, item: BaseModel) -> CommandContext:
    """The item's own idempotency key: a retried bulk request replays item by item."""
    keyed = (
        replace(ctx, idempotency_key=f"{ctx.idempotency_key}#{index}")
        if ctx.idempotency_key
        else ctx
    )
    return keyed.for_request(item)


async def run_each(
    items: Sequence[T],
    command: Callable[[int, T], Awaitable[Accepted]],
    *,
    field_prefix: str,
) -> BulkAccepted:
    gate = asyncio.Semaphore(_CONCURRENCY)

    async def one(index: int, item: T) -> ItemOutcome:
        async with gate:
            try:
                accepted = await command(index, item)
            except CommandRejected as exc:
                field = f"{field_prefix}.{index}.{exc.field}" if exc.field else None
                return ItemOutcome(
                    index=index, status=exc.status, rule=exc.rule, detail=exc.message, field=field
                )
            except Forbidden as exc:
                return ItemOutcome(index=index, status=403, rule="forbidden", detail=str(exc))
            return ItemOutcome(
                index=index, status=accepted.status_code, id=accepted.id, version=accepted.version
            )

    results: list[ItemOutcome] = await asyncio.gather(*(one(i, x) for i, x in enumerate(items)))
    refused = sum(1 for r in results if r.status >= 400)
    return BulkAccepted(accepted=len(results) - refused, refused=refused, results=results)
