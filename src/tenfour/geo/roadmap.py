"""`RoadMap`: one loaded map and everything asked of it (snap, drive times, routes, names).

Positions are placed on the road network by snapping to the nearest road segment;
the short walk from the point to the road is not part of any ETA or distance.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections.abc import Callable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeAlias

import numpy as np
from numpy.typing import NDArray

from tenfour.geo.addresses import Places, read_csv
from tenfour.geo.errors import GeocodeError, MapError, OutsideMapError
from tenfour.geo.geocoder import Geocoder
from tenfour.geo.geocoding import Gazetteer, Geocoded, Street, check_query, distinct
from tenfour.geo.mapfile import is_map_file, read_map
from tenfour.geo.maps import find_map
from tenfour.geo.osm import RoadNetwork, load_network
from tenfour.geo.projection import LocalProjection
from tenfour.geo.routing import NO_ARC, ArcPoints, Router, Tree
from tenfour.geo.snapping import SegmentIndex
from tenfour.geo.streets import StreetLine
from tenfour.geo.values import (
    Bounds,
    DriveTimes,
    LatLon,
    Route,
    Snap,
    SnappedPoints,
    arc_rows,
    check_points,
    point_label,
)

if TYPE_CHECKING:
    from tenfour.geo.hierarchy import Hierarchy, Metric
    from tenfour.geo.index import DriveTimeIndex

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

DEMO_MAP: Final = "demo"
# The demo city's address data and landmarks, shipped next to its map (see ATTRIBUTION.md).
DEMO_PLACE_FILES: Final = ("sf_block_addresses_2016w1.csv", "sf-north-places.csv")
# Farther than this from every road, a point is not on this map (wrong city, bad GPS).
MAX_SNAP_M: Final = 2000.0
#: Route searches kept per map (``RoadMap.route``): about 0.25 MB each on the demo map.
ROUTE_TREES: Final = 64
# A point this close to a node where two named streets meet is "at" the corner.
CORNER_RADIUS_M: Final = 30.0
# How far reverse geocoding looks for a named street when the nearest road is unnamed.
NAMED_STREET_RADIUS_M: Final = 200.0


# placeholder row for origins snapped in bulk afterwards
_NOWHERE = Snap(0.0, 0.0, 0.0, "", (), -1)

PointLike: TypeAlias = Snap | Sequence[float]
OriginsLike: TypeAlias = SnappedPoints | FloatArray | Sequence[Snap | Sequence[float]]


class RoadMap:
    """A drive graph with snapping, drive times, routes and (reverse) geocoding."""

    def __init__(
        self,
        network: RoadNetwork,
        *,
        max_snap_m: float = MAX_SNAP_M,
        order: IntArray | None = None,
        meta: Mapping[str, Any] | None = None,
        places: Places | Callable[[], Places] | None = None,
    ) -> None:
        self.network = network
        self.max_snap_m = max_snap_m
        #: what the map file says of itself (source, SHA-256, attribution); {} for OSM
        self.meta: Mapping[str, Any] = dict(meta or {})
        self._order = order
        self._hierarchy: Hierarchy | None = None
        self._base_metric: Metric | None = None
        self._hierarchy_lock = threading.Lock()
        self._fingerprint: str | None = None
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
        # address points and places: read on first use (most runs never geocode)
        self._places_source = places
        self._places: Places | None = None
        self._geocoder: Geocoder | None = None
        self._lines: dict[int, StreetLine] = {}
        self._street_segments: dict[int, IntArray] | None = None
        self._names_lock = threading.RLock()
        self._trees: dict[tuple[bytes, bytes], tuple[Tree, FloatArray]] = {}
        self._trees_lock = threading.Lock()

    @classmethod
    def load(cls, path: str | Path, *, extra_places: Callable[[], Places] | None = None) -> RoadMap:
        """Load a map file (``.tenfour-map``) or an OSM file (``.osm``, ``.osm.pbf``);
        raises :class:`MapError`. Address points and places (the map file's, or the OSM
        file's ``addr:*`` and named features, plus ``extra_places``) are read on first use."""
        path = Path(path)
        if path.is_file() and is_map_file(path):
            stored = read_map(path)
            kept = stored.places

            def stored_places() -> Places:
                return kept.merged(extra_places()) if extra_places else kept

            return cls(stored.network, order=stored.rank, meta=stored.meta, places=stored_places)
        network = load_network(path)

        def osm_places() -> Places:
            from tenfour.geo.osmplaces import read_osm_places

            found = read_osm_places(path)
            return found.merged(extra_places()) if extra_places else found

        return cls(network, places=osm_places)

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

    # ---- the drive-time hierarchy ---------------------------------------------------

    @property
    def hierarchy(self) -> Hierarchy:
        """The contraction hierarchy of the map (built on first use, then kept)."""
        with self._hierarchy_lock:
            if self._hierarchy is None:
                from tenfour.geo.hierarchy import Hierarchy
                from tenfour.geo.ordering import contraction_order

                net = self.network
                if self._order is None:
                    self._order = contraction_order(net.lat, net.lon, net.arc_from, net.arc_to)
                self._hierarchy = Hierarchy(net.node_count, net.arc_from, net.arc_to, self._order)
            return self._hierarchy

    def metric_for(self, arc_time_s: FloatArray | None = None) -> Metric:
        """The hierarchy customized for these arc times (``None``: the map's, kept)."""
        hierarchy = self.hierarchy
        if arc_time_s is not None:
            if arc_time_s.shape != (self.arc_count,):
                raise ValueError(f"{arc_time_s.size} arc times for {self.arc_count} arcs")
            return hierarchy.customize(arc_time_s, self.network.arc_length_m)
        with self._hierarchy_lock:
            if self._base_metric is None:
                net = self.network
                self._base_metric = hierarchy.customize(net.arc_time_s, net.arc_length_m)
            return self._base_metric

    def index(
        self, arc_time_s: FloatArray | None = None, *, engine: str = "auto"
    ) -> DriveTimeIndex:
        """A new, empty :class:`DriveTimeIndex` of units on this map (see its engines)."""
        from tenfour.geo.index import DriveTimeIndex

        return DriveTimeIndex(self, arc_time_s, engine=engine)

    @property
    def fingerprint(self) -> str:
        """Names this road graph: the same for the same nodes and arcs, whatever the file.

        Journaled road closures carry it, so segment ids are only trusted on their map.
        """
        if self._fingerprint is None:
            net = self.network
            digest = hashlib.sha256()
            for array in (net.node_id, net.arc_from, net.arc_to):
                digest.update(np.ascontiguousarray(array, dtype=np.int64).tobytes())
            self._fingerprint = f"{net.node_count}n-{net.arc_count}a-{digest.hexdigest()[:16]}"
        return self._fingerprint

    def arc_points(self, origins: OriginsLike) -> ArcPoints:
        """Points as arcs and fractions (snapped unless already :class:`Snap`)."""
        return self._as_arc_points(origins)

    def target_point(self, to: PointLike) -> ArcPoints:
        """One target point as arcs and fractions (errors name the field ``to``)."""
        return ArcPoints(*arc_rows([self._as_snap(to, "to")]))

    # ---- snapping ---------------------------------------------------------------

    def snap(self, lat: float, lon: float) -> Snap:
        """The nearest point on the nearest road segment to (``lat``, ``lon``)."""
        return self._snap(check_points([(lat, lon)], "", single=True), "", single=True)[0]

    def snap_many(
        self, points: Sequence[Sequence[float]] | FloatArray, *, strict: bool = True
    ) -> SnappedPoints:
        """Snap an ``(n, 2)`` array (or sequence) of ``(lat, lon)`` in one vectorised pass.

        ``strict=False`` snaps points off the map too, instead of raising
        :class:`OutsideMapError`: their ``distance_m`` is above :attr:`max_snap_m`.
        """
        return self._snap(check_points(points, "points"), "points", strict=strict)

    def _snap(
        self,
        latlon: FloatArray,
        label: str,
        *,
        single: bool = False,
        index_of: Sequence[int] | None = None,
        strict: bool = True,
    ) -> SnappedPoints:
        if latlon.shape[0] == 0:
            none = np.zeros((0, 2))
            return SnappedPoints(
                none[:, 0], none[:, 0], none[:, 0], none[:, 0].astype(np.int64),
                none.astype(np.int64), none, (),
            )  # fmt: skip
        xy = self._projection.to_xy(latlon[:, 0], latlon[:, 1])
        hits = self._segments.nearest(xy, self.max_snap_m)
        too_far = np.flatnonzero(hits.distance_m > self.max_snap_m)
        if too_far.size and strict:
            i = int(too_far[0])
            raise OutsideMapError(
                float(latlon[i, 0]),
                float(latlon[i, 1]),
                float(hits.distance_m[i]),
                self.max_snap_m,
                point_label(label, i, single, index_of),
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
        end = self._as_snap(to, "to")
        tree, lengths = self._route_tree(end)
        origins = ArcPoints(*arc_rows([start]))
        choice = self._router.choose(tree, origins, lengths)
        net = self.network
        first_arc = int(origins.arc[0, int(choice.column[0])])
        join = int(choice.join[0])
        points: list[LatLon] = [(start.lat, start.lon)]
        arcs = [first_arc]
        along_target = True  # the last stretch runs along the target's street
        if join >= 0:
            nodes = self._router.path(tree, join)
            points += [(float(net.lat[v]), float(net.lon[v])) for v in nodes]
            tails = np.asarray(nodes[:-1], dtype=np.int64)
            heads = np.asarray(nodes[1:], dtype=np.int64)
            arcs += self._router.arc_between(tails, heads).tolist()
            if join == int(net.arc_from[first_arc]):  # left from the node it stood on
                arcs.pop(0)
            along_target = tree.entries[nodes[-1]][1] > 0
        streets = [net.names[net.arc_name[a]] for a in arcs]
        if along_target:
            streets.append(end.street)
        points.append((end.lat, end.lon))
        drawn = [p for i, p in enumerate(points) if i == 0 or p != points[i - 1]]
        return Route(float(choice.eta_s[0]), float(choice.distance_m[0]), drawn, distinct(streets))

    # ---- names ------------------------------------------------------------------

    def geocode(self, text: str) -> Geocoded | None:
        """Where ``text`` is: an address, a block, an intersection, a place or a street
        (see :class:`tenfour.geo.geocoder.Geocoder`); None when it is on no street or
        place of the map. Raises :class:`GeocodeError` for an empty or overlong text
        and :class:`OutsideMapError` for coordinates off the map."""
        check_query(text)
        try:
            return self.geocoder.locate(text)
        except OutsideMapError:
            raise
        except GeocodeError:
            return None

    def locate(self, text: str) -> Geocoded:
        """Like :meth:`geocode`, but says why in a :class:`GeocodeError` when not found."""
        return self.geocoder.locate(text)

    def suggest(self, text: str, limit: int = 5) -> list[Geocoded]:
        """Answers for a text still being typed (autocomplete), best first."""
        return self.geocoder.suggest(text, limit)

    def describe(self, lat: float, lon: float) -> str:
        """ "523 Mission Street, near Mission Street & 1st Street" for a point on the map
        (:class:`OutsideMapError` when it is not)."""
        return self.geocoder.describe(lat, lon)

    def reverse_geocode(self, lat: float, lon: float) -> str:
        """The street at a point, or "A & B" within ~30 m of where two named streets meet."""
        snap = self.snap(lat, lon)
        street = snap.street or self._nearest_named_street(lat, lon)
        names = self._names()
        corner = names.nearest_corner(self._projection.to_xy(lat, lon)[0], CORNER_RADIUS_M)
        if corner is not None:
            return names.corner_name(corner, street)
        return street or "unnamed road"

    @property
    def places(self) -> Places:
        """The map's address points and named places (read on first use)."""
        with self._names_lock:
            if self._places is None:
                source = self._places_source
                self._places = source() if callable(source) else (source or Places.empty())
            return self._places

    def add_places(self, places: Places) -> None:
        """More address points and places (the demo's shipped files); the geocoder is
        built again on next use."""
        with self._names_lock:
            self._places = self.places.merged(places)
            self._geocoder = None

    @property
    def geocoder(self) -> Geocoder:
        """The geocoder of this map and its places (built on first use, then kept)."""
        with self._names_lock:
            if self._geocoder is None:
                self._geocoder = self.geocoder_with(self.places)
            return self._geocoder

    def geocoder_with(self, places: Places) -> Geocoder:
        """A geocoder of this map's streets with other places (leave-one-out tests)."""
        return Geocoder(
            network=self.network,
            projection=self._projection,
            gazetteer=self._names(),
            line_of=self.street_line,
            snap=self.snap,
            places=places,
        )

    def street_line(self, street: Street) -> StreetLine:
        """The segments of one street, for positions along it (kept once built)."""
        with self._names_lock:
            line = self._lines.get(street.index)
            if line is None:
                if self._street_segments is None:
                    self._street_segments = self._segments_by_street()
                segments = self._street_segments.get(street.index, np.zeros(0, dtype=np.int64))
                line = StreetLine(self._xy, self._seg_a[segments], self._seg_b[segments])
                self._lines[street.index] = line
            return line

    def _segments_by_street(self) -> dict[int, IntArray]:
        street_of = np.full(len(self.network.names), -1, dtype=np.int64)
        for street in self._names().streets:
            street_of[list(street.names)] = street.index
        owner = street_of[self._seg_name]
        order = np.argsort(owner, kind="stable")
        keys, starts = np.unique(owner[order], return_index=True)
        ends = [*starts[1:].tolist(), order.size]
        return {
            int(k): order[b:e] for k, b, e in zip(keys.tolist(), starts.tolist(), ends, strict=True)
            if k >= 0
        }  # fmt: skip

    # ---- road segments (closures) -------------------------------------------------

    @property
    def segment_count(self) -> int:
        """Road segments: node pairs joined by an arc in one or both directions."""
        return int(self._seg_a.size)

    def segment_arcs(self, segments: IntArray) -> IntArray:
        """``(k, 2)`` arcs of each segment: forward and backward, :data:`NO_ARC` if none."""
        return np.stack([self._seg_fwd[segments], self._seg_bwd[segments]], axis=1)

    def segment_streets(self, segments: IntArray) -> list[str]:
        """The street name of each segment ("" when unnamed)."""
        names = self.network.names
        return [names[i] for i in self._seg_name[segments].tolist()]

    def segments_within(self, lat: float, lon: float, radius_m: float) -> IntArray:
        """Segments passing within ``radius_m`` of a point, nearest first."""
        check_points([(lat, lon)], "", single=True)
        return self._segments.within(self._projection.to_xy(lat, lon)[0], radius_m)

    def street_segments(self, street: str) -> IntArray:
        """Every segment of a street, matched like :meth:`geocode` matches names."""
        check_query(street)
        keys = self._names().name_indices(street)
        if not keys.size:
            return np.zeros(0, dtype=np.int64)
        found: IntArray = np.flatnonzero(np.isin(self._seg_name, keys))
        return found

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
        # a segment's name: its forward arc's, unless that is blank and the other is not
        blank = net.names.index("") if "" in net.names else -1
        name_f = net.arc_name[np.maximum(self._seg_fwd, 0)]
        name_b = net.arc_name[np.maximum(self._seg_bwd, 0)]
        use_b = (self._seg_fwd == NO_ARC) | ((name_f == blank) & (self._seg_bwd != NO_ARC))
        self._seg_name = np.where(use_b, name_b, name_f)

    def _names(self) -> Gazetteer:
        # built on first use: most scenario runs never geocode
        with self._names_lock:
            if self._gazetteer is None:
                self._gazetteer = Gazetteer(self.network, self._xy)
            return self._gazetteer

    def _route_tree(self, end: Snap) -> tuple[Tree, FloatArray]:
        """The whole search towards ``end`` and its lengths, kept for the last
        ``ROUTE_TREES`` targets: drives end at the same stations, posts, hospitals and
        scenes again and again, and the search is the same for every origin."""
        target = ArcPoints(*arc_rows([end]))
        key = (target.arc.tobytes(), target.fraction.tobytes())
        with self._trees_lock:
            found = self._trees.pop(key, None)
            if found is not None:
                self._trees[key] = found  # the most recently used last
                return found
        tree = self._router.search(target)
        found = (tree, self._router.lengths(tree))
        with self._trees_lock:
            self._trees[key] = found
            while len(self._trees) > ROUTE_TREES:
                del self._trees[next(iter(self._trees))]
        return found

    def _search(self, to: PointLike, limit_s: float) -> Tree:
        target = self._as_snap(to, "to")
        return self._router.search(ArcPoints(*arc_rows([target])), limit_s)

    def _as_snap(self, point: PointLike, label: str) -> Snap:
        if isinstance(point, Snap):
            return point
        return self._snap(check_points([point], label, single=True), label, single=True)[0]

    def _as_arc_points(self, origins: OriginsLike) -> ArcPoints:
        if isinstance(origins, SnappedPoints):
            return ArcPoints(origins.arc, origins.fraction)
        if isinstance(origins, np.ndarray):
            snapped = self._snap(check_points(origins, "origins"), "origins")
            return ArcPoints(snapped.arc, snapped.fraction)
        items: list[Snap | Sequence[float]] = list(origins)
        # a mix is allowed: Snap objects are used as they are, the rest snapped in bulk
        raw_at = [i for i, o in enumerate(items) if not isinstance(o, Snap)]
        raw: list[Sequence[float]] = [o for o in items if not isinstance(o, Snap)]
        arc, fraction = arc_rows([o if isinstance(o, Snap) else _NOWHERE for o in items])
        if raw:
            # errors name the caller's index, not the index among the raw points
            latlon = check_points(raw, "origins", index_of=raw_at)
            snapped = self._snap(latlon, "origins", index_of=raw_at)
            arc[raw_at] = snapped.arc
            fraction[raw_at] = snapped.fraction
        return ArcPoints(arc, fraction)

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


def demo_map_path() -> Path:
    """Path of the shipped demo map (northern San Francisco, OpenStreetMap data)."""
    return Path(str(resources.files("tenfour").joinpath("data/maps/sf-north.osm")))


def demo_places() -> Places:
    """The demo city's shipped address points (SFFD block points) and landmarks."""
    folder = demo_map_path().parent
    places = Places.empty()
    for name in DEMO_PLACE_FILES:
        places = places.merged(read_csv(folder / name).places)
    return places


def load_map(name_or_path: str | Path) -> RoadMap:
    """Load a map once per file per process (cached): ``"demo"``, the name of an
    imported map (see :mod:`tenfour.geo.maps`), or the path of a map file or an OSM file.

    A path that does not exist and has no suffix is tried by its last part as a map
    name, so a scenario's ``map: porto`` (made relative to the scenario) still finds it.
    """
    text = str(name_or_path)
    if text == DEMO_MAP:
        path = demo_map_path()
    else:
        path = Path(name_or_path)
        if not path.exists() and not path.suffix:
            named = find_map(path.name)
            if named is not None:
                path = named
    resolved = path.resolve()
    try:
        stat = resolved.stat()
    except OSError:
        raise MapError(
            path, f"file not found (nor an imported map of that name; built in: {DEMO_MAP})"
        ) from None
    # the file's size and mtime are in the key so an edited file is loaded again
    return _load_cached(str(resolved), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _load_cached(path: str, mtime_ns: int, size: int) -> RoadMap:
    # the demo: the OSM file's own places, then the shipped address points and landmarks
    extra = demo_places if Path(path) == demo_map_path().resolve() else None
    return RoadMap.load(path, extra_places=extra)
