"""``recommend``: rank units by drive time, filter by need and status, say why the others
were left out (``policies/recommend.py``), with fake drive-time oracles."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import pytest

from tenfour.domain import State, decide
from tenfour.policies import PolicyConfig, Ranked, recommend
from tenfour.policies.recommend import DriveTimeOracle, responding_units

from .domain_support import (
    OFF_DUTY_UNIT,
    PATROLS,
    PLACE,
    StraightLine,
    TableOracle,
    command,
    context,
    new_incident,
    north,
    offset,
    pair,
    put_on,
    roster,
    run,
)


def _rank(
    state: State,
    need: str = "police",
    count: int = 1,
    *,
    incident: str | None = None,
    oracle: DriveTimeOracle | None = None,
    config: PolicyConfig | None = None,
    exclude: Collection[str] = (),
    allow_divert: bool = False,
    reason: str | None = None,
    location: dict[str, Any] | None = None,
) -> Ranked:
    return recommend(
        state,
        location=location or dict(PLACE),
        need=need,
        count=count,
        purpose="initial",
        incident=incident,
        oracle=oracle or StraightLine(),
        config=config or PolicyConfig(),
        exclude=exclude,
        allow_divert=allow_divert,
        reason=reason,
    )


def _listed(ranked: Ranked) -> list[str]:
    return [c["unit"] for c in ranked.payload["candidates"]]


def _excluded(ranked: Ranked) -> dict[str, str]:
    return {e["unit"]: e["reason"] for e in ranked.payload["excluded"]}


# --- ranking -------------------------------------------------------------------------------------
def test_available_police_are_ranked_nearest_first() -> None:
    ranked = _rank(roster(), count=2)
    assert _listed(ranked) == PATROLS  # 300, 500, 1000, 1500, 2000, 2500 m north
    assert ranked.chosen == ["ZPD-1", "ZPD-2"]


def test_each_candidate_says_where_it_was_ranked_from() -> None:
    state = roster()
    first = _rank(state).payload["candidates"][0]
    assert first == {
        "unit": "ZPD-1",
        "kind": "patrol",
        "eta_s": pytest.approx(30.0, abs=0.2),
        "distance_m": pytest.approx(300.0, abs=2),
        "status": "available",
        "position": north(300),
    }


def test_the_ranking_follows_drive_time_not_distance() -> None:
    state = roster()
    # A one-way street: ZPD-1, the nearest as the crow flies, is the slowest by road.
    etas: list[tuple[float, float]] = [(300, 900), (500, 60), (1000, 80)]
    table = {pair(north(m)): (eta, m * 1.3) for m, eta in etas}
    table.update({pair(north(m)): (200 + m / 10, m * 1.3) for m in (1500, 2000, 2500)})
    ranked = _rank(state, count=2, oracle=TableOracle(table))
    assert ranked.chosen == ["ZPD-2", "ZPD-3"]
    assert _listed(ranked)[-1] == "ZPD-1"


def test_equal_drive_times_are_broken_by_distance_then_call_sign() -> None:
    state = roster()
    for unit in ("ZPD-3", "ZPD-2"):
        run(state, "unit.locate", {"unit": unit, **north(100)}, "system")
    table = {pair(north(m)): (50.0, 400.0) for m in (100, 300, 1500, 2000, 2500)}
    ranked = _rank(state, oracle=TableOracle(table))
    assert _listed(ranked) == ["ZPD-1", "ZPD-2", "ZPD-3", "ZPD-4", "ZPD-5", "ZPD-6"]


def test_the_oracle_is_asked_once_for_all_units() -> None:
    oracle = StraightLine()
    _rank(roster(), oracle=oracle)
    assert oracle.calls == 1


def test_the_oracle_is_not_asked_when_no_unit_is_eligible() -> None:
    oracle = StraightLine()
    ranked = _rank(roster(), need="fire", oracle=oracle)
    assert (oracle.calls, ranked.chosen) == (0, [])


# --- filtering -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("need", "listed"),
    [
        ("police", PATROLS),
        ("ambulance", ["M-52", "M-51"]),  # BLS at 600 m, ALS at 1200 m
        ("ambulance-als", ["M-51"]),
        ("supervisor", ["ZPD-S1"]),
        ("fire", []),
    ],
)
def test_only_units_of_the_needed_kinds_are_considered(need: str, listed: list[str]) -> None:
    assert _listed(_rank(roster(), need)) == listed


def test_a_need_not_in_the_config_is_answered_by_that_kind() -> None:
    assert _listed(_rank(roster(), "ambulance-bls")) == ["M-52"]


def test_units_of_other_kinds_are_counted_in_the_reason() -> None:
    ranked = _rank(roster(), "supervisor")
    assert "8 logged-on units of other kinds not considered" in ranked.payload["reason"]


def test_units_not_logged_on_are_neither_listed_nor_excluded() -> None:
    ranked = _rank(roster())
    assert OFF_DUTY_UNIT not in _listed(ranked)
    assert OFF_DUTY_UNIT not in _excluded(ranked)


@pytest.mark.parametrize("status", ["busy", "outofservice"])
def test_units_not_available_are_excluded_with_their_status(status: str) -> None:
    state = roster()
    run(state, "unit.status", {"unit": "ZPD-1", "status": status})
    ranked = _rank(state)
    assert ranked.chosen == ["ZPD-2"]
    assert _excluded(ranked)["ZPD-1"] == f"status {status}"
    assert {"unit": "ZPD-1", "status": status, "reason": f"status {status}"} in ranked.payload[
        "excluded"
    ]


def test_the_members_own_unit_is_excluded() -> None:
    ranked = _rank(roster(), exclude=["ZPD-1"])
    assert ranked.chosen == ["ZPD-2"]
    assert _excluded(ranked)["ZPD-1"] == "the member's own unit"


def test_units_already_on_the_incident_are_excluded() -> None:
    state = roster()
    incident = new_incident(state)
    put_on(state, "ZPD-1", incident, "enroute")
    ranked = _rank(state, incident=incident, allow_divert=True)
    assert ranked.chosen == ["ZPD-2"]
    assert _excluded(ranked)["ZPD-1"] == "already enroute on this incident"


def test_units_without_a_known_position_are_excluded() -> None:
    state = roster()
    run(state, "shift.start", {"unit": OFF_DUTY_UNIT, "members": ["trunkaby"]})
    assert _excluded(_rank(state))[OFF_DUTY_UNIT] == "no known position"


def test_units_no_road_leads_from_are_excluded() -> None:
    ranked = _rank(roster(), oracle=StraightLine(unreachable=[pair(north(300))]))
    assert ranked.chosen == ["ZPD-2"]
    assert _excluded(ranked)["ZPD-1"] == "no road route"


# --- diverting -----------------------------------------------------------------------------------
def _busy_on(priority: int, status: str = "enroute") -> tuple[State, str]:
    """ZPD-1 (the nearest patrol) on its way to an incident of ``priority`` (en route it
    is still where it was; on scene it would be at the incident, 900 m off)."""
    state = roster()
    incident = new_incident(state, "THEFT", priority, offset(0, 900))
    put_on(state, "ZPD-1", incident, status)
    return state, incident


@pytest.mark.parametrize("priority", [3, 4, 5])
def test_a_unit_on_a_priority_3_to_5_incident_may_be_diverted(priority: int) -> None:
    state, incident = _busy_on(priority)
    ranked = _rank(state, allow_divert=True)
    assert ranked.chosen == ["ZPD-1"]
    first = ranked.payload["candidates"][0]
    assert (first["status"], first["divert_from"]) == ("enroute", incident)


@pytest.mark.parametrize("priority", [1, 2])
def test_a_unit_on_a_priority_1_or_2_incident_is_never_diverted(priority: int) -> None:
    state, incident = _busy_on(priority)
    ranked = _rank(state, allow_divert=True)
    assert ranked.chosen == ["ZPD-2"]
    assert (
        _excluded(ranked)["ZPD-1"] == f"enroute on {incident}, priority {priority} (not divertible)"
    )


def test_no_unit_is_diverted_unless_diverting_is_allowed() -> None:
    state, _ = _busy_on(5)
    ranked = _rank(state)
    assert ranked.chosen == ["ZPD-2"]
    assert _excluded(ranked)["ZPD-1"] == "status enroute"


def test_the_divertible_priorities_are_configurable() -> None:
    state, _ = _busy_on(2)
    config = PolicyConfig().with_overrides({"divert_priorities": [2, 3, 4, 5]})
    assert _rank(state, allow_divert=True, config=config).chosen == ["ZPD-1"]


def test_an_available_candidate_names_no_incident_to_divert_from() -> None:
    assert "divert_from" not in _rank(roster()).payload["candidates"][0]


# --- how many ------------------------------------------------------------------------------------
def test_count_limits_the_units_chosen_not_the_units_listed() -> None:
    ranked = _rank(roster(), count=3)
    assert ranked.chosen == ["ZPD-1", "ZPD-2", "ZPD-3"]
    assert len(ranked.payload["candidates"]) == 6
    assert ranked.payload["count"] == 3


def test_a_count_of_zero_chooses_none_but_still_ranks() -> None:
    ranked = _rank(roster(), count=0)
    assert ranked.chosen == []
    assert _listed(ranked) == PATROLS


def test_a_short_list_says_how_many_more_were_eligible() -> None:
    config = PolicyConfig().with_overrides({"listed_candidates": 2})
    ranked = _rank(roster(), config=config)
    assert _listed(ranked) == ["ZPD-1", "ZPD-2"]
    assert "4 more eligible units not listed" in ranked.payload["reason"]


def test_the_list_is_never_shorter_than_the_count() -> None:
    config = PolicyConfig().with_overrides({"listed_candidates": 1})
    assert _rank(roster(), count=3, config=config).chosen == ["ZPD-1", "ZPD-2", "ZPD-3"]


def test_too_few_units_is_said_in_the_reason() -> None:
    ranked = _rank(roster(), count=8)
    assert len(ranked.chosen) == 6
    assert "only 6 of 8 units could be found" in ranked.payload["reason"]


def test_the_callers_reason_comes_first() -> None:
    ranked = _rank(roster(), "supervisor", reason="backup for hopps")
    assert ranked.payload["reason"].startswith("backup for hopps; ")


def test_a_ranking_with_nothing_to_note_has_no_reason() -> None:
    state = roster()
    for unit in ("ZPD-S1", "M-51", "M-52"):
        run(state, "shift.end", {"unit": unit})
    assert "reason" not in _rank(state).payload


# --- journaling ----------------------------------------------------------------------------------
def test_the_payload_is_exactly_what_recommendation_make_journals() -> None:
    state = roster()
    incident = new_incident(state)
    ranked = _rank(state, incident=incident, exclude=["ZPD-1"], reason="why")
    events = decide(
        state, command("recommendation.make", ranked.payload, "system"), context("system")
    )
    made = events[0].data
    for name in (
        "incident",
        "location",
        "purpose",
        "need",
        "count",
        "candidates",
        "excluded",
        "reason",
    ):
        assert made[name] == ranked.payload[name], name


def test_responding_units_are_the_units_of_those_kinds_working_the_incident() -> None:
    state = roster()
    incident = new_incident(state)
    put_on(state, "ZPD-1", incident, "dispatched")
    put_on(state, "ZPD-2", incident, "pursuit")
    put_on(state, "M-51", incident, "onscene")
    put_on(state, "ZPD-3", incident, "onscene")
    run(state, "unit.status", {"unit": "ZPD-3", "status": "busy"})  # still attached, not responding
    assert responding_units(state, incident, {"patrol"}) == ["ZPD-1", "ZPD-2"]
    assert responding_units(state, incident, {"ambulance-als"}) == ["M-51"]
    assert responding_units(state, "2026-000042", {"patrol"}) == []
