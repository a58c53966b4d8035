"""Benchmark: the founding scenario end to end, and the same run on a networkx baseline.

Run: ``.venv/bin/python -m bench.bench_scenario [--runs 5] [FILE]``.

1. Wall time of ``tenfour scenario run FILE`` in a fresh process: interpreter start,
   imports, map load, the whole story through the real service and a durable SQLite
   journal (target: under 3 s).
2. In this process, with the map already loaded: the scenario with Ten-Four's drive
   times, then with a networkx Dijkstra oracle on the same graph (the baseline). Both
   must pass every expectation; the ratio is printed.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import networkx as nx

from tenfour.geo import RoadMap, load_map
from tenfour.sim import load_scenario, run_scenario

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "scenarios" / "priority-one.yaml"


class NetworkxOracle:
    """Drive times by networkx on the map's reversed graph, target snapped to a node."""

    def __init__(self, roads: RoadMap) -> None:
        self.roads = roads
        net = roads.network
        self.graph = nx.DiGraph()
        self.graph.add_weighted_edges_from(
            zip(net.arc_to.tolist(), net.arc_from.tolist(), net.arc_time_s.tolist(), strict=True),
            weight="time",
        )

    def rank(
        self, to: tuple[float, float], origins: Sequence[tuple[float, float]]
    ) -> tuple[Sequence[float], Sequence[float]]:
        net = self.roads.network
        target = self.roads.snap(*to)
        source = int(net.arc_to[target.arcs[0].arc])
        times = nx.single_source_dijkstra_path_length(self.graph, source, weight="time")
        etas, dists = [], []
        for origin in origins:
            snap = self.roads.snap(*origin)
            node = int(net.arc_to[snap.arcs[0].arc])
            etas.append(float(times.get(node, float("inf"))))
            dists.append(float("nan"))
        return etas, dists


def fresh_process(path: Path, runs: int) -> list[float]:
    tenfour = Path(sys.executable).with_name("tenfour")
    seconds = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as out:
            started = time.perf_counter()
            done = subprocess.run(
                [str(tenfour), "scenario", "run", str(path), "--out", out],
                capture_output=True,
                text=True,
                check=False,
            )
            seconds.append(time.perf_counter() - started)
            if done.returncode != 0:
                raise SystemExit(f"scenario failed:\n{done.stdout}\n{done.stderr}")
    return seconds


def in_process(path: Path, runs: int, baseline: bool) -> list[float]:
    scenario = load_scenario(path)
    oracle = NetworkxOracle(load_map(scenario.map)) if baseline else None
    seconds = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as out:
            started = time.perf_counter()
            result = run_scenario(scenario, Path(out), oracle=oracle)
            seconds.append(time.perf_counter() - started)
        if not baseline and not result.passed:
            raise SystemExit("\n".join(result.lines()))
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("file", nargs="?", default=str(DEFAULT))
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    path = Path(args.file)

    cold = fresh_process(path, args.runs)
    load_map(load_scenario(path).map)  # warm the map cache for the in-process runs
    ours = in_process(path, args.runs, baseline=False)
    base = in_process(path, args.runs, baseline=True)
    med = statistics.median
    print(f"## Founding scenario ({path.name}), {args.runs} runs each\n")
    print("| run | median s | max s |")
    print("|---|---:|---:|")
    print(
        f"| fresh process: `tenfour scenario run` incl. start-up and map load | {med(cold):.2f} | {max(cold):.2f} |"
    )
    print(f"| in process, Ten-Four drive times | {med(ours):.3f} | {max(ours):.3f} |")
    print(f"| in process, networkx baseline oracle | {med(base):.3f} | {max(base):.3f} |")
    print(
        f"\nbaseline / Ten-Four (in process): {med(base) / med(ours):.1f}x; target fresh run < 3 s: "
        f"{'met' if max(cold) < 3 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
