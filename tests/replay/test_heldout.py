"""The replay report's held-out evaluation (``sim.replay.heldout``): the model is fitted
without the held-out days, and its errors are compared with the map's speeds."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from typer.testing import CliRunner

from tenfour.geo import load_map
from tenfour.sim.replay.cli import replay_app
from tenfour.sim.replay.heldout import HeldOutError, evaluate_held_out, parse_days
from tenfour.sim.replay.plan import ReplayPlan
from tenfour.travel import fit as fit_module
from tenfour.travel import trips as trips_module
from tenfour.travel.fit import predict
from tenfour.travel.model import read_controls
from tenfour.travel.trips import Trip

DAYS = ("2017-01-01", "2017-01-02", "2017-01-03")


def _synthetic_trips() -> list[Trip]:
    """Trips between random road nodes of the demo map whose real travel is 1.4 x the
    map's drive time plus 50 s: what a model can learn and the map's speeds miss."""
    roads = load_map("demo")
    net = roads.network
    rng = random.Random(7)
    nodes = rng.sample(range(net.node_count), 400)
    draft = []
    for i in range(200):
        a, b = nodes[2 * i], nodes[2 * i + 1]
        draft.append(
            Trip(
                call=f"C{i}",
                unit=f"E{i % 9}",
                kind="engine" if (i // 3) % 3 else "truck",
                station=i % 9,
                start=(float(net.lat[a]), float(net.lon[a])),
                end=(float(net.lat[b]), float(net.lon[b])),
                travel_s=0.0,
                day=DAYS[i % 3],
                hour=(i * 5) % 24,
                station_area=i % 9,
                priority=2,
                first=True,
            )
        )
    drive = predict(roads, draft, None, read_controls(net))
    return [
        dataclasses.replace(t, travel_s=float(1.4 * d + 50.0))
        for t, d in zip(draft, drive, strict=True)
        if 20.0 < 1.4 * d + 50.0 < 1800.0
    ]


def test_the_model_is_fitted_without_the_held_out_days_and_beats_map_speeds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    trips = _synthetic_trips()
    monkeypatch.setattr(
        trips_module, "extract_trips", lambda *_: SimpleNamespace(trips=trips, dropped={})
    )
    fitted_on: list[list[Trip]] = []
    real_fit = fit_module.fit_model

    def spy(roads: Any, controls: Any, given: list[Trip], **options: Any) -> Any:
        fitted_on.append(list(given))
        return real_fit(roads, controls, given, **options)

    monkeypatch.setattr(fit_module, "fit_model", spy)
    plan = cast(ReplayPlan, SimpleNamespace(map_name="demo", calls=[], kept=[], homes={}))
    result = evaluate_held_out(plan, ["2017-01-03"])

    assert len(fitted_on) == 1 and fitted_on[0]
    assert {t.day for t in fitted_on[0]} == {"2017-01-01", "2017-01-02"}
    held = [t for t in trips if t.day == "2017-01-03"]
    assert result["held_out_first_units"] == len(held) == len(result["pairs"])
    assert result["fitted_days"] == ["2017-01-01", "2017-01-02"]
    assert {p["call"] for p in result["pairs"]} == {t.call for t in held}
    ours, theirs = result["calibrated"], result["map_speeds"]
    assert theirs["median_error_s"] < -40  # the map is optimistic by 0.4 x + 50 s
    assert abs(ours["median_error_s"]) < 15
    assert ours["share_within_60s"] > theirs["share_within_60s"]
    assert set(result["by_kind"]) == {"engine", "truck"}
    assert sum(k["calibrated"]["n"] for k in result["by_kind"].values()) == len(held)
    assert sum(b["calibrated"]["n"] for b in result["by_band"].values()) == len(held)


@pytest.mark.parametrize(
    ("text", "says"),
    [("", "give one or more"), ("2017-1-5", "'2017-1-5' is not a date"), ("x,2017-01-05", "'x'")],
)
def test_bad_held_out_days_are_refused(text: str, says: str) -> None:
    with pytest.raises(HeldOutError, match="--held-out-days") as error:
        parse_days(text)
    assert says in str(error.value)


def test_the_replay_refuses_a_held_out_day_without_calls(raw_slice: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        replay_app,
        ["sffd", str(raw_slice), "--out", str(tmp_path), "--held-out-days", "2016-06-01"],
    )
    assert result.exit_code == 2
    assert "--held-out-days: no call on the map on 2016-06-01" in result.output
