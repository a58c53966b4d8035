"""Drive times to one target from many origins with one Dijkstra search.

The search runs on the *reversed* graph from a virtual source node ``S``. For a target
at fraction ``s`` of arc ``a->b``, ``S`` has an edge to ``a`` weighted with the time
still to drive on that arc, ``s * time(a->b)`` (a target exactly at a node gets an
edge of weight 0 to that node, so every arc into the node is used). ``dist[v]`` is
then the exact fastest time from node ``v`` to the target point and ``pred[v]`` the
next node on that route.

A vehicle at fraction ``t`` of arc ``u->v`` must first drive the rest of its arc:
``(1 - t) * time(u->v) + dist[v]``; one exactly at a node leaves it by any arc
(``dist[u]``); one behind the target on the target's own arc drives straight there.

The reversed matrix is built once with a row for ``S`` holding two slots, plus a
dummy node ``D`` that takes the second slot when only one is needed; a query only
rewrites those two slots, so no matrix is rebuilt per query.
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
    along that arc from its tail (exactly 0.0) to its head (exactly 1.0).
    """

    arc: IntArray
    fraction: FloatArray


@dataclass(frozen=True, slots=True)
class Tree:
    """A search from one target: time and next node toward the target for every node."""

    target: ArcPoints  # one row
    entries: dict[int, tuple[float, float]]  # node -> (seconds, metres) from S's edges
    dist: FloatArray  # seconds to the target; inf if not reached (limit)
    pred: IntArray  # next node toward the target; the source S for entry nodes


@dataclass(frozen=True, slots=True)
class Choice:
    """How each origin reaches the target: the arc ``column`` it leaves by, and the
    node where it joins the search tree (``-1``: straight ahead on the target's arc)."""

    eta_s: FloatArray
    distance_m: FloatArray
    column: IntArray
    join: IntArray


class Router:
    """Fastest-time searches over arcs ``arc_from -> arc_to`` (sorted, unique) of ``n`` nodes."""

    def __init__(
        self,
        n: int,
        arc_from: IntArray,
        arc_to: IntArray,
        arc_time_s: FloatArray,
        arc_length_m: FloatArray,
        partial_time_s: FloatArray | None = None,
    ) -> None:
        self.n = n
        self.source = n  # the virtual node S
        self._dummy = n + 1
        self.arc_from = arc_from
        self.arc_to = arc_to
        self.arc_time = arc_time_s
        # time for part of an arc, where a trip starts or ends (a closed arc, ``inf`` in
        # ``arc_time_s``, can still be left or reached from its ends at its usual time)
        self.partial_time = arc_time_s if partial_time_s is None else partial_time_s
        self.arc_length = arc_length_m
        rows = np.concatenate([arc_to, [self.source, self.source]])
        cols = np.concatenate([arc_from, [0, self._dummy]])
        data = np.concatenate([arc_time_s, [0.0, 0.0]])
        self._reversed = csr_array((data, (rows, cols)), shape=(n + 2, n + 2))
        self._reversed.sort_indices()
        start = int(self._reversed.indptr[self.source])
        self._slots = slice(start, start + 2)
        # arcs are sorted by (from, to), so this sorted key finds the arc of a node pair
        self._pair_key = arc_from * (n + 2) + arc_to
        # the two slots of S are shared state: searches take turns
        self._lock = threading.Lock()

    def arc_between(self, tail: IntArray, head: IntArray) -> IntArray:
        """Index of arc ``tail[i] -> head[i]`` (which must exist)."""
        found: IntArray = np.searchsorted(self._pair_key, tail * (self.n + 2) + head)
        return found

    def search(self, target: ArcPoints, limit_s: float = np.inf) -> Tree:
        """Dijkstra from ``target`` (one row of :class:`ArcPoints`) on the reversed graph."""
        entries: dict[int, tuple[float, float]] = {}
        for a, f in zip(target.arc[0].tolist(), target.fraction[0].tolist(), strict=True):
            if a == NO_ARC:
                continue
            if f >= 1.0:  # at the head node: reachable by every arc into it
                node, cost = int(self.arc_to[a]), (0.0, 0.0)
            else:
                node = int(self.arc_from[a])
                cost = (f * float(self.partial_time[a]), f * float(self.arc_length[a]))
            if node not in entries or cost < entries[node]:
                entries[node] = cost
        slots = sorted((node, cost[0]) for node, cost in entries.items())
        slots += [(self._dummy, 0.0)] * (2 - len(slots))
        with self._lock:
            self._reversed.indices[self._slots] = [node for node, _ in slots]
            self._reversed.data[self._slots] = [seconds for _, seconds in slots]
            dist, pred = dijkstra(
                self._reversed,
                directed=True,
                indices=[self.source],
                return_predecessors=True,
                limit=limit_s,
            )
        return Tree(
            target,
            entries,
            np.asarray(dist[0], dtype=np.float64),
            np.asarray(pred[0], dtype=np.int64),
        )

    def lengths(self, tree: Tree) -> FloatArray:
        """Metres from every node to the target along the tree (inf where not reached).

        Pointer jumping: each round adds the length of the path to the current
        ancestor and jumps to the ancestor's ancestor, so ``log2(depth)`` numpy passes
        replace a walk over every node.
        """
        pred = tree.pred.copy()
        reached = pred >= 0
        inner = reached & (pred != self.source)
        nodes = np.flatnonzero(inner)
        step = np.zeros(self.n + 2, dtype=np.float64)
        step[nodes] = self.arc_length[self.arc_between(nodes, pred[nodes])]
        for node, (_, metres) in tree.entries.items():
            if pred[node] == self.source:
                step[node] = metres
        # unreached nodes and S itself point at S and add nothing
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
        arc, frac = origins.arc, origins.fraction
        valid = arc != NO_ARC
        safe = np.where(valid, arc, 0)
        at_tail = valid & (frac == 0.0)
        join = np.where(at_tail, self.arc_from[safe], self.arc_to[safe])
        rest = np.where(at_tail, 0.0, 1.0 - frac)
        eta = np.where(valid, rest * self.partial_time[safe] + tree.dist[join], np.inf)
        if lengths is not None:
            metres = np.where(valid, rest * self.arc_length[safe] + lengths[join], np.inf)
        else:
            metres = np.full(eta.shape, np.nan)
        # straight ahead on the target's own arc, when the origin is behind the target
        for ta, s in zip(
            tree.target.arc[0].tolist(), tree.target.fraction[0].tolist(), strict=True
        ):
            if ta == NO_ARC:
                continue
            ahead = valid & (arc == ta) & (frac <= s)
            direct_eta = (s - frac) * self.partial_time[ta]
            better = ahead & (direct_eta <= eta)
            eta = np.where(better, direct_eta, eta)
            metres = np.where(better, (s - frac) * self.arc_length[ta], metres)
            join = np.where(better, -1, join)
        column = np.argmin(eta, axis=1)
        rows = np.arange(arc.shape[0])
        best_eta = eta[rows, column]
        best_m = metres[rows, column]
        if lengths is None:
            best_m = np.full(best_eta.shape, np.nan)
        else:
            best_m = np.where(np.isinf(best_eta), np.inf, best_m)
        return Choice(best_eta, best_m, column, join[rows, column])

    def path(self, tree: Tree, node: int) -> list[int]:
        """Nodes from ``node`` along the tree to the node where the target is entered."""
        nodes = [node]
        while (nxt := int(tree.pred[nodes[-1]])) != self.source:
            if nxt < 0:
                raise ValueError(f"node {node} was not reached by the search")
            nodes.append(nxt)
        return nodes
