"""Which command each idempotency key was first used for: a key reused for a
different command is refused (409) instead of silently answered with the first answer.

The journal keeps each key with the events it produced, but not the command that
produced them (events are what happened, not what was asked). Rather than change the
journal's schema or put request data into its events, the binding lives in a small
table of its own in the same database, beside the accounts' tables and like them
outside the journal and its hash chain::

    command_fingerprints(idem_key PK, fingerprint, first_at)

``fingerprint`` is the SHA-256 of the canonical JSON of the parsed ``{do, with}``
(defaults filled in, keys sorted), so the same command sent again matches whatever
its spelling. Keys are the account-scoped ones (``username/key``).

Order makes it safe without a transaction shared with the journal: a key is bound
(``claim``) BEFORE its command runs, so every key with events in the journal was
bound first. A crash between the two leaves a bound key without events, which the
same command, retried, simply runs. Once bound a key names one command for good,
whatever became of it (done, refused, or never run). Keys used before this table
existed are bound by their next use.

The claim commits without waiting for the disk (SQLite ``synchronous=NORMAL``,
PostgreSQL ``synchronous_commit=off``): the journal's append that follows, in the
same database, flushes the write-ahead log up to and past it, so a key that has
events is never left without its fingerprint by a crash, and a claim lost to one
belonged to a command that wrote nothing. That spares a second fsync per command.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from tenfour.durable import connect_postgres, open_durable, write_transaction

TABLE = "command_fingerprints"
_SCHEMA = f"""CREATE TABLE IF NOT EXISTS {TABLE} (
    idem_key TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    first_at TEXT NOT NULL
)"""
_CLAIM = f"INSERT INTO {TABLE} (idem_key, fingerprint, first_at) VALUES (?, ?, ?) ON CONFLICT (idem_key) DO NOTHING"
_FIND = f"SELECT fingerprint FROM {TABLE} WHERE idem_key = ?"
# Serialises table creation when several nodes start at once (not the journal's nor
# the accounts' number).
_SCHEMA_LOCK_ID = 0x74656E666F7572 + 2


class FingerprintStoreError(Exception):
    """The database failed (or timed out) while binding a key."""


def fingerprint(do: str, with_: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of ``{do, with}``."""
    text = json.dumps(
        {"do": do, "with": with_},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class FingerprintStore:
    """Keys and the fingerprint of the command each was first used for."""

    def __init__(self, url: str, *, busy_timeout_s: float = 30.0) -> None:
        self._lock = threading.Lock()
        self._postgres = url.startswith(("postgresql://", "postgres://"))
        self._url = url
        self._busy_timeout_s = busy_timeout_s
        self._conn: Any = None
        self._errors: tuple[type[Exception], ...] = (sqlite3.Error,)
        if self._postgres:
            import psycopg  # here, so that SQLite-only installs need no psycopg

            self._errors = (psycopg.Error,)
        with self._lock, self._translated():
            self._conn = self._connect()
            self._create()

    def claim(self, key: str, fingerprint: str, now: datetime) -> str | None:
        """Bind ``key`` to ``fingerprint`` unless it is bound already. Returns the
        fingerprint it was bound to before, or None if this call bound it."""
        with self._lock, self._translated():
            conn = self._connection()
            if self._postgres:
                with conn.transaction(), conn.cursor() as cur:
                    cur.execute(_pg(_CLAIM) + " RETURNING 1", (key, fingerprint, now.isoformat()))
                    if cur.fetchone() is not None:
                        return None
                    cur.execute(_pg(_FIND), (key,))
                    row = cur.fetchone()
            else:
                with write_transaction(conn) as cur:
                    cur.execute(_CLAIM, (key, fingerprint, now.isoformat()))
                    if cur.rowcount == 1:
                        return None
                    cur.execute(_FIND, (key,))
                    row = cur.fetchone()
        return None if row is None else str(row[0])

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # -- connections ----------------------------------------------------------------

    def _connect(self) -> Any:
        if self._postgres:
            pg = connect_postgres(self._url)
            # See the module docstring: the journal's commit right after flushes it.
            pg.execute("SET synchronous_commit = off")
            return pg
        lite = open_durable(_sqlite_path(self._url), self._busy_timeout_s)
        # See the module docstring: the journal's fsync right after covers it.
        lite.execute("PRAGMA synchronous=NORMAL")
        return lite

    def _connection(self) -> Any:
        """The live connection, reconnecting once it broke. Call with the lock held."""
        if self._conn is None:
            raise FingerprintStoreError("the fingerprint store is closed")
        if self._postgres and self._conn.broken:
            self._conn.close()
            self._conn = self._connect()
        return self._conn

    def _create(self) -> None:
        if self._postgres:
            with self._conn.transaction(), self._conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK_ID,))
                cur.execute(_SCHEMA)
        else:
            with write_transaction(self._conn) as cur:
                cur.execute(_SCHEMA)

    @contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except self._errors as exc:
            raise FingerprintStoreError(f"idempotency keys: {exc}") from exc


def _pg(query: str) -> str:
    return query.replace("?", "%s")


def _sqlite_path(url: str) -> str:
    """The file of a journal URL as ``open_store`` reads it (a path or sqlite:///path)."""
    if url.startswith("sqlite://"):
        path = url.removeprefix("sqlite://")
        if not path.startswith("/") or len(path) == 1:
            raise FingerprintStoreError(f"database URL {url!r}: expected sqlite:///<path>")
        return path[1:]
    if "://" in url:
        raise FingerprintStoreError(f"database URL {url!r}: unknown scheme")
    return url
