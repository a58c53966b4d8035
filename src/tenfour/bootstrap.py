"""Wiring in one place: a journal, a map and a clock make a running ``Service``."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tenfour.clock import Clock
from tenfour.domain.state import Closure
from tenfour.geo import DriveTimeIndex, GeoError, OutsideMapError, RoadMap, load_map
from tenfour.geo.closures import closed_arc_times, place_closure
from tenfour.journal import EventStore
from tenfour.policies import DriveTimeOracle, PolicyConfig
from tenfour.service import Service, new_tracking_code

log = logging.getLogger(__name__)


class MapOracle:
    """Drive times from a road map, as the recommendation policy asks for them.

    Unit positions are kept in a :class:`DriveTimeIndex` keyed by position: a unit
    that has not moved since the last ranking is not snapped or searched again, one
    that moved costs one label (microseconds), and the ranking itself is one search
    from the target. Road closures (``road.close``) change the index's arc times.
    """

    def __init__(self, roads: RoadMap, *, engine: str = "auto") -> None:
        self.roads = roads
        self.index: DriveTimeIndex = roads.index(engine=engine)
        self._off_map: set[tuple[float, float]] = set()

    def rank(
        self, to: tuple[float, float], origins: Sequence[tuple[float, float]]
    ) -> tuple[Sequence[float], Sequence[float]]:
        """ETAs by road; ``inf`` for a unit off the map, all ``inf`` for a target off it
        (a recommendation then says no unit can be ranked, rather than failing)."""
        unreachable = [math.inf] * len(origins)
        try:
            target = self.roads.snap(*to)
        except OutsideMapError:
            return unreachable, list(unreachable)
        keys = [(float(lat), float(lon)) for lat, lon in origins]
        new = [k for k in dict.fromkeys(keys) if k not in self.index and k not in self._off_map]
        if new:
            snapped = self.roads.snap_many(new, strict=False)
            on_map = snapped.distance_m <= self.roads.max_snap_m
            self._off_map.update(k for k, ok in zip(new, on_map.tolist(), strict=True) if not ok)
            placed = [k for k, ok in zip(new, on_map.tolist(), strict=True) if ok]
            if placed:
                self.index.place_many(placed, snapped.subset(np.flatnonzero(on_map)))
        ranked = [i for i, k in enumerate(keys) if k not in self._off_map]
        etas, dists = list(unreachable), list(unreachable)
        if ranked:
            times = self.index.drive_times(target, [keys[i] for i in ranked])
            for i, eta, dist in zip(
                ranked, times.eta_s.tolist(), times.distance_m.tolist(), strict=True
            ):
                etas[i], dists[i] = eta, dist
        self._forget_old(keys)
        return etas, dists

    def place_road(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """The road segments a ``road.close`` request covers (raises ``ClosureError``)."""
        location = request.get("location") or {}
        segments = list(request.get("segments") or [])
        if request.get("segment") is not None:
            segments.append(int(request["segment"]))
        placed = place_closure(
            self.roads,
            lat=location.get("lat"),
            lon=location.get("lon"),
            radius_m=float(request.get("radius_m") or 0.0),
            street=request.get("street"),
            segments=segments or None,
        )
        out: dict[str, Any] = {"segments": list(placed.segments), "map": self.roads.fingerprint}
        if not request.get("street") and placed.street:
            out["street"] = placed.street
        return out

    def set_closures(self, closures: Sequence[Closure]) -> None:
        """Arc times from now on: the map's, with these closures applied."""
        placed: list[tuple[Sequence[int], float | None]] = []
        for closure in closures:
            segments: Sequence[int] = closure.segments
            if closure.map not in (None, self.roads.fingerprint):
                segments = self._placed_again(closure)  # journaled on another map
            placed.append((segments, closure.factor))
        self.index.set_arc_times(closed_arc_times(self.roads, placed))

    def _placed_again(self, closure: Closure) -> Sequence[int]:
        location = closure.location or {}
        try:
            return place_closure(
                self.roads, lat=location.get("lat"), lon=location.get("lon"), street=closure.street
            ).segments
        except GeoError:
            log.warning("closure %s is not on this map; ignored", closure.id)
            return ()

    def _forget_old(self, keys: Sequence[tuple[float, float]]) -> None:
        """Positions no longer asked about go, so the index follows the fleet's size."""
        if len(self.index) > 2 * len(keys) + 1024:
            self.index.retain(keys)
        if len(self._off_map) > 4096:
            self._off_map.clear()


class MapGeocoder:
    """Addresses and intersections placed on the map; unknown ones are ``None``."""

    def __init__(self, roads: RoadMap) -> None:
        self.roads = roads

    def geocode(self, text: str) -> Any:
        """The best reading of ``text`` (it may be ambiguous: the service refuses it with
        the choices), None when it is on no street or place of the map (the service
        names the text), ``ValueError`` for coordinates off the map or a bad text."""
        try:
            return self.roads.geocode(text)
        except GeoError as error:
            raise ValueError(str(error)) from None

    def reverse_geocode(self, lat: float, lon: float) -> str:
        return self.roads.reverse_geocode(lat, lon)

    def check_point(self, lat: float, lon: float) -> None:
        try:
            self.roads.snap(lat, lon)
        except GeoError as error:
            raise ValueError(str(error)) from None


def build_service(
    *,
    store: EventStore,
    clock: Clock,
    map_name: str = "demo",
    config: PolicyConfig | None = None,
    tokens: Callable[[], str] = new_tracking_code,
    oracle: DriveTimeOracle | None = None,
    react_inline: bool = True,
    travel_model: str | Path | None = None,
) -> Service:
    """A service on ``store`` with the named map for drive times and addresses
    (``oracle`` replaces the map's drive times: benchmarks compare engines with it;
    ``travel_model``, a file from ``tenfour calibrate``, drives at learnt times)."""
    roads = load_map(map_name)
    if oracle is None and travel_model is not None:
        # Imported here: tenfour.travel builds on this module's MapOracle.
        from tenfour.travel.model import calibrated_map, load_model
        from tenfour.travel.oracle import TravelModelOracle

        model = load_model(travel_model)
        oracle = TravelModelOracle(calibrated_map(roads, model), model)
    return Service(
        store=store,
        clock=clock,
        oracle=oracle or MapOracle(roads),
        geocoder=MapGeocoder(roads),
        config=config,
        tokens=tokens,
        react_inline=react_inline,
        # Several server processes may share the journal: one keeps time at once.
        lease=None if react_inline else store.lease("timekeeper"),
    )
