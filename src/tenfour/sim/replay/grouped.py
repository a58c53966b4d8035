"""A journal whose appends are committed in groups: one transaction per replay step.

A replay issues about 29,000 commands for the SFFD week, one after another on one
thread. Through a plain store each is its own durable commit (an fsync), and on a
shared disk those fsyncs were most of the replay's wall time. The replay's commands
between two calls are all decided at one simulated instant or from timers before the
next call, with nobody else writing, so ``GroupedStore.group()`` holds one write
transaction (``EventStore.batch``) open for such a step: every command is decided,
appended, applied and reacted to exactly as before (the service reads its own
uncommitted events back through the batch), and the step becomes durable at once
when the group ends. The events, their order, seqs and hash chain are the same as
with one commit per command; only the number of fsyncs changes. A crash loses at most
the step in progress, which the replay would redo anyway.

Outside a group every call goes straight to the wrapped store.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from types import TracebackType
from typing import Self

from tenfour.journal import (
    Append,
    AppendResult,
    Batch,
    EventBrief,
    EventStore,
    JournalError,
    NewEvent,
    StoredEvent,
    VerifyReport,
)
from tenfour.journal.lease import Lease


class GroupedStore:
    """An ``EventStore`` that commits every append made inside ``group()`` together."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.groups = 0  # transactions committed by group(): the replay's fsyncs
        #: Transactions asked for (joined to a group or not): one per command handled,
        #: what the replay would commit without groups.
        self.asked = 0
        self._batch: Batch | None = None
        self._positions: dict[str, int] = {}  # bookmarks saved while a group was open

    @contextmanager
    def group(self) -> Iterator[None]:
        """Appends in this block share one transaction (nested blocks join the outer)."""
        if self._batch is not None:
            yield
            return
        try:
            with self.store.batch() as batch:
                self._batch = batch
                try:
                    yield
                finally:
                    self._batch = None
        except BaseException:
            self._positions = {}  # they point at events that were rolled back
            raise
        self.groups += 1
        # A bookmark is only true once the events it points to are durable.
        positions, self._positions = self._positions, {}
        for name, seq in positions.items():
            self.store.save_position(name, seq)

    def _outside(self, what: str) -> None:
        if self._batch is not None:
            raise JournalError(f"{what} is not available while a replay step's group is open")

    # --- EventStore ----------------------------------------------------------------------
    def append(
        self,
        events: Sequence[NewEvent],
        *,
        expected: Mapping[str, int] | None = None,
        idempotency_key: str | None = None,
    ) -> AppendResult:
        self.asked += 1
        if self._batch is None:
            return self.store.append(events, expected=expected, idempotency_key=idempotency_key)
        return self._batch.append(events, expected=expected, idempotency_key=idempotency_key)

    def append_batch(self, appends: Sequence[Append]) -> list[AppendResult | JournalError]:
        self._outside("append_batch")
        self.asked += 1
        return self.store.append_batch(appends)

    def batch(self) -> AbstractContextManager[Batch]:
        self.asked += 1
        if self._batch is None:
            return self.store.batch()
        # The service's own batch of one command joins the step's: it commits with it.
        return nullcontext(self._batch)

    def read(
        self, after: int = 0, limit: int | None = None, *, types: Collection[str] | None = None
    ) -> Iterator[StoredEvent]:
        if self._batch is None:
            return self.store.read(after, limit, types=types)
        events = self._batch.read(after)
        if types is not None:
            wanted = set(types)
            events = [e for e in events if e.type in wanted]
        return iter(events if limit is None else events[:limit])

    def read_brief(
        self, after: int = 0, *, types: Collection[str] | None = None
    ) -> Iterator[EventBrief]:
        self._outside("read_brief")
        return self.store.read_brief(after, types=types)

    def read_stream(self, stream: str, after_version: int = 0) -> Iterator[StoredEvent]:
        self._outside("read_stream")
        return self.store.read_stream(stream, after_version)

    def stream_version(self, stream: str) -> int:
        self._outside("stream_version")
        return self.store.stream_version(stream)

    def head(self) -> int:
        self._outside("head")
        return self.store.head()

    def events_for_key(self, key: str) -> tuple[StoredEvent, ...] | None:
        if self._batch is None:
            return self.store.events_for_key(key)
        return self._batch.events_for_key(key)

    def position(self, name: str) -> int | None:
        if name in self._positions:
            return self._positions[name]
        self._outside("position")
        return self.store.position(name)

    def save_position(self, name: str, seq: int) -> None:
        if self._batch is None:
            self.store.save_position(name, seq)
        else:
            self._positions[name] = seq  # saved once the group has committed

    def lease(self, name: str) -> Lease:
        return self.store.lease(name)

    def verify(self) -> VerifyReport:
        self._outside("verify")
        return self.store.verify()

    def close(self) -> None:
        self._outside("close")
        self.store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
