"""The road network as a small JSON drawing for the browser map (no external tiles).

The drive graph has one arc per direction between consecutive way nodes; a drawing
needs each stretch of road once. Arcs are folded into undirected segments, and
segments of the same street and road class are chained through the nodes where
nothing else joins, so a street becomes a few long polylines instead of hundreds of
two-point pieces. Coordinates are integers in units of 1e-5 degree (about 1 m) from
the map's south-west corner, each point stored as the difference from the one
before: the demo map (10,800 nodes) draws from about 200 KB of JSON.
"""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from tenfour.geo import RoadMap

#: Coordinates are sent as integers of this many degrees.
RESOLUTION = 1e-5
#: Drawing order (first drawn first, so bigger roads lie on top) and emphasis.
CLASS_RANK = {
    "residential": 0,
    "unclassified": 0,
    "living_street": 0,
    "service": 0,
    "tertiary_link": 1,
    "secondary_link": 1,
    "primary_link": 1,
    "trunk_link": 2,
    "motorway_link": 2,
    "tertiary": 3,
    "secondary": 4,
    "primary": 5,
    "trunk": 6,
    "motorway": 7,
}


@dataclass(frozen=True)
class Drawing:
    """The drawing as JSON bytes, gzipped bytes and an ETag, made once per map."""

    body: bytes
    gzipped: bytes
    etag: str


def road_lines(roads: RoadMap) -> dict[str, Any]:
    """``{bounds, resolution, origin, classes, names, lines}``.

    Each line is ``[class, name, lat0, lon0, dlat1, dlon1, ...]``: indices into
    ``classes`` and ``names``, then the first point as offsets from ``origin``
    (``[south, west]``) and every next point as the difference from the previous,
    all in units of ``resolution`` degrees.
    """
    net = roads.network
    bounds = roads.bounds
    ilat = np.rint((net.lat - bounds.south) / RESOLUTION).astype(np.int64).tolist()
    ilon = np.rint((net.lon - bounds.west) / RESOLUTION).astype(np.int64).tolist()
    lines: list[list[int]] = []
    for klass, name, chain in road_chains(roads):
        row = [klass, name, ilat[chain[0]], ilon[chain[0]]]
        for before, node in itertools.pairwise(chain):
            row += [ilat[node] - ilat[before], ilon[node] - ilon[before]]
        lines.append(row)
    return {
        "bounds": {
            "south": bounds.south,
            "west": bounds.west,
            "north": bounds.north,
            "east": bounds.east,
        },
        "resolution": RESOLUTION,
        "origin": [bounds.south, bounds.west],
        "classes": list(net.classes),
        "names": list(net.names),
        "lines": lines,
    }


def road_chains(roads: RoadMap) -> list[tuple[int, int, list[int]]]:
    """``(class, name, nodes)`` paths covering every undirected road segment once,
    minor roads first so that major ones are drawn over them."""
    net = roads.network
    low = np.minimum(net.arc_from, net.arc_to)
    high = np.maximum(net.arc_from, net.arc_to)
    _, first = np.unique(low * net.node_count + high, return_index=True)
    groups: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    for arc in first.tolist():
        a, b = int(low[arc]), int(high[arc])
        if a != b:
            groups[(int(net.arc_class[arc]), int(net.arc_name[arc]))].append((a, b))
    ordered = sorted(
        groups.items(), key=lambda item: (CLASS_RANK.get(net.classes[item[0][0]], 0), item[0])
    )
    return [(klass, name, chain) for (klass, name), segs in ordered for chain in _chains(segs)]


def _chains(segments: list[tuple[int, int]]) -> list[list[int]]:
    """Join segments into the fewest simple paths that break only where roads meet."""
    neighbours: dict[int, list[int]] = defaultdict(list)
    for a, b in segments:
        neighbours[a].append(b)
        neighbours[b].append(a)
    used: set[tuple[int, int]] = set()

    def walk(start: int, towards: int) -> list[int]:
        path = [start]
        here, nxt = start, towards
        while True:
            used.add((min(here, nxt), max(here, nxt)))
            path.append(nxt)
            if len(neighbours[nxt]) != 2:
                return path
            here, nxt = nxt, next(n for n in neighbours[nxt] if n != here)
            if (min(here, nxt), max(here, nxt)) in used:
                return path  # back round a loop

    chains: list[list[int]] = []
    # Paths start where a road ends or branches; what is left after that are loops.
    ends = sorted(n for n, around in neighbours.items() if len(around) != 2)
    for start in [*ends, *sorted(neighbours)]:
        for towards in neighbours[start]:
            if (min(start, towards), max(start, towards)) not in used:
                chains.append(walk(start, towards))
    return chains


def drawing_of(roads: RoadMap) -> Drawing:
    """The map's drawing, computed on first use and kept with the map."""
    cached = _CACHE.get(id(roads))
    if cached is not None and cached[0] is roads:
        return cached[1]
    body = json.dumps(road_lines(roads), separators=(",", ":")).encode()
    made = Drawing(body, gzip.compress(body, 6), '"' + hashlib.sha256(body).hexdigest()[:32] + '"')
    _CACHE[id(roads)] = (roads, made)
    return made


# Maps are loaded once per process and kept (``geo.load_map`` caches them), so a
# drawing per map object, keyed by identity, never grows past the maps in use.
_CACHE: dict[int, tuple[RoadMap, Drawing]] = {}
