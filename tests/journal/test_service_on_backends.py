"""The service's promises, checked on every journal backend (SQLite and PostgreSQL):
durable before answered, idempotent retries, notify only after commit, rebuild on
restart, and two nodes sharing one journal without lost updates."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tenfour.clock import SimClock
from tenfour.domain import CommandRejected
from tenfour.domain.values import Actor, distance_m
from tenfour.journal import StoredEvent
from tenfour.service import Service
from tenfour.views import board

from .support import Backend

START = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
DESK = Actor("dispatcher", "clawhauser")
ADMIN = Actor("admin", "setup")


class StraightLine:
    """Drive times at 10 m/s as the crow flies: enough to exercise the service."""

    def rank(
        self, to: tuple[float, float], origins: Sequence[tuple[float, float]]
    ) -> tuple[Sequence[float], Sequence[float]]:
        metres = [distance_m(o, to) for o in origins]
        return [m / 10 for m in metres], metres


def make_service(backend: Backend, clock: SimClock | None = None) -> Service:
    return Service(store=backend.open(), clock=clock or SimClock(START), oracle=StraightLine())


def roster(service: Service) -> None:
    service.submit("agency.register", {"id": "ZPD", "kind": "police", "name": "ZPD"}, ADMIN)
    for i, (lat, lon) in enumerate([(37.7880, -122.3998), (37.7900, -122.3940)], start=3):
        service.submit("member.register", {"id": f"m{i}", "name": f"M {i}", "agency": "ZPD"}, ADMIN)
        service.submit(
            "unit.register", {"id": f"ZPD-{i}", "agency": "ZPD", "kind": "patrol"}, ADMIN
        )
        location = {"lat": lat, "lon": lon}
        service.submit(
            "shift.start", {"unit": f"ZPD-{i}", "members": [f"m{i}"], "location": location}, ADMIN
        )


def new_incident(service: Service, priority: int = 3) -> str:
    location = {"lat": 37.7920, "lon": -122.3952}
    handled = service.submit(
        "incident.create", {"type": "THEFT", "priority": priority, "location": location}, DESK
    )
    return str(handled.events[0].data["incident"])


def test_an_answer_means_the_events_are_durable(backend: Backend) -> None:
    service = make_service(backend)
    roster(service)
    handled = service.submit("unit.status", {"unit": "ZPD-3", "status": "busy"}, DESK)
    other = backend.open()  # a second connection sees it: committed, not just buffered
    seen = [e for e in other.read(after=handled.events[0].seq - 1)]
    assert [e.type for e in seen[:1]] == ["unit.status_changed"]


def test_a_retry_with_the_same_key_yields_nothing_new(backend: Backend) -> None:
    service = make_service(backend)
    roster(service)
    incident = new_incident(service)
    payload = {"incident": incident, "units": ["ZPD-3"], "mode": "routine"}
    first = service.submit("unit.dispatch", payload, DESK, key="k-1")
    head = service.store.head()
    again = service.submit("unit.dispatch", payload, DESK, key="k-1")
    assert again.duplicate and not first.duplicate
    assert [e.seq for e in again.events] == [e.seq for e in first.events]
    assert service.store.head() == head


def test_a_rejected_command_writes_and_publishes_nothing(backend: Backend) -> None:
    service = make_service(backend)
    roster(service)
    heard: list[StoredEvent] = []
    service.subscribe(heard.extend)
    head = service.store.head()
    with pytest.raises(CommandRejected) as caught:
        service.submit("unit.status", {"unit": "ZPD-3", "status": "transporting"}, DESK)
    assert caught.value.problems[0].field == "with.status"
    assert service.store.head() == head and heard == []


def test_subscribers_hear_only_committed_events_and_a_failing_one_hurts_nobody(
    backend: Backend,
) -> None:
    service = make_service(backend)
    roster(service)
    reader = backend.open()
    committed_when_heard: list[bool] = []

    def check(events: Sequence[StoredEvent]) -> None:
        committed_when_heard.append(reader.head() >= events[-1].seq)

    def broken(events: Sequence[StoredEvent]) -> None:
        raise RuntimeError("listener bug")

    service.subscribe(broken)
    service.subscribe(check)
    service.submit("unit.status", {"unit": "ZPD-3", "status": "busy"}, DESK)
    assert committed_when_heard == [True]


def test_restart_rebuilds_state_and_pending_timers(backend: Backend) -> None:
    clock = SimClock(START)
    service = make_service(backend, clock)
    roster(service)
    incident = new_incident(service)
    service.submit("unit.dispatch", {"incident": incident, "units": ["ZPD-3"]}, DESK)
    service.submit(
        "unit.status", {"unit": "ZPD-4", "status": "onscene", "incident": incident}, DESK
    )

    restarted = make_service(backend, SimClock(START))
    assert restarted.state == service.state
    assert restarted.watches.pending == service.watches.pending
    assert board(restarted.state, START) == board(service.state, START)
    assert restarted.timelines.of(incident) == service.timelines.of(incident)


def test_timers_fire_on_the_clock_through_the_door(backend: Backend) -> None:
    clock = SimClock(START)
    service = make_service(backend, clock)
    roster(service)
    incident = new_incident(service)
    service.submit("unit.dispatch", {"incident": incident, "units": ["ZPD-3"]}, DESK)
    clock.advance_to(START + timedelta(seconds=59))
    assert not any(a.kind == "dispatch_unacknowledged" for a in service.state.alerts.values())
    clock.advance_to(START + timedelta(seconds=61))
    alerts = [a for a in service.state.alerts.values() if a.kind == "dispatch_unacknowledged"]
    assert [(a.unit, a.raised_at) for a in alerts] == [("ZPD-3", "2026-11-24T14:01:00.000Z")]


def test_two_nodes_on_one_journal_lose_no_update(backend: Backend) -> None:
    node_a = make_service(backend)
    roster(node_a)
    node_b = make_service(backend)  # starts with everything so far
    incident = new_incident(node_a)
    node_a.submit("unit.dispatch", {"incident": incident, "units": ["ZPD-3"]}, DESK)
    # node B has not heard of the dispatch; its decision must not be based on the
    # old status: the append conflicts, B catches up and decides again.
    handled = node_b.submit("unit.status", {"unit": "ZPD-3", "status": "enroute"}, DESK)
    change: dict[str, Any] = dict(handled.events[0].data)
    assert change["from"] == "dispatched" and change["incident"] == incident
    assert node_b.state.units["ZPD-3"].incident == incident
    assert node_b.store.verify().ok


def test_a_node_hears_another_nodes_events_without_asking(backend: Backend) -> None:
    # ARCHITECTURE: several API nodes share one PostgreSQL journal and learn of each
    # other's events by LISTEN/NOTIFY plus catch-up, so every console stays live.
    node_a = make_service(backend)
    roster(node_a)
    node_b = make_service(backend)
    stop = node_b.follow_journal()
    if stop is None:
        assert backend.name == "sqlite"  # an embedded file has no other writers
        return
    heard: list[str] = []
    node_b.subscribe(lambda events: heard.extend(e.type for e in events))
    try:
        node_a.submit("unit.status", {"unit": "ZPD-3", "status": "busy"}, DESK)
        deadline = time.monotonic() + 5
        while "unit.status_changed" not in heard and time.monotonic() < deadline:
            time.sleep(0.01)
        assert "unit.status_changed" in heard
        assert node_b.state.units["ZPD-3"].status == "busy"
    finally:
        stop()
