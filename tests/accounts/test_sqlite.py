"""What only the SQLite backend needs checking: its pragmas, its URL forms, and
that it shares one file (and one schema version) with the journal."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tenfour.accounts import AccountStoreError, Passwords, open_accounts
from tenfour.accounts.sqlite import SqliteAccountStore
from tenfour.db import CURRENT
from tenfour.journal import open_store

from .support import PASSWORD, T0


def test_file_uses_wal_with_full_sync_and_foreign_keys(
    tmp_path: Path, passwords: Passwords
) -> None:
    with SqliteAccountStore(tmp_path / "a.db", passwords=passwords) as store:
        conn = store._conn
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
        assert conn.execute("PRAGMA foreign_keys").fetchone() == (1,)


@pytest.mark.parametrize("journal_first", [True, False])
def test_journal_and_accounts_share_a_file_in_either_order(
    tmp_path: Path, passwords: Passwords, journal_first: bool
) -> None:
    path = tmp_path / "tenfour.db"
    if journal_first:
        open_store(str(path)).close()
    open_accounts(str(path), passwords=passwords).close()
    open_store(str(path)).close()
    conn = sqlite3.connect(path)
    try:
        versions = conn.execute("SELECT version FROM schema_version").fetchall()
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    finally:
        conn.close()
    # Whichever opens first creates every table, each step recorded once.
    assert versions == [(v,) for v in range(1, CURRENT + 1)]
    assert {"journal_events", "accounts", "sessions", "login_failures"} <= tables


@pytest.mark.parametrize("form", ["plain", "relative-url", "absolute-url"])
def test_url_forms(
    tmp_path: Path, passwords: Passwords, monkeypatch: pytest.MonkeyPatch, form: str
) -> None:
    monkeypatch.chdir(tmp_path)
    url = {
        "plain": "staff.db",
        "relative-url": "sqlite:///staff.db",
        "absolute-url": f"sqlite:///{tmp_path / 'staff.db'}",
    }[form]
    with open_accounts(url, passwords=passwords) as store:
        store.create("hopps", "officer", PASSWORD, now=T0)
    assert (tmp_path / "staff.db").exists()


def test_in_memory(passwords: Passwords) -> None:
    with open_accounts("sqlite:///:memory:", passwords=passwords) as store:
        store.create("hopps", "officer", PASSWORD, now=T0)
        assert store.authenticate("hopps", PASSWORD, now=T0).ok


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "empty"),
        ("mysql://x/y", "unknown scheme 'mysql'"),
        ("sqlite://", "expected sqlite:///<path>"),
        ("sqlite:///", "expected sqlite:///<path>"),
    ],
)
def test_bad_urls(url: str, message: str) -> None:
    with pytest.raises(AccountStoreError, match=message):
        open_accounts(url)


def test_unopenable_file_is_an_account_store_error(tmp_path: Path, passwords: Passwords) -> None:
    with pytest.raises(AccountStoreError, match="SQLite accounts"):
        SqliteAccountStore(tmp_path / "missing-dir" / "a.db", passwords=passwords)
