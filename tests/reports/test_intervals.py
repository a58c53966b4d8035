"""Interval reports: a scenario's figures against times worked out by hand from its
events, incomplete incidents listed with their reasons, and bad options refused."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tenfour.cli import app
from tenfour.journal import StoredEvent, open_store
from tenfour.reports.intervals import (
    FOLDED_TYPES,
    IntervalFold,
    ReportError,
    fold_store,
    load_districts,
    load_targets,
    parse_by,
    parse_time,
    summarise,
)
from tenfour.sim.runner import run_scenario
from tenfour.sim.scenario_file import load_scenario
from tests.reports.districts import write_central

SCENARIO = Path(__file__).resolve().parents[3] / "shared" / "scenarios" / "priority-one.yaml"


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[StoredEvent]]:
    out = tmp_path_factory.mktemp("priority-one")
    result = run_scenario(load_scenario(SCENARIO), out_dir=out)
    return out / "journal.db", result.events


def _at(events: list[StoredEvent], kind: str, **match: Any) -> datetime:
    """The time of the first event of ``kind`` whose data has every ``match``."""
    found = next(
        e for e in events if e.type == kind and all(e.data.get(k) == v for k, v in match.items())
    )
    return datetime.fromisoformat(found.at)


def _s(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds()


def test_the_figures_equal_the_times_worked_out_from_the_events(
    played: tuple[Path, list[StoredEvent]],
) -> None:
    _, events = played
    fold = IntervalFold().add_all(events)
    # By hand. The tip case (2026-000002): received with the tip, dispatched ZPD-7,
    # which went en route and arrived.
    tip = _at(events, "tip.received")
    drugs = "2026-000002"
    dispatched = _at(events, "unit.dispatched", incident=drugs, unit="ZPD-7")
    enroute = _at(events, "unit.status_changed", incident=drugs, unit="ZPD-7", to="enroute")
    onscene = _at(events, "unit.status_changed", incident=drugs, unit="ZPD-7", to="onscene")
    assert (
        fold.incidents[drugs].intervals()
        == {
            "call_processing_s": _s(tip, dispatched),
            "turnout_s": _s(dispatched, enroute),
            "travel_s": _s(enroute, onscene),
            "response_s": _s(tip, onscene),
        }
        == {"call_processing_s": 45.0, "turnout_s": 5.0, "travel_s": 310.0, "response_s": 360.0}
    )
    # The officer's pursuit (2026-000003): no call, so received = created; urgent backup
    # ZPD-6 and ZPD-3 sent at once; ZPD-6 first on scene (ZPD-3 15 s later).
    pursuit = "2026-000003"
    created = _at(events, "incident.created", incident=pursuit)
    sent = _at(events, "unit.dispatched", incident=pursuit, unit="ZPD-6")
    rolling = _at(events, "unit.status_changed", incident=pursuit, unit="ZPD-6", to="enroute")
    there = _at(events, "unit.status_changed", incident=pursuit, unit="ZPD-6", to="onscene")
    assert there < _at(events, "unit.status_changed", incident=pursuit, unit="ZPD-3", to="onscene")
    times = fold.incidents[pursuit]
    assert times.first_unit is not None and times.first_unit.unit == "ZPD-6"
    assert (
        times.intervals()
        == {
            "call_processing_s": _s(created, sent),
            "turnout_s": _s(sent, rolling),
            "travel_s": _s(rolling, there),
            "response_s": _s(created, there),
        }
        == {"call_processing_s": 0.0, "turnout_s": 10.0, "travel_s": 230.0, "response_s": 240.0}
    )
    # M-51's transport: on scene, transporting, at hospital, available at the close.
    medic = next(r for r in times.responses if r.unit == "M-51")
    assert medic.transport_start == _at(events, "transport.started", unit="M-51")
    assert medic.at_hospital == _at(events, "transport.arrived", unit="M-51")
    assert medic.available == _at(events, "incident.closed", incident=pursuit)
    assert medic.kind == "ambulance-als" and medic.agency == "ZFD"

    summary = summarise(fold, by=["type"])
    travel = summary["overall"]["travel_s"]
    # two first-unit travels, 310 and 230: linear 90th percentile 230 + 0.9 * 80
    assert travel["n"] == 2 and travel["p90_s"] == pytest.approx(302.0)
    assert travel["target_s"] == 240.0 and travel["within_target"] == 1
    assert travel["share_within_target"] == 0.5 and travel["meets_target"] is False
    turnout = summary["overall"]["turnout_s"]
    assert turnout["target_s"] == 80.0 and turnout["share_within_target"] == 1.0  # police: 80 s
    by_type = {g["key"]["type"]: g for g in summary["groups"]}
    assert set(by_type) == {"NOISE", "DRUGS", "MAYDAY"}  # the pursuit became a MAYDAY
    assert by_type["DRUGS"]["travel_s"]["p90_s"] == 310.0


def test_incomplete_incidents_are_counted_and_listed_with_the_reason(
    played: tuple[Path, list[StoredEvent]],
) -> None:
    _, events = played
    summary = summarise(IntervalFold().add_all(events))
    # The roster's noise call: ZPD-4 put on scene straight from dispatched, no en route.
    assert summary["incidents"] == {"count": 3, "complete": 2, "with_problems": 1}
    assert summary["problems"]["incidents"] == [
        {"incident": "2026-000001", "reasons": ["ZPD-4: on scene without en route"]}
    ]
    assert summary["problems"]["by_reason"] == {"on scene without en route": 1}
    # its call processing and total response still count; its turnout and travel cannot
    assert summary["overall"]["call_processing_s"]["n"] == 3
    assert summary["overall"]["travel_s"]["n"] == 2


def _event(seq: int, type_: str, at: str, **data: Any) -> StoredEvent:
    return StoredEvent(seq, "s", seq, type_, at, "system", data, None, "", "")


def test_inconsistent_times_are_never_used_and_are_listed() -> None:
    events = [
        _event(1, "unit.registered", "2026-01-01T10:00:00+00:00", unit="E1", kind="engine", agency="F"),
        _event(2, "call.received", "2026-01-01T10:00:00+00:00", call="C-1"),
        _event(3, "incident.created", "2026-01-01T10:00:10+00:00", call="C-1", incident="I-1",
               incident_type="FIRE", priority=1),
        _event(4, "unit.dispatched", "2026-01-01T10:01:00+00:00", unit="E1", incident="I-1"),
        # en route journaled before the dispatch's own time (a clock fixed afterwards)
        _event(5, "unit.status_changed", "2026-01-01T10:00:50+00:00", unit="E1", incident="I-1",
               to="enroute"),
        _event(6, "unit.status_changed", "2026-01-01T10:04:00+00:00", unit="E1", incident="I-1",
               to="onscene"),
        _event(7, "incident.created", "2026-01-01T11:00:00+00:00", incident="I-2",
               incident_type="FIRE", priority=2),
    ]  # fmt: skip
    summary = summarise(IntervalFold().add_all(events))
    listed = {p["incident"]: p["reasons"] for p in summary["problems"]["incidents"]}
    assert listed == {"I-1": ["E1: en route before dispatch"], "I-2": ["never dispatched"]}
    assert summary["overall"]["turnout_s"]["n"] == 0  # -10 s is not a turnout
    assert summary["overall"]["travel_s"]["p90_s"] == 190.0
    assert summary["overall"]["call_processing_s"]["p90_s"] == 60.0  # from the call, not creation


def test_the_window_and_hour_grouping() -> None:
    events = [
        _event(1, "incident.created", "2026-01-01T10:00:00+00:00", incident="I-1", priority=1),
        _event(2, "incident.created", "2026-01-02T10:00:00+00:00", incident="I-2", priority=1),
    ]
    fold = IntervalFold().add_all(events)
    start, end = parse_time("2026-01-02", "from"), parse_time("2026-01-03", "to")
    summary = summarise(fold, start=start, end=end, by=["day", "hour"])
    assert summary["incidents"]["count"] == 1
    assert [g["key"] for g in summary["groups"]] == [{"day": "2026-01-02", "hour": "10"}]


def test_districts_group_by_polygon(tmp_path: Path) -> None:
    path = write_central(tmp_path)
    districts = load_districts(path)
    events = [
        _event(1, "incident.created", "2026-01-01T10:00:00+00:00", incident="I-1",
               location={"lat": 37.795, "lon": -122.395}),
        _event(2, "incident.created", "2026-01-01T10:00:00+00:00", incident="I-2",
               location={"lat": 37.70, "lon": -122.395}),
    ]  # fmt: skip
    summary = summarise(IntervalFold().add_all(events), by=["district"], districts=districts)
    assert {g["key"]["district"]: g["incidents"] for g in summary["groups"]} == {
        "Central": 1,
        "(outside)": 1,
    }


@pytest.mark.parametrize(
    ("call", "field", "reason"),
    [
        (lambda: parse_by("agency,colour", districts=False), "by", "unknown grouping 'colour'"),
        (lambda: parse_by("district", districts=False), "by", "needs a districts file"),
        (lambda: parse_time("yesterday", "from"), "from", "not an ISO 8601"),
    ],
)
def test_bad_filters_name_the_option_and_the_reason(call: Any, field: str, reason: str) -> None:
    with pytest.raises(ReportError) as caught:
        call()
    assert caught.value.field == field and reason in caught.value.reason


def test_bad_targets_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "targets.yaml"
    path.write_text("travel_s: -5\n")
    with pytest.raises(ReportError, match="travel_s must be a positive number"):
        load_targets(path)
    path.write_text("travle_s: 200\n")
    with pytest.raises(ReportError, match="unknown key 'travle_s'"):
        load_targets(path)
    path.write_text("travel_s: 300\nturnout_s: {ems: 45, default: 70}\nfraction: 0.8\n")
    targets = load_targets(path)
    assert targets.travel_s == 300 and targets.for_metric("turnout_s", "ems") == 45
    assert targets.for_metric("turnout_s", "police") == 70 and targets.fraction == 0.8


def test_the_command_writes_csv_json_and_html(
    played: tuple[Path, list[StoredEvent]], tmp_path: Path
) -> None:
    database, _ = played
    targets = tmp_path / "targets.json"
    targets.write_text(json.dumps({"travel_s": 300}))
    out = tmp_path / "report"
    result = CliRunner().invoke(
        app,
        ["report", "--database", str(database), "--out", str(out), "--by", "agency,kind",
         "--targets", str(targets), "--from", "2026-11-24", "--to", "2026-11-25"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "3 incidents (1 with incomplete or inconsistent times)" in result.output
    summary = json.loads((out / "report.json").read_text())
    assert summary["overall"]["travel_s"]["share_within_target"] == 0.5  # 230 in, 310 out
    assert summary["by"] == ["agency", "kind"]
    with (out / "incidents.csv").open() as handle:
        rows = {r["incident"]: r for r in csv.DictReader(handle)}
    assert rows["2026-000002"]["travel_s"] == "310.0"
    assert rows["2026-000001"]["problems"] == "ZPD-4: on scene without en route"
    assert (out / "groups.csv").exists() and (out / "intervals.png").stat().st_size > 1000
    page = (out / "report.html").read_text()
    assert "data:image/png;base64," in page and "2026-000001" in page


def test_reading_only_the_folded_types_gives_the_same_figures(
    played: tuple[Path, list[StoredEvent]],
) -> None:
    database, events = played
    store = open_store(str(database), read_only=True)
    try:
        lean = fold_store(store)
    finally:
        store.close()
    full = IntervalFold().add_all(events)
    assert lean.events < full.events  # positions, recommendations... were never read
    assert lean.position == max(e.seq for e in events if e.type in FOLDED_TYPES)
    by = ["agency", "kind", "type", "priority", "hour"]
    lean_summary, full_summary = summarise(lean, by=by), summarise(full, by=by)
    assert lean_summary.pop("journal") != full_summary.pop("journal")
    assert lean_summary == full_summary


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--by", "colour"], "error: --by: unknown grouping 'colour'"),
        (["--by", "district"], "error: --by: grouping by district needs a districts file"),
        (["--from", "2026-11-25", "--to", "2026-11-24"], "error: --to: must be after from"),
        (["--from", "soon"], "error: --from: 'soon' is not an ISO 8601"),
    ],
)
def test_bad_options_exit_2_naming_the_option(
    played: tuple[Path, list[StoredEvent]], tmp_path: Path, options: list[str], message: str
) -> None:
    database, _ = played
    result = CliRunner().invoke(
        app, ["report", "--database", str(database), "--out", str(tmp_path), *options]
    )
    assert result.exit_code == 2 and message in result.output


def test_a_missing_journal_is_an_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["report", "--database", str(tmp_path / "none.db"), "--out", str(tmp_path)]
    )
    assert result.exit_code == 2 and "error: --database: no journal at" in result.output


def test_a_grouping_named_twice_groups_once() -> None:
    assert parse_by("day, hour,day", districts=False) == ["day", "hour"]


def test_parse_time_reads_dates_as_utc() -> None:
    assert parse_time("2026-11-24", "from") == datetime(2026, 11, 24, tzinfo=UTC)


def test_serve_refuses_a_bad_districts_file_at_start(tmp_path: Path) -> None:
    bad = tmp_path / "districts.geojson"
    bad.write_text('{"type": "Feature"}')
    result = CliRunner().invoke(
        app, ["serve", "--database", str(tmp_path / "t.db"), "--districts", str(bad)]
    )
    assert result.exit_code == 2, result.output
    assert (
        "error: --districts: " in result.output
        and "not a GeoJSON FeatureCollection" in result.output
    )
