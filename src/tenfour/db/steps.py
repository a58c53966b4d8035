"""The versions of Ten-Four's database schema: what each one adds, as frozen SQL.

One database holds every table Ten-Four keeps (the journal and the tables beside
it), and one number, the highest row of ``schema_version``, says which of the
steps below it has had. A step is never edited once released: a database that
took it must mean the same thing as a database created after it, so a change to
the schema is always a new step at the end.

Version 1 is the schema of the release before versions were recorded, table for
table: each store then created its own tables when it opened the database, so a
database of that release may hold only some of them, or an older form of one
(a journal without ``journal_positions``, accounts without ``disabled_at``).
Its statements are written so that running them on such a database completes it
(``IF NOT EXISTS``, a trigger dropped before it is made again, a column added
only if missing): the same step creates a new database and adopts an old one.

Version 2 fences out the release before it. That release kept its own version
numbers (the SQLite file's ``PRAGMA user_version``, PostgreSQL's ``journal_schema``,
the accounts' ``accounts_schema``) and refused a number above 2; setting them to
``FENCE`` makes it refuse an upgraded database with its own clear error instead
of running its CREATE and ALTER statements over it. They are only a fence now:
``schema_version`` is the one record.

Version 3 indexes the journal by event type, for reports that read only some
types (``WHERE event_type IN (...) AND seq > ? ORDER BY seq``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

Dialect = Literal["sqlite", "postgres"]

#: What the previous release's version checks read as "a newer Ten-Four's database".
FENCE = 1000

#: Every table of the schema (what a test drops to start from nothing).
TABLES = (
    "journal_events",
    "journal_positions",
    "journal_schema",
    "accounts",
    "sessions",
    "login_failures",
    "accounts_schema",
    "command_fingerprints",
    "avl_devices",
)

# -- version 1: the release before versions were recorded ---------------------------

_JOURNAL_SQLITE = (
    """CREATE TABLE IF NOT EXISTS journal_events (
        seq INTEGER PRIMARY KEY CHECK (seq > 0),
        stream TEXT NOT NULL,
        version INTEGER NOT NULL CHECK (version > 0),
        event_type TEXT NOT NULL,
        occurred_at TEXT NOT NULL,
        actor TEXT NOT NULL,
        data TEXT NOT NULL,
        idempotency_key TEXT,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL,
        UNIQUE (stream, version)
    )""",
    """CREATE INDEX IF NOT EXISTS journal_events_by_key ON journal_events (idempotency_key)
        WHERE idempotency_key IS NOT NULL""",
    """CREATE TRIGGER IF NOT EXISTS journal_events_no_update BEFORE UPDATE ON journal_events
        BEGIN SELECT RAISE(ABORT, 'journal_events is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS journal_events_no_delete BEFORE DELETE ON journal_events
        BEGIN SELECT RAISE(ABORT, 'journal_events is append-only'); END""",
)

_JOURNAL_POSTGRES = (
    """CREATE TABLE IF NOT EXISTS journal_events (
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
    """CREATE INDEX IF NOT EXISTS journal_events_by_key ON journal_events (idempotency_key)
        WHERE idempotency_key IS NOT NULL""",
    """CREATE OR REPLACE FUNCTION journal_events_append_only() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'journal_events is append-only (% refused)', TG_OP;
        END $$""",
    # No CREATE TRIGGER IF NOT EXISTS in PostgreSQL: dropped and made again, so an
    # adopted journal ends with exactly these guards.
    "DROP TRIGGER IF EXISTS journal_events_no_change ON journal_events",
    """CREATE TRIGGER journal_events_no_change BEFORE UPDATE OR DELETE ON journal_events
        FOR EACH ROW EXECUTE FUNCTION journal_events_append_only()""",
    "DROP TRIGGER IF EXISTS journal_events_no_truncate ON journal_events",
    """CREATE TRIGGER journal_events_no_truncate BEFORE TRUNCATE ON journal_events
        FOR EACH STATEMENT EXECUTE FUNCTION journal_events_append_only()""",
    "CREATE TABLE IF NOT EXISTS journal_schema (version integer NOT NULL)",
)

# The same text on both backends (plain SQL types).
_SHARED = (
    """CREATE TABLE IF NOT EXISTS journal_positions (
        name TEXT PRIMARY KEY,
        seq BIGINT NOT NULL CHECK (seq >= 0)
    )""",
    """CREATE TABLE IF NOT EXISTS accounts (
        username TEXT PRIMARY KEY,
        role TEXT NOT NULL,
        member TEXT,
        password_hash TEXT NOT NULL,
        failures INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
        locked_until TEXT,
        created_at TEXT NOT NULL,
        password_changed_at TEXT NOT NULL,
        last_login_at TEXT
    )""",
    """CREATE TABLE IF NOT EXISTS sessions (
        token_hash TEXT PRIMARY KEY,
        username TEXT NOT NULL REFERENCES accounts (username) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        last_used_at TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS sessions_by_username ON sessions (username)",
    "CREATE TABLE IF NOT EXISTS accounts_schema (version INTEGER NOT NULL)",
    """CREATE TABLE IF NOT EXISTS login_failures (
        username TEXT NOT NULL REFERENCES accounts (username) ON DELETE CASCADE,
        source TEXT NOT NULL,
        failures INTEGER NOT NULL CHECK (failures >= 0),
        last_failure_at TEXT NOT NULL,
        locked_until TEXT,
        PRIMARY KEY (username, source)
    )""",
    """CREATE TABLE IF NOT EXISTS command_fingerprints (
        idem_key TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        first_at TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS avl_devices (
        id TEXT PRIMARY KEY,
        protocol TEXT NOT NULL,
        unit TEXT,
        member TEXT,
        secret_hash TEXT,
        created_at TEXT NOT NULL
    )""",
)


def _columns(cur: Any, dialect: Dialect, table: str) -> set[str]:
    if dialect == "sqlite":
        cur.execute(f"PRAGMA table_info({table})")
        return {str(row[1]) for row in cur.fetchall()}
    cur.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(%s)"
        " AND attnum > 0 AND NOT attisdropped",
        (table,),
    )
    return {str(row[0]) for row in cur.fetchall()}


def _v1(cur: Any, dialect: Dialect) -> None:
    for statement in (_JOURNAL_SQLITE if dialect == "sqlite" else _JOURNAL_POSTGRES) + _SHARED:
        cur.execute(statement)
    # Accounts of the release before that one lack the column (its accounts version 2).
    if "disabled_at" not in _columns(cur, dialect, "accounts"):
        cur.execute("ALTER TABLE accounts ADD COLUMN disabled_at TEXT")


def _v2(cur: Any, dialect: Dialect) -> None:
    cur.execute("DELETE FROM accounts_schema")
    cur.execute(f"INSERT INTO accounts_schema (version) VALUES ({FENCE})")
    if dialect == "sqlite":
        cur.execute(f"PRAGMA user_version = {FENCE}")
    else:
        cur.execute("DELETE FROM journal_schema")
        cur.execute(f"INSERT INTO journal_schema (version) VALUES ({FENCE})")


def _v3(cur: Any, dialect: Dialect) -> None:
    cur.execute(
        "CREATE INDEX IF NOT EXISTS journal_events_by_type ON journal_events (event_type, seq)"
    )


@dataclass(frozen=True, slots=True)
class Step:
    """One version: its number, what it does (shown by ``tenfour db status``) and how."""

    version: int
    description: str
    apply: Callable[[Any, Dialect], None]


STEPS: tuple[Step, ...] = (
    Step(1, "the tables of the release before recorded versions", _v1),
    Step(2, "versions recorded in schema_version; the previous release fenced out", _v2),
    Step(3, "journal indexed by event type (reports)", _v3),
)

#: The version this code reads and writes.
CURRENT = STEPS[-1].version
