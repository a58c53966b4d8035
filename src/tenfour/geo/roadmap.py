"""`RoadMap`: one loaded map and everything asked of it (snap, drive times, routes, names).

Positions are placed on the road network by snapping to the nearest road segment;
the short walk from the point to the road is not part of any ETA or distance.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Final, TypeAlias

import numpy as np
from numpy.typing import NDArray

from tenfour.geo.errors import CoordinateError, GeocodeError, MapError, OutsideMapError
from tenfour.geo.geocoding import _MAX_QUERY_CHARS, Gazetteer, Geocoded, distinct
from tenfour.geo.osm import RoadNetwork, load_network
from tenfour.geo.projection import LocalProjection
from tenfour.geo.routing import NO_ARC, ArcPoints, Router, Tree
from tenfour.geo.snapping import SegmentIndex

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
LatLon: TypeAlias = tuple[float, float]

DEMO_MAP: Final = "demo"
# Farther than this from every road, a point is not on this map (wrong city, bad GPS).
MAX_SNAP_M: Final = 2000.0
# A point this close to a node where two named streets meet is "at" the corner.
CORNER_RADIUS_M: Final = 30.0
# How far reverse geocoding looks for a named street when the nearest road is unnamed.
NAMED_STREET_RADIUS_M: Final = 200.0


@dataclass(frozen=True, slots=True)
class Bounds:
    """The box around every node of the map, in degrees."""

    south: float
    west: float
    north: float
    east: float


@dataclass(frozen=True, slots=True)
class ArcPosition:
    """A position on one directed arc: ``fraction`` 0 at its tail, 1 at its head."""

    arc: int
    fraction: float


@dataclass(frozen=True, slots=True)
class Snap:
    """A point placed on the nearest road segment.

    ``arcs`` holds both directions of a two-way street and one for a one-way street.
    """

    lat: float
    lon: float
    distance_m: float
    street: str
    arcs: tuple[ArcPosition, ...]
    segment: int


@dataclass(frozen=True, slots=True)
class SnappedPoints:
    """Many snapped points as arrays, for callers that keep unit positions snapped."""

    lat: FloatArray
    lon: FloatArray
    distance_m: FloatArray
    segment: IntArray
    arc: IntArray  # (n, 2), NO_ARC where a one-way street has no second arc
    fraction: FloatArray  # (n, 2)
    street: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.lat.size)

    def __getitem__(self, i: int) -> Snap:
        arcs = tuple(
            ArcPosition(int(a), float(f))
            for a, f in zip(self.arc[i], self.fraction[i], strict=True)
            if a != NO_ARC
        )
        return Snap(
            float(self.lat[i]),
            float(self.lon[i]),
            float(self.distance_m[i]),
            self.street[i],
            arcs,
            int(self.segment[i]),
        )


@dataclass(frozen=True, slots=True)
class DriveTimes:
    """Fastest drive time (s) and its length (m) from each origin; ``inf`` if unreachable."""

    eta_s: FloatArray
    distance_m: FloatArray

    def __len__(self) -> int:
        return int(self.eta_s.size)

    def ranking(self) -> IntArray:
        """Origin indices from fastest to slowest (stable on ties, unreachable last)."""
        order: IntArray = np.argsort(self.eta_s, kind="stable")
        return order


@dataclass(frozen=True, slots=True)
class Route:
    """The fastest route between two points, with the points to draw it."""

    eta_s: float
    distance_m: float
    points: list[LatLon]
    streets: list[str]


# placeholder row for origins snapped in bulk afterwards
_NOWHERE = Snap(0.0, 0.0, 0.0, "", (), -1)

PointLike: TypeAlias = LatLon | Snap | Sequence[float]
OriginsLike: TypeAlias = SnappedPoints | FloatArray | Sequence[Snap | Sequence[float]]


class RoadMap:
    """A drive graph with snapping, drive times, routes and (reverse) geocoding."""

    def __init__(self, network: RoadNetwork, *, max_snap_m: float = MAX_SNAP_M) -> None:
        self.network = network
        self.max_snap_m = max_snap_m
        net = network
        self._projection = LocalProjection(
            float((net.lat.min() + net.lat.max()) / 2), float((net.lon.min() + net.lon.max()) / 2)
        )
        self._xy = self._projection.to_xy(net.lat, net.lon)
        self._router = Router(
            net.node_count, net.arc_from, net.arc_to, net.arc_time_s, net.arc_length_m
        )
        self._build_segments()
        self._segments = SegmentIndex(self._xy, self._seg_a, self._seg_b)
        self._gazetteer: Gazetteer | None = None
        self._named_segments: tuple[SegmentIndex, IntArray] | None = None

    @classmethod
    def load(cls, path: str | Path) -> RoadMap:
        """Load an OSM file (``.osm``, ``.osm.pbf``); raises :class:`MapError`."""
        return cls(load_network(path))

    # ---- properties -------------------------------------------------------------

    @property
    def bounds(self) -> Bounds:
        net = self.network
        return Bounds(
            float(net.lat.min()), float(net.lon.min()), float(net.lat.max()), float(net.lon.max())
        )

    @property
    def node_count(self) -> int:
        return self.network.node_count

    @property
    def arc_count(self) -> int:
        return self.network.arc_count

    # ---- snapping ---------------------------------------------------------------

    def snap(self, lat: float, lon: float) -> Snap:
        """The nearest point on the nearest road segment to (``lat``, ``lon``)."""
        return self.snap_many([(lat, lon)], what="point")[0]

    def snap_many(
        self, points: Sequence[Sequence[float]] | FloatArray, *, what: str = "points"
    ) -> SnappedPoints:
        """Snap an ``(n, 2)`` array (or sequence) of ``(lat, lon)`` in one vectorised pass."""
        latlon = _check_points(points, what)
        if latlon.shape[0] == 0:
            empty_i = np.zeros(0, dtype=np.int64)
            empty_f = np.zeros(0, dtype=np.float64)
            return SnappedPoints(
                empty_f,
                empty_f,
                empty_f,
                empty_i,
                np.zeros((0, 2), np.int64),
                np.zeros((0, 2)),
                (),
            )
        xy = self._projection.to_xy(latlon[:, 0], latlon[:, 1])
        hits = self._segments.nearest(xy, self.max_snap_m)
        too_far = np.flatnonzero(hits.distance_m > self.max_snap_m)
        if too_far.size:
            i = int(too_far[0])
            raise OutsideMapError(
                float(latlon[i, 0]), float(latlon[i, 1]), float(hits.distance_m[i]), self.max_snap_m
            )
        seg = hits.segment
        t = hits.fraction
        arc = np.stack([self._seg_fwd[seg], self._seg_bwd[seg]], axis=1)
        fraction = np.stack([t, 1.0 - t], axis=1)
        lat, lon = self._projection.to_latlon(hits.xy)
        names = self.network.names
        street = tuple(names[i] for i in self._seg_name[seg].tolist())
        return SnappedPoints(lat, lon, hits.distance_m, seg, arc, fraction, street)

    # ---- drive times ------------------------------------------------------------

    def drive_times(
        self,
        to: PointLike,
        origins: OriginsLike,
        *,
        limit_s: float = np.inf,
        with_distance: bool = True,
    ) -> DriveTimes:
        """Fastest drive time from every origin to ``to``, with one search.

        ``origins`` may be pre-snapped (:class:`SnappedPoints` from :meth:`snap_many`,
        or :class:`Snap` objects) so positions that did not move are not snapped again.
        ``limit_s`` bounds the search: origins slower than that get ``inf``. ``with_distance=False``
        skips the metres (``nan``) when only the ranking matters.
        """
        points = self._as_arc_points(origins)
        if points.arc.shape[0] == 0:
            return DriveTimes(np.zeros(0), np.zeros(0))
        tree = self._search(to, limit_s)
        lengths = self._router.lengths(tree) if with_distance else None
        choice = self._router.choose(tree, points, lengths)
        # an origin just past the limit can still be finite (its arc's head was reached)
        beyond = choice.eta_s > limit_s
        eta = np.where(beyond, np.inf, choice.eta_s)
        return DriveTimes(eta, np.where(beyond, np.inf, choice.distance_m))

    def route(self, origin: PointLike, to: PointLike) -> Route:
        """The fastest route from ``origin`` to ``to``, with its points and street names."""
        start = self._as_snap(origin, "origin")
        tree = self._search(to, np.inf)
        points = ArcPoints(*_arc_rows([start]))
        lengths = self._router.lengths(tree)
        choice = self._router.choose(tree, points, lengths)
        eta = float(choice.eta_s[0])
        target = tree.target
        end = self._as_snap(to, "to")
        names = self.network.names
        column = int(choice.column[0])
        first_arc = int(points.arc[0, column])
        path: list[LatLon] = [(start.lat, start.lon)]
        streets = [names[self.network.arc_name[first_arc]]]
        if not choice.direct[0]:
            node = int(self._router.arc_to[first_arc])
            pred = tree.pred
            while True:
                path.append((float(self.network.lat[node]), float(self.network.lon[node])))
                nxt = int(pred[node])
                if nxt == self._router.source:
                    break
                streets.append(names[self.network.arc_name[self._arc_between(node, nxt)]])
                node = nxt
            last = [
                a
                for a in target.arc[0].tolist()
                if a != NO_ARC and self._router.arc_from[a] == node
            ]
            streets.append(names[self.network.arc_name[last[0]]])
        path.append((end.lat, end.lon))
        deduped = [p for i, p in enumerate(path) if i == 0 or p != path[i - 1]]
        return Route(eta, float(choice.distance_m[0]), deduped, distinct(streets))

    # ---- names ------------------------------------------------------------------

    def geocode(self, text: str) -> Geocoded | None:
        """A street ("Main St") or intersection ("Main St & Mission St", "Main/Mission").

        Returns None when the map has no such street or the streets do not meet.
        Raises :class:`GeocodeError` for an empty or overlong text.
        """
        if not isinstance(text, str) or not text.strip():
            raise GeocodeError("address text is empty")
        if len(text) > _MAX_QUERY_CHARS:
            raise GeocodeError(f"address text is longer than {_MAX_QUERY_CHARS} characters")
        return self._names().geocode(text)

    def reverse_geocode(self, lat: float, lon: float) -> str:
        """The street at a point, or "A & B" within ~30 m of where two named streets meet."""
        snap = self.snap(lat, lon)
        street = snap.street or self._nearest_named_street(lat, lon)
        names = self._names()
        corner = names.nearest_corner(self._projection.to_xy(lat, lon)[0], CORNER_RADIUS_M)
        if corner is not None:
            return names.corner_name(corner, street)
        return street or "unnamed road"

    # ---- internals --------------------------------------------------------------

    def _build_segments(self) -> None:
        """Undirected segments (node pairs) with the arc of each direction, if any."""
        net = self.network
        n = net.node_count
        low = np.minimum(net.arc_from, net.arc_to)
        high = np.maximum(net.arc_from, net.arc_to)
        keys, inverse = np.unique(low * n + high, return_inverse=True)
        self._seg_a = keys // n
        self._seg_b = keys % n
        arcs = np.arange(net.arc_count, dtype=np.int64)
        forward = net.arc_from < net.arc_to
        self._seg_fwd = np.full(keys.size, NO_ARC, dtype=np.int64)
        self._seg_bwd = np.full(keys.size, NO_ARC, dtype=np.int64)
        self._seg_fwd[inverse[forward]] = arcs[forward]
        self._seg_bwd[inverse[~forward]] = arcs[~forward]
        some_arc = np.where(self._seg_fwd != NO_ARC, self._seg_fwd, self._seg_bwd)
        # a segment shown by name: prefer a named direction when the two differ
        name_f = np.where(self._seg_fwd != NO_ARC, net.arc_name[np.maximum(self._seg_fwd, 0)], -1)
        name_b = np.where(self._seg_bwd != NO_ARC, net.arc_name[np.maximum(self._seg_bwd, 0)], -1)
        empty = net.names.index("") if "" in net.names else -2
        self._seg_name = np.where((name_f >= 0) & (name_f != empty), name_f, net.arc_name[some_arc])
        self._seg_name = np.where((self._seg_name == empty) & (name_b >= 0), name_b, self._seg_name)

    def _names(self) -> Gazetteer:
        # built on first use: most scenario runs never geocode
        if self._gazetteer is None:
            self._gazetteer = Gazetteer(self.network, self._xy)
        return self._gazetteer

    def _search(self, to: PointLike, limit_s: float) -> Tree:
        target = self._as_snap(to, "to")
        return self._router.search(ArcPoints(*_arc_rows([target])), limit_s)

    def _as_snap(self, point: PointLike, what: str) -> Snap:
        if isinstance(point, Snap):
            return point
        return self.snap_many([point], what=what)[0]

    def _as_arc_points(self, origins: OriginsLike) -> ArcPoints:
        if isinstance(origins, SnappedPoints):
            return ArcPoints(origins.arc, origins.fraction)
        if isinstance(origins, np.ndarray):
            snapped = self.snap_many(origins, what="origins")
            return ArcPoints(snapped.arc, snapped.fraction)
        items: list[Snap | Sequence[float]] = list(origins)
        # a mix is allowed: Snap objects are used as they are, the rest snapped in bulk
        raw_at = [i for i, o in enumerate(items) if not isinstance(o, Snap)]
        raw: list[Sequence[float]] = [o for o in items if not isinstance(o, Snap)]
        arc, fraction = _arc_rows([o if isinstance(o, Snap) else _NOWHERE for o in items])
        if raw:
            snapped = self.snap_many(raw, what="origins")
            arc[raw_at] = snapped.arc
            fraction[raw_at] = snapped.fraction
        return ArcPoints(arc, fraction)

    def _arc_between(self, a: int, b: int) -> int:
        keys = self._router._pair_key
        return int(np.searchsorted(keys, a * (self.node_count + 2) + b))

    def _nearest_named_street(self, lat: float, lon: float) -> str:
        if self._named_segments is None:
            named = np.flatnonzero(
                np.array([bool(self.network.names[i]) for i in self._seg_name.tolist()], dtype=bool)
            )
            self._named_segments = (
                SegmentIndex(self._xy, self._seg_a[named], self._seg_b[named]),
                named,
            )
        index, named = self._named_segments
        if named.size == 0:
            return ""
        hits = index.nearest(self._projection.to_xy(lat, lon), NAMED_STREET_RADIUS_M)
        if hits.distance_m[0] > NAMED_STREET_RADIUS_M:
            return ""
        return self.network.names[int(self._seg_name[named[hits.segment[0]]])]


def _arc_rows(snaps: Sequence[Snap]) -> tuple[IntArray, FloatArray]:
    arc = np.full((len(snaps), 2), NO_ARC, dtype=np.int64)
    fraction = np.zeros((len(snaps), 2), dtype=np.float64)
    for i, snap in enumerate(snaps):
        for j, position in enumerate(snap.arcs[:2]):
            arc[i, j] = position.arc
            fraction[i, j] = position.fraction
    return arc, fraction


def _check_points(points: Sequence[Sequence[float]] | FloatArray, what: str) -> FloatArray:
    """``points`` as an ``(n, 2)`` float array of valid (lat, lon), or a clear error."""
    try:
        array = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise CoordinateError(what, points, "expected (lat, lon) numbers") from exc
    if array.size == 0:
        return np.zeros((0, 2), dtype=np.float64)
    if array.ndim != 2 or array.shape[1] != 2:
        raise CoordinateError(what, points, "expected (lat, lon) pairs")
    for column, field, limit in ((0, "lat", 90.0), (1, "lon", 180.0)):
        values = array[:, column]
        bad = np.flatnonzero(~np.isfinite(values) | (np.abs(values) > limit))
        if bad.size:
            i = int(bad[0])
            name = field if array.shape[0] == 1 else f"{what}[{i}].{field}"
            raise CoordinateError(
                name, float(values[i]), f"must be a number in -{limit:g}..{limit:g}"
            )
    return array


def demo_map_path() -> Path:
    """Path of the shipped demo map (northern San Francisco, OpenStreetMap data)."""
    return Path(str(resources.files("tenfour").joinpath("data/maps/sf-north.osm")))


def load_map(name_or_path: str | Path) -> RoadMap:
    """Load a map by name (``"demo"``) or path, once per file per process (cached)."""
    path = demo_map_path() if str(name_or_path) == DEMO_MAP else Path(name_or_path)
    resolved = path.resolve()
    try:
        stat = resolved.stat()
    except OSError:
        raise MapError(path, f"file not found (known map names: {DEMO_MAP})") from None
    # the file's size and mtime are in the key so an edited file is loaded again
    return _load_cached(str(resolved), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _load_cached(path: str, mtime_ns: int, size: int) -> RoadMap:
    return RoadMap.load(path)
