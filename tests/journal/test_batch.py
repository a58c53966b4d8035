"""The group-commit part of the EventStore contract (`append_batch`, `batch`), run on
every backend (see conftest.py)."""

from __future__ import annotations

import threading

import pytest

from tenfour.journal import (
    Append,
    AppendResult,
    ConcurrencyError,
    EventStore,
    InvalidEventError,
    JournalError,
)

from .support import Backend, event


def _ok(result: AppendResult | JournalError) -> AppendResult:
    assert isinstance(result, AppendResult), result
    return result


def test_a_batch_writes_every_append_in_order(store: EventStore) -> None:
    store.append([event("unit:A", n=0)])
    results = store.append_batch(
        [
            Append([event("unit:A", n=1)], expected={"unit:A": 1}),
            Append([event("unit:B", n=2), event("unit:A", n=3)]),
            Append([event("unit:C", n=4)], idempotency_key="k-1"),
        ]
    )
    stored = [e for r in results for e in _ok(r).events]
    assert [(e.seq, e.stream, e.version) for e in stored] == [
        (2, "unit:A", 2),
        (3, "unit:B", 1),
        (4, "unit:A", 3),
        (5, "unit:C", 1),
    ]
    assert not any(_ok(r).duplicate for r in results)
    assert list(store.read(after=1)) == stored  # what append_batch answers is what is kept
    assert store.events_for_key("k-1") == _ok(results[2]).events
    assert store.verify().ok


def test_a_conflict_in_the_middle_fails_alone(store: EventStore) -> None:
    store.append([event("unit:A")])
    first, conflict, last = store.append_batch(
        [
            Append([event("unit:B", n=1)], expected={"unit:B": 0}),
            Append([event("unit:A", n=2)], expected={"unit:A": 0}),  # it is at 1
            Append([event("unit:A", n=3)], expected={"unit:A": 1}),
        ]
    )
    assert isinstance(conflict, ConcurrencyError)
    assert (conflict.stream, conflict.expected, conflict.actual) == ("unit:A", 0, 1)
    assert [e.seq for e in _ok(first).events + _ok(last).events] == [2, 3]
    assert [e.data["n"] for e in store.read(after=1)] == [1, 3]
    assert store.stream_version("unit:A") == 2
    assert store.verify().ok


def test_expected_versions_count_the_batchs_own_events(store: EventStore) -> None:
    a, b, stale = store.append_batch(
        [
            Append([event("unit:A", n=1)], expected={"unit:A": 0}),
            Append([event("unit:A", n=2)], expected={"unit:A": 1}),
            # decided without seeing the two before it: a conflict, as across batches
            Append([event("unit:A", n=3)], expected={"unit:A": 0}),
        ]
    )
    assert [e.version for e in _ok(a).events + _ok(b).events] == [1, 2]
    assert isinstance(stale, ConcurrencyError) and stale.actual == 2
    assert store.head() == 2


def test_a_key_reused_inside_a_batch_answers_the_first_appends_events(
    store: EventStore,
) -> None:
    store.append([event("unit:Z")], idempotency_key="old")
    first, again, older = store.append_batch(
        [
            Append([event("unit:A", n=1)], idempotency_key="new"),
            # the same key with other events and a wrong expected: still a duplicate,
            # because the key is checked first (as for a lone append)
            Append([event("unit:B", n=2)], expected={"unit:B": 5}, idempotency_key="new"),
            Append([event("unit:C", n=3)], idempotency_key="old"),
        ]
    )
    assert not _ok(first).duplicate
    assert _ok(again).duplicate and _ok(again).events == _ok(first).events
    assert _ok(older).duplicate and [e.stream for e in _ok(older).events] == ["unit:Z"]
    assert store.head() == 2
    assert store.stream_version("unit:B") == 0


def test_invalid_appends_fail_alone_with_the_reason(store: EventStore) -> None:
    results = store.append_batch(
        [
            Append([event("unit:A", n=1)]),
            Append([]),
            Append([event("unit:B", bad=float("nan"))]),
            Append([event("unit:C")], expected={"unit:C": -1}),
            "not an append",  # type: ignore[list-item]
            Append([event("unit:D", n=2)], idempotency_key=""),
            Append([event("unit:E", n=3)]),
        ]
    )
    errors = [str(r) for r in results[1:6]]
    assert all(isinstance(r, InvalidEventError) for r in results[1:6])
    assert errors[0].startswith("events:")
    assert errors[1].startswith("data.bad:")
    assert errors[2].startswith("expected['unit:C']:")
    assert errors[3].startswith("appends[4]:")
    assert errors[4].startswith("idempotency_key:")
    assert [e.seq for r in (results[0], results[6]) for e in _ok(r).events] == [1, 2]


def test_a_batch_of_only_bad_appends_writes_nothing(store: EventStore) -> None:
    [error] = store.append_batch([Append([])])
    assert isinstance(error, InvalidEventError)
    assert store.append_batch([]) == []
    assert store.head() == 0


def test_batch_is_one_transaction(store: EventStore, backend: Backend) -> None:
    other = backend.open()
    with store.batch() as batch:
        one = batch.append([event("unit:A", n=1)], idempotency_key="k")
        two = batch.append([event("unit:A", n=2)], expected={"unit:A": 1})
        # the batch reads its own appends (and sees its own keys) before committing...
        assert batch.read(after=0) == list(one.events + two.events)
        assert batch.events_for_key("k") == one.events
        assert other.head() == 0  # ...which nobody else sees until then
    assert other.head() == 2
    assert list(other.read()) == list(one.events + two.events)


def test_a_failed_batch_writes_none_of_its_appends(store: EventStore) -> None:
    store.append([event("unit:A")])
    with pytest.raises(RuntimeError, match="boom"), store.batch() as batch:
        batch.append([event("unit:A", n=1)])
        batch.read(after=0)  # the rows have reached the database, uncommitted
        batch.append([event("unit:B", n=2)])
        raise RuntimeError("boom")
    assert store.head() == 1
    assert store.append([event("unit:A", n=3)]).events[0].seq == 2  # no gap left
    assert store.verify().ok


def test_a_conflict_inside_batch_raises_and_the_batch_goes_on(store: EventStore) -> None:
    with store.batch() as batch:
        with pytest.raises(ConcurrencyError):
            batch.append([event("unit:A", n=1)], expected={"unit:A": 3})
        with pytest.raises(InvalidEventError, match="events"):
            batch.append([])
        kept = batch.append([event("unit:A", n=2)], expected={"unit:A": 0})
    assert list(store.read()) == list(kept.events)
    with pytest.raises(JournalError, match="batch is over"):
        batch.append([event("unit:A")])


def test_batches_from_many_threads_keep_the_chain(store: EventStore, backend: Backend) -> None:
    stores = [backend.open() for _ in range(3)]
    errors: list[BaseException] = []

    def write(k: int, journal: EventStore) -> None:
        try:
            for round_ in range(5):
                batch = [
                    Append([event(f"unit:{k}-{i}", n=round_)], idempotency_key=f"{k}/{round_}/{i}")
                    for i in range(4)
                ]
                results = journal.append_batch(batch)
                assert all(isinstance(r, AppendResult) for r in results)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=write, args=(k, s)) for k, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    report = store.verify()
    assert report.ok and report.checked == 3 * 5 * 4
    seqs = [e.seq for e in store.read()]
    assert seqs == list(range(1, 61))


def test_a_big_batch_keeps_every_row_in_order(store: EventStore) -> None:
    """A batch after an outage can hold a backlog: 1,201 appends, one transaction."""
    results = store.append_batch([Append([event(f"unit:{n % 7}", n=n)]) for n in range(1_201)])
    stored = [e for r in results for e in _ok(r).events]
    assert [e.seq for e in stored] == list(range(1, 1_202))
    assert list(store.read()) == stored
    assert store.verify().ok
