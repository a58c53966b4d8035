"""Values of the account store: accounts, login outcomes, errors and input checks.

Accounts are who may log in to the CAD and with which role. They are kept apart
from the journal on purpose: password hashes and session tokens must never reach
journal exports or the live feed. Everything here is plain data and pure checks;
the stores in `sqlite.py` and `postgres.py` do the I/O.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from tenfour.accounts.policy import password_problem
from tenfour.domain.values import ROLES, Role

# Roles a person can log in with: `public` is the anonymous tip page (nobody logs
# in as it) and `system` is the policies' own identity (nobody may act as it).
ACCOUNT_ROLES: tuple[Role, ...] = tuple(r for r in ROLES if r not in ("public", "system"))

USERNAME_MAX = 64
# Lower case only, so "case-insensitive unique" is simply "unique after lower()".
_USERNAME = re.compile(r"[a-z0-9._-]{1,64}")
# The roster's member ids (same rule as `Id` in tenfour.domain.commands).
_MEMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:@-]{0,63}")

PASSWORD_MIN = 12
# Long enough for any passphrase; bounded so nobody makes the server hash megabytes.
PASSWORD_MAX = 1024

DEFAULT_MAX_FAILURES = 5
DEFAULT_LOCK_FOR = timedelta(minutes=10)
# An account locks for everyone only once failures from at least this many sources add
# up (max_failures x lock_sources): one source alone is stopped at max_failures.
DEFAULT_LOCK_SOURCES = 3
DEFAULT_IDLE = timedelta(minutes=30)
DEFAULT_LIFETIME = timedelta(hours=12)
# Longer than any address or forwarded address; what is stored of a login's source.
SOURCE_MAX = 200

LoginReason = Literal["ok", "unknown_user", "bad_password", "locked", "disabled"]
LockScope = Literal["source", "account"]


class AccountError(ValueError):
    """Input the account store refuses; `field` names what was wrong.

    The message starts with the field, e.g. "username: already exists", so an API
    can answer 4xx with it as is.
    """

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class UnknownAccountError(AccountError):
    """The named account does not exist (an API answers 404, not 422)."""

    def __init__(self, username: str) -> None:
        super().__init__("username", f"no account {username!r}")


class AccountStoreError(Exception):
    """The store cannot do what was asked: bad URL, database unreachable, store closed."""


@dataclass(frozen=True, slots=True)
class Account:
    """A staff login. `member` is the roster member id the account acts as, if any
    (for a ``hospital`` account: the id of its facility)."""

    username: str
    role: Role
    member: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class LoginOutcome:
    """What one `authenticate` call found.

    `failures` is the count of recent failures of this (account, source) pair after
    this attempt (0 after a success). `locked_now` is true only for the failure that
    locked; `locked_until` is set whenever a lock holds after this attempt, and
    `locked_scope` says what it holds against: "source" (this account from this
    source only) or "account" (this account from everywhere).
    """

    ok: bool
    account: Account | None
    reason: LoginReason
    locked_now: bool = False
    locked_until: datetime | None = None
    failures: int = 0
    locked_scope: LockScope | None = None


@dataclass(frozen=True, slots=True)
class AccountStatus:
    """What an administrator sees of an account: `tenfour user list`, `GET /api/accounts`.

    `locked_until` is the lock against everyone, `locked_sources` the sources locked
    out of this account alone (source, until); `sessions` counts live sessions.
    """

    account: Account
    disabled_at: datetime | None
    last_login_at: datetime | None
    password_changed_at: datetime
    locked_until: datetime | None
    locked_sources: tuple[tuple[str, datetime], ...]
    sessions: int


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """A live session as an administrator sees it (`GET /api/accounts/sessions`).

    Never the token: `id` is the first 16 hex digits of the token's SHA-256, enough
    to tell one's own session from the others and useless for logging in."""

    id: str
    username: str
    created_at: datetime
    last_used_at: datetime


# -- input checks (shared by every backend so they refuse exactly the same things) ----


def check_username(value: object) -> str:
    """The username in its stored (lower-case) form, or `AccountError`."""
    if not isinstance(value, str) or not value:
        raise AccountError("username", "must be a non-empty string")
    # ASCII first: str.lower() maps some non-ASCII letters to ASCII ones (the Kelvin
    # sign to "k"), which would let two different inputs name one account.
    if not value.isascii():
        raise AccountError("username", "only a-z, 0-9, '.', '_' and '-' are allowed")
    lowered = value.lower()
    if len(lowered) > USERNAME_MAX:
        raise AccountError("username", f"at most {USERNAME_MAX} characters")
    if not _USERNAME.fullmatch(lowered):
        raise AccountError("username", "only a-z, 0-9, '.', '_' and '-' are allowed")
    return lowered


def check_role(value: object) -> Role:
    if not isinstance(value, str) or value not in ACCOUNT_ROLES:
        raise AccountError("role", f"unknown role {value!r} (allowed: {', '.join(ACCOUNT_ROLES)})")
    return value


def check_member(value: object, *, role: Role, username: str) -> str | None:
    """The member id to store: as given, or for officers the username by default.

    A ``hospital`` account's member is the id of the one facility it speaks for
    (``ZGH``): it must be given, since a hospital account for no hospital can do nothing.
    """
    if value is None and role == "hospital":
        raise AccountError("member", "a hospital account needs its facility's id (e.g. ZGH)")
    if value is None:
        return username if role == "officer" else None
    if not isinstance(value, str) or not _MEMBER.fullmatch(value):
        raise AccountError(
            "member",
            "must be a roster member id: 1-64 of A-Z a-z 0-9 _ . : @ -, "
            f"starting with a letter or digit, got {value!r}",
        )
    return value


def check_password(value: object, *, username: str | None = None) -> str:
    """The password as it is hashed: NFKC-normalised, as NIST SP 800-63B advises,
    so the same passphrase typed on different keyboards or systems still matches.

    The policy is SP 800-63B's: at least `PASSWORD_MIN` characters, not a known
    common password (nor one with digits or symbols stuck on), not one repeated or
    sequential run, not the username; no composition rules (see `policy.py`)."""
    if not isinstance(value, str):
        raise AccountError("password", "must be a string")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise AccountError("password", f"not valid Unicode text ({exc.reason})") from exc
    normalised = unicodedata.normalize("NFKC", value)
    if len(normalised) < PASSWORD_MIN:
        raise AccountError("password", f"at least {PASSWORD_MIN} characters")
    if len(normalised) > PASSWORD_MAX:
        raise AccountError("password", f"at most {PASSWORD_MAX} characters")
    problem = password_problem(normalised, username)
    if problem is not None:
        raise AccountError("password", problem)
    return normalised


def check_source(value: object) -> str:
    """Where a login came from, as stored ("" when unknown), bounded in length."""
    if not isinstance(value, str):
        raise ValueError(f"source: must be a string, got {value!r}")
    return value[:SOURCE_MAX]


def check_now(now: object) -> datetime:
    """`now` in UTC. The caller owns the clock; a naive time would be a silent bug."""
    if not isinstance(now, datetime) or now.utcoffset() is None:
        raise ValueError(f"now: must be a timezone-aware datetime, got {now!r}")
    return now.astimezone(UTC)


def check_positive(name: str, value: timedelta) -> timedelta:
    if not isinstance(value, timedelta) or value <= timedelta(0):
        raise ValueError(f"{name}: must be a positive timedelta, got {value!r}")
    return value
