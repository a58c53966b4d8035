"""``bootstrap.MapOracle`` keeps every unit's search across rankings of different kinds
(issue 15): alternating kinds, moved units, closures and the memory bound all answer
exactly as a fresh oracle does, and kept positions are not searched again."""

from __future__ import annotations

import random
from collections.abc import Hashable, Sequence

import pytest

from tenfour.bootstrap import MapOracle
from tenfour.domain.state import Closure
from tenfour.geo import OutsideMapError, RoadMap, load_map
from tenfour.geo.index import compiled_available

ENGINES = ["dijkstra", "cch"] if compiled_available() else ["dijkstra"]
Point = tuple[float, float]


@pytest.fixture(scope="module")
def roads() -> RoadMap:
    return load_map("demo")


def on_map(roads: RoadMap, count: int, seed: int) -> list[Point]:
    rng = random.Random(seed)
    b = roads.bounds
    out: list[Point] = []
    while len(out) < count:
        point = (rng.uniform(b.south, b.north), rng.uniform(b.west, b.east))
        try:
            roads.snap(*point)
        except OutsideMapError:
            continue
        out.append(point)
    return out


class Placements:
    """The real index of an oracle, counting the positions it is asked to search."""

    def __init__(self, oracle: MapOracle) -> None:
        self.searched = 0
        index = oracle.index
        place_many = index.place_many

        def counting(keys: Sequence[Hashable], positions: object) -> None:
            self.searched += len(keys)
            place_many(keys, positions)  # type: ignore[arg-type]

        index.place_many = counting  # type: ignore[method-assign]


def fresh(
    roads: RoadMap, engine: str, to: Point, origins: Sequence[Point]
) -> tuple[list[float], list[float]]:
    etas, metres = MapOracle(roads, engine=engine).rank(to, origins)
    return list(etas), list(metres)


@pytest.mark.parametrize("engine", ENGINES)
def test_alternating_kinds_keep_every_search_and_answer_as_a_fresh_oracle(
    roads: RoadMap, engine: str
) -> None:
    points = on_map(roads, 80, seed=15)
    police, ambulances, supervisors = points[:60], points[60:62], points[62:65]
    targets = points[65:]
    oracle = MapOracle(roads, engine=engine)
    placements = Placements(oracle)
    for n, to in enumerate(targets):
        for origins in (police, ambulances, supervisors):
            etas, metres = oracle.rank(to, origins)
            assert (list(etas), list(metres)) == fresh(roads, engine, to, origins)
        if n == 0:
            searched = placements.searched
    # every spot searched once, in the first round; the rest were answered from them
    # (random points snapped to one spot, a road's end, share its search)
    snapped = roads.snap_many(points[:65])
    spots = set(zip(snapped.segment.tolist(), snapped.fraction[:, 0].tolist(), strict=True))
    assert searched == placements.searched == len(oracle.index) == len(spots)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_moved_unit_is_searched_again_at_its_new_position(roads: RoadMap, engine: str) -> None:
    points = on_map(roads, 12, seed=16)
    to, here, there, others = points[0], points[1], points[2], points[3:]
    oracle = MapOracle(roads, engine=engine)
    before, _ = oracle.rank(to, [here, *others])
    after, metres = oracle.rank(to, [there, *others])
    assert (list(after), list(metres)) == fresh(roads, engine, to, [there, *others])
    assert after[0] != before[0]  # the points differ: so do their times
    assert list(after[1:]) == list(before[1:])


@pytest.mark.parametrize("engine", ENGINES)
def test_a_closure_changes_the_kept_searches(roads: RoadMap, engine: str) -> None:
    points = on_map(roads, 30, seed=17)
    to, origins = points[0], points[1:]
    oracle = MapOracle(roads, engine=engine)
    open_etas, _ = oracle.rank(to, origins)
    # slow every road within 600 m of the first unit: its kept search must change
    near = roads.segments_within(origins[0][0], origins[0][1], 600.0).tolist()
    closures = [Closure("c1", near, 10.0, "2026-03-01T00:00:00+00:00", "admin")]
    oracle.set_closures(closures)
    closed_etas, closed_metres = oracle.rank(to, origins)
    again = MapOracle(roads, engine=engine)
    again.set_closures(closures)
    assert [list(closed_etas), list(closed_metres)] == [list(x) for x in again.rank(to, origins)]
    assert closed_etas[0] > open_etas[0]
    oracle.set_closures([])
    assert list(oracle.rank(to, origins)[0]) == list(open_etas)


def test_memory_is_bounded_by_the_least_recently_asked(roads: RoadMap) -> None:
    points = on_map(roads, 60, seed=18)
    to, fleet, wanderers = points[0], points[1:6], points[6:]
    oracle = MapOracle(roads, max_positions=12)
    for i, stray in enumerate(wanderers):
        oracle.rank(to, fleet)  # asked every round: always kept
        etas, metres = oracle.rank(to, [stray, *fleet[:2]])
        assert (list(etas), list(metres)) == fresh(
            roads, oracle.index.engine, to, [stray, *fleet[:2]]
        )
        assert len(oracle.index) <= 12
        assert all(p in oracle._spot for p in fleet), i
    assert wanderers[0] not in oracle._spot  # long unasked: gone
    # a ranking bigger than the bound is answered whole, and kept whole
    etas, _ = oracle.rank(to, wanderers)
    assert list(etas) == fresh(roads, oracle.index.engine, to, wanderers)[0]
    assert all(p in oracle._spot for p in wanderers)


def test_off_map_units_and_targets_are_unreachable_and_bounded(roads: RoadMap) -> None:
    points = on_map(roads, 3, seed=19)
    oracle = MapOracle(roads, max_positions=4)
    far = [(40.0 + i / 100, -74.0) for i in range(10)]  # New York
    etas, metres = oracle.rank(points[0], [points[1], *far, points[2]])
    assert etas[1:-1] == [float("inf")] * 10 and metres[1:-1] == [float("inf")] * 10
    assert etas[0] < float("inf") and etas[-1] < float("inf")
    assert all(e == float("inf") for e in oracle.rank((40.0, -74.0), points)[0])
    oracle.rank(points[0], points[1:])
    assert len(oracle._spot) <= 12


def test_max_positions_must_be_positive(roads: RoadMap) -> None:
    with pytest.raises(ValueError, match="max_positions"):
        MapOracle(roads, max_positions=0)
