"""A fresh PostgreSQL database for a test session, shared by the contract suites.

At 127.0.0.1:5432 as user postgres (or the admin URL in TENFOUR_TEST_POSTGRES).
Unreachable, the session's PostgreSQL cases skip, unless CI is set: then they fail,
so CI can never pass without really testing PostgreSQL.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import psycopg
import pytest
from psycopg import sql

from tests.journal.support import ADMIN_URL, ci


@contextmanager
def fresh_database(prefix: str) -> Iterator[str]:
    """Create a database named ``prefix_<random>``, yield its URL, drop it after."""
    try:
        admin = psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        reason = f"PostgreSQL not reachable at {ADMIN_URL}: {exc}".strip()
        if ci():
            pytest.fail(f"{reason} (CI is set: PostgreSQL tests must run, not skip)")
        pytest.skip(reason)
    name = f"{prefix}_{secrets.token_hex(6)}"
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield urlsplit(ADMIN_URL)._replace(path=f"/{name}").geturl()
        finally:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
