"""The `EventStore` protocol: what every journal backend promises.

The contract (tested once for all backends in tests/journal):

- `append` writes all its events in one transaction and returns only once that
  transaction is durable. Events get one global `seq` (1, 2, 3, ... without gaps,
  in commit order) and a `version` within their stream (1, 2, 3, ...).
- `expected` maps stream -> the version the caller last saw (0: the stream must not
  exist yet). Any mismatch raises `ConcurrencyError` and nothing is written.
- An `idempotency_key` already used writes nothing; the result holds the events the
  key produced the first time, with `duplicate=True`, whatever events are passed
  now. The key is checked before `expected`, so a retry of a command that did
  commit is answered as a duplicate, not as a conflict.
- Every row carries the hash of the row before it; `verify` walks the chain.
- `position`/`save_position` keep named bookmarks (the policy reactor's) durably,
  beside the journal but outside its chain.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from types import TracebackType
from typing import Protocol, Self

from tenfour.journal.lease import Lease
from tenfour.journal.model import AppendResult, NewEvent, StoredEvent, VerifyReport


class EventStore(Protocol):
    """An append-only, hash-chained event journal."""

    def append(
        self,
        events: Sequence[NewEvent],
        *,
        expected: Mapping[str, int] | None = None,
        idempotency_key: str | None = None,
    ) -> AppendResult:
        """Store `events` atomically and durably (see the module docstring)."""
        ...

    def read(self, after: int = 0, limit: int | None = None) -> Iterator[StoredEvent]:
        """Events with seq > `after` in seq order, at most `limit` of them."""
        ...

    def read_stream(self, stream: str, after_version: int = 0) -> Iterator[StoredEvent]:
        """Events of one stream with version > `after_version`, in version order."""
        ...

    def stream_version(self, stream: str) -> int:
        """The stream's last version, 0 when it has no events."""
        ...

    def head(self) -> int:
        """The last seq, 0 when the journal is empty."""
        ...

    def events_for_key(self, key: str) -> tuple[StoredEvent, ...] | None:
        """The events an idempotency key produced, or None if the key is unused."""
        ...

    def position(self, name: str) -> int | None:
        """A reader's saved position (None when it never saved one): how far it has handled."""
        ...

    def save_position(self, name: str, seq: int) -> None:
        """Durably remember that reader ``name`` has handled every event up to ``seq``."""
        ...

    def lease(self, name: str) -> Lease:
        """The lease that decides which node sharing this journal acts as ``name``."""
        ...

    def verify(self) -> VerifyReport:
        """Walk every row: seq and version contiguity, prev_hash links, own hashes."""
        ...

    def close(self) -> None:
        """Release the connection; further calls raise `JournalError`."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
