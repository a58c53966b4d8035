"""What only the PostgreSQL backend needs checking: session settings, several nodes
starting at once, and reconnecting."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import psycopg
import pytest

from tenfour.accounts import AccountStoreError, Passwords
from tenfour.accounts.postgres import PostgresAccountStore
from tenfour.db import CURRENT

from .support import PASSWORD, T0, PostgresBackend

pytestmark = pytest.mark.postgres


@pytest.fixture
def url(postgres_url: str, passwords: Passwords) -> str:
    PostgresBackend(postgres_url, passwords).reset()
    return postgres_url


def test_commits_are_synchronous_even_when_the_server_says_otherwise(
    url: str, passwords: Passwords
) -> None:
    relaxed = f"{url}?options=-csynchronous_commit%3Doff"
    with PostgresAccountStore(relaxed, passwords=passwords) as store:
        assert store._pg.conn.execute("SHOW synchronous_commit").fetchone() == ("on",)


def test_several_nodes_starting_at_once_create_the_schema_once(
    url: str, passwords: Passwords
) -> None:
    with ThreadPoolExecutor(4) as pool:
        stores = list(pool.map(lambda _: PostgresAccountStore(url, passwords=passwords), range(4)))
    try:
        stores[0].create("hopps", "officer", PASSWORD, now=T0)
        assert [s.get("hopps") is not None for s in stores] == [True] * 4
        with psycopg.connect(url) as conn:
            found = conn.execute("SELECT COUNT(*) FROM schema_version").fetchone()
            assert found == (CURRENT,)
    finally:
        for store in stores:
            store.close()


def test_unreachable_server_is_an_account_store_error(url: str, passwords: Passwords) -> None:
    parts = urlsplit(url)
    wrong = parts._replace(netloc=f"postgres@{parts.hostname}:1").geturl()
    with pytest.raises(AccountStoreError, match="PostgreSQL accounts"):
        PostgresAccountStore(wrong, passwords=passwords)


def test_reconnects_after_the_connection_is_lost(url: str, passwords: Passwords) -> None:
    with PostgresAccountStore(url, passwords=passwords) as store:
        store.create("hopps", "officer", PASSWORD, now=T0)
        pid = store._pg.conn.info.backend_pid
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        # The call that meets the dead connection fails; the next one reconnects.
        with pytest.raises(AccountStoreError):
            store.get("hopps")
        assert store.authenticate("hopps", PASSWORD, now=T0).ok
