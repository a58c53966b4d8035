"""`DriveTimeIndex` on hand-made maps: exact against a plain Dijkstra, moves, closures.

Two maps: the town of ``test_geo_town`` (one-way streets, dead ends) and a random grid
whose streets are one-way or two-way at random, with random speeds, so that fastest
routes take odd detours. The reference is a forward heapq Dijkstra from each unit's
exact position (the fractional start and end on their arcs included).
"""

from __future__ import annotations

import heapq
import math
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from tenfour.geo import DriveTimeIndex, OutsideMapError, RoadMap, Snap
from tenfour.geo.closures import closed_arc_times
from tenfour.geo.index import ENGINES
from tenfour.geo.ordering import geometric_order, inertial_flow_order

from .test_geo_town import NODES, WAYS, between, osm_xml

ENGINE_NAMES = [e for e in ENGINES if e != "auto"]


def grid_osm(size: int, seed: int) -> str:
    """A ``size`` x ``size`` grid of streets, each block one-way or two-way at random."""
    rng = np.random.default_rng(seed)
    nodes = {
        r * size + c + 1: (40.0 + r * 0.001, -8.0 + c * 0.0012)
        for r in range(size)
        for c in range(size)
    }
    ways: list[tuple[int, list[int], dict[str, str]]] = []
    way_id = 1000
    for r in range(size):
        for c in range(size):
            here = r * size + c + 1
            for there in ([here + 1] if c + 1 < size else []) + (
                [here + size] if r + 1 < size else []
            ):
                way_id += 1
                tags = {"highway": "residential", "name": f"Street {way_id % 7}"}
                tags["maxspeed"] = str(int(rng.integers(10, 70)))
                roll = rng.random()
                if roll < 0.3:
                    tags["oneway"] = "yes"
                elif roll < 0.45:
                    tags["oneway"] = "-1"
                ways.append((way_id, [here, there], tags))
    return osm_xml(nodes, ways)


@pytest.fixture(scope="module")
def grid(tmp_path_factory: pytest.TempPathFactory) -> RoadMap:
    path = tmp_path_factory.mktemp("maps") / "grid.osm"
    path.write_text(grid_osm(14, seed=5), encoding="utf-8")
    return RoadMap.load(path)


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> RoadMap:
    path = tmp_path_factory.mktemp("maps") / "town.osm"
    path.write_text(osm_xml(NODES, WAYS), encoding="utf-8")
    return RoadMap.load(path)


def reference(
    roads: RoadMap, origin: Snap, target: Snap, times: np.ndarray | None = None
) -> tuple[float, float]:
    """Forward Dijkstra from the origin's position to the target's: (seconds, metres).

    ``times`` are arc times in force (``inf`` closed); the part of an arc where a trip
    starts or ends is driven at the arc's usual time when it is closed.
    """
    net = roads.network
    times = net.arc_time_s if times is None else times
    partial = np.where(np.isfinite(times), times, net.arc_time_s)
    out: dict[int, list[tuple[int, float, float]]] = {}
    for a, b, t, m in zip(
        net.arc_from.tolist(),
        net.arc_to.tolist(),
        times.tolist(),
        net.arc_length_m.tolist(),
        strict=True,
    ):
        out.setdefault(a, []).append((b, t, m))
    heap: list[tuple[float, float, int]] = []
    answer = (math.inf, math.inf)
    for start in origin.arcs:
        if start.fraction == 0.0:
            heapq.heappush(heap, (0.0, 0.0, int(net.arc_from[start.arc])))
        else:
            rest = 1.0 - start.fraction
            metres = rest * net.arc_length_m[start.arc]
            heapq.heappush(heap, (rest * partial[start.arc], metres, int(net.arc_to[start.arc])))
        for end in target.arcs:
            if end.arc == start.arc and start.fraction <= end.fraction:
                ahead = end.fraction - start.fraction
                answer = min(answer, (ahead * partial[end.arc], ahead * net.arc_length_m[end.arc]))
    best: dict[int, tuple[float, float]] = {}
    while heap:
        time_s, metres, node = heapq.heappop(heap)
        if node in best:
            continue
        best[node] = (time_s, metres)
        for nxt, t, m in out.get(node, []):
            if nxt not in best and math.isfinite(t):
                heapq.heappush(heap, (time_s + t, metres + m, nxt))
    for end in target.arcs:
        if end.fraction == 1.0:
            answer = min(answer, best.get(int(net.arc_to[end.arc]), (math.inf, math.inf)))
            continue
        tail = int(net.arc_from[end.arc])
        if tail in best:
            time_s, metres = best[tail]
            part = (
                time_s + end.fraction * partial[end.arc],
                metres + end.fraction * net.arc_length_m[end.arc],
            )
            answer = min(answer, part)
    return answer


def road_points(roads: RoadMap, count: int, seed: int) -> list[tuple[float, float]]:
    """Points on random arcs; a quarter exactly at nodes (fraction 0 or 1)."""
    rng = np.random.default_rng(seed)
    net = roads.network
    arcs = rng.integers(0, net.arc_count, count)
    t = rng.uniform(0, 1, count)
    t[rng.random(count) < 0.25] = 0.0
    lat = net.lat[net.arc_from[arcs]] * (1 - t) + net.lat[net.arc_to[arcs]] * t
    lon = net.lon[net.arc_from[arcs]] * (1 - t) + net.lon[net.arc_to[arcs]] * t
    return list(zip(lat.tolist(), lon.tolist(), strict=True))


def assert_exact(
    roads: RoadMap,
    index: DriveTimeIndex,
    units: Sequence[Snap],
    targets: Sequence[Snap],
    times: np.ndarray | None = None,
) -> None:
    keys = list(range(len(units)))
    for target in targets:
        got = index.drive_times(target, keys)
        want = np.array([reference(roads, u, target, times) for u in units])
        assert np.allclose(got.eta_s, want[:, 0], rtol=0, atol=1e-9), target
        assert np.allclose(got.distance_m, want[:, 1], rtol=0, atol=1e-6), target


# ---- exactness --------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_one_way_grid_equals_reference_dijkstra(grid: RoadMap, engine: str) -> None:
    units = [grid.snap(*p) for p in road_points(grid, 60, seed=1)]
    targets = [grid.snap(*p) for p in road_points(grid, 12, seed=2)]
    index = grid.index(engine=engine)
    index.place_many(list(range(len(units))), units)
    assert_exact(grid, index, units, targets)


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_town_equals_reference_dijkstra(town: RoadMap, engine: str) -> None:
    places = [
        between(1, 2, 0.3), between(2, 1, 0.0), between(4, 5, 0.5), between(5, 6, 1.0),
        between(7, 8, 0.25), between(8, 9, 0.75), between(3, 6, 0.5), between(9, 6, 0.1),
        between(2, 5, 0.5), between(5, 8, 0.9), between(1, 4, 0.0), between(6, 3, 0.6),
    ]  # fmt: skip
    units = [town.snap(*p) for p in places]
    index = town.index(engine=engine)
    index.place_many(list(range(len(units))), units)
    assert_exact(town, index, units, units)  # every unit to every other, itself included


def test_index_equals_map_drive_times(grid: RoadMap) -> None:
    units = grid.snap_many(road_points(grid, 150, seed=3))
    index = grid.index()
    index.place_many(list(range(len(units))), units)
    for target in road_points(grid, 10, seed=4):
        ours = index.drive_times(target)
        theirs = grid.drive_times(target, units)
        assert np.allclose(ours.eta_s, theirs.eta_s, rtol=0, atol=1e-9)
        assert np.allclose(ours.distance_m, theirs.distance_m, rtol=0, atol=1e-6)


@pytest.mark.parametrize("order", [geometric_order, inertial_flow_order])
def test_any_contraction_order_gives_the_same_times(tmp_path: Path, order: object) -> None:
    path = tmp_path / "grid.osm"
    path.write_text(grid_osm(9, seed=11), encoding="utf-8")
    plain = RoadMap.load(path)
    net = plain.network
    rank = order(net.lat, net.lon, net.arc_from, net.arc_to)  # type: ignore[operator]
    assert np.array_equal(np.sort(rank), np.arange(net.node_count))
    roads = RoadMap(net, order=rank)
    units = roads.snap_many(road_points(roads, 40, seed=12))
    index = roads.index(engine="cch")
    index.place_many(list(range(len(units))), units)
    for target in road_points(roads, 5, seed=13):
        expected = plain.drive_times(target, units)
        assert np.allclose(index.drive_times(target).eta_s, expected.eta_s, atol=1e-9)


# ---- units that move ------------------------------------------------------------------


def test_a_move_relabels_only_that_unit(grid: RoadMap) -> None:
    points = road_points(grid, 30, seed=21)
    index = grid.index()
    index.place_many([f"U{i}" for i in range(30)], points)
    target = road_points(grid, 1, seed=22)[0]
    before = index.drive_times(target)
    new_place = road_points(grid, 1, seed=23)[0]
    index.place("U7", new_place)
    after = index.drive_times(target)
    assert np.array_equal(np.delete(after.eta_s, 7), np.delete(before.eta_s, 7))
    expected = reference(grid, grid.snap(*new_place), grid.snap(*target))
    assert after.eta_s[7] == pytest.approx(expected[0], abs=1e-9)
    assert len(index) == 30 and index.keys()[7] == "U7"


def test_ranking_order_limit_and_removal(grid: RoadMap) -> None:
    index = grid.index()
    points = road_points(grid, 40, seed=31)
    index.place_many(list(range(40)), points)
    target = road_points(grid, 1, seed=32)[0]
    ranking = index.ranking(target)
    assert len(ranking) == 40 and sorted(ranking.keys) == list(range(40))  # type: ignore[type-var]
    assert np.all(np.diff(ranking.eta_s) >= 0)
    limit = float(np.median(ranking.eta_s))
    limited = index.drive_times(target, limit_s=limit)
    assert np.all(np.isinf(limited.eta_s[limited.eta_s > limit]))
    assert np.all(np.isfinite(limited.eta_s) == (index.drive_times(target).eta_s <= limit))
    index.remove(ranking.keys[0])
    index.remove("never placed")
    assert ranking.keys[0] not in index and len(index) == 39
    assert index.ranking(target).keys == ranking.keys[1:]
    index.retain(ranking.keys[1:11])
    assert len(index) == 10 and set(index.keys()) == set(ranking.keys[1:11])
    with pytest.raises(KeyError):
        index.drive_times(target, [ranking.keys[0]])
    assert len(index.drive_times(target, [])) == 0


def test_bad_positions_place_nothing(grid: RoadMap) -> None:
    index = grid.index()
    good = road_points(grid, 2, seed=41)
    with pytest.raises(OutsideMapError, match=r"origins\[1\]"):
        index.place_many(["a", "b"], [good[0], (0.0, 0.0)])
    assert len(index) == 0
    with pytest.raises(ValueError, match="once"):
        index.place_many(["a", "a"], good)
    with pytest.raises(ValueError, match="2 keys for 1"):
        index.place_many(["a", "b"], good[:1])
    with pytest.raises(ValueError, match="engine"):
        grid.index(engine="warp")


def test_thousands_of_moves_keep_the_index_exact(grid: RoadMap) -> None:
    # many moves fill the label pool with dead labels: it is compacted as it goes
    index = grid.index(engine="cch")
    rng = np.random.default_rng(51)
    points = road_points(grid, 400, seed=52)
    keys = [f"U{i}" for i in range(100)]
    where: dict[str, tuple[float, float]] = {}
    for round_ in range(40):
        chosen = rng.choice(400, size=100, replace=False)
        index.place_many(keys, [points[i] for i in chosen])
        where.update(zip(keys, [points[i] for i in chosen], strict=True))
        gone = keys[round_ % 100]
        index.remove(gone)
        index.place(gone, points[round_])
        where[gone] = points[round_]
    truth = grid.index(engine="dijkstra")
    truth.place_many(keys, [where[k] for k in keys])
    for target in road_points(grid, 5, seed=53):
        assert np.allclose(
            index.drive_times(target, keys).eta_s, truth.drive_times(target, keys).eta_s, atol=1e-9
        )


def test_threads_may_share_an_index(grid: RoadMap) -> None:
    index = grid.index()
    points = road_points(grid, 200, seed=61)
    index.place_many(list(range(200)), points)
    targets = road_points(grid, 20, seed=62)
    expected = [index.drive_times(t).eta_s for t in targets]
    failures: list[str] = []

    def rank_all() -> None:
        for _ in range(5):
            for target, want in zip(targets, expected, strict=True):
                if not np.array_equal(index.drive_times(target, list(range(200))).eta_s, want):
                    failures.append("different answer")

    def move_others() -> None:
        for i in range(50):
            index.place(f"extra{i % 7}", points[i])

    threads = [threading.Thread(target=rank_all) for _ in range(3)]
    threads.append(threading.Thread(target=move_others))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


# ---- closures -------------------------------------------------------------------------


def segment_of(roads: RoadMap, a: int, b: int) -> int:
    """The segment between OSM nodes ``a`` and ``b`` of the town."""
    return roads.snap(*between(a, b, 0.5)).segment


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_closure_makes_a_detour_and_reopening_restores(town: RoadMap, engine: str) -> None:
    index = town.index(engine=engine)
    unit = town.snap(*between(1, 2, 0.5))  # First Street, two-way
    target = town.snap(*between(3, 6, 0.3))  # East Avenue, just north of First Street
    index.place("ZPD-1", unit)
    before = float(index.drive_times(target).eta_s[0])
    closed = closed_arc_times(town, [([segment_of(town, 2, 3)], None)])
    assert closed is not None and np.isinf(closed).sum() == 2  # both directions
    index.set_arc_times(closed)
    during = float(index.drive_times(target).eta_s[0])
    assert during == pytest.approx(reference(town, unit, target, closed)[0], abs=1e-9)
    assert during > before + 20  # around the block (2 -> 5 -> 6), not along First Street
    # an incident on the closed road itself is still reached, from where it was closed
    on_closed = town.snap(*between(2, 3, 0.5))
    assert math.isfinite(float(index.drive_times(on_closed).eta_s[0]))
    index.set_arc_times(None)
    assert float(index.drive_times(target).eta_s[0]) == pytest.approx(before, abs=1e-12)


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_closures_and_slow_downs_on_the_grid_equal_reference(grid: RoadMap, engine: str) -> None:
    rng = np.random.default_rng(71)
    segments = rng.choice(grid.segment_count, size=25, replace=False).tolist()
    times = closed_arc_times(grid, [(segments[:15], None), (segments[15:], 3.0)])
    assert times is not None
    units = [grid.snap(*p) for p in road_points(grid, 40, seed=72)]
    targets = [grid.snap(*p) for p in road_points(grid, 8, seed=73)]
    index = grid.index(times, engine=engine)
    index.place_many(list(range(len(units))), units)
    assert_exact(grid, index, units, targets, times)
    assert np.array_equal(index.arc_time_s, times)


def test_a_unit_on_a_closed_road_can_leave_it(town: RoadMap) -> None:
    unit = town.snap(*between(2, 3, 0.5))
    target = town.snap(*between(1, 4, 0.5))
    times = closed_arc_times(town, [([unit.segment], None)])
    index = town.index(times)
    index.place("u", unit)
    eta = float(index.drive_times(target).eta_s[0])
    assert math.isfinite(eta)
    assert eta == pytest.approx(reference(town, unit, target, times)[0], abs=1e-9)


def test_no_closure_keeps_the_map_times(town: RoadMap) -> None:
    assert closed_arc_times(town, []) is None
    assert closed_arc_times(town, [([10**9], None)]) is None  # not a segment of this map
    slowed = closed_arc_times(town, [([0], 0.5)])  # a factor below 1 does not speed up
    assert slowed is not None and np.array_equal(slowed, town.network.arc_time_s)


# ---- the automatic engine (issue 15) ----------------------------------------------------


def test_auto_chooses_by_map_size_and_fleet() -> None:
    from tenfour.geo.index import (
        CCH_FLEET_MIN_NODES,
        CCH_FLEET_UNITS,
        CCH_MIN_NODES,
        compiled_available,
    )

    cch = "cch" if compiled_available() else "dijkstra"
    choose = DriveTimeIndex.choose_engine
    assert choose(CCH_MIN_NODES) == cch  # a city: the hierarchy from the start
    assert choose(CCH_MIN_NODES - 1) == "dijkstra"
    assert choose(CCH_FLEET_MIN_NODES, CCH_FLEET_UNITS) == cch  # a town with a fleet
    assert choose(CCH_MIN_NODES - 1, CCH_FLEET_UNITS - 1) == "dijkstra"
    assert choose(CCH_FLEET_MIN_NODES - 1, 10 * CCH_FLEET_UNITS) == "dijkstra"  # a village


def test_auto_switches_to_the_hierarchy_when_a_fleet_arrives_and_stays_exact() -> None:
    from tenfour.geo import load_map
    from tenfour.geo.index import CCH_FLEET_UNITS, compiled_available

    if not compiled_available():
        pytest.skip("numba is not installed: auto stays on the Dijkstra engine")
    roads = load_map("demo")  # 10,819 nodes: a town
    points = roads.snap_many(road_points(roads, CCH_FLEET_UNITS + 5, seed=15))
    first, rest = list(range(CCH_FLEET_UNITS - 1)), list(range(CCH_FLEET_UNITS - 1, len(points)))
    segments = roads.segments_within(points.lat[0], points.lon[0], 500.0).tolist()
    slow = closed_arc_times(roads, [(segments, 4.0)])
    auto, plain = roads.index(engine="auto"), roads.index(engine="dijkstra")
    for index in (auto, plain):
        index.set_arc_times(slow)  # a closure before the switch carries over
        index.place_many(first, points.subset(first))
    assert auto.engine == "dijkstra"
    for index in (auto, plain):
        index.place_many(rest, points.subset(rest))
    assert auto.engine == "cch"
    for target in road_points(roads, 5, seed=16):
        got, want = auto.drive_times(target), plain.drive_times(target)
        assert np.allclose(got.eta_s, want.eta_s, rtol=0, atol=1e-9)
        assert np.allclose(got.distance_m, want.distance_m, rtol=0, atol=1e-6)
        unslowed = roads.drive_times(target, points).eta_s
        assert not np.allclose(got.eta_s, unslowed, atol=1e-6)  # the slow-down counts
    auto.set_arc_times(None)
    plain.set_arc_times(None)
    target = road_points(roads, 1, seed=17)[0]
    assert np.allclose(auto.drive_times(target).eta_s, plain.drive_times(target).eta_s, atol=1e-9)
