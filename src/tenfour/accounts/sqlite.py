"""The SQLite account store: in the journal's file, WAL mode, fsync'd on every commit.

One connection per store, shared by threads under a lock. The tables and their
version are the database's (`tenfour.db`), shared with the journal. Several
processes may open the file: `BEGIN IMMEDIATE` takes SQLite's write lock at the
start of every write, and the busy timeout makes a second writer wait instead of
failing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from tenfour.accounts.model import AccountStoreError
from tenfour.accounts.passwords import Passwords
from tenfour.accounts.sql import Cursor, SqlAccountStore
from tenfour.durable import (
    NoWalError,
    errors_as,
    open_durable,
    read_cursor,
    write_transaction,
)


def _translated() -> AbstractContextManager[None]:
    return errors_as(sqlite3.Error, AccountStoreError, "SQLite accounts")


class SqliteAccountStore(SqlAccountStore):
    """An `AccountStore` in one SQLite file (or ":memory:" for tests)."""

    def __init__(
        self, path: str | Path, *, passwords: Passwords, busy_timeout_s: float = 30.0
    ) -> None:
        super().__init__(passwords)
        self.path = str(path)
        with _translated():
            try:
                self._conn = open_durable(self.path, busy_timeout_s)
            except NoWalError as exc:
                raise AccountStoreError(f"SQLite accounts {self.path}: {exc}") from None
        try:
            with _translated():
                self._configure()
            self._migrate(self.path)
        except BaseException:
            self._conn.close()
            raise

    def _configure(self) -> None:
        """Settings beyond the shared durable ones (``tenfour.durable``)."""
        # Per connection and off by default: without it ON DELETE CASCADE is ignored.
        self._conn.execute("PRAGMA foreign_keys=ON")

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
            with write_transaction(self._conn) as cur:
                yield cur

    def _close_connection(self) -> None:
        self._conn.close()
