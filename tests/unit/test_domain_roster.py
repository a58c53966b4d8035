"""Roster and shifts: agency/facility/member/unit registration, shift.start and shift.end."""

from __future__ import annotations

from tenfour.domain import State

from .domain_support import (
    ADMIN,
    HOSPITAL,
    HOSPITAL_AT,
    OFF_DUTY_UNIT,
    PLACE,
    new_incident,
    north,
    only,
    put_on,
    rejection,
    roster,
    run,
    types,
)


# --- registration ----------------------------------------------------------------------------
def test_agency_register_records_the_agency() -> None:
    state = State()
    events = run(state, "agency.register", {"id": "ZPD", "kind": "police", "name": "ZPD"}, ADMIN)
    assert only(events, "agency.registered") == {"agency": "ZPD", "kind": "police", "name": "ZPD"}
    assert state.agencies["ZPD"].kind == "police"


def test_agency_register_refuses_an_existing_id() -> None:
    problem = rejection(
        roster(), "agency.register", {"id": "ZPD", "kind": "police", "name": "x"}, ADMIN
    )
    assert (problem.field, problem.code) == ("with.id", "conflict")


def test_agency_register_refuses_an_unknown_kind() -> None:
    problem = rejection(
        State(), "agency.register", {"id": "ZN", "kind": "navy", "name": "x"}, ADMIN
    )
    assert (problem.field, problem.code) == ("with.kind", "invalid")


def test_facility_register_records_its_location() -> None:
    state = State()
    with_ = {
        "id": HOSPITAL,
        "kind": "hospital",
        "name": "Zootopia General",
        "location": HOSPITAL_AT,
    }
    events = run(state, "facility.register", with_, ADMIN)
    assert only(events, "facility.registered") == {
        "facility": HOSPITAL,
        "kind": "hospital",
        "name": "Zootopia General",
        "location": HOSPITAL_AT,
    }
    assert state.facilities[HOSPITAL].location == HOSPITAL_AT


def test_facility_register_needs_a_point_on_the_map() -> None:
    with_ = {"id": "ZJL", "kind": "jail", "name": "Jail", "location": {"address": "nowhere"}}
    problem = rejection(roster(), "facility.register", with_, ADMIN)
    assert (problem.field, problem.code) == ("with.location", "invalid")


def test_facility_register_refuses_an_existing_id() -> None:
    with_ = {"id": HOSPITAL, "kind": "hospital", "name": "again", "location": PLACE}
    problem = rejection(roster(), "facility.register", with_, ADMIN)
    assert (problem.field, problem.code) == ("with.id", "conflict")


def test_member_register_defaults_the_rank_to_officer() -> None:
    state = roster()
    events = run(
        state, "member.register", {"id": "finnick", "name": "Finnick", "agency": "ZPD"}, ADMIN
    )
    assert only(events, "member.registered") == {
        "member": "finnick",
        "name": "Finnick",
        "agency": "ZPD",
        "rank": "officer",
    }
    assert state.members["finnick"].status == "offduty"


def test_member_register_refuses_an_unknown_agency_and_lists_the_known() -> None:
    with_ = {"id": "finnick", "name": "Finnick", "agency": "XYZ"}
    problem = rejection(roster(), "member.register", with_, ADMIN)
    assert (problem.field, problem.code) == ("with.agency", "not_found")
    assert problem.allowed == ("ZFD", "ZPD")


def test_member_register_refuses_an_existing_id() -> None:
    problem = rejection(
        roster(), "member.register", {"id": "hopps", "name": "x", "agency": "ZPD"}, ADMIN
    )
    assert (problem.field, problem.code) == ("with.id", "conflict")


def test_unit_register_records_its_home() -> None:
    state = roster()
    with_ = {"id": "ZPD-10", "agency": "ZPD", "kind": "patrol", "home": PLACE}
    events = run(state, "unit.register", with_, ADMIN)
    assert only(events, "unit.registered") == {
        "unit": "ZPD-10",
        "agency": "ZPD",
        "kind": "patrol",
        "home": PLACE,
    }
    assert state.units["ZPD-10"].status == "offduty"


def test_unit_register_refuses_an_unknown_agency() -> None:
    with_ = {"id": "ZPD-10", "agency": "XYZ", "kind": "patrol"}
    problem = rejection(roster(), "unit.register", with_, ADMIN)
    assert (problem.field, problem.code) == ("with.agency", "not_found")


def test_unit_register_refuses_an_existing_id() -> None:
    problem = rejection(
        roster(), "unit.register", {"id": "ZPD-1", "agency": "ZPD", "kind": "patrol"}, ADMIN
    )
    assert (problem.field, problem.code) == ("with.id", "conflict")


def test_unit_register_refuses_a_kind_that_is_not_a_slug() -> None:
    with_ = {"id": "ZPD-10", "agency": "ZPD", "kind": "Patrol Car"}
    problem = rejection(roster(), "unit.register", with_, ADMIN)
    assert (problem.field, problem.code) == ("with.kind", "invalid")


# --- shift.start -------------------------------------------------------------------------------
def test_shift_start_logs_the_unit_on_available_with_its_members() -> None:
    state = roster()
    with_ = {"unit": OFF_DUTY_UNIT, "members": ["trunkaby"], "vehicle": "SUV-9", "location": PLACE}
    events = run(state, "shift.start", with_, "officer:trunkaby")
    assert only(events, "unit.logged_on") == {
        "unit": OFF_DUTY_UNIT,
        "members": ["trunkaby"],
        "status": "available",
        "vehicle": "SUV-9",
        "location": PLACE,
    }
    unit, member = state.units[OFF_DUTY_UNIT], state.members["trunkaby"]
    assert (unit.status, unit.location, unit.vehicle) == ("available", PLACE, "SUV-9")
    assert (member.status, member.unit, member.location) == ("with_unit", OFF_DUTY_UNIT, PLACE)


def test_shift_start_without_a_location_uses_the_units_home() -> None:
    state = roster()
    run(
        state,
        "unit.register",
        {"id": "ZPD-10", "agency": "ZPD", "kind": "patrol", "home": PLACE},
        ADMIN,
    )
    events = run(state, "shift.start", {"unit": "ZPD-10", "members": ["trunkaby"]})
    assert only(events, "unit.logged_on")["location"] == PLACE


def test_shift_start_refuses_an_unknown_unit() -> None:
    problem = rejection(roster(), "shift.start", {"unit": "ZPD-99", "members": []})
    assert (problem.field, problem.code) == ("with.unit", "not_found")


def test_shift_start_refuses_a_unit_already_logged_on() -> None:
    problem = rejection(roster(), "shift.start", {"unit": "ZPD-1", "members": []})
    assert (problem.field, problem.code) == ("with.unit", "conflict")


def test_shift_start_refuses_a_member_already_on_duty() -> None:
    problem = rejection(
        roster(), "shift.start", {"unit": OFF_DUTY_UNIT, "members": ["trunkaby", "hopps"]}
    )
    assert (problem.field, problem.code) == ("with.members.1", "conflict")
    assert "ZPD-1" in problem.reason


def test_shift_start_refuses_an_unknown_member() -> None:
    problem = rejection(roster(), "shift.start", {"unit": OFF_DUTY_UNIT, "members": ["nobody"]})
    assert (problem.field, problem.code) == ("with.members.0", "not_found")


def test_shift_start_refuses_a_member_listed_twice() -> None:
    with_ = {"unit": OFF_DUTY_UNIT, "members": ["trunkaby", "trunkaby"]}
    problem = rejection(roster(), "shift.start", with_)
    assert (problem.field, problem.code) == ("with.members", "invalid")


# --- shift.end -----------------------------------------------------------------------------------
def test_shift_end_logs_the_unit_and_its_members_off() -> None:
    state = roster()
    events = run(state, "shift.end", {"unit": "ZPD-1"}, "officer:hopps")
    assert only(events, "unit.logged_off") == {
        "unit": "ZPD-1",
        "members": ["hopps", "wilde"],
        "from": "available",
    }
    assert state.units["ZPD-1"].status == "offduty"
    assert state.units["ZPD-1"].members == []
    assert state.members["hopps"].status == state.members["wilde"].status == "offduty"
    assert state.members["hopps"].unit is None


def test_shift_end_refuses_a_unit_working_an_incident() -> None:
    state = roster()
    put_on(state, "ZPD-2", new_incident(state))
    problem = rejection(state, "shift.end", {"unit": "ZPD-2"})
    assert (problem.field, problem.code) == ("with.unit", "conflict")


def test_shift_end_refuses_a_unit_not_logged_on() -> None:
    problem = rejection(roster(), "shift.end", {"unit": OFF_DUTY_UNIT})
    assert (problem.field, problem.code) == ("with.unit", "conflict")


def test_shift_end_refuses_an_unknown_unit() -> None:
    problem = rejection(roster(), "shift.end", {"unit": "ZPD-99"})
    assert (problem.field, problem.code) == ("with.unit", "not_found")


def test_a_unit_may_log_on_again_after_its_shift() -> None:
    state = roster()
    run(state, "shift.end", {"unit": "ZPD-2"})
    events = run(
        state, "shift.start", {"unit": "ZPD-2", "members": ["fangmeyer"], "location": north(10)}
    )
    assert types(events) == ["unit.logged_on"]
    assert state.members["fangmeyer"].unit == "ZPD-2"
