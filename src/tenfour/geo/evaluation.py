"""How well the geocoder finds real calls: leave-one-block-out on recorded addresses.

Each call (an address text and the point its agency recorded) is geocoded with its
own block's address point left out of the address data, so the figure says how well
a block the data does not hold is found, not how well the data is read back. Calls
are counted by how they were found (``match``); ``ambiguous`` and ``none`` are the
calls not placed (a bare street, a number on a street with no known numbers, a
street not on the map).
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import numpy as np

from tenfour.geo.errors import GeoError
from tenfour.geo.parsing import normalise
from tenfour.geo.projection import haversine_m
from tenfour.geo.roadmap import RoadMap

RADII_M: Final = (100.0, 150.0, 250.0)
_BLOCK: Final = re.compile(r"^(\d+) Block of (.+)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Call:
    """One recorded call: what was typed, and where the agency placed it."""

    address: str
    lat: float
    lon: float


@dataclass(slots=True)
class Evaluation:
    """Errors (m) of every call by how it was found; ``inf`` where not placed."""

    errors: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    @property
    def calls(self) -> int:
        return sum(len(v) for v in self.errors.values())

    def share_within(self, radius_m: float, kind: str | None = None) -> float:
        """Share (0..1) of the calls (of one match kind, or all) within ``radius_m``."""
        values = self.errors.get(kind, []) if kind else [e for v in self.errors.values() for e in v]
        return float(np.mean(np.asarray(values) <= radius_m)) if values else 0.0

    def table(self) -> list[tuple[str, int, list[float]]]:
        """(kind, calls, [share within each of RADII_M]) per kind, then "all"."""
        rows = [
            (kind, len(v), [self.share_within(r, kind) for r in RADII_M])
            for kind, v in sorted(self.errors.items())
        ]
        return [*rows, ("all", self.calls, [self.share_within(r) for r in RADII_M])]


def read_sffd_calls(path: str | Path, *, on_map_only: bool = True) -> list[Call]:
    """One :class:`Call` per call number of the normalised SFFD unit responses file
    (``address``, ``lat``, ``lon``, ``in_osm_bbox``), inside the demo map's bounds only."""
    calls: dict[str, Call] = {}
    with Path(path).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if on_map_only and row["in_osm_bbox"] != "True":
                continue
            if row["call_number"] not in calls and row["lat"] and row["lon"]:
                calls[row["call_number"]] = Call(
                    row["address"], float(row["lat"]), float(row["lon"])
                )
    return list(calls.values())


def leave_one_block_out(roads: RoadMap, calls: Iterable[Call]) -> Evaluation:
    """Geocode each call with its own block's point left out of the map's address data."""
    geocoder = roads.geocoder
    places = roads.places
    rows_of: defaultdict[tuple[int, str], list[int]] = defaultdict(list)
    for row, (number, street) in enumerate(zip(places.number.tolist(), places.street, strict=True)):
        rows_of[(number, normalise(street))].append(row)
    result = Evaluation()
    for call in calls:
        block = _BLOCK.match(call.address)
        geo = geocoder
        if block:
            own = rows_of.get((int(block.group(1)), normalise(block.group(2))), [])
            geo = geocoder.without_addresses(np.asarray(own, dtype=np.int64))
        try:
            found = geo.locate(call.address)
        except GeoError:
            result.errors["none"].append(float("inf"))
            continue
        kind = "ambiguous" if found.ambiguous else found.kind
        error = float(haversine_m(call.lat, call.lon, found.lat, found.lon))
        result.errors[kind].append(error if not found.ambiguous else float("inf"))
    return result
