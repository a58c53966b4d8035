"""Token buckets per key (a login's source address), kept in memory.

Each key may spend `capacity` tokens at once and gets one back every `refill`.
Logins take a token before the (deliberately slow) password check and give it back
when the login succeeds, so only failures use the budget: a whole shift logging in
from one address is never held up, while a flood of guesses from one address is
answered 429 after the burst without any hashing. Time is the caller's (the
service clock), so tests are exact.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class Refusal:
    """No token: wait `retry_after_s`; `first` is true for the first refusal since
    the key last had a token (worth journaling once, not for every request)."""

    retry_after_s: int
    first: bool


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: datetime  # when `tokens` was counted
    refused: bool = False  # refused since it last had a token

    def now(self, now: datetime, capacity: int, refill_s: float) -> float:
        elapsed = max(0.0, (now - self.at).total_seconds())
        return min(float(capacity), self.tokens + elapsed / refill_s)


class TokenBuckets:
    def __init__(self, capacity: int, refill: timedelta, *, max_keys: int = 100_000) -> None:
        if capacity < 1:
            raise ValueError(f"capacity: must be >= 1, got {capacity}")
        if refill <= timedelta(0):
            raise ValueError(f"refill: must be positive, got {refill}")
        self.capacity = capacity
        self.refill_s = refill.total_seconds()
        self._max_keys = max_keys
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, key: str, now: datetime) -> Refusal | None:
        """Spend one token of `key`; None if there was one, else how long to wait."""
        with self._lock:
            bucket = self._bucket(key, now)
            bucket.tokens, bucket.at = bucket.now(now, self.capacity, self.refill_s), now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                bucket.refused = False
                return None
            first, bucket.refused = not bucket.refused, True
            return Refusal(max(1, math.ceil((1 - bucket.tokens) * self.refill_s)), first)

    def give_back(self, key: str, now: datetime) -> None:
        """Return a token taken for an attempt that turned out to be no abuse."""
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                return
            tokens = bucket.now(now, self.capacity, self.refill_s) + 1
            if tokens >= self.capacity:
                del self._buckets[key]  # full again: nothing to remember
            else:
                bucket.tokens, bucket.at = tokens, now

    def tracked(self) -> int:
        return len(self._buckets)

    def _bucket(self, key: str, now: datetime) -> _Bucket:
        """The bucket of `key`, a full new one if it had none. Call with the lock held."""
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._max_keys:
                self._forget_full(now)
            bucket = self._buckets[key] = _Bucket(float(self.capacity), now)
        return bucket

    def _forget_full(self, now: datetime) -> None:
        """Drop the keys whose buckets have filled up again (bounded memory)."""
        for key, bucket in list(self._buckets.items()):
            if bucket.now(now, self.capacity, self.refill_s) >= self.capacity:
                del self._buckets[key]
