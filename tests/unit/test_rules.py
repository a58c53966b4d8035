"""The rule tables of ``domain/rules.py`` hold in ``decide``: who may issue each command,
officers limited to their own unit and status, and the allowed status transitions."""

from __future__ import annotations

from typing import Any

import pytest

from tenfour.domain import COMMANDS, CommandRejected, State, decide
from tenfour.domain.decide import HANDLERS
from tenfour.domain.events import EVENTS
from tenfour.domain.rules import (
    DISPATCHABLE,
    MEMBER_TRANSITIONS,
    PERMISSIONS,
    REPEATABLE,
    UNIT_ON_INCIDENT,
    UNIT_TRANSITIONS,
)
from tenfour.domain.values import MEMBER_STATUSES, ROLES, UNIT_STATUSES

from .domain_support import (
    BUSY,
    DISPATCHER,
    HOSPITAL,
    OFF_DUTY_UNIT,
    PLACE,
    busy_desk,
    command,
    context,
    new_incident,
    offset,
    only,
    put_on,
    rejection,
    roster,
    run,
    unplaced_emergency,
)

# One valid payload per command, acceptable on ``busy_desk()`` by ``ACTOR_FOR`` below.
SAMPLES: dict[str, dict[str, Any]] = {
    "road.close": {"segments": [7], "factor": 2.0, "reason": "roadworks"},
    "road.reopen": {"closure": BUSY.closure},
    "message.send": {"to": "unit", "unit": "ZPD-1", "text": "call the station"},
    "message.deliver": {"message": BUSY.message},
    "message.read": {"message": BUSY.message},
    "facility.status": {"facility": HOSPITAL, "state": "diversion", "services": ["trauma"]},
    "agency.register": {"id": "ZAS", "kind": "fire", "name": "Zootopia Fire"},
    "facility.register": {"id": "ZJL", "kind": "jail", "name": "City Jail", "location": PLACE},
    "member.register": {"id": "finnick", "name": "Finnick", "agency": "ZPD"},
    "unit.register": {"id": "ZPD-10", "agency": "ZPD", "kind": "patrol", "home": PLACE},
    "shift.start": {"unit": OFF_DUTY_UNIT, "members": ["trunkaby"], "location": PLACE},
    "shift.end": {"unit": "ZPD-6"},
    "tip.submit": {"text": "someone is selling Night Howlers", "location": PLACE},
    "tip.promote": {"tip": BUSY.tip, "type": "DRUGS", "priority": 2, "location": PLACE},
    "tip.dismiss": {"tip": BUSY.tip, "reason": "prank"},
    "call.create": {"text": "car crash", "type": "CRASH", "priority": 2, "location": PLACE},
    "incident.create": {"type": "THEFT", "priority": 3, "location": PLACE},
    "incident.initiate": {"member": "hopps", "type": "TRAFFIC", "priority": 4, "location": PLACE},
    "incident.import": {
        "type": "ASSAULT",
        "priority": 2,
        "location": PLACE,
        "origin": {"center": "psap.example.org", "incident": "urn:emergency:uid:incidentid:1"},
        "subjects": [{"role": "victim", "description": "a man, 40s"}],
        "notes": ["transferred: caller crossed the county line"],
    },
    "incident.update": {"incident": BUSY.incident, "priority": 3},
    "incident.note": {"incident": BUSY.incident, "text": "music turned down"},
    "incident.unlink": {"incident": BUSY.incident, "call": BUSY.linked_call},
    "incident.close": {"incident": BUSY.incident, "disposition": "report"},
    "unit.dispatch": {"incident": BUSY.incident, "units": ["ZPD-3"], "mode": "routine"},
    "unit.status": {"unit": "ZPD-2", "status": "busy"},
    "unit.locate": {"unit": "ZPD-2", "lat": 37.79, "lon": -122.41, "speed": 12.5},
    "member.locate": {"member": "fangmeyer", "lat": 37.79, "lon": -122.41},
    "member.status": {"member": "fangmeyer", "status": "away", "text": "coffee"},
    "member.checkin": {"member": "fangmeyer"},
    "backup.request": {"incident": BUSY.incident, "unit": "ZPD-2", "urgency": "urgent"},
    "emergency.declare": {"member": "wilde", "text": "officer down"},
    "emergency.clear": {"emergency": BUSY.emergency},
    "alert.acknowledge": {"alert": BUSY.alert},
    "alert.raise": {"kind": "status_check_overdue", "member": "hopps"},
    "alert.resolve": {"alert": BUSY.alert, "reason": "condition ended"},
    "emergency.locate": {"emergency": "E-000002", "location": PLACE},
    "recommendation.make": {
        "incident": BUSY.incident,
        "location": PLACE,
        "purpose": "initial",
        "need": "police",
        "count": 1,
    },
    "subject.add": {"incident": BUSY.incident, "role": "suspect", "description": "a weasel"},
    "bolo.issue": {"subject": BUSY.subject, "area": "Main St"},
    "bolo.cancel": {"bolo": BUSY.bolo},
    "arrest.record": {
        "incident": BUSY.incident,
        "subject": {"description": "Duke Weaselton"},
        "charges": ["theft"],
    },
    "transport.start": {
        "unit": "M-51",
        "patient": {"description": "adult female"},
        "destination": HOSPITAL,
    },
    "transport.arrive": {"unit": "M-52"},
    "audit.record": {"action": "login", "user": "clawhauser", "outcome": "ok"},
}

ACTOR_IDS = {
    "public": "public",
    "officer": "officer:hopps",
    "calltaker": "calltaker:ursula",
    "dispatcher": DISPATCHER,
    "supervisor": "supervisor:bogo",
    "admin": "admin:root",
    "analyst": "analyst:priscilla",
    "hospital": "hospital:ZGH",
    "system": "system",
}


def _actor_for(do: str) -> str:
    """A desk role allowed to issue ``do`` (desk roles need not own the unit)."""
    for role in ("dispatcher", "supervisor", "admin", "system"):
        if role in PERMISSIONS[do]:
            return ACTOR_IDS[role]
    raise AssertionError(f"no desk role may issue {do}")


# Ids in a command that its events must carry under the same name (DOMAIN.md).
ID_FIELDS = ("incident", "unit", "member", "tip", "alert", "emergency", "bolo", "call")


def test_every_command_has_a_handler_a_permission_row_and_a_sample() -> None:
    assert set(HANDLERS) == set(COMMANDS)
    assert set(PERMISSIONS) == set(COMMANDS)
    assert set(SAMPLES) == set(COMMANDS)


def test_every_role_in_the_permission_table_exists() -> None:
    for do, roles in PERMISSIONS.items():
        assert set(roles) <= set(ROLES), do


@pytest.mark.parametrize("do", sorted(COMMANDS))
def test_every_command_is_accepted_with_events_carrying_its_ids(do: str) -> None:
    state = busy_desk()
    if do == "emergency.locate":
        assert unplaced_emergency(state) == SAMPLES[do]["emergency"]
    events = run(state, do, SAMPLES[do], _actor_for(do))
    assert events, f"{do} yielded no event"
    for event in events:
        assert EVENTS[event.type] <= event.data.keys()
    for name in ID_FIELDS:
        value = SAMPLES[do].get(name)
        if value is not None:
            assert any(e.data.get(name) == value for e in events), f"{do}: no event has {name}"


@pytest.mark.parametrize(
    ("do", "role"),
    [(do, role) for do in sorted(COMMANDS) for role in ROLES if role not in PERMISSIONS[do]],
)
def test_a_role_not_in_the_table_is_forbidden(do: str, role: str) -> None:
    problem = rejection(busy_desk(), do, SAMPLES[do], ACTOR_IDS[role])
    assert (problem.field, problem.code) == ("do", "forbidden")
    assert problem.allowed == PERMISSIONS[do]


@pytest.mark.parametrize(
    ("do", "role"),
    [(do, role) for do in sorted(COMMANDS) for role in PERMISSIONS[do]],
)
def test_a_role_in_the_table_is_never_refused_for_its_role(do: str, role: str) -> None:
    state = busy_desk()
    try:
        decide(state, command(do, SAMPLES[do], ACTOR_IDS[role]), context(ACTOR_IDS[role]))
    except CommandRejected as rejected:  # other rules may still apply (own unit, ...)
        assert all(p.field != "do" for p in rejected.problems), rejected


# --- officers act for themselves ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("do", "with_", "field"),
    [
        ("unit.status", {"unit": "ZPD-2", "status": "busy"}, "with.unit"),
        ("unit.locate", {"unit": "ZPD-2", "lat": 37.79, "lon": -122.41}, "with.unit"),
        ("shift.end", {"unit": "ZPD-2"}, "with.unit"),
        ("member.status", {"member": "fangmeyer", "status": "away"}, "with.member"),
        ("member.checkin", {"member": "fangmeyer"}, "with.member"),
        ("member.checkin", {"unit": "ZPD-2"}, "with.unit"),
        ("member.locate", {"member": "fangmeyer", "lat": 37.79, "lon": -122.41}, "with.member"),
        ("backup.request", {"incident": BUSY.incident, "member": "fangmeyer"}, "with.member"),
        ("incident.initiate", {"member": "fangmeyer", **SAMPLES["incident.create"]}, "with.member"),
    ],
)
def test_an_officer_may_not_act_for_another_officer(
    do: str, with_: dict[str, Any], field: str
) -> None:
    problem = rejection(busy_desk(), do, with_, "officer:hopps")
    assert (problem.field, problem.code) == (field, "forbidden")


def test_an_officer_may_not_start_a_transport_for_another_unit() -> None:
    problem = rejection(busy_desk(), "transport.start", SAMPLES["transport.start"], "officer:hopps")
    assert (problem.field, problem.code) == ("with.unit", "forbidden")


def test_an_officer_may_not_start_a_shift_without_himself() -> None:
    with_ = {"unit": OFF_DUTY_UNIT, "members": ["trunkaby"]}
    problem = rejection(roster(), "shift.start", with_, "officer:hopps")
    assert (problem.field, problem.code) == ("with.members", "forbidden")


def test_an_officer_acts_for_his_own_unit_and_status() -> None:
    state = roster()
    run(state, "unit.status", {"unit": "ZPD-1", "status": "busy"}, "officer:wilde")
    run(state, "member.status", {"member": "wilde", "status": "away"}, "officer:wilde")
    run(state, "member.checkin", {"unit": "ZPD-1"}, "officer:hopps")
    assert state.units["ZPD-1"].status == "busy"
    assert state.members["wilde"].status == "away"


def test_an_officer_may_declare_an_emergency_for_his_partner() -> None:
    state = roster()
    events = run(state, "emergency.declare", {"member": "hopps"}, "officer:wilde")
    assert only(events, "emergency.declared")["member"] == "hopps"
    assert state.members["hopps"].status == "down"


def test_an_officer_may_transport_with_his_own_ambulance() -> None:
    state = roster()
    incident = new_incident(state, "MEDICAL", 2)
    put_on(state, "M-51", incident)
    run(state, "transport.start", SAMPLES["transport.start"], "officer:medic1")
    assert state.units["M-51"].status == "transporting"


# --- unit status transitions ---------------------------------------------------------------------
def _unit_in(status: str) -> tuple[State, str]:
    """The roster with ZPD-2 in ``status``, reached through real commands, and the
    incident it works (a priority-4 noise call at PLACE)."""
    state = roster()
    incident = new_incident(state)
    unit = "ZPD-2"
    if status in ("dispatched", "enroute", "onscene", "pursuit", "transporting"):
        put_on(state, unit, incident, status)
    elif status == "athospital":
        put_on(state, unit, incident, "transporting")
        run(state, "transport.arrive", {"unit": unit, "destination": HOSPITAL})
    elif status in ("busy", "outofservice"):
        run(state, "unit.status", {"unit": unit, "status": status})
    elif status == "offduty":
        run(state, "shift.end", {"unit": unit})
    assert state.units[unit].status == status
    return state, incident


@pytest.mark.parametrize(("from_", "to"), [(a, b) for a in UNIT_STATUSES for b in UNIT_STATUSES])
def test_unit_status_change_is_accepted_iff_the_table_allows_it(from_: str, to: str) -> None:
    state, incident = _unit_in(from_)
    with_: dict[str, Any] = {"unit": "ZPD-2", "status": to}
    if to in UNIT_ON_INCIDENT:
        with_["incident"] = incident
    if to in UNIT_TRANSITIONS[from_] or (from_ == to and to in REPEATABLE):
        # The same status again is a repeat: contact, journaled with from == to.
        event = only(run(state, "unit.status", with_), "unit.status_changed")
        assert (event["from"], event["to"]) == (from_, to)
        assert state.units["ZPD-2"].status == to
    elif from_ == "offduty":
        problem = rejection(state, "unit.status", with_)
        assert (problem.field, problem.code) == ("with.unit", "conflict")
    else:
        problem = rejection(state, "unit.status", with_)
        assert (problem.field, problem.code) == ("with.status", "transition")
        assert problem.allowed == UNIT_TRANSITIONS[from_]


def test_dispatched_and_offduty_are_never_reached_by_unit_status() -> None:
    for allowed in UNIT_TRANSITIONS.values():
        assert "dispatched" not in allowed
        assert "offduty" not in allowed


@pytest.mark.parametrize("from_", UNIT_STATUSES)
def test_unit_dispatch_is_accepted_iff_the_unit_is_dispatchable(from_: str) -> None:
    state, _ = _unit_in(from_)
    other = new_incident(state, "THEFT", 3, offset(0, 500))
    with_: dict[str, Any] = {"incident": other, "units": ["ZPD-2"]}
    on_another = state.units["ZPD-2"].incident is not None
    if from_ in DISPATCHABLE and on_another:
        # Reassigning is explicit (DOMAIN.md "Officer safety").
        problem = rejection(state, "unit.dispatch", with_)
        assert (problem.field, problem.code) == ("with.units.0", "conflict")
        assert "reassign" in problem.reason and str(state.units["ZPD-2"].incident) in problem.reason
        dispatched = only(
            run(state, "unit.dispatch", {**with_, "reassign": True}), "unit.dispatched"
        )
        assert dispatched["from"] == from_ and dispatched["reassign"] is True
    elif from_ in DISPATCHABLE:
        assert only(run(state, "unit.dispatch", with_), "unit.dispatched")["from"] == from_
    elif from_ == "offduty":
        assert rejection(state, "unit.dispatch", with_).code == "conflict"
    else:
        problem = rejection(state, "unit.dispatch", with_)
        assert (problem.field, problem.code) == ("with.units.0", "transition")
        assert set(problem.allowed) == DISPATCHABLE


# --- member status transitions -------------------------------------------------------------------
def _member_in(status: str) -> State:
    """The roster with hopps (or, off duty, trunkaby) in ``status``."""
    state = roster()
    if status in ("away", "onscene", "pursuit"):
        run(state, "member.status", {"member": "hopps", "status": status}, "officer:hopps")
    elif status == "down":
        run(state, "emergency.declare", {"member": "hopps"}, "officer:wilde")
    member = "trunkaby" if status == "offduty" else "hopps"
    assert state.members[member].status == status
    return state


@pytest.mark.parametrize(
    ("from_", "to"), [(a, b) for a in MEMBER_STATUSES for b in MEMBER_STATUSES]
)
def test_member_status_change_is_accepted_iff_the_table_allows_it(from_: str, to: str) -> None:
    state = _member_in(from_)
    member = "trunkaby" if from_ == "offduty" else "hopps"
    with_ = {"member": member, "status": to}
    if to in MEMBER_TRANSITIONS[from_]:
        event = only(
            run(state, "member.status", with_, f"officer:{member}"), "member.status_changed"
        )
        assert (event["from"], event["to"]) == (from_, to)
    elif from_ == "offduty":
        problem = rejection(state, "member.status", with_, f"officer:{member}")
        assert (problem.field, problem.code) == ("with.member", "conflict")
    else:
        problem = rejection(state, "member.status", with_, f"officer:{member}")
        assert (problem.field, problem.code) == ("with.status", "transition")
        if to != "down":  # down has its own command, named in the reason
            assert problem.allowed == MEMBER_TRANSITIONS[from_]


def test_down_is_reached_only_through_emergency_declare() -> None:
    problem = rejection(
        roster(), "member.status", {"member": "hopps", "status": "down"}, "officer:hopps"
    )
    assert (problem.field, problem.code) == ("with.status", "transition")
    assert "emergency.declare" in problem.reason
    assert all("down" not in allowed for allowed in MEMBER_TRANSITIONS.values())


def test_a_transition_rejection_says_what_is_allowed() -> None:
    state = roster()
    with pytest.raises(CommandRejected) as caught:
        decide(state, command("unit.status", {"unit": "ZPD-2", "status": "athospital"}), context())
    assert caught.value.code == "transition"
    assert caught.value.problems[0].as_dict() == {
        "field": "with.status",
        "reason": "unit ZPD-2 cannot go from available to athospital",
        "code": "transition",
        "allowed": list(UNIT_TRANSITIONS["available"]),
    }
    assert "allowed: enroute, onscene, busy, outofservice" in str(caught.value)


def test_unit_statuses_on_an_incident_are_not_reachable_without_one() -> None:
    problem = rejection(roster(), "unit.status", {"unit": "ZPD-2", "status": "enroute"})
    assert (problem.field, problem.code) == ("with.incident", "conflict")
