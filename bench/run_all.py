"""Run every benchmark in turn (``make bench``); each prints its own markdown table."""

from __future__ import annotations

import runpy
import sys

BENCHES = [
    "bench.bench_scenario",
    "bench.bench_geo",
    "bench.bench_geocoding",
    "bench.bench_journal",
    "bench.bench_api",
    "bench.bench_commit",
    "bench.bench_city",
    "bench.bench_ranking",
    "bench.bench_replay",
    "bench.bench_faults",
    "bench.bench_abuse",
    "bench.bench_emergency_screens",
    "bench.bench_avl",
]


def main() -> None:
    for name in BENCHES:
        print(f"\n# {name}\n", flush=True)
        sys.argv = [name]
        runpy.run_module(name, run_name="__main__")


if __name__ == "__main__":
    main()
