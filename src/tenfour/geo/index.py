"""`DriveTimeIndex`: units kept on the map, ranked by drive time to any point in milliseconds.

Each unit placed in the index is snapped once and labelled once: an upward search in
the contraction hierarchy (``hierarchy``) from the ends of its road, a few hundred
entries computed in microseconds. Ranking them all toward a point is then one upward
search from the point and a scan of the parts of the labels that search shares,
exact like a Dijkstra over the whole graph (same snapped start and end fractions as
``routing``), without one. Moving a unit relabels that unit only.

Arc times can change (road closures, slow-downs): :meth:`DriveTimeIndex.set_arc_times`
customizes a new metric (tens of milliseconds on a city) and relabels every unit.

Engines: ``"cch"`` is the above (compiled with numba); ``"dijkstra"`` keeps only the
snapped positions and runs scipy's Dijkstra from the target for each ranking, bounded
by ``limit_s`` when given (a millisecond or two on a town, tens on a city). Both give
the same times. ``"auto"`` (see :meth:`DriveTimeIndex.choose_engine`) picks ``"cch"``
when numba is installed for maps of :data:`CCH_MIN_NODES` nodes or more, and switches
to it on maps of :data:`CCH_FLEET_MIN_NODES` or more once :data:`CCH_FLEET_UNITS`
units are placed; else ``"dijkstra"``. Measured (``bench/RESULTS.md``): per ranking the
hierarchy is never slower beyond noise on maps of 2,000 nodes or more and 100 to 5,000
units (SF 10,819 nodes, 5,000 units: 1.8 ms against 3.6 ms; Porto cuts of 14,570 and
69,764 nodes: 1.3 and 1.9 ms against 8.7 and 22 ms), but its first ranking in a fresh
process costs 2-3 s more (numba's import and cached kernels, the hierarchy). A scenario
or a test with tens of units makes a few dozen rankings and never earns that back; a
center with a fleet of a thousand makes that many in a day and saves milliseconds on
each, and on a city the Dijkstra alone takes 20 ms and more.

Thread safety: one lock per index; every public method takes it, so threads may share
an index (a ranking takes milliseconds). The compiled searches share scratch arrays,
which is why they never run concurrently on one index.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import TYPE_CHECKING, Final

import numpy as np
from numpy.typing import NDArray

from tenfour.geo.routing import NO_ARC, ArcPoints, Router
from tenfour.geo.values import DriveTimes

if TYPE_CHECKING:
    from tenfour.geo.hierarchy import Metric
    from tenfour.geo.roadmap import OriginsLike, PointLike, RoadMap

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

ENGINES: Final = ("auto", "cch", "dijkstra")
#: From this size on, ``"auto"`` uses the hierarchy from the start (scipy's Dijkstra
#: takes 20 ms and more per ranking there).
CCH_MIN_NODES: Final = 50_000
#: From this size on, ``"auto"`` switches to the hierarchy once it holds
#: :data:`CCH_FLEET_UNITS` units (below it the Dijkstra takes a millisecond or less).
CCH_FLEET_MIN_NODES: Final = 5_000
CCH_FLEET_UNITS: Final = 1_000
_MIN_SLOTS = 64
_MIN_POOL = 4096
_BATCH_ROOM = 4096  # labels a pool grows by at once, at the least


@dataclass(frozen=True, slots=True, eq=False)
class Ranking:
    """Units from fastest to slowest (stable on ties, unreachable last)."""

    keys: tuple[Hashable, ...]
    eta_s: FloatArray
    distance_m: FloatArray

    def __len__(self) -> int:
        return len(self.keys)


class DriveTimeIndex:
    """Units (any hashable key) on ``roads``, ranked by drive time to a point."""

    def __init__(
        self, roads: RoadMap, arc_time_s: FloatArray | None = None, *, engine: str = "auto"
    ) -> None:
        if engine not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
        # "auto" starts as the rule says for an empty index and may switch to the
        # hierarchy once the fleet is big enough (see ``choose_engine``)
        self._auto = engine == "auto"
        if engine == "auto":
            engine = self.choose_engine(roads.node_count)
        self.engine = engine
        self.roads = roads
        self._lock = threading.Lock()
        net = roads.network
        self._arc_length = net.arc_length_m
        self._arc_time = net.arc_time_s if arc_time_s is None else arc_time_s
        self._partial = _partial_times(self._arc_time, net.arc_time_s)
        self._router: Router | None = None
        self._metric: Metric | None = None
        # units: slots and their labels in one pool
        self._slot_of: dict[Hashable, int] = {}
        self._key_of: list[Hashable | None] = []
        self._free: list[int] = []
        self._arc = np.full((_MIN_SLOTS, 2), NO_ARC, dtype=np.int64)
        self._fraction = np.zeros((_MIN_SLOTS, 2), dtype=np.float64)
        self._label_start = np.zeros(_MIN_SLOTS, dtype=np.int64)
        self._label_shared = np.zeros(_MIN_SLOTS, dtype=np.int32)
        self._label_size = np.zeros(_MIN_SLOTS, dtype=np.int32)
        self._pool_node = np.zeros(_MIN_POOL, dtype=np.int32)
        self._pool_t = np.zeros(_MIN_POOL, dtype=np.float64)
        self._pool_l = np.zeros(_MIN_POOL, dtype=np.float64)
        self._pool_end = 0
        self._live = 0  # pool entries of labels in use
        self._all_slots: IntArray | None = None  # of every unit, in keys() order
        self._all_keys: list[Hashable] = []
        if engine == "cch":
            self._use_hierarchy(arc_time_s)
        else:
            self._router = self._new_router()
            self._scratch(room=1, nodes=0)

    @staticmethod
    def choose_engine(node_count: int, units: int = 0) -> str:
        """The engine ``"auto"`` runs with ``units`` placed on a map of ``node_count``
        nodes: the hierarchy on a city (:data:`CCH_MIN_NODES`), or on a town
        (:data:`CCH_FLEET_MIN_NODES`) once it holds a fleet (:data:`CCH_FLEET_UNITS`);
        scipy's Dijkstra otherwise, or when numba is missing (measured in the module
        docstring)."""
        if node_count >= CCH_MIN_NODES:
            wanted = True
        else:
            wanted = node_count >= CCH_FLEET_MIN_NODES and units >= CCH_FLEET_UNITS
        return "cch" if wanted and compiled_available() else "dijkstra"

    # ---- the units ------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._slot_of)

    def __contains__(self, key: object) -> bool:
        return key in self._slot_of

    def keys(self) -> list[Hashable]:
        """Keys of the units in the index, in slot order (a removed unit's slot is reused)."""
        with self._lock:
            return [k for k in self._key_of if k is not None and k in self._slot_of]

    def place(self, key: Hashable, position: PointLike) -> None:
        """Put a unit at ``position`` (a :class:`Snap` or ``(lat, lon)``), or move it there."""
        self.place_many([key], [position])

    def place_many(self, keys: Sequence[Hashable], positions: OriginsLike) -> None:
        """Put or move many units at once (positions snapped in one pass if not already).

        Raises :class:`OutsideMapError` or :class:`CoordinateError` (and places none)
        when a position is off the map or not a coordinate.
        """
        points = self.roads.arc_points(positions)
        if points.arc.shape[0] != len(keys):
            raise ValueError(f"{len(keys)} keys for {points.arc.shape[0]} positions")
        if len(set(keys)) != len(keys):
            raise ValueError("each key may be placed once per call")
        with self._lock:
            slots = np.fromiter((self._slot_for(k) for k in keys), dtype=np.int64, count=len(keys))
            self._arc[slots] = points.arc
            self._fraction[slots] = points.fraction
            self._label(slots)
            grown = self._auto and self._metric is None
            if grown and self.choose_engine(self.roads.node_count, len(self)) == "cch":
                self._become_cch()

    def remove(self, key: Hashable) -> None:
        """Take a unit out of the index (nothing happens for an unknown key)."""
        with self._lock:
            self._remove(key)

    def retain(self, keys: Iterable[Hashable]) -> None:
        """Remove every unit whose key is not in ``keys``."""
        keep = set(keys)
        with self._lock:
            for key in [k for k in self._slot_of if k not in keep]:
                self._remove(key)

    # ---- drive times ----------------------------------------------------------------

    def drive_times(
        self, to: PointLike, keys: Sequence[Hashable] | None = None, *, limit_s: float = np.inf
    ) -> DriveTimes:
        """Fastest time (s) and its length (m) from each unit of ``keys`` (default: all,
        in :meth:`keys` order) to ``to``; ``inf`` where no road leads there or slower
        than ``limit_s``. Raises ``KeyError`` for a key not in the index."""
        return self._drive_times(to, keys, limit_s)[0]

    def ranking(
        self, to: PointLike, keys: Sequence[Hashable] | None = None, *, limit_s: float = np.inf
    ) -> Ranking:
        """The units of ``keys`` (default: all) from fastest to slowest toward ``to``."""
        times, keys = self._drive_times(to, keys, limit_s)
        order = times.ranking()
        if len(keys) > 1:
            ranked: tuple[Hashable, ...] = itemgetter(*order.tolist())(keys)
        else:
            ranked = tuple(keys)
        return Ranking(ranked, times.eta_s[order], times.distance_m[order])

    # ---- arc times ------------------------------------------------------------------

    @property
    def arc_time_s(self) -> FloatArray:
        """The arc times in force (``inf`` on closed arcs)."""
        return self._arc_time

    def set_arc_times(self, arc_time_s: FloatArray | None) -> None:
        """Drive with these arc times from now on (``None``: the map's own); relabels all."""
        base = self.roads.network.arc_time_s
        times = base if arc_time_s is None else arc_time_s
        metric = self.roads.metric_for(arc_time_s) if self.engine == "cch" else None
        with self._lock:
            self._arc_time = times
            self._partial = _partial_times(times, base)
            if metric is None:
                self._router = self._new_router()
                return
            self._metric = metric
            slots = np.asarray(sorted(self._slot_of.values()), dtype=np.int64)
            self._live = 0
            self._pool_end = 0
            self._label_size[:] = 0
            self._label(slots)

    # ---- internals ------------------------------------------------------------------

    def _use_hierarchy(self, arc_time_s: FloatArray | None) -> None:
        """Set up the ``"cch"`` engine: the map's hierarchy with these arc times."""
        net = self.roads.network
        self._hierarchy = self.roads.hierarchy
        self._metric = self.roads.metric_for(arc_time_s)
        rank = self._hierarchy.rank
        self._arc_from_rank = rank[net.arc_from]
        self._arc_to_rank = rank[net.arc_to]
        self._scratch(room=self._hierarchy.max_label, nodes=self.roads.node_count)

    def _scratch(self, room: int, nodes: int) -> None:
        """Scratch arrays of the compiled searches (none for the Dijkstra engine)."""
        self._dist = np.full(nodes, np.inf)
        self._dlen = np.full(nodes, np.inf)
        self._seen = np.zeros(room, dtype=np.int32)
        self._tag = np.zeros(room, dtype=np.int8)
        self._mark = np.zeros(nodes, dtype=np.uint8)

    def _become_cch(self) -> None:
        """Switch an ``"auto"`` index that grew a fleet to the hierarchy, labelling
        every unit (the arc times in force carry over)."""
        base = self.roads.network.arc_time_s
        self._use_hierarchy(None if self._arc_time is base else self._arc_time)
        self.engine = "cch"
        self._router = None
        slots = np.asarray(sorted(self._slot_of.values()), dtype=np.int64)
        self._live = 0
        self._pool_end = 0
        self._label_size[:] = 0
        self._label(slots)

    def _new_router(self) -> Router:
        net = self.roads.network
        return Router(
            net.node_count, net.arc_from, net.arc_to, self._arc_time, net.arc_length_m,
            self._partial,
        )  # fmt: skip

    def _drive_times(
        self, to: PointLike, keys: Sequence[Hashable] | None, limit_s: float
    ) -> tuple[DriveTimes, Sequence[Hashable]]:
        target = self.roads.target_point(to)
        with self._lock:
            if keys is None:
                keys, slots = self._every_unit()
            elif len(keys) == 0:
                slots = np.zeros(0, dtype=np.int64)
            else:
                found = itemgetter(*keys)(self._slot_of)
                slots = np.array(found if len(keys) > 1 else [found], dtype=np.int64)
            eta, metres = self._times(target, slots, limit_s)
        beyond = eta > limit_s
        if beyond.any():
            eta, metres = np.where(beyond, np.inf, eta), np.where(beyond, np.inf, metres)
        return DriveTimes(eta, metres), keys

    def _every_unit(self) -> tuple[list[Hashable], IntArray]:
        """Every key in :meth:`keys` order and its slot (kept until a unit comes or goes)."""
        if self._all_slots is None:
            self._all_keys = [k for k in self._key_of if k is not None and k in self._slot_of]
            self._all_slots = np.array([self._slot_of[k] for k in self._all_keys], dtype=np.int64)
        return self._all_keys, self._all_slots

    def _remove(self, key: Hashable) -> None:
        slot = self._slot_of.pop(key, None)
        if slot is not None:
            self._all_slots = None
            self._live -= int(self._label_size[slot])
            self._label_size[slot] = 0
            self._label_shared[slot] = 0
            self._key_of[slot] = None
            self._free.append(slot)

    def _slot_for(self, key: Hashable) -> int:
        slot = self._slot_of.get(key)
        if slot is not None:
            return slot
        self._all_slots = None
        if self._free:
            slot = self._free.pop()
            self._key_of[slot] = key
        else:
            slot = len(self._key_of)
            self._key_of.append(key)
            if slot >= self._arc.shape[0]:
                self._grow_slots(2 * self._arc.shape[0])
        self._slot_of[key] = slot
        return slot

    def _grow_slots(self, capacity: int) -> None:
        def grown(array: NDArray[np.generic], fill: float) -> NDArray[np.generic]:
            bigger = np.full((capacity, *array.shape[1:]), fill, dtype=array.dtype)
            bigger[: array.shape[0]] = array
            return bigger

        self._arc = grown(self._arc, NO_ARC)  # type: ignore[assignment]
        self._fraction = grown(self._fraction, 0.0)  # type: ignore[assignment]
        self._label_start = grown(self._label_start, 0)  # type: ignore[assignment]
        self._label_shared = grown(self._label_shared, 0)  # type: ignore[assignment]
        self._label_size = grown(self._label_size, 0)  # type: ignore[assignment]

    def _starts(
        self, arc: IntArray, fraction: FloatArray
    ) -> tuple[NDArray[np.int32], FloatArray, FloatArray]:
        """Where units at ``fraction`` of ``arc`` join the graph, and the time and metres
        to get there: the head of the arc, or its tail when standing exactly on it."""
        valid = arc != NO_ARC
        safe = np.where(valid, arc, 0)
        at_tail = fraction == 0.0
        node = np.where(at_tail, self._arc_from_rank[safe], self._arc_to_rank[safe])
        rest = np.where(at_tail, 0.0, 1.0 - fraction)
        heads = np.where(valid, node, -1).astype(np.int32)
        start_t = np.where(valid, rest * self._partial[safe], np.inf)
        start_l = np.where(valid, rest * self._arc_length[safe], np.inf)
        return heads, start_t, start_l

    def _label(self, slots: IntArray) -> None:
        if self._metric is None:  # the Dijkstra engine keeps positions only
            return
        from tenfour.geo import kernels

        old = int(self._label_size[slots].sum())
        self._live -= old
        self._label_size[slots] = 0
        heads, start_t, start_l = self._starts(self._arc[slots], self._fraction[slots])
        h = self._hierarchy
        m = self._metric
        room = h.max_label
        done = 0
        while done < slots.size:
            count, end = kernels.place_units(
                h.up_start, h.up_nodes, h.parent, m.up_time, m.up_length, m.down_time,
                heads[done:], start_t[done:], start_l[done:],
                self._pool_node, self._pool_t, self._pool_l, self._pool_end, room,
                self._label_start, self._label_shared, self._label_size, slots[done:],
                self._dist, self._dlen, self._seen, self._tag,
            )  # fmt: skip
            placed = slots[done : done + count]
            self._live += int(self._label_size[placed].sum())
            self._pool_end = int(end)
            done += int(count)
            if done < slots.size:
                self._compact(extra=min(slots.size - done, _BATCH_ROOM) * room)

    def _compact(self, extra: int) -> None:
        """Move the live labels to the front of the pool, with room for ``extra`` more
        entries and as many again as are live (so compactions stay rare).

        In place while the pool has that room: it is the index's biggest allocation
        (about 30 MB with 2,000 units moving on the demo map), and a fresh pool at each
        compaction, allocated while the old one was still held, made the lease holder's
        resident memory swing by a pool's size every minute or two, the freed pools
        kept resident by the C allocator (issue 15's soak, ``MALLOC_ARENA_MAX=2``). A
        new pool only when the live labels outgrow this one, or fill under an eighth of
        it (a fleet that shrank for good).
        """
        from tenfour.geo import kernels

        capacity = max(_MIN_POOL, 2 * self._live + extra)
        live = np.fromiter(self._slot_of.values(), dtype=np.int64, count=len(self._slot_of))
        live = live[self._label_size[live] > 0]
        # In pool order: each label moves down, never onto one not yet moved.
        live = live[np.argsort(self._label_start[live], kind="stable")]
        if capacity <= self._pool_node.size <= 4 * capacity:
            node, t, length = self._pool_node, self._pool_t, self._pool_l
        else:
            node = np.zeros(capacity, dtype=np.int32)
            t = np.zeros(capacity, dtype=np.float64)
            length = np.zeros(capacity, dtype=np.float64)
        end = kernels.compact_pool(
            self._pool_node, self._pool_t, self._pool_l, self._label_start, self._label_size,
            live, node, t, length,
        )  # fmt: skip
        self._pool_node, self._pool_t, self._pool_l = node, t, length
        self._pool_end = int(end)

    def _times(
        self, target: ArcPoints, slots: IntArray, limit_s: float
    ) -> tuple[FloatArray, FloatArray]:
        eta = np.empty(slots.size, dtype=np.float64)
        metres = np.empty(slots.size, dtype=np.float64)
        if slots.size == 0:
            return eta, metres
        if self._metric is None:
            assert self._router is not None
            tree = self._router.search(target, limit_s)
            points = ArcPoints(self._arc[slots], self._fraction[slots])
            choice = self._router.choose(tree, points, self._router.lengths(tree))
            return choice.eta_s, choice.distance_m
        from tenfour.geo import kernels

        arc, fraction = target.arc[0], target.fraction[0]
        valid = arc != NO_ARC
        safe = np.where(valid, arc, 0)
        at_head = fraction >= 1.0
        node = np.where(at_head, self._arc_to_rank[safe], self._arc_from_rank[safe])
        heads = np.where(valid, node, -1).astype(np.int32)
        part = np.where(at_head, 0.0, fraction)
        start_t = np.where(valid, part * self._partial[safe], np.inf)
        start_l = np.where(valid, part * self._arc_length[safe], np.inf)
        h = self._hierarchy
        m = self._metric
        kernels.rank_units(
            h.up_start, h.up_nodes, h.parent, m.down_time, m.down_length,
            heads, start_t, start_l,
            self._pool_node, self._pool_t, self._pool_l,
            self._label_start, self._label_shared, self._label_size, slots,
            self._mark, self._dist, self._dlen, self._seen, self._tag,
            eta, metres,
        )  # fmt: skip
        # straight ahead on the target's own arc, for a unit behind the target
        unit_arc = self._arc[slots]
        unit_fraction = self._fraction[slots]
        for a, s in zip(arc.tolist(), fraction.tolist(), strict=True):
            if a == NO_ARC:
                continue
            ahead = (unit_arc == a) & (unit_fraction <= s)
            if not ahead.any():
                continue
            gap = np.where(ahead, s - unit_fraction, np.inf).min(axis=1)
            direct = gap * self._partial[a]
            better = direct <= eta
            eta = np.where(better, direct, eta)
            metres = np.where(better, gap * self._arc_length[a], metres)
        return eta, metres


def compiled_available() -> bool:
    """True when numba is installed (the ``"cch"`` engine can run)."""
    return importlib.util.find_spec("numba") is not None


def _partial_times(times: FloatArray, base: FloatArray) -> FloatArray:
    """Time for part of an arc: the arc's time in force, its usual one if closed."""
    partial: FloatArray = np.where(np.isfinite(times), times, base)
    return partial
