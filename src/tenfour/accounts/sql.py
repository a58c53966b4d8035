"""What the SQL backends share: the schema, the queries and all of the logic.

`SqliteAccountStore` and `PostgresAccountStore` only open connections and provide
critical sections (`_reading()`, `_writing()`), as the journal's backends do, so
both behave exactly alike. The tables live in the journal's database but are not
part of the journal: nothing here is an event, and none of it is ever exported.

    accounts(username PK, role, member, password_hash, failures, locked_until,
             created_at, password_changed_at, last_login_at, disabled_at)
    sessions(token_hash PK, username -> accounts ON DELETE CASCADE,
             created_at, last_used_at)
    login_failures(username -> accounts ON DELETE CASCADE, source,
                   failures, last_failure_at, locked_until, PK (username, source))

The tables are created and upgraded with every other table of the database by
`tenfour.db` (its version 1 is the shape above; `accounts_schema` is only a fence
against the release before recorded versions).

`accounts.locked_until` is the lock against everyone; `login_failures` counts the
recent failures of each (account, source) pair and holds the locks of one source.
`accounts.failures` is the sum of the live pairs' failures (what the lock against
everyone is decided on).

Times are stored as fixed-width UTC text (`2026-11-24T14:07:30.000000Z`): the same
column type on both backends, and comparing the strings compares the times.
"""

from __future__ import annotations

import builtins
import hashlib
import logging
import secrets
import unicodedata
from abc import abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from tenfour.accounts.model import (
    DEFAULT_IDLE,
    DEFAULT_LIFETIME,
    DEFAULT_LOCK_FOR,
    DEFAULT_LOCK_SOURCES,
    DEFAULT_MAX_FAILURES,
    PASSWORD_MAX,
    Account,
    AccountError,
    AccountStatus,
    AccountStoreError,
    LockScope,
    LoginOutcome,
    SessionInfo,
    UnknownAccountError,
    check_member,
    check_now,
    check_password,
    check_positive,
    check_role,
    check_source,
    check_username,
)
from tenfour.accounts.passwords import Passwords
from tenfour.db.schema import SchemaError, ensure_schema
from tenfour.db.steps import Dialect
from tenfour.durable import OneConnectionStore

log = logging.getLogger(__name__)

# A session's stored last-use time is only moved once it is this old (see store.py).
TOUCH_EVERY = timedelta(seconds=30)
# Longer than any token we issue (43 characters); anything longer is not worth hashing.
_TOKEN_MAX = 256
# Attempts at recording a login whose password hash keeps changing underneath.
_LOGIN_TRIES = 3

_ACCOUNT = "username, role, member, created_at"
_GET = f"SELECT {_ACCOUNT} FROM accounts WHERE username = ?"
_LIST = f"SELECT {_ACCOUNT} FROM accounts ORDER BY username"
_INSERT = (
    "INSERT INTO accounts (username, role, member, password_hash, failures,"
    " created_at, password_changed_at) VALUES (?, ?, ?, ?, 0, ?, ?)"
    " ON CONFLICT (username) DO NOTHING"
)
_LOGIN_ROW = (
    f"SELECT {_ACCOUNT}, password_hash, failures, locked_until, disabled_at"
    " FROM accounts WHERE username = ?"
)
_PAIR = (
    "SELECT failures, last_failure_at, locked_until FROM login_failures"
    " WHERE username = ? AND source = ?"
)
_SAVE_PAIR = (
    "INSERT INTO login_failures (username, source, failures, last_failure_at, locked_until)"
    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (username, source) DO UPDATE SET"
    " failures = excluded.failures, last_failure_at = excluded.last_failure_at,"
    " locked_until = excluded.locked_until"
)
# Pairs that no longer count: their lock ran out, or their last failure is too old.
_FORGET_PAIRS = (
    "DELETE FROM login_failures WHERE username = ? AND ("
    "(locked_until IS NULL AND last_failure_at <= ?)"
    " OR (locked_until IS NOT NULL AND locked_until <= ?))"
)
_SESSIONS_IN = (
    "SELECT s.token_hash, s.last_used_at, s.created_at, a.disabled_at,"
    " a.username, a.role, a.member, a.created_at"
    " FROM sessions s JOIN accounts a ON a.username = s.username WHERE s.token_hash IN ({})"
)
#: Token hashes per ``IN (...)`` list: far below SQLite's and PostgreSQL's limits on
#: parameters, and more than a batch of commands usually holds.
_IN_CHUNK = 500
_STATUS = (
    f"SELECT {_ACCOUNT}, disabled_at, last_login_at, password_changed_at, locked_until"
    " FROM accounts"
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


def _maybe_ts(text: object) -> datetime | None:
    return None if text is None else parse_ts(str(text))


def _chunks(items: list[str]) -> Iterator[list[str]]:
    """``items`` in lists of at most ``_IN_CHUNK``, one ``IN (...)`` list each."""
    for start in range(0, len(items), _IN_CHUNK):
        yield items[start : start + _IN_CHUNK]


def _marks(count: int) -> str:
    """``?, ?, ...``: the placeholders of an ``IN (...)`` list of ``count`` values."""
    return ", ".join("?" * count)


def _check_window(now: datetime, idle: timedelta, lifetime: timedelta) -> datetime:
    """``now`` checked, after ``idle`` and ``lifetime`` (what makes a session live)."""
    checked = check_now(now)
    check_positive("idle", idle)
    check_positive("lifetime", lifetime)
    return checked


class _Limits:
    """The lockout numbers of one `authenticate` call."""

    __slots__ = ("lock_for", "lock_sources", "max_failures")

    def __init__(self, max_failures: int, lock_for: timedelta, lock_sources: int) -> None:
        self.max_failures = max_failures
        self.lock_for = lock_for
        self.lock_sources = lock_sources


def _refusal(row: Sequence[Any], pair: Sequence[Any] | None, now: datetime) -> LoginOutcome | None:
    """The outcome when the login cannot succeed whatever the password: the account is
    disabled, locked for everyone, or locked for this source. None: check it."""
    if row[7] is not None:
        return LoginOutcome(False, None, "disabled")
    scope: LockScope | None = None
    until: datetime | None = None
    failures = 0
    if row[6] is not None and now < parse_ts(row[6]):
        scope, until, failures = "account", parse_ts(row[6]), int(row[5])
    elif pair is not None and pair[2] is not None and now < parse_ts(pair[2]):
        scope, until, failures = "source", parse_ts(pair[2]), int(pair[0])
    if scope is None:
        return None
    return LoginOutcome(
        False, None, "locked", locked_until=until, failures=failures, locked_scope=scope
    )


class SqlAccountStore(OneConnectionStore):
    """An `AccountStore` over a DB-API connection; subclasses supply the connection."""

    # Appended to the SELECT that reads a row before changing it: Postgres locks the
    # row against other nodes; SQLite's BEGIN IMMEDIATE already locks the database.
    _for_update = ""
    #: Which SQL the schema steps speak on this backend.
    _dialect: Dialect = "sqlite"

    def __init__(self, passwords: Passwords) -> None:
        super().__init__()
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

    def _sql(self, query: str) -> str:
        """`query` in the backend's parameter style (queries here are written with ?)."""
        return query

    def _migrate(self, database: str) -> None:
        """Create a new database's tables (all of them, at the current version) or
        refuse an outdated one, naming `tenfour db upgrade`: see `tenfour.db`."""
        with self._writing() as cur:
            try:
                ensure_schema(cur, self._dialect, database)
            except SchemaError as error:
                raise AccountStoreError(f"accounts: {error}") from None

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
        plain = check_password(password, username=name)
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

    def set_password(self, username: str, password: str, *, now: datetime) -> int:
        name = check_username(username)
        plain = check_password(password, username=name)
        now = check_now(now)
        if self.get(name) is None:
            raise UnknownAccountError(name)
        hashed = self._passwords.hash(plain)
        with self._writing() as cur:
            # A new password is a fresh start: an admin resetting it also unlocks, and
            # whoever knew the old one is logged out everywhere.
            cur.execute(
                self._sql(
                    "UPDATE accounts SET password_hash = ?, password_changed_at = ?,"
                    " failures = 0, locked_until = NULL WHERE username = ?"
                ),
                (hashed, ts(now), name),
            )
            if cur.rowcount != 1:
                raise UnknownAccountError(name)
            cur.execute(self._sql("DELETE FROM login_failures WHERE username = ?"), (name,))
            cur.execute(self._sql("DELETE FROM sessions WHERE username = ?"), (name,))
            return max(cur.rowcount, 0)

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
            cur.execute(self._sql("DELETE FROM login_failures WHERE username = ?"), (name,))
            cur.execute(self._sql("DELETE FROM accounts WHERE username = ?"), (name,))
            return cur.rowcount == 1

    def disable(self, username: str, *, now: datetime) -> int:
        name = check_username(username)
        at = ts(check_now(now))
        with self._writing() as cur:
            # COALESCE: disabling twice keeps the first time.
            cur.execute(
                self._sql(
                    "UPDATE accounts SET disabled_at = COALESCE(disabled_at, ?) WHERE username = ?"
                ),
                (at, name),
            )
            if cur.rowcount != 1:
                raise UnknownAccountError(name)
            cur.execute(self._sql("DELETE FROM sessions WHERE username = ?"), (name,))
            return max(cur.rowcount, 0)

    def enable(self, username: str) -> bool:
        name = check_username(username)
        with self._writing() as cur:
            cur.execute(self._sql("SELECT disabled_at FROM accounts WHERE username = ?"), (name,))
            row = cur.fetchone()
            if row is None:
                raise UnknownAccountError(name)
            cur.execute(
                self._sql("UPDATE accounts SET disabled_at = NULL WHERE username = ?"), (name,)
            )
            return row[0] is not None

    def unlock(self, username: str, *, now: datetime) -> bool:
        name = check_username(username)
        at = ts(check_now(now))
        with self._writing() as cur:
            cur.execute(
                self._sql(
                    "SELECT locked_until FROM accounts WHERE username = ?" + self._for_update
                ),
                (name,),
            )
            row = cur.fetchone()
            if row is None:
                raise UnknownAccountError(name)
            cur.execute(
                self._sql(
                    "SELECT COUNT(*) FROM login_failures WHERE username = ? AND locked_until > ?"
                ),
                (name, at),
            )
            sources_locked = int(cur.fetchone()[0])
            cur.execute(
                self._sql(
                    "UPDATE accounts SET failures = 0, locked_until = NULL WHERE username = ?"
                ),
                (name,),
            )
            cur.execute(self._sql("DELETE FROM login_failures WHERE username = ?"), (name,))
            return sources_locked > 0 or (row[0] is not None and str(row[0]) > at)

    def status(
        self,
        username: str,
        *,
        now: datetime,
        idle: timedelta = DEFAULT_IDLE,
        lifetime: timedelta = DEFAULT_LIFETIME,
    ) -> AccountStatus | None:
        try:
            name = check_username(username)
        except AccountError:
            return None
        found = self._statuses(name, now, idle, lifetime)
        return found[0] if found else None

    def statuses(
        self,
        *,
        now: datetime,
        idle: timedelta = DEFAULT_IDLE,
        lifetime: timedelta = DEFAULT_LIFETIME,
    ) -> builtins.list[AccountStatus]:
        return self._statuses(None, now, idle, lifetime)

    def _statuses(
        self, name: str | None, now: datetime, idle: timedelta, lifetime: timedelta
    ) -> builtins.list[AccountStatus]:
        now = _check_window(now, idle, lifetime)
        where, params = (" WHERE username = ?", (name,)) if name is not None else ("", ())
        at = ts(now)
        with self._reading() as cur:
            cur.execute(self._sql(_STATUS + where + " ORDER BY username"), params)
            rows = cur.fetchall()
            cur.execute(
                self._sql(
                    "SELECT username, source, locked_until FROM login_failures"
                    " WHERE locked_until > ? ORDER BY username, source"
                ),
                (at,),
            )
            locks = cur.fetchall()
            cur.execute(
                self._sql(
                    "SELECT username, COUNT(*) FROM sessions"
                    " WHERE last_used_at >= ? AND created_at >= ? GROUP BY username"
                ),
                (ts(now - idle), ts(now - lifetime)),
            )
            sessions = {str(user): int(count) for user, count in cur.fetchall()}
        sources: dict[str, builtins.list[tuple[str, datetime]]] = {}
        for user, source, until in locks:
            sources.setdefault(str(user), []).append((str(source), parse_ts(until)))
        statuses = []
        for row in rows:
            account = _account(row)
            locked = row[7] if row[7] is not None and str(row[7]) > at else None
            statuses.append(
                AccountStatus(
                    account=account,
                    disabled_at=_maybe_ts(row[4]),
                    last_login_at=_maybe_ts(row[5]),
                    password_changed_at=parse_ts(row[6]),
                    locked_until=_maybe_ts(locked),
                    locked_sources=tuple(sources.get(account.username, ())),
                    sessions=sessions.get(account.username, 0),
                )
            )
        return statuses

    # -- logins ---------------------------------------------------------------------

    def authenticate(
        self,
        username: str,
        password: str,
        *,
        now: datetime,
        source: str = "",
        max_failures: int = DEFAULT_MAX_FAILURES,
        lock_for: timedelta = DEFAULT_LOCK_FOR,
        lock_sources: int = DEFAULT_LOCK_SOURCES,
    ) -> LoginOutcome:
        now = check_now(now)
        for field, value in (("max_failures", max_failures), ("lock_sources", lock_sources)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{field}: must be an integer >= 1, got {value!r}")
        check_positive("lock_for", lock_for)
        where = check_source(source)
        plain = _login_form(password)
        try:
            name = check_username(username)
        except AccountError:
            self._passwords.spend_time(plain or "")
            return LoginOutcome(False, None, "unknown_user")

        limits = _Limits(max_failures, lock_for, lock_sources)
        for _ in range(_LOGIN_TRIES):
            with self._reading() as cur:
                cur.execute(self._sql(_LOGIN_ROW), (name,))
                row = cur.fetchone()
                cur.execute(self._sql(_PAIR), (name, where))
                pair = cur.fetchone()
            if row is None:
                self._passwords.spend_time(plain or "")
                return LoginOutcome(False, None, "unknown_user")
            refused = _refusal(row, pair, now)
            if refused is not None:
                # No real check while refused (it could not succeed anyway), but the
                # same time spent, so the timing tells no more than the reply.
                self._passwords.spend_time(plain or "")
                return refused
            stored_hash = str(row[4])
            # The slow part, outside the store's lock.
            if plain is None:
                self._passwords.spend_time("")
                matched = False
            else:
                matched = self._passwords.verify(stored_hash, plain)
            upgraded = None
            if matched and plain is not None and self._passwords.needs_rehash(stored_hash):
                upgraded = self._passwords.hash(plain)
            outcome = self._record_login(name, where, stored_hash, matched, upgraded, now, limits)
            if outcome is not None:
                return outcome
        # The password kept changing while we checked it: count nothing, admit no one.
        return LoginOutcome(False, None, "bad_password")

    def _record_login(
        self,
        name: str,
        source: str,
        checked_hash: str,
        matched: bool,
        upgraded: str | None,
        now: datetime,
        limits: _Limits,
    ) -> LoginOutcome | None:
        """Apply one checked attempt in a transaction, from the rows as they are now
        (others may have failed or succeeded since they were read). None: the password
        changed since `checked_hash` was read, so the check must be redone.

        Every login of one account locks its account row first (FOR UPDATE on
        PostgreSQL, BEGIN IMMEDIATE on SQLite), so its pairs are changed one at a time.
        """
        at = ts(now)
        with self._writing() as cur:
            cur.execute(self._sql(_LOGIN_ROW + self._for_update), (name,))
            row = cur.fetchone()
            if row is None:
                return LoginOutcome(False, None, "unknown_user")  # deleted meanwhile
            if row[4] != checked_hash:
                return None
            cur.execute(self._sql(_PAIR), (name, source))
            pair = cur.fetchone()
            refused = _refusal(row, pair, now)
            if refused is not None:
                # Locked or disabled by a concurrent request: refused, even if this matched.
                return refused
            if matched:
                cur.execute(
                    self._sql(
                        "UPDATE accounts SET locked_until = NULL,"
                        " last_login_at = ?, password_hash = ? WHERE username = ?"
                    ),
                    (at, upgraded or checked_hash, name),
                )
                cur.execute(
                    self._sql("DELETE FROM login_failures WHERE username = ? AND source = ?"),
                    (name, source),
                )
                self._recount(cur, name, now, limits)
                return LoginOutcome(True, _account(row), "ok")
            # A pair whose lock ran out, or whose last failure is older than the lock
            # time, starts again from nothing.
            fresh = pair is None or (
                parse_ts(pair[2]) <= now
                if pair[2] is not None
                else parse_ts(pair[1]) <= now - limits.lock_for
            )
            failures = 1 if fresh else int(pair[0]) + 1
            pair_lock = now + limits.lock_for if failures >= limits.max_failures else None
            cur.execute(
                self._sql(_SAVE_PAIR),
                (name, source, failures, at, None if pair_lock is None else ts(pair_lock)),
            )
            total = self._recount(cur, name, now, limits)
            if total >= limits.max_failures * limits.lock_sources:
                # Enough failures from enough sources: lock the account for everyone.
                # The pairs are folded into it, so after it everyone starts afresh.
                account_lock = now + limits.lock_for
                cur.execute(
                    self._sql(
                        "UPDATE accounts SET locked_until = ?, failures = ? WHERE username = ?"
                    ),
                    (ts(account_lock), total, name),
                )
                cur.execute(self._sql("DELETE FROM login_failures WHERE username = ?"), (name,))
                return LoginOutcome(
                    False,
                    None,
                    "bad_password",
                    locked_now=True,
                    locked_until=account_lock,
                    failures=failures,
                    locked_scope="account",
                )
            return LoginOutcome(
                False,
                None,
                "bad_password",
                locked_now=pair_lock is not None,
                locked_until=pair_lock,
                failures=failures,
                locked_scope=None if pair_lock is None else "source",
            )

    def _recount(self, cur: Cursor, name: str, now: datetime, limits: _Limits) -> int:
        """Forget the pairs that no longer count; store and return the failures of the rest."""
        cur.execute(self._sql(_FORGET_PAIRS), (name, ts(now - limits.lock_for), ts(now)))
        cur.execute(
            self._sql("SELECT COALESCE(SUM(failures), 0) FROM login_failures WHERE username = ?"),
            (name,),
        )
        total = int(cur.fetchone()[0])
        cur.execute(self._sql("UPDATE accounts SET failures = ? WHERE username = ?"), (total, name))
        return total

    # -- sessions -------------------------------------------------------------------

    def open_session(self, username: str, *, now: datetime) -> str:
        name = check_username(username)
        at = ts(check_now(now))
        token = secrets.token_urlsafe(32)
        with self._writing() as cur:
            # INSERT ... SELECT: the account's existence (and that it is not disabled)
            # is checked in the same statement.
            cur.execute(
                self._sql(
                    "INSERT INTO sessions (token_hash, username, created_at, last_used_at)"
                    " SELECT ?, username, ?, ? FROM accounts"
                    " WHERE username = ? AND disabled_at IS NULL"
                ),
                (token_hash(token), at, at, name),
            )
            if cur.rowcount != 1:
                raise UnknownAccountError(name)
        return token

    def session(
        self,
        token: str,
        *,
        now: datetime,
        idle: timedelta = DEFAULT_IDLE,
        lifetime: timedelta = DEFAULT_LIFETIME,
        touch: bool = True,
    ) -> Account | None:
        return self.sessions_for([token], now=now, idle=idle, lifetime=lifetime, touch=touch)[token]

    def sessions_for(
        self,
        tokens: Iterable[str],
        *,
        now: datetime,
        idle: timedelta = DEFAULT_IDLE,
        lifetime: timedelta = DEFAULT_LIFETIME,
        touch: bool = True,
    ) -> dict[str, Account | None]:
        now = _check_window(now, idle, lifetime)
        found: dict[str, Account | None] = {}
        keys: dict[str, str] = {}  # token hash -> token
        for token in tokens:
            found[token] = None
            if isinstance(token, str) and token and len(token) <= _TOKEN_MAX:
                keys[token_hash(token)] = token
        rows = []
        for chunk in _chunks(list(keys)):
            with self._reading() as cur:
                cur.execute(self._sql(_SESSIONS_IN.format(_marks(len(chunk)))), chunk)
                rows.extend(cur.fetchall())
        dead: list[str] = []  # too old whatever its use, or its account disabled
        idle_out: list[str] = []
        stale: list[str] = []  # live, last use recorded TOUCH_EVERY ago or more
        for row in rows:
            key = row[0]
            idle_for = now - parse_ts(row[1])
            if now - parse_ts(row[2]) > lifetime or row[3] is not None:
                dead.append(key)
            elif idle_for > idle:
                idle_out.append(key)
            else:
                found[keys[key]] = _account(row[4:])
                if touch and idle_for >= TOUCH_EVERY:
                    stale.append(key)
        if dead or idle_out:
            with self._writing() as cur:
                for chunk in _chunks(dead):
                    cur.execute(
                        self._sql(
                            f"DELETE FROM sessions WHERE token_hash IN ({_marks(len(chunk))})"
                        ),
                        chunk,
                    )
                for chunk in _chunks(idle_out):
                    # Only if still expired: a concurrent request may have used it since.
                    cur.execute(
                        self._sql(
                            f"DELETE FROM sessions WHERE token_hash IN ({_marks(len(chunk))})"
                            " AND last_used_at < ?"
                        ),
                        (*chunk, ts(now - idle)),
                    )
        if stale:
            # Best effort: a read must not fail because its last-use time could not be
            # written (a busy or failing database); the next request tries again.
            try:
                with self._writing() as cur:
                    for chunk in _chunks(stale):
                        # Never move it backwards (requests may finish out of order).
                        cur.execute(
                            self._sql(
                                "UPDATE sessions SET last_used_at = ?"
                                f" WHERE token_hash IN ({_marks(len(chunk))})"
                                " AND last_used_at < ?"
                            ),
                            (ts(now), *chunk, ts(now)),
                        )
            except AccountStoreError as error:
                log.warning("could not record a session's last use (kept it open): %s", error)
        return found

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

    def sessions(
        self,
        *,
        now: datetime,
        idle: timedelta = DEFAULT_IDLE,
        lifetime: timedelta = DEFAULT_LIFETIME,
    ) -> builtins.list[SessionInfo]:
        now = _check_window(now, idle, lifetime)
        with self._reading() as cur:
            # The same condition as the count in `_statuses`.
            cur.execute(
                self._sql(
                    "SELECT token_hash, username, created_at, last_used_at FROM sessions"
                    " WHERE last_used_at >= ? AND created_at >= ?"
                    " ORDER BY username, created_at, token_hash"
                ),
                (ts(now - idle), ts(now - lifetime)),
            )
            rows = cur.fetchall()
        return [
            SessionInfo(str(key)[:16], str(user), parse_ts(created), parse_ts(used))
            for key, user, created, used in rows
        ]

    def purge_sessions(
        self,
        *,
        now: datetime,
        idle: timedelta = DEFAULT_IDLE,
        lifetime: timedelta = DEFAULT_LIFETIME,
    ) -> int:
        now = _check_window(now, idle, lifetime)
        with self._writing() as cur:
            cur.execute(
                self._sql("DELETE FROM sessions WHERE last_used_at < ? OR created_at < ?"),
                (ts(now - idle), ts(now - lifetime)),
            )
            return max(cur.rowcount, 0)

    # -- lifecycle (close, with: `OneConnectionStore`) ---------------------------------

    def _closed_error(self) -> Exception:
        return AccountStoreError("the account store is closed")
