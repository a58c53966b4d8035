"""Response plans (run cards): the settings, the plan files, and the initial
recommendation that fills a plan nearest first per need (``policies/config.py``,
``policies/planfile.py``, ``policies/reactions.py``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from tenfour.api.settings import ConfigFileError, load_policy_config
from tenfour.domain.errors import CommandRejected
from tenfour.policies import PolicyConfig
from tenfour.policies.planfile import PlanFileError, dump_plan_file, load_plan_file

from .domain_support import CALLTAKER, PLACE, Desk, Rec


def _made(recs: Iterable[Rec]) -> list[Mapping[str, Any]]:
    return [r.data for r in recs if r.type == "recommendation.made"]


def _call(desk: Desk, type_: str, priority: int) -> list[Rec]:
    with_ = {"text": "x", "type": type_, "priority": priority, "location": PLACE}
    return desk.run("call.create", with_, CALLTAKER, react_too=True)


def _chosen(made: Mapping[str, Any]) -> list[str]:
    return [c["unit"] for c in made["candidates"][: made["count"]]]


# --- the settings --------------------------------------------------------------------------------
def test_the_shipped_plans_cover_the_demo_citys_calls() -> None:
    config = PolicyConfig()
    assert config.plan_for("DRUGS", 1) == ("DRUGS/P1", {"police": 2})
    assert config.plan_for("DRUGS", 3) == ("DRUGS", {"police": 1})
    key, needs = config.plan_for("SHOTS", 1)
    assert (key, needs) == ("SHOTS/P1", {"police": 3, "supervisor": 1, "ambulance-als": 1})
    # a type with no plan keeps the plain rule: its need, two units at priority 1
    assert config.plan_for("NOISE", 4) == ("", {"police": 1})
    assert config.plan_for("CARDIAC", 1) == ("", {"ambulance-als": 2})


def test_an_override_replaces_a_types_plan_whole_and_null_drops_it() -> None:
    config = PolicyConfig().with_overrides(
        {"plans": {"DRUGS/P1": {"patrol": 1, "supervisor": 1}, "DRUGS": None, "FIRE": {"fire": 3}}}
    )
    assert config.plans["DRUGS/P1"] == {"patrol": 1, "supervisor": 1}  # no police: 2 left
    assert "DRUGS" not in config.plans
    assert config.plan_for("DRUGS", 3) == ("", {"police": 1})
    assert config.plans["FIRE"] == {"fire": 3}
    assert config.plans["SHOTS/P1"]  # the other shipped plans stay


@pytest.mark.parametrize(
    ("plans", "field", "reason"),
    [
        ({"drugs": {"police": 1}}, "config.plans.drugs.[key]", "upper-case incident type code"),
        ({"DRUGS/P9": {"police": 1}}, "config.plans.DRUGS/P9.[key]", "priority 1-5"),
        ({"DRUGS": {"Police!": 1}}, "config.plans.DRUGS.Police!.[key]", "is not a need"),
        ({"DRUGS": {"police": 0}}, "config.plans.DRUGS.police", "greater than or equal to 1"),
        ({"DRUGS": {"police": 21}}, "config.plans.DRUGS.police", "less than or equal to 20"),
        ({"DRUGS": {"police": "two"}}, "config.plans.DRUGS.police", "valid integer"),
        ({"DRUGS": {"police": True}}, "config.plans.DRUGS.police", "valid integer"),
        ({"DRUGS": {}}, "config.plans.DRUGS", "at least one unit"),
        ({"DRUGS": {f"k{i}": 20 for i in range(3)}}, "config.plans.DRUGS", "at most 50"),
        ({"DRUGS": [1]}, "config.plans.DRUGS", "valid dictionary"),
        ("DRUGS", "config.plans", "valid dictionary"),
    ],
)
def test_a_bad_plan_is_refused_naming_the_field_and_the_reason(
    plans: object, field: str, reason: str
) -> None:
    with pytest.raises(CommandRejected) as caught:
        PolicyConfig().with_overrides({"plans": plans})
    problems = {p.field: p.reason for p in caught.value.problems}
    assert field in problems, problems
    assert reason in problems[field]


def test_a_serve_config_file_names_the_line_of_a_bad_plan(tmp_path: Path) -> None:
    path = tmp_path / "center.yaml"
    path.write_text("timers:\n  pursuit_s: 45\nplans:\n  DRUGS/P1:\n    police: 0\n")
    with pytest.raises(ConfigFileError) as caught:
        load_policy_config(path)
    assert str(caught.value).startswith(f"{path}:5: config.plans.DRUGS/P1.police: ")
    path.write_text("plans:\n  DRUGS/P1: {police: 3, supervisor: 1}\n")
    assert load_policy_config(path).plans["DRUGS/P1"] == {"police": 3, "supervisor": 1}


# --- plan files ----------------------------------------------------------------------------------
GOOD = """\
# run cards of a fire department
needs:
  medic: [ambulance-als]
plans:
  STRUCTURE_FIRE: {engine: 3, truck: 1, chief: 1, ambulance-als: 1}
  MEDICAL/P1: {medic: 1, engine: 1}
"""


def test_a_plan_file_loads_and_writes_back_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "plans.yaml"
    path.write_text(GOOD)
    loaded = load_plan_file(path)
    assert loaded.plans["STRUCTURE_FIRE"] == {
        "engine": 3,
        "truck": 1,
        "chief": 1,
        "ambulance-als": 1,
    }
    assert loaded.needs == {"medic": ["ambulance-als"]}
    path.write_text(dump_plan_file(loaded.plans, ["written back"]))
    assert load_plan_file(path).plans == loaded.plans
    # a plan file is also a serve --config file
    assert load_policy_config(path).plans["MEDICAL/P1"] == {"medic": 1, "engine": 1}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("plans:\n  FIRE:\n    engine: 0\n", ":3: plans.FIRE.engine: Input should be greater"),
        ("plans:\n  FIRE: {engine: 1}\n  fire: {engine: 2}\n", ":3: plans.fire: 'fire' is not"),
        ("plans:\n  FIRE: {}\n", ":2: plans.FIRE: a plan needs at least one unit"),
        ("plans:\n  FIRE: {engine: 1.5}\n", ":2: plans.FIRE.engine: Input should be a valid int"),
        ("plan:\n  FIRE: {engine: 1}\n", ":1: plan: unknown setting (allowed: plans, needs)"),
        ("needs: {}\n", ":1: plans: missing"),
        ("- FIRE\n", ": a plan file is a YAML mapping"),
        ("plans:\n  FIRE: {engine: 1\n", ":3: not valid YAML"),
        ("plans:\n  FIRE: {engine: 1}\n  FIRE: {engine: 2}\n", ":3: not valid YAML: duplicate key"),
    ],
)
def test_a_bad_plan_file_names_the_file_line_field_and_reason(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "plans.yaml"
    path.write_text(text)
    with pytest.raises(PlanFileError) as caught:
        load_plan_file(path)
    assert f"{path}{message}" in str(caught.value), str(caught.value)


def test_a_missing_plan_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(PlanFileError, match=r"nope\.yaml: cannot read"):
        load_plan_file(tmp_path / "nope.yaml")


# --- the initial recommendation fills the plan ---------------------------------------------------
def test_a_plan_gets_one_recommendation_per_need_nearest_first() -> None:
    desk = Desk()
    recs = _call(desk, "SHOTS", 1)
    made = _made(recs)
    assert [(m["need"], m["count"], m["purpose"]) for m in made] == [
        ("police", 3, "initial"),
        ("supervisor", 1, "initial"),
        ("ambulance-als", 1, "initial"),
    ]
    # nearest first: the roster's patrols stand 300, 500, 1000 m ... north of the call
    assert _chosen(made[0]) == ["ZPD-1", "ZPD-2", "ZPD-3"]
    assert _chosen(made[1]) == ["ZPD-S1"]
    assert _chosen(made[2]) == ["M-51"]  # M-52 is BLS: not an ambulance-als
    for m in made:
        assert m["reason"].startswith("response plan SHOTS/P1: police 3, supervisor 1")
    assert [r for r in recs if r.type == "unit.dispatched"] == []  # the dispatcher decides


def test_needs_answered_by_the_same_kinds_never_pick_one_unit_twice() -> None:
    config = PolicyConfig().with_overrides(
        {"plans": {"FIGHT/P2": {"police": 2, "patrol": 2, "ambulance": 1, "ambulance-als": 1}}}
    )
    made = _made(_call(Desk(config=config), "FIGHT", 2))
    assert _chosen(made[0]) == ["ZPD-1", "ZPD-2"]
    assert _chosen(made[1]) == ["ZPD-3", "ZPD-4"]
    taken = {e["unit"]: e["reason"] for e in made[1]["excluded"]}
    assert taken["ZPD-1"] == taken["ZPD-2"] == "chosen for another need of the plan"
    assert _chosen(made[2]) == ["M-52"]  # the nearer ambulance (BLS) answers "ambulance"
    assert _chosen(made[3]) == ["M-51"]


def test_a_plan_that_cannot_be_filled_says_so() -> None:
    config = PolicyConfig().with_overrides({"plans": {"RIOT": {"supervisor": 2}}})
    [made] = _made(_call(Desk(config=config), "RIOT", 1))
    assert _chosen(made) == ["ZPD-S1"]
    assert "only 1 of 2 units could be found" in made["reason"]


def test_the_dispatcher_accepts_the_plan_with_one_dispatch() -> None:
    desk = Desk()
    made = _made(_call(desk, "STABBING", 1))
    units = [u for m in made for u in _chosen(m)]
    assert units == ["ZPD-1", "ZPD-2", "M-51"]
    recs = desk.run("unit.dispatch", {"incident": made[0]["incident"], "units": units})
    assert [r.data["unit"] for r in recs if r.type == "unit.dispatched"] == units
    assert {r.by for r in recs if r.type == "unit.dispatched"} == {"clawhauser"}  # not system
