"""Officer safety: backup requests, emergencies, alerts and journaled recommendations
(``domain/safety.py``)."""

from __future__ import annotations

from tenfour.domain import State

from .domain_support import (
    OFF_DUTY_UNIT,
    PLACE,
    SUPERVISOR,
    new_incident,
    offset,
    only,
    put_on,
    rejection,
    roster,
    run,
    types,
)


def _hopps_on_a_noise_call() -> tuple[State, str]:
    """hopps's unit ZPD-1 on scene at a priority-4 noise call at PLACE."""
    state = roster()
    incident = new_incident(state)
    put_on(state, "ZPD-1", incident)
    return state, incident


def _trunkaby_on_duty_without_a_position() -> State:
    state = roster()
    run(state, "shift.start", {"unit": OFF_DUTY_UNIT, "members": ["trunkaby"]})
    assert state.members["trunkaby"].location is None
    return state


# --- backup.request ------------------------------------------------------------------------------
def test_backup_request_records_where_the_member_is() -> None:
    state, incident = _hopps_on_a_noise_call()
    run(
        state,
        "member.locate",
        {"member": "hopps", "lat": 37.7905, "lon": -122.4005},
        "officer:hopps",
    )
    with_ = {"incident": incident, "member": "hopps", "count": 2, "urgency": "urgent"}
    events = run(state, "backup.request", with_, "officer:hopps")
    assert only(events, "backup.requested") == {
        "incident": incident,
        "count": 2,
        "urgency": "urgent",
        "location": {"lat": 37.7905, "lon": -122.4005},
        "member": "hopps",
        "unit": "ZPD-1",
    }


def test_backup_request_defaults_to_one_routine_unit() -> None:
    state, incident = _hopps_on_a_noise_call()
    requested = only(
        run(state, "backup.request", {"incident": incident, "unit": "ZPD-1"}), "backup.requested"
    )
    assert (requested["count"], requested["urgency"]) == (1, "routine")
    assert requested["location"] == state.units["ZPD-1"].location


def test_backup_request_without_any_position_goes_to_the_incident() -> None:
    state = _trunkaby_on_duty_without_a_position()
    incident = new_incident(state, location=offset(0, 700))
    requested = only(
        run(state, "backup.request", {"incident": incident, "member": "trunkaby"}),
        "backup.requested",
    )
    assert requested["location"] == offset(0, 700)


def test_backup_request_refuses_a_closed_incident() -> None:
    state, incident = _hopps_on_a_noise_call()
    run(state, "incident.close", {"incident": incident, "disposition": "gone"})
    problem = rejection(state, "backup.request", {"incident": incident, "member": "hopps"})
    assert (problem.field, problem.code) == ("with.incident", "conflict")


def test_backup_request_refuses_an_unknown_incident() -> None:
    problem = rejection(roster(), "backup.request", {"incident": "2026-000042", "member": "hopps"})
    assert (problem.field, problem.code) == ("with.incident", "not_found")


def test_backup_request_refuses_a_member_off_duty() -> None:
    state, incident = _hopps_on_a_noise_call()
    problem = rejection(state, "backup.request", {"incident": incident, "member": "trunkaby"})
    assert (problem.field, problem.code) == ("with.member", "conflict")


def test_backup_request_refuses_a_member_not_on_the_unit_given() -> None:
    state, incident = _hopps_on_a_noise_call()
    problem = rejection(
        state, "backup.request", {"incident": incident, "member": "hopps", "unit": "ZPD-2"}
    )
    assert (problem.field, problem.code) == ("with.unit", "conflict")


def test_backup_request_refuses_a_count_of_zero() -> None:
    state, incident = _hopps_on_a_noise_call()
    problem = rejection(
        state, "backup.request", {"incident": incident, "member": "hopps", "count": 0}
    )
    assert (problem.field, problem.code) == ("with.count", "invalid")


# --- emergency.declare ---------------------------------------------------------------------------
def test_emergency_on_an_incident_raises_an_alert_and_turns_the_incident_into_a_mayday() -> None:
    state, incident = _hopps_on_a_noise_call()
    events = run(
        state, "emergency.declare", {"member": "hopps", "text": "shots fired"}, "officer:hopps"
    )
    assert types(events) == ["emergency.declared", "alert.raised", "incident.updated"]
    # Her last fix is from before she went on scene: the scene is where she is.
    here = state.incidents[incident].location
    assert only(events, "emergency.declared") == {
        "emergency": "E-000001",
        "incident": incident,
        "location": here,
        "text": "shots fired",
        "member": "hopps",
        "unit": "ZPD-1",
    }
    assert only(events, "alert.raised") == {
        "alert": "A-000001",
        "kind": "emergency",
        "severity": "high",
        "incident": incident,
        "emergency": "E-000001",
        "text": "shots fired",
        "member": "hopps",
        "unit": "ZPD-1",
    }
    updated = only(events, "incident.updated")
    assert updated["changes"] == {"incident_type": "MAYDAY", "priority": 1}
    assert updated["before"] == {"incident_type": "NOISE", "priority": 4}
    assert (state.incidents[incident].type, state.incidents[incident].priority) == ("MAYDAY", 1)
    assert state.members["hopps"].status == "down"
    assert state.emergencies["E-000001"].open
    assert state.alerts["A-000001"].open


def test_emergency_of_a_member_on_no_incident_opens_a_mayday_incident() -> None:
    state = roster()
    events = run(state, "emergency.declare", {"member": "fangmeyer"})
    assert types(events) == ["incident.created", "emergency.declared", "alert.raised"]
    created = only(events, "incident.created")
    assert (
        created["incident"],
        created["incident_type"],
        created["priority"],
        created["source"],
    ) == (
        "2026-000001",
        "MAYDAY",
        1,
        "emergency",
    )
    assert created["location"] == state.members["fangmeyer"].location
    assert only(events, "emergency.declared")["incident"] == "2026-000001"
    assert state.members["fangmeyer"].incident == "2026-000001"


def test_a_second_emergency_on_a_mayday_incident_does_not_update_it_again() -> None:
    state, incident = _hopps_on_a_noise_call()
    run(state, "emergency.declare", {"member": "hopps"})
    put_on(state, "ZPD-2", incident, "onscene")
    events = run(state, "emergency.declare", {"member": "fangmeyer"})
    assert types(events) == ["emergency.declared", "alert.raised"]
    assert (
        only(events, "emergency.declared")["emergency"],
        only(events, "alert.raised")["alert"],
    ) == (
        "E-000002",
        "A-000002",
    )


def test_emergency_location_is_the_one_given_first() -> None:
    state, _ = _hopps_on_a_noise_call()
    events = run(
        state, "emergency.declare", {"member": "hopps", "location": offset(77)}, "officer:wilde"
    )
    assert only(events, "emergency.declared")["location"] == offset(77)


def test_emergency_location_is_else_the_declaring_officers_own_position() -> None:
    state, _ = _hopps_on_a_noise_call()
    run(
        state,
        "member.locate",
        {"member": "hopps", "lat": 37.7911, "lon": -122.4011},
        "officer:hopps",
    )
    run(
        state,
        "member.locate",
        {"member": "wilde", "lat": 37.7922, "lon": -122.4022},
        "officer:wilde",
    )
    events = run(state, "emergency.declare", {"member": "hopps"}, "officer:wilde")
    assert only(events, "emergency.declared")["location"] == {"lat": 37.7922, "lon": -122.4022}


def test_emergency_location_is_else_the_last_position_of_the_member_in_distress() -> None:
    state, _ = _hopps_on_a_noise_call()
    run(
        state,
        "member.locate",
        {"member": "hopps", "lat": 37.7911, "lon": -122.4011},
        "officer:hopps",
    )
    events = run(state, "emergency.declare", {"member": "hopps"})  # the dispatcher has no position
    assert only(events, "emergency.declared")["location"] == {"lat": 37.7911, "lon": -122.4011}


def test_emergency_without_any_known_position_is_still_declared() -> None:
    # An officer-down call is never refused: no position anywhere gives location null,
    # the alert, and no incident until a location is known (emergency.locate).
    state = _trunkaby_on_duty_without_a_position()
    events = run(state, "emergency.declare", {"member": "trunkaby"})
    assert types(events) == ["emergency.declared", "alert.raised"]
    declared = only(events, "emergency.declared")
    assert (declared["location"], declared["incident"]) == (None, None)
    assert only(events, "alert.raised")["kind"] == "emergency"
    assert state.members["trunkaby"].status == "down"
    located = run(
        state, "emergency.locate", {"emergency": declared["emergency"], "location": PLACE}
    )
    assert types(located) == ["incident.created", "emergency.located"]
    incident = only(located, "emergency.located")["incident"]
    assert state.incidents[incident].type == "MAYDAY" and state.incidents[incident].priority == 1
    assert state.emergencies[declared["emergency"]].incident == incident
    assert state.units[OFF_DUTY_UNIT].incident == incident  # his unit stays with him
    again = rejection(
        state, "emergency.locate", {"emergency": declared["emergency"], "location": PLACE}
    )
    assert (again.field, again.code) == ("with.emergency", "conflict")


def test_an_emergency_away_from_the_members_incident_opens_its_own() -> None:
    # One scene, one plan: ZPD-1 was sent to an incident; hopps is down 600 m from it.
    state, incident = _hopps_on_a_noise_call()
    away = offset(600, 0)
    events = run(state, "emergency.declare", {"member": "hopps", "location": away})
    assert types(events) == ["incident.created", "emergency.declared", "alert.raised"]
    own = only(events, "incident.created")["incident"]
    declared = only(events, "emergency.declared")
    assert (declared["incident"], declared["away_from"], declared["diverted_from"]) == (
        own,
        incident,
        incident,
    )
    assert state.incidents[incident].type == "NOISE"  # the first incident is not his MAYDAY
    assert state.units["ZPD-1"].incident == own and state.incidents[incident].units == []
    put_on(state, "ZPD-2", incident, "onscene")
    near = run(state, "emergency.declare", {"member": "fangmeyer", "location": offset(0, 250)})
    assert "incident.created" not in types(near)
    assert only(near, "emergency.declared")["incident"] == incident


def test_the_distressed_members_unit_stays_with_him() -> None:
    state, _ = _hopps_on_a_noise_call()
    run(state, "emergency.declare", {"member": "hopps"})
    other = new_incident(state, "THEFT", 3, offset(0, 500))
    for do, with_ in (
        ("unit.dispatch", {"incident": other, "units": ["ZPD-1"], "reassign": True}),
        ("unit.status", {"unit": "ZPD-1", "status": "enroute", "incident": other}),
        (
            "incident.initiate",
            {"member": "wilde", "type": "THEFT", "priority": 3, "location": PLACE},
        ),
    ):
        problem = rejection(state, do, with_)
        assert problem.code == "conflict" and "E-000001" in problem.reason, do
    run(state, "emergency.clear", {"emergency": "E-000001"}, SUPERVISOR)
    run(state, "unit.dispatch", {"incident": other, "units": ["ZPD-1"], "reassign": True})
    assert state.units["ZPD-1"].incident == other


def test_closing_is_refused_while_a_unit_is_in_pursuit_or_an_emergency_is_open() -> None:
    state, incident = _hopps_on_a_noise_call()
    run(state, "unit.status", {"unit": "ZPD-1", "status": "pursuit"}, "officer:hopps")
    problem = rejection(state, "incident.close", {"incident": incident, "disposition": "done"})
    assert problem.code == "conflict" and "ZPD-1 is pursuit" in problem.reason
    run(state, "emergency.declare", {"member": "wilde", "location": PLACE})
    problem = rejection(state, "incident.close", {"incident": incident, "disposition": "done"})
    assert "emergency E-000001 is open" in problem.reason
    closed = run(
        state, "incident.close", {"incident": incident, "disposition": "done", "force": True}
    )
    assert types(closed)[0] == "incident.closed"


def test_emergency_falls_back_to_the_incident_location() -> None:
    # Nobody's position is known but the member is on an incident: help goes there.
    state = _trunkaby_on_duty_without_a_position()
    incident = new_incident(state, "THEFT", 3, offset(0, 900))
    put_on(state, OFF_DUTY_UNIT, incident, "onscene")
    declared = only(run(state, "emergency.declare", {"member": "trunkaby"}), "emergency.declared")
    assert (declared["incident"], declared["location"]) == (incident, offset(0, 900))


def test_emergency_declare_refuses_a_second_open_emergency_for_the_member() -> None:
    state, _ = _hopps_on_a_noise_call()
    run(state, "emergency.declare", {"member": "hopps"})
    problem = rejection(state, "emergency.declare", {"member": "hopps"}, "officer:wilde")
    assert (problem.field, problem.code) == ("with.member", "conflict")
    assert "E-000001" in problem.reason


def test_emergency_may_be_declared_again_once_cleared() -> None:
    state, _ = _hopps_on_a_noise_call()
    run(state, "emergency.declare", {"member": "hopps"})
    run(state, "emergency.clear", {"emergency": "E-000001"}, SUPERVISOR)
    events = run(state, "emergency.declare", {"member": "hopps"})
    assert only(events, "emergency.declared")["emergency"] == "E-000002"


def test_emergency_of_a_unit_alone_names_the_unit() -> None:
    state = roster()
    declared = only(run(state, "emergency.declare", {"unit": "ZPD-2"}), "emergency.declared")
    assert declared["unit"] == "ZPD-2"
    assert "member" not in declared
    assert declared["location"] == state.units["ZPD-2"].location


def test_emergency_declare_refuses_a_second_open_emergency_for_the_unit() -> None:
    state = roster()
    run(state, "emergency.declare", {"unit": "ZPD-2"})
    problem = rejection(state, "emergency.declare", {"unit": "ZPD-2"})
    assert (problem.field, problem.code) == ("with.unit", "conflict")


def test_emergency_already_open_for_a_unit_names_the_unit_by_its_call_sign() -> None:
    state = roster()
    run(state, "emergency.declare", {"unit": "ZPD-2"})
    problem = rejection(state, "emergency.declare", {"unit": "ZPD-2"})
    assert problem.reason == "emergency E-000001 is already open for ZPD-2"


def test_emergency_declare_refuses_an_unknown_member() -> None:
    problem = rejection(roster(), "emergency.declare", {"member": "nobody"})
    assert (problem.field, problem.code) == ("with.member", "not_found")


def test_emergency_declare_refuses_a_member_off_duty() -> None:
    problem = rejection(roster(), "emergency.declare", {"member": "trunkaby", "location": PLACE})
    assert (problem.field, problem.code) == ("with.member", "conflict")


def test_emergency_declare_refuses_an_unknown_unit() -> None:
    problem = rejection(roster(), "emergency.declare", {"unit": "ZPD-99"})
    assert (problem.field, problem.code) == ("with.unit", "not_found")


# --- emergency.clear -----------------------------------------------------------------------------
def test_emergency_clear_closes_the_emergency() -> None:
    state, incident = _hopps_on_a_noise_call()
    run(state, "emergency.declare", {"member": "hopps"})
    events = run(state, "emergency.clear", {"emergency": "E-000001", "text": "code 4"}, SUPERVISOR)
    assert only(events, "emergency.cleared") == {
        "emergency": "E-000001",
        "incident": incident,
        "member": "hopps",
        "text": "code 4",
    }
    assert not state.emergencies["E-000001"].open


def test_emergency_clear_refuses_an_emergency_already_cleared() -> None:
    state, _ = _hopps_on_a_noise_call()
    run(state, "emergency.declare", {"member": "hopps"})
    run(state, "emergency.clear", {"emergency": "E-000001"}, SUPERVISOR)
    problem = rejection(state, "emergency.clear", {"emergency": "E-000001"}, SUPERVISOR)
    assert (problem.field, problem.code) == ("with.emergency", "conflict")


def test_emergency_clear_refuses_an_unknown_emergency() -> None:
    problem = rejection(roster(), "emergency.clear", {"emergency": "E-000009"}, SUPERVISOR)
    assert (problem.field, problem.code) == ("with.emergency", "not_found")


# --- alerts --------------------------------------------------------------------------------------
def test_alert_acknowledge_records_who_saw_it() -> None:
    state, _ = _hopps_on_a_noise_call()
    run(state, "emergency.declare", {"member": "hopps"})
    events = run(state, "alert.acknowledge", {"alert": "A-000001"})
    assert only(events, "alert.acknowledged") == {"alert": "A-000001", "kind": "emergency"}
    assert state.alerts["A-000001"].acknowledged_by == "clawhauser"
    assert not state.alerts["A-000001"].open


def test_alert_acknowledge_refuses_an_alert_already_acknowledged() -> None:
    state, _ = _hopps_on_a_noise_call()
    run(state, "emergency.declare", {"member": "hopps"})
    run(state, "alert.acknowledge", {"alert": "A-000001"})
    problem = rejection(state, "alert.acknowledge", {"alert": "A-000001"}, SUPERVISOR)
    assert (problem.field, problem.code) == ("with.alert", "conflict")
    assert "clawhauser" in problem.reason


def test_alert_acknowledge_refuses_an_unknown_alert() -> None:
    problem = rejection(roster(), "alert.acknowledge", {"alert": "A-000009"})
    assert (problem.field, problem.code) == ("with.alert", "not_found")


def test_alert_raise_numbers_the_alert() -> None:
    state = roster()
    with_ = {"kind": "status_check_overdue", "member": "hopps", "unit": "ZPD-1"}
    events = run(state, "alert.raise", with_, "system")
    assert only(events, "alert.raised") == {"alert": "A-000001", "severity": "normal", **with_}
    assert state.alerts["A-000001"].member == "hopps"


def test_alert_raise_refuses_an_unknown_kind() -> None:
    problem = rejection(roster(), "alert.raise", {"kind": "fire"}, "system")
    assert (problem.field, problem.code) == ("with.kind", "invalid")


# --- recommendation.make / audit.record ----------------------------------------------------------
def test_recommendation_make_journals_the_ranking_on_the_incident() -> None:
    state, incident = _hopps_on_a_noise_call()
    with_ = {
        "incident": incident,
        "location": PLACE,
        "purpose": "backup",
        "need": "police",
        "count": 1,
        "candidates": [{"unit": "ZPD-2", "eta_s": 50.0}],
        "excluded": [{"unit": "ZPD-1", "reason": "the member's own unit"}],
    }
    events = run(state, "recommendation.make", with_, "system")
    assert events[0].stream == f"incident:{incident}"
    made = only(events, "recommendation.made")
    assert (made["candidates"], made["excluded"]) == (with_["candidates"], with_["excluded"])


def test_recommendation_make_without_an_incident_goes_to_its_own_stream() -> None:
    with_ = {"location": PLACE, "purpose": "unresponsive", "need": "police", "count": 1}
    events = run(roster(), "recommendation.make", with_, "system")
    assert events[0].stream == "recommendations"
    assert only(events, "recommendation.made")["incident"] is None


def test_recommendation_make_refuses_an_unknown_incident() -> None:
    with_ = {
        "incident": "2026-000042",
        "location": PLACE,
        "purpose": "initial",
        "need": "police",
        "count": 1,
    }
    problem = rejection(roster(), "recommendation.make", with_, "system")
    assert (problem.field, problem.code) == ("with.incident", "not_found")


def test_audit_record_journals_the_action_by_its_name() -> None:
    events = run(
        roster(),
        "audit.record",
        {"action": "login_failed", "user": "x", "outcome": "bad password"},
        "system",
    )
    assert types(events) == ["audit.login_failed"]
    assert events[0].stream == "audit:x"


def test_audit_record_refuses_an_unknown_action() -> None:
    problem = rejection(
        roster(), "audit.record", {"action": "hack", "user": "x", "outcome": "y"}, "system"
    )
    assert (problem.field, problem.code) == ("with.action", "invalid")


def test_an_emergency_incident_stays_priority_1() -> None:
    # The safety model: a MAYDAY turned priority 3 became divertible, and two plans
    # then took units from each other without end.
    state, incident = _hopps_on_a_noise_call()
    run(state, "emergency.declare", {"member": "hopps", "location": PLACE})
    problem = rejection(state, "incident.update", {"incident": incident, "priority": 3})
    assert (problem.field, problem.code) == ("with.priority", "conflict")


def test_an_officer_initiated_incident_puts_his_unit_on_scene() -> None:
    # The safety model found the unit left available on its own incident: recommended
    # first for the next call and taken off it without reassign (DOMAIN.md: reassigning
    # is explicit).
    state = roster()
    with_ = {"member": "fangmeyer", "type": "TRAFFIC_STOP", "priority": 4, "location": PLACE}
    events = run(state, "incident.initiate", with_, "officer:fangmeyer")
    mine = only(events, "incident.created")
    status = only(events, "unit.status_changed")
    assert (status["from"], status["to"], status["incident"]) == (
        "available",
        "onscene",
        mine["incident"],
    )
    assert (state.units["ZPD-2"].status, state.units["ZPD-2"].incident) == (
        "onscene",
        mine["incident"],
    )
    other = new_incident(state, "THEFT", 3, offset(0, 500))
    problem = rejection(state, "unit.dispatch", {"incident": other, "units": ["ZPD-2"]})
    assert (problem.field, problem.code) == ("with.units.0", "conflict")
    assert mine["incident"] in problem.reason
    dispatched = only(
        run(state, "unit.dispatch", {"incident": other, "units": ["ZPD-2"], "reassign": True}),
        "unit.dispatched",
    )
    assert dispatched["diverted_from"] == mine["incident"]


def test_a_unit_on_its_own_stop_cannot_log_off_from_it() -> None:
    state = roster()
    with_ = {"member": "fangmeyer", "type": "TRAFFIC_STOP", "priority": 1, "location": PLACE}
    mine = only(run(state, "incident.initiate", with_, "officer:fangmeyer"), "incident.created")
    problem = rejection(state, "shift.end", {"unit": "ZPD-2"})
    assert (problem.field, problem.code) == ("with.unit", "conflict")
    assert mine["incident"] in problem.reason


def test_on_scene_pressed_again_is_contact_not_an_error() -> None:
    state = roster()
    with_ = {"member": "fangmeyer", "type": "TRAFFIC_STOP", "priority": 4, "location": PLACE}
    mine = only(run(state, "incident.initiate", with_, "officer:fangmeyer"), "incident.created")
    again = {"unit": "ZPD-2", "status": "onscene", "incident": mine["incident"]}
    repeat = only(run(state, "unit.status", again, "officer:fangmeyer"), "unit.status_changed")
    assert (repeat["from"], repeat["to"], repeat["incident"]) == (
        "onscene",
        "onscene",
        mine["incident"],
    )
    assert state.units["ZPD-2"].incident == mine["incident"]
