"""Database plumbing shared by the journal and the accounts (they share a database).

One rule for both: WAL so readers never block writers, ``synchronous=FULL`` so a
commit is on disk when the call returns, and writes that take SQLite's single write
lock up front (``BEGIN IMMEDIATE``) so a second writer process waits instead of
racing. Each store keeps its own lock and turns ``sqlite3.Error`` into its own errors.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psycopg


class NoWalError(Exception):
    """The file cannot be put in WAL mode (a network file system, say)."""


def open_durable(path: str, busy_timeout_s: float) -> sqlite3.Connection:
    """A connection shared by threads under the caller's lock, in WAL + FULL mode."""
    conn = sqlite3.connect(
        path,
        timeout=busy_timeout_s,
        isolation_level=None,  # transactions are begun explicitly, see write_transaction
        check_same_thread=False,  # threads share the connection under the store's lock
    )
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


def connect_postgres(dsn: str) -> psycopg.Connection[Any]:
    """A PostgreSQL connection for a store: autocommit (plain reads need no
    transaction; writes open their own), READ COMMITTED (a fresh snapshot per
    statement, so a writer reads what the lock holder before it committed), and
    ``synchronous_commit`` on even if the server default is off: "accepted" means
    the commit record is flushed."""
    import psycopg

    conn = psycopg.connect(dsn, autocommit=True)
    try:
        conn.isolation_level = psycopg.IsolationLevel.READ_COMMITTED
        row = conn.execute("SHOW synchronous_commit").fetchone()
        if row is not None and row[0] == "off":
            conn.execute("SET synchronous_commit = on")
    except BaseException:
        conn.close()
        raise
    return conn
