"""Reading, checking and upgrading the schema version of a Ten-Four database.

    schema_version(version PK, description, applied_at): one row per step taken

Three callers, three rules:

- A store opening the database (`ensure_schema`, inside its own first transaction):
  an empty database is created at the current version (a new center, a test's
  temp file: creating is not upgrading); a database at the current version is
  used; anything else is refused with the command that fixes it. Never an upgrade:
  upgrades are `tenfour db upgrade`, run by an operator who took a backup.
- `tenfour db upgrade` (`upgrade`): every missing step, in order, in one
  transaction, so a failed upgrade leaves the database as it was.
- `tenfour db status` and the readiness probe (`schema_status`): read only.

On PostgreSQL every one of them holds one advisory lock for its transaction, so
nodes starting at once create the tables once and an upgrade never runs beside a
node's check. On SQLite ``BEGIN IMMEDIATE`` (the caller's) serialises them.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from tenfour.db.steps import CURRENT, STEPS, TABLES, Dialect
from tenfour.durable import connect_postgres, open_durable, write_transaction

VERSION_TABLE = "schema_version"
# Any fixed number; the stores' older locks were this plus 1, 2 and 3.
_LOCK_ID = 0x74656E666F7572 + 16
_CREATE_VERSION_TABLE = f"""CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (
    version INTEGER PRIMARY KEY,
    description TEXT NOT NULL,
    applied_at TEXT NOT NULL
)"""


class SchemaError(Exception):
    """A database this code will not use as it is: outdated, newer, or unreadable."""


@dataclass(frozen=True, slots=True)
class SchemaStatus:
    """Where a database stands. `current` is its recorded version: 0 when it has
    none, either because it is empty or because it predates recorded versions
    (`legacy`: tables of an older release, which `tenfour db upgrade` adopts)."""

    current: int
    expected: int
    legacy: bool = False

    @property
    def ok(self) -> bool:
        """The database is at the version this code needs."""
        return self.current == self.expected

    @property
    def empty(self) -> bool:
        """No Ten-Four tables at all: the first store to open it creates them."""
        return self.current == 0 and not self.legacy

    def describe(self) -> str:
        if self.ok:
            return f"schema version {self.current} (current)"
        if self.empty:
            return f"no Ten-Four tables yet (they are created at version {self.expected})"
        if self.legacy:
            return (
                "schema of a release before recorded versions "
                f"(this Ten-Four needs version {self.expected})"
            )
        if self.current > self.expected:
            return (
                f"schema version {self.current}, newer than this Ten-Four "
                f"(it knows up to {self.expected})"
            )
        return f"schema version {self.current} (this Ten-Four needs version {self.expected})"

    def problem(self, database: str) -> str | None:
        """Why a server must not start on this database and what to do, or None."""
        if self.ok or self.empty:
            return None
        if self.current > self.expected:
            return (
                f"database {shown(database)} has {self.describe()}: "
                "run the Ten-Four release that upgraded it"
            )
        return (
            f"database {shown(database)} has an outdated {self.describe()}: back it up, "
            f"then run: tenfour db upgrade --database {shown(database)}"
        )


def shown(database: str) -> str:
    """`database` fit to print: a PostgreSQL URL's password replaced by ***."""
    if "://" not in database:
        return database
    parts = urlsplit(database)
    if parts.password is None:
        return database
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


# -- reading the version --------------------------------------------------------------


def _existing(cur: Any, dialect: Dialect, names: tuple[str, ...]) -> set[str]:
    if dialect == "sqlite":
        cur.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {str(row[0]) for row in cur.fetchall()} & set(names)
    cur.execute(
        "SELECT name FROM unnest(%s::text[]) AS name WHERE to_regclass(name) IS NOT NULL",
        (list(names),),
    )
    return {str(row[0]) for row in cur.fetchall()}


def read_status(cur: Any, dialect: Dialect) -> SchemaStatus:
    """The database's status, read through `cur` (no writes)."""
    found = _existing(cur, dialect, (VERSION_TABLE, *TABLES))
    if VERSION_TABLE in found:
        cur.execute(f"SELECT MAX(version) FROM {VERSION_TABLE}")
        row = cur.fetchone()
        current = 0 if row is None or row[0] is None else int(row[0])
        return SchemaStatus(current, CURRENT, legacy=current == 0)
    return SchemaStatus(0, CURRENT, legacy=bool(found))


def history(cur: Any, dialect: Dialect) -> list[tuple[int, str, str]]:
    """(version, description, applied_at) of every step taken, oldest first."""
    if VERSION_TABLE not in _existing(cur, dialect, (VERSION_TABLE,)):
        return []
    cur.execute(f"SELECT version, description, applied_at FROM {VERSION_TABLE} ORDER BY version")
    return [(int(v), str(d), str(a)) for v, d, a in cur.fetchall()]


def _lock(cur: Any, dialect: Dialect) -> None:
    if dialect == "postgres":
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))


def _take(cur: Any, dialect: Dialect, version: int) -> None:
    step = STEPS[version - 1]
    step.apply(cur, dialect)
    at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    mark = "?" if dialect == "sqlite" else "%s"
    cur.execute(
        f"INSERT INTO {VERSION_TABLE} (version, description, applied_at)"
        f" VALUES ({mark}, {mark}, {mark})",
        (step.version, step.description, at),
    )


# -- what the stores call ------------------------------------------------------------


def ensure_schema(cur: Any, dialect: Dialect, database: str) -> None:
    """Create an empty database's tables at the current version; accept one at it;
    refuse any other with `SchemaError` naming the fix. Run inside the store's
    first write transaction (`cur`), which makes it atomic and serialised."""
    _lock(cur, dialect)
    status = read_status(cur, dialect)
    if status.empty:
        cur.execute(_CREATE_VERSION_TABLE)
        for step in STEPS:
            _take(cur, dialect, step.version)
        return
    problem = status.problem(database)
    if problem is not None:
        raise SchemaError(problem)


def check_readable(cur: Any, dialect: Dialect, database: str) -> SchemaStatus:
    """For a read-only open: any version up to the current one (the journal's table
    has not changed shape since before versions), never a newer one."""
    status = read_status(cur, dialect)
    if status.current > status.expected:
        raise SchemaError(f"database {shown(database)} has {status.describe()}")
    return status


# -- what the operator runs --------------------------------------------------------------


def dialect_of(database: str) -> Dialect:
    return "postgres" if database.startswith(("postgresql://", "postgres://")) else "sqlite"


def sqlite_file(database: str) -> str:
    """The file of a SQLite database URL (a path, or sqlite:///path)."""
    from tenfour.journal import JournalError, sqlite_path

    try:
        return sqlite_path(database)
    except JournalError as error:
        raise SchemaError(str(error)) from None


@contextmanager
def _transaction(database: str, *, create: bool) -> Iterator[tuple[Any, Dialect]]:
    """One write transaction on `database`, for upgrading (no statement time limit)."""
    dialect = dialect_of(database)
    if dialect == "postgres":
        import psycopg

        try:
            conn = connect_postgres(database)
        except psycopg.Error as error:
            raise SchemaError(f"database {shown(database)}: {error}") from None
        try:
            # Building an index on a long journal may take minutes; waiting for a
            # table lock held by a running server should not: stop the servers first.
            conn.execute("SET statement_timeout = 0")
            conn.execute("SET lock_timeout = '30s'")
            with conn.transaction(), conn.cursor() as cur:
                yield cur, dialect
        except psycopg.Error as error:
            raise SchemaError(f"database {shown(database)}: {error}") from None
        finally:
            conn.close()
        return
    path = sqlite_file(database)
    if not create and path != ":memory:" and not Path(path).is_file():
        raise SchemaError(f"no database at {path}")
    try:
        lite = open_durable(path, 30.0)
    except Exception as error:  # sqlite3.Error or NoWalError: both say why
        raise SchemaError(f"database {path}: {error}") from None
    try:
        with write_transaction(lite) as cur:
            yield cur, dialect
    except sqlite3.Error as error:
        raise SchemaError(f"database {path}: {error}") from None
    finally:
        lite.close()


T = TypeVar("T")


def _read_only(database: str, read: Callable[[Any, Dialect], T], empty: T) -> T:
    """``read(cursor, dialect)`` on `database` without writing or creating anything;
    ``empty`` for a SQLite file that does not exist yet. `SchemaError` when the
    database cannot be read."""
    dialect = dialect_of(database)
    if dialect == "postgres":
        import psycopg

        try:
            with connect_postgres(database) as conn, conn.cursor() as cur:
                return read(cur, dialect)
        except psycopg.Error as error:
            raise SchemaError(f"database {shown(database)}: {error}") from None
    path = sqlite_file(database)
    if path == ":memory:" or not Path(path).exists():
        return empty
    try:
        # mode=ro: never creates nor writes; it still reads a live server's WAL.
        lite = sqlite3.connect(Path(path).absolute().as_uri() + "?mode=ro", uri=True)
        try:
            return read(lite.cursor(), dialect)
        finally:
            lite.close()
    except sqlite3.Error as error:
        raise SchemaError(f"database {path}: {error}") from None


def schema_status(database: str) -> SchemaStatus:
    """The schema status of `database` (a SQLite path or URL, or a PostgreSQL URL),
    read without writing or creating anything: for `tenfour db status`, `serve`'s
    check before it starts and the readiness probe. A SQLite file that does not
    exist yet is empty. `SchemaError` when the database cannot be read."""
    return _read_only(database, read_status, SchemaStatus(0, CURRENT))


def schema_history(database: str) -> list[tuple[int, str, str]]:
    """The steps `database` has taken (see `history`), read only."""
    return _read_only(database, history, [])


#: Told of each step as it starts (`version`, `description`) and when it is done
#: (the seconds it took).
Progress = Callable[[int, str, float | None], None]


def upgrade(database: str, progress: Progress | None = None) -> tuple[SchemaStatus, int]:
    """Take every step `database` lacks, in one transaction. Returns the status it
    had before and the version it is at now. An empty PostgreSQL database (or an
    empty SQLite file) is created at the current version; a SQLite file that does
    not exist is refused (a mistyped path must not become a new center)."""
    with _transaction(database, create=False) as (cur, dialect):
        _lock(cur, dialect)
        before = read_status(cur, dialect)
        if before.current > before.expected:
            raise SchemaError(f"database {shown(database)} has {before.describe()}")
        if before.current == 0:
            cur.execute(_CREATE_VERSION_TABLE)
        for step in STEPS[before.current :]:
            if progress is not None:
                progress(step.version, step.description, None)
            started = time.perf_counter()
            _take(cur, dialect, step.version)
            if progress is not None:
                progress(step.version, step.description, time.perf_counter() - started)
    return before, CURRENT
