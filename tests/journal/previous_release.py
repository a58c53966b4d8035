"""A database exactly as the release before recorded schema versions left it.

The statements below are that release's, copied (table names spelled out) from its
stores as they ran when each opened the database: the journal (sqlite.py,
postgres.py, with sql.py's positions table), the accounts (sql.py: its schema and
its version-2 migration), the idempotency keys (api/idempotency.py) and the AVL
devices (interop/devices.py). They are frozen here on purpose: the upgrade must
keep working on databases that release wrote, whatever the code becomes.

The rows are written in that release's formats by this file's own code, not by
the stores under test: the hash chain by its documented formula, the password
by argon2id.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from typing import Any

import psycopg
from argon2 import PasswordHasher

from tenfour.journal import StoredEvent

SQLITE = (
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
    """CREATE TABLE IF NOT EXISTS journal_positions (
    name TEXT PRIMARY KEY,
    seq BIGINT NOT NULL CHECK (seq >= 0)
)""",
    "PRAGMA user_version = 2",
)

POSTGRES = (
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
    """CREATE TRIGGER journal_events_no_change BEFORE UPDATE OR DELETE ON journal_events
        FOR EACH ROW EXECUTE FUNCTION journal_events_append_only()""",
    """CREATE TRIGGER journal_events_no_truncate BEFORE TRUNCATE ON journal_events
        FOR EACH STATEMENT EXECUTE FUNCTION journal_events_append_only()""",
    "CREATE TABLE journal_schema (version integer NOT NULL)",
    """CREATE TABLE IF NOT EXISTS journal_positions (
    name TEXT PRIMARY KEY,
    seq BIGINT NOT NULL CHECK (seq >= 0)
)""",
    "INSERT INTO journal_schema (version) VALUES (2)",
)

# The same statements on both backends.
SHARED = (
    # accounts: SCHEMA, then MIGRATIONS[2], then the version row.
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
    "ALTER TABLE accounts ADD COLUMN disabled_at TEXT",
    """CREATE TABLE IF NOT EXISTS login_failures (
            username TEXT NOT NULL REFERENCES accounts (username) ON DELETE CASCADE,
            source TEXT NOT NULL,
            failures INTEGER NOT NULL CHECK (failures >= 0),
            last_failure_at TEXT NOT NULL,
            locked_until TEXT,
            PRIMARY KEY (username, source)
        )""",
    "INSERT INTO accounts_schema (version) VALUES (2)",
    # api/idempotency.py
    """CREATE TABLE IF NOT EXISTS command_fingerprints (
    idem_key TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    first_at TEXT NOT NULL
)""",
    # interop/devices.py
    """CREATE TABLE IF NOT EXISTS avl_devices (
    id TEXT PRIMARY KEY,
    protocol TEXT NOT NULL,
    unit TEXT,
    member TEXT,
    secret_hash TEXT,
    created_at TEXT NOT NULL
)""",
)

USERNAME = "bogo"
PASSWORD = "chief-of-precinct-one"
DEVICE = "bogo/phone"
IDEM_KEY = "bogo/first-command"
FINGERPRINT = "f" * 64
STAMP = "2026-11-24T14:07:30.000000Z"


def _canonical(value: Any) -> str:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def release_hash(event: StoredEvent) -> str:
    """The release's row hash: sha256 of the canonical JSON of
    [seq, stream, version, type, at, by, data, idempotency_key, prev_hash]."""
    fields = [event.seq, event.stream, event.version, event.type, event.at, event.by]
    text = _canonical([*fields, dict(event.data), event.idempotency_key, event.prev_hash])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_previous_release(url: str, events: Sequence[StoredEvent], *, position: int) -> None:
    """Create the release's tables at `url` (a SQLite path or a PostgreSQL URL) and
    fill them: `events` (their hashes checked against the release's formula), one
    account with a session, one device, one bound idempotency key, the reactor's
    position."""
    for event in events:
        assert release_hash(event) == event.hash, f"seq {event.seq}: not the release's hash"
    password_hash = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    rows: list[tuple[str, Sequence[Any]]] = [
        (
            "INSERT INTO journal_events (seq, stream, version, event_type, occurred_at, actor,"
            " data, idempotency_key, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                e.seq,
                e.stream,
                e.version,
                e.type,
                e.at,
                e.by,
                _canonical(dict(e.data)),
                e.idempotency_key,
                e.prev_hash,
                e.hash,
            ),
        )
        for e in events
    ]
    rows += [
        ("INSERT INTO journal_positions (name, seq) VALUES (?, ?)", ("policies", position)),
        (
            "INSERT INTO accounts (username, role, member, password_hash, failures,"
            " created_at, password_changed_at) VALUES (?, ?, ?, ?, 0, ?, ?)",
            (USERNAME, "supervisor", None, password_hash, STAMP, STAMP),
        ),
        (
            "INSERT INTO sessions (token_hash, username, created_at, last_used_at)"
            " VALUES (?, ?, ?, ?)",
            ("0" * 64, USERNAME, STAMP, STAMP),
        ),
        (
            "INSERT INTO command_fingerprints (idem_key, fingerprint, first_at) VALUES (?, ?, ?)",
            (IDEM_KEY, FINGERPRINT, STAMP),
        ),
        (
            "INSERT INTO avl_devices (id, protocol, unit, member, secret_hash, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (DEVICE, "osmand", "ZPD-1", None, None, STAMP),
        ),
    ]
    if url.startswith("postgresql://"):
        with psycopg.connect(url, autocommit=True) as conn, conn.transaction():
            for statement in (*POSTGRES, *SHARED):
                conn.execute(statement)
            for statement, params in rows:
                conn.execute(statement.replace("?", "%s"), params)
        return
    lite = sqlite3.connect(url, isolation_level=None)
    try:
        lite.execute("PRAGMA journal_mode=WAL")
        lite.execute("BEGIN")
        for statement in (*SQLITE, *SHARED):
            lite.execute(statement)
        for statement, params in rows:
            lite.execute(statement, params)
        lite.execute("COMMIT")
    finally:
        lite.close()
