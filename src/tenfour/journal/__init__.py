"""The journal: Ten-Four's append-only, hash-chained event store and system of record.

State is derived from these events; nothing in them is ever updated or deleted.
Open a store with `open_store(url)`; both backends implement `EventStore`.
"""

from __future__ import annotations

from tenfour.journal.model import (
    AppendResult,
    ConcurrencyError,
    IntegrityError,
    InvalidEventError,
    JournalError,
    NewEvent,
    StoredEvent,
    VerifyReport,
)
from tenfour.journal.sqlite import SqliteEventStore
from tenfour.journal.store import EventStore

__all__ = [
    "AppendResult",
    "ConcurrencyError",
    "EventStore",
    "IntegrityError",
    "InvalidEventError",
    "JournalError",
    "NewEvent",
    "SqliteEventStore",
    "StoredEvent",
    "VerifyReport",
    "open_store",
]


def open_store(url: str) -> EventStore:
    """Open the journal at `url`.

    - `postgresql://...` (or `postgres://...`): a libpq URL, see `PostgresEventStore`.
    - `sqlite:///relative/path.db`, `sqlite:////absolute/path.db` (SQLAlchemy's
      convention: the path is what follows the third slash), `sqlite:///:memory:`.
    - anything without a scheme: a path to a SQLite file.
    """
    if url.startswith(("postgresql://", "postgres://")):
        # Imported here so that SQLite-only installs need no psycopg.
        from tenfour.journal.postgres import PostgresEventStore

        return PostgresEventStore(url)
    if url.startswith("sqlite://"):
        path = url.removeprefix("sqlite://")
        if not path.startswith("/") or len(path) == 1:
            raise JournalError(f"journal URL {url!r}: expected sqlite:///<path>")
        return SqliteEventStore(path[1:])
    if "://" in url:
        scheme = url.split("://", 1)[0]
        raise JournalError(f"journal URL {url!r}: unknown scheme {scheme!r} (sqlite, postgresql)")
    if not url:
        raise JournalError("journal URL is empty")
    return SqliteEventStore(url)
