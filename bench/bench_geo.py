"""Benchmark of `tenfour.geo`: map loading and ranking units by drive time.

Run: ``.venv/bin/python -m bench.bench_geo [--queries 200] [--units 1000] [--map PATH]``.
The baseline is networkx (``single_source_dijkstra_path_length`` on the reversed graph)
on the same arcs in the same process; results are printed as a markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import networkx as nx
import numpy as np

from tenfour.geo import RoadMap, Snap, SnappedPoints, demo_map_path


def percentile(samples: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(samples), q))


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def random_positions(roads: RoadMap, count: int, rng: np.random.Generator) -> np.ndarray:
    """Points on random arcs at random fractions: where units actually are, on roads."""
    net = roads.network
    arcs = rng.integers(0, net.arc_count, count)
    t = rng.uniform(0, 1, count)
    lat = net.lat[net.arc_from[arcs]] * (1 - t) + net.lat[net.arc_to[arcs]] * t
    lon = net.lon[net.arc_from[arcs]] * (1 - t) + net.lon[net.arc_to[arcs]] * t
    return np.column_stack([lat, lon])


def reversed_graph(roads: RoadMap) -> Any:
    net = roads.network
    graph = nx.DiGraph()
    graph.add_weighted_edges_from(
        zip(net.arc_to.tolist(), net.arc_from.tolist(), net.arc_time_s.tolist(), strict=True),
        weight="time",
    )
    return graph


def networkx_ranking(
    roads: RoadMap, graph: Any, target: Snap, units: SnappedPoints
) -> tuple[np.ndarray, np.ndarray]:
    """The same ranking with networkx: one search from a virtual target node."""
    net = roads.network
    for end in target.arcs:
        if end.fraction == 1.0:  # at a node: every arc into it leads there
            graph.add_edge("T", int(net.arc_to[end.arc]), time=0.0)
        else:
            graph.add_edge(
                "T", int(net.arc_from[end.arc]), time=end.fraction * net.arc_time_s[end.arc]
            )
    try:
        to_target = nx.single_source_dijkstra_path_length(graph, "T", weight="time")
    finally:
        graph.remove_node("T")
    eta = np.full(len(units), np.inf)
    for i in range(len(units)):
        for arc, fraction in zip(units.arc[i].tolist(), units.fraction[i].tolist(), strict=True):
            if arc < 0:
                continue
            if fraction == 0.0:  # at a node: may leave by any arc
                eta[i] = min(eta[i], to_target[int(net.arc_from[arc])])
            else:
                head = int(net.arc_to[arc])
                eta[i] = min(eta[i], (1 - fraction) * net.arc_time_s[arc] + to_target[head])
            for end in target.arcs:
                if end.arc == arc and fraction <= end.fraction:
                    eta[i] = min(eta[i], (end.fraction - fraction) * net.arc_time_s[arc])
    return eta, np.argsort(eta, kind="stable")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--map", default=str(demo_map_path()), help="OSM file (default: demo)")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)

    loads = []
    roads: RoadMap | None = None
    for _ in range(5 if args.map == str(demo_map_path()) else 1):
        seconds, roads = timed(lambda: RoadMap.load(args.map))
        loads.append(seconds)
    assert roads is not None

    snap_s, units = timed(lambda: roads.snap_many(random_positions(roads, args.units, rng)))
    targets = roads.snap_many(random_positions(roads, args.queries, rng))
    graph = reversed_graph(roads)

    index = roads.index(engine="cch")
    index.place_many(list(range(len(units))), units)
    index.ranking(targets[0])  # compile (or load the compiled code) before timing

    ours: list[float] = []
    ours_eta_only: list[float] = []
    indexed: list[float] = []
    baseline: list[float] = []
    worst_gap = 0.0
    for q in range(len(targets)):
        target = targets[q]
        started = time.perf_counter()
        times = roads.drive_times(target, units)
        times.ranking()
        ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        roads.drive_times(target, units, with_distance=False).ranking()
        ours_eta_only.append(time.perf_counter() - started)
        started = time.perf_counter()
        by_index = index.ranking(target)
        indexed.append(time.perf_counter() - started)
        worst_gap = max(worst_gap, float(np.max(np.abs(np.sort(times.eta_s) - by_index.eta_s))))
        started = time.perf_counter()
        nx_eta, _ = networkx_ranking(roads, graph, target, units)
        baseline.append(time.perf_counter() - started)
        worst_gap = max(worst_gap, float(np.max(np.abs(nx_eta - times.eta_s))))

    def row(name: str, samples: list[float]) -> str:
        med, p99 = statistics.median(samples) * 1e3, percentile(samples, 99) * 1e3
        return f"| {name} | {med:.2f} | {p99:.2f} |"

    net = roads.network
    print(f"map: {args.map} ({net.node_count} nodes, {net.arc_count} arcs)")
    print(f"{args.units} pre-snapped units, {len(targets)} random targets\n")
    print("| operation | median ms | p99 ms |")
    print("|---|---:|---:|")
    print(row("load map (parse OSM, build graph, snap index)", loads))
    print(row(f"snap {args.units} positions (once per position change)", [snap_s]))
    print(row(f"rank {args.units} units: tenfour.geo (eta + distance)", ours))
    print(row(f"rank {args.units} units: tenfour.geo (eta only)", ours_eta_only))
    print(row(f"rank {args.units} units: DriveTimeIndex, hierarchy (eta + distance)", indexed))
    print(row(f"rank {args.units} units: networkx baseline", baseline))
    ratio = statistics.median(baseline) / statistics.median(ours)
    ratio_p99 = percentile(baseline, 99) / percentile(ours, 99)
    print(f"\nspeed-up vs networkx: {ratio:.1f}x at the median, {ratio_p99:.1f}x at p99")
    print(f"largest ETA difference to networkx: {worst_gap:.2e} s")


if __name__ == "__main__":
    main()
