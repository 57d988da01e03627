"""Erasing a person: shred their key, then record (and for a resident, publish) the erasure."""

from __future__ import annotations

import asyncpg
from grassroots_eventkit.auth import Forbidden, Principal
from grassroots_eventkit.commands import Accepted, CommandContext, CommandRunner
from grassroots_eventkit.domain import CommandRejected, NotFound
from grassroots_eventkit.personal import KeyVault
from grassroots_eventkit.store import EventStore

from requests_service.domain import erasure
from requests_service.domain.request import caller_subject, resident_subject
from requests_service.handlers.access import is_staff
from requests_service.handlers.lifecycle import current
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


async def erase_caller(
    runner: CommandRunner,
    vault: KeyVault,
    store: EventStore,
    principal: Principal,
    ctx: CommandContext,
    request_id: str,
) -> Accepted:
    """The personal data of a request placed without an account (hotline, service hall,
    Open311): its community's staff or the county's administrators. A request with a
    resident is erased with the resident, all their requests at once."""
    state = await current(store, request_id)
    if state.resident_id is not None:
        raise CommandRejected(
            "request_has_resident",
            f"this request is resident {state.resident_id}'s: erase the resident instead",
        )
    if not is_staff(principal, state.community_id, state.county):
        raise Forbidden("only the community's staff or the county's administrators may do this")
    await vault.erase(caller_subject(request_id))
    command = erasure.EraseCaller(
        request_id=request_id, community_id=state.community_id, by=principal.subject
    )
    return await runner.run(
        erasure.CALLER_DECIDER,
        stream_id=erasure.caller_stream_id(request_id),
        command=command,
        ctx=ctx,
        community_of=erasure.caller_community_of,
    )
