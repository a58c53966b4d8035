"""Lockouts for names that no account can be locked under: unknown and disabled ones.

The login page says when an account is locked, and until when (issue: accounts on
the screens). Said only for real accounts, that would tell an attacker which names
exist: five wrong guesses at a real name would answer "locked", at a made-up one
"wrong password" for ever. So every name the store cannot lock (no such account, or
a disabled one, whose attempts the store does not count) gets a shadow lock here,
by the very rules of the account store (`tenfour.accounts.store`): `max_failures`
failures of one (name, source) pair, each within `lock_for` of the one before, lock
that pair for `lock_for`; once the live failures of all pairs reach `max_failures` x
`lock_sources`, the name locks for every source; while locked, attempts are refused
and neither counted nor extend the lock. Same history, same answer, same time.

(A disabled account's lock from before it was disabled is the store's, and holds:
api.auth asks the store first.) Kept in memory, per server process, bounded: what it
cannot mirror is what only the account's owner or an administrator can cause on a
real account (a correct login clears its pair; an unlock, a new password or enabling
it again clears or ends the count), a server restart (the real locks are in the
database) and, with several server nodes, a source whose attempts are spread over
nodes. Time is the caller's (the service clock), so tests are exact.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(slots=True)
class _Pair:
    failures: int
    last_failure_at: datetime
    locked_until: datetime | None = None


@dataclass(slots=True)
class _Name:
    pairs: dict[str, _Pair] = field(default_factory=dict)
    locked_until: datetime | None = None  # locked for every source
    seen: datetime | None = None  # last attempt, to forget idle names first


class ShadowLocks:
    """Failed logins of names with no lockable account, locked as an account would be."""

    def __init__(
        self,
        max_failures: int,
        lock_for: timedelta,
        lock_sources: int,
        *,
        max_names: int = 100_000,
    ) -> None:
        if max_failures < 1 or lock_sources < 1:
            raise ValueError(
                f"max_failures and lock_sources: must be >= 1, got {max_failures}, {lock_sources}"
            )
        if lock_for <= timedelta(0):
            raise ValueError(f"lock_for: must be positive, got {lock_for}")
        self.max_failures = max_failures
        self.lock_for = lock_for
        self.lock_sources = lock_sources
        self._max_names = max_names
        self._names: dict[str, _Name] = {}
        self._lock = threading.Lock()

    def fail(self, name: str, source: str, now: datetime) -> datetime | None:
        """Record one failed attempt of `name` from `source`; the time the name stays
        locked until for this source after it, or None if it is not locked."""
        key = _key(name)
        with self._lock:
            entry = self._names.pop(key, None) or self._new_entry(now)
            self._names[key] = entry  # (re)inserted last: the most recently seen
            entry.seen = now
            if entry.locked_until is not None and now < entry.locked_until:
                return entry.locked_until  # refused while locked: not counted
            pair = entry.pairs.get(source)
            if pair is not None and pair.locked_until is not None and now < pair.locked_until:
                return pair.locked_until
            fresh = pair is None or (
                pair.locked_until <= now
                if pair.locked_until is not None
                else pair.last_failure_at <= now - self.lock_for
            )
            failures = 1 if fresh or pair is None else pair.failures + 1
            locked = now + self.lock_for if failures >= self.max_failures else None
            entry.pairs[source] = _Pair(failures, now, locked)
            self._forget_pairs(entry, now)
            if sum(p.failures for p in entry.pairs.values()) >= (
                self.max_failures * self.lock_sources
            ):
                # Enough failures from enough sources: every source is locked out, and
                # all start afresh after it (the pairs are folded into the lock).
                entry.locked_until = now + self.lock_for
                entry.pairs.clear()
                return entry.locked_until
            return locked

    def tracked(self) -> int:
        return len(self._names)

    def _forget_pairs(self, entry: _Name, now: datetime) -> None:
        """Drop the pairs that no longer count (the store's `_recount`)."""
        for source, pair in list(entry.pairs.items()):
            if (pair.locked_until is None and pair.last_failure_at <= now - self.lock_for) or (
                pair.locked_until is not None and pair.locked_until <= now
            ):
                del entry.pairs[source]

    def _new_entry(self, now: datetime) -> _Name:
        """A fresh name, making room first if the table is full. Call with the lock held."""
        if len(self._names) >= self._max_names:
            for key, entry in list(self._names.items()):
                if self._idle(entry, now):
                    del self._names[key]
            while len(self._names) >= self._max_names:
                # Still full of live names (a spray of made-up ones): the least
                # recently tried goes first, so the memory stays bounded.
                del self._names[next(iter(self._names))]
        return _Name()

    def _idle(self, entry: _Name, now: datetime) -> bool:
        """Nothing of it counts any more: forgetting it changes no answer."""
        if entry.locked_until is not None and now < entry.locked_until:
            return False
        self._forget_pairs(entry, now)
        return not entry.pairs


def _key(name: str) -> str:
    # As the store's usernames: ASCII names are case-insensitive. Any other name can
    # be no account's, and is kept as typed (lower() would fold the Kelvin sign into
    # "k" and share a count with a real name).
    return name.lower() if name.isascii() else name
