"""Staff accounts: who may log in to the CAD, with which role, and their sessions.

Accounts are not journal events: password hashes and session tokens must never
appear in journal exports or the live feed. They live in their own tables in the
journal's database; open them with `open_accounts(url)` on the journal's URL.
"""

from __future__ import annotations

from tenfour.accounts.model import (
    ACCOUNT_ROLES,
    DEFAULT_LIFETIME,
    DEFAULT_LOCK_SOURCES,
    PASSWORD_MIN,
    Account,
    AccountError,
    AccountStatus,
    AccountStoreError,
    LoginOutcome,
    LoginReason,
    SessionInfo,
    UnknownAccountError,
)
from tenfour.accounts.passwords import Passwords, generate_password
from tenfour.accounts.sql import TOUCH_EVERY
from tenfour.accounts.store import AccountStore, open_accounts

__all__ = [
    "ACCOUNT_ROLES",
    "DEFAULT_LIFETIME",
    "DEFAULT_LOCK_SOURCES",
    "PASSWORD_MIN",
    "TOUCH_EVERY",
    "Account",
    "AccountError",
    "AccountStatus",
    "AccountStore",
    "AccountStoreError",
    "LoginOutcome",
    "LoginReason",
    "Passwords",
    "SessionInfo",
    "UnknownAccountError",
    "generate_password",
    "open_accounts",
]
