"""The timekeeper: fires status-check deadlines, on exactly one node at a time.

Which deadlines are pending is a fold over the journal (``policies.timers.Watches``),
kept by every node, so any node can take over and knows at once what is due. Only
the node holding the lease (``journal.lease``) fires them; the alert each one raises
carries an idempotency key made of the deadline itself, so even two nodes that both
believe they lead (for the instant a lease changes hands) journal it once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from tenfour.clock import Clock, Timer
from tenfour.domain.errors import CommandRejected
from tenfour.journal.lease import Lease, SoleLease

if TYPE_CHECKING:
    from tenfour.service import Service

log = logging.getLogger(__name__)

#: After a deadline could not be journaled (the database is away), try again this soon.
RETRY_S = 1.0


class Timekeeper:
    """Holds the lease for one service and keeps its clock timer on the next deadline."""

    def __init__(self, service: Service, clock: Clock, lease: Lease | None = None) -> None:
        self.service = service
        self.clock = clock
        self.lease = lease or SoleLease()
        self._timer: Timer | None = None
        self._leading = False
        self._mutex = threading.RLock()
        self._retry_at: datetime | None = None
        #: Called (with no lock held) each time this node takes the lease over.
        self.on_lead: list[object] = []
        #: Called with how many seconds after its due time a timer fired (metrics).
        self.on_fired: list[Callable[[float], None]] = []

    @property
    def leading(self) -> bool:
        return self._leading

    def check_lease(self) -> bool:
        """Take or keep the lease; True when this node now leads. On taking it over,
        every deadline that fell due meanwhile fires at once."""
        held = self.lease.try_hold()
        with self._mutex:
            gained = held and not self._leading
            self._leading = held
            if not held and self._timer is not None:
                self._timer.cancel()
                self._timer = None
        if gained:
            log.info("this node now keeps time and runs the policies")
            self.reschedule()
        return held

    def release(self) -> None:
        with self._mutex:
            self._leading = False
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        self.lease.release()

    def reschedule(self) -> None:
        """Put the clock timer on the earliest pending deadline (or a retry)."""
        with self._mutex:
            if not self._leading:
                return
            due = self.service.watches.next_due()
            if self._retry_at is not None and (due is None or self._retry_at < due):
                due = self._retry_at
            if self._timer is not None:
                if due is not None and self._timer.when == due and not self._timer.cancelled:
                    return
                self._timer.cancel()
                self._timer = None
            if due is not None:
                at: datetime = due
                self._timer = self.clock.call_at(at, lambda: self._fire(at))

    def _fire(self, due: datetime) -> None:
        late = (self.clock.now() - due).total_seconds()
        for observer in self.on_fired:
            try:
                observer(late)
            except Exception:  # a watcher must never stop the deadlines
                log.exception("timer observer failed")
        with self._mutex:
            self._timer = None
            self._retry_at = None
            leading = self._leading
        if leading:
            self.fire_due()
        self.reschedule()

    def fire_due(self) -> None:
        """Journal an alert for every deadline that has passed (each exactly once)."""
        service = self.service
        with service.locked():
            try:
                # Another node's contact a moment ago must count before anyone is
                # called overdue (LISTEN/NOTIFY may not have brought it in yet).
                service.catch_up()
            except Exception:
                log.warning("could not catch up before firing deadlines", exc_info=True)
            owed = service.watches.due_commands(service.state, self.clock.now())
        for key, command in owed:
            try:
                service.handle(command.with_key(key))
            except CommandRejected as rejected:
                # One open alert per condition: already raised (by another node a moment
                # ago, or before a restart) is not a failure; it is answered.
                log.info("deadline %s: %s", key, rejected)
                with service.locked():
                    service.watches.settle(key)
            except Exception:
                # The database is away: the deadline stays pending and is tried again.
                log.exception("could not journal deadline %s; retrying", key)
                with self._mutex:
                    self._retry_at = self.clock.now() + timedelta(seconds=RETRY_S)
                return
