"""Turn delays: move kinds from the geometry, and `TurnIndex` exact on random graphs.

The reference is the textbook edge-based graph, built here apart from
``tenfour.geo.turns``: one node per road arc (a car at its end), an edge ``x -> y``
weighted ``turn(x, y) + time(y)``, searched with scipy's Dijkstra; a unit's and a
target's position on their arcs are priced around it by hand. With every delay zero
the turn index must give the node-based index's times.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

from tenfour.geo import RoadMap, Snap
from tenfour.geo.index import compiled_available
from tenfour.geo.turns import KINDS, TURNS, TurnGraph, TurnIndex, expanded_order, transitions

from .test_geo_index import grid_osm
from .test_geo_town import osm_xml

ENGINES = ["dijkstra", "cch"] if compiled_available() else ["dijkstra"]


def random_osm(seed: int, count: int = 45) -> str:
    """Random junctions joined to their nearest neighbours: streets at any angle, some
    one-way, so every kind of move (and U-turns at dead ends) occurs."""
    rng = np.random.default_rng(seed)
    lat = 40.0 + rng.uniform(0, 0.006, count)
    lon = -8.0 + rng.uniform(0, 0.008, count)
    nodes = {i + 1: (float(lat[i]), float(lon[i])) for i in range(count)}
    ways: list[tuple[int, list[int], dict[str, str]]] = []
    seen: set[tuple[int, int]] = set()
    for i in range(count):
        d = (lat - lat[i]) ** 2 + ((lon - lon[i]) * 0.77) ** 2
        for j in np.argsort(d)[1 : int(rng.integers(3, 6))].tolist():
            pair = (min(i, j), max(i, j))
            if pair in seen:
                continue
            seen.add(pair)
            tags = {"highway": "residential", "maxspeed": str(int(rng.integers(15, 60)))}
            if rng.random() < 0.2:
                tags["oneway"] = "yes"
            ways.append((1000 + len(ways), [i + 1, j + 1], tags))
    return osm_xml(nodes, ways)


def load(tmp_path: Path, text: str) -> RoadMap:
    path = tmp_path / "map.osm"
    path.write_text(text, encoding="utf-8")
    return RoadMap.load(path)


class Reference:
    """Drive times with turn delays on the edge-based graph of ``roads``."""

    def __init__(self, roads: RoadMap, times: np.ndarray, delay: dict[str, float]) -> None:
        net = roads.network
        self.net, self.times = net, times
        moves = transitions(net)
        by_kind = np.array([0.0] + [delay.get(k, 0.0) for k in TURNS])
        self.turn = {
            (x, y): float(by_kind[k])
            for x, y, k in zip(
                moves.arc_in.tolist(), moves.arc_out.tolist(), moves.kind.tolist(), strict=True
            )
        }
        weight = by_kind[moves.kind] + times[moves.arc_out]
        m = net.arc_count
        dual = csr_array((weight, (moves.arc_in, moves.arc_out)), shape=(m, m))
        self.dist = dijkstra(dual, directed=True)  # end of x -> end of y

    def _starts(self, snap: Snap) -> list[tuple[int, float, int | None]]:
        """(arc whose end the car reaches, seconds, its start node when standing on it)."""
        out: list[tuple[int, float, int | None]] = []
        for position in snap.arcs:
            a, t = position.arc, position.fraction
            if t in (0.0, 1.0):  # standing on a node: any road out, no turn
                v = int(self.net.arc_from[a] if t == 0.0 else self.net.arc_to[a])
                for y in np.flatnonzero(self.net.arc_from == v).tolist():
                    out.append((y, float(self.times[y]), v))
            else:
                out.append((a, (1 - t) * float(self.times[a]), None))
        return out

    def time(self, unit: Snap, target: Snap) -> float:
        net, best = self.net, math.inf
        starts = self._starts(unit)
        free = {v for _, _, v in starts if v is not None}
        for here in target.arcs:
            b, s = here.arc, here.fraction
            for there in unit.arcs:
                if there.arc == b and there.fraction <= s:
                    best = min(best, (s - there.fraction) * float(self.times[b]))
            if s in (0.0, 1.0):  # on a node: any arc in
                w = int(net.arc_to[b] if s == 1.0 else net.arc_from[b])
                if w in free:
                    best = 0.0
                ins = np.flatnonzero(net.arc_to == w).tolist()
                for x0, c0, _ in starts:
                    for x in ins:
                        best = min(best, c0 + float(self.dist[x0, x]))
                continue
            tail = int(net.arc_from[b])
            part = s * float(self.times[b])
            if tail in free:
                best = min(best, part)
            for x0, c0, _ in starts:
                for x in np.flatnonzero(net.arc_to == tail).tolist():
                    best = min(best, c0 + float(self.dist[x0, x]) + self.turn[(x, b)] + part)
        return best


def positions(roads: RoadMap, rng: np.random.Generator, count: int) -> list[Snap]:
    """Random points near the streets, and a few exactly on nodes."""
    net = roads.network
    out = []
    for i in range(count):
        if i % 4 == 0:
            v = int(rng.integers(net.node_count))
            out.append(roads.snap(float(net.lat[v]), float(net.lon[v])))
            continue
        lat = float(rng.uniform(net.lat.min(), net.lat.max()))
        lon = float(rng.uniform(net.lon.min(), net.lon.max()))
        out.append(roads.snap(lat, lon))
    return out


def random_delays(rng: np.random.Generator) -> dict[str, float]:
    return {"left": float(rng.uniform(0, 40)), "right": float(rng.uniform(0, 15)),
            "u": float(rng.uniform(0, 90))}  # fmt: skip


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("shape", ["grid", "random"])
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_turn_index_equals_dijkstra_on_the_edge_based_graph(
    tmp_path: Path, engine: str, shape: str, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    if shape == "grid":
        roads = load(tmp_path, grid_osm(int(rng.integers(5, 9)), seed=seed))
    else:
        roads = load(tmp_path, random_osm(seed))
        counts = transitions(roads.network).counts()
        assert min(counts.values()) > 0, counts
    net = roads.network
    delay = random_delays(rng)
    times = net.arc_time_s * rng.uniform(0.5, 3.0, net.arc_count)
    reference = Reference(roads, times, delay)
    index = TurnIndex(roads, delay, times, engine=engine)
    units = positions(roads, rng, 16)
    index.place_many(list(range(len(units))), units)
    for target in positions(roads, rng, 10):
        expected = np.array([reference.time(u, target) for u in units])
        got = index.drive_times(target, list(range(len(units))))
        assert np.allclose(got.eta_s, expected, rtol=1e-9, atol=1e-6)
        ranking = index.ranking(target)
        assert np.allclose(ranking.eta_s, np.sort(expected), atol=1e-6)
        order = np.asarray(ranking.keys, dtype=np.int64)  # fastest first, by key
        assert np.allclose(expected[order], ranking.eta_s, atol=1e-6)


@pytest.mark.parametrize("engine", ENGINES)
def test_turn_delays_change_the_route(tmp_path: Path, engine: str) -> None:
    """On a plain grid, a left turn's delay makes right turns around the block win."""
    roads = load(tmp_path, grid_osm(6, seed=9))
    rng = np.random.default_rng(0)
    units = positions(roads, rng, 20)
    plain = roads.index(engine=engine)
    turned = TurnIndex(roads, {"left": 60.0, "u": 120.0}, engine=engine)
    for index in (plain, turned):
        index.place_many(list(range(len(units))), units)
    target = positions(roads, rng, 1)[0]
    before = plain.drive_times(target).eta_s
    after = turned.drive_times(target).eta_s
    assert np.all(after >= before - 1e-9)
    assert np.any(after > before + 1.0)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("seed", [5, 6])
def test_zero_turn_delays_equal_the_node_based_index(
    tmp_path: Path, engine: str, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    roads = load(tmp_path, grid_osm(8, seed=seed))
    times = roads.network.arc_time_s * rng.uniform(0.5, 3.0, roads.arc_count)
    plain = roads.index(times, engine=engine)
    turned = TurnIndex(roads, {}, times, engine=engine)
    units = positions(roads, rng, 20)
    for index in (plain, turned):
        index.place_many(list(range(len(units))), units)
    for target in positions(roads, rng, 8):
        a = plain.drive_times(target)
        b = turned.drive_times(target)
        assert np.allclose(a.eta_s, b.eta_s, rtol=1e-9, atol=1e-6)
        assert np.allclose(a.distance_m, b.distance_m, rtol=1e-9, atol=1e-6)


@pytest.mark.parametrize("engine", ENGINES)
def test_closures_reach_the_turn_index(tmp_path: Path, engine: str) -> None:
    roads = load(tmp_path, grid_osm(7, seed=3))
    rng = np.random.default_rng(3)
    delay = random_delays(rng)
    index = TurnIndex(roads, delay, engine=engine)
    units = positions(roads, rng, 12)
    index.place_many(list(range(len(units))), units)
    closed = roads.network.arc_time_s.copy()
    closed[rng.choice(roads.arc_count, 15, replace=False)] = np.inf
    index.set_arc_times(closed)
    assert index.arc_time_s is closed
    reference = Reference(roads, closed, delay)
    for target in positions(roads, rng, 5):
        expected = np.array([reference.time(u, target) for u in units])
        got = index.drive_times(target, list(range(len(units)))).eta_s
        # a unit standing on a closed arc drives its rest at the usual time (both agree
        # only off closed arcs, which is what the reference knows)
        on_closed = np.array([any(np.isinf(closed[p.arc]) for p in u.arcs) for u in units])
        target_closed = any(np.isinf(closed[p.arc]) for p in target.arcs)
        if target_closed:
            continue
        assert np.allclose(got[~on_closed], expected[~on_closed], rtol=1e-9, atol=1e-6)
    index.set_arc_times(None)
    assert index.arc_time_s is roads.network.arc_time_s


def test_move_kinds_at_a_crossing_and_a_bend(tmp_path: Path) -> None:
    """A plus-shaped crossing (right-hand traffic) and a bend of one street."""
    nodes = {
        1: (40.0, -8.0),  # centre
        2: (40.001, -8.0),  # north
        3: (39.999, -8.0),  # south
        4: (40.0, -7.9987),  # east
        5: (40.0, -8.0013),  # west
        6: (40.001, -7.9987),  # north-east of north: a bend on the north street
        7: (40.00102, -7.99995),  # back west from 6: a hairpin
    }
    ways = [
        (10, [3, 1, 2], {"highway": "residential"}),
        (11, [5, 1, 4], {"highway": "residential"}),
        (12, [2, 6, 7], {"highway": "residential"}),
    ]
    roads = load(tmp_path, osm_xml(nodes, ways))
    net = roads.network
    moves = transitions(net)
    index = {int(i): n for n, i in enumerate(net.node_id.tolist())}

    def arc(a: int, b: int) -> int:
        return int(np.flatnonzero((net.arc_from == index[a]) & (net.arc_to == index[b]))[0])

    def kind(x: tuple[int, int], y: tuple[int, int]) -> str:
        hit = (moves.arc_in == arc(*x)) & (moves.arc_out == arc(*y))
        return KINDS[int(moves.kind[np.flatnonzero(hit)[0]])]

    northbound = (3, 1)
    assert kind(northbound, (1, 2)) == "straight"
    assert kind(northbound, (1, 4)) == "right"
    assert kind(northbound, (1, 5)) == "left"
    assert kind(northbound, (1, 3)) == "u"
    assert kind((5, 1), (1, 2)) == "left"  # eastbound, turning north
    # node 2 joins only two streets' ends: the 90-degree bend is no turn, a U-turn is
    assert kind((1, 2), (2, 6)) == "straight"
    assert kind((1, 2), (2, 1)) == "u"
    assert kind((2, 6), (6, 7)) == "straight"  # a hairpin, but the only way on
    assert kind((2, 6), (6, 2)) == "u"
    assert moves.counts()["straight"] >= 3


def test_the_expanded_order_is_a_permutation_by_road_rank(tmp_path: Path) -> None:
    roads = load(tmp_path, random_osm(2))
    graph = TurnGraph(roads.network)
    rank = expanded_order(graph, roads.hierarchy.rank)
    assert np.array_equal(np.sort(rank), np.arange(graph.node_count))
    net = roads.network
    owner = np.concatenate([net.arc_from, net.arc_to, np.arange(net.node_count)])
    owner = np.concatenate([owner, np.arange(net.node_count)])
    road = roads.hierarchy.rank[owner]
    assert np.all(np.diff(road[np.argsort(rank)]) >= 0)  # contracted as their road nodes


def test_unknown_turn_kind_is_refused(tmp_path: Path) -> None:
    roads = load(tmp_path, grid_osm(4, seed=1))
    with pytest.raises(ValueError, match="turn_delay_s: unknown turn 'sideways'"):
        TurnIndex(roads, {"sideways": 3.0})
    with pytest.raises(ValueError, match=r"turn_delay_s.left: -1.0 is not a delay"):
        TurnIndex(roads, {"left": -1.0})
    with pytest.raises(ValueError, match=r"turn_delay_s.u: nan is not a delay"):
        TurnIndex(roads, {"u": math.nan})
