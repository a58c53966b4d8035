"""Wiring in one place: a journal, a map and a clock make a running ``Service``."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from tenfour.clock import Clock
from tenfour.geo import GeoError, OutsideMapError, RoadMap, load_map
from tenfour.journal import EventStore
from tenfour.policies import DriveTimeOracle, PolicyConfig
from tenfour.service import Service, new_tracking_code


class MapOracle:
    """Drive times from a road map, as the recommendation policy asks for them."""

    def __init__(self, roads: RoadMap) -> None:
        self.roads = roads

    def rank(
        self, to: tuple[float, float], origins: Sequence[tuple[float, float]]
    ) -> tuple[Sequence[float], Sequence[float]]:
        """ETAs by road; ``inf`` for a unit off the map, all ``inf`` for a target off it
        (a recommendation then says no unit can be ranked, rather than failing)."""
        try:
            self.roads.snap(*to)
        except OutsideMapError:
            unreachable = [math.inf] * len(origins)
            return unreachable, unreachable
        on_map = [i for i, o in enumerate(origins) if self._on_map(o)]
        etas = [math.inf] * len(origins)
        dists = [math.inf] * len(origins)
        if on_map:
            times = self.roads.drive_times(to, [origins[i] for i in on_map])
            for i, eta, dist in zip(
                on_map, times.eta_s.tolist(), times.distance_m.tolist(), strict=True
            ):
                etas[i], dists[i] = eta, dist
        return etas, dists

    def _on_map(self, point: tuple[float, float]) -> bool:
        try:
            self.roads.snap(*point)
        except OutsideMapError:
            return False
        return True


class MapGeocoder:
    """Addresses and intersections placed on the map; unknown ones are ``None``."""

    def __init__(self, roads: RoadMap) -> None:
        self.roads = roads

    def geocode(self, text: str) -> Any:
        try:
            return self.roads.geocode(text)
        except GeoError as error:
            raise ValueError(str(error)) from None

    def reverse_geocode(self, lat: float, lon: float) -> str:
        return self.roads.reverse_geocode(lat, lon)


def build_service(
    *,
    store: EventStore,
    clock: Clock,
    map_name: str = "demo",
    config: PolicyConfig | None = None,
    tokens: Callable[[], str] = new_tracking_code,
    oracle: DriveTimeOracle | None = None,
    react_inline: bool = True,
) -> Service:
    """A service on ``store`` with the named map for drive times and addresses
    (``oracle`` replaces the map's drive times: benchmarks compare engines with it)."""
    roads = load_map(map_name)
    return Service(
        store=store,
        clock=clock,
        oracle=oracle or MapOracle(roads),
        geocoder=MapGeocoder(roads),
        config=config,
        tokens=tokens,
        react_inline=react_inline,
    )
