"""Drive times for the recommendation policy under a travel model.

The service ranks units with an oracle (``bootstrap.MapOracle``); given a map whose
arc times are already the model's (``model.calibrated_map``), this one also adds the
model's per-trip overhead (``fixed_s``) to every reachable ETA, so the ETA a
dispatcher reads is the model's whole predicted travel. Rankings are unchanged: the
overhead is the same for every unit. A model with turn delays ranks on the
turn-expanded graph (``geo.turns.TurnIndex``, exact like the node-based index; road
closures reach it the same way); one without keeps the node-based index.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from tenfour.bootstrap import MapOracle
from tenfour.geo import RoadMap
from tenfour.travel.model import TravelModel, drive_time_index


class TravelModelOracle(MapOracle):
    """A :class:`MapOracle` on a calibrated map, with the model's trip overhead."""

    def __init__(self, roads: RoadMap, model: TravelModel, *, engine: str = "auto") -> None:
        super().__init__(roads, engine=engine)
        self.model = model
        if model.has_turn_delays:
            self.index = drive_time_index(roads, model, engine=engine)

    def rank(
        self, to: tuple[float, float], origins: Sequence[tuple[float, float]]
    ) -> tuple[Sequence[float], Sequence[float]]:
        etas, metres = super().rank(to, origins)
        extra = self.model.fixed_s
        return [eta + extra if math.isfinite(eta) else eta for eta in etas], metres
