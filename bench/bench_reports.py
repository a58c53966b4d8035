"""Benchmark: interval reports over a year of a city's journal, beside plain pandas.

Run: ``.venv/bin/python -m bench.bench_reports [--weeks 52] [--postgres ADMIN_URL]``.

The year: the SFFD week replayed once through the real service (recommended mode,
demo map), then its journaled events appended ``--weeks`` times, each copy a week
later with its incidents, calls and tips renamed (``.../w7``), in 5,000-event commits
(the journal hash-chains them as any append). Replaying the week 52 times through the
service (about 30 s each) gives the same events at 26 minutes' cost; the copies are
what the report reads either way.

Measured, on SQLite (and PostgreSQL with ``--postgres``): ``tenfour report``'s figures
(read the journal's events of the types the fold uses, filtered by the database, fold
them, summarise grouped by kind, priority and hour) and the files it writes, in wall
time and in this process's CPU time (which a machine shared with other work inflates
less; on PostgreSQL the server's own CPU is not in it); beside it, in the same run, a plain pandas groupby over the same events exported to a
DataFrame by the same filtered read (read + export timed apart from the groupby). The
check: both give the same first-unit travel and call-processing 90th percentiles and
the same per-kind travel percentiles.
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tenfour.journal import EventStore, NewEvent, open_store
from tenfour.reports.intervals import fold_store, incident_rows, summarise
from tenfour.reports.output import write_report
from tenfour.sim.replay.engine import JOURNAL, ReplayOptions, run_replay
from tenfour.sim.replay.plan import plan_replay

ROOT = Path(__file__).resolve().parents[1]
WEEK = (
    ROOT.parent / "shared" / "data" / "sf" / "sffd_calls_for_service_2016-12-31_to_2017-01-07.csv"
)
#: Data fields naming something a copy must not share with the week before.
RENAMED = ("incident", "call", "tip", "diverted_from")
BATCH = 5000
BY = ["kind", "priority", "hour"]


def replay_week(csv: Path, folder: Path, journal: Path | None) -> list[Any]:
    """The week's events: from ``journal`` (an earlier replay's) or replayed now."""
    if journal is None:
        run_replay(plan_replay(csv), folder, ReplayOptions())
        journal = folder / JOURNAL
    store = open_store(str(journal), read_only=True)
    try:
        return list(store.read())
    finally:
        store.close()


def _copy(event: Any, week: int) -> NewEvent:
    at = datetime.fromisoformat(event.at) + timedelta(weeks=week)
    data = dict(event.data)
    stream = event.stream
    if week:
        for name in RENAMED:
            if isinstance(data.get(name), str):
                data[name] = f"{data[name]}/w{week}"
        stream = f"{stream}/w{week}"
    stamp = at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"
    return NewEvent(event.type, stream, stamp, event.by, data)


def fill(store: EventStore, week_events: list[Any], weeks: int) -> int:
    batch: list[NewEvent] = []
    total = 0
    for week in range(weeks):
        for event in week_events:
            batch.append(_copy(event, week))
            if len(batch) == BATCH:
                store.append(batch)
                total += len(batch)
                batch = []
    if batch:
        store.append(batch)
        total += len(batch)
    return total


def report(url: str, out: Path) -> dict[str, Any]:
    """What ``tenfour report --by kind,priority,hour`` does, timed in its parts."""
    started = time.perf_counter()
    cpu = time.process_time()
    store = open_store(url, read_only=True)
    try:
        fold = fold_store(store)
        head = store.head()
    finally:
        store.close()
    folded = time.perf_counter()
    rows = incident_rows(fold)
    summary = summarise(fold, by=BY, rows=rows)
    figured = time.perf_counter()
    cpu = time.process_time() - cpu
    write_report(summary, rows, fold, out)
    written = time.perf_counter()
    return {
        "summary": summary,
        "head": head,
        "read_fold_s": folded - started,
        "figures_s": figured - folded,
        "files_s": written - figured,
        "total_s": figured - started,
        "cpu_s": cpu,
    }


def export(url: str) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """The journal's timing events and unit registry as DataFrames (timed)."""
    started = time.perf_counter()
    store = open_store(url, read_only=True)
    columns: dict[str, list[Any]] = {k: [] for k in ("type", "at", "unit", "incident", "to", "ref")}
    units: list[tuple[str, str]] = []
    wanted = {"call.received", "tip.received", "incident.created", "unit.dispatched"}
    read = wanted | {"unit.registered", "unit.status_changed"}
    try:
        for e in store.read_brief(types=read):
            d = e.data
            if e.type == "unit.registered":
                units.append((str(d["unit"]), str(d.get("kind") or "")))
                continue
            if e.type not in wanted and e.type != "unit.status_changed":
                continue
            columns["type"].append(e.type)
            columns["at"].append(e.at)
            columns["unit"].append(d.get("unit"))
            columns["incident"].append(d.get("incident"))
            columns["to"].append(d.get("to"))
            columns["ref"].append(d.get("call") or d.get("tip"))
    finally:
        store.close()
    frame = pd.DataFrame(columns)
    frame["at"] = pd.to_datetime(frame["at"], format="ISO8601", utc=True)
    kinds = pd.DataFrame(units, columns=["unit", "kind"]).drop_duplicates("unit", keep="last")
    return frame, kinds, time.perf_counter() - started


def _p90(values: pd.Series) -> float:
    return float(np.percentile(values, 90))


def pandas_figures(frame: pd.DataFrame, kinds: pd.DataFrame) -> dict[str, Any]:
    """The same definitions as plain groupbys: a unit's response is numbered by its
    dispatches (a cumulative count per unit); first en route and first on scene per
    response; the first unit on scene per incident; received and first dispatch."""
    moves = frame[frame["type"].isin(["unit.dispatched", "unit.status_changed"])].copy()
    moves["response"] = (
        (moves["type"] == "unit.dispatched").astype(int).groupby(moves["unit"]).cumsum()
    )
    sent = moves[moves["type"] == "unit.dispatched"][["unit", "response", "incident"]]
    status = moves[moves["type"] == "unit.status_changed"].merge(
        sent, on=["unit", "response"], suffixes=("", "_sent")
    )
    # a status on another incident than the dispatch's is not part of this response
    status = status[status["incident"].isna() | (status["incident"] == status["incident_sent"])]
    keys = ["incident_sent", "unit", "response"]
    enroute = status[status["to"] == "enroute"].groupby(keys)["at"].min()
    onscene = status[status["to"] == "onscene"].groupby(keys)["at"].min()
    times = pd.concat({"enroute": enroute, "onscene": onscene}, axis=1).reset_index()
    times["travel"] = (times["onscene"] - times["enroute"]).dt.total_seconds()
    pairs = times.dropna(subset=["travel"]).merge(kinds, on="unit", how="left")
    pairs = pairs[pairs["travel"] >= 0]
    by_kind = pairs.groupby("kind")["travel"].agg(["count", _p90])
    first = (
        times.dropna(subset=["onscene"])
        .sort_values(["incident_sent", "onscene", "unit"])
        .drop_duplicates("incident_sent")
    )
    travel = first["travel"].dropna()
    travel = travel[travel >= 0]
    received = frame[frame["type"].isin(["call.received", "tip.received"])].set_index("ref")["at"]
    created = frame[frame["type"] == "incident.created"].set_index("incident")
    first_dispatch = frame[frame["type"] == "unit.dispatched"].groupby("incident")["at"].min()
    start = created["ref"].map(received).fillna(created["at"])
    processing = (first_dispatch - start).dt.total_seconds().dropna()
    processing = processing[processing >= 0]
    return {
        "travel_p90_s": float(np.percentile(travel, 90)),
        "call_processing_p90_s": float(np.percentile(processing, 90)),
        "by_kind": {k: (int(r.iloc[0]), float(r.iloc[1])) for k, r in by_kind.iterrows()},
    }


def compare(summary: dict[str, Any], figures: dict[str, Any]) -> list[str]:
    mine = {
        "travel_p90_s": summary["overall"]["travel_s"]["p90_s"],
        "call_processing_p90_s": summary["overall"]["call_processing_s"]["p90_s"],
        "by_kind": {
            k: (v["travel_n"], v["travel_p90_s"])
            for k, v in summary["units"]["by_kind"].items()
            if v["travel_n"]
        },
    }
    return [
        f"{name}: report {mine[name]} != pandas {figures[name]}"
        for name in mine
        if mine[name] != figures[name]
    ]


def run_backend(name: str, url: str, out: Path) -> Iterator[str]:
    timed = report(url, out)
    frame, kinds, export_s = export(url)
    started = time.perf_counter()
    figures = pandas_figures(frame, kinds)
    groupby_s = time.perf_counter() - started
    differences = compare(timed["summary"], figures)
    counts = timed["summary"]["incidents"]
    yield (
        f"| {name} | {timed['head']:,} | {timed['summary']['journal']['events']:,} | "
        f"{counts['count']:,} | "
        f"{timed['read_fold_s']:.1f} | {timed['figures_s']:.1f} | {timed['total_s']:.1f} | "
        f"{timed['cpu_s']:.1f} | "
        f"{timed['files_s']:.1f} | {export_s:.1f} | {groupby_s:.1f} | "
        f"{'same' if not differences else 'DIFFERENT'} |"
    )
    for line in differences:
        yield f"  {name}: {line}"


HEADER = (
    "| journal | events | events read | incidents | read + fold s | figures s "
    "| report s (target < 10) | its CPU s | files s | pandas export s | pandas groupby s "
    "| same figures |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
)


def measure_only(urls: list[str], weeks: int) -> None:
    """The report and pandas timings on journals filled before (by ``fill``)."""
    print(f"Interval report over {weeks} copies of the SFFD week (target < 10 s)\n")
    print(HEADER, flush=True)
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        for url in urls:
            name = "PostgreSQL" if url.startswith(("postgresql://", "postgres://")) else "SQLite"
            for line in run_backend(name, url, Path(tmp) / f"report-{name}"):
                print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=WEEK)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--postgres", help="admin URL: a database is created and dropped")
    parser.add_argument("--week-journal", type=Path, help="an earlier replay's journal.db")
    parser.add_argument(
        "--journal",
        action="append",
        default=[],
        help="a journal filled before (SQLite path or postgresql:// URL): measured, not "
        "filled; repeatable; replaces the SQLite and --postgres runs",
    )
    args = parser.parse_args()
    if args.journal:
        measure_only(args.journal, args.weeks)
        return
    if not args.csv.exists():
        raise SystemExit(f"{args.csv} not found (the SFFD week beside the checkout)")
    lines: list[str] = []
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        folder = Path(tmp)
        began = time.perf_counter()
        week = replay_week(args.csv, folder / "week", args.week_journal)
        print(f"week replayed: {len(week):,} events in {time.perf_counter() - began:.0f} s")
        backends = [("SQLite", str(folder / "year.db"))]
        admin = None
        if args.postgres:
            import psycopg

            name = f"bench_reports_{secrets.token_hex(4)}"
            admin = psycopg.connect(args.postgres, autocommit=True)
            admin.execute(f"CREATE DATABASE {name}")
            backends.append(("PostgreSQL", args.postgres.rsplit("/", 1)[0] + f"/{name}"))
        try:
            for backend, url in backends:
                began = time.perf_counter()
                store = open_store(url)
                try:
                    total = fill(store, week, args.weeks)
                finally:
                    store.close()
                print(
                    f"{backend}: {total:,} events appended in {time.perf_counter() - began:.0f} s"
                )
                lines += run_backend(backend, url, folder / f"report-{backend}")
        finally:
            if admin is not None:
                admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                admin.close()
    print(f"\nInterval report over {args.weeks} copies of the SFFD week (target < 10 s)\n")
    print(HEADER)
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
