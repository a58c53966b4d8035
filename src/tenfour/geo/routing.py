"""Drive times to one target from many origins with one Dijkstra search.

The search runs on the *reversed* graph from a virtual source node ``S`` whose edges
lead to the tails of the target's arcs, weighted by the time already spent on that
arc (``s * time(a->b)`` for a target at fraction ``s`` of ``a->b``). ``dist[v]`` is
then the exact fastest time from node ``v`` to the target point, and ``pred[v]`` the
next node on that route. A vehicle at fraction ``t`` of arc ``u->v`` first drives the
rest of its arc: ``(1 - t) * time(u->v) + dist[v]``, or goes straight to the target if
that lies ahead on the same arc.

The reversed matrix is built once with a spare row for ``S`` (two slots) and a dummy
node ``D`` that fills the second slot when the target street is one-way; each query
only rewrites those two slots, so no matrix is rebuilt per query.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

NO_ARC = -1


@dataclass(frozen=True, slots=True)
class ArcPoints:
    """Points on the graph, each on up to two arcs (both directions of a street).

    ``arc[i, j]`` is an arc index or :data:`NO_ARC`; ``fraction[i, j]`` the position
    along that arc from its tail (0) to its head (1).
    """

    arc: IntArray
    fraction: FloatArray


@dataclass(frozen=True, slots=True)
class Tree:
    """A search from one target: time and next node toward the target for every node."""

    target: ArcPoints  # one row
    dist: FloatArray  # seconds to the target; inf if not reached (limit)
    pred: IntArray  # next node toward the target; SOURCE for the target arc tails


@dataclass(frozen=True, slots=True)
class Choice:
    """How each origin reaches the target: via the head of its arc in ``column``, or
    ``direct`` (straight ahead along that same arc, the target lying ahead on it)."""

    eta_s: FloatArray
    distance_m: FloatArray
    column: IntArray
    direct: NDArray[np.bool_]


class Router:
    """Fastest-time searches over arcs ``arc_from -> arc_to`` of ``n`` nodes."""

    def __init__(
        self,
        n: int,
        arc_from: IntArray,
        arc_to: IntArray,
        arc_time_s: FloatArray,
        arc_length_m: FloatArray,
    ) -> None:
        self.n = n
        self.source = n  # virtual node S
        self._dummy = n + 1  # absorbs S's unused second slot
        self.arc_from = arc_from
        self.arc_to = arc_to
        self.arc_time = arc_time_s
        self.arc_length = arc_length_m
        rows = np.concatenate([arc_to, [self.source, self.source]])
        cols = np.concatenate([arc_from, [0, self._dummy]])
        data = np.concatenate([arc_time_s, [0.0, 0.0]])
        self._reversed = csr_array((data, (rows, cols)), shape=(n + 2, n + 2))
        self._reversed.sort_indices()
        start = int(self._reversed.indptr[self.source])
        self._slots = slice(start, start + 2)
        # arcs are sorted by (from, to), so this key finds the arc of a node pair
        self._pair_key = arc_from * (n + 2) + arc_to
        # the two source slots are shared state; searches take turns
        self._lock = threading.Lock()

    def search(self, target: ArcPoints, limit_s: float = np.inf) -> Tree:
        """Dijkstra from ``target`` (one row of :class:`ArcPoints`) on the reversed graph."""
        arcs = target.arc[0]
        fracs = target.fraction[0]
        entries = sorted(
            (int(self.arc_from[a]), float(f * self.arc_time[a]))
            for a, f in zip(arcs, fracs, strict=True)
            if a != NO_ARC
        )
        while len(entries) < 2:
            entries.append((self._dummy, 0.0))
        with self._lock:
            self._reversed.indices[self._slots] = [e[0] for e in entries]
            self._reversed.data[self._slots] = [e[1] for e in entries]
            dist, pred = dijkstra(
                self._reversed,
                directed=True,
                indices=[self.source],
                return_predecessors=True,
                limit=limit_s,
            )
        return Tree(
            target, np.asarray(dist[0], dtype=np.float64), np.asarray(pred[0], dtype=np.int64)
        )

    def lengths(self, tree: Tree) -> FloatArray:
        """Metres from every node to the target along the tree (inf where not reached).

        Pointer jumping: each round adds the length of the path to the current
        ancestor and jumps to the ancestor's ancestor, so ``log2(depth)`` numpy passes
        replace a walk over every node.
        """
        size = self.n + 2
        pred = tree.pred.copy()
        reached = pred >= 0
        step = np.zeros(size, dtype=np.float64)
        inner = reached & (pred != self.source)
        inner[self.source] = False
        nodes = np.flatnonzero(inner)
        arc = np.searchsorted(self._pair_key, nodes * size + pred[nodes])
        step[nodes] = self.arc_length[arc]
        for a, f in zip(tree.target.arc[0], tree.target.fraction[0], strict=True):
            if a != NO_ARC:
                tail = int(self.arc_from[a])
                if pred[tail] == self.source:
                    step[tail] = f * self.arc_length[a]
        # unreached nodes and S itself point at S, with nothing to add
        pred[~reached] = self.source
        pred[self.source] = self.source
        total = step
        while True:
            nxt = pred[pred]
            if np.array_equal(nxt, pred):
                break
            total = total + total[pred]
            pred = nxt
        total[~reached] = np.inf
        return total

    def choose(self, tree: Tree, origins: ArcPoints, lengths: FloatArray | None) -> Choice:
        """Best way for each origin to reach the tree's target (vectorised)."""
        arc = origins.arc
        valid = arc != NO_ARC
        safe = np.where(valid, arc, 0)
        frac = origins.fraction
        head = self.arc_to[safe]
        eta = np.where(valid, (1.0 - frac) * self.arc_time[safe] + tree.dist[head], np.inf)
        if lengths is not None:
            dist = np.where(valid, (1.0 - frac) * self.arc_length[safe] + lengths[head], np.inf)
        else:
            dist = np.full(eta.shape, np.nan)
        # straight ahead on the target's own arc, when the origin is behind the target
        direct_eta = np.full(eta.shape, np.inf)
        direct_dist = np.full(eta.shape, np.inf)
        for ta, s in zip(tree.target.arc[0], tree.target.fraction[0], strict=True):
            if ta == NO_ARC:
                continue
            ahead = valid & (arc == ta) & (frac <= s)
            direct_eta = np.where(ahead, (s - frac) * self.arc_time[ta], direct_eta)
            direct_dist = np.where(ahead, (s - frac) * self.arc_length[ta], direct_dist)
        use_direct = direct_eta <= eta
        eta = np.where(use_direct, direct_eta, eta)
        dist = np.where(use_direct, direct_dist, dist)
        column = np.argmin(eta, axis=1)
        rows = np.arange(arc.shape[0])
        best_eta = eta[rows, column]
        best_dist = dist[rows, column]
        if lengths is None:
            best_dist = np.full(best_eta.shape, np.nan)
        else:
            best_dist = np.where(np.isinf(best_eta), np.inf, best_dist)
        return Choice(best_eta, best_dist, column, use_direct[rows, column])
