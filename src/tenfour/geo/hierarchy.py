"""A customizable contraction hierarchy (CCH) of a road network, and its metrics.

The hierarchy depends only on the streets (which nodes are joined) and a contraction
order; it is built once per map (tens of milliseconds from a stored order). A
:class:`Metric` fills it with drive times: a full customization takes tens of
milliseconds on a city, so a road closure is a new metric, not a rebuild.

Searches on it are exact: the fastest time between two nodes is the least, over the
nodes both upward searches reach, of the two searches' times (see ``kernels``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tenfour.geo import kernels

IntArray = NDArray[np.int64]
Int32Array = NDArray[np.int32]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True, slots=True, eq=False)
class Metric:
    """Customized weights of every upward arc, for one set of arc times."""

    arc_time_s: FloatArray  # the input arc times it was made from (inf = closed)
    up_time: FloatArray  # lower -> higher end
    down_time: FloatArray  # higher -> lower end
    up_length: FloatArray
    down_length: FloatArray


class Hierarchy:
    """The contraction hierarchy of ``n`` nodes and arcs ``arc_from -> arc_to``.

    ``rank[v]`` is node ``v``'s place in the contraction order (see ``ordering``).
    """

    def __init__(self, n: int, arc_from: IntArray, arc_to: IntArray, rank: IntArray) -> None:
        if rank.shape != (n,):
            raise ValueError(f"rank has {rank.size} entries for {n} nodes")
        self.n = n
        self.rank = rank.astype(np.int32)
        tail = self.rank[arc_from]
        head = self.rank[arc_to]
        low = np.minimum(tail, head).astype(np.int64)
        high = np.maximum(tail, head).astype(np.int64)
        keys = np.unique(low * n + high)
        lo_nodes = (keys % n).astype(np.int32)
        lo_start = np.searchsorted(keys // n, np.arange(n + 1)).astype(np.int64)
        capacity = max(4 * keys.size, 16)
        while True:
            up_start, up_nodes, parent, used = kernels.symbolic_elimination(
                n, lo_start, lo_nodes, capacity
            )
            if used >= 0:
                break
            capacity *= 2
        self.up_start: IntArray = up_start
        self.up_nodes: Int32Array = up_nodes
        self.parent: Int32Array = parent
        slot, upward = kernels.arc_slots(up_start, up_nodes, tail, head)
        self.arc_slot: IntArray = slot
        self.arc_upward: BoolArray = upward
        self.depth = int(kernels.depths(parent).max()) if n else 0

    @property
    def arc_count(self) -> int:
        """Upward arcs, shortcuts included."""
        return int(self.up_nodes.size)

    @property
    def max_label(self) -> int:
        """The most entries one label can have (two paths to the root)."""
        return 2 * (self.depth + 1)

    def customize(self, arc_time_s: FloatArray, arc_length_m: FloatArray) -> Metric:
        """Drive times on every upward arc for these input arc times (``inf``: closed)."""
        times = np.ascontiguousarray(arc_time_s, dtype=np.float64)
        lengths = np.ascontiguousarray(arc_length_m, dtype=np.float64)
        ft, bt, fl, bl = kernels.customize(
            self.n, self.up_start, self.up_nodes, self.arc_slot, self.arc_upward, times, lengths
        )
        return Metric(times, ft, bt, fl, bl)
