"""A slice of the real week replayed end to end; the report's numbers recomputed here.

The recomputation reads only the CSV (with the csv module) and the journal (with
sqlite3), and shares no code with ``tenfour.sim.replay`` beyond the definitions in
its docstrings, so a bug in the report's arithmetic shows up as a mismatch.
"""

from __future__ import annotations

import csv
import json
import sqlite3
import statistics
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from typer.testing import CliRunner

from tenfour.cli import app
from tenfour.journal import SqliteEventStore
from tenfour.sim.replay.posts import AMBULANCE_KINDS

LA = ZoneInfo("America/Los_Angeles")
KINDS = {
    "ENGINE": "engine",
    "TRUCK": "truck",
    "CHIEF": "chief",
    "MEDIC": "ambulance-als",
    "PRIVATE": "ambulance-bls",
    "RESCUE CAPTAIN": "rescue-captain",
    "RESCUE SQUAD": "rescue-squad",
}
# The demo map's declared <bounds> (src/tenfour/data/maps/sf-north.osm).
AREA = (37.7805, -122.485, 37.811, -122.3942)


def _t(text: str) -> datetime | None:
    if not text:
        return None
    return datetime.strptime(text, "%m/%d/%Y %I:%M:%S %p").replace(tzinfo=LA)


def _real_calls(path: Path) -> dict[str, dict[str, Any]]:
    """Call number -> point and real first unit (first on scene) with its times."""
    calls: dict[str, dict[str, Any]] = {}
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            lat, lon = (float(x) for x in row["Location"].strip("()").split(","))
            call = calls.setdefault(row["Call Number"], {"lat": lat, "lon": lon, "first": None})
            on_scene = _t(row["On Scene DtTm"])
            if on_scene is None:
                continue
            first = call["first"]
            if first is None or on_scene < first["on_scene"]:
                response = _t(row["Response DtTm"])
                call["first"] = {
                    "unit": row["Unit ID"],
                    "kind": KINDS.get(row["Unit Type"], "support"),
                    "on_scene": on_scene,
                    "travel": (on_scene - response).total_seconds() if response else None,
                    "d2s": (on_scene - _t(row["Dispatch DtTm"])).total_seconds(),  # type: ignore[operator]
                    "priority": row["Final Priority"],
                    "group": row["Call Type Group"],
                }
    return calls


def _journal(path: Path) -> dict[str, Any]:
    """Incidents by call number, rankings and replayed first arrivals, via sqlite3."""
    number: dict[str, str] = {}
    incident_of: dict[str, str] = {}
    ranking: dict[str, list[dict[str, Any]]] = {}
    enroute: dict[tuple[str, str], datetime] = {}
    first: dict[str, float] = {}
    first_at: dict[str, datetime] = {}
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT event_type, occurred_at, data FROM journal_events ORDER BY seq")
        for kind, at_text, text in rows:
            data = json.loads(text)
            at = datetime.fromisoformat(at_text)
            if kind == "call.received":
                number[data["call"]] = data["text"].split(":")[0].removeprefix("SFFD call ")
            elif kind == "incident.created":
                incident_of[number[data["call"]]] = data["incident"]
            elif kind == "recommendation.made":
                ranking[data["incident"]] = data["candidates"]
            elif kind == "unit.status_changed" and data["to"] == "enroute":
                enroute[(data["unit"], data["incident"])] = at
            elif kind == "unit.status_changed" and data["to"] == "onscene":
                incident = data["incident"]
                if incident not in first_at or at < first_at[incident]:
                    first_at[incident] = at
                    first[incident] = (at - enroute[(data["unit"], incident)]).total_seconds()
    return {"incident_of": incident_of, "ranking": ranking, "first_travel": first}


def test_the_report_numbers_match_an_independent_computation(
    raw_slice: Path, replayed: tuple[Path, str]
) -> None:
    out, _ = replayed
    summary = json.loads((out / "summary.json").read_text())
    real = _real_calls(raw_slice)
    journal = _journal(out / "journal.db")

    # which calls were replayed: those inside the map's area, less the far-from-road ones
    inside = {
        n
        for n, c in real.items()
        if AREA[0] <= c["lat"] <= AREA[2] and AREA[1] <= c["lon"] <= AREA[3]
    }
    replayed_calls = set(journal["incident_of"])
    assert replayed_calls <= inside
    far = summary["input"]["calls_dropped"].get("more than 150 m from a mapped road", 0)
    assert len(inside) - len(replayed_calls) == far
    assert summary["calls_replayed"] == len(replayed_calls) > 50
    assert summary["input"]["calls"] == len(real)

    agree = compared = 0
    by_kind: defaultdict[str, list[bool]] = defaultdict(list)
    errors: list[float] = []
    real_travel: list[float] = []
    replay_travel: list[float] = []
    for call_number, incident in journal["incident_of"].items():
        first = real[call_number]["first"]
        if incident in journal["first_travel"]:
            replay_travel.append(journal["first_travel"][incident])
        if first is None:
            continue
        if first["travel"] is not None:
            real_travel.append(first["travel"])
        ranking = journal["ranking"][incident]
        same_kind = [c for c in ranking if c["kind"] == first["kind"]]
        if same_kind:
            compared += 1
            agree += same_kind[0]["unit"] == first["unit"]
            by_kind[first["kind"]].append(same_kind[0]["unit"] == first["unit"])
        mine = [c["eta_s"] for c in ranking if c["unit"] == first["unit"]]
        if mine and first["travel"] is not None:
            errors.append(mine[0] - first["travel"])

    head = summary["first_unit"]
    assert (head["calls_compared"], head["agree"]) == (compared, agree)
    assert head["agreement_share"] == pytest.approx(agree / compared)
    assert {k: (v["calls"], v["agree"]) for k, v in head["by_kind"].items()} == {
        k: (len(v), sum(v)) for k, v in by_kind.items()
    }
    err = summary["eta_error_real_first_unit"]
    assert err["n"] == len(errors) > 30
    assert err["median_abs_error_s"] == pytest.approx(statistics.median(abs(e) for e in errors))
    assert err["share_within_60s"] == pytest.approx(sum(abs(e) <= 60 for e in errors) / len(errors))
    assert err["median_error_s"] == pytest.approx(statistics.median(errors))
    travel = summary["travel_p90_s"]
    assert travel["real_first_unit_travel"] == pytest.approx(np.percentile(real_travel, 90))
    assert travel["replayed_first_unit_travel"] == pytest.approx(np.percentile(replay_travel, 90))


def test_the_journal_verifies_and_every_command_was_accepted(replayed: tuple[Path, str]) -> None:
    out, output = replayed
    result = CliRunner().invoke(app, ["journal", "verify", "--db", str(out / "journal.db")])
    assert result.exit_code == 0 and "journal ok" in result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["journal"]["verified"] is True
    assert summary["journal"]["rejected_commands"] == 0
    assert summary["journal"]["policy_failures"] == 0
    assert "calls replayed" in output


def test_the_report_files_are_written(replayed: tuple[Path, str]) -> None:
    out, _ = replayed
    page = (out / "report.html").read_text()
    for name in (
        "summary",
        "eta_vs_real",
        "eta_error",
        "response_times",
        "travel_p90",
        "utilisation",
    ):
        png = out / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "error_map.png").exists()
    assert page.count("<img src='data:image/png;base64,") == 7
    assert "Every replayed call" in page
    with (out / "calls.csv").open() as handle:
        assert (
            len(list(csv.DictReader(handle)))
            == json.loads((out / "summary.json").read_text())["calls_replayed"]
        )


def test_every_unit_drives_home_and_incidents_close(replayed: tuple[Path, str]) -> None:
    out, _ = replayed
    with SqliteEventStore(out / "journal.db") as store:
        events = list(store.read())
    homes = {e.data["unit"]: e.data["home"] for e in events if e.type == "unit.registered"}
    kinds = {e.data["unit"]: e.data["kind"] for e in events if e.type == "unit.registered"}
    last: dict[str, tuple[float, float]] = {}
    opened = closed = 0
    per_unit: defaultdict[str, list[str]] = defaultdict(list)
    for e in events:
        if e.type == "unit.located":
            last[e.data["unit"]] = (e.data["lat"], e.data["lon"])
        elif e.type == "incident.created":
            opened += 1
        elif e.type == "incident.closed":
            closed += 1
        elif e.type == "unit.status_changed":
            per_unit[e.data["unit"]].append(e.data["to"])
    assert opened == closed
    for unit, statuses in per_unit.items():
        assert statuses[-1] == "available"
        if kinds[unit] in AMBULANCE_KINDS:
            continue  # back to its post (test_posts.py), not to where it started
        # the last position reported is the unit's home (after the drive back)
        assert last[unit] == pytest.approx((homes[unit]["lat"], homes[unit]["lon"]), abs=1e-6)
