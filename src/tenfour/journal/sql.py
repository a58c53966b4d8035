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

from abc import abstractmethod
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, NamedTuple, Protocol

from tenfour.durable import OneConnectionStore
from tenfour.journal.chain import (
    GENESIS_HASH,
    Row,
    brief_event,
    check_expected,
    encode_data,
    link,
    verify_rows,
)
from tenfour.journal.model import (
    Append,
    AppendResult,
    ConcurrencyError,
    EventBrief,
    InvalidEventError,
    JournalError,
    NewEvent,
    StoredEvent,
    VerifyReport,
)
from tenfour.journal.tail import Tail, Tails

TABLE = "journal_events"
COLUMNS = (
    "seq, stream, version, event_type, occurred_at, actor, data, idempotency_key, prev_hash, hash"
)
# Reads go in pages so a long scan never holds the connection lock for long and
# never holds the whole journal in memory.
PAGE_SIZE = 1000
#: What `read_brief` selects: no stream, actor, key or hashes to fetch.
BRIEF_COLUMNS = "seq, event_type, occurred_at, data"
# A read of some types only goes through the journal in windows of this many seqs
# (see `_scan_types`), so a page is never bigger than this, however few match.
TYPED_WINDOW = 20_000

_INSERT = f"INSERT INTO {TABLE} ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
#: Rows of one read followed to learn the journal's new end, at most.
_FOLLOWED = 10_000
_HEAD = f"SELECT seq, hash FROM {TABLE} ORDER BY seq DESC LIMIT 1"
_STREAM_VERSION = f"SELECT COALESCE(MAX(version), 0) FROM {TABLE} WHERE stream = ?"
_BY_KEY = f"SELECT {COLUMNS} FROM {TABLE} WHERE idempotency_key = ? ORDER BY seq"

#: Where readers of the journal (the policy reactor) keep how far they have got. Not
#: part of the chain: a position is a bookmark, rewritten in place, never an event.
POSITIONS = "journal_positions"
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


def _check_types(types: object) -> tuple[str, ...]:
    if isinstance(types, str | bytes) or not isinstance(types, Collection):
        raise InvalidEventError(f"types: must be a collection of event type names, got {types!r}")
    for name in types:
        if not isinstance(name, str) or not name:
            raise InvalidEventError(f"types: {name!r} is not an event type name")
    return tuple(sorted(set(types)))


def _check_count(name: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidEventError(f"{name}: must be an integer >= 0, got {value!r}")
    return value


class HeadListener(Protocol):
    """Told of the chain's head after every committed append, and of the store's
    close (`tenfour.journal.anchor.Anchorer` keeps it outside the database)."""

    def note(self, seq: int, hash: str) -> None: ...

    def close(self) -> None: ...


class SqlEventStore(OneConnectionStore):
    """An `EventStore` over a DB-API connection; subclasses supply the connection."""

    #: Opened only to read (forensics: a copy on read-only media); writes are refused.
    read_only = False

    def __init__(self) -> None:
        super().__init__()
        self._head_listener: HeadListener | None = None
        #: What this store knows of the journal's end (``journal.tail``): spares a
        #: batch the head and stream-version queries while nobody else writes.
        self._tails = Tails()

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
        with self.batch() as batch:
            return batch.append_encoded(events, data_texts, expected, idempotency_key)

    def append_batch(self, appends: Sequence[Append]) -> list[AppendResult | JournalError]:
        # Checked and encoded before the write lock, like a lone append; a bad one
        # takes its own slot and the others go on.
        prepared: list[_Prepared | JournalError] = []
        for index, one in enumerate(appends):
            try:
                if not isinstance(one, Append):
                    raise InvalidEventError(
                        f"appends[{index}]: expected Append, got {type(one).__name__}"
                    )
                expected = dict(one.expected or {})
                self._check_append(one.events, expected, one.idempotency_key)
                texts = [encode_data(event.data) for event in one.events]
                prepared.append(_Prepared(one.events, texts, expected, one.idempotency_key))
            except InvalidEventError as error:
                prepared.append(error)
        results: list[AppendResult | JournalError] = []
        if not any(isinstance(p, _Prepared) for p in prepared):
            return [p for p in prepared if isinstance(p, JournalError)]  # no transaction
        with self.batch() as batch:
            for item in prepared:
                if isinstance(item, JournalError):
                    results.append(item)
                    continue
                try:
                    results.append(batch.append_encoded(*item))
                except (ConcurrencyError, InvalidEventError) as error:
                    results.append(error)
        return results

    @contextmanager
    def batch(self) -> Iterator[JournalBatch]:
        with self._writing() as cur:
            batch = JournalBatch(self, cur)
            try:
                yield batch
                batch.finish()
            finally:
                batch.open = False
        batch.committed()
        if batch.rows and self._head_listener is not None:
            # committed: now the head may be anchored
            self._head_listener.note(batch.rows[-1].seq, batch.rows[-1].hash)

    def _together(self, cur: Cursor) -> AbstractContextManager[object]:
        """Statements sent to the database at once (PostgreSQL: one pipeline)."""
        return nullcontext()

    def _announce(self, cur: Cursor, head: int) -> None:
        """Tell other nodes sharing this journal that it grew (inside the transaction,
        so they hear of it only if it commits). Nothing to do for an embedded file."""

    def read(
        self, after: int = 0, limit: int | None = None, *, types: Collection[str] | None = None
    ) -> Iterator[StoredEvent]:
        _check_count("after", after)
        if limit is not None:
            _check_count("limit", limit)
        if types is None:
            rows = self._scan("seq", "", (), after, limit)
            tail = self._tails.current
            if tail is not None and after == tail.seq:
                return self._following(tail, rows)
            return (row.to_event() for row in rows)
        typed = self._scan_types(_check_types(types), after, limit)
        return (Row(*row).to_event() for row in typed)

    def _following(self, tail: Tail, rows: Iterator[Row]) -> Iterator[StoredEvent]:
        """Rows read from the end this store knew: once all are read (catching up on
        another node's appends), the store knows the new end (``journal.tail``)."""
        seen: list[Row] | None = []
        for row in rows:
            if seen is not None:
                seen.append(row)
                if len(seen) > _FOLLOWED:
                    seen = None  # a long catch-up: not worth the memory
            yield row.to_event()
        if seen:
            self._tails.follow(tail, seen)

    def read_brief(
        self, after: int = 0, *, types: Collection[str] | None = None
    ) -> Iterator[EventBrief]:
        _check_count("after", after)
        checked = None if types is None else _check_types(types)
        rows = self._scan_types(checked, after, None, BRIEF_COLUMNS)
        return (brief_event(*row) for row in rows)

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
        super().close()

    # -- helpers --------------------------------------------------------------------

    def _closed_error(self) -> Exception:
        return JournalError("the event store is closed")

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

    def _scan_types(
        self,
        types: tuple[str, ...] | None,
        after: int,
        limit: int | None,
        columns: str = COLUMNS,
    ) -> Iterator[tuple[Any, ...]]:
        """`columns` of the rows of `types` (None: all) with seq > `after`, ascending,
        one window of seqs at a time.

        Paged by seq ranges rather than by LIMIT: with `event_type IN (...)` a LIMIT
        page would make the database sort every later match of each type to find the
        first few (with an index on the type) or walk an unbounded stretch of other
        rows (without one). A window bounds both. The head is read again for every
        window, so rows appended meanwhile are read too, as `_scan` does.
        """
        if types is not None and not types:
            return
        only = "" if types is None else f" AND event_type IN ({', '.join('?' * len(types))})"
        query = self._sql(
            f"SELECT {columns} FROM {TABLE} WHERE seq > ? AND seq <= ?{only} ORDER BY seq"
        )
        remaining = limit
        while remaining is None or remaining > 0:
            with self._reading() as cur:
                cur.execute(self._sql(_HEAD))
                head = cur.fetchone()
                if head is None or int(head[0]) <= after:
                    return
                upto = min(int(head[0]), after + TYPED_WINDOW)
                if remaining is None:
                    cur.execute(query, (after, upto, *(types or ())))
                else:
                    cur.execute(f"{query} LIMIT {int(remaining)}", (after, upto, *(types or ())))
                page = cur.fetchall()
            yield from page
            after = upto
            if remaining is not None:
                remaining -= len(page)


class _Prepared(NamedTuple):
    """One append checked and encoded, waiting for the write lock."""

    events: Sequence[NewEvent]
    data_texts: list[str]
    expected: dict[str, int]
    idempotency_key: str | None


class JournalBatch:
    """An open write transaction of a `SqlEventStore` (see `EventStore.batch`).

    The store's write lock is held from start to end, so nobody (no thread, process
    or node) appends meanwhile: the head and the stream versions read once stay true
    and are kept here instead of being asked again for every append. Rows are sent
    to the database in one `executemany` when the batch ends (or before a read).
    """

    def __init__(self, store: SqlEventStore, cur: Cursor) -> None:
        self._store = store
        self._cur = cur
        self._head: tuple[int, str] | None = None
        #: Stream versions this batch has read or written (true while it holds the lock).
        self._versions: dict[str, int] = {}
        #: The store's knowledge of the journal's end when the batch began; its
        #: versions are used (``_known``) only once the batch has seen it still true.
        self._tail = store._tails.current
        self._known: dict[str, int] | None = None
        self._keys: dict[str, tuple[StoredEvent, ...]] = {}
        self._unsent: list[Row] = []
        #: Every row appended in this batch, in seq order.
        self.rows: list[Row] = []
        self.open = True

    def read(self, after: int) -> list[StoredEvent]:
        """Every event with seq > `after`, this batch's own appends included."""
        self._check()
        _check_count("after", after)
        self._send()
        self._cur.execute(
            self._store._sql(f"SELECT {COLUMNS} FROM {TABLE} WHERE seq > ? ORDER BY seq"),
            (after,),
        )
        rows = [Row(*r) for r in self._cur.fetchall()]
        tail = self._tail
        if self._head is None and tail is not None and after == tail.seq:
            # Everything after the end the store knew, read holding the write lock:
            # the journal's end now, without asking for it (``journal.tail``).
            self._head = (rows[-1].seq, rows[-1].hash) if rows else (tail.seq, tail.hash)
            self._known = tail.versions
            for row in rows:
                self._versions[row.stream] = row.version
        return [row.to_event() for row in rows]

    def events_for_key(self, key: str) -> tuple[StoredEvent, ...] | None:
        """What `key` produced, in the journal or earlier in this batch; None if unused."""
        self._check()
        if key in self._keys:
            return self._keys[key]
        self._cur.execute(self._store._sql(_BY_KEY), (key,))
        return tuple(Row(*r).to_event() for r in self._cur.fetchall()) or None

    def append(
        self,
        events: Sequence[NewEvent],
        *,
        expected: Mapping[str, int] | None = None,
        idempotency_key: str | None = None,
    ) -> AppendResult:
        """Like `EventStore.append`, in this transaction: raises (staging nothing) on a
        conflict or a bad event, and is durable only once the batch has committed."""
        checked = dict(expected or {})
        SqlEventStore._check_append(events, checked, idempotency_key)
        texts = [encode_data(event.data) for event in events]
        return self.append_encoded(events, texts, checked, idempotency_key)

    def append_encoded(
        self,
        events: Sequence[NewEvent],
        data_texts: Sequence[str],
        expected: Mapping[str, int],
        idempotency_key: str | None,
    ) -> AppendResult:
        """`append` of events already checked, with their payloads' canonical texts."""
        self._check()
        if idempotency_key is not None:
            earlier = self.events_for_key(idempotency_key)
            if earlier:
                return AppendResult(earlier, True)
        head_seq, head_hash = self._head_now()  # first: it may vouch for known versions
        streams = sorted({event.stream for event in events} | expected.keys())
        versions = {stream: self._version(stream) for stream in streams}
        check_expected(expected, versions)
        rows = link(
            events,
            data_texts,
            head_seq=head_seq,
            head_hash=head_hash,
            versions=versions,
            idempotency_key=idempotency_key,
        )
        stored = tuple(row.to_event() for row in rows)
        for row in rows:
            self._versions[row.stream] = row.version
        self._head = (rows[-1].seq, rows[-1].hash)
        self._unsent.extend(rows)
        self.rows.extend(rows)
        if idempotency_key is not None:
            self._keys[idempotency_key] = stored
        return AppendResult(stored, False)

    def execute(self, query: str, params: Sequence[Any] = ()) -> Cursor:
        """One statement (``?`` placeholders) on a table beside the journal in the same
        database, in this transaction: it commits with the batch's events, in the same
        durable commit, or not at all (``api.idempotency`` binds keys this way).
        Never on the journal's own table: its rows go through `append` only."""
        self._check()
        if TABLE in query:
            raise JournalError(f"batch.execute: {TABLE} is written by append only")
        self._cur.execute(self._store._sql(query), tuple(params))
        return self._cur

    def finish(self) -> None:
        """Send what is left and tell other nodes (the store commits right after)."""
        with self._store._together(self._cur):
            self._send()
            if self.rows:
                self._store._announce(self._cur, self.rows[-1].seq)

    def committed(self) -> None:
        """The transaction committed: what this batch learnt of the journal's end is
        the store's now (``journal.tail``)."""
        if self._head is not None:
            trusted = self._known is not None
            self._store._tails.committed(self._tail, trusted, self._head, self._versions)

    def _check(self) -> None:
        if not self.open:
            raise JournalError("the batch is over: open a new one")

    def _send(self) -> None:
        if self._unsent:
            self._cur.executemany(self._store._sql(_INSERT), self._unsent)
            self._unsent = []

    def _version(self, stream: str) -> int:
        version = self._versions.get(stream)
        if version is None:
            known = self._known
            version = known.get(stream) if known is not None else None
            if version is None:
                self._cur.execute(self._store._sql(_STREAM_VERSION), (stream,))
                version = int(self._cur.fetchone()[0])
            self._versions[stream] = version
        return version

    def _head_now(self) -> tuple[int, str]:
        if self._head is None:
            self._cur.execute(self._store._sql(_HEAD))
            row = self._cur.fetchone()
            self._head = (0, GENESIS_HASH) if row is None else (int(row[0]), str(row[1]))
            tail = self._tail
            if tail is not None and (tail.seq, tail.hash) == self._head:
                self._known = tail.versions  # nobody wrote since: what it knew holds
        return self._head
