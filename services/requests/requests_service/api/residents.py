"""HTTP commands on residents: erasure of their personal data (PIPL)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from grassroots_eventkit.http.commands import CommandAccepted, Context, Runner, answer
from grassroots_eventkit.http.security import CurrentPrincipal

from requests_service.api.commands import PathId
from requests_service.handlers.erasure import erase_resident

router = APIRouter(tags=["residents"])


@router.post(
    "/residents/{resident_id}/erase",
    status_code=201,
    summary="Erase a resident's personal data (crypto-shredding); idempotent",
    description=(
        "Shreds the key that seals the resident's names, phones, texts, notes and photos in"
        " this service's event store, then records `ResidentErased` (public:"
        " `grassroots.requests.ResidentErased.v1`). Their requests keep their ids, places,"
        " times and outcomes; the personal fields read as `［已删除 erased］` (or empty) from"
        " then on. 201 the first time, 200 with the same version afterwards. Staff of every"
        " community the resident's requests are in, or the county's administrators."
    ),
)
async def erase(
    resident_id: PathId,
    request: Request,
    principal: CurrentPrincipal,
    ctx: Context,
    runner: Runner,
    response: Response,
) -> CommandAccepted:
    rt = request.app.state.runtime
    accepted = await erase_resident(runner, rt.vault, rt.pool, principal, ctx, resident_id)
    return answer(response, accepted)
