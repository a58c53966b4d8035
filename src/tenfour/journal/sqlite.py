"""The SQLite journal: the embedded default, one file in WAL mode, fsync'd on every commit.

One connection per store, shared by threads under a lock. Several processes may
open the same file: `BEGIN IMMEDIATE` takes SQLite's single write lock before the
head is read, so seqs stay gapless and in commit order, and the busy timeout makes
a second writer wait instead of failing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from tenfour.db.schema import SchemaError, check_readable, ensure_schema
from tenfour.durable import (
    NoWalError,
    errors_as,
    open_durable,
    read_cursor,
    write_transaction,
)
from tenfour.journal.lease import FileLease, Lease, SoleLease
from tenfour.journal.model import JournalError
from tenfour.journal.sql import TABLE, Cursor, SqlEventStore


def open_read_only(path: str) -> sqlite3.Connection:
    """A connection that can never write, for reading a journal somebody else owns:
    a copy on read-only media, a file of mode 0444 in a read-only directory.

    A file without a `-wal` beside it was closed cleanly (everything is in the file),
    so it is opened `immutable`: no lock, no `-shm` or `-wal` created, nothing at all
    written near the evidence. With a `-wal` (a server has it open, or it was not
    checkpointed) it is opened `mode=ro`, which reads the WAL too.
    """
    if path in (":memory:", ""):
        raise JournalError("an in-memory journal cannot be opened read-only")
    file = Path(path).absolute()
    if not file.is_file():
        raise JournalError(f"no journal at {path}")
    immutable = not Path(f"{file}-wal").exists()
    uri = file.as_uri() + ("?mode=ro&immutable=1" if immutable else "?mode=ro")
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    try:
        conn.execute("PRAGMA query_only = ON")
    except BaseException:
        conn.close()
        raise
    return conn


def _translated() -> AbstractContextManager[None]:
    return errors_as(sqlite3.Error, JournalError, "SQLite journal")


class SqliteEventStore(SqlEventStore):
    """An `EventStore` in one SQLite file (or ":memory:" for tests)."""

    def __init__(
        self, path: str | Path, *, busy_timeout_s: float = 30.0, read_only: bool = False
    ) -> None:
        super().__init__()
        self.path = str(path)
        self.read_only = read_only
        with _translated():
            if read_only:
                self._conn = open_read_only(self.path)
            else:
                try:
                    self._conn = open_durable(self.path, busy_timeout_s)
                except NoWalError as exc:
                    raise JournalError(f"SQLite journal {self.path}: {exc}") from None
        try:
            if read_only:
                self._check_schema()
            else:
                self._migrate()
        except BaseException:
            self._conn.close()
            raise

    def _check_schema(self) -> None:
        """What a read-only open checks instead of creating tables: a journal this
        version reads (any schema version up to its own; see `tenfour.db`)."""
        with self._reading() as cur:
            try:
                check_readable(cur, "sqlite", self.path)
            except SchemaError as error:
                raise JournalError(f"SQLite journal: {error}") from None
            cur.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,))
            has_table = cur.fetchone() is not None
        if not has_table:
            raise JournalError(f"SQLite file {self.path} holds no journal")

    def _migrate(self) -> None:
        """A new file gets every table at the current version; an outdated one is
        refused, naming `tenfour db upgrade` (upgrades are never implicit)."""
        with self._writing() as cur:
            try:
                ensure_schema(cur, "sqlite", self.path)
            except SchemaError as error:
                raise JournalError(f"SQLite journal: {error}") from None

    @contextmanager
    def _reading(self) -> Iterator[Cursor]:
        with self._lock, _translated():
            self._check_open()
            with read_cursor(self._conn) as cur:
                yield cur

    @contextmanager
    def _writing(self) -> Iterator[Cursor]:
        with self._lock, _translated():
            self._check_open()
            self._check_writable()
            with write_transaction(self._conn) as cur:
                yield cur

    _bookmarking = _writing

    def lease(self, name: str) -> Lease:
        """Other processes may open this file too: the lease is a lock file beside it."""
        if self.path in (":memory:", ""):
            return SoleLease()
        return FileLease(f"{self.path}.{name}.lease")

    def _close_connection(self) -> None:
        self._conn.close()
