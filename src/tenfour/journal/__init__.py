"""The journal: Ten-Four's append-only, hash-chained event store and system of record.

State is derived from these events; nothing in them is ever updated or deleted.
Open a store with `open_store(url)`; both backends implement `EventStore`.
"""

from __future__ import annotations

from tenfour.journal.model import (
    Append,
    AppendResult,
    ConcurrencyError,
    EventBrief,
    IntegrityError,
    InvalidEventError,
    JournalError,
    NewEvent,
    StoredEvent,
    VerifyReport,
)
from tenfour.journal.sqlite import SqliteEventStore
from tenfour.journal.store import Batch, EventStore

__all__ = [
    "Append",
    "AppendResult",
    "Batch",
    "ConcurrencyError",
    "EventBrief",
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


def open_store(url: str, *, read_only: bool = False) -> EventStore:
    """Open the journal at `url`.

    - `postgresql://...` (or `postgres://...`): a libpq URL, see `PostgresEventStore`.
    - `sqlite:///relative/path.db`, `sqlite:////absolute/path.db` (SQLAlchemy's
      convention: the path is what follows the third slash), `sqlite:///:memory:`.
    - anything without a scheme: a path to a SQLite file.

    `read_only`: only read (`journal verify`/`show` on evidence): no migration, no
    file created or written, every append refused with `JournalError`.
    """
    if url.startswith(("postgresql://", "postgres://")):
        # Imported here so that SQLite-only installs need no psycopg.
        from tenfour.journal.postgres import PostgresEventStore

        return PostgresEventStore(url, read_only=read_only)
    path = sqlite_path(url)
    return SqliteEventStore(path, read_only=read_only)


def sqlite_path(url: str) -> str:
    """The file of a SQLite journal URL (":memory:" for an in-memory one); `JournalError`
    for a URL that is not one (see `open_store`)."""
    if url.startswith("sqlite://"):
        path = url.removeprefix("sqlite://")
        if not path.startswith("/") or len(path) == 1:
            raise JournalError(f"journal URL {url!r}: expected sqlite:///<path>")
        return path[1:]
    if "://" in url:
        scheme = url.split("://", 1)[0]
        raise JournalError(f"journal URL {url!r}: unknown scheme {scheme!r} (sqlite, postgresql)")
    if not url:
        raise JournalError("journal URL is empty")
    return url
