"""Dispatch, unit and member status, positions, check-ins and transports (``domain/units.py``)."""

from __future__ import annotations

from tenfour.domain import State

from .domain_support import (
    HOSPITAL,
    HOSPITAL_AT,
    OFF_DUTY_UNIT,
    new_incident,
    offset,
    only,
    put_on,
    rejection,
    roster,
    run,
    types,
)

PATIENT = {"description": "adult male, fall from a ladder"}


# --- unit.dispatch -------------------------------------------------------------------------------
def test_unit_dispatch_yields_one_event_per_unit() -> None:
    state = roster()
    incident = new_incident(state)
    events = run(
        state,
        "unit.dispatch",
        {"incident": incident, "units": ["ZPD-2", "ZPD-3"], "mode": "emergency"},
    )
    assert types(events) == ["unit.dispatched", "unit.dispatched"]
    assert events[0].data == {
        "unit": "ZPD-2",
        "incident": incident,
        "mode": "emergency",
        "from": "available",
    }
    assert events[1].data["unit"] == "ZPD-3"
    assert state.incidents[incident].units == ["ZPD-2", "ZPD-3"]
    assert (state.units["ZPD-2"].status, state.units["ZPD-2"].incident) == ("dispatched", incident)


def test_unit_dispatch_defaults_to_routine() -> None:
    state = roster()
    events = run(state, "unit.dispatch", {"incident": new_incident(state), "units": ["ZPD-2"]})
    assert only(events, "unit.dispatched")["mode"] == "routine"


def test_unit_dispatch_of_a_unit_on_another_incident_records_the_diversion() -> None:
    state = roster()
    first = new_incident(state)
    second = new_incident(state, "ASSAULT", 2, offset(0, 300))
    put_on(state, "ZPD-2", first, "onscene")
    with_ = {"incident": second, "units": ["ZPD-2"], "reassign": True}
    dispatched = only(run(state, "unit.dispatch", with_), "unit.dispatched")
    assert (dispatched["from"], dispatched["diverted_from"]) == ("onscene", first)
    assert state.incidents[first].units == []
    assert state.incidents[second].units == ["ZPD-2"]


def test_unit_dispatch_refuses_a_unit_already_on_the_incident() -> None:
    state = roster()
    incident = new_incident(state)
    put_on(state, "ZPD-2", incident, "enroute")
    problem = rejection(state, "unit.dispatch", {"incident": incident, "units": ["ZPD-3", "ZPD-2"]})
    assert (problem.field, problem.code) == ("with.units.1", "conflict")


def test_unit_dispatch_refuses_a_unit_not_logged_on() -> None:
    state = roster()
    problem = rejection(
        state, "unit.dispatch", {"incident": new_incident(state), "units": ["ZPD-2", OFF_DUTY_UNIT]}
    )
    assert (problem.field, problem.code) == ("with.units.1", "conflict")


def test_unit_dispatch_refuses_an_unknown_unit() -> None:
    state = roster()
    problem = rejection(
        state, "unit.dispatch", {"incident": new_incident(state), "units": ["ZPD-99"]}
    )
    assert (problem.field, problem.code) == ("with.units.0", "not_found")


def test_unit_dispatch_refuses_a_unit_listed_twice() -> None:
    state = roster()
    problem = rejection(
        state, "unit.dispatch", {"incident": new_incident(state), "units": ["ZPD-2", "ZPD-2"]}
    )
    assert (problem.field, problem.code) == ("with.units", "invalid")


def test_unit_dispatch_refuses_a_closed_incident() -> None:
    state = roster()
    incident = new_incident(state)
    run(state, "incident.close", {"incident": incident, "disposition": "gone"})
    problem = rejection(state, "unit.dispatch", {"incident": incident, "units": ["ZPD-2"]})
    assert (problem.field, problem.code) == ("with.incident", "conflict")


def test_unit_dispatch_refuses_an_unknown_incident() -> None:
    problem = rejection(roster(), "unit.dispatch", {"incident": "2026-000042", "units": ["ZPD-2"]})
    assert (problem.field, problem.code) == ("with.incident", "not_found")


def test_unit_dispatch_needs_a_unit() -> None:
    state = roster()
    problem = rejection(state, "unit.dispatch", {"incident": new_incident(state), "units": []})
    assert (problem.field, problem.code) == ("with.units", "invalid")


# --- unit.status ---------------------------------------------------------------------------------
def test_unit_status_records_from_to_and_the_incident() -> None:
    state = roster()
    incident = new_incident(state)
    put_on(state, "ZPD-2", incident, "dispatched")
    with_ = {"unit": "ZPD-2", "status": "onscene", "location": offset(5)}
    changed = only(run(state, "unit.status", with_, "officer:fangmeyer"), "unit.status_changed")
    assert changed == {
        "unit": "ZPD-2",
        "from": "dispatched",
        "to": "onscene",
        "incident": incident,
        "location": offset(5),
    }
    assert state.units["ZPD-2"].location == offset(5)


def test_unit_status_enroute_to_an_incident_without_dispatch_attaches_the_unit() -> None:
    state = roster()
    incident = new_incident(state)
    run(state, "unit.status", {"unit": "ZPD-2", "status": "enroute", "incident": incident})
    assert state.incidents[incident].units == ["ZPD-2"]


def test_unit_status_available_detaches_the_unit() -> None:
    state = roster()
    incident = new_incident(state)
    put_on(state, "ZPD-2", incident)
    run(state, "unit.status", {"unit": "ZPD-2", "status": "available"})
    assert state.units["ZPD-2"].incident is None
    assert state.incidents[incident].units == []


def test_unit_status_refuses_a_transition_not_in_the_table() -> None:
    problem = rejection(roster(), "unit.status", {"unit": "ZPD-2", "status": "transporting"})
    assert (problem.field, problem.code) == ("with.status", "transition")
    assert problem.allowed == ("enroute", "onscene", "busy", "outofservice")


def test_unit_status_refuses_pursuit_on_an_incident_the_unit_is_not_on() -> None:
    state = roster()
    incident = new_incident(state)
    other = new_incident(state, "THEFT", 3)
    put_on(state, "ZPD-2", incident, "enroute")
    problem = rejection(
        state, "unit.status", {"unit": "ZPD-2", "status": "pursuit", "incident": other}
    )
    assert (problem.field, problem.code) == ("with.incident", "conflict")


def test_unit_status_refuses_to_name_another_incident_when_leaving() -> None:
    state = roster()
    incident = new_incident(state)
    other = new_incident(state, "THEFT", 3)
    put_on(state, "ZPD-2", incident)
    problem = rejection(
        state, "unit.status", {"unit": "ZPD-2", "status": "available", "incident": other}
    )
    assert (problem.field, problem.code) == ("with.incident", "conflict")


def test_unit_status_refuses_a_closed_incident() -> None:
    state = roster()
    incident = new_incident(state)
    run(state, "incident.close", {"incident": incident, "disposition": "gone"})
    problem = rejection(
        state, "unit.status", {"unit": "ZPD-2", "status": "enroute", "incident": incident}
    )
    assert (problem.field, problem.code) == ("with.incident", "conflict")


def test_unit_status_refuses_a_unit_not_logged_on() -> None:
    problem = rejection(roster(), "unit.status", {"unit": OFF_DUTY_UNIT, "status": "busy"})
    assert (problem.field, problem.code) == ("with.unit", "conflict")


def test_unit_status_refuses_an_unknown_unit() -> None:
    problem = rejection(roster(), "unit.status", {"unit": "ZPD-99", "status": "busy"})
    assert (problem.field, problem.code) == ("with.unit", "not_found")


def test_unit_status_refuses_an_unknown_status() -> None:
    problem = rejection(roster(), "unit.status", {"unit": "ZPD-2", "status": "napping"})
    assert (problem.field, problem.code) == ("with.status", "invalid")


# --- positions -----------------------------------------------------------------------------------
def test_unit_locate_records_the_position() -> None:
    state = roster()
    with_ = {"unit": "ZPD-2", "lat": 37.8, "lon": -122.41, "speed": 12.5, "heading": 90}
    events = run(state, "unit.locate", with_, "system")
    assert only(events, "unit.located") == with_
    assert state.units["ZPD-2"].location == {"lat": 37.8, "lon": -122.41}


def test_unit_locate_refuses_a_unit_not_logged_on() -> None:
    problem = rejection(
        roster(), "unit.locate", {"unit": OFF_DUTY_UNIT, "lat": 37.8, "lon": -122.41}, "system"
    )
    assert (problem.field, problem.code) == ("with.unit", "conflict")


def test_unit_locate_refuses_an_impossible_position() -> None:
    problem = rejection(
        roster(), "unit.locate", {"unit": "ZPD-2", "lat": 91, "lon": -122.41}, "system"
    )
    assert (problem.field, problem.code) == ("with.lat", "invalid")


def test_member_locate_records_the_position_and_the_members_unit() -> None:
    state = roster()
    events = run(
        state, "member.locate", {"member": "wilde", "lat": 37.8, "lon": -122.41}, "officer:wilde"
    )
    assert only(events, "member.located") == {
        "member": "wilde",
        "lat": 37.8,
        "lon": -122.41,
        "unit": "ZPD-1",
    }
    assert state.members["wilde"].location == {"lat": 37.8, "lon": -122.41}


def test_member_locate_refuses_a_member_off_duty() -> None:
    problem = rejection(
        roster(), "member.locate", {"member": "trunkaby", "lat": 37.8, "lon": -122.41}
    )
    assert (problem.field, problem.code) == ("with.member", "conflict")


def test_member_locate_refuses_an_unknown_member() -> None:
    problem = rejection(
        roster(), "member.locate", {"member": "nobody", "lat": 37.8, "lon": -122.41}
    )
    assert (problem.field, problem.code) == ("with.member", "not_found")


# --- member.status / member.checkin --------------------------------------------------------------
def test_member_status_records_from_to_unit_and_position() -> None:
    state = roster()
    with_ = {"member": "wilde", "status": "away", "text": "coffee", "location": offset(20)}
    changed = only(run(state, "member.status", with_, "officer:wilde"), "member.status_changed")
    assert changed == {
        "member": "wilde",
        "from": "with_unit",
        "to": "away",
        "unit": "ZPD-1",
        "text": "coffee",
        "location": offset(20),
    }
    assert (state.members["wilde"].status, state.members["wilde"].location) == ("away", offset(20))


def test_member_status_on_an_incident_records_it() -> None:
    state = roster()
    incident = new_incident(state)
    with_ = {"member": "wilde", "status": "onscene", "incident": incident}
    assert only(run(state, "member.status", with_), "member.status_changed")["incident"] == incident
    assert state.members["wilde"].incident == incident


def test_member_status_refuses_down() -> None:
    problem = rejection(
        roster(), "member.status", {"member": "wilde", "status": "down"}, "officer:wilde"
    )
    assert (problem.field, problem.code) == ("with.status", "transition")


def test_member_status_refuses_a_transition_not_in_the_table() -> None:
    problem = rejection(
        roster(), "member.status", {"member": "wilde", "status": "offduty"}, "officer:wilde"
    )
    assert (problem.field, problem.code) == ("with.status", "transition")
    assert problem.allowed == ("away", "onscene", "pursuit")


def test_member_status_refuses_a_member_off_duty() -> None:
    problem = rejection(roster(), "member.status", {"member": "trunkaby", "status": "away"})
    assert (problem.field, problem.code) == ("with.member", "conflict")


def test_member_status_refuses_an_unknown_member() -> None:
    problem = rejection(roster(), "member.status", {"member": "nobody", "status": "away"})
    assert (problem.field, problem.code) == ("with.member", "not_found")


def test_member_status_refuses_a_unit_the_member_is_not_on() -> None:
    problem = rejection(
        roster(), "member.status", {"member": "wilde", "status": "away", "unit": "ZPD-2"}
    )
    assert (problem.field, problem.code) == ("with.unit", "conflict")


def test_member_status_refuses_a_closed_incident() -> None:
    state = roster()
    incident = new_incident(state)
    run(state, "incident.close", {"incident": incident, "disposition": "gone"})
    problem = rejection(
        state, "member.status", {"member": "wilde", "status": "onscene", "incident": incident}
    )
    assert (problem.field, problem.code) == ("with.incident", "conflict")


def test_member_checkin_names_the_member_and_his_unit() -> None:
    state = roster()
    events = run(state, "member.checkin", {"member": "hopps", "text": "code 4"}, "officer:hopps")
    assert only(events, "member.checked_in") == {
        "member": "hopps",
        "unit": "ZPD-1",
        "text": "code 4",
    }
    assert events[0].stream == "member:hopps"


def test_member_checkin_by_unit_names_the_officer_who_checked_in() -> None:
    events = run(roster(), "member.checkin", {"unit": "ZPD-1"}, "officer:wilde")
    assert only(events, "member.checked_in") == {"member": "wilde", "unit": "ZPD-1"}


def test_member_checkin_by_unit_from_the_desk_names_no_member() -> None:
    events = run(roster(), "member.checkin", {"unit": "ZPD-1"})
    assert only(events, "member.checked_in") == {"member": None, "unit": "ZPD-1"}
    assert events[0].stream == "unit:ZPD-1"


def test_member_checkin_refuses_a_member_off_duty() -> None:
    problem = rejection(roster(), "member.checkin", {"member": "trunkaby"})
    assert (problem.field, problem.code) == ("with.member", "conflict")


def test_member_checkin_refuses_an_unknown_unit() -> None:
    problem = rejection(roster(), "member.checkin", {"unit": "ZPD-99"})
    assert (problem.field, problem.code) == ("with.unit", "not_found")


def test_member_checkin_needs_a_member_or_a_unit() -> None:
    problem = rejection(roster(), "member.checkin", {"text": "hello"})
    assert (problem.field, problem.code) == ("with", "invalid")


# --- transports ----------------------------------------------------------------------------------
def _on_scene(unit: str = "M-51") -> tuple[State, str]:
    state = roster()
    incident = new_incident(state, "MEDICAL", 2)
    put_on(state, unit, incident)
    return state, incident


def test_transport_start_adds_the_patient_and_sets_the_unit_transporting() -> None:
    state, incident = _on_scene()
    with_ = {"unit": "M-51", "patient": PATIENT, "destination": HOSPITAL}
    events = run(state, "transport.start", with_, "officer:medic1")
    assert types(events) == ["subject.added", "transport.started", "unit.status_changed"]
    assert only(events, "subject.added")["role"] == "patient"
    assert only(events, "transport.started") == {
        "unit": "M-51",
        "incident": incident,
        "patient": "S-000001",
        "destination": HOSPITAL,
        "destination_location": HOSPITAL_AT,
    }
    changed = only(events, "unit.status_changed")
    assert (changed["from"], changed["to"], changed["incident"]) == (
        "onscene",
        "transporting",
        incident,
    )
    assert (state.units["M-51"].status, state.units["M-51"].destination) == (
        "transporting",
        HOSPITAL,
    )


def test_transport_start_of_an_officer_as_patient_names_the_member() -> None:
    state, _ = _on_scene()
    with_ = {
        "unit": "M-51",
        "patient": {"member": "hopps", "role": "officer"},
        "destination": HOSPITAL,
    }
    events = run(state, "transport.start", with_)
    assert only(events, "subject.added")["member"] == "hopps"
    assert only(events, "transport.started")["patient_member"] == "hopps"


def test_transport_start_refuses_an_unknown_facility() -> None:
    state, _ = _on_scene()
    problem = rejection(
        state, "transport.start", {"unit": "M-51", "patient": PATIENT, "destination": "XYZ"}
    )
    assert (problem.field, problem.code) == ("with.destination", "not_found")


def test_transport_start_refuses_a_unit_not_on_scene() -> None:
    state = roster()
    incident = new_incident(state, "MEDICAL", 2)
    put_on(state, "M-51", incident, "enroute")
    problem = rejection(
        state, "transport.start", {"unit": "M-51", "patient": PATIENT, "destination": HOSPITAL}
    )
    assert (problem.field, problem.code) == ("with.unit", "transition")
    assert problem.allowed == ("onscene",)


def test_transport_start_refuses_a_unit_on_no_incident() -> None:
    problem = rejection(
        roster(), "transport.start", {"unit": "M-51", "patient": PATIENT, "destination": HOSPITAL}
    )
    assert (problem.field, problem.code) == ("with.incident", "conflict")


def test_transport_start_refuses_an_incident_the_unit_is_not_on() -> None:
    state, _ = _on_scene()
    other = new_incident(state, "MEDICAL", 3)
    with_ = {"unit": "M-51", "incident": other, "patient": PATIENT, "destination": HOSPITAL}
    problem = rejection(state, "transport.start", with_)
    assert (problem.field, problem.code) == ("with.incident", "conflict")


def test_transport_start_refuses_an_unknown_patient_member() -> None:
    state, _ = _on_scene()
    with_ = {"unit": "M-51", "patient": {"member": "nobody"}, "destination": HOSPITAL}
    problem = rejection(state, "transport.start", with_)
    assert (problem.field, problem.code) == ("with.patient.member", "not_found")


def test_transport_arrive_sets_the_unit_at_hospital() -> None:
    state, incident = _on_scene()
    run(state, "transport.start", {"unit": "M-51", "patient": PATIENT, "destination": HOSPITAL})
    events = run(state, "transport.arrive", {"unit": "M-51"}, "officer:medic1")
    assert types(events) == ["transport.arrived", "unit.status_changed"]
    assert only(events, "transport.arrived") == {
        "unit": "M-51",
        "incident": incident,
        "destination": HOSPITAL,
    }
    changed = only(events, "unit.status_changed")
    assert (changed["from"], changed["to"], changed["facility"]) == (
        "transporting",
        "athospital",
        HOSPITAL,
    )
    assert state.units["M-51"].status == "athospital"


def test_transport_arrive_refuses_a_unit_not_transporting() -> None:
    state, _ = _on_scene()
    problem = rejection(state, "transport.arrive", {"unit": "M-51"})
    assert (problem.field, problem.code) == ("with.unit", "transition")


def test_transport_arrive_refuses_an_unknown_facility() -> None:
    state, _ = _on_scene()
    run(state, "transport.start", {"unit": "M-51", "patient": PATIENT, "destination": HOSPITAL})
    problem = rejection(state, "transport.arrive", {"unit": "M-51", "destination": "XYZ"})
    assert (problem.field, problem.code) == ("with.destination", "not_found")


def test_a_units_destination_is_forgotten_once_the_transport_is_over() -> None:
    state, incident = _on_scene()
    run(state, "transport.start", {"unit": "M-51", "patient": PATIENT, "destination": HOSPITAL})
    run(state, "transport.arrive", {"unit": "M-51"})
    run(state, "unit.status", {"unit": "M-51", "status": "available"})
    assert state.units["M-51"].destination is None
    # The consequence: a status-only transport later arrives "at" the old hospital.
    put_on(state, "M-51", incident, "transporting")
    arrived = only(run(state, "transport.arrive", {"unit": "M-51"}), "transport.arrived")
    assert arrived["destination"] != HOSPITAL
