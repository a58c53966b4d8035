"""Road closures and slow-downs on the map: where they fall, and the arc times they make.

A closure covers road *segments* (both directions of a street between two nodes, see
``RoadMap.segment_arcs``). Closed arcs get an infinite time, so no route uses them; a
slow-down multiplies the time of its arcs by a factor. Where arcs are covered by
several closures, the strongest wins. A trip that starts or ends on a closed arc still
drives that part of it (a unit parked on it can leave; an incident on it is reached).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tenfour.geo.errors import ClosureError, GeoError
from tenfour.geo.roadmap import RoadMap
from tenfour.geo.routing import NO_ARC

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: How far from the given point a named street's segments are looked for.
STREET_NEAR_POINT_M = 50.0
#: The most segments one closure may cover (a whole long avenue has a few hundred).
MAX_SEGMENTS = 5000


@dataclass(frozen=True, slots=True)
class PlacedClosure:
    """Where a closure falls: its segments, their street, and the snapped point."""

    segments: tuple[int, ...]
    street: str
    lat: float | None = None
    lon: float | None = None


def place_closure(
    roads: RoadMap,
    *,
    lat: float | None = None,
    lon: float | None = None,
    radius_m: float = 0.0,
    street: str | None = None,
    segments: Sequence[int] | None = None,
) -> PlacedClosure:
    """The segments a closure covers, from the first of these that is given:

    - ``segments``: those segment ids;
    - a point (``lat``, ``lon``): the segment nearest it, plus every segment within
      ``radius_m``; with ``street``, only that street's segments (within ``radius_m``,
      at least :data:`STREET_NEAR_POINT_M`);
    - ``street`` alone: every segment of that street.

    Raises :class:`ClosureError` naming the input (``segments``, ``location``,
    ``street``) when nothing on the map matches.
    """
    if segments:
        return _by_ids(roads, segments)
    if lat is not None and lon is not None:
        return _by_point(roads, lat, lon, radius_m, street)
    if street:
        return _placed(roads, _street(roads, street), "street")
    raise ClosureError("location", "give a location, a street or a segment")


def _street(roads: RoadMap, street: str) -> IntArray:
    try:
        found = roads.street_segments(street)
    except GeoError as error:
        raise ClosureError("street", str(error)) from None
    if found.size == 0:
        raise ClosureError("street", f"no street named {street!r} on the map")
    return found


def closed_arc_times(
    roads: RoadMap, closures: Iterable[tuple[Sequence[int], float | None]]
) -> FloatArray | None:
    """Arc times with ``(segments, factor)`` closures applied (``None`` factor: closed);
    ``None`` when there is no closure, so callers keep the map's own times."""
    factor = np.ones(roads.arc_count, dtype=np.float64)
    any_closure = False
    for segments, how in closures:
        ids = np.asarray(list(segments), dtype=np.int64)
        ids = ids[(ids >= 0) & (ids < roads.segment_count)]
        arcs = roads.segment_arcs(ids).ravel()
        arcs = arcs[arcs != NO_ARC]
        value = np.inf if how is None else max(float(how), 1.0)
        factor[arcs] = np.maximum(factor[arcs], value)
        any_closure = any_closure or arcs.size > 0
    if not any_closure:
        return None
    times: FloatArray = roads.network.arc_time_s * factor
    return times


def _by_ids(roads: RoadMap, segments: Sequence[int]) -> PlacedClosure:
    ids = np.unique(np.asarray(list(segments), dtype=np.int64))
    bad = ids[(ids < 0) | (ids >= roads.segment_count)]
    if bad.size:
        raise ClosureError(
            "segments", f"no segment {int(bad[0])} on the map (0..{roads.segment_count - 1})"
        )
    return _placed(roads, ids, "segments")


def _by_point(
    roads: RoadMap, lat: float, lon: float, radius_m: float, street: str | None
) -> PlacedClosure:
    try:
        snap = roads.snap(lat, lon)
    except GeoError as error:
        raise ClosureError("location", str(error)) from None
    if street:
        named = _street(roads, street)
        near = roads.segments_within(lat, lon, max(radius_m, STREET_NEAR_POINT_M))
        near = near[np.isin(near, named)]  # nearest first
        if near.size == 0:
            raise ClosureError(
                "street",
                f"{street!r} does not pass within {max(radius_m, STREET_NEAR_POINT_M):.0f} m "
                "of the location",
            )
        found = np.sort(near) if radius_m > 0 else near[:1]
    elif radius_m > 0:
        found = np.union1d(roads.segments_within(lat, lon, radius_m), [snap.segment])
    else:
        found = np.array([snap.segment], dtype=np.int64)
    placed = _placed(roads, found, "location")
    return PlacedClosure(placed.segments, placed.street, snap.lat, snap.lon)


def _placed(roads: RoadMap, segments: IntArray, field: str) -> PlacedClosure:
    if segments.size > MAX_SEGMENTS:
        raise ClosureError(field, f"covers {segments.size} road segments, more than {MAX_SEGMENTS}")
    streets = [s for s in roads.segment_streets(segments) if s]
    street = max(set(streets), key=lambda s: (streets.count(s), s)) if streets else ""
    return PlacedClosure(tuple(int(s) for s in segments.tolist()), street)
