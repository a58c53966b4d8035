"""``run_scenario(oracle=...)`` hands that oracle to the service (issue 15): the
founding-scenario benchmark's networkx baseline is compared through it, so an oracle
that is accepted and not passed on would compare Ten-Four with itself."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from tenfour.bootstrap import MapOracle
from tenfour.geo import load_map
from tenfour.sim import load_scenario, run_scenario
from tests.scenarios.test_scenarios import OWN

STORY = next(p for p in OWN if p.name == "priority-one.yaml")
LATER_S = 1000.0


class CountingOracle(MapOracle):
    """The real map oracle, counting its rankings and answering ``LATER_S`` later."""

    def __init__(self) -> None:
        super().__init__(load_map("demo"))
        self.rankings = 0

    def rank(
        self, to: tuple[float, float], origins: Sequence[tuple[float, float]]
    ) -> tuple[Sequence[float], Sequence[float]]:
        self.rankings += 1
        etas, metres = super().rank(to, origins)
        return [eta + LATER_S if math.isfinite(eta) else eta for eta in etas], metres


def _etas(events: Any) -> list[tuple[str, float]]:
    return [
        (c["unit"], c["eta_s"])
        for e in events
        if e.type == "recommendation.made"
        for c in e.data["candidates"]
    ]


def test_the_oracle_given_to_run_scenario_ranks_every_recommendation() -> None:
    scenario = load_scenario(STORY)
    events = run_scenario(scenario).events
    plain = _etas(events)
    oracle = CountingOracle()
    counted = _etas(run_scenario(scenario, oracle=oracle).events)
    made = sum(e.type == "recommendation.made" and bool(e.data["candidates"]) for e in events)
    assert plain and oracle.rankings >= made > 0
    # the same units in the same order, every ETA from the given oracle
    assert [u for u, _ in counted] == [u for u, _ in plain]
    for (_, mine), (_, theirs) in zip(counted, plain, strict=True):
        assert abs(mine - (theirs + LATER_S)) < 0.11
