"""What the SQL backends share: the schema, the queries and all of the logic.

`SqliteAccountStore` and `PostgresAccountStore` only open connections and provide
critical sections (`_reading()`, `_writing()`), as the journal's backends do, so
both behave exactly alike. The tables live in the journal's database but are not
part of the journal: nothing here is an event, and none of it is ever exported.

    accounts(username PK, role, member, password_hash, failures, locked_until,
             created_at, password_changed_at, last_login_at)
    sessions(token_hash PK, username -> accounts ON DELETE CASCADE,
             created_at, last_used_at)
    accounts_schema(version)

Times are stored as fixed-width UTC text (`2026-11-24T14:07:30.000000Z`): the same
column type on both backends, and comparing the strings compares the times.
"""

from __future__ import annotations

import builtins
import hashlib
import secrets
import threading
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Protocol, Self

from tenfour.accounts.model import (
    DEFAULT_IDLE,
    DEFAULT_LOCK_FOR,
    DEFAULT_MAX_FAILURES,
    PASSWORD_MAX,
    Account,
    AccountError,
    AccountStoreError,
    LoginOutcome,
    UnknownAccountError,
    check_member,
    check_now,
    check_password,
    check_positive,
    check_role,
    check_username,
)
from tenfour.accounts.passwords import Passwords

SCHEMA_VERSION = 1
SCHEMA_TABLE = "accounts_schema"
# A session's stored last-use time is only moved once it is this old (see store.py).
TOUCH_EVERY = timedelta(seconds=30)
# Longer than any token we issue (43 characters); anything longer is not worth hashing.
_TOKEN_MAX = 256
# Attempts at recording a login whose password hash keeps changing underneath.
_LOGIN_TRIES = 3

# Plain SQL types only, so the same statements create the tables on both backends.
SCHEMA: tuple[str, ...] = (
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
    f"CREATE TABLE IF NOT EXISTS {SCHEMA_TABLE} (version INTEGER NOT NULL)",
)

_ACCOUNT = "username, role, member, created_at"
_GET = f"SELECT {_ACCOUNT} FROM accounts WHERE username = ?"
_LIST = f"SELECT {_ACCOUNT} FROM accounts ORDER BY username"
_INSERT = (
    "INSERT INTO accounts (username, role, member, password_hash, failures,"
    " created_at, password_changed_at) VALUES (?, ?, ?, ?, 0, ?, ?)"
    " ON CONFLICT (username) DO NOTHING"
)
_LOGIN_ROW = (
    f"SELECT {_ACCOUNT}, password_hash, failures, locked_until FROM accounts WHERE username = ?"
)
_SESSION = (
    "SELECT s.last_used_at, a.username, a.role, a.member, a.created_at"
    " FROM sessions s JOIN accounts a ON a.username = s.username WHERE s.token_hash = ?"
)


class Cursor(Protocol):
    """The part of a DB-API cursor the shared code uses (sqlite3 and psycopg both fit)."""

    def execute(self, query: str, params: Sequence[Any] = ..., /) -> object: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    @property
    def rowcount(self) -> int: ...


def ts(moment: datetime) -> str:
    """The stored form of an aware time: UTC, microseconds, fixed width."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


def token_hash(token: str) -> str:
    """What is stored for a session token. Tokens carry 256 random bits, so a plain
    SHA-256 suffices: there is nothing to brute-force, unlike a password."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _account(row: Sequence[Any]) -> Account:
    username, role, member, created_at = row[:4]
    return Account(str(username), role, member, parse_ts(created_at))


def _login_form(password: object) -> str | None:
    """The password as `create` would have hashed it, or None if it cannot be hashed.

    Unlike `check_password` there is no minimum length: a short guess is just a
    wrong password, and it is hashed like any other so it takes as long to refuse.
    """
    if not isinstance(password, str) or len(password) > PASSWORD_MAX:
        return None
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:
        return None
    normalised = unicodedata.normalize("NFKC", password)
    return normalised if len(normalised) <= PASSWORD_MAX else None


class SqlAccountStore(ABC):
    """An `AccountStore` over a DB-API connection; subclasses supply the connection."""

    # Appended to the SELECT that reads a row before changing it: Postgres locks the
    # row against other nodes; SQLite's BEGIN IMMEDIATE already locks the database.
    _for_update = ""

    def __init__(self, passwords: Passwords) -> None:
        # One connection per store, shared by threads: every use holds this lock.
        self._lock = threading.Lock()
        self._closed = False
        self._passwords = passwords

    # -- what a backend provides ----------------------------------------------------

    @abstractmethod
    def _reading(self) -> AbstractContextManager[Cursor]:
        """A cursor for one or more reads, under `self._lock`."""

    @abstractmethod
    def _writing(self) -> AbstractContextManager[Cursor]:
        """A cursor inside one transaction, under `self._lock`.

        Leaving normally commits (durably); leaving by an exception rolls back.
        Database errors become `AccountStoreError`.
        """

    @abstractmethod
    def _table_exists(self, cur: Cursor, name: str) -> bool: ...

    @abstractmethod
    def _close_connection(self) -> None: ...

    @abstractmethod
    def _before_migration(self, cur: Cursor) -> None:
        """Serialise schema creation between processes, inside the migration's transaction."""

    def _sql(self, query: str) -> str:
        """`query` in the backend's parameter style (queries here are written with ?)."""
        return query

    def _migrate(self, where: str) -> None:
        with self._writing() as cur:
            self._before_migration(cur)
            if not self._table_exists(cur, SCHEMA_TABLE):
                for statement in SCHEMA:
                    cur.execute(statement)
                cur.execute(
                    self._sql(f"INSERT INTO {SCHEMA_TABLE} (version) VALUES (?)"),
                    (SCHEMA_VERSION,),
                )
                return
            cur.execute(f"SELECT MAX(version) FROM {SCHEMA_TABLE}")
            row = cur.fetchone()
            found = 0 if row is None or row[0] is None else int(row[0])
            if found > SCHEMA_VERSION:
                raise AccountStoreError(
                    f"{where} has accounts schema version {found}; "
                    f"this Ten-Four knows up to {SCHEMA_VERSION}"
                )

    # -- accounts -------------------------------------------------------------------

    def create(
        self,
        username: str,
        role: str,
        password: str,
        *,
        member: str | None = None,
        now: datetime,
    ) -> Account:
        name = check_username(username)
        checked_role = check_role(role)
        checked_member = check_member(member, role=checked_role, username=name)
        plain = check_password(password)
        now = check_now(now)
        # Fail fast before the (deliberately slow) hash; the insert still decides.
        if self.get(name) is not None:
            raise AccountError("username", "already exists")
        hashed = self._passwords.hash(plain)
        at = ts(now)
        with self._writing() as cur:
            cur.execute(self._sql(_INSERT), (name, checked_role, checked_member, hashed, at, at))
            if cur.rowcount != 1:
                raise AccountError("username", "already exists")
        return Account(name, checked_role, checked_member, parse_ts(at))

    def get(self, username: str) -> Account | None:
        try:
            name = check_username(username)
        except AccountError:
            return None  # no account can have a name that create() refuses
        with self._reading() as cur:
            cur.execute(self._sql(_GET), (name,))
            row = cur.fetchone()
        return None if row is None else _account(row)

    def list(self) -> builtins.list[Account]:
        with self._reading() as cur:
            cur.execute(_LIST)
            rows = cur.fetchall()
        return [_account(row) for row in rows]

    def set_password(self, username: str, password: str, *, now: datetime) -> None:
        name = check_username(username)
        plain = check_password(password)
        now = check_now(now)
        if self.get(name) is None:
            raise UnknownAccountError(name)
        hashed = self._passwords.hash(plain)
        with self._writing() as cur:
            # A new password is a fresh start: an admin resetting it also unlocks.
            cur.execute(
                self._sql(
                    "UPDATE accounts SET password_hash = ?, password_changed_at = ?,"
                    " failures = 0, locked_until = NULL WHERE username = ?"
                ),
                (hashed, ts(now), name),
            )
            if cur.rowcount != 1:
                raise UnknownAccountError(name)

    def set_role(self, username: str, role: str, *, member: str | None = None) -> Account:
        name = check_username(username)
        checked_role = check_role(role)
        checked_member = check_member(member, role=checked_role, username=name)
        with self._writing() as cur:
            cur.execute(
                self._sql("UPDATE accounts SET role = ?, member = ? WHERE username = ?"),
                (checked_role, checked_member, name),
            )
            if cur.rowcount != 1:
                raise UnknownAccountError(name)
            cur.execute(self._sql(_GET), (name,))
            return _account(cur.fetchone())

    def delete(self, username: str) -> bool:
        try:
            name = check_username(username)
        except AccountError:
            return False
        with self._writing() as cur:
            # Explicit rather than trusting ON DELETE CASCADE: SQLite only honours it
            # on connections that enabled foreign keys.
            cur.execute(self._sql("DELETE FROM sessions WHERE username = ?"), (name,))
            cur.execute(self._sql("DELETE FROM accounts WHERE username = ?"), (name,))
            return cur.rowcount == 1

    # -- logins ---------------------------------------------------------------------

    def authenticate(
        self,
        username: str,
        password: str,
        *,
        now: datetime,
        max_failures: int = DEFAULT_MAX_FAILURES,
        lock_for: timedelta = DEFAULT_LOCK_FOR,
    ) -> LoginOutcome:
        now = check_now(now)
        if not isinstance(max_failures, int) or isinstance(max_failures, bool) or max_failures < 1:
            raise ValueError(f"max_failures: must be an integer >= 1, got {max_failures!r}")
        check_positive("lock_for", lock_for)
        plain = _login_form(password)
        try:
            name = check_username(username)
        except AccountError:
            self._passwords.spend_time(plain or "")
            return LoginOutcome(False, None, "unknown_user")

        for _ in range(_LOGIN_TRIES):
            with self._reading() as cur:
                cur.execute(self._sql(_LOGIN_ROW), (name,))
                row = cur.fetchone()
            if row is None:
                self._passwords.spend_time(plain or "")
                return LoginOutcome(False, None, "unknown_user")
            stored_hash = str(row[4])
            failures, locked_until = int(row[5]), row[6]
            if locked_until is not None and now < parse_ts(locked_until):
                # No real check while locked (it could not succeed anyway), but the
                # same time spent, so the timing tells no more than the reply.
                self._passwords.spend_time(plain or "")
                return LoginOutcome(
                    False, None, "locked", locked_until=parse_ts(locked_until), failures=failures
                )
            # The slow part, outside the store's lock.
            if plain is None:
                self._passwords.spend_time("")
                matched = False
            else:
                matched = self._passwords.verify(stored_hash, plain)
            upgraded = None
            if matched and plain is not None and self._passwords.needs_rehash(stored_hash):
                upgraded = self._passwords.hash(plain)
            outcome = self._record_login(
                name, stored_hash, matched, upgraded, now, max_failures, lock_for
            )
            if outcome is not None:
                return outcome
        # The password kept changing while we checked it: count nothing, admit no one.
        return LoginOutcome(False, None, "bad_password")

    def _record_login(
        self,
        name: str,
        checked_hash: str,
        matched: bool,
        upgraded: str | None,
        now: datetime,
        max_failures: int,
        lock_for: timedelta,
    ) -> LoginOutcome | None:
        """Apply one checked attempt in a transaction, from the row as it is now
        (others may have failed or succeeded since it was read). None: the password
        changed since `checked_hash` was read, so the check must be redone."""
        with self._writing() as cur:
            cur.execute(self._sql(_LOGIN_ROW + self._for_update), (name,))
            row = cur.fetchone()
            if row is None:
                return LoginOutcome(False, None, "unknown_user")  # deleted meanwhile
            if row[4] != checked_hash:
                return None
            failures = int(row[5])
            if row[6] is not None:
                locked_until = parse_ts(row[6])
                if now < locked_until:
                    # Locked by a concurrent failure: refused, even if this one matched.
                    return LoginOutcome(
                        False, None, "locked", locked_until=locked_until, failures=failures
                    )
                failures = 0  # the lock has run out: a fresh start
            if matched:
                cur.execute(
                    self._sql(
                        "UPDATE accounts SET failures = 0, locked_until = NULL,"
                        " last_login_at = ?, password_hash = ? WHERE username = ?"
                    ),
                    (ts(now), upgraded or checked_hash, name),
                )
                return LoginOutcome(True, _account(row), "ok")
            failures += 1
            new_lock = now + lock_for if failures >= max_failures else None
            cur.execute(
                self._sql("UPDATE accounts SET failures = ?, locked_until = ? WHERE username = ?"),
                (failures, None if new_lock is None else ts(new_lock), name),
            )
            return LoginOutcome(
                False,
                None,
                "bad_password",
                locked_now=new_lock is not None,
                locked_until=new_lock,
                failures=failures,
            )

    # -- sessions -------------------------------------------------------------------

    def open_session(self, username: str, *, now: datetime) -> str:
        name = check_username(username)
        at = ts(check_now(now))
        token = secrets.token_urlsafe(32)
        with self._writing() as cur:
            # INSERT ... SELECT: the account's existence is checked in the same statement.
            cur.execute(
                self._sql(
                    "INSERT INTO sessions (token_hash, username, created_at, last_used_at)"
                    " SELECT ?, username, ?, ? FROM accounts WHERE username = ?"
                ),
                (token_hash(token), at, at, name),
            )
            if cur.rowcount != 1:
                raise UnknownAccountError(name)
        return token

    def session(
        self, token: str, *, now: datetime, idle: timedelta = DEFAULT_IDLE
    ) -> Account | None:
        now = check_now(now)
        check_positive("idle", idle)
        if not isinstance(token, str) or not token or len(token) > _TOKEN_MAX:
            return None
        key = token_hash(token)
        with self._reading() as cur:
            cur.execute(self._sql(_SESSION), (key,))
            row = cur.fetchone()
        if row is None:
            return None
        idle_for = now - parse_ts(row[0])
        if idle_for > idle:
            with self._writing() as cur:
                # Only if still expired: a concurrent request may have used it since.
                cur.execute(
                    self._sql("DELETE FROM sessions WHERE token_hash = ? AND last_used_at < ?"),
                    (key, ts(now - idle)),
                )
            return None
        if idle_for >= TOUCH_EVERY:
            with self._writing() as cur:
                # Never move it backwards (requests may finish out of order).
                cur.execute(
                    self._sql(
                        "UPDATE sessions SET last_used_at = ?"
                        " WHERE token_hash = ? AND last_used_at < ?"
                    ),
                    (ts(now), key, ts(now)),
                )
        return _account(row[1:])

    def close_session(self, token: str) -> bool:
        if not isinstance(token, str) or not token or len(token) > _TOKEN_MAX:
            return False
        with self._writing() as cur:
            cur.execute(
                self._sql("DELETE FROM sessions WHERE token_hash = ?"), (token_hash(token),)
            )
            return cur.rowcount == 1

    def close_sessions_of(self, username: str) -> int:
        try:
            name = check_username(username)
        except AccountError:
            return 0
        with self._writing() as cur:
            cur.execute(self._sql("DELETE FROM sessions WHERE username = ?"), (name,))
            return max(cur.rowcount, 0)

    def purge_sessions(self, *, now: datetime, idle: timedelta = DEFAULT_IDLE) -> int:
        now = check_now(now)
        check_positive("idle", idle)
        with self._writing() as cur:
            cur.execute(self._sql("DELETE FROM sessions WHERE last_used_at < ?"), (ts(now - idle),))
            return max(cur.rowcount, 0)

    # -- lifecycle ------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._close_connection()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _check_open(self) -> None:
        """Call with `self._lock` held."""
        if self._closed:
            raise AccountStoreError("the account store is closed")
