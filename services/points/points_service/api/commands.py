"""HTTP commands: rule books, manual awards, the love supermarket, the double evaluation."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import NAMESPACE_URL, UUID, uuid5

from fastapi import APIRouter, Depends, Path, Request, Response
from grassroots_eventkit.http.commands import CommandAccepted, Context, Runner, Store, answer
from grassroots_eventkit.http.security import CurrentPrincipal
from grassroots_eventkit.ids import uuid7
from grassroots_eventkit.values import ID_PATTERN, EntityId
from pydantic import BaseModel, ConfigDict, Field

from points_service.config import PointsSettings
from points_service.domain import evaluation, supermarket
from points_service.domain.rulebook import Rule
from points_service.handlers import commands as handlers
from points_service.handlers.commands import Desk

router = APIRouter(tags=["points"])
PathId = Annotated[str, Path(min_length=1, max_length=80, pattern=ID_PATTERN)]
_C = "7d3f1c2e-0b1a-4c55-9a57-1f0e4b8f2c11"
_M = "0193a7c2-0000-7000-8000-00000000e001"


def _body(example: dict[str, object]) -> ConfigDict:
    return ConfigDict(frozen=True, extra="forbid", json_schema_extra={"examples": [example]})


async def _desk(
    request: Request, principal: CurrentPrincipal, ctx: Context, runner: Runner, store: Store
) -> Desk:
    return Desk(runner, store, request.app.state.runtime.pool, principal, ctx)


DeskDep = Annotated[Desk, Depends(_desk)]


def keyed(desk: Desk, body: BaseModel) -> Desk:
    return Desk(desk.runner, desk.store, desk.pool, desk.principal, desk.ctx.for_request(body))


class NewRuleBook(BaseModel):
    model_config = _body(
        {
            "county": "东安县",
            "community_id": None,
            "effective_from": "2027-01-01",
            "rules": [
                {
                    "rule_id": "request_resolved",
                    "trigger": "grassroots.requests.RequestResolved.v1",
                    "amount": 6,
                    "cap_day": 24,
                }
            ],
        }
    )
    county: str = Field(min_length=2, max_length=50)
    community_id: EntityId | None = Field(
        default=None, description="a community's overrides; none for the county's book"
    )
    effective_from: date
    rules: list[Rule] = Field(min_length=1, max_length=100)


class ManualEntry(BaseModel):
    model_config = _body(
        {"amount": 20, "reason": "抗洪抢险中表现突出", "approver": "社区党委书记 王明"}
    )
    amount: int = Field(ge=-500, le=500)
    reason: str = Field(min_length=2, max_length=200)
    approver: str = Field(min_length=1, max_length=80)


class NewItem(BaseModel):
    model_config = _body({"name": "食用油 5L", "price": 50, "added": 20})
    name: str = Field(min_length=1, max_length=60)
    price: int = Field(ge=1, le=100_000)
    added: int = Field(ge=0, le=100_000)


class Redemption(BaseModel):
    model_config = _body({"item_id": "0193a7c2-0000-7000-8000-0000000d0001", "quantity": 1})
    item_id: EntityId
    quantity: int = Field(default=1, ge=1, le=100)
    member_id: EntityId | None = Field(default=None, description="staff name the member")


class Rating(BaseModel):
    model_config = _body({"community_id": _C, "score": 90})
    community_id: EntityId
    score: int = Field(ge=0, le=100)


class NewAward(BaseModel):
    model_config = _body(
        {
            "year": 2026,
            "kind": "best_building",
            "subject_id": "0193a7c2-0000-7000-8000-00000000b001",
        }
    )
    year: int = Field(ge=2000, le=2100)
    kind: Literal["best_family", "best_building"]
    subject_id: EntityId


@router.post("/rulebooks", status_code=201, summary="Publish a rule book version")
async def publish_rulebook(body: NewRuleBook, desk: DeskDep, response: Response) -> CommandAccepted:
    accepted = await handlers.publish_rulebook(
        keyed(desk, body), body.county, body.community_id, body.effective_from, tuple(body.rules)
    )
    return answer(response, accepted)


@router.post(
    "/members/{member_id}/manual-awards",
    summary="A manual entry, with its reason and approver",
)
async def manual_award(
    member_id: PathId, body: ManualEntry, desk: DeskDep, response: Response
) -> CommandAccepted:
    accepted = await handlers.manual_award(
        keyed(desk, body), member_id, body.amount, body.reason, body.approver
    )
    return answer(response, accepted)


@router.post(
    "/communities/{community_id}/supermarket/items",
    status_code=201,
    summary="Put goods on the love supermarket's shelf (爱心超市)",
)
async def add_item(
    community_id: PathId, body: NewItem, desk: DeskDep, response: Response
) -> CommandAccepted:
    item_id = str(uuid7())
    cmd = supermarket.StockItem(community_id=community_id, item_id=item_id, **body.model_dump())
    accepted = await handlers.stock_item(keyed(desk, body), cmd)
    location = f"/communities/{community_id}/supermarket/items/{item_id}"
    created = answer(response, accepted, location)
    response.status_code = 201  # a new item, whatever the shop's stream
    return created


@router.post(
    "/communities/{community_id}/supermarket/items/{item_id}/restock",
    summary="Restock or re-price goods",
)
async def restock(
    community_id: PathId, item_id: PathId, body: NewItem, desk: DeskDep, response: Response
) -> CommandAccepted:
    cmd = supermarket.StockItem(community_id=community_id, item_id=item_id, **body.model_dump())
    accepted = await handlers.stock_item(keyed(desk, body), cmd)
    return answer(response, accepted)


@router.post(
    "/communities/{community_id}/supermarket/redemptions",
    status_code=201,
    summary="Exchange points for goods (an Idempotency-Key makes a retry finish it once)",
)
async def redeem(
    community_id: PathId, body: Redemption, request: Request, desk: DeskDep, response: Response
) -> CommandAccepted:
    key = request.headers.get("Idempotency-Key")
    # A retried redemption must be the same redemption: name it after the client's key.
    redemption_id = (
        str(uuid5_of(desk.principal.subject, community_id, key)) if key else str(uuid7())
    )
    accepted = await handlers.redeem(
        keyed(desk, body),
        community_id,
        redemption_id,
        body.member_id,
        body.item_id,
        body.quantity,
    )
    response.headers["X-Redemption-Id"] = redemption_id
    location = f"/communities/{community_id}/supermarket/redemptions/{redemption_id}"
    created = answer(response, accepted, location)
    response.status_code = 201  # a redemption is a new thing, whatever the shop's stream
    return created


def uuid5_of(*parts: str) -> UUID:
    return uuid5(NAMESPACE_URL, "grassroots:redemption:" + "|".join(parts))


@router.post(
    "/communities/{community_id}/supermarket/redemptions/{redemption_id}/cancel",
    summary="Cancel a redemption: goods back on the shelf, points refunded",
)
async def cancel_redemption(
    community_id: PathId, redemption_id: PathId, desk: DeskDep, response: Response
) -> CommandAccepted:
    accepted = await handlers.cancel_redemption(desk, community_id, redemption_id)
    return answer(response, accepted)


@router.post(
    "/members/{member_id}/evaluations/{year}/ratings",
    summary="The residence or contact community rates the member for the year",
)
async def rate(
    member_id: PathId,
    year: Annotated[int, Path(ge=2000, le=2100)],
    body: Rating,
    desk: DeskDep,
    response: Response,
) -> CommandAccepted:
    accepted = await handlers.rate_member(
        keyed(desk, body), member_id, year, body.community_id, body.score
    )
    return answer(response, accepted)


def _settings(request: Request) -> PointsSettings:
    settings: PointsSettings = request.app.state.runtime.settings
    return settings


@router.post(
    "/members/{member_id}/evaluations/{year}/grade",
    summary="Grade the member for the year (双考评) from points and both ratings",
)
async def grade(
    member_id: PathId,
    year: Annotated[int, Path(ge=2000, le=2100)],
    request: Request,
    desk: DeskDep,
    response: Response,
) -> CommandAccepted:
    accepted = await handlers.grade_member(desk, member_id, year, _settings(request).evaluation)
    return answer(response, accepted)


@router.post(
    "/communities/{community_id}/awards",
    summary="Record an award: best family (最美家庭) or best building (最美楼栋)",
)
async def award(
    community_id: PathId, body: NewAward, desk: DeskDep, response: Response
) -> CommandAccepted:
    cmd = evaluation.RecordAward(community_id=community_id, **body.model_dump())
    accepted = await handlers.record_award(keyed(desk, body), cmd)
    return answer(response, accepted)
