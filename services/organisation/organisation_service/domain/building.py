"""The building (楼栋) aggregate: its units (单元), households (家庭), and who answers for them.

Households live inside their building's stream: "no two households at one address"
and "no retiring a building that still has households" are then plain checks on
one aggregate's state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType

from grassroots_eventkit.domain import (
    Command,
    CommandRejected,
    Decider,
    DomainEvent,
    EventTypes,
    IdFactory,
    InvalidValue,
    NotFound,
)
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from organisation_service.domain.names import EntityId, ShortName

STREAM_TYPE = "building"
MAX_UNITS = 30
MAX_HOUSEHOLDS_PER_COMMAND = 500


class NewHousehold(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    household_id: EntityId
    unit: int = Field(ge=1, le=MAX_UNITS)
    room: ShortName


class RegisterBuilding(Command):
    building_id: EntityId
    community_id: EntityId
    county: str
    compound_id: EntityId
    area_id: EntityId | None = None
    name: ShortName
    units: int = Field(ge=1, le=MAX_UNITS)


class RenameBuilding(Command):
    building_id: EntityId
    name: ShortName


class MoveBuilding(Command):
    """The handler has checked that the area belongs to the building's compound."""

    building_id: EntityId
    area_id: EntityId


class RetireBuilding(Command):
    building_id: EntityId


class AddHouseholds(Command):
    building_id: EntityId
    households: tuple[NewHousehold, ...] = Field(
        min_length=1, max_length=MAX_HOUSEHOLDS_PER_COMMAND
    )


class RetireHousehold(Command):
    building_id: EntityId
    household_id: EntityId


class AssignHouseholdMember(Command):
    """The handler has checked that the member exists."""

    building_id: EntityId
    household_id: EntityId
    member_id: EntityId


class Assignment(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    household_id: EntityId
    member_id: EntityId


class AssignHouseholdMembers(Command):
    """Many households' responsible members at once; the handler has checked the members."""

    building_id: EntityId
    assignments: tuple[Assignment, ...] = Field(min_length=1, max_length=MAX_HOUSEHOLDS_PER_COMMAND)


class AppointBuildingHead(Command):
    building_id: EntityId
    member_id: EntityId


BuildingCommand = (
    RegisterBuilding
    | RenameBuilding
    | MoveBuilding
    | RetireBuilding
    | AddHouseholds
    | RetireHousehold
    | AssignHouseholdMember
    | AssignHouseholdMembers
    | AppointBuildingHead
)


class BuildingRegistered(DomainEvent):
    event_name = "BuildingRegistered"

    building_id: str
    community_id: str
    county: str
    compound_id: str
    area_id: str | None
    name: str
    units: int
    registered_at: AwareDatetime


class BuildingRenamed(DomainEvent):
    event_name = "BuildingRenamed"

    building_id: str
    name: str
    previous_name: str


class BuildingMoved(DomainEvent):
    event_name = "BuildingMoved"

    building_id: str
    from_area_id: str | None
    to_area_id: str


class BuildingRetired(DomainEvent):
    event_name = "BuildingRetired"

    building_id: str
    retired_at: AwareDatetime


class HouseholdsAdded(DomainEvent):
    event_name = "HouseholdsAdded"

    building_id: str
    households: tuple[NewHousehold, ...]


class HouseholdRetired(DomainEvent):
    event_name = "HouseholdRetired"

    building_id: str
    household_id: str


class HouseholdMemberAssigned(DomainEvent):
    event_name = "HouseholdMemberAssigned"

    building_id: str
    household_id: str
    member_id: str
    previous_member_id: str | None


class BuildingHeadAppointed(DomainEvent):
    event_name = "BuildingHeadAppointed"

    building_id: str
    member_id: str
    previous_member_id: str | None


BuildingEvent = (
    BuildingRegistered
    | BuildingRenamed
    | BuildingMoved
    | BuildingRetired
    | HouseholdsAdded
    | HouseholdRetired
    | HouseholdMemberAssigned
    | BuildingHeadAppointed
)


@dataclass(frozen=True, slots=True)
class Household:
    unit: int
    room: str
    member_id: str | None = None


@dataclass(frozen=True, slots=True)
class Building:
    building_id: str
    community_id: str
    county: str
    compound_id: str
    area_id: str | None
    name: str
    units: int
    households: Mapping[str, Household] = field(default_factory=lambda: MappingProxyType({}))
    head_member_id: str | None = None
    retired: bool = False

    def address_taken(self, unit: int, room: str) -> bool:
        return any(h.unit == unit and h.room == room for h in self.households.values())


def decide(
    state: Building | None, command: BuildingCommand, *, now: datetime, new_id: IdFactory
) -> list[BuildingEvent]:
    if isinstance(command, RegisterBuilding):
        if state is not None:
            raise CommandRejected(
                "building_already_registered", f"building {command.building_id} exists"
            )
        return [
            BuildingRegistered(
                building_id=command.building_id,
                community_id=command.community_id,
                county=command.county,
                compound_id=command.compound_id,
                area_id=command.area_id,
                name=command.name,
                units=command.units,
                registered_at=now,
            )
        ]
    if state is None:
        raise NotFound("building_not_found", f"no building {command.building_id}")
    if state.retired:
        raise CommandRejected("building_retired", f"building {state.name} is retired")
    match command:
        case RenameBuilding():
            if command.name == state.name:
                return []
            return [
                BuildingRenamed(
                    building_id=state.building_id, name=command.name, previous_name=state.name
                )
            ]
        case MoveBuilding():
            if command.area_id == state.area_id:
                return []
            return [
                BuildingMoved(
                    building_id=state.building_id,
                    from_area_id=state.area_id,
                    to_area_id=command.area_id,
                )
            ]
        case RetireBuilding():
            if state.households:
                raise CommandRejected(
                    "building_has_households",
                    f"building {state.name} still has {len(state.households)} households;"
                    " retire or move them first",
                )
            return [BuildingRetired(building_id=state.building_id, retired_at=now)]
        case AddHouseholds():
            return _add_households(state, command)
        case RetireHousehold():
            _household(state, command.household_id)
            return [
                HouseholdRetired(building_id=state.building_id, household_id=command.household_id)
            ]
        case AssignHouseholdMember():
            household = _household(state, command.household_id)
            if household.member_id == command.member_id:
                return []
            return [
                HouseholdMemberAssigned(
                    building_id=state.building_id,
                    household_id=command.household_id,
                    member_id=command.member_id,
                    previous_member_id=household.member_id,
                )
            ]
        case AssignHouseholdMembers():
            return _assign_many(state, command)
        case AppointBuildingHead():
            if state.head_member_id == command.member_id:
                return []
            return [
                BuildingHeadAppointed(
                    building_id=state.building_id,
                    member_id=command.member_id,
                    previous_member_id=state.head_member_id,
                )
            ]
    raise AssertionError(f"unhandled command {command!r}")


def _add_households(state: Building, command: AddHouseholds) -> list[BuildingEvent]:
    fresh: list[NewHousehold] = []
    seen: set[tuple[int, str]] = set()
    for index, household in enumerate(command.households):
        if household.household_id in state.households:
            continue  # already added by an earlier delivery of the same command
        where = f"households.{index}"
        if household.unit > state.units:
            raise InvalidValue(
                "unit_out_of_range",
                f"building {state.name} has {state.units} units, not {household.unit}",
                field=f"{where}.unit",
            )
        address = (household.unit, household.room)
        if address in seen or state.address_taken(*address):
            raise CommandRejected(
                "household_address_taken",
                f"unit {household.unit} room {household.room} of {state.name}"
                " already has a household",
                field=f"{where}.room",
            )
        seen.add(address)
        fresh.append(household)
    if not fresh:
        return []
    return [HouseholdsAdded(building_id=state.building_id, households=tuple(fresh))]


def _assign_many(state: Building, command: AssignHouseholdMembers) -> list[BuildingEvent]:
    events: list[BuildingEvent] = []
    current = {h: household.member_id for h, household in state.households.items()}
    for index, assignment in enumerate(command.assignments):
        if assignment.household_id not in current:
            raise NotFound(
                "household_not_found",
                f"no household {assignment.household_id} in building {state.name}",
                field=f"assignments.{index}.household_id",
            )
        previous = current[assignment.household_id]
        if previous == assignment.member_id:
            continue
        current[assignment.household_id] = assignment.member_id
        events.append(
            HouseholdMemberAssigned(
                building_id=state.building_id,
                household_id=assignment.household_id,
                member_id=assignment.member_id,
                previous_member_id=previous,
            )
        )
    return events


def _household(state: Building, household_id: str) -> Household:
    household = state.households.get(household_id)
    if household is None:
        raise NotFound(
            "household_not_found",
            f"no household {household_id} in building {state.name}",
            field="household_id",
        )
    return household


def evolve(state: Building | None, event: BuildingEvent) -> Building | None:
    if isinstance(event, BuildingRegistered):
        return Building(
            event.building_id,
            event.community_id,
            event.county,
            event.compound_id,
            event.area_id,
            event.name,
            event.units,
        )
    assert state is not None
    match event:
        case BuildingRenamed():
            return replace(state, name=event.name)
        case BuildingMoved():
            return replace(state, area_id=event.to_area_id)
        case BuildingRetired():
            return replace(state, retired=True)
        case HouseholdsAdded():
            added = {h.household_id: Household(h.unit, h.room) for h in event.households}
            return replace(state, households=MappingProxyType({**state.households, **added}))
        case HouseholdRetired():
            rest = {k: v for k, v in state.households.items() if k != event.household_id}
            return replace(state, households=MappingProxyType(rest))
        case HouseholdMemberAssigned():
            household = replace(state.households[event.household_id], member_id=event.member_id)
            return replace(
                state,
                households=MappingProxyType({**state.households, event.household_id: household}),
            )
        case BuildingHeadAppointed():
            return replace(state, head_member_id=event.member_id)
    raise AssertionError(f"unhandled event {event!r}")


def community_of(state: Building | None) -> str:
    assert state is not None
    return state.community_id


DECIDER: Decider[Building | None, BuildingCommand, BuildingEvent] = Decider(
    stream_type=STREAM_TYPE,
    initial_state=None,
    decide=decide,
    evolve=evolve,
    event_types=EventTypes(
        BuildingRegistered,
        BuildingRenamed,
        BuildingMoved,
        BuildingRetired,
        HouseholdsAdded,
        HouseholdRetired,
        HouseholdMemberAssigned,
        BuildingHeadAppointed,
    ),
)
