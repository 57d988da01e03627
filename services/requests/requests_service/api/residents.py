"""HTTP commands erasing a person's personal data (PIPL): a resident's, or a caller's."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from grassroots_eventkit.http.commands import CommandAccepted, Context, Runner, Store, answer
from grassroots_eventkit.http.security import CurrentPrincipal

from requests_service.api.commands import PathId
from requests_service.handlers.erasure import erase_caller, erase_resident

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


@router.post(
    "/requests/{request_id}/erase-personal-data",
    status_code=201,
    summary="Erase the personal data of a caller without an account; idempotent",
    description=(
        "For a request placed through the hotline, the service hall or Open311 without a"
        " resident account: shreds the key of that request's contact, text, notes and"
        " photos, which read as `［已删除 erased］` (or empty) from then on. A request of a"
        " resident is refused (409 `request_has_resident`): erase the resident. 201 the"
        " first time, 200 afterwards. The community's staff or the county's administrators."
    ),
)
async def erase_caller_data(
    request_id: PathId,
    request: Request,
    principal: CurrentPrincipal,
    ctx: Context,
    runner: Runner,
    store: Store,
    response: Response,
) -> CommandAccepted:
    vault = request.app.state.runtime.vault
    accepted = await erase_caller(runner, vault, store, principal, ctx, request_id)
    return answer(response, accepted)
