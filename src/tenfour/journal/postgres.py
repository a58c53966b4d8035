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
from contextlib import contextmanager
from typing import Any

import psycopg

from tenfour.durable import connect_postgres
from tenfour.journal.lease import Lease, PostgresLease
from tenfour.journal.model import JournalError
from tenfour.journal.sql import POSITIONS_SCHEMA, TABLE, Cursor, SqlEventStore

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2
SCHEMA_TABLE = "journal_schema"
# Serialises schema creation when several nodes start at once (any fixed number).
_SCHEMA_LOCK_ID = 0x74656E666F7572

_SCHEMA = (
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        seq bigint PRIMARY KEY CHECK (seq > 0),
        stream text NOT NULL,
        version bigint NOT NULL CHECK (version > 0),
        event_type text NOT NULL,
        occurred_at text NOT NULL,
        actor text NOT NULL,
        data text NOT NULL,
        idempotency_key text,
        prev_hash text NOT NULL,
        hash text NOT NULL,
        UNIQUE (stream, version)
    )""",
    f"""CREATE INDEX IF NOT EXISTS {TABLE}_by_key ON {TABLE} (idempotency_key)
        WHERE idempotency_key IS NOT NULL""",
    # The database itself refuses edits; verify() still catches anyone who gets past.
    f"""CREATE OR REPLACE FUNCTION {TABLE}_append_only() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '{TABLE} is append-only (% refused)', TG_OP;
        END $$""",
    f"""CREATE TRIGGER {TABLE}_no_change BEFORE UPDATE OR DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION {TABLE}_append_only()""",
    f"""CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE}
        FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_append_only()""",
    f"CREATE TABLE {SCHEMA_TABLE} (version integer NOT NULL)",
    POSITIONS_SCHEMA,
)

Connection = psycopg.Connection[tuple[Any, ...]]


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except psycopg.Error as exc:
        raise JournalError(f"PostgreSQL journal: {exc}") from exc


class PostgresEventStore(SqlEventStore):
    """An `EventStore` in a PostgreSQL database (tables in the DSN's search_path)."""

    def __init__(self, dsn: str, *, read_only: bool = False) -> None:
        super().__init__()
        self._dsn = dsn
        self.read_only = read_only
        self._conn = self._connect()
        try:
            if read_only:
                self._check_schema()
            else:
                self._migrate()
        except BaseException:
            self._conn.close()
            raise

    def _connect(self) -> Connection:
        with _translated():
            conn = connect_postgres(self._dsn)
            if self.read_only:
                # The server refuses every write of this session, whatever we send.
                conn.execute("SET default_transaction_read_only = on")
            return conn

    def _check_schema(self) -> None:
        """What a read-only open checks instead of migrating: there is a journal."""
        with self._reading() as cur:
            cur.execute("SELECT to_regclass(%s)", (TABLE,))
            row = cur.fetchone()
        if row is None or row[0] is None:
            raise JournalError("PostgreSQL database holds no journal")

    def _connection(self) -> Connection:
        """The live connection, reconnecting once it broke. Call with `self._lock` held."""
        self._check_open()
        if self._conn.broken:
            # A transaction cut off by the broken connection either committed or
            # not; callers retry with the same idempotency key to find out.
            self._conn.close()
            self._conn = self._connect()
        return self._conn

    def _migrate(self) -> None:
        with self._lock, _translated():
            conn = self._connection()
            with conn.transaction(), conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK_ID,))
                cur.execute("SELECT to_regclass(%s)", (SCHEMA_TABLE,))
                row = cur.fetchone()
                if row is None or row[0] is None:
                    for statement in _SCHEMA:
                        cur.execute(statement)
                    cur.execute(
                        f"INSERT INTO {SCHEMA_TABLE} (version) VALUES (%s)", (SCHEMA_VERSION,)
                    )
                    return
                cur.execute(f"SELECT MAX(version) FROM {SCHEMA_TABLE}")
                row = cur.fetchone()
                found = 0 if row is None or row[0] is None else int(row[0])
                if found > SCHEMA_VERSION:
                    raise JournalError(
                        f"PostgreSQL journal has schema version {found}; "
                        f"this Ten-Four knows up to {SCHEMA_VERSION}"
                    )
                if found < 2:  # version 2: the reactor's durable position
                    cur.execute(POSITIONS_SCHEMA)
                    cur.execute(f"INSERT INTO {SCHEMA_TABLE} (version) VALUES (2)")

    def _sql(self, query: str) -> str:
        return query.replace("?", "%s")

    @contextmanager
    def _reading(self) -> Iterator[Cursor]:
        with self._lock, _translated():
            conn = self._connection()
            with conn.cursor() as cur:
                yield cur

    @contextmanager
    def _writing(self) -> Iterator[Cursor]:
        with self._lock, _translated():
            conn = self._connection()
            self._check_writable()
            with conn.transaction(), conn.cursor() as cur:
                cur.execute(f"LOCK TABLE {TABLE} IN EXCLUSIVE MODE")
                yield cur

    @contextmanager
    def _bookmarking(self) -> Iterator[Cursor]:
        with self._lock, _translated():
            conn = self._connection()
            with conn.transaction(), conn.cursor() as cur:
                yield cur

    def _announce(self, cur: Cursor, head: int) -> None:
        # Delivered at commit, in commit order, to every node LISTENing.
        cur.execute("SELECT pg_notify(%s, %s)", (CHANNEL, str(head)))

    def _close_connection(self) -> None:
        self._conn.close()

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
