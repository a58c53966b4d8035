"""Travel models on a small synthetic city: the fit recovers known parameters (turn
delays included), the calibrated drive-time index equals a plain Dijkstra with the same
weights and turn delays, and bad model files are refused with the field and the reason."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

from tenfour.geo import RoadMap
from tenfour.geo.index import compiled_available
from tenfour.geo.turns import TURNS, transitions
from tenfour.travel.fit import Router, fit_model
from tenfour.travel.model import (
    GROUPS,
    VERSION,
    TravelModel,
    TravelModelError,
    arc_times,
    calibrated_map,
    load_model,
    model_from_json,
    read_controls,
)
from tenfour.travel.trips import Trip

SIZE = 10


def city_osm(seed: int) -> str:
    """A grid: every third row and column a primary road, the rest residential, with
    traffic signals where two primaries cross and random one-way streets."""
    rng = np.random.default_rng(seed)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for r in range(SIZE):
        for c in range(SIZE):
            node = r * SIZE + c + 1
            lat, lon = 40.0 + r * 0.002, -8.0 + c * 0.0025
            if r % 3 == 0 and c % 3 == 0:
                lines.append(f'  <node id="{node}" lat="{lat}" lon="{lon}" version="1">')
                lines.append('    <tag k="highway" v="traffic_signals"/>')
                lines.append("  </node>")
            else:
                lines.append(f'  <node id="{node}" lat="{lat}" lon="{lon}" version="1"/>')
    way = 1000
    for r in range(SIZE):
        for c in range(SIZE):
            here = r * SIZE + c + 1
            for there, main in ((here + 1, r % 3 == 0), (here + SIZE, c % 3 == 0)):
                if (there == here + 1 and c + 1 >= SIZE) or (
                    there == here + SIZE and r + 1 >= SIZE
                ):
                    continue
                way += 1
                klass = "primary" if main else "residential"
                lines.append(f'  <way id="{way}" version="1">')
                lines.append(f'    <nd ref="{here}"/>')
                lines.append(f'    <nd ref="{there}"/>')
                lines.append(f'    <tag k="highway" v="{klass}"/>')
                lines.append(f'    <tag k="maxspeed" v="{int(rng.integers(20, 60))}"/>')
                if not main and rng.random() < 0.3:
                    lines.append('    <tag k="oneway" v="yes"/>')
                lines.append("  </way>")
    lines.append("</osm>")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> RoadMap:
    path = tmp_path_factory.mktemp("maps") / "city.osm"
    path.write_text(city_osm(seed=3), encoding="utf-8")
    return RoadMap.load(path)


TRUE = TravelModel(
    class_factors={g: (1.6 if g == "primary" else 2.2) for g in GROUPS},
    control_delay_s={"traffic_signals": 9.0, "stop": 0.0},
    fixed_s=35.0,
    turn_delay_s={"left": 12.0, "right": 4.0, "u": 12.0},
)


def plain_times(roads: RoadMap, times: np.ndarray, sources: np.ndarray) -> np.ndarray:
    """scipy's Dijkstra on the arc times: node to node, (sources, nodes)."""
    net = roads.network
    graph = csr_array((times, (net.arc_from, net.arc_to)), shape=(net.node_count,) * 2)
    out: np.ndarray = dijkstra(graph, directed=True, indices=sources)
    return out


def turn_times(roads: RoadMap, times: np.ndarray, delay: dict[str, float]) -> np.ndarray:
    """Node to node with turn delays, (nodes, nodes): scipy's Dijkstra on the textbook
    edge-based graph (a node per arc, an edge per move: turn delay + next arc's time)."""
    net = roads.network
    moves = transitions(net)
    by_kind = np.array([0.0] + [delay.get(k, 0.0) for k in TURNS])
    weight = by_kind[moves.kind] + times[moves.arc_out]
    m, n = net.arc_count, net.node_count
    dual = csr_array((weight, (moves.arc_in, moves.arc_out)), shape=(m, m))
    arcs = dijkstra(dual, directed=True)  # end of arc x -> end of arc y
    # leave node s by arc y (its time), arrive at node e by arc x
    leave = np.full((n, m), np.inf)
    leave[net.arc_from, np.arange(m)] = times
    from_node = np.min(leave[:, :, None] + arcs[None, :, :], axis=1)  # (n, m)
    out = np.full((n, n), np.inf)
    for e in range(n):
        out[:, e] = from_node[:, net.arc_to == e].min(axis=1)
    np.fill_diagonal(out, 0.0)
    return out


def synthetic_trips(roads: RoadMap, count: int, seed: int, noise: float) -> list[Trip]:
    """Trips between random nodes, timed by ``TRUE`` (with lognormal ``noise``)."""
    rng = np.random.default_rng(seed)
    net = roads.network
    controls = read_controls(net)
    times = arc_times(net, TRUE, controls)
    starts = rng.integers(0, net.node_count, count)
    ends = rng.integers(0, net.node_count, count)
    table = turn_times(roads, times, dict(TRUE.turn_delay_s))
    trips = []
    for i, (s, e) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
        travel = (table[s, e] + TRUE.fixed_s) * float(np.exp(rng.normal(0, noise)))
        trips.append(
            Trip(
                call=str(i), unit="E1", kind="engine", station=1,
                start=(float(net.lat[s]), float(net.lon[s])),
                end=(float(net.lat[e]), float(net.lon[e])),
                travel_s=travel, day="2017-01-01", hour=10, station_area=1,
                priority=1, first=True,
            )
        )  # fmt: skip
    return trips


def test_the_map_has_its_signals(city: RoadMap) -> None:
    controls = read_controls(city.network)
    assert controls.counts() == {"traffic_signals": 16, "stop": 0}


@pytest.mark.parametrize("noise", [0.0, 0.05])
def test_fit_recovers_known_parameters(city: RoadMap, noise: float) -> None:
    controls = read_controls(city.network)
    trips = synthetic_trips(city, 400, seed=11, noise=noise)
    fitted = fit_model(city, controls, trips, use_bands=False)
    model = fitted.model
    tolerance = 0.01 if noise == 0 else 0.06
    assert model.class_factors["primary"] == pytest.approx(1.6, rel=tolerance)
    assert model.class_factors["local"] == pytest.approx(2.2, rel=tolerance)
    assert model.control_delay_s["traffic_signals"] == pytest.approx(9.0, abs=30 * tolerance)
    assert model.fixed_s == pytest.approx(35.0, abs=200 * tolerance)
    assert model.turn_delay_s["left"] == pytest.approx(12.0, abs=30 * tolerance)
    assert model.turn_delay_s["right"] == pytest.approx(4.0, abs=30 * tolerance)
    # a U-turn costs at least a left turn (the truth's 0 extra: U-turns are never taken)
    assert model.turn_delay_s["u"] == pytest.approx(12.0, abs=30 * tolerance)
    report = model.report
    assert {"turn_delay_s.left", "turn_delay_s.right"} <= set(report["parameters"])
    left = report["parameters"]["turn_delay_s.left"]
    assert left["ci95"][0] <= 12.0 <= left["ci95"][1] or noise == 0
    if noise:
        assert 0 < left["se"] < 3.0
    # groups the map lacks share the factor of the next fitted group down the list
    assert report["tied_groups"] == {
        "motorway": "primary", "trunk": "primary", "secondary": "local", "tertiary": "local"
    }  # fmt: skip
    assert report["not_fitted_controls"] == ["stop"]  # no stop sign on the map
    entry = report["parameters"]["class_factor.primary"]
    assert entry["ci95"][0] <= 1.6 <= entry["ci95"][1] or noise == 0
    if noise:
        assert 0 < entry["se"] < 0.1


def test_turns_that_cost_nothing_keep_the_node_based_index(city: RoadMap) -> None:
    """Trips timed without turn delays: the fit puts them at exactly 0 (the solver
    leaves ~1e-20 at a bound), so the product keeps the node-based index."""
    from tenfour.geo.turns import TurnIndex
    from tenfour.travel.oracle import TravelModelOracle

    controls = read_controls(city.network)
    rng = np.random.default_rng(5)
    net = city.network
    times = arc_times(net, TRUE, controls)
    table = plain_times(city, times, np.arange(net.node_count))
    trips = []
    for i in range(300):
        s, e = (int(v) for v in rng.integers(0, net.node_count, 2))
        trips.append(
            Trip(
                call=str(i), unit="E1", kind="engine", station=1,
                start=(float(net.lat[s]), float(net.lon[s])),
                end=(float(net.lat[e]), float(net.lon[e])),
                travel_s=float(table[s, e]) + 35.0, day="2017-01-01", hour=10,
                station_area=1, priority=1, first=True,
            )
        )  # fmt: skip
    model = fit_model(city, controls, trips, use_bands=False).model
    assert model.turn_delay_s == {"left": 0.0, "right": 0.0, "u": 0.0}
    assert not model.has_turn_delays
    assert not isinstance(TravelModelOracle(city, model).index, TurnIndex)


def test_fit_needs_trips(city: RoadMap) -> None:
    from tenfour.travel.fit import FitError

    with pytest.raises(FitError, match="at least 10"):
        fit_model(city, read_controls(city.network), synthetic_trips(city, 5, 1, 0.0))


@pytest.mark.parametrize("turns", [False, True])
def test_router_features_follow_the_weights(city: RoadMap, turns: bool) -> None:
    """A route's features, priced by the model, equal scipy's fastest time (with the
    turn delays on the edge-based graph, or without on the node graph)."""
    controls = read_controls(city.network)
    router = Router(city, controls)
    net = city.network
    times = arc_times(net, TRUE, controls)
    rng = np.random.default_rng(2)
    starts = rng.integers(0, net.node_count, 30)
    ends = rng.integers(0, net.node_count, 30)
    delay = dict(TRUE.turn_delay_s) if turns else {}
    group_s, counts, made = router.features(starts, ends, times, delay)
    factors = np.array([TRUE.class_factors[g] for g in GROUPS])
    by_kind = np.array([delay.get(k, 0.0) for k in TURNS])
    priced = group_s @ factors + counts[:, 0] * 9.0 + made @ by_kind
    if turns:
        expected = turn_times(city, times, delay)[starts, ends]
        assert made[:, TURNS.index("left")].sum() > 0
    else:
        expected = plain_times(city, times, starts)[np.arange(30), ends]
    assert np.allclose(priced, expected)


ENGINES = ["dijkstra", "cch"] if compiled_available() else ["dijkstra"]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_calibrated_index_equals_plain_dijkstra(city: RoadMap, engine: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    model = TravelModel(
        class_factors={g: float(rng.uniform(0.6, 3.0)) for g in GROUPS},
        control_delay_s={"traffic_signals": float(rng.uniform(0, 30)), "stop": 4.0},
        fixed_s=0.0,
    )
    controls = read_controls(city.network)
    net = city.network
    times = arc_times(net, model, controls)
    units = rng.choice(net.node_count, 25, replace=False)
    targets = rng.choice(net.node_count, 15, replace=False)
    table = plain_times(city, times, units)
    for index in (
        city.index(times, engine=engine),
        calibrated_map(city, model).index(engine=engine),
    ):
        points = [(float(net.lat[u]), float(net.lon[u])) for u in units]
        index.place_many(list(range(units.size)), points)
        for t in targets.tolist():
            eta = index.drive_times((float(net.lat[t]), float(net.lon[t])), list(range(units.size)))
            assert np.allclose(eta.eta_s, table[:, t], rtol=1e-9, atol=1e-6)
            ranking = index.ranking((float(net.lat[t]), float(net.lon[t])))
            assert np.all(np.diff(ranking.eta_s) >= 0)
            assert np.allclose(np.sort(table[:, t]), ranking.eta_s, atol=1e-6)


@pytest.mark.parametrize("engine", ENGINES)
def test_oracle_with_turn_delays_equals_edge_based_dijkstra(city: RoadMap, engine: str) -> None:
    """The product's oracle ranks on the turn-expanded graph, plus the trip overhead."""
    from tenfour.geo.turns import TurnIndex
    from tenfour.travel.oracle import TravelModelOracle

    controls = read_controls(city.network)
    oracle = TravelModelOracle(calibrated_map(city, TRUE, controls), TRUE, engine=engine)
    assert isinstance(oracle.index, TurnIndex)
    net = city.network
    table = turn_times(city, arc_times(net, TRUE, controls), dict(TRUE.turn_delay_s))
    rng = np.random.default_rng(4)
    units = rng.choice(net.node_count, 20, replace=False)
    points = [(float(net.lat[u]), float(net.lon[u])) for u in units]
    for t in rng.choice(net.node_count, 8, replace=False).tolist():
        etas, _ = oracle.rank((float(net.lat[t]), float(net.lon[t])), points)
        assert np.allclose(etas, table[units, t] + TRUE.fixed_s, rtol=1e-9, atol=1e-6)
    plain = TravelModel(TRUE.class_factors, TRUE.control_delay_s, TRUE.fixed_s)
    assert not isinstance(TravelModelOracle(city, plain).index, TurnIndex)


# ---- model files ------------------------------------------------------------------------


def test_model_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    model = TravelModel(
        class_factors=dict(TRUE.class_factors),
        control_delay_s=dict(TRUE.control_delay_s),
        fixed_s=35.0,
        startup_s={"engine": 62.0},
        meta={"source": "test"},
        turn_delay_s={"left": 11.5, "right": 3.0, "u": 40.0},
    )
    model.save(path)
    again = load_model(path)
    assert again.to_json() == model.to_json()
    assert again.turn_delay_s == {"left": 11.5, "right": 3.0, "u": 40.0}
    assert json.loads(path.read_text())["version"] == VERSION == 2


def test_version_1_files_read_with_no_turn_delays(tmp_path: Path) -> None:
    data = TRUE.to_json()
    del data["turn_delay_s"]
    data["version"] = 1
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    model = load_model(path)
    assert model.turn_delay_s == {"left": 0.0, "right": 0.0, "u": 0.0}
    assert not model.has_turn_delays
    assert model.class_factors == TRUE.class_factors


def good() -> dict[str, object]:
    return TravelModel.identity().to_json()


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"format": "something"}, "format", "expected 'tenfour-travel-model'"),
        ({"version": 7}, "version", "not supported"),
        ({"class_factors": {**{g: 1.0 for g in GROUPS}, "primary": -1}}, "class_factors.primary", "outside"),
        ({"class_factors": {**{g: 1.0 for g in GROUPS}, "primary": "fast"}}, "class_factors.primary", "expected a number"),
        ({"class_factors": {**{g: 1.0 for g in GROUPS}, "highway": 1.0}}, "class_factors", "unknown group 'highway'"),
        ({"class_factors": {"primary": 1.0}}, "class_factors", "no factor for group"),
        ({"control_delay_s": {"roundabout": 3.0}}, "control_delay_s", "unknown control"),
        ({"turn_delay_s": {"sideways": 3.0}}, "turn_delay_s", "unknown turn 'sideways'"),
        ({"turn_delay_s": {"left": -2.0}}, "turn_delay_s.left", "outside"),
        ({"turn_delay_s": None}, "turn_delay_s", "expected an object"),
        ({"version": True}, "version", "not supported"),
        ({"fixed_s": float("inf")}, "fixed_s", "outside"),
        ({"hour_bands": [{"start": 3, "end": 2, "factor": 1.0}]}, "hour_bands[0]", "0 <= start < end"),
        (
            {"hour_bands": [{"start": 0, "end": 8, "factor": 1.0}, {"start": 7, "end": 9, "factor": 1.0}]},
            "hour_bands",
            "overlap",
        ),
        ({"startup_s": []}, "startup_s", "expected an object"),
    ],
)  # fmt: skip
def test_bad_model_files_say_which_field(
    tmp_path: Path, change: dict[str, object], field: str, reason: str
) -> None:
    data = {**good(), **change}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(TravelModelError) as caught:
        load_model(path)
    assert caught.value.field == field
    assert reason in str(caught.value)
    assert str(path) in str(caught.value)


def test_unreadable_model_files(tmp_path: Path) -> None:
    with pytest.raises(TravelModelError, match="cannot read"):
        load_model(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{ not json", encoding="utf-8")
    with pytest.raises(TravelModelError, match="not JSON"):
        load_model(broken)
    with pytest.raises(TravelModelError, match="expected a JSON object"):
        model_from_json([1, 2])
