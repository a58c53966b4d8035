"""The replay with ``--travel-model``: drive times from the model, bad files refused;
and ``tenfour calibrate sffd`` on a slice too short to fit."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from tenfour.sim.replay.cli import replay_app
from tenfour.travel.cli import calibrate_app
from tenfour.travel.model import GROUPS, TravelModel, load_model

from .conftest import replay, write_slice


def rows(out: Path) -> list[dict[str, str]]:
    with (out / "calls.csv").open() as handle:
        return list(csv.DictReader(handle))


def test_the_replay_ranks_with_the_model(
    raw_slice: Path, replayed: tuple[Path, str], tmp_path: Path
) -> None:
    """Twice the map's times plus 30 s: at the first call every unit is at home, so
    each ETA is exactly 2 x the map's + 30 and the same unit comes first."""
    model = tmp_path / "model.json"
    TravelModel(
        class_factors={g: 2.0 for g in GROUPS},
        control_delay_s={"traffic_signals": 0.0, "stop": 0.0},
        fixed_s=30.0,
    ).save(model)
    out = tmp_path / "calibrated"
    replay(raw_slice, out, "--travel-model", str(model))
    plain, scaled = rows(replayed[0])[0], rows(out)[0]
    assert plain["call"] == scaled["call"]
    assert plain["recommended"] == scaled["recommended"]
    expected = 2 * float(plain["recommended_eta_s"]) + 30.0
    assert abs(float(scaled["recommended_eta_s"]) - expected) < 1e-3


def test_a_bad_model_file_is_refused(raw_slice: Path, tmp_path: Path) -> None:
    model = tmp_path / "bad.json"
    data = TravelModel.identity().to_json()
    data["class_factors"]["local"] = 0
    model.write_text(json.dumps(data), encoding="utf-8")
    result = CliRunner().invoke(
        replay_app,
        ["sffd", str(raw_slice), "--out", str(tmp_path / "out"), "--travel-model", str(model)],
    )
    assert result.exit_code == 2
    assert "class_factors.local" in result.output and "outside" in result.output


def test_calibrate_fits_and_writes_a_model(raw_slice: Path, tmp_path: Path) -> None:
    out = tmp_path / "model.json"
    result = CliRunner().invoke(
        calibrate_app, ["sffd", str(raw_slice), "--out", str(out), "--no-evaluate"]
    )
    assert result.exit_code == 0, result.output
    assert "trips from quarters" in result.output
    model = load_model(out)
    assert model.meta["trips"] >= 10
    assert "fixed_s" in model.report["parameters"]
    assert model.startup_s["engine"] > 0
    assert all(0.5 <= f <= 5.0 for f in model.class_factors.values())


def test_calibrate_says_when_there_are_too_few_trips(raw_slice: Path, tmp_path: Path) -> None:
    """The first hour of New Year's Eve: most units answer their first call of the
    file, whose start is unknown, so too few trips are left to fit."""
    short = write_slice(raw_slice, tmp_path / "short.csv", rows=60)
    out = tmp_path / "model.json"
    result = CliRunner().invoke(calibrate_app, ["sffd", str(short), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "at least 10 are needed" in result.output
    assert not out.exists()


def test_the_replay_pays_turn_delays(raw_slice: Path, tmp_path: Path) -> None:
    """A model with turn delays ranks on the turn-expanded graph: the same model
    without them never gives a longer ETA, and the turns cost something on the week's
    first calls (engines rarely reach a call without turning)."""
    times: dict[str, list[float]] = {}
    for name, turns in (("plain", {}), ("turns", {"left": 20.0, "right": 10.0, "u": 40.0})):
        model = tmp_path / f"{name}.json"
        TravelModel(
            class_factors={g: 1.0 for g in GROUPS},
            control_delay_s={"traffic_signals": 0.0, "stop": 0.0},
            turn_delay_s=turns,
        ).save(model)
        out = tmp_path / name
        replay(raw_slice, out, "--travel-model", str(model))
        assert load_model(model).has_turn_delays == bool(turns)
        times[name] = [float(r["recommended_eta_s"] or "nan") for r in rows(out)[:5]]
    first_plain, first_turns = times["plain"][0], times["turns"][0]
    assert first_turns >= first_plain - 1e-6
    assert any(t > p + 1.0 for p, t in zip(times["plain"], times["turns"], strict=True))
