"""Named maps: where imported map files live, and ``import_map`` that makes them.

A map imported as ``porto`` is the file ``porto.tenfour-map`` in the maps folder:
``$TENFOUR_MAPS`` when set, else ``$XDG_DATA_HOME/tenfour/maps`` (by default
``~/.local/share/tenfour/maps``). ``load_map("porto")`` looks in ``$TENFOUR_MAPS``,
then ``./maps`` (a project's own folder), then the user folder.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol

import numpy as np

from tenfour import __version__
from tenfour.geo.errors import MapError
from tenfour.geo.mapfile import ATTRIBUTION, SUFFIX, sha256_of, write_map
from tenfour.geo.ordering import geometric_order, inertial_flow_order
from tenfour.geo.osm import load_network

MAPS_ENV: Final = "TENFOUR_MAPS"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def user_maps_dir() -> Path:
    """``$XDG_DATA_HOME/tenfour/maps``, by default ``~/.local/share/tenfour/maps``."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "tenfour" / "maps"


def default_maps_dir() -> Path:
    """Where ``tenfour map import`` writes: ``$TENFOUR_MAPS``, else the user folder."""
    configured = os.environ.get(MAPS_ENV)
    return Path(configured) if configured else user_maps_dir()


def maps_dirs() -> list[Path]:
    """Folders searched for a named map, in order."""
    folders = []
    if os.environ.get(MAPS_ENV):
        folders.append(Path(os.environ[MAPS_ENV]))
    folders += [Path.cwd() / "maps", user_maps_dir()]
    return folders


def check_name(name: str) -> str:
    """A map name: letters, digits, ``_ . -``, at most 64 characters."""
    if not _NAME.match(name):
        raise MapError(name, "a map name is 1-64 letters, digits, '_', '.' or '-'")
    return name


def find_map(name: str) -> Path | None:
    """The map file of a named map, if one of the maps folders has it."""
    if not _NAME.match(name):
        return None
    for folder in maps_dirs():
        path = folder / f"{name}{SUFFIX}"
        if path.is_file():
            return path
    return None


def installed_maps() -> Iterator[tuple[str, Path]]:
    """``(name, path)`` of every map file in the maps folders (first one wins)."""
    seen: set[str] = set()
    for folder in maps_dirs():
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob(f"*{SUFFIX}")):
            name = path.name[: -len(SUFFIX)]
            if name not in seen:
                seen.add(name)
                yield name, path


def default_name(source: Path) -> str:
    """``porto_portugal.osm.pbf`` -> ``porto_portugal``."""
    stem = source.name.split(".")[0] or "map"
    cleaned = re.sub(r"[^A-Za-z0-9_.-]", "-", stem).lstrip("._-")[:64]
    return cleaned or "map"


class ImportProgress(Protocol):
    """How an import tells what it is doing (the CLI draws a progress bar)."""

    def stage(self, description: str, total: float | None) -> None:
        """A new step starts; ``total`` units of work, or None when unknown."""

    def update(self, completed: float) -> None:
        """Work done so far in the current step."""


@dataclass(frozen=True, slots=True)
class Imported:
    """What ``import_map`` wrote."""

    name: str
    path: Path
    nodes: int
    arcs: int
    bytes: int
    seconds: float
    meta: dict[str, Any]


def import_map(
    source: str | Path,
    *,
    name: str | None = None,
    out: str | Path | None = None,
    progress: ImportProgress | None = None,
    order: Callable[..., Any] | None = None,
) -> Imported:
    """Turn an OSM extract into a map file; raises :class:`MapError` for a bad file.

    Writes ``out`` if given, else ``NAME.tenfour-map`` in :func:`default_maps_dir`.
    ``order`` replaces the contraction order (tests use the geometric one).
    """
    started = time.perf_counter()
    source = Path(source)
    name = check_name(name or default_name(source))
    target = Path(out) if out is not None else default_maps_dir() / f"{name}{SUFFIX}"
    if not source.is_file():
        raise MapError(source, "file not found" if not source.exists() else "not a file")
    size = source.stat().st_size
    show = progress or _Silent()

    show.stage("checking the file (SHA-256)", 1)
    digest = sha256_of(source)
    show.update(1)

    show.stage("reading roads (ways read)", None)
    network = load_network(source, progress=show.update)

    show.stage("reading addresses and named places", 1)
    from tenfour.geo.osmplaces import read_osm_places

    places = read_osm_places(source)
    show.update(1)

    show.stage("ordering the drive-time hierarchy", 1)
    how = "inertial flow (RoutingKit)"
    try:
        rank = (order or inertial_flow_order)(
            network.lat, network.lon, network.arc_from, network.arc_to
        )
    except (ImportError, RuntimeError, ValueError):
        how = "geometric (coordinate bisection)"
        rank = geometric_order(network.lat, network.lon, network.arc_from, network.arc_to)
    if order is not None:
        how = getattr(order, "__name__", "custom")
    show.update(1)

    show.stage("writing the map file", 1)
    meta: dict[str, Any] = {
        "name": name,
        "source": source.name,
        "source_bytes": size,
        "source_sha256": digest,
        "attribution": ATTRIBUTION,
        "created_by": f"tenfour {__version__}",
        "order": how,
        "roads": "largest strongly connected part; one-way streets; no turn restrictions",
        "speeds": "maxspeed where tagged, else by road class (tenfour.geo.tags)",
        "places_revision": 1,
        "places_sources": [
            {
                "file": source.name, "sha256": digest, "kind": "OSM addr:* and named places",
                "addresses": len(places), "named_places": len(places.named),
            }
        ],
    }  # fmt: skip
    written = write_map(target, network, np.asarray(rank, dtype=np.int64), meta, places)
    show.update(1)

    show.stage("checking drive times on the map file", 1)
    _check_served(target)
    show.update(1)
    return Imported(
        name, target, network.node_count, network.arc_count, written,
        time.perf_counter() - started, meta,
    )  # fmt: skip


def _check_served(path: Path) -> None:
    """Read the file back and rank once on it, as a server will (this also compiles
    the hierarchy's code, or loads it from numba's cache, before anyone waits on it)."""
    from tenfour.geo.index import compiled_available
    from tenfour.geo.roadmap import RoadMap

    roads = RoadMap.load(path)
    net = roads.network
    engine = "cch" if compiled_available() else "dijkstra"
    index = roads.index(engine=engine)
    here = (float(net.lat[0]), float(net.lon[0]))
    index.place("check", here)
    if not np.isfinite(index.drive_times(here).eta_s[0]):
        raise MapError(path, "the written map file does not route")


class _Silent:
    def stage(self, description: str, total: float | None) -> None:
        pass

    def update(self, completed: float) -> None:
        pass
