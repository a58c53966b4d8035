"""Errors raised by :mod:`tenfour.geo`.

Every error is a :class:`GeoError`, itself a :class:`ValueError`, so callers that turn
bad input into a 4xx answer can catch one type. Messages name the file or the field
(``lat``/``lon``) and the reason, because they end up in front of a dispatcher.
"""

from __future__ import annotations

from pathlib import Path


class GeoError(ValueError):
    """Base class of every error raised by :mod:`tenfour.geo`."""


class MapError(GeoError):
    """A map file is missing, empty, truncated, not OSM data or has no drivable roads."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"cannot load map {self.path!r}: {reason}")


class CoordinateError(GeoError):
    """A latitude or longitude is not a finite number in range."""

    def __init__(self, field: str, value: object, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"{field}={value!r}: {reason}")


class OutsideMapError(GeoError):
    """A point is too far from every road of the map to be placed on it."""

    def __init__(
        self, lat: float, lon: float, distance_m: float, max_distance_m: float, label: str = ""
    ) -> None:
        self.lat = lat
        self.lon = lon
        self.distance_m = distance_m
        self.max_distance_m = max_distance_m
        self.label = label
        where = f"{label} (lat={lat}, lon={lon})" if label else f"lat={lat}, lon={lon}"
        super().__init__(
            f"{where}: outside the map, the nearest road is "
            f"{distance_m:.0f} m away (more than {max_distance_m:.0f} m)"
        )


class GeocodeError(GeoError):
    """An address text cannot be read at all (empty or too long)."""


class ClosureError(GeoError):
    """A road closure that cannot be placed on the map; ``field`` names the input."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")
