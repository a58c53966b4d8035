"""Fixtures for the account store contract suite: every contract test runs on every backend.

As in tests/journal: `store` is parametrised over SQLite (a temp file per test)
and PostgreSQL (a fresh database per test session at 127.0.0.1:5432, user
postgres, or the admin URL in TENFOUR_TEST_POSTGRES; tables dropped before each
test). Without a reachable PostgreSQL the postgres cases skip, unless CI is set:
then they fail, so CI can never pass without really testing PostgreSQL.

Hashing uses `Passwords.fast()` so the suite stays fast; the parameters are not
what is under test here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tenfour.accounts import AccountStore, Passwords
from tests.postgres import fresh_database

from .support import Backend, PostgresBackend, SqliteBackend


@pytest.fixture(scope="session")
def passwords() -> Passwords:
    return Passwords.fast()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with fresh_database("tenfour_test_accounts") as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(
    request: pytest.FixtureRequest, tmp_path: Path, passwords: Passwords
) -> Iterator[Backend]:
    chosen: Backend
    if request.param == "sqlite":
        chosen = SqliteBackend(tmp_path / "tenfour.db", passwords)
    else:
        postgres = PostgresBackend(request.getfixturevalue("postgres_url"), passwords)
        postgres.reset()
        chosen = postgres
    try:
        yield chosen
    finally:
        chosen.close_all()


@pytest.fixture
def store(backend: Backend) -> AccountStore:
    return backend.open()
