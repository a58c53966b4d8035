"""``evolve`` is a deterministic fold: the same journal always rebuilds the same state,
and the state a live desk holds equals the journal folded from scratch."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenfour.domain import CommandRejected, State, evolve
from tenfour.domain.rules import MEMBER_TRANSITIONS, UNIT_ON_INCIDENT, UNIT_TRANSITIONS
from tenfour.domain.values import MEMBER_STATUSES, UNIT_STATUSES

from .domain_support import (
    CALLTAKER,
    DISPATCHER,
    HOSPITAL,
    MEMBERS,
    OFF_DUTY_UNIT,
    ON_DUTY,
    PLACE,
    SUPERVISOR,
    Rec,
    at,
    new_incident,
    offset,
    put_on,
    refold,
    roster,
    roster_log,
    run,
)


def _story() -> tuple[State, list[Rec]]:
    """A shift with a bit of everything, and the journal it wrote."""
    state, log = roster(), roster_log()
    run(state, "tip.submit", {"text": "Night Howlers", "location": PLACE}, "public", log=log)
    run(state, "tip.promote", {"tip": "T-000001", "type": "DRUGS", "priority": 1}, log=log)
    noise = {"text": "party", "type": "NOISE", "priority": 4, "location": offset(0, 600)}
    run(state, "call.create", noise, CALLTAKER, at(10), log=log)
    run(state, "call.create", noise, CALLTAKER, at(20), log=log)
    put_on(state, "ZPD-1", "2026-000001", "pursuit", at(30), log=log)
    put_on(state, "M-51", "2026-000002", "transporting", at(40), log=log)
    run(state, "transport.arrive", {"unit": "M-51", "destination": HOSPITAL}, now=at(50), log=log)
    run(
        state,
        "member.status",
        {"member": "wilde", "status": "away"},
        "officer:wilde",
        at(60),
        log=log,
    )
    run(
        state,
        "member.locate",
        {"member": "wilde", "lat": 37.791, "lon": -122.401},
        now=at(61),
        log=log,
    )
    run(state, "emergency.declare", {"member": "hopps"}, "officer:wilde", at(70), log=log)
    run(state, "alert.acknowledge", {"alert": "A-000001"}, now=at(80), log=log)
    run(state, "emergency.clear", {"emergency": "E-000001"}, SUPERVISOR, at(90), log=log)
    run(
        state,
        "incident.unlink",
        {"incident": "2026-000002", "call": "C-000002"},
        now=at(95),
        log=log,
    )
    run(
        state,
        "incident.close",
        # A unit is still in pursuit on it: closing it anyway must be said (force).
        {"incident": "2026-000001", "disposition": "arrest", "force": True},
        now=at(99),
        log=log,
    )
    run(state, "shift.end", {"unit": "ZPD-6"}, now=at(120), log=log)
    return state, log


def test_the_same_journal_folded_twice_gives_equal_states() -> None:
    _, log = _story()
    assert refold(log) == refold(log)


def test_a_live_state_equals_its_journal_folded_from_scratch() -> None:
    state, log = _story()
    assert refold(log) == state


def test_the_roster_is_its_journal_folded() -> None:
    assert refold(roster_log()) == roster()


def test_evolve_leaves_the_events_it_folds_untouched() -> None:
    _, log = _story()
    pristine = copy.deepcopy(log)
    state = State()
    for rec in log:
        evolve(state, rec)
    assert log == pristine


def test_evolve_tracks_position_and_stream_versions() -> None:
    state = roster()
    seq = state.seq
    run(state, "unit.status", {"unit": "ZPD-2", "status": "busy"})
    run(state, "unit.status", {"unit": "ZPD-2", "status": "available"})
    assert state.seq == seq + 2
    assert state.versions["unit:ZPD-2"] == 4  # registered, logged on, busy, available


def test_an_unknown_event_type_moves_the_position_and_changes_nothing_else() -> None:
    state = roster()
    before = copy.deepcopy(state)
    future = Rec(state.seq + 1, "drone.launched", "drone:D-1", 1, at(0), "system", {"drone": "D-1"})
    assert evolve(state, future) is state
    assert (state.seq, state.versions["drone:D-1"]) == (before.seq + 1, 1)
    state.seq, state.versions = before.seq, before.versions
    assert state == before


# --- a property: any plausible shift, replayed, rebuilds the live state --------------------------
UNITS = [*ON_DUTY, OFF_DUTY_UNIT, "ZPD-99"]
PEOPLE = [*MEMBERS, "nobody"]
INCIDENTS = ["2026-000001", "2026-000002", "2026-000003", "2026-000042"]  # P1, P3, P4, unknown
CREW = {unit: members[0] for unit, (_, _, members, _) in ON_DUTY.items()}
Step = tuple[str, dict[str, Any], str]
metres = st.floats(min_value=-3000, max_value=3000, allow_nan=False)


def _actor(data: st.DataObject, member: str | None) -> str:
    """Mostly the officer himself, sometimes the dispatcher for him."""
    return f"officer:{member}" if member and data.draw(st.booleans()) else DISPATCHER


def _likely(data: st.DataObject, good: Sequence[str], anything: Sequence[str]) -> str:
    """A value the rules allow, most of the time; anything now and then."""
    if good and data.draw(st.integers(0, 4)) > 0:
        return data.draw(st.sampled_from(good))
    return data.draw(st.sampled_from(anything))


def _step(data: st.DataObject, state: State) -> Step:
    kind = data.draw(
        st.sampled_from(
            ["dispatch", "status", "locate", "member_locate", "checkin", "member_status", "close"]
        )
    )
    if kind == "dispatch":
        units = data.draw(st.lists(st.sampled_from(UNITS), min_size=1, max_size=3, unique=True))
        mode = data.draw(st.sampled_from(["routine", "emergency"]))
        return (
            "unit.dispatch",
            {"incident": data.draw(st.sampled_from(INCIDENTS)), "units": units, "mode": mode},
            DISPATCHER,
        )
    if kind == "status":
        unit = data.draw(st.sampled_from(UNITS))
        known = state.units.get(unit)
        status = _likely(data, UNIT_TRANSITIONS[known.status] if known else (), UNIT_STATUSES)
        with_: dict[str, Any] = {"unit": unit, "status": status}
        if status in UNIT_ON_INCIDENT or data.draw(st.integers(0, 9)) == 0:
            mine = [known.incident] if known and known.incident else []
            with_["incident"] = _likely(data, mine or INCIDENTS[:3], INCIDENTS)
        return "unit.status", with_, _actor(data, CREW.get(unit))
    if kind == "locate":
        unit = data.draw(st.sampled_from(UNITS))
        return (
            "unit.locate",
            {"unit": unit, **offset(data.draw(metres), data.draw(metres))},
            "system",
        )
    member = data.draw(st.sampled_from(PEOPLE))
    if kind == "member_locate":
        return (
            "member.locate",
            {"member": member, **offset(data.draw(metres))},
            _actor(data, member),
        )
    if kind == "checkin":
        return "member.checkin", {"member": member}, _actor(data, member)
    if kind == "member_status":
        known_member = state.members.get(member)
        allowed = MEMBER_TRANSITIONS[known_member.status] if known_member else ()
        status = _likely(data, allowed, MEMBER_STATUSES)
        return "member.status", {"member": member, "status": status}, _actor(data, member)
    incident = data.draw(st.sampled_from(INCIDENTS))
    return "incident.close", {"incident": incident, "disposition": "done"}, DISPATCHER


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.integers(min_value=1, max_value=30))
def test_any_shift_replayed_from_its_journal_rebuilds_the_live_state(
    data: st.DataObject, length: int
) -> None:
    state, log = roster(), roster_log()
    for priority in (1, 3, 4):
        new_incident(state, "THEFT", priority, offset(0, 100 * priority), log=log)
    for i in range(1, length + 1):
        do, with_, actor = _step(data, state)
        before = copy.deepcopy(state)
        try:
            run(state, do, with_, actor, at(10 * i), log=log)
        except CommandRejected:
            assert state == before, f"rejected {do} changed the state"
            continue
        assert refold(log) == state, f"replay differs after {do} {with_} by {actor}"
