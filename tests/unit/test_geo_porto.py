"""The city-scale map: Porto (about 270,000 nodes) imported, loaded and ranked exactly.

The import here uses the geometric contraction order (a second instead of the seven
that inertial flow takes); times are exact whatever the order, only speed differs
(``bench/bench_city.py`` measures that with the default order).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from tenfour.geo import DriveTimeIndex, RoadMap, import_map, load_map
from tenfour.geo.closures import closed_arc_times
from tenfour.geo.ordering import geometric_order

PORTO = Path(__file__).resolve().parents[3] / "shared" / "data" / "porto" / "porto_portugal.osm.pbf"
PORTO_SHA256 = "b7837d7fc28e34e05bb1add10ccd9ef8e590049c01f9915bb4bcd3066311cd7f"

pytestmark = pytest.mark.skipif(not PORTO.is_file(), reason=f"no Porto extract at {PORTO}")


@pytest.fixture(scope="module")
def porto_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("maps") / "porto.tenfour-map"
    import_map(PORTO, name="porto", out=out, order=geometric_order)
    return out


@pytest.fixture(scope="module")
def porto(porto_file: Path) -> RoadMap:
    return load_map(porto_file)


def on_roads(roads: RoadMap, count: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    net = roads.network
    arcs = rng.integers(0, net.arc_count, count)
    t = rng.uniform(0, 1, count)
    lat = net.lat[net.arc_from[arcs]] * (1 - t) + net.lat[net.arc_to[arcs]] * t
    lon = net.lon[net.arc_from[arcs]] * (1 - t) + net.lon[net.arc_to[arcs]] * t
    return np.column_stack([lat, lon])


def same_ranking(a: np.ndarray, b: np.ndarray) -> bool:
    """Same order, except among times equal to within a nanosecond (ties)."""
    order = np.argsort(a, kind="stable")
    return bool(np.all(np.diff(b[order]) >= -1e-9))


def test_porto_imports_with_its_provenance(porto: RoadMap, porto_file: Path) -> None:
    assert 260_000 < porto.node_count < 280_000
    assert 500_000 < porto.arc_count < 530_000
    assert porto.meta["source_sha256"] == PORTO_SHA256
    assert porto.meta["source"] == PORTO.name
    started = time.perf_counter()
    again = RoadMap.load(porto_file)
    assert time.perf_counter() - started < 3.0  # about half a second on a quiet machine
    assert again.fingerprint == porto.fingerprint


def test_random_pairs_rank_exactly_like_dijkstra(porto: RoadMap) -> None:
    units = porto.snap_many(on_roads(porto, 2000, seed=1))
    index = porto.index(engine="cch")
    index.place_many(list(range(2000)), units)
    for target in on_roads(porto, 8, seed=2):
        ours = index.drive_times(tuple(target))
        plain = porto.drive_times(tuple(target), units)
        assert np.allclose(ours.eta_s, plain.eta_s, rtol=0, atol=1e-9)
        assert same_ranking(ours.eta_s, plain.eta_s)
        finite = np.isfinite(plain.distance_m)
        assert np.allclose(ours.distance_m[finite], plain.distance_m[finite], rtol=1e-9, atol=1e-6)


def test_moves_and_closures_stay_exact(porto: RoadMap) -> None:
    points = on_roads(porto, 1500, seed=3)
    index: DriveTimeIndex = porto.index(engine="cch")
    keys = list(range(1000))
    index.place_many(keys, points[:1000])
    index.place_many(keys[:500], points[1000:1500])  # half of them move
    rng = np.random.default_rng(4)
    segments = rng.choice(porto.segment_count, size=400, replace=False).tolist()
    times = closed_arc_times(porto, [(segments[:300], None), (segments[300:], 2.5)])
    index.set_arc_times(times)
    reference = porto.index(times, engine="dijkstra")
    reference.place_many(keys, np.concatenate([points[1000:1500], points[500:1000]]))
    for target in on_roads(porto, 4, seed=5):
        ours = index.drive_times(tuple(target), keys)
        theirs = reference.drive_times(tuple(target), keys)
        assert np.allclose(ours.eta_s, theirs.eta_s, rtol=0, atol=1e-9)
        assert same_ranking(ours.eta_s, theirs.eta_s)


def test_a_service_on_porto_recommends_by_drive_time(porto: RoadMap, porto_file: Path) -> None:
    from datetime import UTC, datetime

    from tenfour.bootstrap import build_service
    from tenfour.clock import SimClock
    from tenfour.domain.values import Actor
    from tenfour.journal import SqliteEventStore

    admin = Actor("admin", "setup")
    service = build_service(
        store=SqliteEventStore(":memory:"),
        clock=SimClock(datetime(2026, 3, 1, tzinfo=UTC)),
        map_name=str(porto_file),
    )
    assert service.oracle.index.engine == "cch"  # type: ignore[attr-defined]
    service.submit("agency.register", {"id": "PSP", "kind": "police", "name": "PSP"}, admin)
    points = on_roads(porto, 21, seed=7)
    for i, (lat, lon) in enumerate(points[:20]):
        unit = f"P-{i}"
        service.submit("unit.register", {"id": unit, "agency": "PSP", "kind": "patrol"}, admin)
        service.submit("shift.start", {"unit": unit, "location": {"lat": lat, "lon": lon}}, admin)
    scene = {"lat": float(points[20][0]), "lon": float(points[20][1])}
    service.submit("incident.create", {"type": "THEFT", "priority": 3, "location": scene}, admin)
    made = [e for e in service.store.read(after=0) if e.type == "recommendation.made"][-1]
    first = made.data["candidates"][0]
    plain = porto.drive_times((scene["lat"], scene["lon"]), [tuple(p) for p in points[:20]])
    best = int(np.argmin(plain.eta_s))
    assert first["unit"] == f"P-{best}"
    assert first["eta_s"] == round(float(plain.eta_s[best]), 1)
