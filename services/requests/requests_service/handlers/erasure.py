"""Erasing a resident: shred their key, then record and publish the erasure."""

from __future__ import annotations

import asyncpg
from grassroots_eventkit.auth import Forbidden, Principal
from grassroots_eventkit.commands import Accepted, CommandContext, CommandRunner
from grassroots_eventkit.domain import NotFound
from grassroots_eventkit.personal import KeyVault

from requests_service.domain import erasure
from requests_service.domain.request import resident_subject
from requests_service.handlers.access import is_staff
from requests_service.views import routing_model

# The resident's requests, straight from the store (resident_id is an opaque id, kept
# in clear; the index is requests.0004's).
_RESIDENT_REQUESTS = (
    "SELECT stream_id, community_id FROM es_events"
    " WHERE event_type = 'RequestSubmitted.v1' AND data->>'resident_id' = $1"
    " ORDER BY global_position"
)


async def erase_resident(
    runner: CommandRunner,
    vault: KeyVault,
    pool: asyncpg.Pool,
    principal: Principal,
    ctx: CommandContext,
    resident_id: str,
) -> Accepted:
    """Only staff of every community the resident placed a request in (or the county's
    administrators) may erase them. The key goes first: if the process dies before the
    event is written, the data is already unreadable and a retry writes the event."""
    rows = await pool.fetch(_RESIDENT_REQUESTS, resident_id)
    if not rows:
        raise NotFound(
            "resident_not_found", f"this service holds nothing of resident {resident_id}"
        )
    communities = list(dict.fromkeys(r["community_id"] for r in rows))
    for community_id in communities:
        county = await routing_model.community_county(pool, community_id)
        if not is_staff(principal, community_id, county):
            raise Forbidden(
                "only staff of every community the resident's requests are in,"
                " or the county's administrators, may erase them"
            )
    await vault.erase(resident_subject(resident_id))
    command = erasure.EraseResident(
        resident_id=resident_id,
        community_id=communities[-1],
        request_ids=tuple(r["stream_id"] for r in rows),
        by=principal.subject,
    )
    return await runner.run(
        erasure.DECIDER,
        stream_id=erasure.stream_id(resident_id),
        command=command,
        ctx=ctx,
        community_of=erasure.community_of,
    )
