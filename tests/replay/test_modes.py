"""Sending the real units (``--as-dispatched``), and pacing against the wall clock."""

from __future__ import annotations

import csv
import dataclasses
import json
import time
from collections import defaultdict
from pathlib import Path

from tenfour.journal import SqliteEventStore
from tenfour.sim.replay.calls import CallSelection
from tenfour.sim.replay.engine import ReplayOptions, run_replay
from tenfour.sim.replay.plan import plan_replay

from .conftest import replay


def test_as_dispatched_sends_only_the_real_units(raw_slice: Path, tmp_path: Path) -> None:
    output = replay(raw_slice, tmp_path, "--as-dispatched")
    assert "(as-dispatched units)" in output
    real: defaultdict[str, set[str]] = defaultdict(set)
    with raw_slice.open() as handle:
        for row in csv.DictReader(handle):
            real[row["Call Number"]].add(row["Unit ID"])
    with SqliteEventStore(tmp_path / "journal.db") as store:
        events = list(store.read())
    number = {
        e.data["call"]: e.data["text"].split(":")[0].split()[-1]
        for e in events
        if e.type == "call.received"
    }
    call_of = {
        e.data["incident"]: number[e.data["call"]] for e in events if e.type == "incident.created"
    }
    sent = [(e.data["incident"], e.data["unit"]) for e in events if e.type == "unit.dispatched"]
    assert sent and all(unit in real[call_of[incident]] for incident, unit in sent)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["mode"] == "as-dispatched"
    responses = sum(len(real[c]) for c in call_of.values())
    assert sum(summary["unit_responses"].values()) == responses


def test_speed_paces_the_simulated_clock_against_the_wall(raw_slice: Path, tmp_path: Path) -> None:
    plan = plan_replay(raw_slice)
    two = dataclasses.replace(
        plan, selection=CallSelection(plan.kept[:2], plan.selection.dropped, plan.selection.area)
    )
    fast = run_replay(two, tmp_path / "fast")
    span_s = (fast.end - fast.start).total_seconds()
    assert fast.wall_s < 1.0 and span_s > 600
    started = time.perf_counter()
    paced = run_replay(two, tmp_path / "paced", ReplayOptions(speed=span_s / 1.0))
    took = time.perf_counter() - started
    assert 0.9 <= took < 3.0  # a second of pacing, plus setting up on a busy machine
    assert paced.events == fast.events


def test_a_file_with_no_call_on_the_map_still_reports(raw_slice: Path, tmp_path: Path) -> None:
    lines = raw_slice.read_text().splitlines(keepends=True)
    south = [line for line in lines[1:] if float(line.rsplit('"(', 1)[1].split(",")[0]) < 37.78]
    path = tmp_path / "south.csv"
    path.write_text(lines[0] + "".join(south))
    output = replay(path, tmp_path / "out")
    assert "0 on the map" in output and "calls replayed: 0" in output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["calls_replayed"] == 0 and summary["first_unit"]["agreement_share"] is None
