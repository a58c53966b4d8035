"""Compiled loops of the contraction hierarchy (numba): elimination, customization, labels.

Nodes here are *ranks*: node ``x`` is the ``x``-th to be contracted, the top separator
of the nested dissection comes last. The hierarchy's upward arcs are stored like a
sparse matrix: the higher neighbours of ``x`` are ``up_nodes[up_start[x]:up_start[x+1]]``,
sorted; ``parent[x]`` (the lowest of them) makes the elimination tree, whose paths to
the root hold every node an upward search from ``x`` can reach.

Every weight array is indexed like ``up_nodes``: ``ft`` is the time from the lower end
to the higher one, ``bt`` the other way; ``fl`` and ``bl`` the length of that path.

Labels: an upward search from a unit's position keeps, for each elimination-tree
ancestor, the time (and length) to reach it, minus entries that a higher node reaches
faster by going down again (those can never be where a fastest route peaks). They are
stored from the root down: first the part shared by the unit's two start nodes, then
the two tails, the second tail's nodes written as ``~x``. The ranking of a target
marks its own ancestors; a label is scanned from the root while its nodes are marked,
which is exactly the part both searches share.

The functions are compiled on first use and cached on disk by numba.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba
import numpy as np

F = TypeVar("F", bound=Callable[..., Any])

INF = np.inf


def _jit(fn: F) -> F:
    return cast(F, numba.njit(cache=True, nogil=True)(fn))


@_jit
def symbolic_elimination(n: Any, lo_start: Any, lo_nodes: Any, capacity: Any) -> Any:
    """Contract nodes ``0..n-1`` in order; the higher neighbours of each, with fill-in.

    ``lo_nodes[lo_start[x]:lo_start[x+1]]`` are the input neighbours of ``x`` above it.
    Returns ``(up_start, up_nodes, parent, used)``; ``used`` is -1 when ``capacity``
    arcs were not enough (call again with more).
    """
    up_start = np.zeros(n + 1, np.int64)
    up_nodes = np.empty(capacity, np.int32)
    parent = np.full(n, -1, np.int32)
    first_child = np.full(n, -1, np.int32)
    next_sibling = np.full(n, -1, np.int32)
    marker = np.full(n, -1, np.int32)
    found = np.empty(n, np.int32)
    used = 0
    for x in range(n):
        count = 0
        for i in range(lo_start[x], lo_start[x + 1]):
            y = lo_nodes[i]
            if marker[y] != x:
                marker[y] = x
                found[count] = y
                count += 1
        child = first_child[x]
        while child != -1:  # a child's higher neighbours stay neighbours of x
            for i in range(up_start[child], up_start[child + 1]):
                y = up_nodes[i]
                if y != x and marker[y] != x:
                    marker[y] = x
                    found[count] = y
                    count += 1
            child = next_sibling[child]
        if used + count > capacity:
            return up_start, up_nodes, parent, -1
        ordered = np.sort(found[:count])
        up_nodes[used : used + count] = ordered
        used += count
        up_start[x + 1] = used
        if count > 0:
            p = ordered[0]
            parent[x] = p
            next_sibling[x] = first_child[p]
            first_child[p] = x
    return up_start, up_nodes[:used].copy(), parent, used


@_jit
def arc_slots(up_start: Any, up_nodes: Any, tail: Any, head: Any) -> Any:
    """For each input arc ``tail -> head`` (ranks): its upward arc and whether it runs up."""
    m = tail.size
    slot = np.empty(m, np.int64)
    upward = np.empty(m, np.bool_)
    for a in range(m):
        low, high = tail[a], head[a]
        upward[a] = low < high
        if not upward[a]:
            low, high = high, low
        lo, hi = up_start[low], up_start[low + 1]
        while lo < hi:
            mid = (lo + hi) >> 1
            if up_nodes[mid] < high:
                lo = mid + 1
            else:
                hi = mid
        slot[a] = lo
    return slot, upward


@_jit
def customize(
    n: Any, up_start: Any, up_nodes: Any, slot: Any, upward: Any, time: Any, length: Any
) -> Any:
    """Weights of every upward arc for arc times ``time`` (``inf`` = closed): ``ft, bt, fl, bl``.

    Basic customization: nodes from the bottom up, each lower triangle ``x-y-z`` offers
    the arcs ``y-z`` the way through ``x``.
    """
    k = up_nodes.size
    ft = np.full(k, INF)
    bt = np.full(k, INF)
    fl = np.full(k, INF)
    bl = np.full(k, INF)
    for a in range(slot.size):
        s = slot[a]
        if upward[a]:
            if time[a] < ft[s]:
                ft[s] = time[a]
                fl[s] = length[a]
        elif time[a] < bt[s]:
            bt[s] = time[a]
            bl[s] = length[a]
    for x in range(n):
        end = up_start[x + 1]
        for i in range(up_start[x], end):
            y = up_nodes[i]
            p = up_start[y]
            down_t, up_t = bt[i], ft[i]  # y -> x, x -> y
            for j in range(i + 1, end):
                z = up_nodes[j]
                while up_nodes[p] != z:  # z is a higher neighbour of y too (fill-in)
                    p += 1
                via = down_t + ft[j]  # y -> x -> z
                if via < ft[p]:
                    ft[p] = via
                    fl[p] = bl[i] + fl[j]
                via = bt[j] + up_t  # z -> x -> y
                if via < bt[p]:
                    bt[p] = via
                    bl[p] = bl[j] + fl[i]
    return ft, bt, fl, bl


@_jit
def depths(parent: Any) -> Any:
    """Depth of every node in the elimination tree (the root has 0)."""
    n = parent.size
    depth = np.zeros(n, np.int32)
    for x in range(n - 1, -1, -1):
        if parent[x] >= 0:
            depth[x] = depth[parent[x]] + 1
    return depth


@_jit
def _walk(
    up_start: Any,
    up_nodes: Any,
    parent: Any,
    wt: Any,
    wl: Any,
    heads: Any,
    start_t: Any,
    start_l: Any,
    dist: Any,
    dlen: Any,
    seen: Any,
    tag: Any,
) -> Any:
    """Elimination-tree search from up to two start nodes; visited nodes ascending.

    ``dist``/``dlen`` must hold ``inf`` on every ancestor of the heads on entry. ``tag``
    gets 0 for nodes both paths share (or the only path), 1 or 2 for a single tail.
    """
    h1, h2 = heads[0], heads[1]
    if h1 == h2:
        h2 = -1
    if h1 < 0:
        h1, h2 = h2, -1
    for i in range(2):
        h = heads[i]
        if h >= 0 and start_t[i] < dist[h]:
            dist[h] = start_t[i]
            dlen[h] = start_l[i]
    p1, p2 = h1, h2
    count = 0
    while p1 != -1 or p2 != -1:
        x = p1 if p2 == -1 or (p1 != -1 and p1 < p2) else p2
        if (p1 == x and p2 == x) or (p2 == -1 and h2 == -1):
            tag[count] = 0
        elif p1 == x:
            tag[count] = 1
        else:
            tag[count] = 2
        seen[count] = x
        count += 1
        dx = dist[x]
        if dx < INF:
            lx = dlen[x]
            for k in range(up_start[x], up_start[x + 1]):
                y = up_nodes[k]
                via = dx + wt[k]
                if via < dist[y]:
                    dist[y] = via
                    dlen[y] = lx + wl[k]
        if p1 == x:
            p1 = parent[x]
        if p2 == x:
            p2 = parent[x]
    return count


@_jit
def place_units(
    up_start: Any,
    up_nodes: Any,
    parent: Any,
    ft: Any,
    fl: Any,
    bt: Any,
    heads: Any,
    start_t: Any,
    start_l: Any,
    pool_node: Any,
    pool_t: Any,
    pool_l: Any,
    pool_end: Any,
    room: Any,
    label_start: Any,
    label_shared: Any,
    label_size: Any,
    slots: Any,
    dist: Any,
    dlen: Any,
    seen: Any,
    tag: Any,
) -> Any:
    """Label units ``slots[i]`` from their start nodes ``heads[i]`` (ranks, -1 = none).

    Labels are appended to the pool from ``pool_end`` while at least ``room`` entries
    are left; returns ``(units done, new pool_end)`` so the caller can grow the pool.
    ``dist``/``dlen`` are scratch arrays of ``inf``, left as found.
    """
    capacity = pool_node.size
    for u in range(slots.size):
        if capacity - pool_end < room:
            return u, pool_end
        count = _walk(
            up_start, up_nodes, parent, ft, fl, heads[u], start_t[u], start_l[u],
            dist, dlen, seen, tag,
        )  # fmt: skip
        s = slots[u]
        label_start[s] = pool_end
        w = pool_end
        for part in range(3):  # shared part first, then each tail, each from the top
            for i in range(count - 1, -1, -1):
                if tag[i] != part:
                    continue
                x = seen[i]
                dx = dist[x]
                if dx == INF:
                    continue
                keep = True  # a higher node that reaches x faster going down: not a peak
                for k in range(up_start[x], up_start[x + 1]):
                    if dist[up_nodes[k]] + bt[k] < dx:
                        keep = False
                        break
                if keep:
                    pool_node[w] = x if part < 2 else ~x
                    pool_t[w] = dx
                    pool_l[w] = dlen[x]
                    w += 1
            if part == 0:
                label_shared[s] = w - pool_end
        label_size[s] = w - pool_end
        pool_end = w
        for i in range(count):
            dist[seen[i]] = INF
            dlen[seen[i]] = INF
    return slots.size, pool_end


@_jit
def rank_units(
    up_start: Any,
    up_nodes: Any,
    parent: Any,
    bt: Any,
    bl: Any,
    heads: Any,
    start_t: Any,
    start_l: Any,
    pool_node: Any,
    pool_t: Any,
    pool_l: Any,
    label_start: Any,
    label_shared: Any,
    label_size: Any,
    slots: Any,
    mark: Any,
    dist: Any,
    dlen: Any,
    seen: Any,
    tag: Any,
    eta: Any,
    metres: Any,
) -> None:
    """Fastest time (and its length) from units ``slots`` to a target.

    ``heads``/``start_t``/``start_l`` describe the target: the nodes where a car enters
    the target's arcs and the time and length still to drive from there. ``mark`` (all
    zero, left so) flags the target's ancestors while the labels are scanned.
    """
    for i in range(2):
        x = heads[i]
        while x != -1 and mark[x] == 0:
            mark[x] = 1
            x = parent[x]
    _walk(
        up_start, up_nodes, parent, bt, bl, heads, start_t, start_l, dist, dlen, seen, tag
    )  # fmt: skip
    for u in range(slots.size):
        s = slots[u]
        start = label_start[s]
        shared_end = start + label_shared[s]
        end = start + label_size[s]
        best = INF
        best_l = INF
        complete = True
        for i in range(start, shared_end):
            x = pool_node[i]
            if mark[x] == 0:
                complete = False
                break
            via = pool_t[i] + dist[x]
            if via < best:
                best = via
                best_l = pool_l[i] + dlen[x]
        if complete:
            alive1 = True
            alive2 = True
            for i in range(shared_end, end):
                x = pool_node[i]
                first = x >= 0
                if not first:
                    x = ~x
                if (first and not alive1) or (not first and not alive2):
                    continue
                if mark[x] == 0:
                    if first:
                        alive1 = False
                    else:
                        alive2 = False
                    if not alive1 and not alive2:
                        break
                    continue
                via = pool_t[i] + dist[x]
                if via < best:
                    best = via
                    best_l = pool_l[i] + dlen[x]
        eta[u] = best
        metres[u] = best_l
    for i in range(2):  # leave the scratch arrays as found: inf, and no marks
        x = heads[i]
        while x != -1:
            dist[x] = INF
            dlen[x] = INF
            mark[x] = 0
            x = parent[x]


@_jit
def compact_pool(
    pool_node: Any,
    pool_t: Any,
    pool_l: Any,
    label_start: Any,
    label_size: Any,
    live: Any,
    new_node: Any,
    new_t: Any,
    new_l: Any,
) -> Any:
    """Copy the labels of slots ``live`` into the new pool, in that order; returns its end.

    The new pool may be the pool itself when ``live`` is in pool order (ascending
    ``label_start``): each label then moves down, and an overlapping slice assignment
    copies its source first."""
    w = 0
    for i in range(live.size):
        s = live[i]
        start = label_start[s]
        size = label_size[s]
        new_node[w : w + size] = pool_node[start : start + size]
        new_t[w : w + size] = pool_t[start : start + size]
        new_l[w : w + size] = pool_l[start : start + size]
        label_start[s] = w
        w += size
    return w
