"""Time, injected: a real clock for the server and a simulated one for scenarios.

The domain and policies never read the time; the service asks its clock. Timers are
scheduled on the clock, so a simulated clock can jump straight to the next deadline
and run a day of dispatch in seconds with exact times.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

log = logging.getLogger(__name__)


def iso(moment: datetime) -> str:
    """UTC ISO-8601 with milliseconds and a ``Z``: the one time format of the journal."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"time {text!r} has no time zone")
    return moment.astimezone(UTC)


@dataclass(order=True)
class Timer:
    """A scheduled callback; ``cancel`` makes it a no-op."""

    when: datetime
    order: int
    callback: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


class Clock(ABC):
    """What the service needs of time."""

    def __init__(self) -> None:
        self._timers: list[Timer] = []
        self._order = itertools.count()
        self._guard = threading.Lock()

    @abstractmethod
    def now(self) -> datetime: ...

    def call_at(self, when: datetime, callback: Callable[[], None]) -> Timer:
        timer = Timer(when, next(self._order), callback)
        with self._guard:
            heapq.heappush(self._timers, timer)
        self._wake()
        return timer

    def _wake(self) -> None:  # noqa: B027 - an optional hook, empty by default
        """Hook for clocks with a thread waiting on the next deadline."""

    def _pop_due(self, now: datetime) -> Timer | None:
        with self._guard:
            while self._timers and self._timers[0].cancelled:
                heapq.heappop(self._timers)
            if self._timers and self._timers[0].when <= now:
                return heapq.heappop(self._timers)
            return None

    def next_deadline(self) -> datetime | None:
        # Cancelled timers are dropped from the top of the heap, so the top is the
        # earliest live deadline: O(log n). Scanning them all cost 5 s of a week's
        # replay, where the service re-schedules its status-check timer on most commands.
        with self._guard:
            while self._timers and self._timers[0].cancelled:
                heapq.heappop(self._timers)
            return self._timers[0].when if self._timers else None


class SimClock(Clock):
    """Simulated time: it moves only when told, and runs timers on the way."""

    def __init__(self, start: datetime) -> None:
        super().__init__()
        if start.tzinfo is None:
            raise ValueError("the simulated clock needs a time zone (UTC)")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance_to(self, moment: datetime) -> None:
        """Jump to ``moment``, stopping at every deadline on the way to run its timer."""
        if moment < self._now:
            raise ValueError(f"time cannot go back from {iso(self._now)} to {iso(moment)}")
        while True:
            deadline = self.next_deadline()
            if deadline is None or deadline > moment:
                break
            self._now = max(self._now, deadline)
            timer = self._pop_due(self._now)
            if timer is not None:
                timer.callback()
        self._now = moment


class RealClock(Clock):
    """Wall-clock time; one daemon thread runs timers when they fall due."""

    def __init__(self) -> None:
        super().__init__()
        self._cond = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="tenfour-clock", daemon=True)
        self._thread.start()

    def now(self) -> datetime:
        return datetime.now(UTC)

    def _wake(self) -> None:
        with self._cond:
            self._cond.notify()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            with self._cond:
                if self._stopped:
                    return
                deadline = self.next_deadline()
                wait = None if deadline is None else (deadline - self.now()).total_seconds()
                if wait is None or wait > 0:
                    self._cond.wait(timeout=wait)
                    continue
            timer = self._pop_due(self.now())
            if timer is not None:
                try:
                    timer.callback()
                except Exception:  # a failing timer must not stop every later one
                    log.exception("timer callback failed")
