"""The grid's rules, on the pure domain: compounds, areas, buildings, households."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from grassroots_eventkit.domain import CommandRejected, InvalidValue, NotFound
from organisation_service.domain import building, compound
from pydantic import ValidationError

pytestmark = pytest.mark.unit

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _no_ids() -> str:
    raise AssertionError("ids are made by the handler, not the domain")


def run(decider, history, command):
    state = decider.fold(history)
    return decider.decide(state, command, now=NOW, new_id=_no_ids)


def compound_history() -> list:
    return [
        compound.CompoundRegistered(
            compound_id="x1",
            community_id="c1",
            county="东安县",
            name="雍景园小区",
            registered_at=NOW,
        ),
        compound.AreaAdded(compound_id="x1", area_id="a1", name="东片区"),
    ]


def building_history(*households: tuple[str, int, str]) -> list:
    events: list = [
        building.BuildingRegistered(
            building_id="b1",
            community_id="c1",
            county="东安县",
            compound_id="x1",
            area_id="a1",
            name="3栋",
            units=2,
            registered_at=NOW,
        )
    ]
    if households:
        events.append(
            building.HouseholdsAdded(
                building_id="b1",
                households=tuple(
                    building.NewHousehold(household_id=h, unit=u, room=r) for h, u, r in households
                ),
            )
        )
    return events


def test_a_compound_is_registered_once():
    with pytest.raises(CommandRejected) as refused:
        run(
            compound.DECIDER,
            compound_history(),
            compound.RegisterCompound(
                compound_id="x1", community_id="c1", county="东安县", name="雍景园小区"
            ),
        )
    assert refused.value.rule == "compound_already_registered"


def test_an_area_is_refused_when_its_name_is_taken_in_the_compound():
    with pytest.raises(CommandRejected) as refused:
        run(
            compound.DECIDER,
            compound_history(),
            compound.AddArea(compound_id="x1", area_id="a2", name="东片区"),
        )
    assert (refused.value.rule, refused.value.field) == ("area_name_taken", "name")


def test_adding_the_same_area_again_records_nothing():
    assert (
        run(
            compound.DECIDER,
            compound_history(),
            compound.AddArea(compound_id="x1", area_id="a1", name="东片区"),
        )
        == []
    )


def test_a_command_on_an_unknown_compound_is_not_found():
    with pytest.raises(NotFound):
        run(compound.DECIDER, [], compound.RenameCompound(compound_id="x9", name="某某小区"))


def test_a_key_compound_leader_is_recorded_with_title():
    [event] = run(
        compound.DECIDER,
        compound_history(),
        compound.AssignKeyCompoundLeader(
            compound_id="x1", leader_id="l1", name="李明", title="副县长"
        ),
    )
    state = compound.DECIDER.fold([*compound_history(), event])
    assert state.key_leader == compound.Leader("l1", "李明", "副县长")


def test_households_are_added_at_free_addresses():
    [event] = run(
        building.DECIDER,
        building_history(),
        building.AddHouseholds(
            building_id="b1",
            households=(
                building.NewHousehold(household_id="h1", unit=1, room="101"),
                building.NewHousehold(household_id="h2", unit=2, room="101"),
            ),
        ),
    )
    state = building.DECIDER.fold([*building_history(), event])
    assert set(state.households) == {"h1", "h2"}


def test_a_household_is_refused_when_its_address_is_taken():
    with pytest.raises(CommandRejected) as refused:
        run(
            building.DECIDER,
            building_history(("h1", 1, "101")),
            building.AddHouseholds(
                building_id="b1",
                households=(building.NewHousehold(household_id="h2", unit=1, room="101"),),
            ),
        )
    assert (refused.value.rule, refused.value.field) == (
        "household_address_taken",
        "households.0.room",
    )


def test_two_households_at_one_address_in_one_command_are_refused():
    with pytest.raises(CommandRejected) as refused:
        run(
            building.DECIDER,
            building_history(),
            building.AddHouseholds(
                building_id="b1",
                households=(
                    building.NewHousehold(household_id="h1", unit=1, room="101"),
                    building.NewHousehold(household_id="h2", unit=1, room="101"),
                ),
            ),
        )
    assert refused.value.field == "households.1.room"


def test_a_household_in_a_unit_the_building_lacks_is_refused():
    with pytest.raises(InvalidValue) as refused:
        run(
            building.DECIDER,
            building_history(),
            building.AddHouseholds(
                building_id="b1",
                households=(building.NewHousehold(household_id="h1", unit=3, room="101"),),
            ),
        )
    assert (refused.value.rule, refused.value.status) == ("unit_out_of_range", 422)


def test_a_redelivered_household_is_not_added_twice():
    assert (
        run(
            building.DECIDER,
            building_history(("h1", 1, "101")),
            building.AddHouseholds(
                building_id="b1",
                households=(building.NewHousehold(household_id="h1", unit=1, room="101"),),
            ),
        )
        == []
    )


def test_retiring_a_building_is_refused_with_the_count_while_it_has_households():
    with pytest.raises(CommandRejected) as refused:
        run(
            building.DECIDER,
            building_history(("h1", 1, "101"), ("h2", 1, "102")),
            building.RetireBuilding(building_id="b1"),
        )
    assert refused.value.rule == "building_has_households"
    assert "2 households" in refused.value.message


def test_a_building_without_households_can_retire_and_then_refuses_changes():
    history = building_history(("h1", 1, "101"))
    history += run(
        building.DECIDER, history, building.RetireHousehold(building_id="b1", household_id="h1")
    )
    history += run(building.DECIDER, history, building.RetireBuilding(building_id="b1"))
    assert building.DECIDER.fold(history).retired
    with pytest.raises(CommandRejected) as refused:
        run(building.DECIDER, history, building.RenameBuilding(building_id="b1", name="4栋"))
    assert refused.value.rule == "building_retired"


def test_a_retired_household_frees_its_address():
    history = building_history(("h1", 1, "101"))
    history += run(
        building.DECIDER, history, building.RetireHousehold(building_id="b1", household_id="h1")
    )
    [added] = run(
        building.DECIDER,
        history,
        building.AddHouseholds(
            building_id="b1",
            households=(building.NewHousehold(household_id="h2", unit=1, room="101"),),
        ),
    )
    assert added.households[0].household_id == "h2"


def test_moving_a_building_records_both_areas_and_moving_to_its_own_area_nothing():
    [moved] = run(
        building.DECIDER, building_history(), building.MoveBuilding(building_id="b1", area_id="a2")
    )
    assert (moved.from_area_id, moved.to_area_id) == ("a1", "a2")
    assert (
        run(
            building.DECIDER,
            building_history(),
            building.MoveBuilding(building_id="b1", area_id="a1"),
        )
        == []
    )


def test_a_responsible_member_for_an_unknown_household_is_not_found():
    with pytest.raises(NotFound) as refused:
        run(
            building.DECIDER,
            building_history(),
            building.AssignHouseholdMember(building_id="b1", household_id="h9", member_id="m1"),
        )
    assert refused.value.field == "household_id"


def test_reassigning_a_household_records_the_previous_member():
    history = building_history(("h1", 1, "101"))
    history += run(
        building.DECIDER,
        history,
        building.AssignHouseholdMember(building_id="b1", household_id="h1", member_id="m1"),
    )
    [event] = run(
        building.DECIDER,
        history,
        building.AssignHouseholdMember(building_id="b1", household_id="h1", member_id="m2"),
    )
    assert (event.member_id, event.previous_member_id) == ("m2", "m1")


@pytest.mark.parametrize("units", [0, 31])
def test_a_building_needs_between_one_and_thirty_units(units):
    with pytest.raises(ValidationError):
        building.RegisterBuilding(
            building_id="b", community_id="c", county="x", compound_id="x", name="1栋", units=units
        )
