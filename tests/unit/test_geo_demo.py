"""`tenfour.geo` on the shipped demo map (real OpenStreetMap data, northern San Francisco).

Includes the drive-time facts the founding scenario (priority-one.yaml) depends on,
and a property test of drive times against networkx on the same graph.
"""

from __future__ import annotations

import functools
import itertools
import time
from typing import Any

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tenfour.geo import OutsideMapError, RoadMap, demo_map_path, haversine_m, load_map

PURSUIT = (37.7925893, -122.3958821)
UNITS = {
    "ZPD-3": (37.7880097, -122.3998107),
    "ZPD-4": (37.7932709, -122.3987816),
    "ZPD-5": (37.7956067, -122.4027438),
    "ZPD-6": (37.7900903, -122.3940671),
    "ZPD-8": (37.7962215, -122.39697),
    "ZPD-9": (37.8003364, -122.4100604),
    "ZPD-11": (37.7849729, -122.4195701),
    "M-51": (37.7871562, -122.4098893),
    "M-53": (37.8004009, -122.4245559),
}


@pytest.fixture(scope="module")
def demo() -> RoadMap:
    return load_map("demo")


def etas(demo: RoadMap, names: list[str]) -> dict[str, float]:
    times = demo.drive_times(PURSUIT, [UNITS[n] for n in names])
    return dict(zip(names, times.eta_s.tolist(), strict=True))


def fastest(demo: RoadMap, names: list[str], count: int) -> set[str]:
    eta = etas(demo, names)
    return set(sorted(names, key=eta.__getitem__)[:count])


def test_demo_map_loads_quickly() -> None:
    started = time.perf_counter()
    roads = RoadMap.load(demo_map_path())
    elapsed = time.perf_counter() - started
    assert roads.node_count > 10_000 and roads.arc_count > 18_000
    assert elapsed < 2.0  # about 0.15 s on a laptop; generous for slow CI machines


def test_demo_is_cached(demo: RoadMap) -> None:
    assert load_map("demo") is demo


def test_bounds(demo: RoadMap) -> None:
    b = demo.bounds
    assert 37.77 < b.south < b.north < 37.82
    assert -122.52 < b.west < b.east < -122.38


def test_backup_for_the_pursuit_is_zpd6_and_zpd3(demo: RoadMap) -> None:
    available = ["ZPD-3", "ZPD-5", "ZPD-6", "ZPD-8", "ZPD-9", "ZPD-11"]
    assert fastest(demo, available, 2) == {"ZPD-6", "ZPD-3"}


def test_one_way_streets_make_zpd8_slower_than_zpd3(demo: RoadMap) -> None:
    eta = etas(demo, ["ZPD-3", "ZPD-8"])
    assert eta["ZPD-8"] > eta["ZPD-3"]
    # ... although ZPD-8 is nearer as the crow flies
    assert haversine_m(*PURSUIT, *UNITS["ZPD-8"]) < haversine_m(*PURSUIT, *UNITS["ZPD-3"])


def test_officer_down_police_are_zpd4_and_zpd8(demo: RoadMap) -> None:
    assert fastest(demo, ["ZPD-4", "ZPD-5", "ZPD-8", "ZPD-9", "ZPD-11"], 2) == {"ZPD-4", "ZPD-8"}


def test_ambulance_m51_beats_m53(demo: RoadMap) -> None:
    eta = etas(demo, ["M-51", "M-53"])
    assert eta["M-51"] < eta["M-53"]


def test_geocode_main_and_mission(demo: RoadMap) -> None:
    for text in ("Main Street & Mission Street", "main st and mission st", "Main/Mission"):
        found = demo.geocode(text)
        assert found is not None, text
        assert found.address == "Main Street & Mission Street"
        assert found.kind == "intersection"
        assert found.lat == pytest.approx(37.7918, abs=2e-3)
        assert found.lon == pytest.approx(-122.3950, abs=2e-3)
    street = demo.geocode("Main Street")
    assert street is not None and street.kind == "street"
    assert demo.reverse_geocode(street.lat, street.lon).startswith("Main Street")


def test_reverse_geocode_pursuit_location(demo: RoadMap) -> None:
    assert demo.reverse_geocode(*PURSUIT).startswith("Main Street")


def test_far_away_point_is_refused(demo: RoadMap) -> None:
    with pytest.raises(OutsideMapError, match=r"lat=37\.6"):
        demo.drive_times(PURSUIT, [(37.6, -122.3958821)])


def test_route_for_the_console(demo: RoadMap) -> None:
    route = demo.route(UNITS["ZPD-8"], PURSUIT)
    times = demo.drive_times(PURSUIT, [UNITS["ZPD-8"]])
    assert route.eta_s == pytest.approx(times.eta_s[0])
    assert route.distance_m == pytest.approx(times.distance_m[0])
    assert route.points[0] == pytest.approx(UNITS["ZPD-8"], abs=1e-6)
    assert route.points[-1] == pytest.approx(PURSUIT, abs=1e-6)
    assert route.streets[-1] == "Main Street"


# ---- property: one reversed search equals networkx ----------------------------------


@functools.cache
def reversed_graph() -> Any:
    net = load_map("demo").network
    graph = nx.DiGraph()
    for a, b, t, m in zip(
        net.arc_from.tolist(),
        net.arc_to.tolist(),
        net.arc_time_s.tolist(),
        net.arc_length_m.tolist(),
        strict=True,
    ):
        graph.add_edge(b, a, time=t, length=m)
    return graph


def networkx_times(
    roads: RoadMap, target: tuple[float, float], origins: list[tuple[float, float]]
) -> list[tuple[float, float]]:
    """(seconds, metres) per origin from networkx on the reversed graph plus a target node."""
    net = roads.network
    goal = roads.snap(*target)
    graph = reversed_graph().copy()
    for end in goal.arcs:
        if end.fraction == 1.0:  # at a node: every arc into it leads there
            graph.add_edge("T", int(net.arc_to[end.arc]), time=0.0, length=0.0)
            continue
        graph.add_edge(
            "T",
            int(net.arc_from[end.arc]),
            time=end.fraction * net.arc_time_s[end.arc],
            length=end.fraction * net.arc_length_m[end.arc],
        )
    to_target, paths = nx.single_source_dijkstra(graph, "T", weight="time")

    def metres(path: list[Any]) -> float:
        return float(sum(graph[a][b]["length"] for a, b in itertools.pairwise(path)))

    answers = []
    for origin in origins:
        best = (np.inf, np.inf)
        for begin in roads.snap(*origin).arcs:
            head = int(net.arc_to[begin.arc])
            rest = 1 - begin.fraction
            if begin.fraction == 0.0:  # at a node: may leave by any arc
                head, rest = int(net.arc_from[begin.arc]), 0.0
            best = min(
                best,
                (
                    rest * net.arc_time_s[begin.arc] + to_target[head],
                    rest * net.arc_length_m[begin.arc] + metres(paths[head]),
                ),
            )
            for end in goal.arcs:
                if end.arc == begin.arc and begin.fraction <= end.fraction:
                    ahead = end.fraction - begin.fraction
                    best = min(
                        best, (ahead * net.arc_time_s[end.arc], ahead * net.arc_length_m[end.arc])
                    )
        answers.append((float(best[0]), float(best[1])))
    return answers


latitudes = st.floats(37.781, 37.810)
longitudes = st.floats(-122.484, -122.395)
points = st.tuples(latitudes, longitudes)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(target=points, origins=st.lists(points, min_size=1, max_size=8))
def test_drive_times_match_networkx(
    target: tuple[float, float], origins: list[tuple[float, float]]
) -> None:
    roads = load_map("demo")
    try:
        times = roads.drive_times(target, origins)
    except OutsideMapError:
        assume(False)
        return
    expected = networkx_times(roads, target, origins)
    for i, (eta, metres) in enumerate(expected):
        assert times.eta_s[i] == pytest.approx(eta, rel=1e-9, abs=1e-9)
        assert times.distance_m[i] == pytest.approx(metres, rel=1e-9, abs=1e-9)
