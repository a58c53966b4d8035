"""Duplicate calls through the real service: a worse call raises the incident it joins.

The domain tests (``test_domain_incidents.py``) check the events; here the service's
own config, journal and timers must turn them into the priority-1 unassigned alert.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from tenfour.clock import SimClock
from tenfour.domain.values import Actor
from tenfour.journal import SqliteEventStore
from tenfour.service import Service

ADMIN = Actor("admin", "setup")
CALLTAKER = Actor("calltaker", "ursula")
T0 = datetime(2026, 3, 14, 22, 0, tzinfo=UTC)
BAR = {"lat": 37.7920, "lon": -122.3952}
#: About 80 m north of the bar.
NEXT_DOOR = {"lat": 37.79272, "lon": -122.3952}


class StraightLine:
    def rank(
        self, to: tuple[float, float], origins: Sequence[tuple[float, float]]
    ) -> tuple[Sequence[float], Sequence[float]]:
        return [abs(o[0] - to[0]) + abs(o[1] - to[1]) for o in origins], [0.0] * len(origins)


def _service() -> tuple[Service, SimClock]:
    clock = SimClock(T0)
    service = Service(store=SqliteEventStore(":memory:"), clock=clock, oracle=StraightLine())
    service.submit("agency.register", {"id": "ZPD", "kind": "police", "name": "ZPD"}, ADMIN)
    service.submit("unit.register", {"id": "ZPD-1", "agency": "ZPD", "kind": "patrol"}, ADMIN)
    service.submit("shift.start", {"unit": "ZPD-1", "location": BAR}, ADMIN)
    return service, clock


def _call(service: Service, type_: str, priority: int, location: dict[str, float]) -> list[Any]:
    with_ = {"text": "fight", "type": type_, "priority": priority, "location": location}
    return list(service.submit("call.create", with_, CALLTAKER).events)


def _unassigned_alerts(service: Service, incident: str) -> list[Any]:
    return [
        e
        for e in service.store.read(after=0)
        if e.type == "alert.raised"
        and e.data["kind"] == "incident_unassigned"
        and e.data.get("incident") == incident
    ]


def test_a_p1_call_linked_into_an_unassigned_p3_incident_alerts_after_30_s() -> None:
    service, clock = _service()
    incident = _call(service, "DISTURBANCE", 3, BAR)[1].data["incident"]
    clock.advance_to(T0 + timedelta(minutes=20))
    events = _call(service, "SHOOTING", 1, NEXT_DOOR)
    linked = next(e for e in events if e.type == "incident.linked")
    assert linked.data["incident"] == incident
    assert linked.data["reasons"][0] == "SHOOTING and DISTURBANCE are both violence"
    updated = next(e for e in events if e.type == "incident.updated")
    assert (updated.data["priority"], updated.data["before"]) == (1, {"priority": 3})
    assert service.state.incidents[incident].priority == 1

    linked_at = T0 + timedelta(minutes=20)
    clock.advance_to(linked_at + timedelta(seconds=29))
    assert _unassigned_alerts(service, incident) == []
    clock.advance_to(linked_at + timedelta(seconds=31))
    (alert,) = _unassigned_alerts(service, incident)
    assert alert.data["severity"] == "high"
    assert service.store.verify().ok
