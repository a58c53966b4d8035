"""A server's memory does not grow with closed incidents' timelines (issue 15's soak),
and an old closed incident's timeline reads the same once it has left memory."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from tenfour.clock import SimClock
from tenfour.domain.values import Actor
from tenfour.journal import SqliteEventStore
from tenfour.service import Service
from tenfour.views.timeline import KEEP_CLOSED_VARIABLE, Timelines, keep_closed_setting

ADMIN = Actor("admin", "setup")


class StraightLine:
    def rank(
        self, to: tuple[float, float], origins: Sequence[tuple[float, float]]
    ) -> tuple[Sequence[float], Sequence[float]]:
        return [abs(o[0] - to[0]) + abs(o[1] - to[1]) for o in origins], [0.0] * len(origins)


def fleet(units: int) -> tuple[Service, SimClock]:
    clock = SimClock(datetime(2026, 1, 1, tzinfo=UTC))
    service = Service(store=SqliteEventStore(":memory:"), clock=clock, oracle=StraightLine())
    service.submit("agency.register", {"id": "ZPD", "kind": "police", "name": "ZPD"}, ADMIN)
    for n in range(units):
        unit = f"ZPD-{n}"
        service.submit("unit.register", {"id": unit, "agency": "ZPD", "kind": "patrol"}, ADMIN)
        spot = {"lat": 37.70 + n * 1e-4, "lon": -122.40}
        service.submit("shift.start", {"unit": unit, "location": spot}, ADMIN)
    return service, clock


def lifecycle(service: Service, clock: SimClock, n: int, units: int) -> str:
    """Created (and recommended), dispatched, en route, on scene, noted, closed."""
    spot = {"lat": 37.75 + (n % 50) * 1e-4, "lon": -122.41}
    created = service.submit(
        "incident.create", {"type": "THEFT", "priority": 3, "location": spot}, ADMIN
    )
    incident: str = created.events[0].data["incident"]
    unit = f"ZPD-{n % units}"
    service.submit("unit.dispatch", {"incident": incident, "units": [unit]}, ADMIN)
    service.submit("unit.status", {"unit": unit, "status": "enroute", "incident": incident}, ADMIN)
    service.submit("unit.status", {"unit": unit, "status": "onscene", "incident": incident}, ADMIN)
    service.submit("incident.note", {"incident": incident, "text": f"note {n}"}, ADMIN)
    service.submit("incident.close", {"incident": incident, "disposition": "REPORT"}, ADMIN)
    clock.advance_to(clock.now() + timedelta(seconds=30))
    return incident


def retained_per_lifecycle(service: Service, clock: SimClock, units: int, count: int) -> float:
    for n in range(20):  # caches and first-use allocations settle first
        lifecycle(service, clock, n, units)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        for n in range(20, 20 + count):
            lifecycle(service, clock, n, units)
        gc.collect()
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    grown = sum(d.size_diff for d in after.compare_to(before, "filename"))
    return grown / count


def test_closed_incidents_timelines_leave_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    # Measured: about 15 KB retained per lifecycle when every timeline kept its
    # entries (most of it the recommendation's candidates), about 2.6 KB after (the
    # closed incident in the state, its seqs and sentences).
    monkeypatch.setenv(KEEP_CLOSED_VARIABLE, "5")
    service, clock = fleet(200)
    try:
        per_lifecycle = retained_per_lifecycle(service, clock, 200, 60)
    finally:
        service.close()
    assert per_lifecycle < 6000, f"{per_lifecycle:.0f} bytes retained per closed incident"


def test_an_old_closed_incidents_timeline_reads_the_same_from_the_journal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(KEEP_CLOSED_VARIABLE, "2")
    service, clock = fleet(5)
    try:
        first = lifecycle(service, clock, 0, 5)
        kept = service.timelines.of(first)
        types = [e["type"] for e in kept]
        assert types[:2] == ["incident.created", "recommendation.made"]
        assert "incident.closed" in types and service.timelines.in_memory(first)
        for n in range(1, 4):
            lifecycle(service, clock, n, 5)
        assert not service.timelines.in_memory(first)
        assert service.timelines.of(first) == kept
        # A note after it left memory joins its timeline, read back with the rest.
        service.submit("incident.note", {"incident": first, "text": "late word"}, ADMIN)
        again = service.timelines.of(first)
        assert again[:-1] == kept
        assert again[-1]["type"] == "incident.noted" and again[-1]["data"]["text"] == "late word"
        # A server started on the same journal folds the same timeline.
        restarted = Service(store=service.store, clock=clock, oracle=StraightLine())
        assert restarted.timelines.of(first) == again
    finally:
        service.close()


def test_without_a_journal_to_read_back_every_timeline_stays() -> None:
    service, clock = fleet(3)
    try:
        incidents = [lifecycle(service, clock, n, 3) for n in range(3)]
        folded = Timelines(keep_closed=0)
        for event in service.store.read():
            folded.apply(event)
        assert all(folded.in_memory(i) for i in incidents)
        assert folded.of(incidents[0]) == service.timelines.of(incidents[0])
    finally:
        service.close()


@pytest.mark.parametrize("raw", ["-1", "many", "2.5"])
def test_a_bad_retention_setting_is_named(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv(KEEP_CLOSED_VARIABLE, raw)
    with pytest.raises(ValueError, match=KEEP_CLOSED_VARIABLE):
        keep_closed_setting()
