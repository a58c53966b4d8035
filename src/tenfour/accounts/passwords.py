"""Password hashing (argon2id) and generated passwords for new accounts.

Hashes are argon2id in the PHC string format (`$argon2id$v=19$m=...`), which
records its own parameters; `Passwords.needs_rehash` tells when a stored hash was
made with weaker parameters than the current ones, so logins upgrade it.
"""

from __future__ import annotations

import secrets
import threading

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

# Readable generated passwords: lower case only and no i, l, o, 0 or 1, so they
# survive being read aloud or copied from a printout. 31 symbols, ~4.95 bits each.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_GROUPS = 4
_GROUP_SIZE = 4


def generate_password() -> str:
    """A random generated password like `k7qm-x4tr-9hwa-pc3e` (16 symbols, ~79 bits)."""
    symbols = "".join(secrets.choice(_ALPHABET) for _ in range(_GROUPS * _GROUP_SIZE))
    return "-".join(symbols[i : i + _GROUP_SIZE] for i in range(0, len(symbols), _GROUP_SIZE))


class Passwords:
    """Hashes and verifies passwords with one argon2id parameter set.

    The default is argon2-cffi's (RFC 9106 "low memory": t=3, m=64 MiB, p=4),
    roughly 50 ms per hash on a server core. `Passwords.fast()` is for tests only.
    """

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        hasher = hasher or PasswordHasher()
        if hasher.type is not Type.ID:
            raise ValueError("hasher: must use argon2id")
        self._hasher = hasher
        self._dummy: str | None = None
        self._dummy_lock = threading.Lock()

    @classmethod
    def fast(cls) -> Passwords:
        """Cheap parameters (t=1, m=8 MiB, p=1) so test suites stay fast. Never in production."""
        return cls(PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored_hash: str, password: str) -> bool:
        """True if `password` matches; a mismatch or a corrupt stored hash is False."""
        try:
            return self._hasher.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(stored_hash)
        except InvalidHashError:
            return True

    def spend_time(self, password: str) -> None:
        """Verify against a dummy hash with the current parameters: as slow as a real
        check, so a reply's timing does not tell whether the username exists."""
        with self._dummy_lock:
            if self._dummy is None:
                self._dummy = self._hasher.hash(secrets.token_urlsafe(16))
            dummy = self._dummy
        self.verify(dummy, password)
