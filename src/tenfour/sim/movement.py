"""Units driving along road routes on the (simulated) clock.

Used by replays and available to scenarios: ``Movement.drive(unit, to, on_arrival)``
routes a unit from where it is now to ``to`` over the map, at the map's speeds, and
schedules everything on the clock the service runs on:

- a position report every ``every_s`` seconds of driving (the caller turns it into a
  ``unit.locate`` command: one a minute is what an AVL feed sends at least, and it
  keeps the journal from filling up with positions);
- ``on_arrival(point)`` when the route's drive time has passed.

Between reports a unit's position is interpolated by distance along the route, so a
unit can be stopped (``stop``) anywhere and sent somewhere else from where it is.
Routes and snapped points are cached: fire units drive between the same stations,
hospitals and street blocks again and again.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from numpy.typing import NDArray

from tenfour.clock import Clock, Timer
from tenfour.geo import LatLon, RoadMap, Route, Snap

#: Called with the unit and its position at the clock's current time.
Report = Callable[[str, float, float], None]
Arrival = Callable[[LatLon], None]

_EARTH_M = 6_371_008.8
_CACHE_LIMIT = 20_000


def _cumulative_m(points: list[LatLon]) -> NDArray[np.float64]:
    """Metres from the first point to each point (flat-earth steps: short legs)."""
    if len(points) < 2:
        return np.zeros(len(points))
    arr = np.radians(np.asarray(points, dtype=np.float64))
    dlat = np.diff(arr[:, 0])
    dlon = np.diff(arr[:, 1]) * np.cos((arr[1:, 0] + arr[:-1, 0]) / 2)
    steps = np.hypot(dlat, dlon) * _EARTH_M
    return np.concatenate([[0.0], np.cumsum(steps)])


@dataclass
class Trip:
    """One drive: the route, when it started and the timers it has pending."""

    unit: str
    start: datetime
    route: Route
    cumulative_m: NDArray[np.float64]
    timers: list[Timer] = field(default_factory=list)

    @property
    def eta_s(self) -> float:
        return self.route.eta_s

    @property
    def arrival(self) -> datetime:
        return self.start + timedelta(seconds=self.route.eta_s)

    def position(self, at: datetime) -> LatLon:
        """Where the unit is at ``at``: interpolated by distance along the route."""
        points = self.route.points
        if self.route.eta_s <= 0 or len(points) < 2:
            return points[-1]
        share = min(1.0, max(0.0, (at - self.start).total_seconds() / self.route.eta_s))
        total = float(self.cumulative_m[-1])
        if total <= 0:
            return points[-1]
        along = share * total
        i = int(np.searchsorted(self.cumulative_m, along, side="right")) - 1
        i = min(max(i, 0), len(points) - 2)
        leg = float(self.cumulative_m[i + 1] - self.cumulative_m[i])
        t = 0.0 if leg <= 0 else (along - float(self.cumulative_m[i])) / leg
        (lat1, lon1), (lat2, lon2) = points[i], points[i + 1]
        return (lat1 + t * (lat2 - lat1), lon1 + t * (lon2 - lon1))


class Movement:
    """Where every unit is, and the drives in progress, on one clock and one map."""

    def __init__(
        self, clock: Clock, roads: RoadMap, report: Report, *, every_s: float = 60.0
    ) -> None:
        if not math.isfinite(every_s) or every_s <= 0:
            raise ValueError(f"every_s must be a positive number of seconds, not {every_s}")
        self.clock = clock
        self.roads = roads
        self.report = report
        self.every_s = every_s
        self.routes_computed = 0
        self._at: dict[str, LatLon] = {}
        self._trips: dict[str, Trip] = {}
        self._snaps: dict[LatLon, Snap] = {}
        self._routes: dict[tuple[LatLon, LatLon], Route] = {}

    # --- positions ----------------------------------------------------------------
    def place(self, unit: str, at: LatLon) -> None:
        """Put a unit somewhere without driving (its station at the start)."""
        self.stop(unit)
        self._at[unit] = at

    def where(self, unit: str) -> LatLon | None:
        """The unit's position now (interpolated while it drives)."""
        trip = self._trips.get(unit)
        if trip is not None:
            return trip.position(self.clock.now())
        return self._at.get(unit)

    def trip(self, unit: str) -> Trip | None:
        return self._trips.get(unit)

    def moving(self) -> list[str]:
        return sorted(self._trips)

    # --- driving --------------------------------------------------------------------
    def drive(self, unit: str, to: LatLon, on_arrival: Arrival | None = None) -> Trip:
        """Start driving ``unit`` to ``to`` now; a drive in progress is abandoned."""
        origin = self.where(unit)
        if origin is None:
            raise ValueError(f"unit {unit} has no position: place it first")
        self.stop(unit)
        route = self._route(origin, to)
        trip = Trip(unit, self.clock.now(), route, _cumulative_m(route.points))
        self._trips[unit] = trip
        if route.eta_s > self.every_s:
            self._schedule_report(trip, 1)
        trip.timers.append(self.clock.call_at(trip.arrival, lambda: self._arrive(trip, on_arrival)))
        return trip

    def stop(self, unit: str) -> LatLon | None:
        """Stop the unit's drive where it is now; returns that position."""
        trip = self._trips.pop(unit, None)
        if trip is None:
            return self._at.get(unit)
        for timer in trip.timers:
            timer.cancel()
        here = trip.position(self.clock.now())
        self._at[unit] = here
        return here

    def _schedule_report(self, trip: Trip, k: int) -> None:
        when = trip.start + timedelta(seconds=k * self.every_s)

        def fire() -> None:
            if self._trips.get(trip.unit) is not trip:
                return
            lat, lon = trip.position(self.clock.now())
            # the next report is scheduled first so a report that fails stops nothing
            if (k + 1) * self.every_s < trip.eta_s:
                self._schedule_report(trip, k + 1)
            self.report(trip.unit, lat, lon)

        trip.timers.append(self.clock.call_at(when, fire))

    def _arrive(self, trip: Trip, on_arrival: Arrival | None) -> None:
        if self._trips.get(trip.unit) is not trip:
            return
        del self._trips[trip.unit]
        end = trip.route.points[-1]
        self._at[trip.unit] = end
        if on_arrival is not None:
            on_arrival(end)

    # --- routes (cached) ----------------------------------------------------------------
    def prime(self, points: list[LatLon]) -> None:
        """Snap places drives will start or end at (stations, calls) in one pass."""
        new = [p for p in dict.fromkeys(points) if p not in self._snaps]
        if new:
            snapped = self.roads.snap_many(new)
            for i, point in enumerate(new):
                self._snaps[point] = snapped[i]

    def _route(self, origin: LatLon, to: LatLon) -> Route:
        key = (origin, to)
        route = self._routes.get(key)
        if route is None:
            if len(self._routes) >= _CACHE_LIMIT:
                self._routes.clear()
            route = self.roads.route(self._snap(origin), self._snap(to))
            self.routes_computed += 1
            self._routes[key] = route
        return route

    def _snap(self, point: LatLon) -> Snap:
        snap = self._snaps.get(point)
        if snap is None:
            if len(self._snaps) >= _CACHE_LIMIT:
                self._snaps.clear()
            snap = self.roads.snap(*point)
            self._snaps[point] = snap
        return snap
