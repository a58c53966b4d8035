"""Helpers for the journal tests: sample events and the backends under test."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psycopg

from tenfour.db.steps import TABLES
from tenfour.journal import EventStore, NewEvent, open_store

# A postgresql:// URL of a database to connect to for creating the test database.
ADMIN_URL = os.environ.get("TENFOUR_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
AT = "2026-11-24T14:07:30Z"
# What a raw statement refused by the append-only guards raises, on either backend.
DB_ERRORS = (sqlite3.Error, psycopg.Error)


def event(stream: str = "unit:ZPD-7", type: str = "unit.located", **data: Any) -> NewEvent:
    """A NewEvent with a fixed time and actor, for brevity in tests."""
    return NewEvent(type=type, stream=stream, at=AT, by="hopps", data=data)


def ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


class Backend:
    """One database under test: opens stores on it and tampers with it behind their back."""

    def __init__(self, name: str, url: str) -> None:
        self.name = name
        self.url = url  # what open_store() takes, in this process or another
        self._stores: list[EventStore] = []

    def open(self) -> EventStore:
        store = open_store(self.url)
        self._stores.append(store)
        return store

    def close_all(self) -> None:
        for store in self._stores:
            store.close()

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """The rows of a raw SELECT (with ? placeholders) on the journal's database."""
        return self._run(statement, params, bypass=False)

    def tamper(self, statement: str, params: Sequence[Any] = (), *, bypass: bool = True) -> None:
        """Run raw SQL (with ? placeholders) on the journal, past its append-only guards
        unless `bypass` is false."""
        self._run(statement, params, bypass=bypass)

    def _run(self, statement: str, params: Sequence[Any], *, bypass: bool) -> list[tuple[Any, ...]]:
        raise NotImplementedError


class SqliteBackend(Backend):
    def __init__(self, path: Path) -> None:
        super().__init__("sqlite", str(path))
        self.path = path

    def _run(self, statement: str, params: Sequence[Any], *, bypass: bool) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(self.path, isolation_level=None)
        try:
            if bypass:
                # SQLite cannot disable triggers; each test has its own file, so drop them.
                conn.execute("DROP TRIGGER IF EXISTS journal_events_no_update")
                conn.execute("DROP TRIGGER IF EXISTS journal_events_no_delete")
            return conn.execute(statement, params).fetchall()
        finally:
            conn.close()


class PostgresBackend(Backend):
    def __init__(self, url: str) -> None:
        super().__init__("postgres", url)

    def reset(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            # Every table of the database: they are created together, at one version.
            tables = ", ".join((*TABLES, "schema_version"))
            conn.execute(f"DROP TABLE IF EXISTS {tables} CASCADE")
            conn.execute("DROP FUNCTION IF EXISTS journal_events_append_only()")

    def _run(self, statement: str, params: Sequence[Any], *, bypass: bool) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.url, autocommit=True) as conn:
            if bypass:
                # Replica mode skips ordinary triggers (superuser only), as an attacker
                # with full database access could.
                conn.execute("SET session_replication_role = replica")
            cur = conn.execute(statement.replace("?", "%s"), params)
            return cur.fetchall() if cur.description is not None else []
