"""What a store knows of its journal's end, so that a batch need not ask again.

A batch (``sql.JournalBatch``) needs the head (seq and hash) to chain its rows to and
the current version of every stream it appends to. Asked of the database, that is one
query for the head and one per stream in every batch: on PostgreSQL each a round
trip, most of a batch's statements (bench/RESULTS.md, group commit).

``Tail`` is what one store knows to be true of the journal as of one seq: that row's
hash and the versions of the streams it has seen. It is a hint, never trusted
blindly: a batch uses it only once it has seen, holding the journal's write lock,
that the journal still ends there (its head query answers that seq and hash, or its
catch-up read after that seq is the only thing after it). Any other writer (another
node, another process, an import) moves the head, and the hint goes unused until the
store has read what was added.

It advances only on what is known committed: a batch's rows once its transaction has
committed, or rows read from the journal one after the other from the tail's seq on
(seqs are gapless and commit in order, on every backend). Every change goes through
``Tails`` under one lock and starts from the current tail only, so no thread ever
writes an older version over a newer one.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tenfour.journal.chain import Row

#: Streams remembered at most; past that the knowledge starts again from what one
#: batch knew (a city's closed incidents would otherwise grow it for ever).
STREAMS_KEPT = 50_000


@dataclass(frozen=True)
class Tail:
    """The journal as of ``seq``: the hash of that row, and stream versions (shared
    with the tails that follow it: only ``Tails`` writes to it)."""

    seq: int
    hash: str
    versions: dict[str, int]


class Tails:
    """One store's current ``Tail`` (None until it has learnt one) and its advances."""

    def __init__(self, limit: int = STREAMS_KEPT) -> None:
        self._limit = limit
        self._tail: Tail | None = None
        self._lock = threading.Lock()

    @property
    def current(self) -> Tail | None:
        return self._tail

    def follow(self, start: Tail, rows: Sequence[Row]) -> None:
        """``rows`` were read from the journal, in order, after ``start.seq``: if they
        follow on from it without a gap and ``start`` is still current, advance."""
        if not rows or any(row.seq != start.seq + n for n, row in enumerate(rows, 1)):
            return
        learnt = {row.stream: row.version for row in rows}  # the last row of each wins
        with self._lock:
            if self._tail is not start:
                return  # it moved meanwhile: what it knows now is newer
            start.versions.update(learnt)
            self._set((rows[-1].seq, rows[-1].hash), start.versions, learnt)

    def committed(
        self, start: Tail | None, trusted: bool, head: tuple[int, str], known: Mapping[str, int]
    ) -> None:
        """A batch committed and the journal ended at ``head`` when it did; ``known``
        holds every stream version the batch read or wrote (true at ``head``, as the
        batch held the write lock). ``trusted``: the batch found ``start`` still true
        when it began, so what ``start`` knew holds at ``head`` too, with ``known``."""
        with self._lock:
            current = self._tail
            if trusted and start is not None and current is start:
                start.versions.update(known)
                self._set(head, start.versions, known)
            elif current is None or current.seq < head[0]:
                self._set(head, dict(known), known)
            # else: a reader got as far already

    def _set(
        self, head: tuple[int, str], versions: dict[str, int], fresh: Mapping[str, int]
    ) -> None:
        """The new tail; past the bound it starts again from ``fresh`` alone (the
        versions just learnt, true at ``head`` too)."""
        if len(versions) > self._limit:
            versions = dict(fresh)
        self._tail = Tail(head[0], head[1], versions)
