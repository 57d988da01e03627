"""HTTP routes for the grid: compounds (小区), areas (片区), buildings (楼栋), households (家庭),
and the community's linked leader, workers and party committee secretary."""

from __future__ import annotations

from fastapi import APIRouter, Response
from grassroots_eventkit.commands import load_aggregate
from grassroots_eventkit.domain import NotFound
from grassroots_eventkit.http.commands import CommandAccepted, Context, Runner, Store, answer
from grassroots_eventkit.http.security import CurrentPrincipal
from grassroots_eventkit.ids import uuid7
from pydantic import BaseModel, Field

from organisation_service.api.params import PathId, example_body
from organisation_service.domain import building, community, compound
from organisation_service.domain.names import EntityId, OfficialName, PersonName, ShortName
from organisation_service.handlers import grid as handlers

router = APIRouter(tags=["grid"])


class NewCompound(BaseModel):
    model_config = example_body({"name": "雍景园小区"})
    name: OfficialName


class NewName(BaseModel):
    model_config = example_body({"name": "雍景新园"})
    name: OfficialName


class NewArea(BaseModel):
    model_config = example_body({"name": "东片区"})
    name: OfficialName


class KeyLeader(BaseModel):
    model_config = example_body({"leader_id": "leader-0001", "name": "李明", "title": "副县长"})
    leader_id: EntityId
    name: PersonName
    title: OfficialName


class NewBuilding(BaseModel):
    model_config = example_body({"name": "3栋", "units": 2, "area_id": None})
    name: ShortName
    units: int = Field(ge=1, le=building.MAX_UNITS)
    area_id: EntityId | None = None


class BuildingNewName(BaseModel):
    model_config = example_body({"name": "3号楼"})
    name: ShortName


class Move(BaseModel):
    model_config = example_body({"area_id": "0193a7c2-0000-7000-8000-00000000a001"})
    area_id: EntityId


class NewHouseholdPosition(BaseModel):
    model_config = example_body({"unit": 1, "room": "302"})
    unit: int = Field(ge=1, le=building.MAX_UNITS)
    room: ShortName


class NewHouseholds(BaseModel):
    model_config = example_body(
        {"households": [{"unit": 1, "room": "101"}, {"unit": 1, "room": "102"}]}
    )
    households: list[NewHouseholdPosition] = Field(
        min_length=1, max_length=building.MAX_HOUSEHOLDS_PER_COMMAND
    )


class AreaAccepted(CommandAccepted):
    area_id: str


class HouseholdsAccepted(CommandAccepted):
    household_ids: list[str] = Field(description="in the order the households were sent")


class MemberRef(BaseModel):
    model_config = example_body({"member_id": "0193a7c2-0000-7000-8000-00000000e001"})
    member_id: EntityId


class CountyLeader(BaseModel):
    model_config = example_body(
        {"leader_id": "leader-0002", "name": "王强", "title": "县委常委、组织部部长"}
    )
    leader_id: EntityId
    name: PersonName
    title: OfficialName


class Worker(BaseModel):
    model_config = example_body(
        {
            "worker_id": "worker-0001",
            "name": "赵敏",
            "role": "grid_worker",
            "grid_unit_ids": ["0193a7c2-0000-7000-8000-00000000c001"],
        }
    )
    worker_id: EntityId
    name: PersonName
    role: community.WorkerRole
    grid_unit_ids: list[EntityId] = Field(min_length=1, max_length=50)


@router.post(
    "/communities/{community_id}/compounds",
    status_code=201,
    summary="Register a residential compound (小区)",
)
async def register_compound(
    community_id: PathId,
    body: NewCompound,
    principal: CurrentPrincipal,
    ctx: Context,
    runner: Runner,
    store: Store,
    response: Response,
) -> CommandAccepted:
    accepted = await handlers.register_compound(
        runner,
        store,
        principal,
        ctx.for_request(body),
        compound_id=str(uuid7()),
        community_id=community_id,
        name=body.name,
    )
    return answer(response, accepted, f"/compounds/{accepted.id}")


@router.post("/compounds/{compound_id}/rename", summary="Rename a compound")
async def rename_compound(
    compound_id: PathId,
    body: NewName,
    principal: CurrentPrincipal,
    ctx: Context,
    runner: Runner,
    response: Response,
) -> CommandAccepted:
    cmd = compound.RenameCompound(compound_id=compound_id, name=body.name)
    return answer(
        response, await handlers.change_compound(runner, principal, ctx.for_request(body), cmd)
    )


@router.post(
    "/compounds/{compound_id}/areas",
    status_code=201,
    summary="Add an area (片区/楼群) to a compound",
    description="The answer's `id` is the compound; `area_id` names the new area.",
)
async def add_area(
    compound_id: PathId,
    body: NewArea,
    principal: CurrentPrincipal,
    ctx: Context,
    runner: Runner,
    store: Store,
    response: Response,
) -> AreaAccepted:
    area_id = str(uuid7())
    cmd = compound.AddArea(compound_id=compound_id, area_id=area_id, name=body.name)
    accepted = await handlers.change_compound(runner, principal, ctx.for_request(body), cmd)
    base = answer(response, accepted)
    if accepted.replayed:
        # The first answer's area: found by its name, unique within the compound.
        _v, state = await load_aggregate(store, compound.DECIDER, compound_id)
        area_id = state.area_named(body.name) or area_id
    else:
        response.status_code = 201
    return AreaAccepted(**base.model_dump(), area_id=area_id)


@router.post(
    "/compounds/{compound_id}/key-leader",
    summary="A county-level leader takes charge of this compound (包小区)",
)
async def assign_key_leader(
    compound_id: PathId,
    body: KeyLeader,
    principal: CurrentPrincipal,
    ctx: Context,
    runner: Runner,
    response: Response,
) -> CommandAccepted:
    principal.require_role("county_admin")
    cmd = compound.AssignKeyCompoundLeader(compound_id=compound_id, **body.model_dump())
    return answer(
        response, await handlers.change_compound(runner, principal, ctx.for_request(body), cmd)
    )


@router.post(
    "/compounds/{compound_id}/buildings",
    status_code=201,
    summary="Register a building (楼栋) in a compound, optionally in one of its areas",
)
async def register_building(
    compound_id: PathId,
    body: NewBuilding,
    principal: CurrentPrincipal,
    ctx: Context,
    runner: Runner,
    store: Store,
    response: Response,
) -> CommandAccepted:
    accepted = await handlers.register_building(
        runner,
        store,
        principal,
        ctx.for_request(body),
        building_id=str(uuid7()),
        compound_id=compound_id,
        area_id=body.area_id,
        name=body.name,
        units=body.units,
    )
    return answer(response, accepted, f"/buildings/{accepted.id}")


@router.post("/buildings/{building_id}/rename", summary="Rename (renumber) a building")
async def rename_building(
    building_id: PathId,
    body: BuildingNewName,
    principal: CurrentPrincipal,
    ctx: Context,
    runner: Runner,
    response: Response,
) -> CommandAccepted:
    cmd = building.RenameBuilding(building_id=building_id, name=body.name)
    return answer(
        response, await handlers.change_building(runner, principal, ctx.for_request(body), cmd)
    )


@router.post(
    "/buildings/{building_id}/move", summary="Move a building to another area of its compound"
)
async def move_building(
    building_id: PathId,
    body: Move,
    principal: CurrentPrincipal,
    ctx: Context,
    runner: Runner,
    store: Store,
    response: Response,
) -> CommandAccepted:
    cmd = building.MoveBuilding(building_id=building_id, area_id=body.area_id)
    accepted = await handlers.move_building(runner, store, principal, ctx.for_request(body), cmd)
    return answer(response, accepted)


@router.post(
    "/buildings/{building_id}/retire", summary="Retire a building; refused while it has households"
)
async def retire_building(
    building_id: PathId,
    principal: CurrentPrincipal,
    ctx: Context,
    runner: Runner,
    response: Response,
) -> CommandAccepted:
    cmd = building.RetireBuilding(building_id=building_id)
    return answer(response, await handlers.change_building(runner, principal, ctx, cmd))


@router.post(
    "/buildings/{building_id}/households",
    status_code=201,
    summary="Add households (家庭) at their unit and door number; up to 500 at once",
)
async def add_households(
    building_id: PathId,
    body: NewHouseholds,
    principal: CurrentPrincipal,
    ctx: Context,
    runner: Runner,
    store: Store,
    response: Response,
) -> HouseholdsAccepted:
    ids = [str(uuid7()) for _ in body.households]
    cmd = building.AddHouseholds(
        building_id=building_id,
        households=tuple(
            building.NewHousehold(household_id=i, unit=h.unit, room=h.room)
            for i, h in zip(ids, body.households, strict=True)
        ),
    )
    accepted = await handlers.change_building(runner, principal, ctx.for_request(body), cmd)
    base = answer(response, accepted)
    if accepted.replayed:
        # The first answer's households: found by their addresses, unique in the building.
        _v, state = await load_aggregate(store, building.DECIDER, building_id)
        at = {(h.unit, h.room): i for i, h in state.households.items()}
        ids = [at.get((h.unit, h.room), "") for h in body.households]
    else:
        response.status_code = 201
    return HouseholdsAccepted(**base.model_dump(), household_ids=ids)


@router.post(
    "/buildings/{building_id}/households/{household_id}/retire",
    summary="A household leaves its position",
)
async def retire_household(
    building_id: PathId,
    household_id: PathId,
    principal: CurrentPrincipal,
    ctx: Context,
    runner: Runner,
    response: Response,
) -> CommandAccepted:
    cmd = building.RetireHousehold(building_id=building_id, household_id=household_id)
    return answer(response, await handlers.change_building(runner, principal, ctx, cmd))


@router.post(
    "/buildings/{building_id}/households/{household_id}/member",
    summary="Make a party member responsible for a household (党员联系户)",
)
async def assign_household_member(
    building_id: PathId,
    household_id: PathId,
    body: MemberRef,
    principal: CurrentPrincipal,
    ctx: Context,
    runner: Runner,
    store: Store,
    response: Response,
) -> CommandAccepted:
    cmd = building.AssignHouseholdMember(
        building_id=building_id, household_id=household_id, member_id=body.member_id
    )
    accepted = await handlers.assign_member(runner, store, principal, ctx.for_request(body), cmd)
    return answer(response, accepted)


class Assignments(BaseModel):
    model_config = example_body(
        {
            "assignments": [
                {
                    "household_id": "0193a7c2-0000-7000-8000-00000000d001",
                    "member_id": "0193a7c2-0000-7000-8000-00000000e001",
                }
            ]
        }
    )
    assignments: list[building.Assignment] = Field(
        min_length=1, max_length=building.MAX_HOUSEHOLDS_PER_COMMAND
    )


@router.post(
    "/buildings/{building_id}/households/members",
    summary="Make members responsible for many of the building's households at once",
)
async def assign_household_members(
    building_id: PathId,
    body: Assignments,
    principal: CurrentPrincipal,
    ctx: Context,
    runner: Runner,
    store: Store,
    response: Response,
) -> CommandAccepted:
    cmd = building.AssignHouseholdMembers(
        building_id=building_id, assignments=tuple(body.assignments)
    )
    accepted = await handlers.assign_members(runner, store, principal, ctx.for_request(body), cmd)
    return answer(response, accepted)


@router.post("/buildings/{building_id}/head", summary="Appoint the building head (楼栋长)")
async def appoint_building_head(
    building_id: PathId,
    body: MemberRef,
    principal: CurrentPrincipal,
    ctx: Context,
    runner: Runner,
    store: Store,
    response: Response,
) -> CommandAccepted:
    cmd = building.AppointBuildingHead(building_id=building_id, member_id=body.member_id)
    accepted = await handlers.assign_member(runner, store, principal, ctx.for_request(body), cmd)
    return answer(response, accepted)


@router.post(
    "/communities/{community_id}/county-leader",
    summary="Link a county standing-committee member to the community (县委常委联系社区)",
)
async def link_county_leader(
    community_id: PathId,
    body: CountyLeader,
    principal: CurrentPrincipal,
    ctx: Context,
    runner: Runner,
    store: Store,
    response: Response,
) -> CommandAccepted:
    cmd = community.LinkCountyLeader(community_id=community_id, **body.model_dump())
    accepted = await handlers.change_community(runner, store, principal, ctx.for_request(body), cmd)
    return answer(response, accepted)


@router.post(
    "/communities/{community_id}/workers",
    summary="Assign a grid worker (网格员) or community worker to compounds",
)
async def assign_worker(
    community_id: PathId,
    body: Worker,
    principal: CurrentPrincipal,
    ctx: Context,
    runner: Runner,
    store: Store,
    response: Response,
) -> CommandAccepted:
    cmd = community.AssignCommunityWorker(
        community_id=community_id,
        worker_id=body.worker_id,
        name=body.name,
        role=body.role,
        grid_unit_ids=tuple(body.grid_unit_ids),
    )
    accepted = await handlers.change_community(runner, store, principal, ctx.for_request(body), cmd)
    return answer(response, accepted)


@router.post(
    "/communities/{community_id}/committee-secretary",
    summary="Appoint the community party committee's secretary (社区党委书记)",
)
async def appoint_committee_secretary(
    community_id: PathId,
    body: MemberRef,
    principal: CurrentPrincipal,
    ctx: Context,
    runner: Runner,
    store: Store,
    response: Response,
) -> CommandAccepted:
    cmd = community.AppointCommitteeSecretary(community_id=community_id, member_id=body.member_id)
    accepted = await handlers.change_community(runner, store, principal, ctx.for_request(body), cmd)
    return answer(response, accepted)


# Queries


class AreaView(BaseModel):
    id: str
    name: str


class CompoundView(BaseModel):
    id: str
    community_id: str
    name: str
    areas: list[AreaView]
    key_leader: str | None
    version: int


class HouseholdView(BaseModel):
    id: str
    unit: int
    room: str
    member_id: str | None


class BuildingView(BaseModel):
    id: str
    community_id: str
    compound_id: str
    area_id: str | None
    name: str
    units: int
    head_member_id: str | None
    retired: bool
    households: list[HouseholdView]
    version: int


@router.get("/compounds/{compound_id}", summary="A compound and its areas")
async def get_compound(
    compound_id: PathId, principal: CurrentPrincipal, store: Store
) -> CompoundView:
    version, state = await load_aggregate(store, compound.DECIDER, compound_id)
    if state is None:
        raise NotFound("compound_not_found", f"no compound {compound_id}")
    principal.require_access(state.community_id, state.county)
    return CompoundView(
        id=state.compound_id,
        community_id=state.community_id,
        name=state.name,
        areas=[AreaView(id=a, name=n) for a, n in state.areas.items()],
        key_leader=state.key_leader.title if state.key_leader else None,
        version=version,
    )


@router.get("/buildings/{building_id}", summary="A building with its households")
async def get_building(
    building_id: PathId, principal: CurrentPrincipal, store: Store
) -> BuildingView:
    version, state = await load_aggregate(store, building.DECIDER, building_id)
    if state is None:
        raise NotFound("building_not_found", f"no building {building_id}")
    principal.require_access(state.community_id, state.county)
    return BuildingView(
        id=state.building_id,
        community_id=state.community_id,
        compound_id=state.compound_id,
        area_id=state.area_id,
        name=state.name,
        units=state.units,
        head_member_id=state.head_member_id,
        retired=state.retired,
        households=[
            HouseholdView(id=i, unit=h.unit, room=h.room, member_id=h.member_id)
            for i, h in sorted(state.households.items(), key=lambda kv: (kv[1].unit, kv[1].room))
        ],
        version=version,
    )
