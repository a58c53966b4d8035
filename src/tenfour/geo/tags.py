"""How OSM way tags become a drivable road: which ways, which directions, what speed.

Kept apart from file reading so the rules can be read, tested and tuned on plain dicts.

Default speeds (km/h), used when a way has no usable ``maxspeed``. They are urban
*travel* speeds for a car in a city, not rural limits; a patrol car moving with traffic
on a residential grid averages about 25 km/h:

==================  =====
highway             km/h
==================  =====
motorway            90
motorway_link       45
trunk               60
trunk_link          40
primary             45
primary_link        35
secondary           40
secondary_link      30
tertiary            35
tertiary_link       30
unclassified        30
residential         25
living_street       10
service             15
==================  =====
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

DEFAULT_SPEED_KMH: Final[Mapping[str, float]] = {
    "motorway": 90.0,
    "motorway_link": 45.0,
    "trunk": 60.0,
    "trunk_link": 40.0,
    "primary": 45.0,
    "primary_link": 35.0,
    "secondary": 40.0,
    "secondary_link": 30.0,
    "tertiary": 35.0,
    "tertiary_link": 30.0,
    "unclassified": 30.0,
    "residential": 25.0,
    "living_street": 10.0,
    "service": 15.0,
}

# highway values a car may use; everything else (footway, cycleway, path, steps,
# pedestrian, track, construction, proposed, bus_guideway, ...) is left out.
DRIVABLE_HIGHWAYS: Final[frozenset[str]] = frozenset(DEFAULT_SPEED_KMH)

# Access values that close a way to an ordinary car. "destination", "delivery" and
# "customers" stay open: an emergency vehicle may always drive there.
_CLOSED_ACCESS: Final[frozenset[str]] = frozenset({"no", "private", "agricultural", "forestry"})

# From least to most specific: the most specific tag present decides (OSM access rules).
_ACCESS_KEYS: Final[tuple[str, ...]] = ("access", "vehicle", "motor_vehicle", "motorcar")

# Every key the functions below read; the reader copies only these out of a way.
TAG_KEYS: Final[tuple[str, ...]] = (
    "highway",
    "area",
    *_ACCESS_KEYS,
    "oneway",
    "junction",
    "maxspeed",
    "maxspeed:forward",
    "maxspeed:backward",
    "name",
    "ref",
)

_FORWARD: Final[frozenset[str]] = frozenset({"yes", "true", "1"})
_BACKWARD: Final[frozenset[str]] = frozenset({"-1", "reverse"})
_TWO_WAY: Final[frozenset[str]] = frozenset({"no", "false", "0"})

_MPH_KMH: Final = 1.609344
_KNOT_KMH: Final = 1.852
_SPEED_RE: Final = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(mph|km/h|kmh|kph|knots)?\s*$")
# Implicit limits such as "PT:urban" or "US:rural" and zones such as "DE:zone30".
_ZONE_RE: Final = re.compile(r"^\s*[a-z]{2}:(?:zone:?)?(\d+)\s*$")
_ZONE_KMH: Final[Mapping[str, float]] = {
    "urban": 50.0,
    "rural": 90.0,
    "trunk": 100.0,
    "motorway": 120.0,
    "living_street": 20.0,
    "walk": 7.0,
}
# Anything outside this range is a tagging error, not a speed.
_MIN_KMH: Final = 3.0
_MAX_KMH: Final = 200.0


def is_drivable(tags: Mapping[str, str]) -> bool:
    """True when ``tags`` describe a road an ordinary car may legally use."""
    highway = tags.get("highway")
    if highway not in DRIVABLE_HIGHWAYS:
        return False
    if tags.get("area") == "yes":  # a square mapped as a road area, not a street
        return False
    decided = None
    for key in _ACCESS_KEYS:
        value = tags.get(key)
        if value is not None:
            decided = value.strip().lower()
    return decided not in _CLOSED_ACCESS


def directions(tags: Mapping[str, str]) -> tuple[bool, bool]:
    """``(forward, backward)``: may a car drive along the way's node order, and against it."""
    oneway = (tags.get("oneway") or "").strip().lower()
    if oneway in _FORWARD:
        return True, False
    if oneway in _BACKWARD:
        return False, True
    if oneway in _TWO_WAY:
        return True, True
    # No usable oneway tag: roundabouts and motorways are one-way by definition.
    if tags.get("junction") in ("roundabout", "circular") or tags.get("highway") == "motorway":
        return True, False
    return True, True


def parse_maxspeed(value: str | None) -> float | None:
    """A ``maxspeed`` value in km/h, or None when it gives no usable number.

    Accepts ``"50"`` (km/h), ``"30 km/h"``, ``"25 mph"``, ``"10 knots"``, implicit
    limits such as ``"PT:urban"`` or ``"DE:zone30"``, and lists ``"25;35"`` (the first
    usable value wins). ``"none"``, ``"signals"``, ``"variable"`` and garbage give None.
    """
    if value is None:
        return None
    for part in value.split(";"):
        part = part.strip().lower()
        kmh = _parse_one_speed(part)
        if kmh is not None and _MIN_KMH <= kmh <= _MAX_KMH:
            return kmh
    return None


def _parse_one_speed(text: str) -> float | None:
    match = _SPEED_RE.match(text)
    if match:
        number = float(match.group(1).replace(",", "."))
        unit = match.group(2)
        if unit == "mph":
            return number * _MPH_KMH
        if unit == "knots":
            return number * _KNOT_KMH
        return number
    zone = _ZONE_RE.match(text)
    if zone:
        return float(zone.group(1))
    if text == "walk":
        return _ZONE_KMH["walk"]
    if ":" in text:
        return _ZONE_KMH.get(text.split(":", 1)[1])
    return None


def speed_kmh(tags: Mapping[str, str], *, forward: bool = True) -> float:
    """Travel speed for one direction of a way: its ``maxspeed`` if usable, else the default."""
    directional = tags.get("maxspeed:forward" if forward else "maxspeed:backward")
    for value in (directional, tags.get("maxspeed")):
        kmh = parse_maxspeed(value)
        if kmh is not None:
            return kmh
    return DEFAULT_SPEED_KMH.get(tags.get("highway", ""), DEFAULT_SPEED_KMH["residential"])


def way_name(tags: Mapping[str, str]) -> str:
    """The street name shown to people: ``name``, else ``ref`` (e.g. "US 101"), else ""."""
    return (tags.get("name") or tags.get("ref") or "").strip()
