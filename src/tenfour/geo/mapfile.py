"""The compact map file (``.tenfour-map``): an imported drive graph that loads in a blink.

A map file is a compressed numpy archive (``.npz``, no pickles) holding a
:class:`RoadNetwork` (nodes, arcs with length, time and street name; the largest
strongly connected part only, already cut out), the contraction order of its
drive-time hierarchy, the map's address points and named places (``addr_*`` arrays
and a ``places`` JSON list; see :mod:`tenfour.geo.addresses`), and a JSON ``meta`` record: format and version, the source file
(name, size, SHA-256), the data's attribution and how it was made. Loading checks
the format, the version and every array's shape and range, and never re-runs the
import's expensive steps (OSM parsing, connected components, nested dissection).

Version history: 1 (first); 2 (address points and named places; a version 1 file
still loads, with none).
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from tenfour.geo.addresses import Place, Places
from tenfour.geo.errors import MapError
from tenfour.geo.osm import RoadNetwork

FORMAT: Final = "tenfour-map"
VERSION: Final = 2
READABLE: Final = frozenset({1, 2})
SUFFIX: Final = ".tenfour-map"
ATTRIBUTION: Final = "Map data (c) OpenStreetMap contributors, ODbL 1.0"

_INTS: Final = ("node_id", "arc_from", "arc_to", "arc_name", "arc_class", "arc_way", "rank")
_FLOATS: Final = ("lat", "lon", "arc_length_m", "arc_time_s")


@dataclass(frozen=True, slots=True, eq=False)
class MapFile:
    """What a map file holds: the network, its contraction order and the record."""

    network: RoadNetwork
    rank: NDArray[np.int64]
    meta: Mapping[str, Any]
    places: Places


def sha256_of(path: Path) -> str:
    """SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def write_map(
    path: Path,
    network: RoadNetwork,
    rank: NDArray[np.int64],
    meta: Mapping[str, Any],
    places: Places | None = None,
) -> int:
    """Write a map file atomically (a temporary file renamed over ``path``); its size."""
    places = places if places is not None else Places.empty()
    record = {"format": FORMAT, **meta, "version": VERSION}
    record.update(nodes=network.node_count, arcs=network.arc_count)
    record.update(addresses=len(places), named_places=len(places.named))
    arrays: dict[str, NDArray[Any]] = {
        "meta": _json_bytes(record),
        "names": _json_bytes(list(network.names)),
        "classes": _json_bytes(list(network.classes)),
        "node_id": network.node_id.astype(np.int64),
        "lat": network.lat.astype(np.float64),
        "lon": network.lon.astype(np.float64),
        "arc_from": network.arc_from.astype(np.int32),
        "arc_to": network.arc_to.astype(np.int32),
        "arc_length_m": network.arc_length_m.astype(np.float64),
        "arc_time_s": network.arc_time_s.astype(np.float64),
        "arc_name": network.arc_name.astype(np.int32),
        "arc_class": network.arc_class.astype(np.int32),
        "arc_way": network.arc_way.astype(np.int64),
        "rank": rank.astype(np.int32),
        "addr_lat": places.lat.astype(np.float64),
        "addr_lon": places.lon.astype(np.float64),
        "addr_number": places.number.astype(np.int64),
        "addr_kind": places.kind.astype(np.int8),
        "addr_origin": places.origins.astype(np.int32),
        "addr_street": _json_bytes(list(places.street)),
        "addr_unit": _json_bytes(list(places.unit)),
        "places": _json_bytes([_place_json(p) for p in places.named]),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    with partial.open("wb") as handle:
        np.savez_compressed(handle, allow_pickle=False, **arrays)
        handle.flush()
        os.fsync(handle.fileno())
    partial.replace(path)
    return path.stat().st_size


def is_map_file(path: Path) -> bool:
    """True for a ``.tenfour-map`` name, or a zip archive holding a ``meta`` record."""
    if path.name.endswith(SUFFIX):
        return True
    try:
        with zipfile.ZipFile(path) as archive:
            return "meta.npy" in archive.namelist()
    except (OSError, zipfile.BadZipFile):
        return False


def read_map(path: Path) -> MapFile:
    """Read and check a map file; :class:`MapError` names the file and what is wrong."""
    try:
        with path.open("rb") as handle, np.load(handle, allow_pickle=False) as archive:
            if "meta" not in archive.files:
                raise MapError(path, f"not a {FORMAT} file (no meta record)")
            meta = _check_meta(path, json.loads(archive["meta"].tobytes().decode("utf-8")))
            arrays = {name: archive[name] for name in (*_INTS, *_FLOATS)}
            names = tuple(json.loads(archive["names"].tobytes().decode("utf-8")))
            classes = tuple(json.loads(archive["classes"].tobytes().decode("utf-8")))
            places = _read_places(path, archive) if "addr_lat" in archive.files else None
    except MapError:
        raise
    except (
        zipfile.BadZipFile, EOFError, OSError, KeyError, ValueError, UnicodeDecodeError, TypeError,
    ) as exc:  # fmt: skip
        if isinstance(exc, FileNotFoundError):
            raise MapError(path, "file not found") from None
        raise MapError(
            path, f"file is truncated or corrupt ({type(exc).__name__}: {exc})"
        ) from None
    network = RoadNetwork(
        source=str(meta.get("source", path)),
        node_id=arrays["node_id"].astype(np.int64),
        lat=arrays["lat"].astype(np.float64),
        lon=arrays["lon"].astype(np.float64),
        arc_from=arrays["arc_from"].astype(np.int64),
        arc_to=arrays["arc_to"].astype(np.int64),
        arc_length_m=arrays["arc_length_m"].astype(np.float64),
        arc_time_s=arrays["arc_time_s"].astype(np.float64),
        arc_name=arrays["arc_name"].astype(np.int64),
        arc_class=arrays["arc_class"].astype(np.int64),
        arc_way=arrays["arc_way"].astype(np.int64),
        names=tuple(str(n) for n in names),
        classes=tuple(str(c) for c in classes),
    )
    rank = arrays["rank"].astype(np.int64)
    _check_arrays(path, network, rank)
    return MapFile(network, rank, meta, places if places is not None else Places.empty())


def _place_json(place: Place) -> dict[str, object]:
    return {
        "name": place.name, "lat": place.lat, "lon": place.lon, "category": place.category,
        "aliases": list(place.aliases), "address": place.address, "origin": place.origin,
    }  # fmt: skip


def _read_places(path: Path, archive: Any) -> Places:
    lat = archive["addr_lat"].astype(np.float64)
    n = lat.size
    street = json.loads(archive["addr_street"].tobytes().decode("utf-8"))
    unit = json.loads(archive["addr_unit"].tobytes().decode("utf-8"))
    arrays = [archive[k] for k in ("addr_lon", "addr_number", "addr_kind", "addr_origin")]
    if any(a.size != n for a in arrays) or len(street) != n or len(unit) != n:
        raise MapError(path, "inconsistent map file: address arrays differ in length")
    if n and not (np.all(np.abs(lat) <= 90) and np.all(np.abs(arrays[0]) <= 180)):
        raise MapError(path, "inconsistent map file: an address point is not a valid lat/lon")
    named = tuple(
        Place(
            str(p["name"]),
            float(p["lat"]),
            float(p["lon"]),
            str(p.get("category", "")),
            tuple(str(a) for a in p.get("aliases", [])),
            str(p.get("address", "")),
            int(p.get("origin", 0)),
        )
        for p in json.loads(archive["places"].tobytes().decode("utf-8"))
    )
    return Places(
        lat, arrays[0].astype(np.float64), arrays[1].astype(np.int64),
        arrays[2].astype(np.int64), tuple(str(s) for s in street), tuple(str(u) for u in unit),
        named, arrays[3].astype(np.int64),
    )  # fmt: skip


def _json_bytes(value: object) -> NDArray[np.uint8]:
    return np.frombuffer(json.dumps(value, ensure_ascii=False).encode("utf-8"), dtype=np.uint8)


def _check_meta(path: Path, meta: object) -> dict[str, Any]:
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise MapError(path, f"not a {FORMAT} file")
    version = meta.get("version")
    if version not in READABLE:
        raise MapError(
            path,
            f"map file format version {version!r}, this Ten-Four reads versions "
            f"{', '.join(map(str, sorted(READABLE)))}: "
            "import the OSM extract again with `tenfour map import`",
        )
    return meta


def _check_arrays(path: Path, net: RoadNetwork, rank: NDArray[np.int64]) -> None:
    n, m = net.node_count, net.arc_count
    problems = []
    if n == 0 or m == 0:
        problems.append("no roads")
    if net.lat.size != n or net.lon.size != n or rank.size != n:
        problems.append("node arrays differ in length")
    arc_arrays = (
        net.arc_to,
        net.arc_length_m,
        net.arc_time_s,
        net.arc_name,
        net.arc_class,
        net.arc_way,
    )
    if any(a.size != m for a in arc_arrays):
        problems.append("arc arrays differ in length")
    elif m and n:
        if (
            min(net.arc_from.min(), net.arc_to.min()) < 0
            or max(net.arc_from.max(), net.arc_to.max()) >= n
        ):
            problems.append("an arc names a node that does not exist")
        if net.arc_name.min() < 0 or net.arc_name.max() >= max(len(net.names), 1):
            problems.append("an arc names a street that does not exist")
        if net.arc_class.min() < 0 or net.arc_class.max() >= max(len(net.classes), 1):
            problems.append("an arc has a road class that does not exist")
        if not (np.all(np.isfinite(net.arc_time_s)) and net.arc_time_s.min() > 0):
            problems.append("arc times must be positive numbers")
    if rank.size == n and n and not np.array_equal(np.sort(rank), np.arange(n)):
        problems.append("the contraction order is not a permutation of the nodes")
    if problems:
        raise MapError(path, "inconsistent map file: " + "; ".join(problems))
