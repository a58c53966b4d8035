"""``bench_city`` runs on any map (issue 15): its fresh-process check ranks points of
the loaded map, where it once used a fixed point of Porto and failed everywhere else."""

from __future__ import annotations

import numpy as np
from bench.bench_city import fresh_process_load, on_roads

from tenfour.geo import demo_map_path, load_map


def test_the_fresh_process_check_ranks_on_a_map_other_than_porto() -> None:
    roads = load_map("demo")
    unit, target = on_roads(roads, 2, np.random.default_rng(1)).tolist()
    seconds = fresh_process_load(demo_map_path(), unit, target)
    assert 0 < seconds < 120
