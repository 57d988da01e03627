"""HTTP routes for unit party organisations (机关企事业单位党组织)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, uuid4, uuid5

from fastapi import APIRouter, Response
from grassroots_eventkit.commands import CommandContext
from grassroots_eventkit.http.commands import CommandAccepted, Context, Runner, Store, answer
from grassroots_eventkit.http.security import CurrentPrincipal
from pydantic import BaseModel, ConfigDict

from organisation_service.api.params import PathId
from organisation_service.domain import unit_org
from organisation_service.domain.names import EntityId, OfficialName
from organisation_service.handlers import unit_orgs as handlers

router = APIRouter(tags=["unit party organisations"])


_EXAMPLE_COMMUNITY = "7d3f1c2e-0b1a-4c55-9a57-1f0e4b8f2c11"
_PLEDGE_IDS = uuid5(NAMESPACE_URL, "urn:grassroots:organisation:pledge")

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such unit organisation (or community, or pledge)"}
}
_FORBIDDEN: dict[int | str, dict[str, Any]] = {
    403: {"description": "the token's scope does not cover this unit or community"}
}


# Bodies


class UnitOrgRegistration(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={
            "examples": [{"name": "东安县人民医院党委", "kind": "hospital", "county": "东安县"}]
        },
    )

    name: OfficialName
    kind: unit_org.UnitKind
    county: OfficialName


class UnitOrgNewName(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={"examples": [{"name": "东安县人民医院党总支"}]},
    )

    name: OfficialName


class UnitOrgReport(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={
            "examples": [{"community_id": _EXAMPLE_COMMUNITY, "reported_on": "2026-03-05"}]
        },
    )

    community_id: EntityId
    reported_on: unit_org.ReportDate


class UnitOrgPairing(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={"examples": [{"community_id": _EXAMPLE_COMMUNITY}]},
    )

    community_id: EntityId


class PledgeRequest(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "community_id": _EXAMPLE_COMMUNITY,
                    "year": 2026,
                    "title": "为茶亭社区老旧小区加装路灯",
                }
            ]
        },
    )

    community_id: EntityId
    year: unit_org.PledgeYear
    title: unit_org.PledgeTitle


class PledgeNoteRequest(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={"examples": [{"text": "已完成路灯选址，施工队下周进场。"}]},
    )

    text: unit_org.NoteText


class PledgeCompletion(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={
            "examples": [{"evidence": "新装路灯24盏，9月28日经社区与居民代表验收。"}]
        },
    )

    evidence: unit_org.NoteText


# Answers


class PledgeAccepted(BaseModel):
    """A pledge's answer: the unit organisation, its new version, and the new pledge's id."""

    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "3b8e2f4a-6c1d-4e9b-8a27-5d0c9e1f7a32",
                    "version": 4,
                    "pledge_id": "c5a1d7e3-2f48-4b6a-9e0d-8b3c1f5a2e74",
                }
            ]
        },
    )

    id: str
    version: int
    pledge_id: str


class ReportView(BaseModel):
    model_config = ConfigDict(frozen=True)

    community_id: str
    reported_on: date


class PairingView(BaseModel):
    model_config = ConfigDict(frozen=True)

    community_id: str
    paired_at: datetime


class NoteView(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str
    added_at: datetime
    evidence: bool


class PledgeView(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    community_id: str
    year: int
    title: str
    status: unit_org.PledgeStatus
    notes: list[NoteView]


class UnitOrgView(BaseModel):
    """A unit organisation; staff of a community see only what concerns their communities."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    kind: unit_org.UnitKind
    county: str
    reports: list[ReportView]
    pairings: list[PairingView]
    pledges: list[PledgeView]
    version: int


def _location(unit_org_id: str) -> str:
    return f"/unit-organisations/{unit_org_id}"


def _pledge_id(ctx: CommandContext) -> str:
    # A retried request (same Idempotency-Key) is answered from the first one's record,
    # which holds no pledge id: deriving the id from the key gives the same one again.
    if ctx.idempotency_key:
        return str(uuid5(_PLEDGE_IDS, ctx.idempotency_key))
    return str(uuid4())


# Routes


@router.post(
    "/unit-organisations",
    status_code=201,
    summary="Register a unit party organisation (机关企事业单位党组织) in a county",
    responses={**_FORBIDDEN, 409: {"description": "the name is taken in that county"}},
)
async def register_unit_org(
    body: UnitOrgRegistration,
    principal: CurrentPrincipal,
    ctx: Context,
    runner: Runner,
    response: Response,
) -> CommandAccepted:
    cmd = unit_org.RegisterUnitOrg(unit_org_id=str(uuid4()), **body.model_dump())
    accepted = await handlers.register_unit_org(runner, principal, cmd, ctx.for_request(body))
    return answer(response, accepted, _location(accepted.id))


@router.post(
    "/unit-organisations/{unit_org_id}/rename",
    summary="Rename a unit party organisation",
    responses={**_NOT_FOUND, **_FORBIDDEN, 409: {"description": "the name is taken"}},
)
async def rename_unit_org(
    unit_org_id: PathId,
    body: UnitOrgNewName,
    principal: CurrentPrincipal,
    ctx: Context,
    runner: Runner,
    response: Response,
) -> CommandAccepted:
    cmd = unit_org.RenameUnitOrg(unit_org_id=unit_org_id, name=body.name)
    accepted = await handlers.rename_unit_org(runner, principal, cmd, ctx.for_request(body))
    return answer(response, accepted, _location(accepted.id))


@router.get(
    "/unit-organisations/{unit_org_id}",
    summary="A unit party organisation with its reports, pairings and pledges",
    responses={**_NOT_FOUND, **_FORBIDDEN},
)
async def get_unit_org(
    unit_org_id: PathId, principal: CurrentPrincipal, store: Store
) -> UnitOrgView:
    state, version = await handlers.get_unit_org(store, principal, unit_org_id)
    return UnitOrgView(
        id=state.unit_org_id,
        name=state.name,
        kind=state.kind,
        county=state.county,
        reports=sorted(
            (
                ReportView(community_id=community_id, reported_on=day)
                for community_id, days in state.reports.items()
                for day in days
            ),
            key=lambda r: (r.reported_on, r.community_id),
        ),
        pairings=[
            PairingView(community_id=community_id, paired_at=paired_at)
            for community_id, paired_at in sorted(state.pairings.items())
        ],
        pledges=[
            PledgeView(
                id=p.pledge_id,
                community_id=p.community_id,
                year=p.year,
                title=p.title,
                status=p.status,
                notes=[
                    NoteView(text=n.text, added_at=n.added_at, evidence=n.evidence) for n in p.notes
                ],
            )
            for p in state.pledges.values()
        ],
        version=version,
    )


@router.post(
    "/unit-organisations/{unit_org_id}/reports",
    summary="Record that the unit reported for duty (报到) to a community",
    description=(
        "Once per community and calendar year (the year of `reported_on`); the community "
        "must be in the unit's county; `reported_on` cannot be later than today in China."
    ),
    responses={
        **_NOT_FOUND,
        **_FORBIDDEN,
        409: {"description": "already reported to that community this year"},
    },
)
async def report_to_community(
    unit_org_id: PathId,
    body: UnitOrgReport,
    principal: CurrentPrincipal,
    ctx: Context,
    runner: Runner,
    store: Store,
    response: Response,
) -> CommandAccepted:
    accepted = await handlers.report_to_community(
        runner,
        store,
        principal,
        ctx.for_request(body),
        unit_org_id=unit_org_id,
        community_id=body.community_id,
        reported_on=body.reported_on,
    )
    return answer(response, accepted, _location(accepted.id))


@router.post(
    "/unit-organisations/{unit_org_id}/pairings",
    summary="Pair the unit with a community (结对)",
    description="Once per community; the community must be in the unit's county.",
    responses={**_NOT_FOUND, **_FORBIDDEN, 409: {"description": "already paired"}},
)
async def pair_with_community(
    unit_org_id: PathId,
    body: UnitOrgPairing,
    principal: CurrentPrincipal,
    ctx: Context,
    runner: Runner,
    store: Store,
    response: Response,
) -> CommandAccepted:
    accepted = await handlers.pair_with_community(
        runner,
        store,
        principal,
        ctx.for_request(body),
        unit_org_id=unit_org_id,
        community_id=body.community_id,
    )
    return answer(response, accepted, _location(accepted.id))


@router.post(
    "/unit-organisations/{unit_org_id}/pledges",
    summary="Pledge a practical project (民生实事承诺) to a paired community",
    description=(
        "For this year or next; at most two per community and year. The answer carries "
        "the new pledge's id; a retry with the same Idempotency-Key gets the same id."
    ),
    responses={
        **_NOT_FOUND,
        **_FORBIDDEN,
        409: {"description": "not paired with that community, or two pledges already"},
    },
)
async def make_pledge(
    unit_org_id: PathId,
    body: PledgeRequest,
    principal: CurrentPrincipal,
    ctx: Context,
    runner: Runner,
    response: Response,
) -> PledgeAccepted:
    cmd = unit_org.MakePledge(
        unit_org_id=unit_org_id, pledge_id=_pledge_id(ctx), **body.model_dump()
    )
    accepted = await handlers.make_pledge(runner, principal, cmd, ctx.for_request(body))
    done = answer(response, accepted, _location(accepted.id))
    return PledgeAccepted(id=done.id, version=done.version, pledge_id=cmd.pledge_id)


@router.post(
    "/unit-organisations/{unit_org_id}/pledges/{pledge_id}/start",
    summary="Start work on a pledge: pledged → in progress",
    responses={**_NOT_FOUND, **_FORBIDDEN, 409: {"description": "the pledge is not pledged"}},
)
async def start_pledge(
    unit_org_id: PathId,
    pledge_id: PathId,
    principal: CurrentPrincipal,
    ctx: Context,
    runner: Runner,
    response: Response,
) -> CommandAccepted:
    # No body: the command itself (unit and pledge) is what an Idempotency-Key replays.
    cmd = unit_org.StartPledge(unit_org_id=unit_org_id, pledge_id=pledge_id)
    accepted = await handlers.move_pledge(runner, principal, cmd, ctx)
    return answer(response, accepted, _location(accepted.id))


@router.post(
    "/unit-organisations/{unit_org_id}/pledges/{pledge_id}/notes",
    summary="Add a progress note to a pledge that is not done yet",
    responses={**_NOT_FOUND, **_FORBIDDEN, 409: {"description": "the pledge is done"}},
)
async def add_pledge_note(
    unit_org_id: PathId,
    pledge_id: PathId,
    body: PledgeNoteRequest,
    principal: CurrentPrincipal,
    ctx: Context,
    runner: Runner,
    response: Response,
) -> CommandAccepted:
    cmd = unit_org.AddPledgeNote(unit_org_id=unit_org_id, pledge_id=pledge_id, text=body.text)
    accepted = await handlers.move_pledge(runner, principal, cmd, ctx.for_request(body))
    return answer(response, accepted, _location(accepted.id))


@router.post(
    "/unit-organisations/{unit_org_id}/pledges/{pledge_id}/complete",
    summary="Complete a pledge with evidence: in progress → done",
    description="A done pledge is closed: no more notes, no status change.",
    responses={**_NOT_FOUND, **_FORBIDDEN, 409: {"description": "the pledge is not in progress"}},
)
async def complete_pledge(
    unit_org_id: PathId,
    pledge_id: PathId,
    body: PledgeCompletion,
    principal: CurrentPrincipal,
    ctx: Context,
    runner: Runner,
    response: Response,
) -> CommandAccepted:
    cmd = unit_org.CompletePledge(
        unit_org_id=unit_org_id, pledge_id=pledge_id, evidence=body.evidence
    )
    accepted = await handlers.move_pledge(runner, principal, cmd, ctx.for_request(body))
    return answer(response, accepted, _location(accepted.id))
