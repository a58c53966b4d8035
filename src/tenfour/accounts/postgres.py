"""The PostgreSQL account store: production, shared by several API nodes.

The tables sit in the journal's database (the DSN's search_path). Nodes share
them directly: a login reads its row with `SELECT ... FOR UPDATE` inside the
transaction that records the outcome, so concurrent failed logins on different
nodes are all counted and a lockout cannot be raced past.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from tenfour.accounts.model import AccountStoreError
from tenfour.accounts.passwords import Passwords
from tenfour.accounts.sql import Cursor, SqlAccountStore
from tenfour.durable import connect_postgres

# Serialises schema creation when several nodes start at once: concurrent CREATE
# TABLE IF NOT EXISTS can still fail in Postgres. Any fixed number; not the journal's.
_SCHEMA_LOCK_ID = 0x74656E666F7572 + 1

Connection = psycopg.Connection[tuple[Any, ...]]


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except psycopg.Error as exc:
        raise AccountStoreError(f"PostgreSQL accounts: {exc}") from exc


class PostgresAccountStore(SqlAccountStore):
    """An `AccountStore` in a PostgreSQL database."""

    _for_update = " FOR UPDATE"

    def __init__(self, dsn: str, *, passwords: Passwords) -> None:
        super().__init__(passwords)
        self._dsn = dsn
        self._conn = self._connect()
        try:
            self._migrate("PostgreSQL database")
        except BaseException:
            self._conn.close()
            raise

    def _connect(self) -> Connection:
        with _translated():
            return connect_postgres(self._dsn)

    def _connection(self) -> Connection:
        """The live connection, reconnecting once it broke. Call with `self._lock` held."""
        self._check_open()
        if self._conn.broken:
            self._conn.close()
            self._conn = self._connect()
        return self._conn

    def _before_migration(self, cur: Cursor) -> None:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK_ID,))

    def _table_exists(self, cur: Cursor, name: str) -> bool:
        cur.execute("SELECT to_regclass(%s)", (name,))
        row = cur.fetchone()
        return row is not None and row[0] is not None

    def _sql(self, query: str) -> str:
        return query.replace("?", "%s")

    @contextmanager
    def _reading(self) -> Iterator[Cursor]:
        with self._lock, _translated():
            conn = self._connection()
            with conn.cursor() as cur:
                yield cur

    @contextmanager
    def _writing(self) -> Iterator[Cursor]:
        with self._lock, _translated():
            conn = self._connection()
            with conn.transaction(), conn.cursor() as cur:
                yield cur

    def _close_connection(self) -> None:
        self._conn.close()
