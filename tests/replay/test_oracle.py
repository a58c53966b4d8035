"""The service's ``MapOracle`` (which the replay uses) keeps units placed between
rankings; asked again, it must answer exactly as a fresh search does, on and off the map."""

from __future__ import annotations

import math
import random

from tenfour.bootstrap import MapOracle
from tenfour.geo import OutsideMapError, load_map


def test_repeated_rankings_match_a_fresh_search_on_and_off_the_map() -> None:
    roads = load_map("demo")
    b = roads.bounds
    rng = random.Random(6)
    points = [(rng.uniform(b.south, b.north), rng.uniform(b.west, b.east)) for _ in range(60)]
    points += [(37.70, -122.45), (40.0, -74.0)]  # south of the map, and New York
    oracle = MapOracle(roads)
    on_map = []
    for i, p in enumerate(points):
        try:
            roads.snap(*p)
            on_map.append(i)
        except OutsideMapError:
            pass
    for target in [points[0], points[7], (40.0, -74.0)]:
        for _ in range(2):  # the second round is answered from placed units
            etas, dists = oracle.rank(target, points)
            off = [i for i in range(len(points)) if i not in on_map]
            assert all(math.isinf(etas[i]) for i in off)
            if target == (40.0, -74.0):
                assert all(math.isinf(e) for e in etas)
                continue
            fresh = roads.drive_times(target, [points[i] for i in on_map])
            for k, i in enumerate(on_map):
                assert math.isclose(etas[i], float(fresh.eta_s[k]), rel_tol=1e-9, abs_tol=1e-9) or (
                    math.isinf(etas[i]) and math.isinf(fresh.eta_s[k])
                )
                assert math.isclose(
                    dists[i], float(fresh.distance_m[k]), rel_tol=1e-9, abs_tol=1e-6
                ) or (math.isinf(dists[i]) and math.isinf(fresh.distance_m[k]))
