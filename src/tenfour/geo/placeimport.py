"""``import_places``: add an address or places file to an imported map file.

The rows are checked (bad lines skipped with their error), those off the map left
out, and the map file written again atomically with the new rows: a file imported
again under the same name replaces its earlier rows. The map's ``places_revision``
goes up by one and ``places_sources`` records each file (name, SHA-256, rows kept).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tenfour.geo.addresses import LineError, Places, read_csv
from tenfour.geo.errors import MapError
from tenfour.geo.mapfile import is_map_file, read_map, sha256_of, write_map
from tenfour.geo.maps import ImportProgress, find_map
from tenfour.geo.roadmap import RoadMap


@dataclass(frozen=True, slots=True)
class PlacesImported:
    """What ``import_places`` did."""

    map_path: Path
    kind: str  # "addresses" or "places"
    rows: int
    kept: int
    off_map: int
    errors: list[LineError]
    error_count: int
    revision: int
    seconds: float


def map_path_of(map_name: str) -> Path:
    """The map file a ``--map`` names: an imported map's name or a map file's path."""
    path = Path(map_name)
    if path.is_file() and is_map_file(path):
        return path
    found = find_map(map_name)
    if found is None:
        raise MapError(
            map_name,
            "no imported map of that name (import one with `tenfour map import`; "
            "the built-in demo map has its places already)",
        )
    return found


def import_places(
    source: str | Path, *, map_name: str, progress: ImportProgress | None = None
) -> PlacesImported:
    """Add ``source`` (an address or places CSV) to the map file ``map_name``."""
    started = time.perf_counter()
    source = Path(source)
    target = map_path_of(map_name)
    show = progress
    if show is not None:
        show.stage("reading rows", None)
    read = read_csv(source, progress=show.update if show is not None else None)
    if show is not None:
        show.stage("placing rows on the map", 1)
    stored = read_map(target)
    roads = RoadMap(stored.network, order=stored.rank, meta=stored.meta)
    places = read.places
    points = np.stack([places.lat, places.lon], axis=1) if len(places) else np.zeros((0, 2))
    near = roads.snap_many(points, strict=False).distance_m <= roads.max_snap_m
    named_near = tuple(
        p for p in places.named
        if roads.snap_many([(p.lat, p.lon)], strict=False).distance_m[0] <= roads.max_snap_m
    )  # fmt: skip
    kept = places.subset(np.flatnonzero(near))
    kept = Places(
        kept.lat, kept.lon, kept.number, kept.kind, kept.street, kept.unit, named_near, kept.origin
    )
    meta = dict(stored.meta)
    sources = [dict(s) for s in meta.get("places_sources", [])]
    origin = next((i for i, s in enumerate(sources) if s.get("file") == source.name), None)
    existing = stored.places
    if origin is None:
        origin = len(sources) if sources else 1  # 0 is the OSM extract's
        while len(sources) < origin:
            sources.append({"file": "(none)", "addresses": 0, "named_places": 0})
        sources.append({})
    else:
        existing = existing.except_origin(origin)
    sources[origin] = {
        "file": source.name, "sha256": sha256_of(source), "kind": read.kind,
        "addresses": len(kept), "named_places": len(kept.named),
        "skipped_lines": read.error_count, "off_map": int((~near).sum()) + len(places.named) - len(named_near),
    }  # fmt: skip
    revision = int(meta.get("places_revision", 0)) + 1
    meta.update(places_revision=revision, places_sources=sources)
    merged = existing.merged(kept.from_origin(origin))
    if show is not None:
        show.update(1)
        show.stage("writing the map file", 1)
    write_map(target, stored.network, stored.rank, meta, merged)
    if show is not None:
        show.update(1)
    return PlacesImported(
        target, read.kind, read.rows, len(kept) + len(kept.named),
        int((~near).sum()) + len(places.named) - len(named_near), read.errors,
        read.error_count, revision, time.perf_counter() - started,
    )  # fmt: skip
