"""Streets as lines: positions along one street, the way between two of them, and a
walk along it, for placing house numbers between (and beyond) known ones.

A street is every road segment whose name has one key (see :mod:`tenfour.geo.parsing`).
A position on it is a segment and a fraction; the way between two positions follows the
street's own segments (shortest along the street), so an interpolated number lands on
the street even where it bends; a walk past the last known number keeps going the
straightest way at each node, and says how far it ran past the street's end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

# A walk continues through a node only onto a segment turning less than this.
MAX_TURN_DEG: Final = 60.0


@dataclass(frozen=True, slots=True)
class Position:
    """A point on a street: ``t`` of the way from segment ``a`` to ``b`` (node indices)."""

    a: int
    b: int
    t: float


@dataclass(frozen=True, slots=True)
class Walked:
    """Where a walk along a street ended, and how much of it was left at a dead end."""

    xy: FloatArray
    short_m: float


class StreetLine:
    """One street's segments with their node coordinates (projected metres)."""

    def __init__(self, xy: FloatArray, a: IntArray, b: IntArray) -> None:
        self.xy = xy
        self.a = a
        self.b = b
        self.nodes, local = np.unique(np.concatenate([a, b]), return_inverse=True)
        self._la = local[: a.size]
        self._lb = local[a.size :]
        self.length = np.hypot(*(xy[b] - xy[a]).T)
        n = self.nodes.size
        weights = np.maximum(self.length, 1e-6)
        self._graph = csr_array(
            (np.concatenate([weights, weights]),
             (np.concatenate([self._la, self._lb]), np.concatenate([self._lb, self._la]))),
            shape=(n, n),
        )  # fmt: skip
        self._local = {int(v): i for i, v in enumerate(self.nodes.tolist())}
        self._neighbours: dict[int, list[int]] | None = None

    @property
    def total_m(self) -> float:
        return float(self.length.sum())

    def snap(self, points: FloatArray) -> tuple[list[Position], FloatArray, FloatArray]:
        """Each ``(n, 2)`` point's nearest position on this street, that point, and the
        distance to it."""
        start = self.xy[self.a]
        delta = self.xy[self.b] - start
        length2 = np.maximum(np.einsum("ij,ij->i", delta, delta), 1e-12)
        positions: list[Position] = []
        snapped = np.zeros_like(points)
        distance = np.zeros(points.shape[0])
        for i, point in enumerate(points):
            t = np.clip(np.einsum("ij,ij->i", point - start, delta) / length2, 0.0, 1.0)
            near = start + t[:, None] * delta
            gap = np.hypot(*(near - point).T)
            k = int(np.argmin(gap))
            positions.append(Position(int(self.a[k]), int(self.b[k]), float(t[k])))
            snapped[i] = near[k]
            distance[i] = gap[k]
        return positions, snapped, distance

    def at(self, position: Position) -> FloatArray:
        """The coordinates of a position."""
        a, b = self.xy[position.a], self.xy[position.b]
        point: FloatArray = a + position.t * (b - a)
        return point

    def way(self, start: Position, end: Position) -> FloatArray | None:
        """The points of the shortest way along this street from ``start`` to ``end``
        (None when they lie on parts of the street that do not meet)."""
        p, q = self.at(start), self.at(end)
        if {start.a, start.b} == {end.a, end.b}:
            return np.stack([p, q])
        la, lb = self._local[start.a], self._local[start.b]
        lc, ld = self._local[end.a], self._local[end.b]
        distances, predecessors = dijkstra(
            self._graph, directed=False, indices=[la, lb], return_predecessors=True
        )
        seg_start = float(np.hypot(*(self.xy[start.b] - self.xy[start.a])))
        seg_end = float(np.hypot(*(self.xy[end.b] - self.xy[end.a])))
        off_start = (start.t * seg_start, (1 - start.t) * seg_start)
        off_end = {lc: end.t * seg_end, ld: (1 - end.t) * seg_end}
        best = (np.inf, 0, lc)
        for row in (0, 1):
            for target in (lc, ld):
                total = off_start[row] + distances[row, target] + off_end[target]
                if total < best[0]:
                    best = (total, row, target)
        if not np.isfinite(best[0]):
            return None
        _, row, target = best
        chain = [target]
        while chain[-1] != (la, lb)[row]:
            chain.append(int(predecessors[row, chain[-1]]))
        chain.reverse()
        return np.vstack([p[None, :], self.xy[self.nodes[chain]], q[None, :]])

    def walk(
        self, start: FloatArray, position: Position, heading: FloatArray, distance_m: float
    ) -> Walked:
        """Walk ``distance_m`` from ``start`` (at ``position``) along the street, setting
        off in the direction of ``heading`` and going the straightest way at each node."""
        ends = (position.a, position.b)
        forward = float(np.dot(self.xy[position.b] - self.xy[position.a], heading)) >= 0
        current = ends[1] if forward else ends[0]
        here = start
        direction = np.asarray(heading, dtype=np.float64)
        left = distance_m
        visited = {ends[0] if forward else ends[1], current}
        while True:
            step_vector = self.xy[current] - here
            step = float(np.hypot(*step_vector))
            if step > 1e-9:
                direction = step_vector
            if step >= left:
                return Walked(here + step_vector / max(step, 1e-9) * left, 0.0)
            left -= step
            here = self.xy[current]
            nxt = self._straightest(direction, current, visited)
            if nxt is None:
                return Walked(here, left)
            current = nxt
            visited.add(current)

    def _straightest(self, heading: FloatArray, node: int, visited: set[int]) -> int | None:
        if self._neighbours is None:
            neighbours: dict[int, list[int]] = {}
            for u, v in zip(self.a.tolist(), self.b.tolist(), strict=True):
                neighbours.setdefault(u, []).append(v)
                neighbours.setdefault(v, []).append(u)
            self._neighbours = neighbours
        norm = float(np.hypot(*heading))
        if norm < 1e-9:
            return None
        best, best_angle = None, MAX_TURN_DEG
        for other in self._neighbours.get(node, []):
            if other in visited:
                continue
            out = self.xy[other] - self.xy[node]
            size = float(np.hypot(*out))
            if size < 1e-9:
                continue
            cos = float(np.dot(heading, out) / (norm * size))
            angle = float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))
            if angle < best_angle:
                best, best_angle = other, angle
        return best


def along(points: FloatArray, fraction: float) -> FloatArray:
    """The point ``fraction`` (0..1) of the way along a polyline."""
    steps = np.hypot(*np.diff(points, axis=0).T)
    total = float(steps.sum())
    if total <= 0:
        first: FloatArray = points[0].copy()
        return first
    target = min(max(fraction, 0.0), 1.0) * total
    cumulative = np.concatenate([[0.0], np.cumsum(steps)])
    i = int(np.clip(np.searchsorted(cumulative, target, side="right") - 1, 0, steps.size - 1))
    t = (target - cumulative[i]) / max(steps[i], 1e-12)
    result: FloatArray = points[i] + t * (points[i + 1] - points[i])
    return result


def length_of(points: FloatArray) -> float:
    """Length of a polyline in metres."""
    return float(np.hypot(*np.diff(points, axis=0).T).sum())
