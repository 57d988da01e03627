"""HTTP commands on activities: schedule, sign up, check in and out, complete."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Response
from grassroots_contracts.volunteering.events import ActivityKind
from grassroots_eventkit.commands import load_aggregate
from grassroots_eventkit.domain import InvalidValue, NotFound
from grassroots_eventkit.http.commands import CommandAccepted, answer
from grassroots_eventkit.ids import uuid7
from grassroots_eventkit.values import EntityId
from pydantic import AwareDatetime, BaseModel, Field

from volunteering_service.api.deps import DeskDep, PathId, Settings, example_body, keyed
from volunteering_service.domain import activity
from volunteering_service.handlers import commands as handlers
from volunteering_service.handlers.access import require_staff

router = APIRouter(tags=["activities"])
_C = "7d3f1c2e-0b1a-4c55-9a57-1f0e4b8f2c11"
_M = "0193a7c2-0000-7000-8000-00000000e001"


class NewActivity(BaseModel):
    model_config = example_body(
        {
            "community_id": _C,
            "compound_id": None,
            "team_id": None,
            "kind": "free_clinic",
            "title": "社区义诊",
            "starts_at": "2026-05-16T09:00:00+08:00",
            "ends_at": "2026-05-16T12:00:00+08:00",
            "capacity": 20,
        }
    )
    community_id: EntityId
    compound_id: EntityId | None = None
    team_id: EntityId | None = None
    kind: ActivityKind
    title: str = Field(min_length=2, max_length=60)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    capacity: int = Field(ge=1, le=1000)


class MemberRef(BaseModel):
    model_config = example_body({"member_id": _M})
    member_id: EntityId | None = Field(
        default=None, description="staff name the member; a member acts for themselves"
    )


class Arrival(BaseModel):
    model_config = example_body({"code": "482913"})
    member_id: EntityId | None = Field(default=None, description="staff name the member")
    code: str | None = Field(
        default=None, pattern=r"^\d{6}$", description="a member's own check-in: the venue's code"
    )
    at: AwareDatetime | None = Field(
        default=None, description="staff recording a paper sheet: when they came (or left)"
    )


class Completion(BaseModel):
    model_config = example_body({"residents_served": 56})
    residents_served: int = Field(ge=0, le=100_000)


class CodeView(BaseModel):
    code: str
    valid_until: str


@router.post("/activities", status_code=201, summary="Schedule an activity")
async def schedule(body: NewActivity, desk: DeskDep, response: Response) -> CommandAccepted:
    cmd = activity.ScheduleActivity(activity_id=str(uuid7()), county="-", **body.model_dump())
    accepted = await handlers.schedule(keyed(desk, body), cmd)
    return answer(response, accepted, f"/activities/{accepted.id}")


@router.post(
    "/activities/{activity_id}/signups",
    summary="Sign up (confirmed while places last, else waitlisted)",
)
async def sign_up(
    activity_id: PathId, body: MemberRef, desk: DeskDep, response: Response
) -> CommandAccepted:
    accepted = await handlers.activity_member(
        keyed(desk, body),
        activity_id,
        body.member_id,
        lambda who, by_staff: activity.SignUp(
            activity_id=activity_id, member_id=who, recorded_by_staff=by_staff
        ),
    )
    return answer(response, accepted)


@router.post(
    "/activities/{activity_id}/signups/cancel",
    summary="Withdraw a sign-up; the first on the waitlist moves up",
)
async def cancel(
    activity_id: PathId, body: MemberRef, desk: DeskDep, response: Response
) -> CommandAccepted:
    accepted = await handlers.activity_member(
        keyed(desk, body),
        activity_id,
        body.member_id,
        lambda who, _: activity.CancelSignUp(activity_id=activity_id, member_id=who),
    )
    return answer(response, accepted)


@router.post("/activities/{activity_id}/code", summary="Show a check-in code at the venue")
async def issue_code(
    activity_id: PathId, desk: DeskDep, settings: Settings, response: Response
) -> CodeView:
    code = f"{secrets.randbelow(1_000_000):06d}"
    cmd = activity.IssueCheckInCode(
        activity_id=activity_id, code=code, valid_for=settings.check_in_code_valid_for
    )
    await handlers.activity_staff(desk, activity_id, cmd)
    _, found = await load_aggregate(desk.store, activity.DECIDER, activity_id)
    return CodeView(code=code, valid_until=found.code_valid_until.isoformat())


@router.post(
    "/activities/{activity_id}/check-in",
    summary="Check in: a member with the venue's code, or staff for a member",
)
async def check_in(
    activity_id: PathId, body: Arrival, desk: DeskDep, response: Response
) -> CommandAccepted:
    accepted = await handlers.activity_member(
        keyed(desk, body),
        activity_id,
        body.member_id,
        lambda who, by_staff: activity.CheckIn(
            activity_id=activity_id,
            member_id=who,
            code=None if by_staff else _code_required(body.code),
            at=body.at if by_staff else None,
        ),
    )
    return answer(response, accepted)


def _code_required(code: str | None) -> str:
    if code is None:
        raise InvalidValue("code_required", "check yourself in with the venue's code", field="code")
    return code


@router.post("/activities/{activity_id}/check-out", summary="Check out")
async def check_out(
    activity_id: PathId, body: Arrival, desk: DeskDep, response: Response
) -> CommandAccepted:
    accepted = await handlers.activity_member(
        keyed(desk, body),
        activity_id,
        body.member_id,
        lambda who, by_staff: activity.CheckOut(
            activity_id=activity_id, member_id=who, at=body.at if by_staff else None
        ),
    )
    return answer(response, accepted)


@router.post(
    "/activities/{activity_id}/complete",
    summary="Complete it with the residents served; certifies each attendee's hours",
)
async def complete(
    activity_id: PathId, body: Completion, desk: DeskDep, response: Response
) -> CommandAccepted:
    cmd = activity.CompleteActivity(activity_id=activity_id, residents_served=body.residents_served)
    accepted = await handlers.activity_staff(keyed(desk, body), activity_id, cmd)
    return answer(response, accepted)


class ActivityView(BaseModel):
    id: str
    community_id: str
    team_id: str | None
    starts_at: str
    ends_at: str
    capacity: int
    confirmed: list[str]
    waitlist: list[str]
    checked_in: dict[str, str]
    checked_out: dict[str, str]
    completed: bool
    version: int


@router.get("/activities/{activity_id}", summary="An activity: sign-ups, waitlist, attendance")
async def get_activity(activity_id: PathId, desk: DeskDep) -> ActivityView:
    version, found = await load_aggregate(desk.store, activity.DECIDER, activity_id)
    if found is None:
        raise NotFound("activity_not_found", f"no activity {activity_id}")
    if not desk.principal.has_role("member"):
        require_staff(desk.principal, found.community_id, found.county)
    return ActivityView(
        id=found.activity_id,
        community_id=found.community_id,
        team_id=found.team_id,
        starts_at=found.starts_at.isoformat(),
        ends_at=found.ends_at.isoformat(),
        capacity=found.capacity,
        confirmed=list(found.confirmed),
        waitlist=list(found.waitlist),
        checked_in={k: v.isoformat() for k, v in found.checked_in.items()},
        checked_out={k: v.isoformat() for k, v in found.checked_out.items()},
        completed=found.completed,
        version=version,
    )
