"""The `AccountStore` protocol, what every backend promises, and `open_accounts(url)`.

The contract (tested once for all backends in tests/accounts):

- Usernames are 1-64 of `a-z 0-9 . _ -`; input is lower-cased first, so they are
  unique regardless of case. Roles are `ACCOUNT_ROLES`; passwords have at least 12
  characters and are stored only as argon2id hashes.
- Time is always passed in (`now`, an aware datetime); the store never reads the
  clock, so tests and simulated days are exact.
- `authenticate`: `max_failures` consecutive failures lock the account for
  `lock_for`. While locked every attempt, even with the right password, is refused
  with reason "locked" and does not extend the lock. Once the lock has expired the
  count starts again from 0. A success resets the count. An unknown username costs
  as much hashing time as a known one.
- Sessions: `open_session` returns a random token; only its SHA-256 is stored. A
  session expires after `idle` without use. To spare a write per request the stored
  last-use time is only moved when it is `TOUCH_EVERY` (30 s) old or more, so a
  session may expire up to 30 s earlier than `idle` after its real last use, never
  later.
- Every write is one transaction; hashing (slow by design) happens outside the
  store's lock, so one login does not hold up the others.
"""

from __future__ import annotations

import builtins
from datetime import datetime, timedelta
from types import TracebackType
from typing import Protocol, Self

from tenfour.accounts.model import (
    DEFAULT_IDLE,
    DEFAULT_LOCK_FOR,
    DEFAULT_MAX_FAILURES,
    Account,
    AccountStoreError,
    LoginOutcome,
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

    def set_password(self, username: str, password: str, *, now: datetime) -> None:
        """Replace the password and clear any lockout. Sessions stay open: call
        `close_sessions_of` too when the old password may be known to someone else."""
        ...

    def set_role(self, username: str, role: str, *, member: str | None = None) -> Account:
        """Change the role and member (`member` defaults as in `create`)."""
        ...

    def delete(self, username: str) -> bool:
        """Remove the account and its sessions; False if there was none."""
        ...

    def authenticate(
        self,
        username: str,
        password: str,
        *,
        now: datetime,
        max_failures: int = DEFAULT_MAX_FAILURES,
        lock_for: timedelta = DEFAULT_LOCK_FOR,
    ) -> LoginOutcome:
        """Check a login attempt and record its outcome (see the module docstring)."""
        ...

    def open_session(self, username: str, *, now: datetime) -> str:
        """A new session token for the account (`UnknownAccountError` if none)."""
        ...

    def session(
        self, token: str, *, now: datetime, idle: timedelta = DEFAULT_IDLE
    ) -> Account | None:
        """The account of a live session, marking it used; None (and the session
        deleted) if it is unknown or idle for longer than `idle`."""
        ...

    def close_session(self, token: str) -> bool:
        """Log out; False if the token was not a live session."""
        ...

    def close_sessions_of(self, username: str) -> int:
        """Close every session of the account; how many there were."""
        ...

    def purge_sessions(self, *, now: datetime, idle: timedelta = DEFAULT_IDLE) -> int:
        """Delete every session idle for longer than `idle`; how many there were."""
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
