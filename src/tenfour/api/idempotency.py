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

A key is bound BEFORE its command is decided, so every key with events in the
journal was bound first. Once bound a key names one command for good, whatever
became of it (done, refused, or never run). Keys used before this table existed are
bound by their next use.

In the server the table is in the journal's own database, and the binding
(``claim_in``) is one more statement of the group commit's transaction
(``Service.enqueue`` with a ``Prepared`` check): it commits with the command's
events, in the same durable commit, or not at all, so a keyed command costs no
write of its own. A command refused by the domain still binds its key (the batch
commits whatever else it holds; with nothing else, the binding alone).

``claim`` is the stand-alone form, in a transaction of its own, for a store apart
from any journal batch. Order makes it safe without a shared transaction: a crash
between the claim and the command leaves a bound key without events, which the same
command, retried, simply runs. It commits without waiting for the disk (SQLite
``synchronous=NORMAL``, PostgreSQL ``synchronous_commit=off``): an append that
follows in the same database flushes the write-ahead log up to and past it.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Protocol

from tenfour.db.schema import SchemaError, ensure_schema
from tenfour.db.steps import Dialect
from tenfour.durable import connect_postgres, open_durable, write_transaction

TABLE = "command_fingerprints"
_CLAIM = f"INSERT INTO {TABLE} (idem_key, fingerprint, first_at) VALUES (?, ?, ?) ON CONFLICT (idem_key) DO NOTHING"
_FIND = f"SELECT fingerprint FROM {TABLE} WHERE idem_key = ?"


class Statements(Protocol):
    """An open transaction of the journal's database that runs statements on the
    tables beside the journal (``tenfour.journal.sql.JournalBatch``)."""

    def execute(self, query: str, params: Sequence[Any] = ()) -> Any: ...


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

    def __init__(
        self, url: str, *, busy_timeout_s: float = 30.0, beside_journal: bool = False
    ) -> None:
        #: The journal is in this same database (the server opens both from one URL):
        #: keys are bound in its batches (``claim_in``), not by ``claim``.
        self.beside_journal = beside_journal
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

    @staticmethod
    def claim_in(batch: Statements, key: str, fingerprint: str, now: datetime) -> str | None:
        """``claim`` as part of ``batch``, an open transaction of the journal's database
        (the table must be in it: ``beside_journal``). Its errors are the batch's."""
        found = batch.execute(_CLAIM + " RETURNING 1", (key, fingerprint, now.isoformat()))
        if found.fetchone() is not None:
            return None
        row = batch.execute(_FIND, (key,)).fetchone()
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
        """The table is the database's (`tenfour.db`): created with the others in a
        new database, and an outdated database refused."""
        if self._postgres:
            with self._conn.transaction(), self._conn.cursor() as cur:
                self._ensure(cur, "postgres")
        else:
            with write_transaction(self._conn) as cur:
                self._ensure(cur, "sqlite")

    def _ensure(self, cur: Any, dialect: Dialect) -> None:
        try:
            ensure_schema(cur, dialect, self._url)
        except SchemaError as error:
            raise FingerprintStoreError(f"idempotency keys: {error}") from None

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
