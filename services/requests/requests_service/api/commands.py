"""HTTP commands on requests: submit (点单), claim (报到), resolve, rate, whistle (吹哨) ..."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated, Literal

import asyncpg
from fastapi import APIRouter, Depends, Path, Request, Response
from grassroots_contracts.requests.lifecycle import Rating, WhistleKind
from grassroots_eventkit.auth import Principal
from grassroots_eventkit.commands import Accepted, CommandContext, CommandRunner
from grassroots_eventkit.http.commands import CommandAccepted, Context, Runner, Store, answer
from grassroots_eventkit.http.security import CurrentPrincipal
from grassroots_eventkit.ids import uuid7
from grassroots_eventkit.store import EventStore
from grassroots_eventkit.values import ID_PATTERN, EntityId
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from requests_service.config import RequestsSettings
from requests_service.domain import request as rq
from requests_service.handlers import lifecycle
from requests_service.handlers.submit import Submission, submit

router = APIRouter(tags=["requests"])

PathId = Annotated[str, Path(min_length=1, max_length=64, pattern=ID_PATTERN)]

_C = "7d3f1c2e-0b1a-4c55-9a57-1f0e4b8f2c11"
_B = "0193a7c2-0000-7000-8000-00000000b001"
_H = "0193a7c2-0000-7000-8000-00000000d001"


def _body(example: dict[str, object]) -> ConfigDict:
    return ConfigDict(frozen=True, extra="forbid", json_schema_extra={"examples": [example]})


class AddressIn(BaseModel):
    """Where the problem is: the most precise grid id you know; the rest is filled in."""

    model_config = _body({"building_id": _B, "household_id": _H})

    community_id: EntityId | None = None
    compound_id: EntityId | None = None
    building_id: EntityId | None = None
    household_id: EntityId | None = None


class SubmitBody(BaseModel):
    model_config = _body(
        {
            "category": "repairs",
            "address": {"building_id": _B, "household_id": _H},
            "text": "3栋2单元楼道灯坏了一周，老人晚上上下楼不安全。",
            "channel": "app",
            "photos": ["https://files.example.cn/p/1.jpg"],
            "contact": {"name": "李秀英", "phone": "13907461234"},
        }
    )

    category: str = Field(min_length=1, max_length=40, description="a code from GET /categories")
    address: AddressIn
    text: rq.RequestText
    channel: Literal["app", "service_hall", "hotline", "grid_worker"] = "app"
    photos: list[AnyHttpUrl] = Field(default=[], max_length=9)
    contact: rq.Contact | None = None
    resident_id: EntityId | None = Field(
        default=None, description="staff submitting for a resident with an account"
    )


class AssignBody(BaseModel):
    model_config = _body({"member_id": "0193a7c2-0000-7000-8000-00000000e001"})
    member_id: EntityId


class NoteBody(BaseModel):
    model_config = _body({"note": "已联系物业，明天上午更换灯泡。"})
    note: rq.Note


class ResolveBody(BaseModel):
    model_config = _body({"resolution": "楼道灯已更换，居民确认可以正常使用。"})
    resolution: rq.Note


class RateBody(BaseModel):
    model_config = _body({"rating": "satisfied", "comment": "处理很及时，谢谢！"})
    rating: Rating
    comment: rq.Note | None = None


class EscalateBody(BaseModel):
    model_config = _body(
        {
            "to_level": "department",
            "department": "public_security",
            "whistle": "tough_problem",
            "reason": "楼顶违建涉及多户，社区协调无果。",
        }
    )
    to_level: Literal["community", "department"]
    department: str | None = Field(default=None, max_length=40)
    whistle: WhistleKind = "routine"
    reason: rq.Note


class ReasonBody(BaseModel):
    model_config = _body({"reason": "属于商品房质量纠纷，请联系开发商或住建部门。"})
    reason: rq.Note


class CancelBody(BaseModel):
    model_config = _body({"reason": "问题已自行解决。"})
    reason: rq.Note | None = None


class MergeBody(BaseModel):
    model_config = _body({"into_request_id": "0193a7c2-0000-7000-8000-0000000f0001"})
    into_request_id: EntityId


@dataclass(frozen=True, slots=True)
class Acting:
    """Everything a command route needs besides its body: who, how, and where to write."""

    principal: Principal
    ctx: CommandContext
    runner: CommandRunner
    store: EventStore
    pool: asyncpg.Pool
    settings: RequestsSettings

    def on(self, body: BaseModel) -> Acting:
        """The context keyed on what the client sent (for its Idempotency-Key)."""
        return replace(self, ctx=self.ctx.for_request(body))

    async def act(self, request_id: str, build: lifecycle.Build) -> Accepted:
        return await lifecycle.act(
            self.runner, self.store, self.principal, self.ctx, request_id, build
        )


async def _acting(
    request: Request, principal: CurrentPrincipal, ctx: Context, runner: Runner, store: Store
) -> Acting:
    rt = request.app.state.runtime
    return Acting(principal, ctx, runner, store, rt.pool, rt.settings)


Act = Annotated[Acting, Depends(_acting)]


@router.post("/requests", status_code=201, summary="Submit a request (群众点单)")
async def submit_request(body: SubmitBody, act: Act, response: Response) -> CommandAccepted:
    sub = Submission(
        community_id=body.address.community_id,
        compound_id=body.address.compound_id,
        building_id=body.address.building_id,
        household_id=body.address.household_id,
        category=body.category,
        channel=body.channel,
        text=body.text,
        photos=tuple(str(p) for p in body.photos),
        contact=body.contact,
        resident_id=body.resident_id,
    )
    accepted = await submit(
        act.runner,
        act.pool,
        act.on(body).ctx,
        sub,
        request_id=str(uuid7()),
        overrides=act.settings.deadline_overrides,
        principal=act.principal,
    )
    return answer(response, accepted, f"/requests/{accepted.id}")


@router.post("/requests/{request_id}/claim", summary="A member reports for duty on it (党员报到)")
async def claim(request_id: PathId, act: Act, response: Response) -> CommandAccepted:
    accepted = await lifecycle.claim(act.runner, act.store, act.principal, act.ctx, request_id)
    return answer(response, accepted)


@router.post("/requests/{request_id}/assign", summary="Community staff assign it to a member")
async def assign(
    request_id: PathId, body: AssignBody, act: Act, response: Response
) -> CommandAccepted:
    a = act.on(body)
    accepted = await lifecycle.assign(
        a.runner, a.store, a.pool, a.principal, a.ctx, request_id, body.member_id
    )
    return answer(response, accepted)


@router.post("/requests/{request_id}/notes", summary="Record progress")
async def note(request_id: PathId, body: NoteBody, act: Act, response: Response) -> CommandAccepted:
    accepted = await act.on(body).act(
        request_id, lambda by: rq.NoteProgress(request_id=request_id, by=by, note=body.note)
    )
    return answer(response, accepted)


@router.post("/requests/{request_id}/resolve", summary="Resolve it, with a resolution note")
async def resolve(
    request_id: PathId, body: ResolveBody, act: Act, response: Response
) -> CommandAccepted:
    within = act.settings.confirm_within
    accepted = await act.on(body).act(
        request_id,
        lambda by: rq.ResolveRequest(
            request_id=request_id, by=by, resolution=body.resolution, confirm_within=within
        ),
    )
    return answer(response, accepted)


@router.post("/requests/{request_id}/rating", summary="The resident confirms and rates it")
async def rate(request_id: PathId, body: RateBody, act: Act, response: Response) -> CommandAccepted:
    most = act.settings.max_reopenings
    accepted = await act.on(body).act(
        request_id,
        lambda by: rq.RateRequest(
            request_id=request_id,
            by=by,
            rating=body.rating,
            comment=body.comment,
            max_reopenings=most,
        ),
    )
    return answer(response, accepted)


@router.post("/requests/{request_id}/escalate", summary="Blow the whistle (吹哨)")
async def escalate(
    request_id: PathId, body: EscalateBody, act: Act, response: Response
) -> CommandAccepted:
    a = act.on(body)
    accepted = await lifecycle.escalate(
        a.runner,
        a.store,
        a.principal,
        a.ctx,
        request_id,
        lambda by: rq.EscalateRequest(
            request_id=request_id,
            by=by,
            to_level=body.to_level,
            department=body.department,
            whistle=body.whistle,
            reason=body.reason,
        ),
    )
    return answer(response, accepted)


@router.post(
    "/requests/{request_id}/department-report",
    summary="The department the whistle called reports for duty (报到)",
)
async def department_report(request_id: PathId, act: Act, response: Response) -> CommandAccepted:
    accepted = await lifecycle.department_report(
        act.runner, act.store, act.principal, act.ctx, request_id
    )
    return answer(response, accepted)


@router.post("/requests/{request_id}/cancel", summary="The resident withdraws it")
async def cancel(
    request_id: PathId, body: CancelBody, act: Act, response: Response
) -> CommandAccepted:
    accepted = await act.on(body).act(
        request_id, lambda by: rq.CancelRequest(request_id=request_id, by=by, reason=body.reason)
    )
    return answer(response, accepted)


@router.post("/requests/{request_id}/reject", summary="Reject it as out of scope, with a reason")
async def reject(
    request_id: PathId, body: ReasonBody, act: Act, response: Response
) -> CommandAccepted:
    a = act.on(body)
    accepted = await lifecycle.reject(
        a.runner, a.store, a.principal, a.ctx, request_id, body.reason
    )
    return answer(response, accepted)


@router.post("/requests/{request_id}/merge", summary="Merge this duplicate into another request")
async def merge(
    request_id: PathId, body: MergeBody, act: Act, response: Response
) -> CommandAccepted:
    a = act.on(body)
    accepted = await lifecycle.merge(
        a.runner, a.store, a.principal, a.ctx, request_id, body.into_request_id
    )
    return answer(response, accepted)
