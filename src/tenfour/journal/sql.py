"""What the SQL backends share: the queries and the append/read/verify logic.

`SqliteEventStore` and `PostgresEventStore` only open connections, create their
schema and provide two critical sections: `_reading()` and `_writing()`. Keeping
the rest here is how both backends keep exactly the same behaviour.

The table (the same columns on every backend; `type`, `at` and `by` are renamed
because they are SQL keywords or easily confused with them):

    journal_events(seq PK, stream, version, event_type, occurred_at, actor,
                   data (canonical JSON text), idempotency_key, prev_hash, hash,
                   UNIQUE (stream, version))
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Any, Protocol, Self

from tenfour.journal.chain import (
    GENESIS_HASH,
    Row,
    check_expected,
    encode_data,
    link,
    verify_rows,
)
from tenfour.journal.model import (
    AppendResult,
    InvalidEventError,
    JournalError,
    NewEvent,
    StoredEvent,
    VerifyReport,
)

TABLE = "journal_events"
COLUMNS = (
    "seq, stream, version, event_type, occurred_at, actor, data, idempotency_key, prev_hash, hash"
)
# Reads go in pages so a long scan never holds the connection lock for long and
# never holds the whole journal in memory.
PAGE_SIZE = 1000

_INSERT = f"INSERT INTO {TABLE} ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_HEAD = f"SELECT seq, hash FROM {TABLE} ORDER BY seq DESC LIMIT 1"
_STREAM_VERSION = f"SELECT COALESCE(MAX(version), 0) FROM {TABLE} WHERE stream = ?"
_BY_KEY = f"SELECT {COLUMNS} FROM {TABLE} WHERE idempotency_key = ? ORDER BY seq"

#: Where readers of the journal (the policy reactor) keep how far they have got. Not
#: part of the chain: a position is a bookmark, rewritten in place, never an event.
POSITIONS = "journal_positions"
POSITIONS_SCHEMA = f"""CREATE TABLE IF NOT EXISTS {POSITIONS} (
    name TEXT PRIMARY KEY,
    seq BIGINT NOT NULL CHECK (seq >= 0)
)"""
_GET_POSITION = f"SELECT seq FROM {POSITIONS} WHERE name = ?"
_SAVE_POSITION = (
    f"INSERT INTO {POSITIONS} (name, seq) VALUES (?, ?) "
    "ON CONFLICT (name) DO UPDATE SET seq = excluded.seq"
)


class Cursor(Protocol):
    """The part of a DB-API cursor the shared code uses (sqlite3 and psycopg both fit)."""

    def execute(self, query: str, params: Sequence[Any] = ..., /) -> object: ...

    def executemany(self, query: str, params_seq: Sequence[Sequence[Any]], /) -> object: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


def _check_count(name: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidEventError(f"{name}: must be an integer >= 0, got {value!r}")
    return value


class HeadListener(Protocol):
    """Told of the chain's head after every committed append, and of the store's
    close (`tenfour.journal.anchor.Anchorer` keeps it outside the database)."""

    def note(self, seq: int, hash: str) -> None: ...

    def close(self) -> None: ...


class SqlEventStore(ABC):
    """An `EventStore` over a DB-API connection; subclasses supply the connection."""

    #: Opened only to read (forensics: a copy on read-only media); writes are refused.
    read_only = False

    def __init__(self) -> None:
        # One connection per store, shared by threads: every use holds this lock.
        self._lock = threading.Lock()
        self._closed = False
        self._head_listener: HeadListener | None = None

    def listen_head(self, listener: HeadListener) -> None:
        """Tell `listener` the head after each committed append and when closing."""
        self._head_listener = listener

    # -- what a backend provides ----------------------------------------------------

    @abstractmethod
    def _reading(self) -> AbstractContextManager[Cursor]:
        """A cursor for one or more reads, under `self._lock`."""

    @abstractmethod
    def _writing(self) -> AbstractContextManager[Cursor]:
        """A cursor inside one transaction holding the journal's write lock.

        Leaving normally commits and returns only when the commit is durable;
        leaving by an exception rolls back. Database errors become `JournalError`.
        """

    @abstractmethod
    def _bookmarking(self) -> AbstractContextManager[Cursor]:
        """A cursor inside one durable transaction that does not lock the journal."""

    @abstractmethod
    def _close_connection(self) -> None: ...

    def _sql(self, query: str) -> str:
        """`query` in the backend's parameter style (queries here are written with ?)."""
        return query

    # -- EventStore -----------------------------------------------------------------

    def append(
        self,
        events: Sequence[NewEvent],
        *,
        expected: Mapping[str, int] | None = None,
        idempotency_key: str | None = None,
    ) -> AppendResult:
        expected = dict(expected or {})
        self._check_append(events, expected, idempotency_key)
        # Encoding (and refusing bad payloads) happens before the write lock is taken.
        data_texts = [encode_data(event.data) for event in events]
        streams = sorted({event.stream for event in events} | expected.keys())
        with self._writing() as cur:
            if idempotency_key is not None:
                cur.execute(self._sql(_BY_KEY), (idempotency_key,))
                earlier = cur.fetchall()
                if earlier:
                    return AppendResult(tuple(Row(*r).to_event() for r in earlier), True)
            versions: dict[str, int] = {}
            for stream in streams:
                cur.execute(self._sql(_STREAM_VERSION), (stream,))
                versions[stream] = int(cur.fetchone()[0])
            check_expected(expected, versions)
            cur.execute(self._sql(_HEAD))
            head = cur.fetchone()
            rows = link(
                events,
                data_texts,
                head_seq=0 if head is None else int(head[0]),
                head_hash=GENESIS_HASH if head is None else str(head[1]),
                versions=versions,
                idempotency_key=idempotency_key,
            )
            cur.executemany(self._sql(_INSERT), rows)
            self._announce(cur, rows[-1].seq)
        if self._head_listener is not None:  # committed: now the head may be anchored
            self._head_listener.note(rows[-1].seq, rows[-1].hash)
        return AppendResult(tuple(row.to_event() for row in rows), False)

    def _announce(self, cur: Cursor, head: int) -> None:  # noqa: B027 - optional hook
        """Tell other nodes sharing this journal that it grew (inside the transaction,
        so they hear of it only if it commits). Nothing to do for an embedded file."""

    def read(self, after: int = 0, limit: int | None = None) -> Iterator[StoredEvent]:
        _check_count("after", after)
        if limit is not None:
            _check_count("limit", limit)
        return (row.to_event() for row in self._scan("seq", "", (), after, limit))

    def read_stream(self, stream: str, after_version: int = 0) -> Iterator[StoredEvent]:
        _check_count("after_version", after_version)
        rows = self._scan("version", "stream = ? AND ", (stream,), after_version, None)
        return (row.to_event() for row in rows)

    def stream_version(self, stream: str) -> int:
        with self._reading() as cur:
            cur.execute(self._sql(_STREAM_VERSION), (stream,))
            return int(cur.fetchone()[0])

    def head(self) -> int:
        with self._reading() as cur:
            cur.execute(self._sql(_HEAD))
            row = cur.fetchone()
        return 0 if row is None else int(row[0])

    def events_for_key(self, key: str) -> tuple[StoredEvent, ...] | None:
        with self._reading() as cur:
            cur.execute(self._sql(_BY_KEY), (key,))
            rows = cur.fetchall()
        return tuple(Row(*r).to_event() for r in rows) or None

    def position(self, name: str) -> int | None:
        with self._reading() as cur:
            cur.execute(self._sql(_GET_POSITION), (name,))
            row = cur.fetchone()
        return None if row is None else int(row[0])

    def save_position(self, name: str, seq: int) -> None:
        _check_count("seq", seq)
        with self._bookmarking() as cur:
            cur.execute(self._sql(_SAVE_POSITION), (name, seq))

    def verify(self) -> VerifyReport:
        return verify_rows(self._scan("seq", "", (), 0, None))

    def close(self) -> None:
        listener, self._head_listener = self._head_listener, None
        if listener is not None:
            listener.close()
        with self._lock:
            if not self._closed:
                self._closed = True
                self._close_connection()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- helpers --------------------------------------------------------------------

    def _check_open(self) -> None:
        """Call with `self._lock` held."""
        if self._closed:
            raise JournalError("the event store is closed")

    def _check_writable(self) -> None:
        if self.read_only:
            raise JournalError("the journal was opened read-only")

    @staticmethod
    def _check_append(
        events: Sequence[NewEvent], expected: Mapping[str, int], key: str | None
    ) -> None:
        if not events:
            raise InvalidEventError("events: nothing to append")
        for event in events:
            if not isinstance(event, NewEvent):
                raise InvalidEventError(f"events: expected NewEvent, got {type(event).__name__}")
        for stream, version in expected.items():
            _check_count(f"expected[{stream!r}]", version)
        if key is not None and (not isinstance(key, str) or not key or "\x00" in key):
            raise InvalidEventError(f"idempotency_key: must be a non-empty string, got {key!r}")

    def _scan(
        self, order: str, where: str, params: tuple[Any, ...], after: int, limit: int | None
    ) -> Iterator[Row]:
        """Rows matching `where` with `order` > `after`, ascending, one page at a time.

        The journal is append-only, so paging by the last value seen never skips
        or repeats a row even while others append.
        """
        query = self._sql(
            f"SELECT {COLUMNS} FROM {TABLE} WHERE {where}{order} > ? ORDER BY {order} LIMIT ?"
        )
        remaining = limit
        while remaining is None or remaining > 0:
            size = PAGE_SIZE if remaining is None else min(PAGE_SIZE, remaining)
            with self._reading() as cur:
                cur.execute(query, (*params, after, size))
                page = [Row(*r) for r in cur.fetchall()]
            yield from page
            if len(page) < size:
                return
            after = getattr(page[-1], order)
            if remaining is not None:
                remaining -= len(page)
