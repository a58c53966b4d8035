"""The PostgreSQL account store: production, shared by several API nodes.

The tables sit in the journal's database (the DSN's search_path). Nodes share
them directly: a login reads its row with `SELECT ... FOR UPDATE` inside the
transaction that records the outcome, so concurrent failed logins on different
nodes are all counted and a lockout cannot be raced past.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from tenfour.accounts.model import AccountStoreError
from tenfour.accounts.passwords import Passwords
from tenfour.accounts.sql import Cursor, SqlAccountStore
from tenfour.durable import PostgresLink


class PostgresAccountStore(SqlAccountStore):
    """An `AccountStore` in a PostgreSQL database."""

    _for_update = " FOR UPDATE"
    _dialect = "postgres"

    def __init__(self, dsn: str, *, passwords: Passwords) -> None:
        super().__init__(passwords)
        self._pg = PostgresLink(
            dsn,
            lock=self._lock,
            check_open=self._check_open,
            error=AccountStoreError,
            what="PostgreSQL accounts",
        )
        try:
            self._migrate(dsn)
        except BaseException:
            self._pg.close()
            raise

    def _sql(self, query: str) -> str:
        return query.replace("?", "%s")

    def _reading(self) -> AbstractContextManager[Cursor]:
        return self._pg.reading()

    def _writing(self) -> AbstractContextManager[Cursor]:
        return self._pg.transaction()

    def _close_connection(self) -> None:
        self._pg.close()
