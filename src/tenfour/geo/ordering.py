"""Contraction orders for the drive-time hierarchy: nested dissection of the road graph.

A good order contracts a city part by part and keeps the few nodes that separate the
parts (a river's bridges, a ring road's junctions) for last; the hierarchy's searches
then see only a few hundred nodes. Two ways to get one:

- ``inertial_flow_order``: RoutingKit's inertial flow (min cuts along several
  directions), through the ``pyroutingkit`` package. Best separators; used when the
  package is installed (seconds for a city of 270,000 nodes, done once at import).
- ``geometric_order``: recursive halving at the median of the wider coordinate, the
  nodes of one half that touch the other making the separator. Pure numpy, separators
  a few times larger; the fallback.

Both return ``rank``: ``rank[v]`` is the position of node ``v`` in the order (the last
position is contracted last, at the top of the hierarchy).
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

log = logging.getLogger(__name__)

_LEAF = 48  # blocks this small are ordered as they come


def contraction_order(
    lat: FloatArray, lon: FloatArray, arc_from: IntArray, arc_to: IntArray
) -> IntArray:
    """The best order available: inertial flow if ``pyroutingkit`` works, else geometric."""
    try:
        return inertial_flow_order(lat, lon, arc_from, arc_to)
    except (ImportError, RuntimeError, ValueError) as error:
        log.info("inertial flow unavailable (%s): geometric order", error)
    return geometric_order(lat, lon, arc_from, arc_to)


def inertial_flow_order(
    lat: FloatArray, lon: FloatArray, arc_from: IntArray, arc_to: IntArray
) -> IntArray:
    """RoutingKit's nested dissection by inertial flow (raises ImportError without it)."""
    import pyroutingkit  # type: ignore[import-untyped]

    n = int(lat.size)
    if n < 2 or arc_from.size == 0:
        raise ValueError("graph too small for inertial flow")
    topology = pyroutingkit.CCHTopology()
    topology.build(
        arc_from.astype(np.uint32),
        arc_to.astype(np.uint32),
        lat.astype(np.float32),
        lon.astype(np.float32),
        n,
    )
    with tempfile.TemporaryDirectory(prefix="tenfour-order-") as folder:
        topology.save(folder)
        # RoutingKit saves each vector as raw native-endian 32-bit words
        rank = np.fromfile(Path(folder) / "rank", dtype=np.uint32).astype(np.int64)
    if rank.size != n or not np.array_equal(np.sort(rank), np.arange(n)):
        raise ValueError("pyroutingkit returned no permutation")
    return rank


def geometric_order(
    lat: FloatArray, lon: FloatArray, arc_from: IntArray, arc_to: IntArray
) -> IntArray:
    """Nested dissection by coordinate medians, separators from the crossing arcs."""
    n = int(lat.size)
    x = lon * np.cos(np.radians(float(np.mean(lat)) if n else 0.0))
    y = lat
    # undirected adjacency as CSR
    ends = np.concatenate([arc_from, arc_to])
    other = np.concatenate([arc_to, arc_from])
    order = np.argsort(ends, kind="stable")
    neighbours = other[order]
    start = np.searchsorted(ends[order], np.arange(n + 1))
    rank = np.empty(n, dtype=np.int64)
    where = np.zeros(n, dtype=np.int64)  # which side a node is on, per split
    stack: list[tuple[IntArray, int]] = [(np.arange(n, dtype=np.int64), 0)]
    while stack:
        nodes, low = stack.pop()
        if nodes.size <= _LEAF:
            rank[nodes] = low + np.arange(nodes.size)
            continue
        xs, ys = x[nodes], y[nodes]
        coord = xs if np.ptp(xs) >= np.ptp(ys) else ys
        half = np.argsort(coord, kind="stable")
        side_a = nodes[half[: nodes.size // 2]]
        side_b = nodes[half[nodes.size // 2 :]]
        where[side_a] = 1
        where[side_b] = 2
        counts = start[side_a + 1] - start[side_a]
        owner = np.repeat(side_a, counts)
        firsts = np.repeat(start[side_a], counts)
        offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        crossing = where[neighbours[firsts + offsets]] == 2
        separator = np.unique(owner[crossing])
        where[separator] = 0
        part_a = side_a[where[side_a] == 1]
        where[nodes] = 0
        top = low + nodes.size
        rank[separator] = top - separator.size + np.arange(separator.size)
        stack.append((part_a, low))
        stack.append((side_b, low + part_a.size))
    return rank
