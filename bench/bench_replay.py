"""Benchmark: the whole SFFD week replayed through the real service and journal.

Run: ``.venv/bin/python -m bench.bench_replay [--csv PATH] [--modes recommended,as-dispatched]
[--travel-model MODEL --plans PLANS] [--calls N]``.

``--modes`` may include ``planned`` (Ten-Four's response plans choose the units; needs
``--plans``); ``--travel-model`` ranks on a calibrated model (``tenfour calibrate``).
``--calls N`` replays only the first N calls on the map (a quick look while developing).

For each mode, on the demo map at ``--speed max`` into a durable SQLite journal on
this disk (target: the replay under 60 s): wall time of reading and planning, of the
replay itself and of the report; events and commits journaled; events/s and
commits/s. The baseline, measured in the same run on the same disk: the journal's
own append rate with one event per commit (each commit is an fsync). The replay
commits once per step (``sim.replay.grouped``: everything up to one call's arrival in
one transaction), so "fsync floor" (its commits at that rate) is small; "1 commit per
command" is what the same commands would cost in fsyncs alone, one commit each, as
before grouping. CPU s is this process's CPU time during the replay: wall time minus
CPU time is waiting (the disk, or other processes on a shared machine).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from tenfour.journal import AppendResult, NewEvent, SqliteEventStore
from tenfour.policies.planfile import PlanFile, load_plan_file
from tenfour.sim.replay.calls import CallSelection
from tenfour.sim.replay.engine import JOURNAL, ReplayOptions, run_replay
from tenfour.sim.replay.plan import plan_replay
from tenfour.sim.replay.report import write_report
from tenfour.travel.model import TravelModel, load_model

ROOT = Path(__file__).resolve().parents[1]
WEEK = (
    ROOT.parent / "shared" / "data" / "sf" / "sffd_calls_for_service_2016-12-31_to_2017-01-07.csv"
)


class CountingStore(SqliteEventStore):
    """The SQLite journal, counting its commits (one per ``append`` or ``batch``)."""

    commits = 0

    def batch(self) -> Any:
        self.commits += 1
        return super().batch()

    def append(
        self,
        events: Sequence[NewEvent],
        *,
        expected: Mapping[str, int] | None = None,
        idempotency_key: str | None = None,
    ) -> AppendResult:
        self.commits += 1
        return super().append(events, expected=expected, idempotency_key=idempotency_key)


def append_rate(folder: Path, count: int = 2000) -> float:
    """Journal appends per second, one event per commit, on a fresh file in ``folder``."""
    with SqliteEventStore(folder / "baseline.db") as store:
        start = time.perf_counter()
        for i in range(count):
            data = {"unit": f"E{i % 40:02d}", "lat": 37.79 + i * 1e-6, "lon": -122.41}
            store.append(
                [
                    NewEvent(
                        "unit.located", f"unit:E{i % 40:02d}", "2017-01-01T08:00:00Z", "avl", data
                    )
                ]
            )
        return count / (time.perf_counter() - start)


def replay_once(
    csv: Path,
    folder: Path,
    mode: str,
    model: TravelModel | None = None,
    plans: PlanFile | None = None,
    calls: int | None = None,
    group_steps: bool = True,
) -> dict[str, float]:
    started = time.perf_counter()
    plan = plan_replay(csv, travel_model=model, plans=plans if mode == "planned" else None)
    if calls is not None:
        kept = plan.kept[:calls]
        plan = replace(
            plan, selection=CallSelection(kept, plan.selection.dropped, plan.selection.area)
        )
    planned = time.perf_counter()
    store = CountingStore(folder / JOURNAL)
    cpu = time.process_time()
    try:
        options = ReplayOptions(
            as_dispatched=mode == "as-dispatched", plans=mode == "planned", group_steps=group_steps
        )
        run = run_replay(plan, folder, options, store=store)
    finally:
        store.close()
    replayed = time.perf_counter()
    cpu_s = time.process_time() - cpu
    write_report(run, folder)
    reported = time.perf_counter()
    return {
        "calls": len(plan.kept),
        "plan_s": planned - started,
        "replay_s": replayed - planned,
        "cpu_s": cpu_s,
        "report_s": reported - replayed,
        "events": run.events,
        "commands": run.commands,
        "commits": store.commits,
        "appends": run.transactions_asked,
        "rejected": len(run.rejected),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=WEEK, help="the SFFD CSV to replay")
    parser.add_argument("--modes", default="recommended,as-dispatched")
    parser.add_argument("--travel-model", type=Path, help="a model from 'tenfour calibrate'")
    parser.add_argument("--plans", type=Path, help="a plan file ('tenfour plans suggest')")
    parser.add_argument("--calls", type=int, help="replay only the first N calls on the map")
    parser.add_argument(
        "--compare",
        action="store_true",
        help="also replay each mode with one commit per command (the baseline, same run)",
    )
    args = parser.parse_args()
    if not args.csv.exists():
        raise SystemExit(f"{args.csv} not found (the SFFD week beside the checkout)")
    modes = args.modes.split(",")
    if "planned" in modes and args.plans is None:
        raise SystemExit("--modes planned needs --plans FILE")
    model = load_model(args.travel_model) if args.travel_model else None
    plans = load_plan_file(args.plans) if args.plans else None
    rows = []
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        baseline = append_rate(Path(tmp))
        for mode in modes:
            folder = Path(tmp) / mode
            folder.mkdir()
            rows.append((mode, replay_once(args.csv, folder, mode, model, plans, args.calls)))
            if args.compare:
                folder = Path(tmp) / f"{mode}-each"
                folder.mkdir()
                each = replay_once(args.csv, folder, mode, model, plans, args.calls, False)
                rows.append((f"{mode}, 1 commit per command", each))
        after = append_rate(Path(tmp) / modes[0])  # the disk may have changed meanwhile
    load = os.getloadavg()
    model_name = args.travel_model.name if args.travel_model else "map speeds"
    print(
        f"Replay of {args.csv.name} on the demo map ({model_name}), --speed max, durable "
        f"SQLite journal; load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}\n"
    )
    print(
        "| mode | calls | plan s | replay s (target < 60) | CPU s | report s | events "
        "| commands | commits | events/s | fsync floor s | 1 commit per command: fsyncs s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    rate = (baseline + after) / 2
    for mode, r in rows:
        print(
            f"| {mode} | {r['calls']:,.0f} | {r['plan_s']:.1f} | {r['replay_s']:.1f} | "
            f"{r['cpu_s']:.1f} | {r['report_s']:.1f} | {r['events']:,.0f} | "
            f"{r['commands']:,.0f} | {r['commits']:,.0f} | "
            f"{r['events'] / r['replay_s']:,.0f} | {r['commits'] / rate:.1f} | "
            f"{r['appends'] / rate:.1f} |"
        )
    print(
        f"\nBaseline: journal appends, 1 event per commit, same disk, same run: "
        f"{baseline:,.0f}/s before and {after:,.0f}/s after the replays."
    )
    if args.compare:
        for (mode, grouped), (_, each) in zip(rows[::2], rows[1::2], strict=True):
            print(
                f"{mode}: one transaction per step takes {grouped['replay_s'] / each['replay_s']:.2f}x "
                f"the wall time and {grouped['cpu_s'] / each['cpu_s']:.2f}x the CPU time of one "
                f"commit per command ({each['replay_s']:.1f} s -> {grouped['replay_s']:.1f} s)"
            )
    for mode, r in rows:
        if r["rejected"]:
            print(f"warning: {mode}: {r['rejected']:.0f} replay commands were rejected")


if __name__ == "__main__":
    main()
