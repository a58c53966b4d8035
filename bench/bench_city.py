"""City-scale drive times on Porto: Ten-Four's index against networkx, scipy and OSRM.

Run: ``.venv/bin/python -m bench.bench_city [--queries 200] [--osrm-python PATH]``.

In one run: import the Porto extract (``tenfour map import``'s code), load the map file,
place 5,000 units at random road positions, then for random incidents rank 1,000 and
5,000 units by drive time (median and p99), re-rank after 50 and after 5,000 units
moved, apply a road closure, and run the same rankings on the baselines measured in
the same run: scipy's full Dijkstra (``RoadMap.drive_times``, ETA only, its fastest
form), networkx's Dijkstra, and OSRM's table service (``osrm-bindings``, MLD, its car
profile) in a Python 3.12 subprocess (``bench/osrm_table.py``; its rows are skipped
with a message when that interpreter is missing). Every ranking of the index is
checked against scipy's on the same graph: same ETAs (to 1e-9 s), same order. Both
engines of the index (``"cch"``, ``"dijkstra"``) are also timed on the same questions,
with what ``engine="auto"`` would choose for that map and fleet.

Any extract works: ``--pbf FILE`` (its fresh-process check ranks points of the loaded
map), and ``--cut S,W,N,E`` benches the roads of a box of it (a small town from a city,
to see where the engines cross).

The OSRM helper is this file too: ``PYTHON3.12 bench/bench_city.py --osrm-helper``
reads a JSON request on standard input, prepares OSRM's data once (extract with the
car profile the package ships, partition, customize: MLD) in a folder outside the
repository, times one ``table`` call per incident and count, and answers in JSON.
Its interpreter, set up once::

    /root/.pyenv/versions/3.12.1/bin/python -m venv /tmp/osrm-venv
    /tmp/osrm-venv/bin/pip install osrm-bindings
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

try:
    import numpy as np

    from bench.bench_geo import networkx_ranking, reversed_graph
    from tenfour.geo import DriveTimeIndex, RoadMap, Snap, SnappedPoints, import_map
    from tenfour.geo.closures import closed_arc_times
    from tenfour.geo.index import compiled_available
except ImportError:  # the OSRM helper runs under a Python that has only osrm-bindings
    if "--osrm-helper" not in sys.argv:
        raise

ROOT = Path(__file__).resolve().parents[1]
PORTO = ROOT.parent / "shared" / "data" / "porto" / "porto_portugal.osm.pbf"
OSRM_PYTHON = os.environ.get("TENFOUR_OSRM_PYTHON", "/tmp/osrm-venv/bin/python")
OSRM_WORK = Path(tempfile.gettempdir()) / "tenfour-osrm"


def ms(samples: Sequence[float]) -> tuple[float, float]:
    """Median and p99 in milliseconds."""
    return statistics.median(samples) * 1e3, float(np.percentile(samples, 99)) * 1e3


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def on_roads(roads: RoadMap, count: int, rng: np.random.Generator) -> np.ndarray:
    """Points on random arcs at random fractions: where units are, on roads."""
    net = roads.network
    arcs = rng.integers(0, net.arc_count, count)
    t = rng.uniform(0, 1, count)
    lat = net.lat[net.arc_from[arcs]] * (1 - t) + net.lat[net.arc_to[arcs]] * t
    lon = net.lon[net.arc_from[arcs]] * (1 - t) + net.lon[net.arc_to[arcs]] * t
    return np.column_stack([lat, lon])


def same_ranking(ours: np.ndarray, theirs: np.ndarray) -> bool:
    """Our order sorts their times too, except among ties (within a nanosecond)."""
    order = np.argsort(ours, kind="stable")
    return bool(np.all(np.diff(theirs[order]) >= -1e-9))


class Table:
    """Markdown rows, printed at the end."""

    def __init__(self) -> None:
        self.rows: list[str] = []

    def add(self, name: str, samples: Sequence[float], scale: float = 1.0) -> None:
        med, p99 = ms(samples)
        self.rows.append(f"| {name} | {med * scale:.2f} | {p99 * scale:.2f} | {len(samples)} |")

    def note(self, name: str, text: str) -> None:
        self.rows.append(f"| {name} | {text} | | |")

    def print(self) -> None:
        print("| operation | median ms | p99 ms | runs |")
        print("|---|---:|---:|---:|")
        for row in self.rows:
            print(row)


def fresh_process_load(path: Path, unit: Sequence[float], target: Sequence[float]) -> float:
    """Seconds for a new interpreter to import Ten-Four, load the map and rank once
    (one unit at ``unit`` toward ``target``: points of this map, whichever it is)."""
    code = (
        "import time; t = time.perf_counter()\n"
        "from tenfour.geo import load_map\n"
        f"roads = load_map({str(path)!r}); index = roads.index()\n"
        f"index.place('u', {tuple(map(float, unit))!r}); "
        f"index.ranking({tuple(map(float, target))!r})\n"
        "print(time.perf_counter() - t)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


def cut_extract(source: Path, out: Path, box: Sequence[float]) -> Path:
    """The roads of ``source`` inside ``box`` (south, west, north, east) as an extract:
    a smaller city from a big one, to see where the engines cross (ways with a node
    outside are left out)."""
    import osmium

    south, west, north, east = box
    inside = set()
    for node in osmium.FileProcessor(str(source), osmium.osm.NODE):
        assert isinstance(node, osmium.osm.Node)
        if south <= node.location.lat <= north and west <= node.location.lon <= east:
            inside.add(node.id)
    ways, nodes = set(), set()
    for way in osmium.FileProcessor(str(source), osmium.osm.WAY):
        assert isinstance(way, osmium.osm.Way)
        refs = [n.ref for n in way.nodes]
        if "highway" in way.tags and all(r in inside for r in refs):
            ways.add(way.id)
            nodes.update(refs)
    out.unlink(missing_ok=True)
    with osmium.SimpleWriter(str(out)) as writer:
        for obj in osmium.FileProcessor(str(source), osmium.osm.NODE | osmium.osm.WAY):
            if isinstance(obj, osmium.osm.Node) and obj.id in nodes:
                writer.add_node(obj)
            elif isinstance(obj, osmium.osm.Way) and obj.id in ways:
                writer.add_way(obj)
    return out


def osrm_rows(
    pbf: Path, units: np.ndarray, targets: np.ndarray, counts: Sequence[int]
) -> dict[str, Any] | str:
    """OSRM's table timings from the helper, or why there are none."""
    if not Path(OSRM_PYTHON).is_file():
        return (
            f"skipped: no {OSRM_PYTHON} (python3.12 -m venv /tmp/osrm-venv && "
            "/tmp/osrm-venv/bin/pip install osrm-bindings)"
        )
    request = {
        "pbf": str(pbf),
        "work": str(OSRM_WORK / pbf.name.split(".")[0]),
        "units": units.tolist(),
        "targets": targets.tolist(),
        "counts": list(counts),
    }
    done = subprocess.run(
        [OSRM_PYTHON, str(Path(__file__).resolve()), "--osrm-helper"],
        input=json.dumps(request),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        return f"skipped: the OSRM helper failed: {done.stderr.strip()[-300:]}"
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def pyroutingkit_times(
    roads: RoadMap, units: SnappedPoints, targets: SnappedPoints, queries: int
) -> tuple[list[float], float] | str:
    """RoutingKit's CCH (``pyroutingkit``) many-to-many from the target's ends to every
    unit's arc end on the reversed graph, whole milliseconds as weights; per ranking
    seconds and the largest ETA gap to ``roads.drive_times``."""
    try:
        import pyroutingkit  # type: ignore[import-untyped]
    except ImportError:
        return "skipped: pyroutingkit is not installed"
    net = roads.network
    topology = pyroutingkit.CCHTopology()
    topology.build(
        net.arc_to.astype(np.uint32), net.arc_from.astype(np.uint32),
        net.lat.astype(np.float32), net.lon.astype(np.float32), net.node_count,
    )  # fmt: skip
    metric = pyroutingkit.CCHMetric(topology)
    metric.customize(np.round(net.arc_time_s * 1000).astype(np.uint32))
    arc, fraction = units.arc, units.fraction
    valid = arc >= 0
    safe = np.where(valid, arc, 0)
    at_tail = fraction == 0.0
    join = np.where(at_tail, net.arc_from[safe], net.arc_to[safe])
    rest = np.where(valid, np.where(at_tail, 0.0, 1.0 - fraction) * net.arc_time_s[safe], np.inf)
    nodes, where = np.unique(join[valid], return_inverse=True)
    column = np.zeros(join.shape, dtype=np.int64)
    column[valid] = where
    samples, worst = [], 0.0
    for q in range(queries):
        target = targets[q]
        started = time.perf_counter()
        entries, offsets = [], []
        for end in target.arcs:
            if end.fraction >= 1.0:
                entries.append(int(net.arc_to[end.arc]))
                offsets.append(0.0)
            else:
                entries.append(int(net.arc_from[end.arc]))
                offsets.append(end.fraction * float(net.arc_time_s[end.arc]))
        table = metric.distances_many_to_many(
            np.asarray(entries, dtype=np.uint32), nodes.astype(np.uint32)
        ).astype(np.float64)
        table[table >= pyroutingkit.INF_WEIGHT] = np.inf
        to_target = np.min(table / 1000 + np.asarray(offsets)[:, None], axis=0)
        eta = np.min(np.where(valid, rest + to_target[column], np.inf), axis=1)
        np.argsort(eta, kind="stable")
        samples.append(time.perf_counter() - started)
        plain = roads.drive_times(target, units, with_distance=False).eta_s
        near = np.isfinite(plain) & ~_same_arc(units, target)
        worst = max(worst, float(np.max(np.abs(eta[near] - plain[near]))))
    return samples, worst


def _same_arc(units: SnappedPoints, target: Snap) -> np.ndarray:
    """Units on one of the target's own arcs (the many-to-many above ignores driving
    straight along it)."""
    arcs = [end.arc for end in target.arcs]
    return np.asarray(np.isin(units.arc, arcs).any(axis=1), dtype=bool)


def engine_times(
    roads: RoadMap, units: SnappedPoints, targets: SnappedPoints, counts: Sequence[int]
) -> dict[str, tuple[dict[int, list[float]], float]]:
    """Ranking times of each engine (all units placed, the first ``count`` ranked), and
    the largest ETA gap to scipy's full Dijkstra on the same questions."""
    engines = ["cch", "dijkstra"] if compiled_available() else ["dijkstra"]
    out: dict[str, tuple[dict[int, list[float]], float]] = {}
    keys = list(range(len(units)))
    for engine in engines:
        index = roads.index(engine=engine)
        index.place_many(keys, units)
        index.ranking(targets[0])  # compiled on first use: not a ranking's cost
        samples: dict[int, list[float]] = {c: [] for c in counts}
        gap = 0.0
        for q in range(len(targets)):
            for count in counts:
                subset = None if count == len(keys) else keys[:count]
                started = time.perf_counter()
                index.ranking(targets[q], subset)
                samples[count].append(time.perf_counter() - started)
            plain = roads.drive_times(targets[q], units, with_distance=False).eta_s
            mine = index.drive_times(targets[q]).eta_s
            gap = max(gap, float(np.max(np.abs(np.where(np.isinf(plain), 0, mine - plain)))))
        out[engine] = (samples, gap)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pbf", type=Path, default=PORTO, help="OSM extract (default: Porto)")
    parser.add_argument("--queries", type=int, default=200, help="random incidents")
    parser.add_argument("--networkx-queries", type=int, default=10)
    parser.add_argument("--osrm-queries", type=int, default=20)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--cut",
        metavar="S,W,N,E",
        help="bench only the roads of the extract inside this box (a smaller city)",
    )
    args = parser.parse_args()
    if args.cut:
        box = [float(v) for v in args.cut.split(",")]
        if len(box) != 4:
            parser.error("--cut takes four numbers: south,west,north,east")
        name = "-".join(f"{v:g}" for v in box)
        out = (
            Path(tempfile.gettempdir())
            / f"tenfour-cut-{args.pbf.name.split('.')[0]}-{name}.osm.pbf"
        )
        args.pbf = cut_extract(args.pbf, out, box)
    rng = np.random.default_rng(args.seed)
    table = Table()
    counts = (1000, 5000)

    with tempfile.TemporaryDirectory(prefix="tenfour-bench-") as folder:
        path = Path(folder) / "city.tenfour-map"
        import_s, imported = timed(lambda: import_map(args.pbf, out=path))
        load_s, roads = timed(lambda: RoadMap.load(path))
        ready_s, _ = timed(lambda: roads.metric_for())
        # its own generator: the units and incidents below stay those of earlier runs
        unit, target = on_roads(roads, 2, np.random.default_rng(args.seed + 1)).tolist()
        fresh_s = fresh_process_load(path, unit, target)
    net = roads.network
    print(f"map: {args.pbf.name}: {net.node_count:,} nodes, {net.arc_count:,} arcs; ", end="")
    print(f"hierarchy: {roads.hierarchy.arc_count:,} arcs, depth {roads.hierarchy.depth}")
    print(
        f"import {import_s:.1f} s ({imported.bytes / 1e6:.1f} MB, order: {imported.meta['order']})"
    )
    print(f"load map file {load_s:.2f} s; hierarchy + metric {ready_s:.2f} s; ", end="")
    print(f"fresh process to first ranking {fresh_s:.2f} s\n")

    units = roads.snap_many(on_roads(roads, counts[-1], rng))
    elsewhere = roads.snap_many(on_roads(roads, counts[-1], rng))
    targets = roads.snap_many(on_roads(roads, args.queries, rng))
    index = roads.index()
    keys = list(range(counts[-1]))
    place_s, _ = timed(lambda: index.place_many(keys, units))
    table.add(f"place {counts[-1]:,} units (label each; per unit, us)", [place_s / counts[-1]], 1e3)

    # ---- rankings: ours against scipy's full Dijkstra, checked --------------------
    ours: dict[int, list[float]] = {c: [] for c in counts}
    scipy_s: dict[int, list[float]] = {c: [] for c in counts}
    worst, mismatched = 0.0, 0
    for q in range(len(targets)):
        target = targets[q]
        for count in counts:
            # all units (the index's own list), or the first 1,000 keys given
            subset = None if count == len(keys) else keys[:count]
            started = time.perf_counter()
            index.ranking(target, subset)
            ours[count].append(time.perf_counter() - started)
            origins = units.subset(np.arange(count))
            started = time.perf_counter()
            plain = roads.drive_times(target, origins, with_distance=False)
            plain.ranking()
            scipy_s[count].append(time.perf_counter() - started)
        mine = index.drive_times(target).eta_s
        worst = max(worst, float(np.max(np.abs(mine - plain.eta_s))))
        mismatched += not same_ranking(mine, plain.eta_s)
    for count in counts:
        label = f"Ten-Four index, {index.engine} (ETA + metres, sorted)"
        table.add(f"rank {count:,} units, {label}", ours[count])
    for count in counts:
        table.add(f"rank {count:,} units, scipy full Dijkstra (ETA only)", scipy_s[count])

    # ---- the engines "auto" chooses between, on the same questions ------------------
    by_engine = engine_times(roads, units, targets.subset(np.arange(min(50, len(targets)))), counts)
    for engine, (per_count, gap) in by_engine.items():
        for count in counts:
            table.add(f"rank {count:,} units, index engine={engine}", per_count[count])
        worst = max(worst, gap)
    for count in counts:
        chosen = DriveTimeIndex.choose_engine(roads.node_count, count)
        print(f"engine='auto' with {count:,} units on {net.node_count:,} nodes: {chosen}")

    # ---- units that move ----------------------------------------------------------
    single = []
    for i in range(200):
        started = time.perf_counter()
        index.place(i, elsewhere[i])
        single.append(time.perf_counter() - started)
    table.add("move 1 unit (pre-snapped position; us)", single, 1e3)
    after_50, move_50 = [], []
    for q in range(min(50, len(targets))):
        moved = rng.choice(counts[-1], size=50, replace=False)
        started = time.perf_counter()
        index.place_many(moved.tolist(), elsewhere.subset(moved))
        move_50.append(time.perf_counter() - started)
        started = time.perf_counter()
        index.ranking(targets[q])
        after_50.append(time.perf_counter() - started)
    table.add("move 50 units", move_50)
    table.add(f"re-rank {counts[-1]:,} after 50 moved", after_50)
    after_all, move_all = [], []
    for q in range(min(10, len(targets))):
        positions = elsewhere if q % 2 == 0 else units
        started = time.perf_counter()
        index.place_many(keys, positions)
        move_all.append(time.perf_counter() - started)
        started = time.perf_counter()
        index.ranking(targets[q])
        after_all.append(time.perf_counter() - started)
    table.add(f"move all {counts[-1]:,} units", move_all)
    table.add(f"re-rank {counts[-1]:,} after {counts[-1]:,} moved", after_all)

    # ---- a road closure -----------------------------------------------------------
    segments = rng.choice(roads.segment_count, size=200, replace=False).tolist()
    times = closed_arc_times(roads, [(segments, None)])
    closing = []
    for _ in range(5):
        for arc_times in (times, None):
            started = time.perf_counter()
            index.set_arc_times(arc_times)
            closing.append(time.perf_counter() - started)
    table.add(f"close 200 road segments / reopen (re-customize, relabel {counts[-1]:,})", closing)

    # ---- networkx ------------------------------------------------------------------
    graph = reversed_graph(roads)
    index.place_many(keys, units)
    for count in counts:
        subset_points = units.subset(np.arange(count))
        samples = []
        for q in range(args.networkx_queries):
            started = time.perf_counter()
            nx_eta, _ = networkx_ranking(roads, graph, targets[q], subset_points)
            samples.append(time.perf_counter() - started)
            mine = index.drive_times(targets[q], keys[:count]).eta_s
            worst = max(worst, float(np.max(np.abs(nx_eta - mine))))
        table.add(f"rank {count:,} units, networkx Dijkstra", samples)

    # ---- pyroutingkit ------------------------------------------------------------------
    prk = pyroutingkit_times(roads, units, targets, min(args.queries, 50))
    if isinstance(prk, str):
        table.note("pyroutingkit", prk)
    else:
        label = "pyroutingkit CCH many-to-many (ms weights, nothing kept per unit)"
        table.add(f"rank {counts[-1]:,} units, {label}", prk[0])
        print(f"pyroutingkit: largest ETA gap to scipy {prk[1]:.3f} s (whole-ms weights)")

    # ---- OSRM -------------------------------------------------------------------------
    osrm_targets = np.column_stack([targets.lat, targets.lon])[: args.osrm_queries]
    osrm_units = np.column_stack([units.lat, units.lon])
    osrm = osrm_rows(args.pbf, osrm_units, osrm_targets, counts)
    if isinstance(osrm, str):
        table.note("OSRM table", osrm)
    else:
        label = f"OSRM table (MLD, osrm-bindings {osrm['version']})"
        for count in counts:
            table.add(f"rank {count:,} units, {label}", osrm["table_s"][f"{count}-to"])
        for count in counts:
            table.add(
                f"{count:,} units, {label} from the incident (wrong way round)",
                osrm["table_s"][f"{count}-from"],
            )

    print(f"{len(targets)} random incidents; units at random road positions (seed {args.seed})\n")
    table.print()
    big = counts[-1]
    ours_med, ours_p99 = ms(ours[big])
    sci_med, sci_p99 = ms(scipy_s[big])
    print(
        f"\nrank {big:,}: {sci_med / ours_med:.0f}x faster than scipy's full Dijkstra at the "
        f"median, {sci_p99 / ours_p99:.0f}x at p99 (target >= 10x)"
    )
    if not isinstance(osrm, str):
        osrm_med, osrm_p99 = ms(osrm["table_s"][f"{big}-to"])
        print(
            f"rank {big:,}: {osrm_med / ours_med:.0f}x faster than OSRM's table at the median, "
            f"{osrm_p99 / ours_p99:.0f}x at p99"
        )
        ours_eta = index.drive_times(targets[0]).eta_s
        theirs = np.array([np.nan if d is None else d for d in osrm["durations"][str(big)]])
        ok = np.isfinite(theirs) & np.isfinite(ours_eta)
        corr = float(
            np.corrcoef(np.argsort(np.argsort(ours_eta[ok])), np.argsort(np.argsort(theirs[ok])))[
                0, 1
            ]
        )
        print(
            f"OSRM's own model (its speeds, turn costs) ranks alike: Spearman {corr:.2f} on one incident"
        )
        if osrm["prepare_s"]:
            steps = ", ".join(f"{k} {v:.1f} s" for k, v in osrm["prepare_s"].items())
            print(f"OSRM preparation (once, cached in {OSRM_WORK}): {steps}")
    verdict = "PASS" if ours_p99 < 5.0 else "FAIL"
    print(f"p99 rank {big:,} = {ours_p99:.2f} ms (target < 5 ms): {verdict}")
    print(
        f"exactness: largest ETA difference to scipy/networkx {worst:.1e} s; "
        f"rankings differing beyond ties: {mismatched} of {len(targets)}"
    )


# ---- the OSRM helper (runs under Python 3.12 with osrm-bindings) ------------------------


def osrm_prepare(pbf: Path, work: Path) -> tuple[Path, dict[str, float]]:
    """OSRM files for ``pbf`` in ``work`` (made once, kept for later runs)."""
    import osrm  # type: ignore[import-not-found]

    work.mkdir(parents=True, exist_ok=True)
    base = work / pbf.name.split(".")[0]
    data = base.with_suffix(".osrm")
    took: dict[str, float] = {}
    if (work / f"{base.name}.osrm.mldgr").is_file():
        return data, took
    copy = work / pbf.name
    shutil.copyfile(pbf, copy)
    profile = Path(osrm.__file__).parent / "share" / "profiles" / "car.lua"
    steps = [
        ("extract", ["extract", "-p", str(profile), str(copy)]),
        ("partition", ["partition", str(data)]),
        ("customize", ["customize", str(data)]),
    ]
    for name, args in steps:
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "osrm", *args],
            check=True,
            cwd=work,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        took[name] = time.perf_counter() - started
    return data, took


def osrm_helper() -> None:
    """The helper mode: a JSON request on stdin, timings on stdout (see the docstring)."""
    import osrm

    request: dict[str, Any] = json.load(sys.stdin)
    data, took = osrm_prepare(Path(request["pbf"]), Path(request["work"]))
    units = [(lon, lat) for lat, lon in request["units"]]
    engine = osrm.OSRM(
        algorithm="MLD",
        storage_config=str(data),
        use_shared_memory=False,
        max_locations_distance_table=len(units) + 1,
    )
    times: dict[str, list[float]] = {}
    durations: dict[str, list[float | None]] = {}
    for count in request["counts"]:
        many = list(range(1, count + 1))
        # "to": every unit to the incident (what a dispatcher needs, one-way streets
        # and all); "from": the incident to every unit (one search, the wrong way round)
        for way, sources, destinations in (("to", many, [0]), ("from", [0], many)):
            samples = []
            for lat, lon in request["targets"]:
                params = osrm.TableParameters(
                    coordinates=[(lon, lat), *units[:count]],
                    sources=sources,
                    destinations=destinations,
                    annotations=["duration"],
                    generate_hints=False,
                )
                started = time.perf_counter()
                answer = engine.Table(params)
                samples.append(time.perf_counter() - started)
                if way == "to" and str(count) not in durations:
                    rows = answer["durations"]
                    durations[str(count)] = [rows[i][0] for i in range(count)]
            times[f"{count}-{way}"] = samples
    json.dump(
        {
            "version": metadata.version("osrm-bindings"),
            "prepare_s": took,
            "table_s": times,
            "durations": durations,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    if "--osrm-helper" in sys.argv:
        osrm_helper()
    else:
        main()
