"""Reactions are never lost (DOMAIN.md "Officer safety"), checked on both backends.

The database connection is cut right after ``emergency.declared`` commits, before the
response plan is worked out: on PostgreSQL by ``pg_terminate_backend`` of the journal's
own session, on SQLite (one file, no server to cut) by a connection that fails the next
calls. The command is answered, and the plan is still dispatched, exactly once, also
across a restart. A real kill -9 of a server process is in tests/api/test_nodes.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg

from tenfour.clock import SimClock
from tenfour.domain.values import Actor
from tenfour.journal import EventStore, JournalError, StoredEvent
from tenfour.service import Service

from .support import Backend
from .test_service_on_backends import ADMIN, DESK, START, StraightLine

#: Every journal call a service makes (``batch``: the transaction every command's
#: events go in); a cut connection fails whichever comes next.
_CALLS = frozenset(
    {
        "append",
        "batch",
        "read",
        "events_for_key",
        "head",
        "position",
        "save_position",
        "stream_version",
    }
)
#: 6 patrols, a supervisor and an ALS ambulance around the scene: a full MAYDAY plan.
_UNITS = [(f"ZPD-{i}", "patrol") for i in range(1, 7)] + [
    ("S-1", "supervisor"),
    ("M-1", "ambulance-als"),
]


class CutConnection:
    """A SQLite journal whose connection fails the next ``n`` calls, then comes back."""

    def __init__(self, store: EventStore) -> None:
        self._store = store
        self.failures_left = 0
        self.failed = 0

    def cut(self, calls: int) -> None:
        self.failures_left = calls

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._store, name)
        if name not in _CALLS:
            return found

        def call(*args: Any, **kwargs: Any) -> Any:
            if self.failures_left > 0:
                self.failures_left -= 1
                self.failed += 1
                raise JournalError("SQLite journal: disk I/O error (connection cut by the test)")
            return found(*args, **kwargs)

        return call


def roster(service: Service) -> None:
    service.submit("agency.register", {"id": "ZPD", "kind": "police", "name": "ZPD"}, ADMIN)
    for i, (unit, kind) in enumerate(_UNITS):
        member = f"m{i}"
        service.submit("member.register", {"id": member, "name": member, "agency": "ZPD"}, ADMIN)
        service.submit("unit.register", {"id": unit, "agency": "ZPD", "kind": kind}, ADMIN)
        at = {"lat": 37.7880 + 0.001 * i, "lon": -122.3998 + 0.0007 * i}
        service.submit("shift.start", {"unit": unit, "members": [member], "location": at}, ADMIN)


def cutter(backend: Backend, store: EventStore) -> tuple[EventStore, Callable[[], None]]:
    """The store the service uses, and a function that cuts its connection now."""
    if backend.name == "sqlite":
        flaky = CutConnection(store)
        return flaky, lambda: flaky.cut(3)

    def terminate() -> None:
        pid = store._pg.conn.info.backend_pid  # type: ignore[attr-defined]
        with psycopg.connect(backend.url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))

    return store, terminate


def plan_of(events: list[StoredEvent], incident: str) -> tuple[list[str], list[str]]:
    units = [
        e.data["unit"]
        for e in events
        if e.type == "unit.dispatched" and e.data["incident"] == incident
    ]
    needs = [
        e.data["need"]
        for e in events
        if e.type == "recommendation.made" and e.data.get("purpose") == "emergency"
    ]
    return units, needs


def test_the_plan_survives_a_connection_cut_right_after_the_emergency(backend: Backend) -> None:
    store, cut = cutter(backend, backend.open())
    service = Service(store=store, clock=SimClock(START), oracle=StraightLine(), react_inline=False)
    pg = getattr(store, "_pg", None)  # the PostgreSQL store's connection (durable.py)
    first_pid = pg.conn.info.backend_pid if pg is not None else None
    try:
        roster(service)
        service.settle()

        def on_commit(batch: Any) -> None:
            if any(e.type == "emergency.declared" for e in batch):
                cut()  # committed, answered next, the plan not yet worked out

        service.subscribe(on_commit)
        at = {"lat": 37.7905, "lon": -122.3975}
        handled = service.submit(
            "emergency.declare", {"member": "m0", "location": at, "text": "shots"}, DESK
        )
        incident = next(
            e.data["incident"] for e in handled.events if e.type == "emergency.declared"
        )
        service.settle()
    finally:
        service.close()
    # The cut really happened, and was survived by reconnecting / retrying.
    if isinstance(store, CutConnection):
        assert store.failed == 3
    else:
        assert pg is not None and pg.conn.info.backend_pid != first_pid
    events = list(backend.open().read())
    units, needs = plan_of(events, incident)
    # 4 police besides m0's own ZPD-1, 1 ALS ambulance, 1 supervisor: each sent once.
    assert sorted(needs) == ["ambulance-als", "police", "supervisor"]
    assert len(units) == 6 and len(set(units)) == 6 and "ZPD-1" not in units
    assert not [e for e in events if e.type == "alert.raised" and e.data["kind"] == "policy_failed"]

    # A restart (position, keys) repeats nothing.
    again = Service(store=backend.open(), clock=SimClock(START), oracle=StraightLine())
    assert plan_of(list(again.store.read()), incident) == (units, needs)
    assert again.store.verify().ok


def test_a_journal_that_stays_away_is_told_to_a_person(backend: Backend) -> None:
    # SQLite's simulated cut lasts long enough to pass the backoff's alert threshold;
    # PostgreSQL's terminate is over at the first reconnect, so only SQLite is held.
    if backend.name != "sqlite":
        return
    flaky = CutConnection(backend.open())
    service = Service(
        store=flaky,
        clock=SimClock(START),
        oracle=StraightLine(),
        react_inline=False,
    )
    try:
        roster(service)
        service.settle()

        def on_commit(batch: Any) -> None:
            if any(e.type == "emergency.declared" for e in batch):
                flaky.cut(12)

        service.subscribe(on_commit)
        handled = service.submit("emergency.declare", {"member": "m0"}, Actor("officer", "m0"))
        incident = next(
            e.data["incident"] for e in handled.events if e.type == "emergency.declared"
        )
        service.settle(timeout_s=60)
    finally:
        service.close()
    events = list(backend.open().read())
    units, _ = plan_of(events, incident)
    assert len(units) == 6 and len(set(units)) == 6
    told = [e for e in events if e.type == "alert.raised" and e.data["kind"] == "policy_failed"]
    assert told and told[0].data["severity"] == "high"
    assert "held up" in told[-1].data["text"] or "stuck" in told[-1].data["text"]
