"""``Transports`` and a hospital's ``Sight``: a unit's events reach a hospital only
while that unit carries a patient to it, judged event by event (a batch may start and
end a transport), and an ambulance turned to another door is said to be gone."""

from __future__ import annotations

from typing import Any

from tenfour.domain.visibility import Transports, sight_of

ZGH = sight_of("hospital", "ZGH")


def _row(kind: str, unit: str, **data: Any) -> dict[str, Any]:
    return {"seq": 1, "type": kind, "stream": f"unit:{unit}", "unit": unit, **data}


def _read(transports: Transports, rows: list[dict[str, Any]]) -> list[str]:
    return [r["type"] for r in rows if ZGH.event(r, transports.towards(r)) is not None]


def test_a_units_events_reach_the_hospital_from_the_start_to_the_arrival() -> None:
    transports = Transports({"M-51": {"status": "onscene", "destination": None}})
    rows = [
        _row("unit.located", "M-51", lat=1, lon=2),
        _row("transport.started", "M-51", destination="ZGH"),
        _row("unit.status_changed", "M-51", to="transporting"),
        _row("unit.located", "M-51", lat=1, lon=2),
        _row("unit.located", "ZPD-5", lat=1, lon=2),
        _row("transport.arrived", "M-51", destination="ZGH"),
        _row("unit.status_changed", "M-51", to="athospital"),
        _row("unit.located", "M-51", lat=1, lon=2),
    ]
    assert _read(transports, rows) == [
        "transport.started",
        "unit.status_changed",
        "unit.located",
        "transport.arrived",
    ]
    assert transports.heading == {}


def test_a_transport_under_way_at_the_start_is_followed_and_one_elsewhere_is_not() -> None:
    units = {
        "M-51": {"status": "transporting", "destination": "ZGH"},
        "M-52": {"status": "transporting", "destination": "ZMC"},
        "M-53": {"status": "athospital", "destination": "ZGH"},
    }
    transports = Transports(units)
    assert transports.heading == {"M-51": "ZGH", "M-52": "ZMC"}
    rows = [_row("unit.located", u, lat=1, lon=2) for u in units]
    assert [ZGH.event(r, transports.towards(r)) is not None for r in rows] == [True, False, False]


def test_an_ambulance_turned_to_another_door_is_told_to_the_hospital_it_left() -> None:
    transports = Transports({"M-51": {"status": "transporting", "destination": "ZGH"}})
    arrived = _row("transport.arrived", "M-51", destination="ZMC")
    assert ZGH.event(arrived, transports.towards(arrived)) is not None
    assert ZGH.event(arrived) is None  # without where it was heading: not its transport
