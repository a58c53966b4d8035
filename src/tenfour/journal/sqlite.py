"""The SQLite journal: the embedded default, one file in WAL mode, fsync'd on every commit.

One connection per store, shared by threads under a lock. Several processes may
open the same file: `BEGIN IMMEDIATE` takes SQLite's single write lock before the
head is read, so seqs stay gapless and in commit order, and the busy timeout makes
a second writer wait instead of failing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tenfour.journal.model import JournalError
from tenfour.journal.sql import TABLE, Cursor, SqlEventStore

# Kept in the file's `PRAGMA user_version`; the journal owns that number in its file.
SCHEMA_VERSION = 1

_SCHEMA = (
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        seq INTEGER PRIMARY KEY CHECK (seq > 0),
        stream TEXT NOT NULL,
        version INTEGER NOT NULL CHECK (version > 0),
        event_type TEXT NOT NULL,
        occurred_at TEXT NOT NULL,
        actor TEXT NOT NULL,
        data TEXT NOT NULL,
        idempotency_key TEXT,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL,
        UNIQUE (stream, version)
    )""",
    f"""CREATE INDEX IF NOT EXISTS {TABLE}_by_key ON {TABLE} (idempotency_key)
        WHERE idempotency_key IS NOT NULL""",
    # The database itself refuses edits; verify() still catches anyone who drops these.
    f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_no_update BEFORE UPDATE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_no_delete BEFORE DELETE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only'); END""",
)


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        raise JournalError(f"SQLite journal: {exc}") from exc


class SqliteEventStore(SqlEventStore):
    """An `EventStore` in one SQLite file (or ":memory:" for tests)."""

    def __init__(self, path: str | Path, *, busy_timeout_s: float = 30.0) -> None:
        super().__init__()
        self.path = str(path)
        with _translated():
            self._conn = sqlite3.connect(
                self.path,
                timeout=busy_timeout_s,
                isolation_level=None,  # transactions are begun explicitly, see _writing
                check_same_thread=False,  # threads share the connection under self._lock
            )
        try:
            with _translated():
                self._configure()
            self._migrate()
        except BaseException:
            self._conn.close()
            raise

    def _configure(self) -> None:
        mode = self._conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        # An in-memory database cannot use WAL; a file that cannot must not open,
        # because readers would then block writers.
        if mode != "wal" and self.path not in (":memory:", ""):
            raise JournalError(f"SQLite journal {self.path}: cannot use WAL (mode {mode})")
        # FULL: in WAL mode, NORMAL may lose the last commits on power loss, and an
        # accepted command must be on disk.
        self._conn.execute("PRAGMA synchronous=FULL")

    def _migrate(self) -> None:
        with self._writing() as cur:
            cur.execute("PRAGMA user_version")
            found = int(cur.fetchone()[0])
            if found > SCHEMA_VERSION:
                raise JournalError(
                    f"SQLite journal {self.path} has schema version {found}; "
                    f"this Ten-Four knows up to {SCHEMA_VERSION}"
                )
            if found < SCHEMA_VERSION:
                for statement in _SCHEMA:
                    cur.execute(statement)
                cur.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextmanager
    def _reading(self) -> Iterator[Cursor]:
        with self._lock, _translated():
            self._check_open()
            cur = self._conn.cursor()
            try:
                yield cur
            finally:
                cur.close()

    @contextmanager
    def _writing(self) -> Iterator[Cursor]:
        with self._lock, _translated():
            self._check_open()
            # IMMEDIATE takes the write lock now, before the head is read.
            self._conn.execute("BEGIN IMMEDIATE")
            cur = self._conn.cursor()
            try:
                yield cur
                self._conn.commit()
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.rollback()
                raise
            finally:
                cur.close()

    def _close_connection(self) -> None:
        self._conn.close()
