"""Read an OSM file (XML or PBF) into a directed drive graph, :class:`RoadNetwork`.

Every pair of consecutive way nodes becomes one arc per allowed direction, without
simplification, so snapping and drawing follow the real street geometry. Only the
largest strongly connected component is kept: a car can then drive from any node to
any other, and a point snapped onto a fragment cut off by the map's edge (or by a
gated private road) can never get an ETA of "unreachable" where one exists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import osmium
from numpy.typing import NDArray
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components

from tenfour.geo.errors import MapError
from tenfour.geo.projection import haversine_m
from tenfour.geo.tags import TAG_KEYS, directions, is_drivable, speed_kmh, way_name

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

# A zero travel time would make scipy's sparse graph treat the arc as absent in some
# operations, and two OSM nodes can share a position; one millisecond changes nothing.
MIN_ARC_TIME_S = 1e-3

_KNOWN_SUFFIXES = (".osm", ".pbf", ".osm.gz", ".osm.bz2", ".opl", ".o5m", ".osc")
# How often (in ways read) ``load_network`` reports progress.
_PROGRESS_EVERY = 2000
# Messages of libosmium's parsers that mean the file stops in the middle.
_TRUNCATION_HINTS = ("eof", "no element found", "unclosed token", "truncated")


@dataclass(frozen=True, slots=True, eq=False)
class RoadNetwork:
    """A directed drive graph as flat numpy arrays (arcs sorted by ``(from, to)``, unique).

    Node arrays are indexed by node index ``0..n-1``; arc arrays by arc index.
    ``arc_name`` and ``arc_class`` index into ``names`` and ``classes``.
    """

    source: str
    node_id: IntArray
    lat: FloatArray
    lon: FloatArray
    arc_from: IntArray
    arc_to: IntArray
    arc_length_m: FloatArray
    arc_time_s: FloatArray
    arc_name: IntArray
    arc_class: IntArray
    arc_way: IntArray
    names: tuple[str, ...]
    classes: tuple[str, ...]

    @property
    def node_count(self) -> int:
        return int(self.node_id.size)

    @property
    def arc_count(self) -> int:
        return int(self.arc_from.size)


@dataclass(slots=True)
class _Collected:
    """Way nodes as read, in file order; a new piece starts at each way or missing node."""

    refs: list[int]
    lats: list[float]
    lons: list[float]
    pieces: list[int]
    # per piece:
    forward_kmh: list[float]  # 0.0 when that direction is closed
    backward_kmh: list[float]
    name: list[int]
    klass: list[int]
    way: list[int]


def load_network(path: str | Path, progress: Callable[[int], None] | None = None) -> RoadNetwork:
    """Load ``path`` (``.osm``, ``.osm.pbf``, ...) into a :class:`RoadNetwork`.

    Raises :class:`MapError` naming the file and the reason when it is missing, empty,
    truncated, not OSM data, or holds no drivable road. ``progress`` is told how many
    road ways have been read, now and then.
    """
    path = Path(path)
    source = _open_checked(path)
    collected, names, classes = _read_ways(path, source, progress)
    if not collected.way:
        raise MapError(path, "no drivable roads (highway=* ways) in the file")
    network = _build(str(path), collected, names, classes)
    if network.arc_count == 0:
        raise MapError(path, "no drivable roads (highway=* ways) in the file")
    return network


def _open_checked(path: Path) -> osmium.io.File:
    if not path.exists():
        raise MapError(path, "file not found")
    if not path.is_file():
        raise MapError(path, "not a file")
    if path.stat().st_size == 0:
        raise MapError(path, "file is empty")
    name = path.name.lower()
    if name.endswith(_KNOWN_SUFFIXES):
        return osmium.io.File(str(path))
    # Unknown extension: look at the first bytes, XML starts with "<", PBF is binary.
    with path.open("rb") as handle:
        head = handle.read(64).lstrip()
    return osmium.io.File(str(path), "osm" if head.startswith(b"<") else "pbf")


def _read_ways(
    path: Path, source: osmium.io.File, progress: Callable[[int], None] | None = None
) -> tuple[_Collected, tuple[str, ...], tuple[str, ...]]:
    got = _Collected([], [], [], [], [], [], [], [], [])
    name_index: dict[str, int] = {}
    class_index: dict[str, int] = {}
    # Nodes must pass through so the location cache fills; only ways reach Python
    # because KeyFilter drops untagged nodes and EntityFilter the tagged ones.
    processor = (
        osmium.FileProcessor(source, osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    piece = -1
    ways = 0
    try:
        for way in processor:
            if not isinstance(way, osmium.osm.Way):  # the filters let only ways through
                continue
            ways += 1
            if progress is not None and ways % _PROGRESS_EVERY == 0:
                progress(ways)
            # copying the few keys used is much faster than all tags (tiger:* and more)
            way_tags = way.tags
            tags = {k: v for k in TAG_KEYS if (v := way_tags.get(k)) is not None}
            if not is_drivable(tags):
                continue
            forward, backward = directions(tags)
            fwd = speed_kmh(tags, forward=True) if forward else 0.0
            bwd = speed_kmh(tags, forward=False) if backward else 0.0
            name = name_index.setdefault(way_name(tags), len(name_index))
            klass = class_index.setdefault(tags["highway"], len(class_index))
            start_piece = True
            for node in way.nodes:
                location = node.location
                if not location.valid():
                    # node missing from the extract: the way continues as a new piece
                    start_piece = True
                    continue
                if start_piece:
                    piece += 1
                    got.forward_kmh.append(fwd)
                    got.backward_kmh.append(bwd)
                    got.name.append(name)
                    got.klass.append(klass)
                    got.way.append(way.id)
                    start_piece = False
                got.refs.append(node.ref)
                got.lats.append(location.lat)
                got.lons.append(location.lon)
                got.pieces.append(piece)
    except RuntimeError as exc:
        message = str(exc)
        if any(hint in message.lower() for hint in _TRUNCATION_HINTS):
            raise MapError(path, f"file is truncated or corrupt ({message})") from exc
        raise MapError(path, f"not an OSM file ({message})") from exc
    if progress is not None:
        progress(ways)
    return got, tuple(name_index), tuple(class_index)


def _build(
    source: str, got: _Collected, names: tuple[str, ...], classes: tuple[str, ...]
) -> RoadNetwork:
    refs = np.asarray(got.refs, dtype=np.int64)
    lats = np.asarray(got.lats, dtype=np.float64)
    lons = np.asarray(got.lons, dtype=np.float64)
    pieces = np.asarray(got.pieces, dtype=np.int64)
    node_id, first, node_of = np.unique(refs, return_index=True, return_inverse=True)
    lat, lon = lats[first], lons[first]

    # consecutive entries of the same piece are the road segments
    same = pieces[1:] == pieces[:-1]
    a = node_of[:-1][same]
    b = node_of[1:][same]
    seg_piece = pieces[1:][same]
    keep = a != b
    a, b, seg_piece = a[keep], b[keep], seg_piece[keep]
    length = haversine_m(lat[a], lon[a], lat[b], lon[b])

    fwd_kmh = np.asarray(got.forward_kmh, dtype=np.float64)[seg_piece]
    bwd_kmh = np.asarray(got.backward_kmh, dtype=np.float64)[seg_piece]
    name = np.asarray(got.name, dtype=np.int64)[seg_piece]
    klass = np.asarray(got.klass, dtype=np.int64)[seg_piece]
    way = np.asarray(got.way, dtype=np.int64)[seg_piece]
    fw, bw = fwd_kmh > 0, bwd_kmh > 0
    arc_from = np.concatenate([a[fw], b[bw]])
    arc_to = np.concatenate([b[fw], a[bw]])
    arc_length = np.concatenate([length[fw], length[bw]])
    kmh = np.concatenate([fwd_kmh[fw], bwd_kmh[bw]])
    arc_time = np.maximum(arc_length / (kmh / 3.6), MIN_ARC_TIME_S)
    arc_name = np.concatenate([name[fw], name[bw]])
    arc_class = np.concatenate([klass[fw], klass[bw]])
    arc_way = np.concatenate([way[fw], way[bw]])

    # Two ways over the same node pair: keep the faster arc (routing would anyway),
    # which also keeps the sparse matrix free of duplicates that scipy would sum.
    order = np.lexsort((arc_time, arc_to, arc_from))
    arc_from, arc_to = arc_from[order], arc_to[order]
    first_of_pair = np.ones(order.size, dtype=bool)
    first_of_pair[1:] = (arc_from[1:] != arc_from[:-1]) | (arc_to[1:] != arc_to[:-1])
    pick = order[first_of_pair]
    arc_from, arc_to = arc_from[first_of_pair], arc_to[first_of_pair]
    arc_length, arc_time = arc_length[pick], arc_time[pick]
    arc_name, arc_class, arc_way = arc_name[pick], arc_class[pick], arc_way[pick]

    keep_node = _largest_strong_component(node_id.size, arc_from, arc_to)
    new_index = np.cumsum(keep_node) - 1
    keep_arc = keep_node[arc_from] & keep_node[arc_to]
    return RoadNetwork(
        source=source,
        node_id=node_id[keep_node],
        lat=lat[keep_node],
        lon=lon[keep_node],
        arc_from=new_index[arc_from[keep_arc]],
        arc_to=new_index[arc_to[keep_arc]],
        arc_length_m=arc_length[keep_arc],
        arc_time_s=arc_time[keep_arc],
        arc_name=arc_name[keep_arc],
        arc_class=arc_class[keep_arc],
        arc_way=arc_way[keep_arc],
        names=names,
        classes=classes,
    )


def _largest_strong_component(n: int, arc_from: IntArray, arc_to: IntArray) -> NDArray[np.bool_]:
    """Mask of the nodes in the largest strongly connected component (lowest label on ties)."""
    if arc_from.size == 0:
        return np.zeros(n, dtype=bool)
    graph = csr_array((np.ones(arc_from.size), (arc_from, arc_to)), shape=(n, n))
    _, labels = connected_components(graph, directed=True, connection="strong")
    sizes = np.bincount(labels)
    mask: NDArray[np.bool_] = labels == int(np.argmax(sizes))
    return mask
