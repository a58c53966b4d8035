"""The report's numbers: Ten-Four's recommendations and drive times against the real week.

Definitions (the README and the report use these words):

- **real first unit**: the unit of the call that was first on scene in reality.
- **recommended first unit**: the unit Ten-Four ranked first, at the call, among the
  units of the real first unit's kind (Ten-Four's choice for that job).
- **agree**: the two are the same unit.
- **predicted drive time of the recommended unit** (its ``eta_s``) against the real
  first unit's dispatch-to-on-scene time (which includes turnout, about a minute).
- **ETA error**: Ten-Four's ``eta_s`` for the real first unit (when that unit was in
  the ranking: on the roster and available in the replay at the call) minus its real
  travel time (en route to on scene). Reported as median absolute error, share
  within 60 s, the median signed error (the bias) and the median ratio of real to
  predicted travel (how much slower reality was than the map's speeds).
- **travel time, 90th percentile** (NFPA 1710 counts travel from en route to on
  scene, 240 s for the first engine at 90 %): real first units against the first
  unit on scene in the replay; also per unit kind over every unit response.
- **utilisation**: the share of the replay window (first to last call) a unit spent
  between dispatch and available, real (on the replayed calls only) and replayed.

Percentiles are numpy's default (linear interpolation).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import numpy as np

from tenfour.reports.intervals import percentile
from tenfour.sim.replay.calls import Call
from tenfour.sim.replay.engine import ReplayRun
from tenfour.sim.replay.journal_facts import JournalFacts
from tenfour.sim.replay.plan import responses_by_left_out
from tenfour.sim.replay.runcards import replay_comparison

NFPA_TRAVEL_S = 240.0
WITHIN_S = 60.0


@dataclass(frozen=True)
class CallRow:
    """One replayed call in the report's table."""

    call: str
    incident: str
    call_type: str
    priority: int
    lat: float
    lon: float
    real_first: str | None
    real_first_kind: str | None
    real_dispatch_to_scene_s: float | None
    real_travel_s: float | None
    recommended: str | None
    recommended_eta_s: float | None
    agree: bool | None
    eta_real_unit_s: float | None
    eta_error_s: float | None
    replay_first: str | None
    replay_travel_s: float | None


def call_rows(calls: list[Call], facts: JournalFacts) -> list[CallRow]:
    rows = []
    for call in calls:
        incident = facts.incident_of.get(call.number)
        if incident is None:
            continue
        first = call.first
        ranking = facts.ranking.get(incident, [])
        recommended = eta_real = recommended_eta = None
        if first is not None:
            same_kind = [c for c in ranking if c.get("kind") == first.kind]
            if same_kind:
                recommended = str(same_kind[0]["unit"])
                recommended_eta = float(same_kind[0]["eta_s"])
            eta_real = next((float(c["eta_s"]) for c in ranking if c["unit"] == first.unit), None)
        travel = first.travel_s if first else None
        arrival = facts.first_arrival(incident)
        lat, lon = call.point
        rows.append(
            CallRow(
                call=call.number,
                incident=incident,
                call_type=call.call_type,
                priority=call.priority,
                lat=lat,
                lon=lon,
                real_first=first.unit if first else None,
                real_first_kind=first.kind if first else None,
                real_dispatch_to_scene_s=first.dispatch_to_scene_s if first else None,
                real_travel_s=travel,
                recommended=recommended,
                recommended_eta_s=recommended_eta,
                agree=None if first is None or recommended is None else recommended == first.unit,
                eta_real_unit_s=eta_real,
                eta_error_s=None if eta_real is None or travel is None else eta_real - travel,
                replay_first=arrival.unit if arrival else None,
                replay_travel_s=arrival.travel_s if arrival else None,
            )
        )
    return rows


def _p(values: list[float], q: float) -> float | None:
    return percentile(values, q)  # the reports' definition: one implementation


def _share(hits: int, total: int) -> float | None:
    return hits / total if total else None


def _agreement(rows: list[CallRow]) -> dict[str, Any]:
    compared = [r for r in rows if r.agree is not None]
    agree = sum(1 for r in compared if r.agree)
    return {"calls": len(compared), "agree": agree, "share": _share(agree, len(compared))}


def _errors(rows: list[CallRow]) -> dict[str, Any]:
    errors = [r.eta_error_s for r in rows if r.eta_error_s is not None]
    absolute = [abs(e) for e in errors]
    ratios = [
        r.real_travel_s / r.eta_real_unit_s
        for r in rows
        if r.real_travel_s is not None and r.eta_real_unit_s  # a zero ETA has no ratio
    ]
    with_first = sum(1 for r in rows if r.real_travel_s is not None)
    return {
        "n": len(errors),
        "coverage": _share(len(errors), with_first),
        "median_abs_error_s": _p(absolute, 50),
        "share_within_60s": _share(sum(1 for e in absolute if e <= WITHIN_S), len(errors)),
        "median_error_s": _p(errors, 50),
        "p90_abs_error_s": _p(absolute, 90),
        # what the map's drive times would have to be multiplied by to match, at the median
        "median_real_over_predicted": _p(ratios, 50),
    }


def _travel(rows: list[CallRow]) -> dict[str, Any]:
    """First-unit travel: 90th percentiles and the share within NFPA 1710's 240 s."""
    real = [r.real_travel_s for r in rows if r.real_travel_s is not None]
    d2s = [r.real_dispatch_to_scene_s for r in rows if r.real_dispatch_to_scene_s is not None]
    replayed = [r.replay_travel_s for r in rows if r.replay_travel_s is not None]
    return {
        "calls": len(rows),
        "real_first_unit_travel": _p(real, 90),
        "real_first_unit_dispatch_to_scene": _p(d2s, 90),
        "replayed_first_unit_travel": _p(replayed, 90),
        "nfpa_share_within_240s_real": _share(
            sum(1 for t in real if t <= NFPA_TRAVEL_S), len(real)
        ),
        "nfpa_share_within_240s_replayed": _share(
            sum(1 for t in replayed if t <= NFPA_TRAVEL_S), len(replayed)
        ),
    }


def summarise(run: ReplayRun, rows: list[CallRow], facts: JournalFacts) -> dict[str, Any]:
    """Every headline number of the report (written as ``summary.json``)."""
    plan = run.plan
    compared = [r for r in rows if r.agree is not None]
    paired = [
        (r.recommended_eta_s, r.real_dispatch_to_scene_s)
        for r in rows
        if r.recommended_eta_s is not None and r.real_dispatch_to_scene_s is not None
    ]
    by_kind: dict[str, list[CallRow]] = defaultdict(list)
    for r in rows:
        if r.real_first_kind:
            by_kind[r.real_first_kind].append(r)
    return {
        "source": plan.source,
        "map": plan.map_name,
        "mode": run.options.mode,
        "input": {
            "rows": plan.rows,
            "calls": len(plan.calls),
            "calls_on_map": len(plan.kept),
            "calls_dropped": dict(plan.selection.dropped),
            "map_area": asdict(plan.selection.area),
            "units_in_data": len(plan.homes) + len(plan.left_out),
            "units_on_roster": len(plan.homes),
            "units_left_out": len(plan.left_out),
            "responses_by_units_left_out": dict(responses_by_left_out(plan)),
            "stations_estimated": len(plan.stations),
            "hospitals": [h.id for h in plan.hospitals],
        },
        "calls_replayed": len(rows),
        "unit_responses": dict(run.slots),
        "first_unit": {
            "calls_compared": len(compared),
            "agree": sum(1 for r in compared if r.agree),
            "agreement_share": _share(sum(1 for r in compared if r.agree), len(compared)),
            "by_kind": {kind: _agreement(group) for kind, group in sorted(by_kind.items())},
        },
        "recommended_vs_real": {
            "n": len(paired),
            "median_recommended_eta_s": _p([eta for eta, _ in paired], 50),
            "median_real_dispatch_to_scene_s": _p([real for _, real in paired], 50),
            "share_recommended_eta_shorter": _share(
                sum(1 for eta, real in paired if eta < real), len(paired)
            ),
        },
        "eta_error_real_first_unit": {
            **_errors(rows),
            "by_kind": {kind: _errors(group) for kind, group in sorted(by_kind.items())},
        },
        "travel_p90_s": {
            **_travel(rows),
            "emergency": _travel([r for r in rows if r.priority <= 2]),
            "by_kind": travel_by_kind(plan.kept, facts),
        },
        "utilisation": utilisation(run, facts),
        "plans": _plans(run),
        "alerts": dict(facts.alerts),
        "drives_after_clearing": dict(run.returns),
        "journal": {
            "events": facts.events,
            "commands_by_replay": run.commands,
            "routes_computed": run.routes,
            "commits": run.commits,
            "commits_one_per_command": run.transactions_asked,
            "replay_wall_s": round(run.wall_s, 2),
            "events_per_s": round(facts.events / run.wall_s, 1) if run.wall_s else None,
            "rejected_commands": len(run.rejected),
            "policy_failures": len(run.policy_failures),
        },
    }


def _plans(run: ReplayRun) -> dict[str, Any] | None:
    """With ``--plans``: the kinds and counts Ten-Four sent against the real ones."""
    plans = run.plan.plans
    if plans is None or not run.options.plans:
        return None
    return {"plans": len(plans.plans), **replay_comparison(run.choices, plans.plans)}


def travel_by_kind(calls: list[Call], facts: JournalFacts) -> dict[str, dict[str, Any]]:
    """90th-percentile travel per unit kind over every unit response, real and replayed."""
    real: dict[str, list[float]] = defaultdict(list)
    for call in calls:
        if call.number not in facts.incident_of:
            continue
        for slot in call.slots:
            if slot.travel_s is not None:
                real[slot.kind].append(slot.travel_s)
    replayed: dict[str, list[float]] = defaultdict(list)
    for arrivals in facts.arrivals.values():
        for a in arrivals:
            replayed[a.kind].append(a.travel_s)
    return {
        kind: {
            "real_p90_s": _p(real[kind], 90),
            "replayed_p90_s": _p(replayed[kind], 90),
            "real_n": len(real[kind]),
            "replayed_n": len(replayed[kind]),
        }
        for kind in sorted(set(real) | set(replayed))
    }


def _busy_s(intervals: list[tuple[datetime, datetime]], start: datetime, end: datetime) -> float:
    """Seconds covered by the union of ``intervals`` inside [start, end]."""
    total = 0.0
    reach = start
    for a, b in sorted(intervals):
        a, b = max(a, reach), min(b, end)
        if b > a:
            total += (b - a).total_seconds()
            reach = b
    return total


def utilisation(run: ReplayRun, facts: JournalFacts) -> dict[str, Any]:
    calls = run.plan.kept
    if not calls:
        return {}
    start, end = calls[0].received, calls[-1].received
    window = max(1.0, (end - start).total_seconds())
    real: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for call in calls:
        for slot in call.slots:
            if slot.available is not None and slot.unit in run.plan.homes:
                real[slot.unit].append((slot.dispatch, slot.available))
    units: dict[str, dict[str, Any]] = {}
    for unit, home in sorted(run.plan.homes.items()):
        units[unit] = {
            "kind": home.kind,
            "real": _busy_s(real[unit], start, end) / window,
            "replayed": _busy_s(facts.busy.get(unit, []), start, end) / window,
        }
    kinds: dict[str, dict[str, float]] = {}
    for kind in sorted({u["kind"] for u in units.values()}):
        group = [u for u in units.values() if u["kind"] == kind]
        kinds[kind] = {
            "units": len(group),
            "real": float(np.mean([u["real"] for u in group])),
            "replayed": float(np.mean([u["replayed"] for u in group])),
        }
    return {
        "window_h": round(window / 3600, 2),
        "real_mean": float(np.mean([u["real"] for u in units.values()])) if units else None,
        "replayed_mean": float(np.mean([u["replayed"] for u in units.values()])) if units else None,
        "by_kind": kinds,
        "units": units,
    }
