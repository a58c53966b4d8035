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
- `append_batch` is several appends in ONE transaction (group commit): each is
  checked exactly as a lone `append` would be, against the journal and the appends
  before it in the batch (an idempotency key used earlier in the batch answers as a
  duplicate of that append; an `expected` version counts the batch's own events).
  One that conflicts or is invalid fails alone, with its error in its slot of the
  result, and the others are written; the call returns only once the transaction
  is durable. A database failure raises, and then none of them is written.
- `batch()` opens that transaction for a caller that decides each append only after
  the previous one (the service's group commit): the journal's write lock is held
  until the block ends, so nobody else appends meanwhile.
- Every row carries the hash of the row before it; `verify` walks the chain.
- `read(types=...)` gives exactly the events of `read()` whose type is listed,
  in the same order.
- `position`/`save_position` keep named bookmarks (the policy reactor's) durably,
  beside the journal but outside its chain.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Protocol, Self

from tenfour.journal.lease import Lease
from tenfour.journal.model import (
    Append,
    AppendResult,
    EventBrief,
    JournalError,
    NewEvent,
    StoredEvent,
    VerifyReport,
)


class Batch(Protocol):
    """An open write transaction (``EventStore.batch``); nobody else appends meanwhile."""

    def read(self, after: int) -> list[StoredEvent]:
        """Every event with seq > `after`, this batch's own appends included."""
        ...

    def events_for_key(self, key: str) -> tuple[StoredEvent, ...] | None:
        """What `key` produced, in the journal or earlier in this batch; None if unused."""
        ...

    def append(
        self,
        events: Sequence[NewEvent],
        *,
        expected: Mapping[str, int] | None = None,
        idempotency_key: str | None = None,
    ) -> AppendResult:
        """`EventStore.append` inside the batch: a conflict or a bad event raises and
        stages nothing (the batch goes on); durable once the batch has committed."""
        ...


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

    def append_batch(self, appends: Sequence[Append]) -> list[AppendResult | JournalError]:
        """Store every append in one durable transaction; one result or error per append,
        in order (see the module docstring)."""
        ...

    def batch(self) -> AbstractContextManager[Batch]:
        """One write transaction: appends made in the block commit together, durably,
        when it ends normally; an exception leaving the block rolls all of them back."""
        ...

    def read(
        self, after: int = 0, limit: int | None = None, *, types: Collection[str] | None = None
    ) -> Iterator[StoredEvent]:
        """Events with seq > `after` in seq order, at most `limit` of them.

        `types`: only events of these types (filtered by the database, so a reader
        that needs a few types never fetches nor decodes the others); None: every
        type. A bare string is refused (it would be read as a set of letters).
        """
        ...

    def read_brief(
        self, after: int = 0, *, types: Collection[str] | None = None
    ) -> Iterator[EventBrief]:
        """What `read(after, types=types)` gives, each event as its seq, type, time and
        payload only: for readers that fold most of a long journal (a year's report)."""
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
