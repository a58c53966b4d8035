"""Database plumbing shared by the journal and the accounts (they share a database).

One rule for both: WAL so readers never block writers, ``synchronous=FULL`` so a
commit is on disk when the call returns, and writes that take SQLite's single write
lock up front (``BEGIN IMMEDIATE``) so a second writer process waits instead of
racing. Each store keeps its own lock and turns ``sqlite3.Error`` into its own errors
(``errors_as``).

What the stores share besides: their life over one connection (``OneConnectionStore``:
the lock, ``close``, ``with``) and, on PostgreSQL, the connection itself with its
reconnection and its transactions (``PostgresLink``).

Writers of one file in one process (the journal, the accounts, the idempotency keys:
one connection each) also queue on one in-process lock per file before ``BEGIN
IMMEDIATE``. Without it, a writer that finds the file locked by a neighbour sleeps
in SQLite's busy handler (1, 2, 5, 10, ... ms) however soon the lock is free; with
it, it starts the moment the neighbour commits. Other processes still meet the busy
timeout, and so does this lock: no writer waits longer than its busy timeout.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    import psycopg


class OneConnectionStore(ABC):
    """The life of a store over one connection shared by its threads (the journal's,
    the accounts'): every use holds ``_lock`` and first calls ``_check_open``;
    ``close``, or leaving a ``with`` block, closes the connection once, and any use
    after that raises the store's own error (``_closed_error``)."""

    def __init__(self) -> None:
        # One connection per store, shared by threads: every use holds this lock.
        self._lock = threading.Lock()
        self._closed = False

    @abstractmethod
    def _close_connection(self) -> None: ...

    @abstractmethod
    def _closed_error(self) -> Exception:
        """What a use after ``close`` raises."""

    def close(self) -> None:
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

    def _check_open(self) -> None:
        """Call with ``self._lock`` held."""
        if self._closed:
            raise self._closed_error()


class NoWalError(Exception):
    """The file cannot be put in WAL mode (a network file system, say)."""


@contextmanager
def errors_as(
    caught: type[Exception], error: Callable[[str], Exception], what: str
) -> Iterator[None]:
    """Run the block with the database's errors (``caught``: ``sqlite3.Error``,
    ``psycopg.Error``) raised as the store's own, ``error(f"{what}: {reason}")``, so
    callers catch one error type whichever backend is underneath."""
    try:
        yield
    except caught as exc:
        raise error(f"{what}: {exc}") from exc


class _Durable(sqlite3.Connection):
    """A connection that knows its file's in-process writer lock and busy timeout."""

    writers: threading.Lock
    busy_timeout_s: float


_WRITERS: dict[str, threading.Lock] = {}
_WRITERS_GUARD = threading.Lock()


def _writers_of(path: str) -> threading.Lock:
    if path in (":memory:", "") or path.startswith("file:"):
        return threading.Lock()  # a database of its own (or one we cannot name)
    with _WRITERS_GUARD:
        return _WRITERS.setdefault(os.path.realpath(path), threading.Lock())


def open_durable(path: str, busy_timeout_s: float) -> sqlite3.Connection:
    """A connection shared by threads under the caller's lock, in WAL + FULL mode."""
    conn = sqlite3.connect(
        path,
        timeout=busy_timeout_s,
        isolation_level=None,  # transactions are begun explicitly, see write_transaction
        check_same_thread=False,  # threads share the connection under the store's lock
        factory=_Durable,
    )
    assert isinstance(conn, _Durable)
    conn.writers = _writers_of(path)
    conn.busy_timeout_s = busy_timeout_s
    try:
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        # An in-memory database cannot use WAL; a file that cannot must not open.
        if mode != "wal" and path not in (":memory:", ""):
            raise NoWalError(f"cannot use WAL (mode {mode})")
        # FULL: in WAL mode NORMAL may lose the last commits on power loss.
        conn.execute("PRAGMA synchronous=FULL")
    except BaseException:
        conn.close()
        raise
    return conn


@contextmanager
def read_cursor(conn: sqlite3.Connection) -> Iterator[sqlite3.Cursor]:
    cur = conn.cursor()
    try:
        yield cur
    finally:
        cur.close()


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Cursor]:
    """One transaction holding the write lock from its start: commit, or roll back."""
    writers = getattr(conn, "writers", None)
    if writers is not None and not writers.acquire(timeout=getattr(conn, "busy_timeout_s", -1)):
        raise sqlite3.OperationalError("database is locked (by a writer in this process)")
    try:
        conn.execute("BEGIN IMMEDIATE")
        cur = conn.cursor()
        try:
            yield cur
            conn.commit()
        except BaseException:
            if conn.in_transaction:
                conn.rollback()
            raise
        finally:
            cur.close()
    finally:
        if writers is not None:
            writers.release()


#: PostgreSQL time limits of a store's connection, so that one stalled call (a held
#: table lock, a server gone quiet) fails the request with a 503 instead of hanging
#: it: seconds to connect, milliseconds to wait for a lock and to run one statement.
#: The URL's own ``connect_timeout`` or ``options`` (``-c lock_timeout=...``) win.
PG_CONNECT_TIMEOUT_S = 5
PG_LOCK_TIMEOUT_MS = 5_000
PG_STATEMENT_TIMEOUT_MS = 15_000


def postgres_conninfo(dsn: str) -> str:
    """``dsn`` with the time limits above added, the DSN's own settings kept over them."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    given = conninfo_to_dict(dsn)
    limits = f"-c lock_timeout={PG_LOCK_TIMEOUT_MS} -c statement_timeout={PG_STATEMENT_TIMEOUT_MS}"
    # PostgreSQL applies -c options in order: the URL's own, after ours, win.
    options = f"{limits} {given['options']}" if given.get("options") else limits
    extra: dict[str, Any] = {"options": options}
    if "connect_timeout" not in given:
        extra["connect_timeout"] = PG_CONNECT_TIMEOUT_S
    return make_conninfo(dsn, **extra)


def connect_postgres(dsn: str, *, read_only: bool = False) -> psycopg.Connection[Any]:
    """A PostgreSQL connection for a store: autocommit (plain reads need no
    transaction; writes open their own), READ COMMITTED (a fresh snapshot per
    statement, so a writer reads what the lock holder before it committed),
    ``synchronous_commit`` on even if the server default is off ("accepted" means
    the commit record is flushed), and time limits (``postgres_conninfo``).
    ``read_only``: the server refuses every write of the session, whatever is sent."""
    import psycopg

    conn = psycopg.connect(postgres_conninfo(dsn), autocommit=True)
    try:
        conn.isolation_level = psycopg.IsolationLevel.READ_COMMITTED
        row = conn.execute("SHOW synchronous_commit").fetchone()
        if row is not None and row[0] == "off":
            conn.execute("SET synchronous_commit = on")
        if read_only:
            conn.execute("SET default_transaction_read_only = on")
    except BaseException:
        conn.close()
        raise
    return conn


class PostgresLink:
    """A store's one PostgreSQL connection (the journal's, the accounts'), shared by
    the store's threads under the store's own lock.

    Every use first holds ``lock`` and calls ``check_open`` (the store refuses use
    after ``close``). A connection found broken (a restarted server, a cut network)
    is replaced by a new one: a transaction cut off with it either committed or
    not, and callers retry with the same idempotency key to find out. Every
    ``psycopg.Error`` leaves as ``error(f"{what}: {reason}")``, the store's own.
    """

    def __init__(
        self,
        dsn: str,
        *,
        lock: threading.Lock,
        check_open: Callable[[], None],
        error: Callable[[str], Exception],
        what: str,
        read_only: bool = False,
    ) -> None:
        self.dsn = dsn
        self._lock = lock
        self._check_open = check_open
        self._error = error
        self._what = what
        self._read_only = read_only
        self.conn = self._connect()

    def translated(self) -> AbstractContextManager[None]:
        """The block's ``psycopg.Error`` as the store's error."""
        import psycopg

        return errors_as(psycopg.Error, self._error, self._what)

    def _connect(self) -> psycopg.Connection[Any]:
        with self.translated():
            return connect_postgres(self.dsn, read_only=self._read_only)

    def _live(self) -> psycopg.Connection[Any]:
        """The connection, reopened if it broke. Call with the lock held."""
        self._check_open()
        if self.conn.broken:
            self.conn.close()
            self.conn = self._connect()
        return self.conn

    @contextmanager
    def reading(self) -> Iterator[psycopg.Cursor[Any]]:
        """A cursor for reads outside any transaction (autocommit)."""
        with self._lock, self.translated(), self._live().cursor() as cur:
            yield cur

    @contextmanager
    def transaction(
        self, before: Callable[[], None] | None = None
    ) -> Iterator[psycopg.Cursor[Any]]:
        """A cursor in one transaction: committed when the block ends, rolled back if
        it raises. ``before`` runs under the lock before the transaction begins (the
        journal refuses writes there when it was opened read-only)."""
        with self._lock, self.translated():
            conn = self._live()
            if before is not None:
                before()
            with conn.transaction(), conn.cursor() as cur:
                yield cur

    def close(self) -> None:
        self.conn.close()
