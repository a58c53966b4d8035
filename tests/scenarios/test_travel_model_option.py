"""``--travel-model`` for ``scenario run`` and ``serve``: the service ranks and reads out
ETAs at the model's times; a bad model file stops the command before anything runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from tenfour.cli import app
from tenfour.sim import load_scenario, run_scenario
from tenfour.travel.model import GROUPS, TravelModel
from tests.scenarios.test_scenarios import OWN

STORY = next(p for p in OWN if p.name == "routine-backup.yaml")


def _etas(events: Any) -> dict[tuple[int, str], float]:
    return {
        (i, c["unit"]): c["eta_s"]
        for i, e in enumerate(x for x in events if x.type == "recommendation.made")
        for c in e.data["candidates"]
        if c["eta_s"] is not None
    }


def test_a_scenario_drives_at_the_models_times(tmp_path: Path) -> None:
    model = tmp_path / "twice.json"
    TravelModel(
        class_factors={g: 2.0 for g in GROUPS},
        control_delay_s={"traffic_signals": 0.0, "stop": 0.0},
        fixed_s=30.0,
    ).save(model)
    scenario = load_scenario(STORY)
    plain = _etas(run_scenario(scenario).events)
    slow = _etas(run_scenario(scenario, travel_model=model).events)
    assert plain and plain.keys() == slow.keys()
    for key, eta in plain.items():
        assert abs(slow[key] - (2 * eta + 30)) < 1e-6, key


def test_a_bad_model_stops_scenario_run_and_serve(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    data = TravelModel.identity().to_json()
    data["fixed_s"] = -5
    bad.write_text(json.dumps(data), encoding="utf-8")
    for args in (
        ["scenario", "run", str(STORY), "--out", str(tmp_path / "out"), "--travel-model", str(bad)],
        ["serve", "--database", str(tmp_path / "t.db"), "--travel-model", str(bad)],
    ):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2, result.output
        assert "--travel-model" in result.output and "fixed_s" in result.output, result.output
