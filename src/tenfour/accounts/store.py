"""The `AccountStore` protocol, what every backend promises, and `open_accounts(url)`.

The contract (tested once for all backends in tests/accounts):

- Usernames are 1-64 of `a-z 0-9 . _ -`; input is lower-cased first, so they are
  unique regardless of case. Roles are `ACCOUNT_ROLES`; passwords have at least 12
  characters, are not common ones (`policy.py`, NIST SP 800-63B) and are stored only
  as argon2id hashes.
- Time is always passed in (`now`, an aware datetime); the store never reads the
  clock, so tests and simulated days are exact.
- `authenticate` counts failures per (account, source) pair. `max_failures` (5)
  failures of one pair, each within `lock_for` (10 min) of the one before, lock
  that pair for `lock_for`: the same account from other sources still logs in, so
  one mistyping console or one attacker cannot shut a dispatcher out. Once the
  live failures of all pairs add up to `max_failures` x `lock_sources` (15, so at
  least 3 sources), the account locks for everyone for `lock_for`. While locked
  (either way) or disabled every attempt, even with the right password, is
  refused ("locked" / "disabled") and does not extend the lock. A lock that has
  run out starts its count again from 0; a success clears its own pair's count.
  `unlock` (an administrator) clears every lock of an account at once. An unknown
  username, a locked or disabled account cost as much hashing time as a known one.
- Sessions: `open_session` returns a random token; only its SHA-256 is stored. A
  session expires after `idle` without use, and in any case `lifetime` (12 h) after
  it was opened. To spare a write per request the stored last-use time is only
  moved when it is `TOUCH_EVERY` (30 s) old or more, so a session may expire up to
  30 s earlier than `idle` after its real last use, never later. Disabling an
  account or changing its password ends all its sessions.
- Every write is one transaction; hashing (slow by design) happens outside the
  store's lock, so one login does not hold up the others.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from datetime import datetime, timedelta
from types import TracebackType
from typing import Protocol, Self

from tenfour.accounts.model import (
    DEFAULT_IDLE,
    DEFAULT_LIFETIME,
    DEFAULT_LOCK_FOR,
    DEFAULT_LOCK_SOURCES,
    DEFAULT_MAX_FAILURES,
    Account,
    AccountStatus,
    AccountStoreError,
    LoginOutcome,
    SessionInfo,
)
from tenfour.accounts.passwords import Passwords
from tenfour.accounts.sqlite import SqliteAccountStore


class AccountStore(Protocol):
    """Staff accounts, their password hashes, login lockout and sessions."""

    def create(
        self,
        username: str,
        role: str,
        password: str,
        *,
        member: str | None = None,
        now: datetime,
    ) -> Account:
        """A new account; `AccountError` naming the field if any input is refused
        (`username` "already exists" included)."""
        ...

    def get(self, username: str) -> Account | None:
        """The account, whatever the case of `username`; None if there is none."""
        ...

    def list(self) -> builtins.list[Account]:
        """Every account, by username."""
        ...

    def set_password(self, username: str, password: str, *, now: datetime) -> int:
        """Replace the password, clear any lockout and end every session of the
        account (whoever knew the old password is out); how many sessions ended."""
        ...

    def set_role(self, username: str, role: str, *, member: str | None = None) -> Account:
        """Change the role and member (`member` defaults as in `create`)."""
        ...

    def delete(self, username: str) -> bool:
        """Remove the account and its sessions; False if there was none."""
        ...

    def disable(self, username: str, *, now: datetime) -> int:
        """Refuse every login of the account and end its sessions at once (a stolen
        phone); how many sessions ended. `UnknownAccountError` if there is none."""
        ...

    def enable(self, username: str) -> bool:
        """Allow logins again; False if it was not disabled."""
        ...

    def unlock(self, username: str, *, now: datetime) -> bool:
        """Clear every lockout of the account (for everyone and per source); False
        if nothing was locked. `UnknownAccountError` if there is no such account."""
        ...

    def status(
        self,
        username: str,
        *,
        now: datetime,
        idle: timedelta = DEFAULT_IDLE,
        lifetime: timedelta = DEFAULT_LIFETIME,
    ) -> AccountStatus | None:
        """What an administrator sees of one account; None if there is none."""
        ...

    def statuses(
        self,
        *,
        now: datetime,
        idle: timedelta = DEFAULT_IDLE,
        lifetime: timedelta = DEFAULT_LIFETIME,
    ) -> builtins.list[AccountStatus]:
        """`status` of every account, by username."""
        ...

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
        """Check a login attempt and record its outcome (see the module docstring)."""
        ...

    def open_session(self, username: str, *, now: datetime) -> str:
        """A new session token for the account (`UnknownAccountError` if none)."""
        ...

    def session(
        self,
        token: str,
        *,
        now: datetime,
        idle: timedelta = DEFAULT_IDLE,
        lifetime: timedelta = DEFAULT_LIFETIME,
        touch: bool = True,
    ) -> Account | None:
        """The account of a live session, marking it used (unless `touch` is false:
        a live feed checking its session is not use); None (and the session
        deleted) if it is unknown, idle for longer than `idle`, opened longer than
        `lifetime` ago, or its account is disabled."""
        ...

    def sessions_for(
        self,
        tokens: Iterable[str],
        *,
        now: datetime,
        idle: timedelta = DEFAULT_IDLE,
        lifetime: timedelta = DEFAULT_LIFETIME,
        touch: bool = True,
    ) -> dict[str, Account | None]:
        """`session` for several tokens at once, each answered as `session` would
        answer it alone, in one read (and at most one write for the ended sessions
        and one for the last-use times): a batch of commands from many consoles
        looks its sessions up together."""
        ...

    def close_session(self, token: str) -> bool:
        """Log out; False if the token was not a live session."""
        ...

    def close_sessions_of(self, username: str) -> int:
        """Close every session of the account; how many there were."""
        ...

    def sessions(
        self,
        *,
        now: datetime,
        idle: timedelta = DEFAULT_IDLE,
        lifetime: timedelta = DEFAULT_LIFETIME,
    ) -> builtins.list[SessionInfo]:
        """Every live session (not idle longer than `idle`, opened within `lifetime`),
        by username then opening time; the ones `status` counts."""
        ...

    def purge_sessions(
        self,
        *,
        now: datetime,
        idle: timedelta = DEFAULT_IDLE,
        lifetime: timedelta = DEFAULT_LIFETIME,
    ) -> int:
        """Delete every session idle for longer than `idle` or older than `lifetime`;
        how many there were."""
        ...

    def close(self) -> None:
        """Release the connection; further calls raise `AccountStoreError`."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


def open_accounts(url: str, *, passwords: Passwords | None = None) -> AccountStore:
    """Open the account store at `url`: the same URL as the journal's (`open_store`).

    - `postgresql://...` (or `postgres://...`): a libpq URL.
    - `sqlite:///relative/path.db`, `sqlite:////absolute/path.db`, `sqlite:///:memory:`.
    - anything without a scheme: a path to a SQLite file.

    `passwords` sets the hashing parameters (default: argon2-cffi's; tests pass
    `Passwords.fast()`).
    """
    passwords = passwords or Passwords()
    if url.startswith(("postgresql://", "postgres://")):
        # Imported here so that SQLite-only installs need no psycopg.
        from tenfour.accounts.postgres import PostgresAccountStore

        return PostgresAccountStore(url, passwords=passwords)
    if url.startswith("sqlite://"):
        path = url.removeprefix("sqlite://")
        if not path.startswith("/") or len(path) == 1:
            raise AccountStoreError(f"accounts URL {url!r}: expected sqlite:///<path>")
        return SqliteAccountStore(path[1:], passwords=passwords)
    if "://" in url:
        scheme = url.split("://", 1)[0]
        raise AccountStoreError(
            f"accounts URL {url!r}: unknown scheme {scheme!r} (sqlite, postgresql)"
        )
    if not url:
        raise AccountStoreError("accounts URL is empty")
    return SqliteAccountStore(url, passwords=passwords)
