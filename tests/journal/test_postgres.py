"""What only the PostgreSQL backend needs checking: its session settings and schema."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import psycopg
import pytest

from tenfour.db import CURRENT
from tenfour.journal import JournalError
from tenfour.journal.postgres import PostgresEventStore

from .support import PostgresBackend, event

pytestmark = pytest.mark.postgres


@pytest.fixture
def url(postgres_url: str) -> str:
    PostgresBackend(postgres_url).reset()
    return postgres_url


def test_commits_are_synchronous_even_when_the_server_says_otherwise(url: str) -> None:
    relaxed = f"{url}?options=-csynchronous_commit%3Doff"
    with PostgresEventStore(relaxed) as store:
        row = store._pg.conn.execute("SHOW synchronous_commit").fetchone()
        assert row == ("on",)


def test_several_nodes_starting_at_once_create_the_schema_once(url: str) -> None:
    with ThreadPoolExecutor(4) as pool:
        stores = list(pool.map(lambda _: PostgresEventStore(url), range(4)))
    try:
        stores[0].append([event()])
        assert [s.head() for s in stores] == [1, 1, 1, 1]
    finally:
        for store in stores:
            store.close()


def test_newer_schema_is_refused(url: str) -> None:
    PostgresEventStore(url).close()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO schema_version VALUES (%s, 'a later release', '2030-01-01T00:00:00Z')",
            (CURRENT + 1,),
        )
    with pytest.raises(JournalError, match="schema version"):
        PostgresEventStore(url)


def test_unreachable_server_is_a_journal_error(url: str) -> None:
    parts = urlsplit(url)
    wrong = parts._replace(netloc=f"postgres@{parts.hostname}:1").geturl()
    with pytest.raises(JournalError, match="PostgreSQL journal"):
        PostgresEventStore(wrong)


def test_reconnects_after_the_connection_is_lost(url: str) -> None:
    with PostgresEventStore(url) as store:
        store.append([event()])
        pid = store._pg.conn.info.backend_pid
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        # The call that meets the dead connection fails (its outcome is reported,
        # not guessed); the next one reconnects.
        with pytest.raises(JournalError):
            store.head()
        assert store.append([event()]).events[0].seq == 2
