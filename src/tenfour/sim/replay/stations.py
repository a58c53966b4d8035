"""Where units live: station positions estimated from the calls, and each unit's home.

The data has no station addresses, so they are estimated:

- **station s** (engines ``E<s>`` and trucks ``T<s>`` live there): the median point
  (latitude and longitude separately) of the calls in station s's first-due area
  ("Station Area") where a unit of station s arrived first. A station's own units
  win the race near the station, so these calls surround it. With fewer than
  ``MIN_CALLS`` such calls, every call of the area where any unit arrived is used.
  Checked against approximate points of the street addresses of the twelve
  stations on or next to the demo map, the estimates are 90 to 660 m off (median
  about 200 m).
- **units without a station** (medics, private ambulances, chiefs, rescue units):
  the median point of every call they answered that week: where they are posted,
  roughly.

All calls of the file count, on the map or not: a station's area may extend past
the map's edge.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from tenfour.sim.replay.calls import Call
from tenfour.sim.replay.mapping import agency_of, station_of

MIN_CALLS = 10


@dataclass(frozen=True, slots=True)
class Station:
    number: int
    lat: float
    lon: float
    calls: int  # calls the estimate is the median of
    method: str


@dataclass(frozen=True, slots=True)
class Home:
    """A unit of the roster: its kind, agency, and where it waits between calls."""

    unit: str
    kind: str
    agency: str
    lat: float
    lon: float
    station: int | None
    method: str


def _median(points: list[tuple[float, float]]) -> tuple[float, float]:
    arr = np.asarray(points, dtype=np.float64)
    return float(np.median(arr[:, 0])), float(np.median(arr[:, 1]))


def estimate_stations(calls: list[Call], min_calls: int = MIN_CALLS) -> dict[int, Station]:
    """Station positions from first-due areas and first arrivals (see the module)."""
    own: dict[int, list[tuple[float, float]]] = defaultdict(list)
    anyone: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for call in calls:
        first = call.first
        if call.station_area is None or call.lat is None or call.lon is None or first is None:
            continue
        anyone[call.station_area].append((call.lat, call.lon))
        if station_of(first.unit) == call.station_area:
            own[call.station_area].append((call.lat, call.lon))
    stations = {}
    for number in sorted(set(own) | set(anyone)):
        if len(own[number]) >= min_calls:
            points, how = own[number], "calls of its area where its own unit arrived first"
        else:
            points, how = anyone[number], "calls of its area (too few first arrivals of its own)"
        lat, lon = _median(points)
        stations[number] = Station(number, lat, lon, len(points), f"median of {len(points)} {how}")
    return stations


def unit_homes(calls: list[Call], stations: dict[int, Station]) -> list[Home]:
    """Every unit of the data with its kind and home (station, else its calls' median)."""
    kinds: dict[str, str] = {}
    points: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for call in calls:
        for slot in call.slots:
            kinds.setdefault(slot.unit, slot.kind)
            if call.lat is not None and call.lon is not None:
                points[slot.unit].append((call.lat, call.lon))
    homes = []
    for unit in sorted(kinds):
        kind = kinds[unit]
        number = station_of(unit)
        station = stations.get(number) if number is not None else None
        if station is not None:
            lat, lon, how = station.lat, station.lon, f"station {station.number}"
        elif points[unit]:
            lat, lon = _median(points[unit])
            how = f"median of its {len(points[unit])} calls"
        else:
            continue  # a unit never seen at a located call cannot be placed
        homes.append(Home(unit, kind, agency_of(unit, kind), lat, lon, number, how))
    return homes
