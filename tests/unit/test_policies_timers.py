"""Status-check timers (``policies/timers.py``): who must make contact by when, and the
alerts owed when they don't. Times are seconds after the story's 0:00."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tenfour.domain import CommandRejected, evolve
from tenfour.policies import PolicyConfig, Watches

from .domain_support import Desk, moment, roster


def _kinds(due: list[dict[str, Any]]) -> list[str]:
    return [a["kind"] for a in due]


def _in_pursuit(config: PolicyConfig | None = None) -> Desk:
    """hopps goes into a foot pursuit at 0:00."""
    desk = Desk(config=config)
    desk.run("member.status", {"member": "hopps", "status": "pursuit"}, "officer:hopps", now=0)
    return desk


# --- pursuit: 60 s, then 120 s, then silence until contact ---------------------------------------
def test_a_member_in_pursuit_is_overdue_after_60_s() -> None:
    desk = _in_pursuit()
    assert desk.due(59.9) == []
    assert desk.due(60) == [
        {
            "kind": "status_check_overdue",
            "severity": "normal",
            "member": "hopps",
            "unit": "ZPD-1",
            "text": "no contact from hopps for 60 s",
        }
    ]


def test_a_second_missed_interval_makes_the_member_unresponsive() -> None:
    desk = _in_pursuit()
    desk.tick(60)
    assert desk.due(119) == []
    [alert] = desk.due(120)
    assert (alert["kind"], alert["severity"], alert["member"]) == (
        "member_unresponsive",
        "high",
        "hopps",
    )
    assert alert["text"] == "no contact from hopps for 120 s"


def test_after_unresponsive_nothing_more_is_raised_until_contact() -> None:
    desk = _in_pursuit()
    desk.tick(60)
    desk.tick(120)
    assert desk.due(10_000) == []
    assert desk.watches.next_due() is None


def test_timer_alerts_are_journaled_by_system_once_each() -> None:
    desk = _in_pursuit()
    raised = desk.tick(60) + desk.tick(60) + desk.tick(120) + desk.tick(180)
    assert [(r.type, r.by, r.data["kind"]) for r in raised] == [
        ("alert.raised", "system", "status_check_overdue"),
        ("alert.raised", "system", "member_unresponsive"),
    ]


# --- contact -------------------------------------------------------------------------------------
def test_a_check_in_resets_the_clock() -> None:
    desk = _in_pursuit()
    desk.run("member.checkin", {"member": "hopps"}, "officer:hopps", now=45)
    assert desk.due(104) == []
    assert _kinds(desk.due(105)) == ["status_check_overdue"]


def test_contact_after_unresponsive_rearms_from_the_first_interval() -> None:
    desk = _in_pursuit()
    desk.tick(60)
    desk.tick(120)
    desk.run("member.checkin", {"member": "hopps"}, "officer:hopps", now=200)
    assert desk.due(259) == []
    assert _kinds(desk.due(260)) == ["status_check_overdue"]


def test_any_event_by_the_member_himself_is_contact() -> None:
    desk = _in_pursuit()
    incident = desk.new_incident()
    desk.run(
        "incident.note",
        {"incident": incident, "text": "suspect went left"},
        "officer:hopps",
        now=50,
    )
    assert desk.due(109) == []
    assert _kinds(desk.due(110)) == ["status_check_overdue"]


def test_a_check_in_confirmed_by_the_desk_is_contact() -> None:
    desk = _in_pursuit()
    desk.run("member.checkin", {"member": "hopps", "text": "by radio"}, now=30)
    assert desk.due(89) == []


def test_automatic_positions_are_not_contact() -> None:
    desk = _in_pursuit()
    desk.run(
        "member.locate",
        {"member": "hopps", "lat": 37.791, "lon": -122.401},
        "officer:hopps",
        now=30,
    )
    desk.run("unit.locate", {"unit": "ZPD-1", "lat": 37.791, "lon": -122.401}, "system", now=40)
    assert _kinds(desk.due(60)) == ["status_check_overdue"]


def test_a_partners_actions_are_not_the_members_contact() -> None:
    desk = _in_pursuit()
    desk.run("member.checkin", {"member": "wilde"}, "officer:wilde", now=30)
    assert _kinds(desk.due(60)) == ["status_check_overdue"]


def test_leaving_pursuit_ends_the_watch() -> None:
    desk = _in_pursuit()
    desk.run("member.status", {"member": "hopps", "status": "with_unit"}, "officer:hopps", now=30)
    assert desk.due(10_000) == []


def test_an_emergency_for_the_member_ends_his_status_checks() -> None:
    desk = _in_pursuit()
    desk.run("emergency.declare", {"member": "hopps"}, "officer:wilde", now=30)
    assert [a for a in desk.due(10_000) if a.get("member") == "hopps"] == []


def test_logging_off_ends_the_watches_of_the_unit_and_its_members() -> None:
    desk = _in_pursuit()
    desk.run("shift.end", {"unit": "ZPD-1"}, now=30)
    assert desk.due(10_000) == []


# --- on scene: 10 minutes ------------------------------------------------------------------------
def test_a_unit_on_scene_is_overdue_after_ten_minutes() -> None:
    desk = Desk()
    incident = desk.new_incident()
    desk.run("unit.dispatch", {"incident": incident, "units": ["ZPD-2"]}, now=0)
    desk.run("unit.status", {"unit": "ZPD-2", "status": "onscene"}, "officer:fangmeyer", now=0)
    assert desk.due(599) == []
    assert desk.due(600) == [
        {
            "kind": "status_check_overdue",
            "severity": "normal",
            "unit": "ZPD-2",
            "incident": incident,
            "text": "no contact from ZPD-2 for 600 s",
        }
    ]


def test_a_member_of_the_unit_acting_is_the_units_contact() -> None:
    desk = Desk()
    incident = desk.new_incident()
    desk.put_on("ZPD-2", incident, "dispatched")
    desk.run("unit.status", {"unit": "ZPD-2", "status": "onscene"}, now=0)
    desk.run(
        "incident.note", {"incident": incident, "text": "all quiet"}, "officer:fangmeyer", now=300
    )
    assert desk.due(899) == []
    assert _kinds(desk.due(900)) == ["status_check_overdue"]


# --- dispatch acknowledgement: 60 s --------------------------------------------------------------
def test_a_dispatched_unit_that_does_not_acknowledge_in_60_s_is_reported() -> None:
    desk = Desk()
    incident = desk.new_incident()
    desk.run("unit.dispatch", {"incident": incident, "units": ["ZPD-2"]}, now=0)
    assert desk.due(59) == []
    assert desk.due(60) == [
        {
            "kind": "dispatch_unacknowledged",
            "severity": "normal",
            "unit": "ZPD-2",
            "incident": incident,
            "text": "ZPD-2 has not acknowledged in 60 s",
        }
    ]
    desk.tick(60)
    assert desk.due(10_000) == []


@pytest.mark.parametrize("status", ["enroute", "onscene", "available", "busy"])
def test_any_status_change_acknowledges_a_dispatch(status: str) -> None:
    desk = Desk()
    incident = desk.new_incident()
    desk.run("unit.dispatch", {"incident": incident, "units": ["ZPD-2"]}, now=0)
    desk.run("unit.status", {"unit": "ZPD-2", "status": status}, "officer:fangmeyer", now=30)
    assert "dispatch_unacknowledged" not in _kinds(desk.due(10_000))


# --- a priority-1 incident without a unit: 30 s --------------------------------------------------
def test_a_priority_1_incident_without_a_unit_alerts_after_30_s() -> None:
    desk = Desk()
    desk.run(
        "incident.create",
        {"type": "ASSAULT", "priority": 1, "location": {"lat": 37.79, "lon": -122.4}},
        now=0,
    )
    assert desk.due(29) == []
    assert desk.due(30) == [
        {
            "kind": "incident_unassigned",
            "severity": "high",
            "incident": "2026-000001",
            "text": "priority-1 incident without a unit for 30 s",
        }
    ]
    desk.tick(30)
    assert desk.due(10_000) == []


def test_a_dispatch_cancels_the_unassigned_alert() -> None:
    desk = Desk()
    desk.run(
        "incident.create",
        {"type": "ASSAULT", "priority": 1, "location": {"lat": 37.79, "lon": -122.4}},
        now=0,
    )
    desk.run("unit.dispatch", {"incident": "2026-000001", "units": ["ZPD-2"]}, now=10)
    assert "incident_unassigned" not in _kinds(desk.due(10_000))


@pytest.mark.parametrize("priority", [2, 3, 4, 5])
def test_lower_priorities_are_not_watched(priority: int) -> None:
    desk = Desk()
    desk.run(
        "incident.create",
        {"type": "THEFT", "priority": priority, "location": {"lat": 37.79, "lon": -122.4}},
        now=0,
    )
    assert desk.due(10_000) == []


def test_an_incident_raised_to_priority_1_is_watched_from_then() -> None:
    desk = Desk()
    desk.run(
        "incident.create",
        {"type": "THEFT", "priority": 3, "location": {"lat": 37.79, "lon": -122.4}},
        now=0,
    )
    desk.run("incident.update", {"incident": "2026-000001", "priority": 1}, now=100)
    assert desk.due(129) == []
    assert _kinds(desk.due(130)) == ["incident_unassigned"]


def test_closing_the_incident_cancels_the_unassigned_alert() -> None:
    desk = Desk()
    desk.run(
        "incident.create",
        {"type": "ASSAULT", "priority": 1, "location": {"lat": 37.79, "lon": -122.4}},
        now=0,
    )
    desk.run("incident.close", {"incident": "2026-000001", "disposition": "unfounded"}, now=10)
    assert desk.due(10_000) == []


def test_a_unit_going_en_route_by_itself_cancels_the_unassigned_alert() -> None:
    desk = Desk()
    desk.run(
        "incident.create",
        {"type": "ASSAULT", "priority": 1, "location": {"lat": 37.79, "lon": -122.4}},
        now=0,
    )
    desk.run(
        "unit.status",
        {"unit": "ZPD-2", "status": "enroute", "incident": "2026-000001"},
        "officer:fangmeyer",
        now=10,
    )
    assert desk.state.incidents["2026-000001"].units == ["ZPD-2"]
    assert "incident_unassigned" not in _kinds(desk.due(30))


# --- configuration -------------------------------------------------------------------------------
def test_the_pursuit_interval_is_configurable() -> None:
    desk = _in_pursuit(PolicyConfig().with_overrides({"timers": {"pursuit_s": 30}}))
    assert desk.due(29) == []
    assert _kinds(desk.due(30)) == ["status_check_overdue"]
    desk.tick(30)
    assert _kinds(desk.due(60)) == ["member_unresponsive"]


def test_every_timer_is_configurable() -> None:
    timers = {
        "pursuit_s": 5,
        "onscene_s": 6,
        "dispatch_ack_s": 7,
        "unassigned_p1_s": 8,
        "message_unread_s": 9,
    }
    config = PolicyConfig().with_overrides({"timers": timers})
    assert config.timers.model_dump() == timers
    assert PolicyConfig().timers.model_dump() == {
        "pursuit_s": 60,
        "onscene_s": 600,
        "dispatch_ack_s": 60,
        "unassigned_p1_s": 30,
        "message_unread_s": 120,
    }


def test_overrides_keep_the_settings_they_do_not_name() -> None:
    config = PolicyConfig().with_overrides({"timers": {"pursuit_s": 30}})
    assert (config.timers.onscene_s, config.mayday["police"]) == (600, 4)
    assert PolicyConfig().with_overrides(None) == PolicyConfig()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"timers": {"pursuit_s": 0}}, "config.timers.pursuit_s"),
        ({"timers": {"pursuit_s": "soon"}}, "config.timers.pursuit_s"),
        ({"timers": {"pursuits": 30}}, "config.timers.pursuits"),
        ({"colour": "red"}, "config.colour"),
        ({"duplicates": {"min_score": 2}}, "config.duplicates.min_score"),
    ],
)
def test_a_bad_override_is_refused_naming_the_field(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(CommandRejected) as caught:
        PolicyConfig().with_overrides(overrides)
    assert [p.field for p in caught.value.problems] == [field]


def test_a_bad_override_names_the_field_under_the_prefix_given() -> None:
    with pytest.raises(CommandRejected) as caught:
        PolicyConfig().with_overrides({"timers": {"pursuit_s": -1}}, "scenario.config")
    assert caught.value.problems[0].field == "scenario.config.timers.pursuit_s"


def test_duplicate_rules_come_from_the_config() -> None:
    rules = PolicyConfig().with_overrides({"duplicates": {"radius_m": 50}}).duplicates.rules()
    assert (rules.radius_m, rules.window_s) == (50, 1800)


# --- purity and rebuilding -----------------------------------------------------------------------
def test_due_commands_is_pure_until_the_alerts_are_observed() -> None:
    desk = _in_pursuit()
    pending = copy.deepcopy(desk.watches.pending)
    first = desk.watches.due_commands(desk.state, moment(60))
    second = desk.watches.due_commands(desk.state, moment(60))
    assert [(k, c.do, c.payload) for k, c in first] == [(k, c.do, c.payload) for k, c in second]
    assert len(first) == 1
    assert desk.watches.pending == pending
    desk.tick(60)
    assert desk.watches.due_commands(desk.state, moment(60)) == []


def test_alerts_are_owed_in_deadline_order() -> None:
    desk = Desk()
    desk.run("member.status", {"member": "wilde", "status": "pursuit"}, "officer:wilde", now=10)
    desk.run("member.status", {"member": "hopps", "status": "pursuit"}, "officer:hopps", now=0)
    desk.run(
        "incident.create",
        {"type": "ASSAULT", "priority": 1, "location": {"lat": 37.79, "lon": -122.4}},
        now=40,
    )
    assert [(a["kind"], a.get("member")) for a in desk.due(70)] == [
        ("status_check_overdue", "hopps"),
        ("status_check_overdue", "wilde"),
        ("incident_unassigned", None),
    ]
    assert desk.watches.next_due() == moment(60)


def test_watches_rebuilt_from_the_journal_hold_the_same_deadlines() -> None:
    desk = _in_pursuit()
    incident = desk.new_incident("ASSAULT", 1)
    desk.run("unit.dispatch", {"incident": incident, "units": ["ZPD-2"]}, now=5)
    desk.run("unit.status", {"unit": "ZPD-2", "status": "onscene"}, now=20)
    desk.tick(60)
    state, rebuilt = roster(), Watches(desk.config)
    for rec in desk.log:
        evolve(state, rec)
        rebuilt.observe(state, rec)
    assert rebuilt.pending == desk.watches.pending
    assert rebuilt.next_due() == desk.watches.next_due()
