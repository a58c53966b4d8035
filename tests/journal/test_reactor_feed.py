"""The reactor takes the events it was just handed (``Reactor._next``), on both
backends: it does not read back from the journal what it heard published, and what it
never heard of (another node's commit whose notification was lost) it still reads and
answers, within about a second."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

from tenfour.clock import SimClock
from tenfour.journal import EventStore, StoredEvent
from tenfour.reactor import READ_EVERY_S
from tenfour.service import Service

from .support import Backend
from .test_reactions_survive_faults import plan_of, roster
from .test_service_on_backends import DESK, START, StraightLine

AT = {"lat": 37.7905, "lon": -122.3975}


class CountedReads:
    """The store, counting the reactor thread's reads of the journal."""

    def __init__(self, store: EventStore) -> None:
        self._store = store
        self.reactor_reads = 0

    def read(self, *args: Any, **kwargs: Any) -> Iterator[StoredEvent]:
        if threading.current_thread().name == "tenfour-reactor":
            self.reactor_reads += 1
        return self._store.read(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def _emergency(service: Service, member: str) -> str:
    handled = service.submit("emergency.declare", {"member": member, "location": AT}, DESK)
    return str(next(e.data["incident"] for e in handled.events if e.type == "emergency.declared"))


def test_what_it_heard_is_not_read_back(backend: Backend) -> None:
    store = CountedReads(backend.open())
    service = Service(store=store, clock=SimClock(START), oracle=StraightLine(), react_inline=False)
    try:
        roster(service)
        service.settle()
        before, started = store.reactor_reads, time.monotonic()
        for n in range(40):
            service.submit(
                "unit.locate", {"unit": "ZPD-2", "lat": 37.789 + n * 1e-5, "lon": -122.399}, DESK
            )
        incident = _emergency(service, "m0")
        service.settle()
        took = time.monotonic() - started
        reads = store.reactor_reads - before
    finally:
        service.close()
    units, needs = plan_of(list(backend.open().read()), incident)
    assert sorted(needs) == ["ambulance-als", "police", "supervisor"] and len(units) == 6
    assert service.reactor.position == service.state.seq
    # At most one read a second (the check for news it missed), not one per event.
    assert reads <= took / READ_EVERY_S + 2, (reads, took)


def test_what_it_never_heard_of_is_read_and_answered(backend: Backend) -> None:
    service = Service(
        store=backend.open(), clock=SimClock(START), oracle=StraightLine(), react_inline=False
    )
    try:
        roster(service)
        service.settle()
        # The news of the emergency's commit is lost on the way to the reactor (as
        # another node's would be with its notification); the reactions' own are heard.
        heard = service.reactor._heard
        lost: list[int] = []

        def deaf_once(events: Any) -> None:
            if not lost and any(e.type == "emergency.declared" for e in events):
                lost.append(events[-1].seq)
                return
            heard(events)

        service._subscribers = [deaf_once if s == heard else s for s in service._subscribers]
        incident = _emergency(service, "m0")
        started = time.monotonic()
        service.settle(timeout_s=10)
        took = time.monotonic() - started
    finally:
        service.close()
    units, needs = plan_of(list(backend.open().read()), incident)
    assert sorted(needs) == ["ambulance-als", "police", "supervisor"] and len(units) == 6
    assert lost and took < 2.5 * READ_EVERY_S, (lost, took)
