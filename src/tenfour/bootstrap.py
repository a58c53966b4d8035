"""Wiring in one place: a journal, a map and a clock make a running ``Service``."""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from tenfour.clock import Clock
from tenfour.domain.state import Closure
from tenfour.geo import DriveTimeIndex, GeoError, OutsideMapError, RoadMap, Snap, load_map
from tenfour.geo.closures import closed_arc_times, place_closure
from tenfour.journal import EventStore
from tenfour.policies import DriveTimeOracle, PolicyConfig
from tenfour.service import Service, new_tracking_code

log = logging.getLogger(__name__)


#: Unit positions a :class:`MapOracle` keeps searched, by default (see its docstring).
MAX_POSITIONS: Final = 10_000


class MapOracle:
    """Drive times from a road map, as the recommendation policy asks for them.

    Every position asked about is snapped once and searched once, and the search is
    kept in one :class:`DriveTimeIndex` across rankings of every kind: the index's
    label (its upward search in the hierarchy), keyed by the snapped position (road
    segment and fraction along it), so units standing at one spot share it. The policy
    asks one kind at a time (a MAYDAY plan: police, then an ambulance, then a
    supervisor), and each kind's units are a subset of the kept positions: a ranking
    of 2 ambulances leaves the patrol cars' searches in place, and the next police
    ranking is one search from the target over them. A unit that moved is asked about
    at its new position, which is snapped and searched then; the old one is no longer
    asked and ages out. Road closures (``road.close``) change the index's arc times,
    which searches every kept position again with the new weights.

    Memory: at most ``max_positions`` positions (asked, on or off the map) are kept;
    beyond that the least recently asked go, down to three quarters of it (but never
    those of the current ranking). A kept position costs its label, up to
    ``2 * (depth + 1)`` entries of 20 bytes (a few hundred entries, some kilobytes, on
    a city: measured in ``bench/RESULTS.md``), and about 370 bytes of dictionaries and slots.
    Results are exactly those of a fresh oracle: a label depends only on the snapped
    position and the arc times in force.
    """

    def __init__(
        self, roads: RoadMap, *, engine: str = "auto", max_positions: int = MAX_POSITIONS
    ) -> None:
        if max_positions < 1:
            raise ValueError(f"max_positions must be at least 1, not {max_positions}")
        self.roads = roads
        self.index: DriveTimeIndex = roads.index(engine=engine)
        self.max_positions = max_positions
        # (lat, lon) asked -> its snapped spot (segment, fraction); None: off the map
        self._spot: dict[tuple[float, float], tuple[int, float] | None] = {}
        # (lat, lon) -> the number of the last ranking that asked for it
        self._asked: dict[tuple[float, float], int] = {}
        self._rankings = 0
        self._limit = max_positions
        # the server's reactor and request threads may rank at once
        self._lock = threading.Lock()

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
        with self._lock:
            return self._rank(target, keys)

    def _rank(
        self, target: Snap, keys: list[tuple[float, float]]
    ) -> tuple[list[float], list[float]]:
        spot_of = self._spot
        new = [k for k in keys if k not in spot_of]
        if new:
            self._place(list(dict.fromkeys(new)))
        spots = list(map(spot_of.__getitem__, keys))
        self._rankings += 1
        self._asked.update(dict.fromkeys(keys, self._rankings))
        if None in spots:  # some units off the map: unreachable
            ranked = [i for i, spot in enumerate(spots) if spot is not None]
            etas, dists = [math.inf] * len(keys), [math.inf] * len(keys)
            if ranked:
                times = self.index.drive_times(target, [spots[i] for i in ranked])
                for i, eta, dist in zip(
                    ranked, times.eta_s.tolist(), times.distance_m.tolist(), strict=True
                ):
                    etas[i], dists[i] = eta, dist
        else:
            times = self.index.drive_times(target, spots)
            etas, dists = times.eta_s.tolist(), times.distance_m.tolist()
        if len(spot_of) > self._limit:
            self._trim()
        return etas, dists

    def _place(self, new: Sequence[tuple[float, float]]) -> None:
        """Snap positions never asked about; search from the spots not yet kept."""
        snapped = self.roads.snap_many(new, strict=False)
        on_map = (snapped.distance_m <= self.roads.max_snap_m).tolist()
        segments = snapped.segment.tolist()
        fractions = snapped.fraction[:, 0].tolist()
        rows: list[int] = []
        fresh: dict[tuple[int, float], None] = {}
        for row, (key, ok) in enumerate(zip(new, on_map, strict=True)):
            if not ok:
                self._spot[key] = None
                continue
            # The snapped point is its segment and fraction: its arcs and their
            # fractions follow from them, and so does its label.
            spot = (segments[row], fractions[row])
            self._spot[key] = spot
            if spot not in fresh and spot not in self.index:
                fresh[spot] = None
                rows.append(row)
        if fresh:
            self.index.place_many(list(fresh), snapped.subset(rows))

    def _trim(self) -> None:
        """Keep the most recently asked positions: three quarters of ``max_positions``,
        or more when the last ranking alone asked for more."""
        keep = 3 * self.max_positions // 4
        ticks = sorted(self._asked.values(), reverse=True)
        cutoff = min(ticks[keep] + 1 if len(ticks) > keep else 0, self._rankings)
        self._asked = {k: tick for k, tick in self._asked.items() if tick >= cutoff}
        self._spot = {k: self._spot[k] for k in self._asked}
        self.index.retain({spot for spot in self._spot.values() if spot is not None})
        # a ranking bigger than the bound is kept whole: trim again only once it grows
        self._limit = max(self.max_positions, 4 * len(self._spot) // 3)

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
