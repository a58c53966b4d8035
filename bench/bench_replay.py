"""Benchmark: the whole SFFD week replayed through the real service and journal.

Run: ``.venv/bin/python -m bench.bench_replay [--csv PATH] [--modes recommended,as-dispatched]``.

For each mode, on the demo map at ``--speed max`` into a durable SQLite journal on
this disk (target: the replay under 60 s): wall time of reading and planning, of the
replay itself and of the report; events and commits journaled; events/s and
commits/s. The baseline, measured in the same run on the same disk: the journal's
own append rate with one event per commit (each commit is an fsync), which bounds
how fast any replay can journal. "fsync floor" is the replay's commits at that rate.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from tenfour.journal import AppendResult, NewEvent, SqliteEventStore
from tenfour.sim.replay.engine import JOURNAL, ReplayOptions, run_replay
from tenfour.sim.replay.plan import plan_replay
from tenfour.sim.replay.report import write_report

ROOT = Path(__file__).resolve().parents[1]
WEEK = (
    ROOT.parent / "shared" / "data" / "sf" / "sffd_calls_for_service_2016-12-31_to_2017-01-07.csv"
)


class CountingStore(SqliteEventStore):
    """The SQLite journal, counting its commits (one per ``append``)."""

    commits = 0

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


def replay_once(csv: Path, folder: Path, as_dispatched: bool) -> dict[str, float]:
    started = time.perf_counter()
    plan = plan_replay(csv)
    planned = time.perf_counter()
    store = CountingStore(folder / JOURNAL)
    try:
        run = run_replay(plan, folder, ReplayOptions(as_dispatched=as_dispatched), store=store)
    finally:
        store.close()
    replayed = time.perf_counter()
    write_report(run, folder)
    reported = time.perf_counter()
    return {
        "calls": len(plan.kept),
        "plan_s": planned - started,
        "replay_s": replayed - planned,
        "report_s": reported - replayed,
        "events": run.events,
        "commits": store.commits,
        "rejected": len(run.rejected),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=WEEK, help="the SFFD CSV to replay")
    parser.add_argument("--modes", default="recommended,as-dispatched")
    args = parser.parse_args()
    if not args.csv.exists():
        raise SystemExit(f"{args.csv} not found (the SFFD week beside the checkout)")
    rows = []
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        baseline = append_rate(Path(tmp))
        for mode in args.modes.split(","):
            folder = Path(tmp) / mode
            folder.mkdir()
            rows.append((mode, replay_once(args.csv, folder, mode == "as-dispatched")))
        after = append_rate(Path(tmp) / "recommended")  # the disk may have changed meanwhile
    print(f"Replay of {args.csv.name} on the demo map, --speed max, durable SQLite journal\n")
    print(
        "| mode | calls | plan s | replay s (target < 60) | report s | events | commits "
        "| events/s | commits/s | fsync floor s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    rate = (baseline + after) / 2
    for mode, r in rows:
        print(
            f"| {mode} | {r['calls']:,.0f} | {r['plan_s']:.1f} | {r['replay_s']:.1f} | "
            f"{r['report_s']:.1f} | {r['events']:,.0f} | {r['commits']:,.0f} | "
            f"{r['events'] / r['replay_s']:,.0f} | {r['commits'] / r['replay_s']:,.0f} | "
            f"{r['commits'] / rate:.1f} |"
        )
    print(
        f"\nBaseline: journal appends, 1 event per commit, same disk, same run: "
        f"{baseline:,.0f}/s before and {after:,.0f}/s after the replays."
    )
    for mode, r in rows:
        if r["rejected"]:
            print(f"warning: {mode}: {r['rejected']:.0f} replay commands were rejected")


if __name__ == "__main__":
    main()
