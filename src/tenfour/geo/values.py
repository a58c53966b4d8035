"""Values that `tenfour.geo` hands out: snapped points, drive times, routes, bounds.

Plain frozen dataclasses over floats and numpy arrays, so callers can keep them (for
example a unit's snapped position) and hand them back without re-snapping.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
from numpy.typing import NDArray

from tenfour.geo.errors import CoordinateError
from tenfour.geo.routing import NO_ARC

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
LatLon: TypeAlias = tuple[float, float]


@dataclass(frozen=True, slots=True)
class Bounds:
    """The box around every node of the map, in degrees."""

    south: float
    west: float
    north: float
    east: float


@dataclass(frozen=True, slots=True)
class ArcPosition:
    """A position on one directed arc: ``fraction`` 0 at its tail, 1 at its head."""

    arc: int
    fraction: float


@dataclass(frozen=True, slots=True)
class Snap:
    """A point placed on the nearest road segment.

    ``arcs`` holds both directions of a two-way street and one for a one-way street.
    """

    lat: float
    lon: float
    distance_m: float
    street: str
    arcs: tuple[ArcPosition, ...]
    segment: int


@dataclass(frozen=True, slots=True, eq=False)  # arrays have no single truth value
class SnappedPoints:
    """Many snapped points as arrays, for callers that keep unit positions snapped."""

    lat: FloatArray
    lon: FloatArray
    distance_m: FloatArray
    segment: IntArray
    arc: IntArray  # (n, 2), NO_ARC where a one-way street has no second arc
    fraction: FloatArray  # (n, 2)
    street: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.lat.size)

    def subset(self, indices: IntArray | Sequence[int]) -> SnappedPoints:
        """These points only, in the order of ``indices``."""
        rows = np.asarray(indices, dtype=np.int64)
        return SnappedPoints(
            self.lat[rows], self.lon[rows], self.distance_m[rows], self.segment[rows],
            self.arc[rows], self.fraction[rows], tuple(self.street[i] for i in rows.tolist()),
        )  # fmt: skip

    def __getitem__(self, i: int) -> Snap:
        arcs = tuple(
            ArcPosition(int(a), float(f))
            for a, f in zip(self.arc[i], self.fraction[i], strict=True)
            if a != NO_ARC
        )
        return Snap(
            float(self.lat[i]),
            float(self.lon[i]),
            float(self.distance_m[i]),
            self.street[i],
            arcs,
            int(self.segment[i]),
        )


@dataclass(frozen=True, slots=True, eq=False)  # arrays have no single truth value
class DriveTimes:
    """Fastest drive time (s) and its length (m) from each origin; ``inf`` if unreachable."""

    eta_s: FloatArray
    distance_m: FloatArray

    def __len__(self) -> int:
        return int(self.eta_s.size)

    def ranking(self) -> IntArray:
        """Origin indices from fastest to slowest (stable on ties, unreachable last)."""
        order: IntArray = np.argsort(self.eta_s, kind="stable")
        return order


@dataclass(frozen=True, slots=True)
class Route:
    """The fastest route between two points, with the points to draw it."""

    eta_s: float
    distance_m: float
    points: list[LatLon]
    streets: list[str]


def arc_rows(snaps: Sequence[Snap]) -> tuple[IntArray, FloatArray]:
    """``(n, 2)`` arc and fraction arrays of snapped points (:data:`NO_ARC` padded)."""
    arc = np.full((len(snaps), 2), NO_ARC, dtype=np.int64)
    fraction = np.zeros((len(snaps), 2), dtype=np.float64)
    for i, snap in enumerate(snaps):
        for j, position in enumerate(snap.arcs[:2]):
            arc[i, j] = position.arc
            fraction[i, j] = position.fraction
    return arc, fraction


def check_points(
    points: Sequence[Sequence[float]] | FloatArray,
    label: str,
    *,
    single: bool = False,
    index_of: Sequence[int] | None = None,
) -> FloatArray:
    """``points`` as an ``(n, 2)`` float array of valid (lat, lon), or a clear error.

    Errors name the field: ``lat`` for a bare point (``label=""``), ``to.lat`` for a
    single named point, ``origins[3].lat`` for a batch (``index_of`` maps positions in
    ``points`` to the caller's indices when ``points`` is a subset).
    """
    try:
        array = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise CoordinateError(label or "point", points, "expected (lat, lon) numbers") from exc
    if array.size == 0 and not single:
        return np.zeros((0, 2), dtype=np.float64)
    if array.ndim != 2 or array.shape[1] != 2 or (single and array.shape[0] != 1):
        raise CoordinateError(label or "point", points, "expected (lat, lon) pairs")
    for column, field, limit in ((0, "lat", 90.0), (1, "lon", 180.0)):
        values = array[:, column]
        bad = np.flatnonzero(~np.isfinite(values) | (np.abs(values) > limit))
        if bad.size:
            i = int(bad[0])
            name = f"{point_label(label, i, single, index_of)}.{field}" if label else field
            raise CoordinateError(
                name, float(values[i]), f"must be a number in -{limit:g}..{limit:g}"
            )
    return array


def point_label(label: str, index: int, single: bool, index_of: Sequence[int] | None = None) -> str:
    """How an error names one point: "to", "origins[3]" or "" (a bare lat/lon)."""
    if single or not label:
        return label
    return f"{label}[{index if index_of is None else index_of[index]}]"
