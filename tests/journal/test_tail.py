"""What a store knows of its journal's end (``journal.tail``), on every backend: a
batch that follows the store's own last commit asks neither the head nor the stream
versions again, and nothing another writer appends is ever missed: every version
and every link of the chain stays exactly what a store without the knowledge gets."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tenfour.journal import ConcurrencyError, EventStore
from tenfour.journal.chain import Row
from tenfour.journal.sql import _HEAD, _STREAM_VERSION, SqlEventStore
from tenfour.journal.tail import Tail, Tails

from .support import Backend, event

ASKED = {_HEAD: "head", _STREAM_VERSION: "version"}


@contextmanager
def questions(store: EventStore, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The head and stream-version queries ``store`` sends meanwhile."""
    assert isinstance(store, SqlEventStore)
    asked: list[str] = []
    plain = store._sql

    def spy(query: str) -> str:
        if query in ASKED:
            asked.append(ASKED[query])
        return plain(query)

    monkeypatch.setattr(store, "_sql", spy)
    yield asked
    monkeypatch.setattr(store, "_sql", plain)


def test_a_batch_after_its_stores_own_commit_asks_nothing_again(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.append([event("unit:A", n=0), event("unit:B", n=1)])
    with questions(store, monkeypatch) as asked, store.batch() as batch:
        assert batch.read(after=2) == []  # a catch-up read: nothing after the known end
        a = batch.append([event("unit:A", n=2)], expected={"unit:A": 1})
        b = batch.append([event("unit:B", n=3)], expected={"unit:B": 1})
    assert asked == []
    assert [(e.seq, e.version) for e in (*a.events, *b.events)] == [(3, 2), (4, 2)]
    # A lone append checks the head (one query) and trusts the known versions.
    with questions(store, monkeypatch) as asked:
        store.append([event("unit:A", n=4)], expected={"unit:A": 2})
    assert asked == ["head"]
    assert store.verify().ok


def test_another_writers_appends_are_never_missed(backend: Backend) -> None:
    """Two stores on one database (two nodes), appending in turn to the same streams:
    every version each expects is checked against the journal, none against a stale
    memory, and the chain links across both."""
    mine, theirs = backend.open(), backend.open()
    versions = {"unit:A": 0, "unit:B": 0}
    chooser = random.Random(7)
    for n in range(120):
        writer = chooser.choice([mine, theirs])
        stream = chooser.choice(sorted(versions))
        if chooser.random() < 0.2:  # a wrong expectation: refused, whoever wrote last
            wrong = versions[stream] - 1 if versions[stream] else 1
            with pytest.raises(ConcurrencyError):
                writer.append([event(stream, n=n)], expected={stream: wrong})
            continue
        if chooser.random() < 0.3:  # a node catching up on what the other wrote
            list(writer.read(after=max(0, writer.head() - chooser.randint(0, 3))))
        # A node's catch-up starts where its state is: at, behind or past what its
        # store knew of the end (it may have heard of the other's appends).
        after = max(0, min(writer.head(), writer_known(writer) + chooser.randint(-2, 3)))
        with writer.batch() as batch:
            batch.read(after=after)
            result = batch.append([event(stream, n=n)], expected={stream: versions[stream]})
        versions[stream] += 1
        assert result.events[0].version == versions[stream]
    assert mine.verify().ok and theirs.verify().ok
    assert {s: mine.stream_version(s) for s in versions} == versions


def writer_known(store: EventStore) -> int:
    """Where a node's catch-up read starts: what the store knows of the end, if any."""
    assert isinstance(store, SqlEventStore)
    tail = store._tails.current
    return tail.seq if tail is not None else 0


def test_reading_another_writers_rows_teaches_the_new_end(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine, theirs = backend.open(), backend.open()
    mine.append([event("unit:A", n=0)])
    theirs.append([event("unit:A", n=1), event("unit:B", n=2)])
    caught_up = list(mine.read(after=1))  # as a node does when told the journal grew
    assert [e.seq for e in caught_up] == [2, 3]
    with questions(mine, monkeypatch) as asked, mine.batch() as batch:
        assert batch.read(after=3) == []
        result = batch.append([event("unit:B", n=3)], expected={"unit:B": 1})
    assert asked == []
    assert (result.events[0].seq, result.events[0].version) == (4, 2)
    assert mine.verify().ok


def test_a_failed_batch_teaches_nothing(store: EventStore) -> None:
    store.append([event("unit:A", n=0)])
    with pytest.raises(RuntimeError), store.batch() as batch:
        batch.read(after=1)
        batch.append([event("unit:A", n=1)], expected={"unit:A": 1})
        raise RuntimeError("the batch fails after deciding")
    with store.batch() as batch:
        batch.read(after=1)
        result = batch.append([event("unit:A", n=2)], expected={"unit:A": 1})
    assert (result.events[0].seq, result.events[0].version) == (2, 2)
    with pytest.raises(ConcurrencyError):
        store.append([event("unit:A", n=3)], expected={"unit:A": 1})
    assert store.verify().ok


def test_a_journal_grown_behind_the_stores_back_is_asked_again(
    store: EventStore, backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows another program added (an import, a restore): the head differs from the
    known end, so the batch asks the journal, not its memory."""
    store.append([event("unit:A", n=0)])
    other = backend.open()
    other.append([event("unit:A", n=1)])
    with questions(store, monkeypatch) as asked:
        result = store.append([event("unit:A", n=2)], expected={"unit:A": 2})
    assert asked == ["head", "version"]
    assert (result.events[0].seq, result.events[0].version) == (3, 3)
    assert store.verify().ok


# -- Tails, on its own ------------------------------------------------------------------


def _row(seq: int, stream: str, version: int) -> Row:
    return Row(seq, stream, version, "unit.located", "t", "x", "{}", None, f"h{seq - 1}", f"h{seq}")


def _learnt(tails: Tails) -> Tail:
    tails.committed(None, False, (2, "h2"), {"unit:A": 2})
    tail = tails.current
    assert tail is not None
    return tail


def test_rows_with_a_gap_or_from_an_old_end_teach_nothing() -> None:
    tails = Tails()
    start = _learnt(tails)
    tails.follow(start, [_row(4, "unit:A", 3)])  # seq 3 missing
    assert tails.current is start
    tails.follow(start, [_row(3, "unit:A", 3), _row(4, "unit:B", 1)])
    now = tails.current
    assert now is not None and (now.seq, now.hash, now.versions) == (
        4,
        "h4",
        {"unit:A": 3, "unit:B": 1},
    )
    tails.follow(start, [_row(3, "unit:A", 9)])  # from an end that is no longer current
    assert tails.current is now and now.versions["unit:A"] == 3


def test_a_commit_older_than_what_a_reader_learnt_changes_nothing() -> None:
    tails = Tails()
    start = _learnt(tails)
    tails.follow(start, [_row(3, "unit:A", 3), _row(4, "unit:A", 4)])
    ahead = tails.current
    tails.committed(start, True, (3, "h3"), {"unit:A": 3})
    assert tails.current is ahead


def test_an_untrusted_commit_keeps_only_what_it_knew() -> None:
    tails = Tails()
    start = _learnt(tails)
    tails.committed(start, False, (5, "h5"), {"unit:B": 1})
    now = tails.current
    assert now is not None and now.versions == {"unit:B": 1}
    tails.committed(now, True, (6, "h6"), {"unit:C": 1})
    last = tails.current
    assert last is not None and last.versions == {"unit:B": 1, "unit:C": 1}


def test_the_knowledge_is_bounded() -> None:
    tails = Tails(limit=3)
    start = _learnt(tails)
    known: dict[str, Any] = {f"unit:{n}": 1 for n in range(3)}
    tails.committed(start, True, (3, "h3"), known)
    now = tails.current
    assert now is not None and now.versions == known  # 4 streams: started again
