"""Snapping: the nearest point on the nearest road segment, exactly, in bulk.

Segments are the undirected node pairs of the drive graph. A k-d tree holds sample
points placed along every segment at most ``spacing_m`` apart (endpoints included),
so the segment nearest a query has a sample within ``D + spacing_m / 2`` of it, where
``D`` is its true distance. A first k-nearest-samples pass gives an upper bound on
``D``; a ball query of that radius then yields every segment that could be nearer,
and exact point-to-segment distances decide. Ties go to the lowest segment index, so
the result never depends on tree internals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

DEFAULT_SPACING_M = 20.0
# A point this close to a segment's end is at that node (fraction exactly 0 or 1), so
# routing lets it leave or be reached by every arc of the node.
NODE_TOLERANCE_M = 0.01
_FIRST_PASS_K = 8


@dataclass(frozen=True, slots=True)
class SegmentHits:
    """Nearest segment per query point: index, fraction ``t`` from ``a`` to ``b``,
    the snapped point (projected metres) and its distance to the query."""

    segment: IntArray
    fraction: FloatArray
    xy: FloatArray
    distance_m: FloatArray


class SegmentIndex:
    """Exact nearest-segment queries over segments ``a[i] -> b[i]`` of points ``xy``."""

    def __init__(
        self, xy: FloatArray, a: IntArray, b: IntArray, spacing_m: float = DEFAULT_SPACING_M
    ) -> None:
        self._start = xy[a]
        self._delta = xy[b] - xy[a]
        self._spacing = spacing_m
        lengths = np.hypot(self._delta[:, 0], self._delta[:, 1])
        pieces = np.maximum(np.ceil(lengths / spacing_m), 1).astype(np.int64)
        counts = pieces + 1
        owner = np.repeat(np.arange(a.size, dtype=np.int64), counts)
        # position of each sample within its segment: 0..pieces
        offsets = np.arange(owner.size, dtype=np.int64) - np.repeat(
            np.cumsum(counts) - counts, counts
        )
        t = offsets / pieces[owner]
        samples = self._start[owner] + t[:, None] * self._delta[owner]
        self._owner = owner
        # unbalanced, uncompacted: twice as fast to build and as fast to query; which
        # samples are found does not depend on the tree's shape
        self._tree = cKDTree(samples, balanced_tree=False, compact_nodes=False)

    @property
    def segment_count(self) -> int:
        return int(self._start.shape[0])

    def nearest(self, points: FloatArray, max_distance_m: float = np.inf) -> SegmentHits:
        """Nearest segment of each ``(n, 2)`` point; points farther than ``max_distance_m``
        from every sample come back with ``distance_m`` of at least that much."""
        n = points.shape[0]
        k = min(_FIRST_PASS_K, self._owner.size)
        _, idx = self._tree.query(points, k=k)
        idx = np.asarray(idx, dtype=np.int64).reshape(n, k)
        candidates = self._owner[idx]
        rows = np.repeat(np.arange(n, dtype=np.int64), k)
        _, dist = self._project(points[rows], candidates.ravel())
        bound = dist.reshape(n, k).min(axis=1)

        # Second pass: every segment that can beat the bound has a sample this close.
        far = bound > max_distance_m
        radius = np.where(far, 0.0, bound + self._spacing / 2 + 1e-6)
        found = self._tree.query_ball_point(points, r=radius, return_sorted=False)
        sizes = np.fromiter((len(f) for f in found), dtype=np.int64, count=n)
        rows2 = np.repeat(np.arange(n, dtype=np.int64), sizes)
        flat = (
            np.concatenate([np.asarray(f, dtype=np.int64) for f in found])
            if sizes.sum()
            else np.zeros(0, dtype=np.int64)
        )
        segs2 = self._owner[flat]
        # the first-pass candidates stay in, so far points still get their best guess
        rows_all = np.concatenate([rows, rows2])
        segs_all = np.concatenate([candidates.ravel(), segs2])
        t_all, dist_all = self._project(points[rows_all], segs_all)
        order = np.lexsort((segs_all, dist_all, rows_all))
        first = np.ones(order.size, dtype=bool)
        first[1:] = rows_all[order][1:] != rows_all[order][:-1]
        best = order[first]  # one per row, rows in ascending order
        seg = segs_all[best]
        frac = t_all[best]
        length = np.hypot(self._delta[seg, 0], self._delta[seg, 1])
        frac = np.where(frac * length <= NODE_TOLERANCE_M, 0.0, frac)
        frac = np.where((1.0 - frac) * length <= NODE_TOLERANCE_M, 1.0, frac)
        xy = self._start[seg] + frac[:, None] * self._delta[seg]
        return SegmentHits(seg, frac, xy, dist_all[best])

    def within(self, point: FloatArray, radius_m: float) -> IntArray:
        """Every segment that passes within ``radius_m`` of ``point`` (x, y), nearest
        first (ties by index)."""
        found = self._tree.query_ball_point(point, r=radius_m + self._spacing / 2 + 1e-6)
        candidates = np.unique(self._owner[np.asarray(found, dtype=np.int64)])
        if candidates.size == 0:
            return candidates
        _, dist = self._project(np.repeat(point[None, :], candidates.size, axis=0), candidates)
        order = np.lexsort((candidates, dist))
        near: IntArray = candidates[order][dist[order] <= radius_m]
        return near

    def _project(self, points: FloatArray, segs: IntArray) -> tuple[FloatArray, FloatArray]:
        """Fraction along, and distance to, segment ``segs[i]`` for ``points[i]``."""
        start = self._start[segs]
        delta = self._delta[segs]
        length2 = np.einsum("ij,ij->i", delta, delta)
        rel = points - start
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.einsum("ij,ij->i", rel, delta) / length2
        t = np.clip(np.nan_to_num(t, nan=0.0), 0.0, 1.0)
        gap = rel - t[:, None] * delta
        return t, np.hypot(gap[:, 0], gap[:, 1])
