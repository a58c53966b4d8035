"""Tips, calls, incidents, subjects, BOLOs and arrests (``domain/incidents.py``)."""

from __future__ import annotations

from typing import Any

import pytest

from tenfour.domain import Actor, CommandRejected, Context, Event, State, decide
from tenfour.domain.lookup import DuplicateRules
from tenfour.policies import PolicyConfig

from .domain_support import (
    CALLTAKER,
    NOW,
    PLACE,
    SUPERVISOR,
    TOKEN,
    at,
    command,
    new_incident,
    offset,
    only,
    put_on,
    record,
    rejection,
    roster,
    run,
    types,
)

NOISE_CALL: dict[str, Any] = {
    "text": "loud party",
    "type": "noise",
    "priority": 4,
    "location": PLACE,
}


def _tip(state: State, **extra: Any) -> str:
    events = run(state, "tip.submit", {"text": "Night Howlers on Main Street", **extra}, "public")
    return str(only(events, "tip.received")["tip"])


# --- tip.submit ----------------------------------------------------------------------------------
def test_tip_submit_gives_the_tipster_a_tracking_code_from_the_context() -> None:
    state = roster()
    events = run(state, "tip.submit", {"text": "Night Howlers"}, "public", token="K7QX-M2PA-Z9TB")
    assert only(events, "tip.received") == {
        "tip": "T-000001",
        "tracking_code": "K7QX-M2PA-Z9TB",
        "text": "Night Howlers",
        "anonymous": True,
    }
    assert state.tips_by_code["K7QX-M2PA-Z9TB"] == "T-000001"


def test_tip_submit_with_a_contact_is_not_anonymous() -> None:
    state = roster()
    events = run(
        state, "tip.submit", {"text": "x", "contact": "555-0100", "location": PLACE}, "public"
    )
    tip = only(events, "tip.received")
    assert (tip["anonymous"], tip["contact"], tip["location"]) == (False, "555-0100", PLACE)


def test_tips_are_numbered_in_order() -> None:
    state = roster()
    assert [_tip(state), _tip(state)] == ["T-000001", "T-000002"]


def test_tip_submit_refuses_an_address_that_was_not_placed_on_the_map() -> None:
    with_ = {"text": "x", "location": {"address": "behind the old mill"}}
    problem = rejection(roster(), "tip.submit", with_, "public")
    assert (problem.field, problem.code) == ("with.location", "invalid")


def test_tip_submit_refuses_an_empty_text() -> None:
    problem = rejection(roster(), "tip.submit", {"text": ""}, "public")
    assert (problem.field, problem.code) == ("with.text", "invalid")


# --- tip.promote / tip.dismiss -------------------------------------------------------------------
def test_tip_promote_creates_an_incident_from_the_tip() -> None:
    state = roster()
    tip = _tip(state, location=PLACE)
    events = run(state, "tip.promote", {"tip": tip, "type": "drugs", "priority": 2}, CALLTAKER)
    assert only(events, "incident.created") == {
        "incident": "2026-000001",
        "incident_type": "DRUGS",
        "priority": 2,
        "location": PLACE,
        "source": "tip",
        "tip": tip,
        "text": "Night Howlers on Main Street",
    }
    assert (state.tips[tip].status, state.tips[tip].incident) == ("promoted", "2026-000001")
    assert state.incidents["2026-000001"].tip == tip


def test_tip_promote_prefers_the_location_given() -> None:
    state = roster()
    tip = _tip(state, location=PLACE)
    with_ = {"tip": tip, "type": "DRUGS", "priority": 2, "location": offset(100)}
    assert only(run(state, "tip.promote", with_), "incident.created")["location"] == offset(100)


def test_tip_promote_needs_a_location_when_the_tip_has_none() -> None:
    state = roster()
    tip = _tip(state)
    problem = rejection(state, "tip.promote", {"tip": tip, "type": "DRUGS", "priority": 2})
    assert (problem.field, problem.code) == ("with.location", "conflict")


def test_tip_promote_refuses_an_unknown_tip() -> None:
    problem = rejection(
        roster(), "tip.promote", {"tip": "T-000009", "type": "DRUGS", "priority": 2}
    )
    assert (problem.field, problem.code) == ("with.tip", "not_found")


def test_tip_promote_refuses_a_tip_already_promoted() -> None:
    state = roster()
    tip = _tip(state, location=PLACE)
    run(state, "tip.promote", {"tip": tip, "type": "DRUGS", "priority": 2})
    problem = rejection(state, "tip.promote", {"tip": tip, "type": "DRUGS", "priority": 2})
    assert (problem.field, problem.code) == ("with.tip", "conflict")
    assert "promoted" in problem.reason


@pytest.mark.parametrize("priority", [0, 6])
def test_tip_promote_refuses_a_priority_out_of_range(priority: int) -> None:
    state = roster()
    tip = _tip(state, location=PLACE)
    problem = rejection(state, "tip.promote", {"tip": tip, "type": "DRUGS", "priority": priority})
    assert (problem.field, problem.code) == ("with.priority", "invalid")


def test_tip_dismiss_closes_the_tip() -> None:
    state = roster()
    tip = _tip(state)
    events = run(state, "tip.dismiss", {"tip": tip, "reason": "prank"}, CALLTAKER)
    assert only(events, "tip.dismissed") == {"tip": tip, "reason": "prank"}
    assert state.tips[tip].status == "dismissed"


def test_a_dismissed_tip_can_be_neither_dismissed_nor_promoted() -> None:
    state = roster()
    tip = _tip(state, location=PLACE)
    run(state, "tip.dismiss", {"tip": tip})
    assert rejection(state, "tip.dismiss", {"tip": tip}).code == "conflict"
    problem = rejection(state, "tip.promote", {"tip": tip, "type": "DRUGS", "priority": 2})
    assert (problem.field, problem.code) == ("with.tip", "conflict")


def test_tip_dismiss_refuses_an_unknown_tip() -> None:
    problem = rejection(roster(), "tip.dismiss", {"tip": "T-000009"})
    assert (problem.field, problem.code) == ("with.tip", "not_found")


# --- call.create and duplicates ------------------------------------------------------------------
def test_call_create_receives_the_call_and_opens_a_numbered_incident() -> None:
    state = roster()
    events = run(state, "call.create", {**NOISE_CALL, "caller": "Mrs Otterton"}, CALLTAKER)
    assert types(events) == ["call.received", "incident.created"]
    assert only(events, "call.received") == {
        "call": "C-000001",
        "source": "911",
        "text": "loud party",
        "incident_type": "NOISE",
        "priority": 4,
        "location": PLACE,
        "caller": "Mrs Otterton",
    }
    assert only(events, "incident.created") == {
        "incident": "2026-000001",
        "incident_type": "NOISE",
        "priority": 4,
        "location": PLACE,
        "source": "call",
        "call": "C-000001",
        "text": "loud party",
    }
    assert state.incidents["2026-000001"].calls == ["C-000001"]
    assert state.calls["C-000001"].incident == "2026-000001"


def test_a_second_call_close_by_links_to_the_open_incident_with_score_and_reasons() -> None:
    state = roster()
    run(state, "call.create", NOISE_CALL, CALLTAKER)
    events = run(state, "call.create", {**NOISE_CALL, "location": offset(30)}, CALLTAKER, at(120))
    assert types(events) == ["call.received", "incident.linked"]
    linked = only(events, "incident.linked")
    assert (linked["incident"], linked["call"]) == ("2026-000001", "C-000002")
    # 30 m of 150 and 2 min of 30: 0.6 * (1 - 0.2) + 0.4 * (1 - 2/30)
    assert linked["score"] == pytest.approx(0.853, abs=0.002)
    assert linked["reasons"][0] == "same type NOISE"
    assert "30 m" in linked["reasons"][1]
    assert "2.0 min ago" in linked["reasons"][2]
    assert state.incidents["2026-000001"].calls == ["C-000001", "C-000002"]
    assert len(state.incidents) == 1


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"location": offset(400)}, "too far"),
        ({"type": "ASSAULT"}, "another type"),
    ],
)
def test_a_second_call_far_away_or_of_another_type_opens_its_own_incident(
    change: dict[str, Any], why: str
) -> None:
    state = roster()
    run(state, "call.create", NOISE_CALL, CALLTAKER)
    events = run(state, "call.create", {**NOISE_CALL, **change}, CALLTAKER, at(60))
    assert types(events) == ["call.received", "incident.created"], why
    assert only(events, "incident.created")["incident"] == "2026-000002"


def test_a_call_long_after_the_incident_opened_is_not_a_duplicate() -> None:
    state = roster()
    run(state, "call.create", NOISE_CALL, CALLTAKER)
    events = run(state, "call.create", NOISE_CALL, CALLTAKER, at(1801))
    assert "incident.created" in types(events)


def test_a_call_near_a_closed_incident_is_not_a_duplicate() -> None:
    state = roster()
    run(state, "call.create", NOISE_CALL, CALLTAKER)
    run(state, "incident.close", {"incident": "2026-000001", "disposition": "gone"})
    events = run(state, "call.create", NOISE_CALL, CALLTAKER, at(60))
    assert "incident.created" in types(events)


def _call_with_config(
    state: State, with_: dict[str, Any], now: str, config: PolicyConfig | None = None
) -> list[Event]:
    """``call.create`` decided with the duplicate rules the service passes (config)."""
    rules = (config or PolicyConfig()).duplicates.rules()
    ctx = Context(now=now, actor=Actor.parse(CALLTAKER), token=lambda: TOKEN, duplicates=rules)
    events = decide(state, command("call.create", with_, CALLTAKER), ctx)
    recs = record(state, events, at=now, by=Actor.parse(CALLTAKER).by)
    return [Event(r.type, r.stream, r.data) for r in recs]


def test_a_call_at_140_m_and_29_min_links_however_low_it_scores() -> None:
    # Distance and age are the limits the README states; the score only ranks.
    state = roster()
    run(state, "call.create", NOISE_CALL, CALLTAKER)
    events = run(state, "call.create", {**NOISE_CALL, "location": offset(140)}, CALLTAKER, at(1740))
    assert types(events) == ["call.received", "incident.linked"]
    linked = only(events, "incident.linked")
    assert linked["incident"] == "2026-000001"
    # 0.6 * (1 - 140/150) + 0.4 * (1 - 29/30): journaled for ranking, decides nothing.
    assert linked["score"] == pytest.approx(0.053, abs=0.003)


@pytest.mark.parametrize(("metres", "seconds"), [(160, 60), (30, 1860)], ids=["160 m", "31 min"])
def test_a_call_beyond_150_m_or_30_min_opens_its_own_incident(metres: int, seconds: int) -> None:
    state = roster()
    run(state, "call.create", NOISE_CALL, CALLTAKER)
    with_ = {**NOISE_CALL, "location": offset(metres)}
    events = run(state, "call.create", with_, CALLTAKER, at(seconds))
    assert types(events) == ["call.received", "incident.created"]


@pytest.mark.parametrize(("north_m", "incident"), [(140, "2026-000002"), (110, "2026-000001")])
def test_of_two_incidents_in_reach_the_call_links_to_the_best_scored(
    north_m: int, incident: str
) -> None:
    state = roster()
    run(state, "call.create", NOISE_CALL, CALLTAKER)
    run(state, "call.create", {**NOISE_CALL, "location": offset(250)}, CALLTAKER, at(60))
    assert len(state.incidents) == 2
    with_ = {**NOISE_CALL, "location": offset(north_m)}
    events = run(state, "call.create", with_, CALLTAKER, at(90))
    assert only(events, "incident.linked")["incident"] == incident


ASSAULT_CALL: dict[str, Any] = {
    "text": "man hit outside the bar",
    "type": "ASSAULT",
    "priority": 2,
    "location": PLACE,
}


def test_a_fight_call_links_to_an_assault_incident_of_its_family() -> None:
    state = roster()
    _call_with_config(state, ASSAULT_CALL, NOW)
    fight = {**ASSAULT_CALL, "type": "fight", "location": offset(60)}
    events = _call_with_config(state, fight, at(120))
    assert types(events) == ["call.received", "incident.linked"]
    linked = only(events, "incident.linked")
    assert linked["incident"] == "2026-000001"
    assert linked["reasons"][0] == "FIGHT and ASSAULT are both violence"
    # The incident keeps its own type; the call keeps the caller's.
    assert state.incidents["2026-000001"].type == "ASSAULT"
    assert state.calls["C-000002"].type == "FIGHT"


def test_a_theft_call_beside_an_assault_opens_its_own_incident() -> None:
    state = roster()
    _call_with_config(state, ASSAULT_CALL, NOW)
    theft = {**ASSAULT_CALL, "type": "THEFT", "priority": 3, "location": offset(20)}
    events = _call_with_config(state, theft, at(60))
    assert types(events) == ["call.received", "incident.created"]


def test_without_a_family_table_only_the_same_code_is_compatible() -> None:
    rules = DuplicateRules()
    assert rules.compatible("ASSAULT", "ASSAULT") == "same type ASSAULT"
    assert rules.compatible("FIGHT", "ASSAULT") is None


def test_a_family_table_with_a_type_in_two_families_is_rejected_naming_the_field() -> None:
    overrides = {"duplicates": {"families": {"disorder": ["NOISE", "fight"]}}}
    with pytest.raises(CommandRejected) as caught:
        PolicyConfig().with_overrides(overrides)
    (problem,) = caught.value.problems
    assert problem.field == "config.duplicates.families"
    assert "FIGHT is in both violence and disorder" in problem.reason


def test_family_codes_are_upper_cased_like_the_calls() -> None:
    config = PolicyConfig().with_overrides({"duplicates": {"families": {"disorder": ["noise"]}}})
    assert config.duplicates.rules().compatible("NOISE", "NOISE") == "same type NOISE"
    assert config.duplicates.families["disorder"] == ["NOISE"]


def test_a_priority_1_call_linked_into_a_priority_3_incident_raises_it() -> None:
    state = roster()
    incident = new_incident(state, "ASSAULT", 3)
    shots = {**ASSAULT_CALL, "type": "SHOTS", "priority": 1, "location": offset(80)}
    events = _call_with_config(state, shots, at(1200))
    assert types(events) == ["call.received", "incident.linked", "incident.updated"]
    assert only(events, "incident.updated") == {
        "incident": incident,
        "changes": {"priority": 1},
        "before": {"priority": 3},
        "priority": 1,
        "call": "C-000001",
        "reason": "linked call C-000001 is priority 1",
    }
    assert state.incidents[incident].priority == 1


def test_a_priority_4_call_linked_into_a_priority_2_incident_leaves_it_at_2() -> None:
    state = roster()
    incident = new_incident(state, "ASSAULT", 2)
    events = _call_with_config(state, {**ASSAULT_CALL, "priority": 4}, at(60))
    assert types(events) == ["call.received", "incident.linked"]
    assert state.incidents[incident].priority == 2


def test_incident_numbers_restart_each_year() -> None:
    state = roster()
    run(state, "call.create", NOISE_CALL, CALLTAKER)
    events = run(state, "call.create", NOISE_CALL, CALLTAKER, "2027-01-01T00:00:05.000Z")
    assert only(events, "incident.created")["incident"] == "2027-000001"


@pytest.mark.parametrize("priority", [0, 6])
def test_call_create_refuses_a_priority_out_of_range(priority: int) -> None:
    problem = rejection(roster(), "call.create", {**NOISE_CALL, "priority": priority}, CALLTAKER)
    assert (problem.field, problem.code) == ("with.priority", "invalid")


def test_call_create_refuses_an_unknown_field() -> None:
    problem = rejection(roster(), "call.create", {**NOISE_CALL, "colour": "red"}, CALLTAKER)
    assert (problem.field, problem.code) == ("with.colour", "invalid")


def test_call_create_refuses_a_type_code_with_spaces() -> None:
    problem = rejection(roster(), "call.create", {**NOISE_CALL, "type": "loud noise"}, CALLTAKER)
    assert problem.field == "with.type"


# --- incident.create / incident.initiate ---------------------------------------------------------
def test_incident_create_records_the_actor_role_as_source() -> None:
    state = roster()
    with_ = {"type": "theft", "priority": 3, "location": PLACE, "text": "bike stolen"}
    events = run(state, "incident.create", with_, CALLTAKER)
    assert only(events, "incident.created") == {
        "incident": "2026-000001",
        "incident_type": "THEFT",
        "priority": 3,
        "location": PLACE,
        "source": "calltaker",
        "text": "bike stolen",
    }
    assert state.incidents["2026-000001"].open


def test_incident_create_refuses_an_address_that_was_not_placed_on_the_map() -> None:
    with_ = {"type": "THEFT", "priority": 3, "location": {"address": "somewhere downtown"}}
    problem = rejection(roster(), "incident.create", with_, CALLTAKER)
    assert (problem.field, problem.code) == ("with.location", "invalid")


def test_incident_initiate_puts_the_officers_unit_on_the_new_incident() -> None:
    state = roster()
    with_ = {"member": "hopps", "type": "pursuit", "priority": 1, "location": offset(50)}
    events = run(state, "incident.initiate", with_, "officer:hopps")
    created = only(events, "incident.created")
    assert created == {
        "incident": "2026-000001",
        "incident_type": "PURSUIT",
        "priority": 1,
        "location": offset(50),
        "source": "officer",
        "unit": "ZPD-1",
        "member": "hopps",
    }
    assert state.incidents["2026-000001"].units == ["ZPD-1"]
    assert state.units["ZPD-1"].incident == "2026-000001"
    assert state.members["hopps"].incident == "2026-000001"


def test_incident_initiate_by_unit_alone() -> None:
    state = roster()
    with_ = {"unit": "ZPD-2", "type": "TRAFFIC", "priority": 4, "location": PLACE}
    created = only(run(state, "incident.initiate", with_, "officer:fangmeyer"), "incident.created")
    assert created["unit"] == "ZPD-2"
    assert "member" not in created


def test_incident_initiate_refuses_a_member_off_duty() -> None:
    with_ = {"member": "trunkaby", "type": "TRAFFIC", "priority": 4, "location": PLACE}
    problem = rejection(roster(), "incident.initiate", with_)
    assert (problem.field, problem.code) == ("with.member", "conflict")


def test_incident_initiate_refuses_a_member_not_on_the_unit_given() -> None:
    with_ = {
        "member": "hopps",
        "unit": "ZPD-2",
        "type": "TRAFFIC",
        "priority": 4,
        "location": PLACE,
    }
    problem = rejection(roster(), "incident.initiate", with_)
    assert (problem.field, problem.code) == ("with.unit", "conflict")


def test_incident_initiate_refuses_an_unknown_member() -> None:
    with_ = {"member": "nobody", "type": "TRAFFIC", "priority": 4, "location": PLACE}
    problem = rejection(roster(), "incident.initiate", with_)
    assert (problem.field, problem.code) == ("with.member", "not_found")


# --- incident.update / note / unlink / close -----------------------------------------------------
def test_incident_update_records_changes_and_what_they_replaced() -> None:
    state = roster()
    incident = new_incident(state)
    with_ = {"incident": incident, "type": "assault", "priority": 2, "location": offset(10)}
    updated = only(run(state, "incident.update", with_), "incident.updated")
    assert updated["changes"] == {"incident_type": "ASSAULT", "priority": 2, "location": offset(10)}
    assert updated["before"] == {"incident_type": "NOISE", "priority": 4, "location": PLACE}
    assert (updated["incident_type"], updated["priority"]) == ("ASSAULT", 2)
    now = state.incidents[incident]
    assert (now.type, now.priority, now.location) == ("ASSAULT", 2, offset(10))


def test_incident_update_that_changes_nothing_is_refused() -> None:
    state = roster()
    incident = new_incident(state)
    problem = rejection(
        state, "incident.update", {"incident": incident, "priority": 4, "type": "noise"}
    )
    assert (problem.field, problem.code) == ("with", "conflict")


def test_incident_update_to_the_same_location_changes_nothing_and_is_refused() -> None:
    state = roster()
    incident = new_incident(state)
    problem = rejection(state, "incident.update", {"incident": incident, "location": PLACE})
    assert (problem.field, problem.code) == ("with", "conflict")


def test_incident_update_needs_at_least_one_change() -> None:
    state = roster()
    problem = rejection(state, "incident.update", {"incident": new_incident(state)})
    assert (problem.field, problem.code) == ("with", "invalid")


def test_incident_update_refuses_a_closed_incident() -> None:
    state = roster()
    incident = new_incident(state)
    run(state, "incident.close", {"incident": incident, "disposition": "gone"})
    problem = rejection(state, "incident.update", {"incident": incident, "priority": 1})
    assert (problem.field, problem.code) == ("with.incident", "conflict")


def test_incident_update_refuses_an_unknown_incident() -> None:
    problem = rejection(roster(), "incident.update", {"incident": "2026-000042", "priority": 1})
    assert (problem.field, problem.code) == ("with.incident", "not_found")


@pytest.mark.parametrize("priority", [0, 6])
def test_incident_update_refuses_a_priority_out_of_range(priority: int) -> None:
    state = roster()
    problem = rejection(
        state, "incident.update", {"incident": new_incident(state), "priority": priority}
    )
    assert (problem.field, problem.code) == ("with.priority", "invalid")


def test_incident_note_records_the_text_even_after_close() -> None:
    state = roster()
    incident = new_incident(state)
    run(state, "incident.close", {"incident": incident, "disposition": "gone"})
    events = run(
        state,
        "incident.note",
        {"incident": incident, "text": "caller called back"},
        "officer:hopps",
    )
    assert only(events, "incident.noted") == {"incident": incident, "text": "caller called back"}


def test_incident_note_refuses_an_unknown_incident() -> None:
    problem = rejection(roster(), "incident.note", {"incident": "2026-000042", "text": "x"})
    assert (problem.field, problem.code) == ("with.incident", "not_found")


def test_incident_unlink_turns_the_linked_call_into_an_incident_of_its_own() -> None:
    state = roster()
    run(state, "call.create", NOISE_CALL, CALLTAKER)
    run(state, "call.create", {**NOISE_CALL, "text": "music"}, CALLTAKER)
    events = run(state, "incident.unlink", {"incident": "2026-000001", "call": "C-000002"})
    assert types(events) == ["incident.unlinked", "incident.created"]
    assert only(events, "incident.unlinked") == {
        "incident": "2026-000001",
        "call": "C-000002",
        "new_incident": "2026-000002",
    }
    created = only(events, "incident.created")
    assert (created["incident"], created["call"], created["text"]) == (
        "2026-000002",
        "C-000002",
        "music",
    )
    assert state.incidents["2026-000001"].calls == ["C-000001"]
    assert state.calls["C-000002"].incident == "2026-000002"


def test_incident_unlink_refuses_a_call_not_linked_to_the_incident() -> None:
    state = roster()
    run(state, "call.create", NOISE_CALL, CALLTAKER)
    problem = rejection(state, "incident.unlink", {"incident": "2026-000001", "call": "C-000009"})
    assert (problem.field, problem.code) == ("with.call", "conflict")


def test_incident_unlink_refuses_an_unknown_incident() -> None:
    problem = rejection(
        roster(), "incident.unlink", {"incident": "2026-000042", "call": "C-000001"}
    )
    assert (problem.field, problem.code) == ("with.incident", "not_found")


def test_incident_close_clears_every_unit_still_on_it() -> None:
    state = roster()
    incident = new_incident(state)
    put_on(state, "ZPD-2", incident, "onscene")
    put_on(state, "ZPD-3", incident, "dispatched")
    events = run(state, "incident.close", {"incident": incident, "disposition": "report"})
    assert types(events) == ["incident.closed", "unit.status_changed", "unit.status_changed"]
    assert only(events, "incident.closed") == {
        "incident": incident,
        "disposition": "REPORT",
        "units": ["ZPD-2", "ZPD-3"],
    }
    changes = {e.data["unit"]: (e.data["from"], e.data["to"]) for e in events[1:]}
    assert changes == {"ZPD-2": ("onscene", "available"), "ZPD-3": ("dispatched", "available")}
    assert all(e.data["incident"] == incident for e in events[1:])
    closed = state.incidents[incident]
    assert (closed.status, closed.disposition, closed.units) == ("closed", "REPORT", [])
    for unit in ("ZPD-2", "ZPD-3"):
        assert (state.units[unit].status, state.units[unit].incident) == ("available", None)


def test_incident_close_refuses_an_incident_already_closed() -> None:
    state = roster()
    incident = new_incident(state)
    run(state, "incident.close", {"incident": incident, "disposition": "gone"})
    problem = rejection(state, "incident.close", {"incident": incident, "disposition": "gone"})
    assert (problem.field, problem.code) == ("with.incident", "conflict")


def test_incident_close_refuses_an_unknown_incident() -> None:
    problem = rejection(roster(), "incident.close", {"incident": "2026-000042", "disposition": "x"})
    assert (problem.field, problem.code) == ("with.incident", "not_found")


# --- subjects, BOLOs, arrests --------------------------------------------------------------------
def test_subject_add_numbers_the_subject_on_the_incident() -> None:
    state = roster()
    incident = new_incident(state)
    with_ = {"incident": incident, "role": "suspect", "description": "black fox"}
    events = run(state, "subject.add", with_, "officer:hopps")
    assert only(events, "subject.added") == {
        "subject": "S-000001",
        "incident": incident,
        "role": "suspect",
        "description": "black fox",
    }
    assert state.incidents[incident].subjects == ["S-000001"]


def test_subject_add_refuses_an_unknown_incident() -> None:
    with_ = {"incident": "2026-000042", "role": "suspect", "description": "x"}
    problem = rejection(roster(), "subject.add", with_)
    assert (problem.field, problem.code) == ("with.incident", "not_found")


def test_subject_add_refuses_an_unknown_role() -> None:
    state = roster()
    with_ = {"incident": new_incident(state), "role": "bystander", "description": "x"}
    problem = rejection(state, "subject.add", with_)
    assert (problem.field, problem.code) == ("with.role", "invalid")


def test_bolo_issue_from_a_subject_copies_its_description() -> None:
    state = roster()
    incident = new_incident(state)
    run(state, "subject.add", {"incident": incident, "role": "suspect", "description": "black fox"})
    with_ = {"subject": "S-000001", "area": "Main St", "expires": "2026-03-14T21:00:00Z"}
    issued = only(run(state, "bolo.issue", with_), "bolo.issued")
    assert issued == {
        "bolo": "B-000001",
        "subject": "S-000001",
        "description": "black fox",
        "area": "Main St",
        "expires": "2026-03-14T21:00:00Z",
    }
    assert state.bolos["B-000001"].active


def test_bolo_issue_refuses_an_unknown_subject() -> None:
    problem = rejection(roster(), "bolo.issue", {"subject": "S-000009"})
    assert (problem.field, problem.code) == ("with.subject", "not_found")


def test_bolo_issue_refuses_a_bad_expiry_time() -> None:
    problem = rejection(roster(), "bolo.issue", {"description": "fox", "expires": "tonight"})
    assert (problem.field, problem.code) == ("with.expires", "invalid")


def test_bolo_issue_refuses_an_unknown_incident() -> None:
    problem = rejection(roster(), "bolo.issue", {"description": "fox", "incident": "2026-000042"})
    assert (problem.field, problem.code) == ("with.incident", "not_found")


def test_bolo_issue_needs_a_subject_or_a_description() -> None:
    problem = rejection(roster(), "bolo.issue", {"area": "Main St"})
    assert (problem.field, problem.code) == ("with", "invalid")


def test_bolo_cancel_deactivates_the_bolo_once() -> None:
    state = roster()
    run(state, "bolo.issue", {"description": "fox"})
    assert only(run(state, "bolo.cancel", {"bolo": "B-000001"}), "bolo.cancelled") == {
        "bolo": "B-000001"
    }
    assert not state.bolos["B-000001"].active
    problem = rejection(state, "bolo.cancel", {"bolo": "B-000001"})
    assert (problem.field, problem.code) == ("with.bolo", "conflict")


def test_bolo_cancel_refuses_an_unknown_bolo() -> None:
    problem = rejection(roster(), "bolo.cancel", {"bolo": "B-000009"})
    assert (problem.field, problem.code) == ("with.bolo", "not_found")


def test_arrest_record_with_an_inline_subject_adds_the_subject_first() -> None:
    state = roster()
    incident = new_incident(state)
    with_ = {
        "incident": incident,
        "subject": {"description": "Duke Weaselton"},
        "charges": ["theft"],
    }
    events = run(state, "arrest.record", with_, "officer:hopps")
    assert types(events) == ["subject.added", "arrest.recorded"]
    assert only(events, "subject.added") == {
        "subject": "S-000001",
        "incident": incident,
        "role": "suspect",
        "description": "Duke Weaselton",
    }
    assert only(events, "arrest.recorded") == {
        "incident": incident,
        "subject": "S-000001",
        "charges": ["theft"],
        "members": ["hopps"],  # the arresting officer, when none is named
    }


def test_arrest_record_of_a_known_subject_adds_no_subject() -> None:
    state = roster()
    incident = new_incident(state)
    run(state, "subject.add", {"incident": incident, "role": "suspect", "description": "weasel"})
    with_ = {
        "incident": incident,
        "subject": {"id": "S-000001"},
        "charges": ["theft"],
        "members": ["hopps", "wilde"],
    }
    events = run(state, "arrest.record", with_, SUPERVISOR)
    assert types(events) == ["arrest.recorded"]
    assert only(events, "arrest.recorded")["members"] == ["hopps", "wilde"]


def test_arrest_record_refuses_an_unknown_subject() -> None:
    state = roster()
    with_ = {"incident": new_incident(state), "subject": {"id": "S-000009"}, "charges": ["theft"]}
    problem = rejection(state, "arrest.record", with_, SUPERVISOR)
    assert (problem.field, problem.code) == ("with.subject.id", "not_found")


def test_arrest_record_refuses_an_unknown_member() -> None:
    state = roster()
    with_ = {
        "incident": new_incident(state),
        "subject": {"description": "weasel"},
        "charges": ["theft"],
        "members": ["hopps", "nobody"],
    }
    problem = rejection(state, "arrest.record", with_, SUPERVISOR)
    assert (problem.field, problem.code) == ("with.members.1", "not_found")


def test_arrest_record_refuses_an_unknown_incident() -> None:
    with_ = {"incident": "2026-000042", "subject": {"description": "weasel"}, "charges": ["theft"]}
    problem = rejection(roster(), "arrest.record", with_, "officer:hopps")
    assert (problem.field, problem.code) == ("with.incident", "not_found")


def test_arrest_record_needs_a_charge() -> None:
    state = roster()
    with_ = {"incident": new_incident(state), "subject": {"description": "weasel"}, "charges": []}
    problem = rejection(state, "arrest.record", with_, "officer:hopps")
    assert (problem.field, problem.code) == ("with.charges", "invalid")
