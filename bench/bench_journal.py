"""Durable SQLite journal appends per second (WAL, synchronous=FULL, fsync per commit).

Run: .venv/bin/python -m bench.bench_journal [--events N]

The baseline is a bare sqlite3 INSERT of the same row text, one commit each, on the
same disk with the same pragmas, measured in the same run: the ratio shows what the
journal's validation, hashing and checks cost on top of the fsync that dominates.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tenfour.journal import NewEvent, SqliteEventStore

AT = "2026-11-24T14:07:30Z"


def _event(i: int) -> NewEvent:
    data = {"unit": f"ZPD-{i % 40}", "lat": 37.79 + i * 1e-6, "lon": -122.41, "speed": 12.5}
    return NewEvent("unit.located", f"unit:ZPD-{i % 40}", AT, "avl", data)


def _raw_sqlite(path: Path, count: int) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE t (seq INTEGER PRIMARY KEY, data TEXT NOT NULL)")
    text = '{"lat":37.79,"lon":-122.41,"speed":12.5,"unit":"ZPD-1"}'
    for i in range(1, count + 1):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t VALUES (?, ?)", (i, text))
        conn.execute("COMMIT")
    conn.close()


def _journal(batch: int) -> Callable[[Path, int], None]:
    def run(path: Path, count: int) -> None:
        with SqliteEventStore(path) as store:
            for start in range(0, count, batch):
                store.append([_event(i) for i in range(start, start + batch)])
            assert store.head() == count and store.verify().ok

    return run


def _rate(run: Callable[[Path, int], None], count: int) -> float:
    """Events per second, best of three runs on fresh files (the disk is noisy)."""
    best = 0.0
    for _ in range(3):
        with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
            start = time.perf_counter()
            run(Path(tmp) / "bench.db", count)
            best = max(best, count / (time.perf_counter() - start))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000, help="events per case")
    count = parser.parse_args().events
    baseline = _rate(_raw_sqlite, count)
    rows = [("bare sqlite3 INSERT, 1 row/commit (baseline)", 1, baseline)]
    for batch in (1, 10):
        rows.append(
            (f"journal append, {batch} event(s)/commit", batch, _rate(_journal(batch), count))
        )
    print(f"Durable SQLite appends, {count} events per case, best of 3 (WAL, synchronous=FULL)\n")
    print("| case | events/s | commits/s | vs baseline |")
    print("|---|---:|---:|---:|")
    for name, batch, rate in rows:
        print(f"| {name} | {rate:,.0f} | {rate / batch:,.0f} | {rate / baseline:.2f}x |")


if __name__ == "__main__":
    main()
