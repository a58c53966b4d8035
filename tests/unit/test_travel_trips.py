"""Training trips: only responses from quarters, from a known station, with a real
travel time; start-up delays per unit kind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tenfour.sim.replay.calls import Call, Slot
from tenfour.sim.replay.stations import Home
from tenfour.travel.trips import extract_trips, startup_delays

T0 = datetime(2017, 1, 3, 18, 0, tzinfo=UTC)  # 10:00 in San Francisco
HOMES = {
    "E1": Home("E1", "engine", "SFFD", 37.79, -122.41, 1, "station 1"),
    "55": Home("55", "ambulance-als", "SFFD", 37.79, -122.42, None, "median of its calls"),
}


def slot(unit: str, kind: str, start: float, travel: float | None, busy: float = 600) -> Slot:
    dispatch = T0 + timedelta(seconds=start)
    response = dispatch + timedelta(seconds=60)
    scene = None if travel is None else response + timedelta(seconds=travel)
    available = dispatch + timedelta(seconds=busy)
    return Slot(unit, kind, int(start), dispatch, response, scene, None, None, available)


def call(number: str, start: float, *slots: Slot) -> Call:
    return Call(
        number, "Medical Incident", "MEDICAL", "", 1, T0 + timedelta(seconds=start),
        37.80, -122.40, "", "", 1, slots,
    )  # fmt: skip


def test_only_responses_from_quarters_become_trips() -> None:
    calls = [
        call("1", 0, slot("E1", "engine", 0, 200)),  # first response of E1: start unknown
        call("2", 1000, slot("E1", "engine", 1000, 150)),  # back 400 s before: not home
        call("3", 5000, slot("E1", "engine", 5000, 180), slot("55", "ambulance-als", 5000, 90)),
        call("4", 9000, slot("E1", "engine", 9000, 5)),  # 5 s of travel: a typo
        call("5", 13000, slot("E1", "engine", 13000, None)),  # cancelled on the way
    ]
    found = extract_trips(calls, calls, HOMES)
    assert [(t.call, t.unit, t.travel_s) for t in found.trips] == [("3", "E1", 180.0)]
    trip = found.trips[0]
    assert trip.start == (37.79, -122.41) and trip.end == (37.80, -122.40)
    assert trip.hour == 11 and trip.day == "2017-01-03"  # local time, dispatch + 5000 s
    assert trip.first is False  # the ambulance arrived first
    assert found.dropped == {
        "first response of the unit in the file": 1,
        "not in quarters (busy or just back)": 1,
        "no known station (not an engine or truck on the map)": 1,
        "travel outside 20..1800 s": 1,
        "no en route or on-scene time": 1,
    }


def test_startup_delays_by_kind() -> None:
    calls = [call(str(i), i * 100, slot("E1", "engine", i * 100, 100)) for i in range(9)]
    delays = startup_delays(calls)
    assert set(delays) == {"engine"}
    assert delays["engine"]["median_s"] == 60.0
    assert delays["engine"]["n"] == 9
    assert delays["engine"]["ci95_low_s"] <= 60.0 <= delays["engine"]["ci95_high_s"]
