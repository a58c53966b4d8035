"""`tenfour.geo` on a hand-made town: one-way streets, snapping, drive times, names.

The town (north is up, blocks about 111 m by 89 m)::

    7 <-- 8 <-- 9      Third Street, oneway=-1 (ways drawn 7-8-9, driven 9 -> 7)
    |     ^     |
    4 --> 5 --> 6 -->  Second Street, oneway=yes; Stub Lane 6 -> 22 (dead end)
    |     ^     |
    1 --- 2 --- 3      First Street, two-way, maxspeed 25 mph

West Avenue 1-4-7 and East Avenue 3-6-9 are two-way; Middle Avenue 2 -> 5 -> 8 is
one-way. Island Road 20-21 is reached only by a footway and a private road, so the
strongly-connected-component rule drops it, and node 22 too.
"""

from __future__ import annotations

import heapq
import math
from pathlib import Path

import numpy as np
import osmium
import pytest

from tenfour.geo import (
    ArcPosition,
    CoordinateError,
    GeocodeError,
    OutsideMapError,
    RoadMap,
    Snap,
    haversine_m,
    load_map,
)
from tenfour.geo.geocoding import normalise

NODES: dict[int, tuple[float, float]] = {
    1: (37.000, -122.000),
    2: (37.000, -121.999),
    3: (37.000, -121.998),
    4: (37.001, -122.000),
    5: (37.001, -121.999),
    6: (37.001, -121.998),
    7: (37.002, -122.000),
    8: (37.002, -121.999),
    9: (37.002, -121.998),
    20: (37.003, -121.990),
    21: (37.0035, -121.990),
    22: (37.001, -121.997),
}
WAYS: list[tuple[int, list[int], dict[str, str]]] = [
    (10, [1, 2, 3], {"highway": "residential", "name": "First Street", "maxspeed": "25 mph"}),
    (11, [4, 5, 6], {"highway": "tertiary", "name": "Second Street", "oneway": "yes"}),
    (12, [7, 8, 9], {"highway": "residential", "name": "Third Street", "oneway": "-1"}),
    (13, [1, 4, 7], {"highway": "residential", "name": "West Avenue"}),
    (14, [3, 6, 9], {"highway": "residential", "name": "East Avenue"}),
    (15, [2, 5, 8], {"highway": "residential", "name": "Middle Avenue", "oneway": "yes"}),
    (16, [20, 21], {"highway": "residential", "name": "Island Road"}),
    (17, [5, 20], {"highway": "footway", "name": "Garden Path"}),
    (18, [9, 21], {"highway": "residential", "name": "Private Drive", "access": "private"}),
    (19, [6, 22], {"highway": "service", "name": "Stub Lane", "oneway": "yes"}),
]


def osm_xml(
    nodes: dict[int, tuple[float, float]], ways: list[tuple[int, list[int], dict[str, str]]]
) -> str:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for node_id, (lat, lon) in nodes.items():
        lines.append(f'  <node id="{node_id}" lat="{lat}" lon="{lon}" version="1"/>')
    for way_id, refs, tags in ways:
        lines.append(f'  <way id="{way_id}" version="1">')
        lines.extend(f'    <nd ref="{ref}"/>' for ref in refs)
        lines.extend(f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items())
        lines.append("  </way>")
    lines.append("</osm>")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def town_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("maps") / "town.osm"
    path.write_text(osm_xml(NODES, WAYS), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def town(town_path: Path) -> RoadMap:
    return RoadMap.load(town_path)


def node_index(town: RoadMap, osm_id: int) -> int:
    return int(np.flatnonzero(town.network.node_id == osm_id)[0])


def arc_pairs(town: RoadMap) -> set[tuple[int, int]]:
    ids = town.network.node_id
    return {
        (int(ids[a]), int(ids[b]))
        for a, b in zip(town.network.arc_from, town.network.arc_to, strict=True)
    }


def between(a: int, b: int, fraction: float) -> tuple[float, float]:
    (lat1, lon1), (lat2, lon2) = NODES[a], NODES[b]
    return lat1 + (lat2 - lat1) * fraction, lon1 + (lon2 - lon1) * fraction


def reference_eta(town: RoadMap, origin: Snap, target: Snap) -> tuple[float, float]:
    """Forward heapq Dijkstra from the origin's position to the target's (time, metres).

    A point at fraction 0 or 1 of an arc stands on that node and may use every arc of it.
    """
    net = town.network
    out: dict[int, list[tuple[int, float, float]]] = {}
    for a, b, t, m in zip(
        net.arc_from.tolist(),
        net.arc_to.tolist(),
        net.arc_time_s.tolist(),
        net.arc_length_m.tolist(),
        strict=True,
    ):
        out.setdefault(a, []).append((b, t, m))
    best: dict[int, tuple[float, float]] = {}
    heap: list[tuple[float, float, int]] = []
    answer = (math.inf, math.inf)
    for start in origin.arcs:
        if start.fraction == 0.0:
            heapq.heappush(heap, (0.0, 0.0, int(net.arc_from[start.arc])))
        else:
            rest = 1.0 - start.fraction
            time_s, metres = net.arc_time_s[start.arc], net.arc_length_m[start.arc]
            heapq.heappush(heap, (rest * time_s, rest * metres, int(net.arc_to[start.arc])))
        for end in target.arcs:
            if end.arc == start.arc and start.fraction <= end.fraction:
                ahead = end.fraction - start.fraction
                answer = min(
                    answer, (ahead * net.arc_time_s[end.arc], ahead * net.arc_length_m[end.arc])
                )
    while heap:
        time_s, metres, node = heapq.heappop(heap)
        if node in best:
            continue
        best[node] = (time_s, metres)
        for nxt, t, m in out.get(node, []):
            if nxt not in best:
                heapq.heappush(heap, (time_s + t, metres + m, nxt))
    for end in target.arcs:
        if end.fraction == 1.0:
            answer = min(answer, best.get(int(net.arc_to[end.arc]), (math.inf, math.inf)))
            continue
        tail = int(net.arc_from[end.arc])
        if tail in best:
            time_s, metres = best[tail]
            answer = min(
                answer,
                (
                    time_s + end.fraction * net.arc_time_s[end.arc],
                    metres + end.fraction * net.arc_length_m[end.arc],
                ),
            )
    return answer


def arc_of(town: RoadMap, a: int, b: int) -> int:
    net = town.network
    i, j = node_index(town, a), node_index(town, b)
    return int(np.flatnonzero((net.arc_from == i) & (net.arc_to == j))[0])


# ---- loading ------------------------------------------------------------------------


def test_island_and_dead_end_are_dropped(town: RoadMap) -> None:
    assert sorted(town.network.node_id.tolist()) == list(range(1, 10))
    assert town.node_count == 9
    # First, West, East: 2 segments x 2 directions; Second, Third, Middle: 2 x 1
    assert town.arc_count == 18
    assert "Island Road" not in {town.network.names[i] for i in town.network.arc_name}


def test_one_way_directions(town: RoadMap) -> None:
    pairs = arc_pairs(town)
    assert {(4, 5), (5, 6)} <= pairs and not {(5, 4), (6, 5)} & pairs  # oneway=yes
    assert {(9, 8), (8, 7)} <= pairs and not {(7, 8), (8, 9)} & pairs  # oneway=-1
    assert {(1, 2), (2, 1), (1, 4), (4, 1)} <= pairs  # two-way


def test_maxspeed_in_mph_and_default_speed(town: RoadMap) -> None:
    net = town.network
    arc = arc_of(town, 1, 2)
    length = float(haversine_m(*NODES[1], *NODES[2]))
    assert net.arc_length_m[arc] == pytest.approx(length)
    assert net.arc_time_s[arc] == pytest.approx(length / (25 * 1.609344 / 3.6))
    west = arc_of(town, 1, 4)
    assert net.arc_time_s[west] == pytest.approx(net.arc_length_m[west] / (25 / 3.6))


def test_bounds_and_counts(town: RoadMap) -> None:
    bounds = town.bounds
    assert (bounds.south, bounds.west, bounds.north, bounds.east) == (
        37.0,
        -122.0,
        37.002,
        -121.998,
    )


def test_load_map_caches_per_path(town_path: Path) -> None:
    assert load_map(str(town_path)) is load_map(str(town_path))


# ---- snapping -----------------------------------------------------------------------


def test_snap_to_segment_interior_not_node(town: RoadMap) -> None:
    # 30 m north of First Street, 40% of the way from node 1 to node 2
    lat, lon = between(1, 2, 0.4)
    snap = town.snap(lat + 30 / 111_195, lon)
    assert snap.street == "First Street"
    assert snap.lat == pytest.approx(37.0, abs=1e-7)
    assert snap.lon == pytest.approx(lon, abs=1e-7)
    assert snap.distance_m == pytest.approx(30.0, abs=0.1)
    assert len(snap.arcs) == 2  # a two-way street: both directions
    assert sorted(p.fraction for p in snap.arcs) == pytest.approx([0.4, 0.6])


def test_snap_one_way_street_has_one_arc(town: RoadMap) -> None:
    snap = town.snap(*between(4, 5, 0.25))
    assert snap.street == "Second Street"
    assert len(snap.arcs) == 1
    arc = snap.arcs[0]
    assert int(town.network.node_id[town.network.arc_from[arc.arc]]) == 4
    assert arc.fraction == pytest.approx(0.25)


def test_snap_many_matches_snap(town: RoadMap) -> None:
    points = [between(1, 2, 0.3), between(5, 8, 0.7), (37.0015, -121.9985)]
    many = town.snap_many(points)
    assert len(many) == 3
    for i, point in enumerate(points):
        assert many[i] == town.snap(*point)


def test_far_point_raises_naming_lat_lon(town: RoadMap) -> None:
    with pytest.raises(OutsideMapError, match=r"lat=37\.1, lon=-122\.0: outside the map"):
        town.snap(37.1, -122.0)


@pytest.mark.parametrize(
    ("lat", "lon", "field"),
    [(95.0, -122.0, "lat"), (37.0, -190.0, "lon"), (math.nan, -122.0, "lat")],
)
def test_invalid_coordinates_name_the_field(
    town: RoadMap, lat: float, lon: float, field: str
) -> None:
    with pytest.raises(CoordinateError, match=rf"^{field}="):
        town.snap(lat, lon)


def test_invalid_origin_in_batch_names_index(town: RoadMap) -> None:
    with pytest.raises(CoordinateError, match=r"origins\[1\]\.lon"):
        town.drive_times((37.0, -122.0), [(37.0, -121.999), (37.0, 400.0)])
    with pytest.raises(CoordinateError, match=r"^to\.lat="):
        town.drive_times((137.0, -122.0), [(37.0, -121.999)])


def test_far_origin_in_batch_names_index(town: RoadMap) -> None:
    snapped = town.snap(37.0, -121.999)
    with pytest.raises(OutsideMapError, match=r"origins\[2\] \(lat=37\.1, lon=-122\.0\)"):
        town.drive_times((37.0, -122.0), [(37.0, -121.999), snapped, (37.1, -122.0)])
    with pytest.raises(OutsideMapError, match=r"points\[0\]"):
        town.snap_many(np.array([[37.1, -122.0]]))
    with pytest.raises(OutsideMapError, match=r"^to \(lat=37\.1"):
        town.drive_times((37.1, -122.0), [snapped])
    with pytest.raises(OutsideMapError, match=r"^origin \(lat=37\.1"):
        town.route((37.1, -122.0), snapped)


# ---- drive times --------------------------------------------------------------------


def test_unit_across_one_way_street_goes_around(town: RoadMap) -> None:
    target = town.snap(*between(4, 5, 0.8))  # on Second Street, just west of node 5
    unit = town.snap(*between(5, 6, 0.2))  # just east of node 5: 36 m away
    times = town.drive_times(target, [unit])
    expected_eta, expected_m = reference_eta(town, unit, target)
    assert times.eta_s[0] == pytest.approx(expected_eta)
    assert times.distance_m[0] == pytest.approx(expected_m)
    # the way round is at least the block: past 6, back along First or Third, up West
    assert times.distance_m[0] > 300
    route = town.route(unit, target)
    assert route.eta_s == pytest.approx(expected_eta)
    assert route.streets[0] == "Second Street" and route.streets[-1] == "Second Street"
    assert len(route.points) > 4


def test_same_arc_ahead_drives_straight(town: RoadMap) -> None:
    target = town.snap(*between(4, 5, 0.8))
    unit = town.snap(*between(4, 5, 0.3))
    times = town.drive_times(target, [unit])
    net = town.network
    arc = target.arcs[0].arc
    assert times.eta_s[0] == pytest.approx(0.5 * net.arc_time_s[arc])
    assert times.distance_m[0] == pytest.approx(0.5 * net.arc_length_m[arc])
    route = town.route(unit, target)
    assert route.points == [(unit.lat, unit.lon), (target.lat, target.lon)]


def test_two_way_street_can_turn_back(town: RoadMap) -> None:
    # on two-way First Street a unit east of the target drives west directly
    target = town.snap(*between(1, 2, 0.3))
    unit = town.snap(*between(1, 2, 0.6))
    times = town.drive_times(target, [unit])
    length = float(haversine_m(*NODES[1], *NODES[2]))
    assert times.distance_m[0] == pytest.approx(0.3 * length)


def test_drive_times_equal_reference_dijkstra(town: RoadMap) -> None:
    rng = np.random.default_rng(7)
    points = np.column_stack(
        [rng.uniform(36.9995, 37.0025, 40), rng.uniform(-122.0005, -121.9975, 40)]
    )
    snaps = town.snap_many(points)
    for t in range(0, 40, 5):
        times = town.drive_times(snaps[t], snaps)
        for i in range(len(snaps)):
            eta, metres = reference_eta(town, snaps[i], snaps[t])
            assert times.eta_s[i] == pytest.approx(eta, rel=1e-9, abs=1e-9)
            assert times.distance_m[i] == pytest.approx(metres, rel=1e-9, abs=1e-9)
        assert times.eta_s[t] == 0.0


def test_target_at_a_node_is_reached_by_every_arc_into_it(town: RoadMap) -> None:
    # node 5 snaps onto some arc ending there; a unit on Second Street still drives
    # straight in (4 -> 5) rather than round to the start of that arc
    target = town.snap(*NODES[5])
    assert [p.fraction for p in target.arcs] in ([0.0], [1.0], [0.0, 1.0], [1.0, 0.0])
    unit = town.snap(*between(4, 5, 0.5))
    times = town.drive_times(target, [unit])
    assert times.eta_s[0] == pytest.approx(0.5 * town.network.arc_time_s[arc_of(town, 4, 5)])
    assert times.eta_s[0] == pytest.approx(reference_eta(town, unit, target)[0])


def test_unit_at_a_node_may_leave_by_any_arc(town: RoadMap) -> None:
    # a unit standing at node 4, given as the start of one-way Second Street, goes
    # straight down West Avenue to node 1 instead of along Second Street first
    unit = Snap(*NODES[4], 0.0, "Second Street", (ArcPosition(arc_of(town, 4, 5), 0.0),), 0)
    times = town.drive_times(town.snap(*NODES[1]), [unit])
    assert times.eta_s[0] == pytest.approx(town.network.arc_time_s[arc_of(town, 4, 1)])
    route = town.route(unit, NODES[1])
    assert route.streets == ["West Avenue"]
    assert route.points == [NODES[4], NODES[1]]


def test_drive_times_between_nodes_equal_reference(town: RoadMap) -> None:
    snaps = town.snap_many([NODES[i] for i in range(1, 10)])
    for t in range(len(snaps)):
        times = town.drive_times(snaps[t], snaps)
        for i in range(len(snaps)):
            eta, metres = reference_eta(town, snaps[i], snaps[t])
            assert times.eta_s[i] == pytest.approx(eta, rel=1e-9, abs=1e-9)
            assert times.distance_m[i] == pytest.approx(metres, rel=1e-9, abs=1e-9)


def test_origin_forms_agree(town: RoadMap) -> None:
    target = between(7, 8, 0.5)
    points = [between(1, 2, 0.5), between(6, 9, 0.1), between(2, 5, 0.9)]
    snapped = town.snap_many(points)
    by_points = town.drive_times(target, points)
    by_array = town.drive_times(target, np.array(points))
    by_snapped = town.drive_times(target, snapped)
    by_snaps = town.drive_times(town.snap(*target), [snapped[0], points[1], snapped[2]])
    for other in (by_array, by_snapped, by_snaps):
        np.testing.assert_array_equal(other.eta_s, by_points.eta_s)
        np.testing.assert_array_equal(other.distance_m, by_points.distance_m)


def test_ranking_and_limit(town: RoadMap) -> None:
    target = between(1, 2, 0.5)
    points = [between(7, 8, 0.5), between(1, 2, 0.6), between(4, 5, 0.5)]
    times = town.drive_times(target, points)
    assert times.ranking().tolist() == [1, 2, 0]
    limited = town.drive_times(target, points, limit_s=times.eta_s[2] + 1e-6)
    assert limited.eta_s[1:].tolist() == times.eta_s[1:].tolist()
    assert limited.eta_s[0] == math.inf and limited.distance_m[0] == math.inf
    no_metres = town.drive_times(target, points, with_distance=False)
    np.testing.assert_array_equal(no_metres.eta_s, times.eta_s)
    assert np.isnan(no_metres.distance_m).all()


def test_no_origins(town: RoadMap) -> None:
    times = town.drive_times((37.0, -121.9995), [])
    assert len(times) == 0


def test_route_distance_is_sum_of_point_distances(town: RoadMap) -> None:
    route = town.route(between(1, 2, 0.5), between(8, 9, 0.5))
    lat = np.array([p[0] for p in route.points])
    lon = np.array([p[1] for p in route.points])
    along = float(haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:]).sum())
    assert route.distance_m == pytest.approx(along, rel=1e-6)
    assert route.points[0] == pytest.approx(between(1, 2, 0.5))
    assert route.points[-1] == pytest.approx(between(8, 9, 0.5))


def test_reads_pbf_too(town_path: Path, tmp_path: Path) -> None:
    pbf = tmp_path / "town.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(town_path)):
            writer.add(obj)
    from_pbf = RoadMap.load(pbf)
    from_xml = RoadMap.load(town_path)
    assert from_pbf.node_count == from_xml.node_count
    np.testing.assert_array_equal(from_pbf.network.arc_time_s, from_xml.network.arc_time_s)


# ---- names --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "address", "node"),
    [
        ("First Street & West Avenue", "First Street & West Avenue", 1),
        ("second st and middle ave", "Second Street & Middle Avenue", 5),
        ("West/Third", "West Avenue & Third Street", 7),
        ("EAST AVE. @ Second St.", "East Avenue & Second Street", 6),
    ],
)
def test_geocode_intersection(town: RoadMap, text: str, address: str, node: int) -> None:
    found = town.geocode(text)
    assert found is not None
    assert (found.address, found.kind, found.node_id) == (address, "intersection", node)
    assert (found.lat, found.lon) == NODES[node]


def test_geocode_street_gives_a_point_on_it(town: RoadMap) -> None:
    found = town.geocode("first st")
    assert found is not None
    assert (found.address, found.kind, found.node_id) == ("First Street", "street", 2)


@pytest.mark.parametrize("text", ["Elm Street", "First Street & Third Street", "Island Road"])
def test_geocode_unknown_or_not_meeting(town: RoadMap, text: str) -> None:
    assert town.geocode(text) is None


@pytest.mark.parametrize("text", ["", "   ", "x" * 201])
def test_geocode_bad_text(town: RoadMap, text: str) -> None:
    with pytest.raises(GeocodeError):
        town.geocode(text)


def test_reverse_geocode_street_and_corner(town: RoadMap) -> None:
    assert town.reverse_geocode(*between(1, 2, 0.5)) == "First Street"
    # 15 m from node 5 along Second Street: at the corner, snapped street first
    assert town.reverse_geocode(*between(5, 6, 0.17)) == "Second Street & Middle Avenue"
    assert town.reverse_geocode(*between(2, 5, 0.8)) == "Middle Avenue & Second Street"


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Main St.", "main street"),
        ("MAIN STREET", "main street"),
        ("St Joseph's Ave", "saint josephs avenue"),
        ("Saint Joseph's Avenue", "saint josephs avenue"),
        ("N Point Blvd", "north point boulevard"),
        ("Praça da Batalha", "praca da batalha"),
        ("Av. da Boavista", "avenue da boavista"),
        ("Avenida da Boavista", "avenue da boavista"),
    ],
)
def test_normalise(name: str, key: str) -> None:
    assert normalise(name) == key


def test_reverse_geocode_unnamed_road(tmp_path: Path) -> None:
    # a named street 1-2 and an unnamed loop 2-3-4-1; node 3 is 200+ m from the street
    nodes = {1: (37.0, -122.0), 2: (37.0, -121.999), 3: (37.003, -121.999), 4: (37.003, -122.0)}
    ways = [
        (1, [1, 2], {"highway": "residential", "name": "Shore Road"}),
        (2, [2, 3, 4, 1], {"highway": "residential"}),
    ]
    path = tmp_path / "unnamed.osm"
    path.write_text(osm_xml(nodes, ways), encoding="utf-8")
    roads = RoadMap.load(path)
    # 100 m up the unnamed side: the named street is the nearest name
    assert roads.reverse_geocode(37.0009, -121.999) == "Shore Road"
    assert roads.reverse_geocode(37.003, -121.9995) == "unnamed road"
