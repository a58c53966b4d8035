"""The compact map file (``.tenfour-map``): an imported drive graph that loads in a blink.

A map file is a compressed numpy archive (``.npz``, no pickles) holding a
:class:`RoadNetwork` (nodes, arcs with length, time and street name; the largest
strongly connected part only, already cut out), the contraction order of its
drive-time hierarchy, and a JSON ``meta`` record: format and version, the source file
(name, size, SHA-256), the data's attribution and how it was made. Loading checks
the format, the version and every array's shape and range, and never re-runs the
import's expensive steps (OSM parsing, connected components, nested dissection).

Version history: 1 (first).
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

from tenfour.geo.errors import MapError
from tenfour.geo.osm import RoadNetwork

FORMAT: Final = "tenfour-map"
VERSION: Final = 1
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


def sha256_of(path: Path) -> str:
    """SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def write_map(
    path: Path, network: RoadNetwork, rank: NDArray[np.int64], meta: Mapping[str, Any]
) -> int:
    """Write a map file atomically (a temporary file renamed over ``path``); its size."""
    record = {"format": FORMAT, "version": VERSION, **meta}
    record.update(nodes=network.node_count, arcs=network.arc_count)
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
    except MapError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, KeyError, ValueError, UnicodeDecodeError) as exc:
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
    return MapFile(network, rank, meta)


def _json_bytes(value: object) -> NDArray[np.uint8]:
    return np.frombuffer(json.dumps(value, ensure_ascii=False).encode("utf-8"), dtype=np.uint8)


def _check_meta(path: Path, meta: object) -> dict[str, Any]:
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise MapError(path, f"not a {FORMAT} file")
    version = meta.get("version")
    if version != VERSION:
        raise MapError(
            path,
            f"map file format version {version!r}, this Ten-Four reads version {VERSION}: "
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
