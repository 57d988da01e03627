"""HTTP routes for party members (党员) and their double report (双报到)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Response
from grassroots_eventkit.commands import Accepted
from grassroots_eventkit.http import bulk
from grassroots_eventkit.http.commands import CommandAccepted, Context, Runner, Store, answer
from grassroots_eventkit.http.security import CurrentPrincipal
from grassroots_eventkit.ids import uuid7
from pydantic import BaseModel, ConfigDict, Field

from organisation_service.api.params import PathId
from organisation_service.domain import member
from organisation_service.domain.names import EntityId, OfficialName, PersonName, Phone
from organisation_service.handlers import members as handlers

router = APIRouter(tags=["members"])

_C = "7d3f1c2e-0b1a-4c55-9a57-1f0e4b8f2c11"
_RESIDENCE = {
    "community_id": _C,
    "building_id": "0193a7c2-0000-7000-8000-00000000b001",
    "household_id": "0193a7c2-0000-7000-8000-00000000d001",
}
Tag = Annotated[str, Field(min_length=1, max_length=30)]


class MemberRegistration(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "张伟",
                    "phone": "13907460001",
                    "residence": _RESIDENCE,
                    "kind": "in_service",
                    "work_unit": "东安县供销联社",
                    "unit_org_id": None,
                    "contact_community_id": "7d3f1c2e-0b1a-4c55-9a57-1f0e4b8f2c12",
                    "skills": ["电工"],
                    "wishes": ["关爱空巢老人"],
                }
            ]
        },
    )

    name: PersonName
    phone: Phone
    residence: member.Residence
    kind: member.MemberKind
    work_unit: OfficialName | None = None
    unit_org_id: EntityId | None = None
    contact_community_id: EntityId | None = None
    skills: list[Tag] = Field(default=[], max_length=20)
    wishes: list[Tag] = Field(default=[], max_length=20)


class Transfer(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", json_schema_extra={"examples": [{"residence": _RESIDENCE}]}
    )
    residence: member.Residence


class Contact(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", json_schema_extra={"examples": [{"community_id": _C}]}
    )
    community_id: EntityId


class Report(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={
            "examples": [{"community_id": _C, "role": "residence", "reported_on": "2026-03-02"}]
        },
    )
    community_id: EntityId
    role: member.ReportRole
    reported_on: date


class MemberView(BaseModel):
    """Personal data: shown to the member's communities' staff and the member only."""

    id: str
    name: str
    phone: str
    residence: member.Residence
    kind: member.MemberKind
    work_unit: str | None
    unit_org_id: str | None
    contact_community_id: str | None
    skills: list[str]
    wishes: list[str]
    reports: list[dict[str, object]]


@router.post("/members", status_code=201, summary="Register a party member (党员)")
async def register_member(
    body: MemberRegistration,
    principal: CurrentPrincipal,
    ctx: Context,
    runner: Runner,
    store: Store,
    response: Response,
) -> CommandAccepted:
    cmd = _registration(body)
    accepted = await handlers.register_member(runner, store, principal, ctx.for_request(body), cmd)
    return answer(response, accepted, f"/members/{accepted.id}")


def _registration(body: MemberRegistration) -> member.RegisterMember:
    return member.RegisterMember(
        member_id=str(uuid7()),
        county="(from the residence community)",
        **body.model_dump(exclude={"skills", "wishes", "residence"}),
        residence=body.residence,
        skills=tuple(body.skills),
        wishes=tuple(body.wishes),
    )


@router.post("/members/{member_id}/transfer-residence", summary="The member moved home")
async def transfer_residence(
    member_id: PathId,
    body: Transfer,
    principal: CurrentPrincipal,
    ctx: Context,
    runner: Runner,
    store: Store,
    response: Response,
) -> CommandAccepted:
    cmd = member.TransferResidence(member_id=member_id, residence=body.residence)
    return answer(
        response, await handlers.change_member(runner, store, principal, ctx.for_request(body), cmd)
    )


@router.post(
    "/members/{member_id}/contact-community",
    summary="Set an in-service member's contact community (联系社区)",
)
async def set_contact_community(
    member_id: PathId,
    body: Contact,
    principal: CurrentPrincipal,
    ctx: Context,
    runner: Runner,
    store: Store,
    response: Response,
) -> CommandAccepted:
    cmd = member.SetContactCommunity(member_id=member_id, community_id=body.community_id)
    return answer(
        response, await handlers.change_member(runner, store, principal, ctx.for_request(body), cmd)
    )


@router.post(
    "/members/{member_id}/reports",
    summary="The member reports for duty (报到) to their residence or contact community",
    responses={409: {"description": "already reported to that community this year"}},
)
async def report(
    member_id: PathId,
    body: Report,
    principal: CurrentPrincipal,
    ctx: Context,
    runner: Runner,
    store: Store,
    response: Response,
) -> CommandAccepted:
    cmd = member.ReportToCommunity(member_id=member_id, **body.model_dump())
    return answer(
        response, await handlers.change_member(runner, store, principal, ctx.for_request(body), cmd)
    )


@router.get("/members/{member_id}", summary="A member's record (personal data)")
async def get_member(member_id: PathId, principal: CurrentPrincipal, store: Store) -> MemberView:
    m = await handlers.get_member(store, principal, member_id)
    return MemberView(
        id=m.member_id,
        name=m.name,
        phone=m.phone,
        residence=m.residence,
        kind=m.kind,
        work_unit=m.work_unit,
        unit_org_id=m.unit_org_id,
        contact_community_id=m.contact_community_id,
        skills=list(m.skills),
        wishes=list(m.wishes),
        reports=[{"community_id": c, "period": p} for c, p in sorted(m.reports)],
    )


class Roster(BaseModel):
    """A community's roster import: many registrations, each accepted or refused alone."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    members: list[MemberRegistration] = Field(min_length=1, max_length=bulk.MAX_ITEMS)


class SheetLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    member_id: EntityId
    role: member.ReportRole
    reported_on: date


class ReportSheet(BaseModel):
    """A reporting day's sign-in sheet (报到签到表) for one community."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "reports": [
                        {
                            "member_id": "0193a7c2-0000-7000-8000-00000000e001",
                            "role": "residence",
                            "reported_on": "2026-03-02",
                        }
                    ]
                }
            ]
        },
    )
    reports: list[SheetLine] = Field(min_length=1, max_length=bulk.MAX_ITEMS)


@router.post(
    "/members/bulk",
    summary="Register many members at once (a roster import); each accepted or refused alone",
)
async def register_members(
    body: Roster, principal: CurrentPrincipal, ctx: Context, runner: Runner, store: Store
) -> bulk.BulkAccepted:
    async def one(index: int, item: MemberRegistration) -> Accepted:
        cmd = _registration(item)
        return await handlers.register_member(
            runner, store, principal, bulk.item_context(ctx, index, item), cmd
        )

    return await bulk.run_each(body.members, one, field_prefix="members")


@router.post(
    "/communities/{community_id}/report-sheet",
    summary="Record a reporting day's sign-in sheet (报到): many members' reports at once",
)
async def record_report_sheet(
    community_id: PathId,
    body: ReportSheet,
    principal: CurrentPrincipal,
    ctx: Context,
    runner: Runner,
    store: Store,
) -> bulk.BulkAccepted:
    async def one(index: int, line: SheetLine) -> Accepted:
        cmd = member.ReportToCommunity(community_id=community_id, **line.model_dump())
        return await handlers.change_member(
            runner, store, principal, bulk.item_context(ctx, index, line), cmd
        )

    return await bulk.run_each(body.reports, one, field_prefix="reports")
