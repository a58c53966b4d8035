"""A policy that breaks never fails the command that triggered it; a person is told."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from tenfour.clock import SimClock
from tenfour.domain.values import Actor
from tenfour.journal import SqliteEventStore
from tenfour.service import Service

ADMIN = Actor("admin", "setup")


class BrokenOracle:
    def rank(
        self, to: tuple[float, float], origins: Sequence[tuple[float, float]]
    ) -> tuple[Sequence[float], Sequence[float]]:
        raise RuntimeError("routing engine down")


def test_a_failing_policy_raises_an_alert_and_the_command_still_stands() -> None:
    store = SqliteEventStore(":memory:")
    service = Service(
        store=store, clock=SimClock(datetime(2026, 1, 1, tzinfo=UTC)), oracle=BrokenOracle()
    )
    service.submit("agency.register", {"id": "ZPD", "kind": "police", "name": "ZPD"}, ADMIN)
    service.submit("unit.register", {"id": "ZPD-1", "agency": "ZPD", "kind": "patrol"}, ADMIN)
    location = {"lat": 37.79, "lon": -122.40}
    service.submit("shift.start", {"unit": "ZPD-1", "location": location}, ADMIN)
    handled = service.submit(
        "incident.create", {"type": "THEFT", "priority": 3, "location": location}, ADMIN
    )
    incident = handled.events[0].data["incident"]
    assert incident in service.state.incidents
    alerts = [a for a in service.state.alerts.values() if a.kind == "policy_failed"]
    # High severity is for emergencies (DOMAIN.md "Alerts"); a theft's is normal.
    assert len(alerts) == 1 and alerts[0].incident == incident and alerts[0].severity == "normal"
    assert "routing engine down" in (alerts[0].text or "")
    assert store.verify().ok
    service.submit("unit.register", {"id": "ZPD-2", "agency": "ZPD", "kind": "patrol"}, ADMIN)
    service.submit("shift.start", {"unit": "ZPD-2", "location": location}, ADMIN)
    service.submit("emergency.declare", {"unit": "ZPD-1"}, ADMIN)
    alerts = [a for a in service.state.alerts.values() if a.kind == "policy_failed"]
    assert len(alerts) == 2 and alerts[1].severity == "high"
    assert "emergency.declared" in (alerts[1].text or "")


class StraightLine:
    def rank(
        self, to: tuple[float, float], origins: Sequence[tuple[float, float]]
    ) -> tuple[Sequence[float], Sequence[float]]:
        return [abs(o[0] - to[0]) + abs(o[1] - to[1]) for o in origins], [0.0] * len(origins)


def test_deferred_reactions_follow_the_answer_and_settle() -> None:
    # The server answers once the command's own events are durable; the policies'
    # commands follow on the reactor thread, in order, through the same door.
    store = SqliteEventStore(":memory:")
    clock = SimClock(datetime(2026, 1, 1, tzinfo=UTC))
    service = Service(store=store, clock=clock, oracle=StraightLine(), react_inline=False)
    try:
        service.submit("agency.register", {"id": "ZPD", "kind": "police", "name": "ZPD"}, ADMIN)
        service.submit("unit.register", {"id": "ZPD-1", "agency": "ZPD", "kind": "patrol"}, ADMIN)
        location = {"lat": 37.79, "lon": -122.40}
        service.submit("shift.start", {"unit": "ZPD-1", "location": location}, ADMIN)
        handled = service.submit(
            "incident.create", {"type": "THEFT", "priority": 3, "location": location}, ADMIN
        )
        assert [e.type for e in handled.events] == ["incident.created"]
        service.settle()
        types = [e.type for e in store.read(after=handled.events[-1].seq)]
        assert types == ["recommendation.made"]
    finally:
        service.close()
