"""Ambulance posts: estimated from earlier calls only, or configured; and the replay's
journal written in one transaction per step (``sim.replay.grouped``)."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tenfour.domain.values import distance_m
from tenfour.sim.replay.calls import Call, CallSelection, group_calls
from tenfour.sim.replay.cli import replay_app
from tenfour.sim.replay.engine import JOURNAL, ReplayOptions, run_replay
from tenfour.sim.replay.plan import ReplayPlan, plan_replay
from tenfour.sim.replay.posts import PostError, PostEstimator, load_posts_file, parse_posts
from tenfour.sim.replay.records import read_responses

from .conftest import RAW


def _calls() -> list[Call]:
    return group_calls(read_responses(RAW))


def _dispatches(calls: list[Call], unit: str) -> list[tuple[Call, object]]:
    found = [(c, s) for c in calls for s in c.slots if s.unit == unit and c.lat is not None]
    return sorted(found, key=lambda cs: cs[1].dispatch)  # type: ignore[attr-defined]


def test_a_post_is_the_median_of_the_calls_dispatched_before_and_nothing_later() -> None:
    calls = _calls()
    unit = "71"  # a medic with six located calls in the slice
    seen = _dispatches(calls, unit)
    assert len(seen) >= 4
    third = seen[2][1].dispatch  # type: ignore[attr-defined]
    estimator = PostEstimator(calls)
    assert estimator.post(unit, seen[0][1].dispatch) is None  # type: ignore[attr-defined]
    before = estimator.post(unit, third)
    points = [(c.lat, c.lon) for c, _ in seen[:2]]
    assert before is not None
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    assert before == pytest.approx((sum(lats) / 2, sum(lons) / 2))  # type: ignore[arg-type]
    # Move every later call of the unit far away: the estimate before them is unchanged,
    # one asked after them is not (so the later calls do count once they happened).
    later = {c.number for c, s in seen[2:]}
    moved = [
        dataclasses.replace(c, lat=37.70, lon=-122.50) if c.number in later else c for c in calls
    ]
    changed = PostEstimator(moved)
    assert changed.post(unit, third) == before
    end = seen[-1][1].dispatch + timedelta(seconds=1)  # type: ignore[attr-defined]
    assert changed.post(unit, end) != estimator.post(unit, end)


def test_a_record_of_another_unit_or_kind_does_not_move_a_post() -> None:
    calls = _calls()
    estimator = PostEstimator(calls)
    engines = [
        dataclasses.replace(c, slots=tuple(s for s in c.slots if s.kind == "engine")) for c in calls
    ]
    assert PostEstimator(engines).post("71", calls[-1].received) is None
    end = max(s.dispatch for c in calls for s in c.slots) + timedelta(seconds=1)
    assert estimator.post("E01", end) is None  # engines go home, not to a post


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("posts: {SFFD: [{id: P1, lat: 95, lon: -122.4}]}", "posts.SFFD.0.lat"),
        ("posts: {SFFD: [{id: P1, lat: 37.7, lon: -122.4, colour: red}]}", "colour"),
        ("posts: {SFFD: []}", "lists no post"),
        (
            "posts: {SFFD: [{id: P1, lat: 37.7, lon: -122.4}, {id: P1, lat: 37.8, lon: -122.4}]}",
            "post id 'P1' is used twice",
        ),
        (
            "posts: {SFFD: [{id: P1, lat: 37.7, lon: -122.4, units: ['71']},"
            " {id: P2, lat: 37.8, lon: -122.4, units: ['71']}]}",
            "unit '71' is posted at both 'P1' and 'P2'",
        ),
        ("stations: {}", "posts"),
        ("- just a list", "expected a mapping"),
    ],
)
def test_a_bad_posts_file_names_the_field_and_the_reason(
    raw: str, says: str, tmp_path: Path
) -> None:
    path = tmp_path / "posts.yaml"
    path.write_text(raw)
    with pytest.raises(PostError, match=str(path)) as error:
        load_posts_file(path)
    assert says in str(error.value)


def test_a_listed_unit_goes_to_its_post_and_the_others_to_the_nearest() -> None:
    posts = parse_posts(
        {
            "posts": {
                "SFFD": [
                    {"id": "north", "lat": 37.80, "lon": -122.42, "units": ["71"]},
                    {"id": "south", "lat": 37.78, "lon": -122.41},
                ]
            }
        }
    )
    assert posts.post_for("SFFD", "71", (37.78, -122.41)) == (37.80, -122.42)
    assert posts.post_for("SFFD", "55", (37.781, -122.41)) == (37.78, -122.41)
    assert posts.post_for("SFFD", "55", (37.799, -122.42)) == (37.80, -122.42)
    assert posts.post_for("AMR", "AM305", (37.78, -122.41)) is None


def _first(plan: ReplayPlan, count: int) -> ReplayPlan:
    kept = plan.kept[:count]
    return dataclasses.replace(
        plan, selection=CallSelection(kept, plan.selection.dropped, plan.selection.area)
    )


def _last_positions(journal: Path) -> dict[str, tuple[float, float]]:
    with sqlite3.connect(journal) as db:
        rows = db.execute(
            "SELECT data FROM journal_events WHERE event_type = 'unit.located' ORDER BY seq"
        ).fetchall()
    last: dict[str, tuple[float, float]] = {}
    for (data,) in rows:
        d = json.loads(data)
        last[d["unit"]] = (d["lat"], d["lon"])
    return last


def test_replayed_ambulances_end_at_their_configured_post(raw_slice: Path, tmp_path: Path) -> None:
    post = (37.7907, -122.4121)  # a corner of Nob Hill, on the demo map
    posts = parse_posts({"posts": {"SFFD": [{"id": "P1", "lat": post[0], "lon": post[1]}]}})
    plan = _first(plan_replay(raw_slice, posts=posts), 30)
    run = run_replay(plan, tmp_path)
    assert run.returns["configured post"] > 0
    last = _last_positions(tmp_path / JOURNAL)
    medics = [u for u, h in plan.homes.items() if h.kind == "ambulance-als" and u in last]
    assert medics
    for unit in medics:
        home = plan.homes[unit]
        if distance_m(last[unit], (home.lat, home.lon)) < 30:
            continue  # never dispatched: it stayed where it started
        assert distance_m(last[unit], post) < 60, unit  # the post, snapped to its road
    engines = [u for u, h in plan.homes.items() if h.kind == "engine" and u in last]
    for unit in engines:  # engines still go home to their station
        home = plan.homes[unit]
        assert distance_m(last[unit], (home.lat, home.lon)) < 200


def test_without_a_posts_file_the_replay_estimates_posts(raw_slice: Path, tmp_path: Path) -> None:
    run = run_replay(_first(plan_replay(raw_slice), 40), tmp_path)
    assert run.returns["post estimated from earlier calls"] > 0


def test_one_transaction_per_step_writes_the_same_journal(raw_slice: Path, tmp_path: Path) -> None:
    plan = _first(plan_replay(raw_slice), 15)
    grouped = run_replay(plan, tmp_path / "grouped")
    assert 0 < grouped.commits < grouped.transactions_asked / 5
    single = run_replay(plan, tmp_path / "single", ReplayOptions(group_steps=False))
    assert single.commits == 0 and single.transactions_asked == grouped.transactions_asked

    def rows(folder: Path) -> list[tuple[object, ...]]:
        with sqlite3.connect(folder / JOURNAL) as db:
            return db.execute("SELECT seq, event_type, data, hash FROM journal_events").fetchall()

    assert rows(tmp_path / "grouped") == rows(tmp_path / "single")
    assert len(rows(tmp_path / "grouped")) == grouped.events > 100


def test_posts_of_an_agency_not_on_the_roster_are_refused(raw_slice: Path, tmp_path: Path) -> None:
    path = tmp_path / "posts.yaml"
    path.write_text("posts: {ZFD: [{id: P1, lat: 37.79, lon: -122.41}]}")
    result = CliRunner().invoke(
        replay_app, ["sffd", str(raw_slice), "--out", str(tmp_path / "o"), "--posts", str(path)]
    )
    assert result.exit_code == 2
    assert "posts.ZFD: no such agency on the replay's roster (agencies: " in result.output
