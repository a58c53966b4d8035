"""The PostgreSQL journal: production, shared by several API nodes.

Every append takes `LOCK TABLE journal_events IN EXCLUSIVE MODE` for its
transaction. That lock blocks other appenders (from any connection, process or
node) but not readers, so seq = head + 1 is gapless and commit order is seq order:
a reader that has seen seq N never later finds a new row below N. A SEQUENCE is
not used because a rolled-back transaction would leave a gap.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import psycopg

from tenfour.db.schema import SchemaError, check_readable, ensure_schema
from tenfour.durable import PostgresLink
from tenfour.journal.lease import Lease, PostgresLease
from tenfour.journal.model import JournalError
from tenfour.journal.sql import TABLE, Cursor, SqlEventStore

log = logging.getLogger(__name__)


class PostgresEventStore(SqlEventStore):
    """An `EventStore` in a PostgreSQL database (tables in the DSN's search_path)."""

    def __init__(self, dsn: str, *, read_only: bool = False) -> None:
        super().__init__()
        self._dsn = dsn
        self.read_only = read_only
        self._pg = PostgresLink(
            dsn,
            lock=self._lock,
            check_open=self._check_open,
            error=JournalError,
            what="PostgreSQL journal",
            read_only=read_only,
        )
        try:
            if read_only:
                self._check_schema()
            else:
                self._migrate()
        except BaseException:
            self._pg.close()
            raise

    def _check_schema(self) -> None:
        """What a read-only open checks instead of creating tables: a journal this
        version reads (any schema version up to its own; see `tenfour.db`)."""
        with self._reading() as cur:
            try:
                check_readable(cur, "postgres", self._dsn)
            except SchemaError as error:
                raise JournalError(f"PostgreSQL journal: {error}") from None
            cur.execute("SELECT to_regclass(%s)", (TABLE,))
            row = cur.fetchone()
        if row is None or row[0] is None:
            raise JournalError("PostgreSQL database holds no journal")

    def _migrate(self) -> None:
        """A new database gets every table at the current version; an outdated one
        is refused, naming `tenfour db upgrade` (upgrades are never implicit)."""
        with self._pg.transaction() as cur:
            try:
                ensure_schema(cur, "postgres", self._dsn)
            except SchemaError as error:
                raise JournalError(f"PostgreSQL journal: {error}") from None

    def _sql(self, query: str) -> str:
        return query.replace("?", "%s")

    def _reading(self) -> AbstractContextManager[Cursor]:
        return self._pg.reading()

    @contextmanager
    def _writing(self) -> Iterator[Cursor]:
        with self._pg.transaction(before=self._check_writable) as cur:
            cur.execute(f"LOCK TABLE {TABLE} IN EXCLUSIVE MODE")
            yield cur

    def _bookmarking(self) -> AbstractContextManager[Cursor]:
        return self._pg.transaction()

    def _together(self, cur: Cursor) -> AbstractContextManager[object]:
        # The rows and the announcement in one round trip (one pipeline sync): the
        # journal's lock is held meanwhile, and the other nodes wait for it.
        assert isinstance(cur, psycopg.Cursor)
        return cur.connection.pipeline()

    def _announce(self, cur: Cursor, head: int) -> None:
        # Delivered at commit, in commit order, to every node LISTENing.
        cur.execute("SELECT pg_notify(%s, %s)", (CHANNEL, str(head)))

    def _close_connection(self) -> None:
        self._pg.close()

    def lease(self, name: str) -> Lease:
        """Nodes sharing this database take turns through an advisory lock."""
        return PostgresLease(self._dsn, name)

    def watch(self, on_head: Callable[[int], None]) -> Callable[[], None]:
        """Call ``on_head(seq)`` whenever another node (or this one) appends; returns a
        function that stops watching. A missed notification costs nothing: the
        receiver catches up from its own position, so only timeliness rides on it."""
        return _watch(self._dsn, on_head)


CHANNEL = "tenfour_journal"


def _watch(dsn: str, on_head: Callable[[int], None]) -> Callable[[], None]:
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            try:
                with psycopg.connect(dsn, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    on_head(-1)  # (re)connected: catch up on whatever came meanwhile
                    while not stop.is_set():
                        for note in conn.notifies(timeout=0.5, stop_after=64):
                            on_head(int(note.payload))
            except psycopg.Error:
                log.warning("journal watch lost its connection; retrying", exc_info=True)
                stop.wait(1.0)
            except Exception:  # a broken callback must not end the watch
                log.exception("journal watch callback failed")
                stop.wait(0.1)

    thread = threading.Thread(target=run, name="tenfour-journal-watch", daemon=True)
    thread.start()

    def cancel() -> None:
        stop.set()
        thread.join(timeout=5)

    return cancel
