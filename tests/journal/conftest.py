"""Fixtures for the journal contract suite: every contract test runs on every backend.

`store` is parametrised over SQLite (a temp file per test) and PostgreSQL (a fresh
database per test session at 127.0.0.1:5432, user postgres, or the admin URL in
TENFOUR_TEST_POSTGRES; tables dropped before each test). Without a reachable
PostgreSQL the postgres cases skip, unless CI is set: then they fail, so CI can
never pass without really testing PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tenfour.journal import EventStore
from tests.postgres import fresh_database

from .support import Backend, PostgresBackend, SqliteBackend


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with fresh_database("tenfour_test") as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    chosen: Backend
    if request.param == "sqlite":
        chosen = SqliteBackend(tmp_path / "journal.db")
    else:
        postgres = PostgresBackend(request.getfixturevalue("postgres_url"))
        postgres.reset()
        chosen = postgres
    try:
        yield chosen
    finally:
        chosen.close_all()


@pytest.fixture
def store(backend: Backend) -> EventStore:
    return backend.open()
