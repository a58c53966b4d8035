"""Response plans from history (``sim/replay/runcards.py``, ``tenfour plans suggest``)
and the replay that lets Ten-Four's plans choose kinds and counts (``--plans``)."""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tenfour.journal import SqliteEventStore
from tenfour.policies.planfile import PlanFile, load_plan_file
from tenfour.policies.plans_cli import plans_app
from tenfour.sim.replay.calls import Call, Slot, group_calls
from tenfour.sim.replay.cli import replay_app
from tenfour.sim.replay.plan import replay_config
from tenfour.sim.replay.records import read_responses
from tenfour.sim.replay.runcards import compare, split_by_day, suggest_plans

from .conftest import NORMALISED, replay

T0 = datetime(2017, 1, 2, 20, 0, tzinfo=UTC)  # noon in San Francisco


def _call(number: int, type_code: str, kinds: list[str], priority: int = 1, day: int = 0) -> Call:
    at = T0 + timedelta(days=day, minutes=number)
    slots = tuple(
        Slot(f"U{number}-{i}", kind, i, at, None, None, None, None, None)
        for i, kind in enumerate(kinds)
    )
    return Call(
        str(number), type_code, type_code, "", priority, at, 37.79, -122.41, "", "", None, slots
    )


# --- suggesting and comparing --------------------------------------------------------------------
def test_the_most_common_real_assignment_per_type_with_its_share() -> None:
    calls = [
        *(_call(i, "FIRE", ["engine", "engine", "truck"]) for i in range(3)),
        _call(3, "FIRE", ["engine"]),
        *(_call(10 + i, "MEDICAL", ["ambulance-als"], priority=3) for i in range(3)),
        *(_call(20 + i, "MEDICAL", ["ambulance-als", "engine"], priority=1) for i in range(4)),
        _call(30, "GAS", ["engine"]),
        _call(31, "GAS", ["truck"]),  # a tie: the smaller assignment, then by name
    ]
    got = {s.key: (s.plan, s.calls, s.of) for s in suggest_plans(calls, min_priority_calls=3)}
    assert got == {
        "FIRE": ({"engine": 2, "truck": 1}, 3, 4),
        "MEDICAL": ({"ambulance-als": 1, "engine": 1}, 4, 7),
        # priority 3 has 3 calls of its own and a different most common assignment
        "MEDICAL/P3": ({"ambulance-als": 1}, 3, 3),
        "GAS": ({"engine": 1}, 1, 2),
    }
    # with a higher bar, no priority gets a plan of its own
    assert "MEDICAL/P3" not in {s.key for s in suggest_plans(calls, min_priority_calls=4)}


def test_the_comparison_counts_equal_calls_and_kinds_within_one() -> None:
    plans = {"FIRE": {"engine": 2, "truck": 1}, "MEDICAL/P1": {"ambulance-als": 1}}
    calls = [
        _call(1, "FIRE", ["engine", "engine", "truck"]),  # equal
        _call(2, "FIRE", ["engine", "truck", "truck", "chief"]),  # engine -1, truck +1, chief +1
        _call(3, "FIRE", ["engine", "engine", "engine", "engine"]),  # engine +2, truck -1
        _call(4, "MEDICAL", ["ambulance-als"], priority=1),  # equal
        _call(5, "MEDICAL", ["ambulance-als"], priority=3),  # no plan: every kind missing
    ]
    result = compare(plans, calls).as_dict()
    assert (result["calls"], result["covered"]) == (5, 4)
    assert result["share_equal"] == pytest.approx(2 / 5)
    assert result["share_all_kinds_within_1"] == pytest.approx(4 / 5)
    by_kind = result["by_kind"]
    assert isinstance(by_kind, dict)
    assert by_kind["engine"] == {"calls": 3, "share_equal": 1 / 3, "share_within_1": 2 / 3}
    assert by_kind["truck"] == {"calls": 3, "share_equal": 1 / 3, "share_within_1": 1.0}
    assert by_kind["chief"] == {"calls": 1, "share_equal": 0.0, "share_within_1": 1.0}
    assert by_kind["ambulance-als"] == {"calls": 2, "share_equal": 0.5, "share_within_1": 1.0}


def test_the_day_split_fits_on_the_first_days_only() -> None:
    calls = [_call(i, "FIRE", ["engine"], day=i % 3) for i in range(9)]
    fit, held, days = split_by_day(calls, 2)
    assert len(days) == 3
    assert {c.received.date() for c in fit} == {T0.date(), (T0 + timedelta(days=1)).date()}
    assert {c.number for c in held} == {"2", "5", "8"}
    with pytest.raises(ValueError, match="--fit-days 3: the records span 3 days, give 1 to 2"):
        split_by_day(calls, 3)
    with pytest.raises(ValueError, match="a day split needs at least 2"):
        split_by_day(calls[:1], 1)


# --- tenfour plans suggest sffd ------------------------------------------------------------------
def _week_csv(path: Path) -> Path:
    """Four days of normalised records: ALARM calls get E+T+chief on most days."""
    with NORMALISED.open(encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    rows = []
    pattern = {
        0: [["ENGINE", "TRUCK", "CHIEF"]] * 3 + [["ENGINE"]],
        1: [["ENGINE", "TRUCK", "CHIEF"]] * 2,
        2: [["ENGINE", "TRUCK", "CHIEF"], ["ENGINE", "TRUCK"], ["ENGINE"] * 3],
        3: [["ENGINE", "TRUCK", "CHIEF"], ["TRUCK"]],
    }
    number = 100
    for day, calls in pattern.items():
        for units in calls:
            number += 1
            at = f"2017-01-0{day + 2}T10:{number % 60:02d}:00"
            for i, unit_type in enumerate(units):
                row = dict.fromkeys(header, "")
                row.update(
                    call_number=str(number),
                    unit_id=f"{unit_type[0]}{i + 1}",
                    unit_type=unit_type,
                    call_type="Alarms",
                    call_type_group="Alarm",
                    received_at=at,
                    dispatch_at=at,
                    priority="3",
                    lat="37.79",
                    lon="-122.41",
                )
                rows.append(row)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_suggest_writes_a_valid_plan_file_and_reports_held_out_days(tmp_path: Path) -> None:
    source = _week_csv(tmp_path / "week.csv")
    out = tmp_path / "plans.yaml"
    args = ["suggest", "sffd", str(source), "--out", str(out), "--fit-days", "2"]
    result = CliRunner().invoke(plans_app, args)
    assert result.exit_code == 0, result.output
    assert load_plan_file(out).plans == {"ALARM": {"chief": 1, "engine": 1, "truck": 1}}
    assert "# 83.3 % of 6" in out.read_text()  # 5 of the 6 fitted calls had it
    # the held-out days: 2 of 5 calls equal; every kind within ±1 on all but E+E+E
    assert "held-out days: real assignment = plan on 40.0 % of 5 calls" in result.output
    assert "every kind within ±1 on 80.0 %" in result.output
    calls = group_calls(read_responses(source))
    _, held, _ = split_by_day(calls, 2)
    assert compare(load_plan_file(out).plans, held).as_dict()["share_equal"] == pytest.approx(0.4)
    # the baseline: E+T+C for every call, the same here as there is one type
    assert "baseline, one assignment for every type: = real on 40.0 %" in result.output


def test_a_replay_without_plans_drops_the_shipped_demo_plans() -> None:
    # TRAFFIC_COLLISION/P1 has a demo plan (police and an ambulance): an SFFD replay
    # without --plans must keep sending the nearest unit of any kind
    config = replay_config({"engine", "ambulance-als"}, {"TRAFFIC_COLLISION"})
    assert config.plans == {}
    assert config.plan_for("TRAFFIC_COLLISION", 1) == ("", {"sffd": 1})
    planned = replay_config(
        {"engine"}, {"MEDICAL", "TRAFFIC_COLLISION"}, PlanFile(plans={"MEDICAL": {"engine": 2}})
    )
    assert planned.plans == {"MEDICAL": {"engine": 2}}
    assert planned.plan_for("TRAFFIC_COLLISION", 1) == ("", {"sffd": 1})


def test_suggest_refuses_a_split_the_records_cannot_give(tmp_path: Path) -> None:
    source = _week_csv(tmp_path / "week.csv")
    result = CliRunner().invoke(plans_app, ["suggest", "sffd", str(source), "--fit-days", "4"])
    assert result.exit_code == 2
    assert "--fit-days 4: the records span 4 days, give 1 to 3" in result.output


def test_check_names_the_line_of_a_bad_plan(tmp_path: Path) -> None:
    path = tmp_path / "plans.yaml"
    path.write_text("plans:\n  ALARM: {engine: -1}\n")
    result = CliRunner().invoke(plans_app, ["check", str(path)])
    assert result.exit_code == 2
    assert "plans.yaml:2: plans.ALARM.engine: Input should be greater" in result.output


# --- replay sffd --plans -------------------------------------------------------------------------
PLANS = """\
plans:
  MEDICAL: {engine: 1, ambulance-als: 1}
  ALARM: {engine: 2, truck: 1, chief: 1}
"""


def test_the_replay_with_plans_sends_the_plans_units_and_compares(
    raw_slice: Path, tmp_path: Path
) -> None:
    plan_file = tmp_path / "plans.yaml"
    plan_file.write_text(PLANS)
    out = tmp_path / "replay"
    output = replay(raw_slice, out, "--plans", str(plan_file))
    assert "(planned units)" in output
    assert "units sent by plan = real assignment:" in output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["mode"] == "planned"
    assert summary["journal"]["verified"] is True
    assert summary["journal"]["rejected_commands"] == 0

    with SqliteEventStore(out / "journal.db") as store:
        events = list(store.read())
    kinds = {e.data["unit"]: e.data["kind"] for e in events if e.type == "unit.registered"}
    number = {
        e.data["call"]: e.data["text"].split(":")[0].split()[-1]
        for e in events
        if e.type == "call.received"
    }
    created = {e.data["incident"]: e.data for e in events if e.type == "incident.created"}
    call_of = {i: number[d["call"]] for i, d in created.items()}
    needs: defaultdict[str, Counter[str]] = defaultdict(Counter)
    candidates: defaultdict[str, dict[str, list[str]]] = defaultdict(dict)
    for e in events:
        if e.type == "recommendation.made" and e.data["purpose"] == "initial":
            needs[e.data["incident"]][e.data["need"]] += e.data["count"]
            candidates[e.data["incident"]][e.data["need"]] = [
                c["unit"] for c in e.data["candidates"]
            ]
    sent: defaultdict[str, list[str]] = defaultdict(list)
    for e in events:
        if e.type == "unit.dispatched":
            sent[e.data["incident"]].append(e.data["unit"])

    checked = 0
    for incident, data in created.items():
        type_ = data["incident_type"]
        if type_ in ("MEDICAL", "ALARM"):
            plan = {"MEDICAL": {"engine": 1, "ambulance-als": 1}}.get(
                type_, {"engine": 2, "truck": 1, "chief": 1}
            )
            assert dict(needs[incident]) == plan
            got = Counter(kinds[u] for u in sent[incident])
            assert all(got[k] <= plan.get(k, 0) for k in got)  # never more than planned
            checked += got == Counter(plan)
        else:  # no plan: the nearest unit of any kind
            assert dict(needs[incident]) == {"sffd": 1}
            assert len(sent[incident]) <= 1
        for unit in sent[incident]:  # every unit sent was recommended for its kind's need
            need = kinds[unit] if kinds[unit] in candidates[incident] else "sffd"
            assert unit in candidates[incident][need]
    assert checked > 20

    # the report's comparison, recomputed from the journal and the CSV
    real: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for call in group_calls(read_responses(raw_slice)):
        real[call.number] = Counter(s.kind for s in call.slots)
    equal = sum(Counter(kinds[u] for u in sent[i]) == real[call_of[i]] for i in created)
    p = summary["plans"]
    assert (p["calls"], p["plans"]) == (len(created), 2)
    assert p["covered"] == sum(d["incident_type"] in ("MEDICAL", "ALARM") for d in created.values())
    assert p["share_equal"] == pytest.approx(equal / len(created))
    assert sum(d["calls"] for d in p["by_day"].values()) == len(created)
    assert "Response plans against the real assignments" in (out / "report.html").read_text()


def test_a_bad_plan_file_stops_the_replay_before_it_starts(raw_slice: Path, tmp_path: Path) -> None:
    plan_file = tmp_path / "plans.yaml"
    plan_file.write_text("plans:\n  MEDICAL: {engine: many}\n")
    result = CliRunner().invoke(
        replay_app,
        ["sffd", str(raw_slice), "--out", str(tmp_path / "o"), "--plans", str(plan_file)],
    )
    assert result.exit_code == 2
    assert "plans.yaml:2: plans.MEDICAL.engine: Input should be a valid integer" in result.output
    assert not (tmp_path / "o").exists()
