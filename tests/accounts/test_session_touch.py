"""A live session still answers when its last-use time cannot be written (a busy or
failing database): the touch is best effort, logged, and tried again next time."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from tenfour.accounts import AccountStore, Passwords, open_accounts
from tenfour.accounts.sqlite import SqliteAccountStore
from tests.postgres import fresh_database

from .support import PASSWORD, T0

Blocker = Callable[[], AbstractContextManager[None]]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[AccountStore, Blocker]]:
    """A store whose database waits at most a fraction of a second for a lock, and a
    way to hold the sessions table's write lock from another connection meanwhile."""
    if request.param == "sqlite":
        path = tmp_path / "accounts.db"
        store: AccountStore = SqliteAccountStore(
            path, passwords=Passwords.fast(), busy_timeout_s=0.1
        )

        @contextmanager
        def held_sqlite() -> Iterator[None]:
            other = sqlite3.connect(path, isolation_level=None)
            other.execute("BEGIN IMMEDIATE")  # the database's one write lock
            try:
                yield
            finally:
                other.rollback()
                other.close()

        yield store, held_sqlite
        store.close()
        return
    with fresh_database("tenfour_touch") as url:
        store = open_accounts(f"{url}?options=-c%20lock_timeout%3D200", passwords=Passwords.fast())

        @contextmanager
        def held_postgres() -> Iterator[None]:
            with psycopg.connect(url) as other:
                # Reads still pass; an UPDATE of sessions waits, then times out.
                other.execute("LOCK TABLE sessions IN EXCLUSIVE MODE")
                yield
                other.rollback()

        yield store, held_postgres
        store.close()


def test_a_session_answers_when_its_use_cannot_be_recorded(
    backend: tuple[AccountStore, Blocker], caplog: pytest.LogCaptureFixture
) -> None:
    store, held = backend
    store.create("claw", "dispatcher", PASSWORD, now=T0)
    token = store.open_session("claw", now=T0)
    later = T0 + timedelta(minutes=1)  # old enough for its last use to be written
    with held():
        account = store.session(token, now=later)
    assert account is not None and account.username == "claw"
    assert "could not record a session's last use" in caplog.text
    # Nothing was lost but the touch: it is written on a later use.
    caplog.clear()
    assert store.session(token, now=later + timedelta(minutes=20)) is not None
    assert store.session(token, now=later + timedelta(minutes=45)) is not None
    assert "could not record" not in caplog.text
