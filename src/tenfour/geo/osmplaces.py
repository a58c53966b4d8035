"""Address points and named places of an OSM extract (``addr:*`` tags, named features).

Read at ``tenfour map import`` (and when a map is loaded straight from an OSM file):
nodes and ways with ``addr:housenumber`` and ``addr:street`` become address points;
named amenities, shops, tourism features, public buildings, stations and parks
become places, with ``alt_name``, ``old_name``, ``short_name``, ``official_name``
and ``loc_name`` as aliases. A way stands at the mean of its nodes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import numpy as np
import osmium

from tenfour.geo.addresses import POINT, Place, Places
from tenfour.geo.errors import MapError

_ALIAS_KEYS: Final = ("alt_name", "old_name", "short_name", "official_name", "loc_name", "name:en")
_PUBLIC_BUILDINGS: Final = frozenset(
    {
        "public", "civic", "government", "hospital", "school", "university", "college",
        "church", "cathedral", "train_station", "transportation", "fire_station", "stadium",
        "museum", "library",
    }
)  # fmt: skip
_STATIONS: Final = frozenset({"station", "halt", "subway_entrance", "tram_stop"})
_PARKS: Final = frozenset({"park", "garden", "stadium", "sports_centre", "pitch", "playground"})
_KEYS: Final = (
    "addr:housenumber", "amenity", "shop", "tourism", "building", "railway",
    "public_transport", "leisure", "office", "historic",
)  # fmt: skip


def category_of(tags: osmium.osm.TagList | dict[str, str]) -> str:
    """The kind of named place a feature is ("amenity=hospital"), or "" if none."""
    for key in ("amenity", "shop", "tourism", "office", "historic"):
        value = tags.get(key)
        if value and value != "no":
            return f"{key}={value}"
    if tags.get("railway") in _STATIONS:
        return f"railway={tags.get('railway')}"
    if tags.get("public_transport") == "station":
        return "public_transport=station"
    if tags.get("leisure") in _PARKS:
        return f"leisure={tags.get('leisure')}"
    if tags.get("building") in _PUBLIC_BUILDINGS:
        return f"building={tags.get('building')}"
    return ""


class _Collector:
    def __init__(self) -> None:
        self.lat: list[float] = []
        self.lon: list[float] = []
        self.number: list[int] = []
        self.street: list[str] = []
        self.unit: list[str] = []
        self.named: list[Place] = []

    def add(self, tags: osmium.osm.TagList, lat: float, lon: float) -> None:
        house = tags.get("addr:housenumber")
        street = tags.get("addr:street")
        digits = _leading_number(house)
        if digits is not None and street:
            self.lat.append(lat)
            self.lon.append(lon)
            self.number.append(digits)
            self.street.append(street)
            self.unit.append(tags.get("addr:unit") or "")
        name = tags.get("name")
        category = category_of(tags)
        if name and category:
            aliases = tuple(
                dict.fromkeys(v for k in _ALIAS_KEYS if (v := tags.get(k)) and v != name)
            )
            address = f"{house} {street}" if house and street else ""
            self.named.append(Place(name, lat, lon, category, aliases, address))

    def places(self) -> Places:
        n = len(self.lat)
        return Places(
            np.asarray(self.lat, dtype=np.float64), np.asarray(self.lon, dtype=np.float64),
            np.asarray(self.number, dtype=np.int64), np.full(n, POINT, dtype=np.int64),
            tuple(self.street), tuple(self.unit), tuple(self.named),
        )  # fmt: skip


def _leading_number(text: str | None) -> int | None:
    if not text:
        return None
    digits = ""
    for char in text.strip():
        if not char.isdigit():
            break
        digits += char
    return int(digits) if digits and len(digits) <= 6 else None


def read_osm_places(path: str | Path) -> Places:
    """Address points and named places of an OSM file; :class:`MapError` if unreadable."""
    path = Path(path)
    got = _Collector()
    processor = (
        osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.KeyFilter(*_KEYS))
    )
    try:
        for obj in processor:
            if isinstance(obj, osmium.osm.Node):
                if obj.location.valid():
                    got.add(obj.tags, obj.location.lat, obj.location.lon)
            elif isinstance(obj, osmium.osm.Way):
                points = [(n.location.lat, n.location.lon) for n in obj.nodes if n.location.valid()]
                if points:
                    lat = sum(p[0] for p in points) / len(points)
                    lon = sum(p[1] for p in points) / len(points)
                    got.add(obj.tags, lat, lon)
    except RuntimeError as exc:
        raise MapError(path, f"cannot read places ({exc})") from exc
    return got.places()
