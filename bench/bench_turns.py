"""Turn delays in the drive-time index: build and ranking time with turns vs without.

Run: ``.venv/bin/python -m bench.bench_turns [--model out/sffd-travel.json] [--units 120]
[--targets 300]``.

On the demo map, with the model's arc times (``calibrated_map``): the node-based
index (what a model without turn delays uses) against ``geo.turns.TurnIndex`` (the
turn-expanded graph) with the model's turn delays, for each engine. Build = a new
index with every unit placed, from a map that has nothing built yet (the turn index
builds its expanded graph; ``cch`` builds the contraction order and hierarchy, the
dominant part, paid once per process, numba's kernels loaded beforehand); ranking = all units toward
one random target, median and p90 over ``--targets``. Checks printed by the run: both
engines of the turn index give the same times, and turns never make a time shorter.
Ratios are against the node-based index of the same engine, in the same process.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from tenfour.geo import load_map
from tenfour.geo.index import DriveTimeIndex, compiled_available
from tenfour.geo.turns import TurnGraph, TurnIndex
from tenfour.travel.model import TravelModel, calibrated_map, load_model

#: used when no model file is given or found: delays of the order SFFD's fit gives
FALLBACK = {"left": 8.0, "right": 3.0, "u": 30.0}


def points(roads: object, rng: np.random.Generator, count: int) -> list[tuple[float, float]]:
    net = roads.network  # type: ignore[attr-defined]
    picks = rng.choice(net.node_count, count, replace=False)
    return [(float(net.lat[i]), float(net.lon[i])) for i in picks.tolist()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--model", type=Path, default=Path("out/sffd-travel.json"))
    parser.add_argument("--units", type=int, default=120)
    parser.add_argument("--targets", type=int, default=300)
    args = parser.parse_args()
    base = load_map("demo")
    if args.model.is_file():
        model = load_model(args.model)
        source = str(args.model)
    else:
        model = TravelModel.identity()
        source = "identity + fallback delays"
    delays = dict(model.turn_delay_s) if model.has_turn_delays else FALLBACK
    roads = calibrated_map(base, model)
    print(f"demo map: {roads.node_count:,} nodes, {roads.arc_count:,} arcs; model {source}")
    print("turn delays:", ", ".join(f"{k} {v:.1f} s" for k, v in delays.items()))
    started = time.perf_counter()
    graph = TurnGraph(roads.network)
    print(
        f"turn-expanded graph: {graph.node_count:,} nodes, {graph.arc_count:,} arcs, "
        f"built in {1000 * (time.perf_counter() - started):.0f} ms"
    )
    rng = np.random.default_rng(7)
    units = points(roads, rng, args.units)
    keys = list(range(len(units)))
    targets = points(roads, rng, args.targets)
    engines = ["dijkstra", "cch"] if compiled_available() else ["dijkstra"]
    if "cch" in engines:  # numba's kernels loaded (from its disk cache) before timing
        DriveTimeIndex(calibrated_map(base, model), engine="cch").place_many(keys, units)
    results: dict[tuple[str, str], np.ndarray] = {}
    for engine in engines:
        timings = {}
        for label in ("node-based", "turns"):
            fresh = calibrated_map(base, model)  # no contraction order or hierarchy kept
            started = time.perf_counter()
            if label == "turns":
                index: DriveTimeIndex = TurnIndex(fresh, delays, engine=engine)
            else:
                index = DriveTimeIndex(fresh, engine=engine)
            index.place_many(keys, units)
            build = time.perf_counter() - started
            index.ranking(targets[0])  # compiled kernels loaded before timing
            laps, etas = [], []
            for target in targets:
                started = time.perf_counter()
                ranking = index.ranking(target)
                laps.append(time.perf_counter() - started)
                etas.append(index.drive_times(target).eta_s)
                assert len(ranking) == len(units)
            results[(engine, label)] = np.array(etas)
            timings[label] = (build, laps)
            print(
                f"{engine:8} {label:10} build + place {1000 * build:8.1f} ms   ranking median "
                f"{1000 * statistics.median(laps):6.2f} ms  p90 "
                f"{1000 * float(np.percentile(laps, 90)):6.2f} ms"
            )
        (b0, l0), (b1, l1) = timings["node-based"], timings["turns"]
        print(
            f"{engine:8} turns / node-based: build x{b1 / b0:.1f}, ranking median "
            f"x{statistics.median(l1) / statistics.median(l0):.1f}"
        )
    if len(engines) == 2:
        same = np.allclose(results[("dijkstra", "turns")], results[("cch", "turns")], atol=1e-6)
        print(f"check: turn index, cch == dijkstra: {same}")
    slower = bool(
        np.all(results[("dijkstra", "turns")] >= results[("dijkstra", "node-based")] - 1e-9)
    )
    print(f"check: turns never shorten a drive: {slower}")


if __name__ == "__main__":
    main()
