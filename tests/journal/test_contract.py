"""The EventStore contract, run on every backend (see conftest.py)."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tenfour.journal import (
    ConcurrencyError,
    EventBrief,
    EventStore,
    IntegrityError,
    InvalidEventError,
    JournalError,
    NewEvent,
    SqliteEventStore,
)
from tenfour.journal.chain import GENESIS_HASH, canonical_json
from tenfour.journal.postgres import PostgresEventStore

from .support import AT, DB_ERRORS, Backend, event


def _conforms(sqlite: SqliteEventStore, postgres: PostgresEventStore) -> list[EventStore]:
    """Never called: mypy fails here if a backend drifts from the EventStore protocol."""
    return [sqlite, postgres]


# -- append and read ----------------------------------------------------------------


def test_empty_journal(store: EventStore) -> None:
    assert store.head() == 0
    assert list(store.read()) == []
    assert store.stream_version("unit:ZPD-7") == 0
    assert list(store.read_stream("unit:ZPD-7")) == []
    report = store.verify()
    assert (report.ok, report.checked, report.first_bad_seq) == (True, 0, None)
    assert report.head_hash == GENESIS_HASH


def test_append_and_read_back(store: EventStore) -> None:
    new = NewEvent(
        type="unit.dispatched",
        stream="unit:ZPD-7",
        at="2026-11-24T14:07:30Z",
        by="dispatcher-1",
        data={"unit": "ZPD-7", "incident": "2026-000001", "mode": "emergency"},
    )
    result = store.append([new])

    assert result.duplicate is False
    [stored] = result.events
    assert (stored.seq, stored.stream, stored.version) == (1, "unit:ZPD-7", 1)
    assert (stored.type, stored.at, stored.by) == (new.type, new.at, new.by)
    assert stored.data == new.data
    assert stored.idempotency_key is None
    assert stored.prev_hash == GENESIS_HASH
    assert len(stored.hash) == 64 and stored.hash != GENESIS_HASH
    assert list(store.read()) == [stored]
    assert store.head() == 1


def test_one_append_is_one_batch_in_order(store: EventStore) -> None:
    result = store.append(
        [
            event("incident:2026-000001", "incident.created", priority=1),
            event("unit:ZPD-7", "unit.dispatched", incident="2026-000001"),
            event("incident:2026-000001", "incident.updated", priority=2),
        ]
    )
    assert [(e.seq, e.stream, e.version) for e in result.events] == [
        (1, "incident:2026-000001", 1),
        (2, "unit:ZPD-7", 1),
        (3, "incident:2026-000001", 2),
    ]
    # Each row links to the one before it, within a batch too.
    assert [e.prev_hash for e in result.events[1:]] == [e.hash for e in result.events[:-1]]
    assert tuple(store.read()) == result.events


def test_seq_has_no_gaps_across_many_appends(store: EventStore) -> None:
    for i in range(30):
        store.append([event(f"unit:U{i % 4}", n=i)] * (1 + i % 3))
    seqs = [e.seq for e in store.read()]
    assert seqs == list(range(1, len(seqs) + 1))
    assert store.head() == len(seqs) == sum(1 + i % 3 for i in range(30))


def test_read_after_and_limit(store: EventStore) -> None:
    for i in range(12):
        store.append([event(n=i)])
    assert [e.seq for e in store.read(after=9)] == [10, 11, 12]
    assert [e.seq for e in store.read(after=3, limit=4)] == [4, 5, 6, 7]
    assert list(store.read(limit=0)) == []
    assert list(store.read(after=12)) == []
    with pytest.raises(InvalidEventError, match="after"):
        store.read(after=-1)


def test_read_pages_through_a_long_journal(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tenfour.journal.sql.PAGE_SIZE", 3)
    store.append([event(n=i) for i in range(10)])
    assert [e.seq for e in store.read()] == list(range(1, 11))
    assert [e.seq for e in store.read(after=2, limit=7)] == list(range(3, 10))
    assert [e.version for e in store.read_stream("unit:ZPD-7", after_version=4)] == list(
        range(5, 11)
    )
    assert store.verify().checked == 10


def test_read_some_types_is_read_filtered(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small windows and pages so the typed read crosses many windows, some empty.
    monkeypatch.setattr("tenfour.journal.sql.TYPED_WINDOW", 4)
    monkeypatch.setattr("tenfour.journal.sql.PAGE_SIZE", 3)
    kinds = ["unit.located"] * 6 + ["unit.dispatched", "incident.created", "unit.located"] * 3
    store.append([event(f"unit:U{i % 3}", kind, n=i) for i, kind in enumerate(kinds)])
    store.append([event("unit:U9", "unit.located", n=99)] * 9)  # a tail with none wanted
    everything = list(store.read())
    wanted = {"unit.dispatched", "incident.created"}

    def expected(after: int = 0) -> list[Any]:
        return [e for e in everything if e.type in wanted and e.seq > after]

    assert list(store.read(types=wanted)) == expected()
    assert list(store.read(types=["incident.created", "unit.dispatched"])) == expected()
    assert list(store.read(after=8, types=wanted)) == expected(8)
    assert list(store.read(after=2, limit=3, types=wanted)) == expected(2)[:3]
    assert list(store.read(types={"unit.dispatched"})) == [
        e for e in everything if e.type == "unit.dispatched"
    ]
    assert list(store.read(types={"message.sent"})) == []
    assert list(store.read(types=())) == []
    assert list(store.read(after=len(everything), types=wanted)) == []
    # The brief read: the same events, as seq, type, time and payload only.
    assert list(store.read_brief(types=wanted)) == [
        EventBrief(e.seq, e.type, e.at, e.data) for e in expected()
    ]
    assert list(store.read_brief(after=8, types=wanted)) == [
        EventBrief(e.seq, e.type, e.at, e.data) for e in expected(8)
    ]
    assert list(store.read_brief(after=5)) == [
        EventBrief(e.seq, e.type, e.at, e.data) for e in everything[5:]
    ]
    assert list(store.read_brief(types=[])) == []


def test_read_some_types_refuses_bad_types(store: EventStore) -> None:
    store.append([event()])
    with pytest.raises(InvalidEventError, match="types"):
        store.read(types="unit.located")  # a bare string: a set of letters
    with pytest.raises(InvalidEventError, match="types"):
        store.read(types=["unit.located", ""])
    with pytest.raises(InvalidEventError, match="types"):
        store.read(types=[7])  # type: ignore[list-item]
    with pytest.raises(InvalidEventError, match="types"):
        store.read_brief(types="unit.located")
    with pytest.raises(InvalidEventError, match="after"):
        store.read_brief(after=-1)


def test_stream_versions(store: EventStore) -> None:
    store.append([event("unit:A"), event("unit:B")])
    store.append([event("unit:A"), event("unit:A")])
    assert store.stream_version("unit:A") == 3
    assert store.stream_version("unit:B") == 1
    assert store.stream_version("unit:C") == 0
    assert [(e.seq, e.version) for e in store.read_stream("unit:A")] == [(1, 1), (3, 2), (4, 3)]
    assert [e.version for e in store.read_stream("unit:A", after_version=1)] == [2, 3]


# -- optimistic concurrency -----------------------------------------------------------


def test_expected_version_matches(store: EventStore) -> None:
    store.append([event("unit:A")], expected={"unit:A": 0})
    result = store.append([event("unit:A")], expected={"unit:A": 1})
    assert result.events[0].version == 2


def test_expected_version_conflict_raises_and_writes_nothing(store: EventStore) -> None:
    store.append([event("unit:A")])
    with pytest.raises(ConcurrencyError) as caught:
        store.append([event("unit:A")], expected={"unit:A": 0})
    assert (caught.value.stream, caught.value.expected, caught.value.actual) == ("unit:A", 0, 1)
    assert "unit:A" in str(caught.value)
    assert store.head() == 1
    assert store.stream_version("unit:A") == 1


def test_conflict_on_second_stream_writes_nothing_at_all(store: EventStore) -> None:
    store.append([event("unit:B")])
    with pytest.raises(ConcurrencyError) as caught:
        store.append(
            [event("unit:A"), event("unit:B")],
            expected={"unit:A": 0, "unit:B": 0},
        )
    assert caught.value.stream == "unit:B"
    assert store.head() == 1
    assert store.stream_version("unit:A") == 0
    assert store.verify().ok


def test_expected_covers_streams_not_written(store: EventStore) -> None:
    # A decision may depend on a stream it does not write to (e.g. the incident
    # when only the unit changes); the guard still applies.
    store.append([event("incident:1")])
    with pytest.raises(ConcurrencyError):
        store.append([event("unit:A")], expected={"incident:1": 0})
    assert store.head() == 1


# -- idempotency ------------------------------------------------------------------------


def test_same_key_twice_stores_once(store: EventStore) -> None:
    batch = [event("unit:A", n=1), event("unit:B", n=2)]
    first = store.append(batch, idempotency_key="cmd-1")
    second = store.append(batch, idempotency_key="cmd-1")

    assert first.duplicate is False
    assert second.duplicate is True
    assert second.events == first.events
    assert all(e.idempotency_key == "cmd-1" for e in first.events)
    assert store.head() == 2
    assert store.events_for_key("cmd-1") == first.events
    assert store.events_for_key("cmd-2") is None


def test_reused_key_returns_the_original_events_whatever_is_sent(store: EventStore) -> None:
    first = store.append([event("unit:A")], idempotency_key="cmd-1")
    again = store.append([event("unit:Z"), event("unit:Y")], idempotency_key="cmd-1")
    assert again.duplicate and again.events == first.events
    assert store.head() == 1


def test_retry_with_stale_expected_is_a_duplicate_not_a_conflict(store: EventStore) -> None:
    # The first attempt committed but its reply was lost; the retry still says 0.
    first = store.append([event("unit:A")], expected={"unit:A": 0}, idempotency_key="k")
    retry = store.append([event("unit:A")], expected={"unit:A": 0}, idempotency_key="k")
    assert retry.duplicate and retry.events == first.events


def test_conflicting_append_does_not_use_up_its_key(store: EventStore) -> None:
    store.append([event("unit:A")])
    with pytest.raises(ConcurrencyError):
        store.append([event("unit:A")], expected={"unit:A": 0}, idempotency_key="k")
    assert store.events_for_key("k") is None
    assert store.append([event("unit:A")], idempotency_key="k").duplicate is False


# -- refused input ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"units": {"ZPD-7", "ZPD-8"}}, "data.units"),
        ({"speed": float("nan")}, "data.speed"),
        ({"location": {"lat": float("inf")}}, "data.location.lat"),
        ({"list": [1, object()]}, "data.list[1]"),
        ({1: "one"}, "data: key 1"),
        ({"text": "\ud800"}, "data.text"),
    ],
)
def test_payloads_that_are_not_json_are_refused(
    store: EventStore, data: dict[object, object], field: str
) -> None:
    bad = NewEvent(type="x.happened", stream="s", at=AT, by="system", data=data)  # type: ignore[arg-type]
    with pytest.raises(InvalidEventError, match=field.replace("[", r"\[").replace("]", r"\]")):
        store.append([event(), bad])
    assert store.head() == 0


def test_empty_append_and_bad_arguments_are_refused(store: EventStore) -> None:
    with pytest.raises(InvalidEventError, match="nothing to append"):
        store.append([])
    with pytest.raises(InvalidEventError, match="expected"):
        store.append([event()], expected={"unit:ZPD-7": -1})
    with pytest.raises(InvalidEventError, match="idempotency_key"):
        store.append([event()], idempotency_key="")
    assert store.head() == 0


# -- concurrent writers -----------------------------------------------------------------


def _race(workers: int, job: Callable[[int], None]) -> None:
    start = threading.Barrier(workers)

    def run(worker: int) -> None:
        start.wait()
        job(worker)

    with ThreadPoolExecutor(workers) as pool:
        for future in [pool.submit(run, w) for w in range(workers)]:
            future.result()


def _assert_gapless(store: EventStore, total: int) -> None:
    events = list(store.read())
    assert [e.seq for e in events] == list(range(1, total + 1))
    report = store.verify()
    assert report.ok, report.reason
    assert report.checked == total


def test_threads_sharing_one_store(store: EventStore) -> None:
    def job(worker: int) -> None:
        for i in range(40):
            store.append([event(f"unit:W{worker}", n=i), event("incident:shared", n=i)])

    _race(4, job)
    _assert_gapless(store, 4 * 40 * 2)
    assert store.stream_version("incident:shared") == 160
    assert [e.version for e in store.read_stream("unit:W2")] == list(range(1, 41))


def test_writers_on_separate_connections(backend: Backend) -> None:
    stores = [backend.open() for _ in range(3)]

    def job(worker: int) -> None:
        for i in range(40):
            stores[worker].append([event(f"unit:W{worker}", n=i)])

    _race(3, job)
    _assert_gapless(stores[0], 120)


def test_optimistic_writers_on_one_stream_never_lose_an_update(backend: Backend) -> None:
    stores = [backend.open() for _ in range(3)]

    def job(worker: int) -> None:
        store = stores[worker]
        done = 0
        while done < 15:
            seen = store.stream_version("incident:1")
            try:
                store.append([event("incident:1", n=worker)], expected={"incident:1": seen})
            except ConcurrencyError:
                continue  # someone else got there first: look again and retry
            done += 1

    _race(3, job)
    assert stores[1].stream_version("incident:1") == 45
    _assert_gapless(stores[2], 45)


_WRITER = """
import sys
from tenfour.journal import NewEvent, open_store
url, worker, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open_store(url) as store:
    for i in range(count):
        new = NewEvent("unit.located", f"unit:P{worker}", "2026-11-24T14:07:30Z", "avl", {"i": i})
        store.append([new])
"""


def test_writer_processes(backend: Backend, store: EventStore) -> None:
    # Separate processes (or API nodes) share only the database and its lock.
    store.append([event("unit:first")])
    writers = [
        subprocess.Popen([sys.executable, "-c", _WRITER, backend.url, str(w), "60"])
        for w in range(3)
    ]
    assert [writer.wait(timeout=120) for writer in writers] == [0, 0, 0]
    _assert_gapless(store, 1 + 3 * 60)
    assert [store.stream_version(f"unit:P{w}") for w in range(3)] == [60, 60, 60]


# -- tamper evidence --------------------------------------------------------------------


def _five_events(store: EventStore) -> None:
    for i in range(5):
        store.append([event(f"unit:U{i % 2}", n=i, text="ok")])


def _swap(backend: Backend, a: int, b: int) -> None:
    # Three steps because the primary key is checked row by row.
    backend.tamper("UPDATE journal_events SET seq = 1000 WHERE seq = ?", (a,))
    backend.tamper("UPDATE journal_events SET seq = ? WHERE seq = ?", (a, b))
    backend.tamper("UPDATE journal_events SET seq = ? WHERE seq = 1000", (b,))


def test_verify_accepts_an_untouched_journal(store: EventStore) -> None:
    _five_events(store)
    report = store.verify()
    assert (report.ok, report.checked, report.first_bad_seq, report.reason) == (True, 5, None, "")
    assert report.head_hash == list(store.read())[-1].hash


def test_verify_finds_an_altered_data_field(backend: Backend, store: EventStore) -> None:
    _five_events(store)
    altered = canonical_json({"n": 2, "text": "changed"})
    backend.tamper("UPDATE journal_events SET data = ? WHERE seq = 3", (altered,))
    report = store.verify()
    assert (report.ok, report.first_bad_seq, report.checked) == (False, 3, 2)
    assert "altered" in report.reason and "seq 3" in report.reason


def test_verify_finds_a_deleted_row(backend: Backend, store: EventStore) -> None:
    _five_events(store)
    backend.tamper("DELETE FROM journal_events WHERE seq = 3")
    report = store.verify()
    assert (report.ok, report.first_bad_seq, report.checked) == (False, 3, 2)
    assert "missing" in report.reason


def test_verify_finds_swapped_rows(backend: Backend, store: EventStore) -> None:
    _five_events(store)
    _swap(backend, 3, 4)
    report = store.verify()
    assert (report.ok, report.first_bad_seq) == (False, 3)
    assert "prev_hash" in report.reason


def test_verify_finds_a_broken_prev_hash(backend: Backend, store: EventStore) -> None:
    _five_events(store)
    backend.tamper("UPDATE journal_events SET prev_hash = ? WHERE seq = 4", ("f" * 64,))
    report = store.verify()
    assert (report.ok, report.first_bad_seq, report.checked) == (False, 4, 3)
    assert "prev_hash" in report.reason and "seq 3" in report.reason


def test_verify_finds_a_row_rehashed_after_an_edit(backend: Backend, store: EventStore) -> None:
    # An editor who also recomputes the row's own hash is caught by the next link.
    _five_events(store)
    backend.tamper("UPDATE journal_events SET hash = ? WHERE seq = 2", ("a" * 64,))
    report = store.verify()
    assert (report.ok, report.first_bad_seq) == (False, 2)
    assert "altered" in report.reason


def test_verify_finds_an_altered_stream_version(backend: Backend, store: EventStore) -> None:
    _five_events(store)
    backend.tamper("UPDATE journal_events SET version = 7 WHERE seq = 5")
    report = store.verify()
    assert (report.ok, report.first_bad_seq) == (False, 5)


def test_reading_a_row_whose_data_is_not_json_raises(backend: Backend, store: EventStore) -> None:
    _five_events(store)
    backend.tamper("UPDATE journal_events SET data = '{broken' WHERE seq = 2")
    with pytest.raises(IntegrityError, match="seq 2"):
        list(store.read())
    with pytest.raises(IntegrityError, match="seq 2"):
        list(store.read_brief())
    backend.tamper("UPDATE journal_events SET data = '[1]' WHERE seq = 3")
    with pytest.raises(IntegrityError, match="seq 3: stored data is not a JSON object"):
        list(store.read_brief(after=2))
    assert store.verify().first_bad_seq == 2


def test_the_database_refuses_updates_and_deletes(backend: Backend, store: EventStore) -> None:
    _five_events(store)
    with pytest.raises(DB_ERRORS, match="append-only"):
        backend.tamper("UPDATE journal_events SET actor = 'mallory'", bypass=False)
    with pytest.raises(DB_ERRORS, match="append-only"):
        backend.tamper("DELETE FROM journal_events WHERE seq = 5", bypass=False)
    assert store.verify().ok and store.head() == 5


# -- durability, text and shape ---------------------------------------------------------


def test_data_survives_close_and_reopen(backend: Backend) -> None:
    with backend.open() as store:
        written = store.append([event(n=1), event(n=2)], idempotency_key="k").events
    with backend.open() as reopened:
        assert tuple(reopened.read()) == written
        assert reopened.events_for_key("k") == written
        assert reopened.append([event(n=3)]).events[0].prev_hash == written[-1].hash
        assert reopened.verify().ok


def test_a_closed_store_refuses_work(store: EventStore) -> None:
    store.close()
    store.close()  # closing twice is harmless
    with pytest.raises(JournalError, match="closed"):
        store.head()
    with pytest.raises(JournalError, match="closed"):
        store.append([event()])


def test_unicode_round_trips(backend: Backend, store: EventStore) -> None:
    data = {
        "text": "Ünïcödé — 日本語 — 🚓🚑🚒",
        "straße": "Ḱ",
        "control": "tab\tnul\x00end",
        "nested": {"emoji 🙂": ["ж", "ü"]},
    }
    new = NewEvent(
        type="incident.noted", stream="incident:Zürich-1", at=AT, by="officer-Łukasz", data=data
    )
    written = store.append([new]).events[0]
    assert written.data == data
    with backend.open() as other:
        [read] = list(other.read())
    assert read == written
    assert read.data == data and read.stream == "incident:Zürich-1"
    assert store.verify().ok


def test_payload_is_stored_as_its_canonical_text(backend: Backend, store: EventStore) -> None:
    # The stored text is what the hash covers, byte for byte, on every backend.
    store.append([event(zeta=1, alpha={"b": 2, "a": "ü"})])
    assert backend.query("SELECT data FROM journal_events WHERE seq = 1") == [
        ('{"alpha":{"a":"ü","b":2},"zeta":1}',)
    ]


def test_numbers_round_trip_exactly(store: EventStore) -> None:
    data: dict[str, Any] = {
        "big": 2**70,
        "neg": -1,
        "float": 0.1,
        "exp": 1e16,
        "flag": True,
        "none": None,
    }
    store.append([event(**data)])
    [read] = list(store.read())
    assert read.data == data
    assert type(read.data["big"]) is int and type(read.data["exp"]) is float


def test_to_json_shape(store: EventStore) -> None:
    [stored] = store.append(
        [event("unit:ZPD-7", "unit.dispatched", unit="ZPD-7", seq="spoof", by="mallory")],
        idempotency_key="cmd-9",
    ).events
    assert stored.to_json() == {
        "seq": 1,
        "type": "unit.dispatched",
        "at": AT,
        "by": "hopps",
        "stream": "unit:ZPD-7",
        "version": 1,
        "idempotency_key": "cmd-9",
        "unit": "ZPD-7",
    }
    # The envelope wins, but the payload keeps its own fields.
    assert stored.data["seq"] == "spoof"
