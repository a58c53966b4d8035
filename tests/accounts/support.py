"""Helpers for the account tests: fixed times and the backends under test."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

from tenfour.accounts import AccountStore, Passwords, open_accounts
from tests.journal.support import PostgresBackend as JournalPostgres

T0 = datetime(2026, 11, 24, 14, 7, 30, tzinfo=UTC)
PASSWORD = "carrots-and-badges"
OTHER_PASSWORD = "sly-fox-in-the-city"
WRONG = "definitely-not-it"


def at(**delta: float) -> datetime:
    """T0 plus a delta, e.g. at(minutes=9, seconds=59)."""
    return T0 + timedelta(**delta)


class Backend:
    """One database under test: opens account stores on it and reads its tables raw."""

    def __init__(self, name: str, url: str, passwords: Passwords) -> None:
        self.name = name
        self.url = url  # what open_accounts() and open_store() take
        self.passwords = passwords
        self._stores: list[AccountStore] = []

    def open(self, passwords: Passwords | None = None) -> AccountStore:
        store = open_accounts(self.url, passwords=passwords or self.passwords)
        self._stores.append(store)
        return store

    def close_all(self) -> None:
        for store in self._stores:
            store.close()

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run raw SQL (with ? placeholders) on the database; the rows, if any."""
        raise NotImplementedError


class SqliteBackend(Backend):
    def __init__(self, path: Path, passwords: Passwords) -> None:
        super().__init__("sqlite", str(path), passwords)
        self.path = path

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(self.path, isolation_level=None)
        try:
            return conn.execute(statement, params).fetchall()
        finally:
            conn.close()


class PostgresBackend(Backend):
    def __init__(self, url: str, passwords: Passwords) -> None:
        super().__init__("postgres", url, passwords)

    def reset(self) -> None:
        """Drop the accounts' tables (and the journal's: some tests open both)."""
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute("DROP TABLE IF EXISTS login_failures, sessions, accounts, accounts_schema")
        JournalPostgres(self.url).reset()

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.url, autocommit=True) as conn:
            cur = conn.execute(statement.replace("?", "%s"), params)
            return cur.fetchall() if cur.description is not None else []
