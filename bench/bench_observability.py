"""What watching the door costs per command: the metrics' observers and one JSON log
line (``tenfour.api.metrics``, ``tenfour.api.logs``), against one durable one-row
SQLite commit (WAL, synchronous FULL, as the journal writes) measured in the same run.

    .venv/bin/python -m bench.bench_observability [--n 20000]

Prints microseconds per command of each and their ratio to the commit: how much of a
command's own cost the observability adds (a request adds one more log line and one
histogram observation, of about the same costs).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from tenfour.api.logs import configure_logging, log_command
from tenfour.api.metrics import Metrics
from tenfour.durable import open_durable, write_transaction
from tenfour.service import Outcome


def per_call_us(n: int, call: object) -> float:
    """Wall-clock microseconds per call."""
    assert callable(call)
    started = time.perf_counter()
    for _ in range(n):
        call()
    return (time.perf_counter() - started) / n * 1e6


def cpu_us(n: int, call: object) -> float:
    """CPU microseconds per call (this process's): steadier on a shared, busy machine."""
    assert callable(call)
    started = time.process_time()
    for _ in range(n):
        call()
    return (time.process_time() - started) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="calls of each observer")
    parser.add_argument("--commits", type=int, default=500, help="durable commits timed")
    args = parser.parse_args()

    outcome = Outcome("unit.locate", "accepted", None, 0.001, 123)
    metrics = Metrics()

    def observe() -> None:
        metrics.command_handled(outcome)
        metrics.appended(0.001, 1)

    metrics_us = per_call_us(args.n, observe)
    metrics_cpu = cpu_us(args.n, observe)
    with open(os.devnull, "w", encoding="utf-8") as sink:
        undo = configure_logging("json", stream=sink)
        try:
            log_us = per_call_us(args.n, lambda: log_command(outcome))
            log_cpu = cpu_us(args.n, lambda: log_command(outcome))
        finally:
            undo()

    with tempfile.TemporaryDirectory() as folder:
        conn = open_durable(str(Path(folder) / "raw.db"), 30.0)
        conn.execute("CREATE TABLE t (seq INTEGER PRIMARY KEY, data TEXT NOT NULL)")

        def commit() -> None:
            with write_transaction(conn) as cur:
                cur.execute("INSERT INTO t (data) VALUES (?)", ("x" * 200,))

        commit_us = per_call_us(args.commits, commit)
        conn.close()

    print(f"durable one-row SQLite commit (baseline): {commit_us:8.1f} us")
    print(
        f"metrics observers per command:            {metrics_us:8.1f} us "
        f"({metrics_us / commit_us:.3f} of a commit)"
    )
    print(
        f"one JSON command log line:                {log_us:8.1f} us "
        f"({log_us / commit_us:.3f} of a commit)"
    )
    print(f"CPU time: metrics {metrics_cpu:.1f} us, log line {log_cpu:.1f} us per command")


if __name__ == "__main__":
    main()
