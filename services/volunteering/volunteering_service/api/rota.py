"""HTTP commands on the weekend duty rota (党员周末轮班) of a community's service station."""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, Response
from grassroots_contracts.volunteering.events import StationArea
from grassroots_eventkit.http.commands import CommandAccepted, answer
from grassroots_eventkit.ids import uuid7
from grassroots_eventkit.values import EntityId
from pydantic import AwareDatetime, BaseModel, Field

from volunteering_service.api.deps import DeskDep, PathId, Settings, example_body, keyed
from volunteering_service.domain import rota
from volunteering_service.handlers import commands as handlers

router = APIRouter(tags=["weekend rota"])
_M = "0193a7c2-0000-7000-8000-00000000e001"
_S = "0193a7c2-0000-7000-8000-0000000c2001"


class NewSlot(BaseModel):
    model_config = example_body(
        {
            "area": "elderly_home",
            "starts_at": "2026-05-09T09:00:00+08:00",
            "ends_at": "2026-05-09T12:00:00+08:00",
        }
    )
    area: StationArea
    starts_at: AwareDatetime
    ends_at: AwareDatetime


class Opening(BaseModel):
    model_config = example_body(
        {
            "slots": [
                {
                    "area": "elderly_home",
                    "starts_at": "2026-05-09T09:00:00+08:00",
                    "ends_at": "2026-05-09T12:00:00+08:00",
                }
            ]
        }
    )
    slots: list[NewSlot] = Field(min_length=1, max_length=200)


class MemberRef(BaseModel):
    model_config = example_body({"member_id": _M})
    member_id: EntityId | None = Field(default=None, description="staff name the member")


class Swap(BaseModel):
    model_config = example_body({"with_slot_id": _S})
    with_slot_id: EntityId


class Outcome(BaseModel):
    model_config = example_body({"outcome": "served"})
    outcome: Literal["served", "missed"]


@router.post(
    "/communities/{community_id}/rota/{weekend}/shifts",
    summary="Open shifts for a weekend (named by its Saturday)",
)
async def open_shifts(
    community_id: PathId,
    weekend: date,
    body: Opening,
    desk: DeskDep,
    settings: Settings,
    response: Response,
) -> CommandAccepted:
    slots = tuple(rota.SlotSpec(slot_id=str(uuid7()), **s.model_dump()) for s in body.slots)
    accepted = await handlers.open_shifts(
        keyed(desk, body), community_id, weekend, slots, settings.rota_gap_notice
    )
    return answer(response, accepted, f"/communities/{community_id}/rota/{weekend}")


@router.post("/rotas/{rota_id}/shifts/{slot_id}/claim", summary="Take a shift")
async def claim(
    rota_id: PathId, slot_id: PathId, body: MemberRef, desk: DeskDep, response: Response
) -> CommandAccepted:
    accepted = await handlers.rota_member(
        keyed(desk, body),
        rota_id,
        body.member_id,
        lambda who, by_staff: rota.ClaimShift(
            rota_id=rota_id, slot_id=slot_id, member_id=who, assigned=by_staff
        ),
    )
    return answer(response, accepted)


@router.post("/rotas/{rota_id}/shifts/{slot_id}/release", summary="Give a shift back")
async def release(
    rota_id: PathId, slot_id: PathId, body: MemberRef, desk: DeskDep, response: Response
) -> CommandAccepted:
    accepted = await handlers.rota_member(
        keyed(desk, body),
        rota_id,
        body.member_id,
        lambda who, _: rota.ReleaseShift(rota_id=rota_id, slot_id=slot_id, member_id=who),
    )
    return answer(response, accepted)


@router.post(
    "/rotas/{rota_id}/shifts/{slot_id}/swap",
    summary="Offer to swap your shift for another member's",
)
async def propose_swap(
    rota_id: PathId, slot_id: PathId, body: Swap, desk: DeskDep, response: Response
) -> CommandAccepted:
    accepted = await handlers.rota_member(
        keyed(desk, body),
        rota_id,
        None,
        lambda who, _: rota.ProposeSwap(
            rota_id=rota_id, slot_id=slot_id, with_slot_id=body.with_slot_id, proposer_id=who
        ),
    )
    return answer(response, accepted)


@router.post(
    "/rotas/{rota_id}/shifts/{slot_id}/swap/accept",
    summary="Accept the swap offered for your shift (`with_slot_id`: the proposer's)",
)
async def accept_swap(
    rota_id: PathId, slot_id: PathId, body: Swap, desk: DeskDep, response: Response
) -> CommandAccepted:
    accepted = await handlers.rota_member(
        keyed(desk, body),
        rota_id,
        None,
        lambda who, _: rota.AcceptSwap(
            rota_id=rota_id, slot_id=slot_id, with_slot_id=body.with_slot_id, member_id=who
        ),
    )
    return answer(response, accepted)


@router.post(
    "/rotas/{rota_id}/shifts/{slot_id}/record", summary="Record a shift as served or missed"
)
async def record(
    rota_id: PathId, slot_id: PathId, body: Outcome, desk: DeskDep, response: Response
) -> CommandAccepted:
    cmd = rota.RecordShift(rota_id=rota_id, slot_id=slot_id, outcome=body.outcome)
    accepted = await handlers.rota_staff(keyed(desk, body), rota_id, cmd)
    return answer(response, accepted)
