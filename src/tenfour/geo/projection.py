"""Distances on the earth and a local metric projection.

Maps here cover one city (tens of kilometres), so an equirectangular projection
centred on the map is accurate to well under a metre, and it turns snapping into
plain 2-D geometry that numpy and a k-d tree can do in bulk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

# Mean earth radius (IUGG), the usual choice for haversine distances.
EARTH_RADIUS_M = 6_371_008.8

FloatArray = NDArray[np.float64]


def haversine_m(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> FloatArray:
    """Great-circle distance in metres between points given in degrees (broadcasts)."""
    p1 = np.radians(np.asarray(lat1, dtype=np.float64))
    p2 = np.radians(np.asarray(lat2, dtype=np.float64))
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2, dtype=np.float64) - np.asarray(lon1, dtype=np.float64))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    # clip guards arcsin against rounding just above 1 for antipodal points
    result: FloatArray = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return result


@dataclass(frozen=True, slots=True)
class LocalProjection:
    """Equirectangular projection to metres around (``lat0``, ``lon0``)."""

    lat0: float
    lon0: float

    @property
    def _kx(self) -> float:
        return float(np.radians(1.0) * EARTH_RADIUS_M * np.cos(np.radians(self.lat0)))

    @property
    def _ky(self) -> float:
        return float(np.radians(1.0) * EARTH_RADIUS_M)

    def to_xy(self, lat: ArrayLike, lon: ArrayLike) -> FloatArray:
        """Project degrees to an ``(n, 2)`` array of metres east/north of the centre."""
        x = (np.asarray(lon, dtype=np.float64) - self.lon0) * self._kx
        y = (np.asarray(lat, dtype=np.float64) - self.lat0) * self._ky
        return np.stack([np.atleast_1d(x), np.atleast_1d(y)], axis=-1)

    def to_latlon(self, xy: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Inverse of :meth:`to_xy`: ``(lat, lon)`` arrays from an ``(n, 2)`` array."""
        lat = xy[..., 1] / self._ky + self.lat0
        lon = xy[..., 0] / self._kx + self.lon0
        return lat, lon
