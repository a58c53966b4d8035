"""A small sliding-window rate limit per client, keyed by a salted hash.

Used for the public tip form: the limit needs to tell senders apart for a few
minutes, but must not keep who they are. Keys are hashed with a salt that lives only
in memory (a new one per process), and entries vanish when their window passes.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections import deque
from datetime import datetime, timedelta


class RateLimiter:
    def __init__(self, limit: int, window: timedelta) -> None:
        self.limit, self.window = limit, window
        self._salt = secrets.token_bytes(16)
        self._hits: dict[bytes, deque[datetime]] = {}
        self._lock = threading.Lock()

    def _key(self, who: str) -> bytes:
        return hashlib.blake2b(who.encode(), key=self._salt, digest_size=16).digest()

    def allow(self, who: str, now: datetime) -> bool:
        """Count one attempt for ``who``; False when over the limit in the window."""
        key = self._key(who)
        with self._lock:
            self._forget_old(now)
            hits = self._hits.setdefault(key, deque())
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            return True

    def _forget_old(self, now: datetime) -> None:
        horizon = now - self.window
        for key in list(self._hits):
            hits = self._hits[key]
            while hits and hits[0] <= horizon:
                hits.popleft()
            if not hits:
                del self._hits[key]

    def tracked(self) -> int:
        return len(self._hits)
