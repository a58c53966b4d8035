"""Before the clock starts: types and priorities, stations, the roster, the policies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tenfour.sim.replay.calls import Call, Slot
from tenfour.sim.replay.mapping import agency_of, priority, station_of, type_code, unit_kind
from tenfour.sim.replay.plan import NEED, plan_replay
from tenfour.sim.replay.stations import estimate_stations, unit_homes

T0 = datetime(2017, 1, 1, tzinfo=UTC)


def test_types_priorities_and_kinds() -> None:
    assert type_code("Medical Incident") == "MEDICAL"
    assert type_code("Structure Fire") == "STRUCTURE_FIRE"
    assert type_code("Train / Rail Incident") == "TRAIN_RAIL_INCIDENT"
    assert priority(("3", "3", "3"), "Medical Incident", "Potentially Life-Threatening") == 1
    assert priority(("3", "E", "3"), "Alarms", "Alarm") == 2
    assert priority(("", "", "E"), "Outside Fire", "") == 1
    assert priority(("2", "2", "2"), "Medical Incident", "Non Life-threatening") == 3
    assert priority(("", "", ""), "Other", "") == 5
    assert [unit_kind(u, t) for u, t in [("E39", "ENGINE"), ("55", "MEDIC"), ("KM01", "")]] == [
        "engine",
        "ambulance-als",
        "ambulance-bls",
    ]
    assert unit_kind("B04", "") == "chief" and unit_kind("GATOR1", "") == "support"
    assert (station_of("E03"), station_of("T13"), station_of("B04"), station_of("55")) == (
        3,
        13,
        None,
        None,
    )
    assert (agency_of("AM30", "ambulance-bls"), agency_of("E03", "engine")) == ("PVT-AM", "SFFD")


def _call(n: int, area: int, lat: float, lon: float, first: str, kind: str = "engine") -> Call:
    slot = Slot(
        first, kind, n, T0, T0, T0 + timedelta(minutes=4), None, None, T0 + timedelta(hours=1)
    )
    return Call(str(n), "Medical Incident", "MEDICAL", "", 1, T0, lat, lon, "", "", area, (slot,))


def test_a_station_is_the_median_of_its_area_calls_its_own_units_won() -> None:
    calls = [_call(i, 3, 37.78 + i * 0.001, -122.41, "E03") for i in range(11)]
    calls += [_call(100 + i, 3, 37.70, -122.50, "E05") for i in range(30)]  # others won these
    calls += [_call(200 + i, 7, 37.75 + i * 0.01, -122.42, "E09") for i in range(3)]
    stations = estimate_stations(calls)
    assert stations[3].lat == pytest.approx(37.785)
    assert (stations[3].lon, stations[3].calls) == (-122.41, 11)
    # too few first arrivals of its own: every call of the area with an arrival
    assert stations[7].lat == pytest.approx(37.76) and "too few" in stations[7].method
    homes = {h.unit: h for h in unit_homes(calls, stations)}
    assert homes["E03"].lat == stations[3].lat and homes["E03"].method == "station 3"
    assert homes["E09"].method == "median of its 3 calls"  # station 9 is not in the data


def test_the_plan_keeps_calls_on_the_map_and_builds_the_roster(raw_slice: Path) -> None:
    plan = plan_replay(raw_slice)
    # 82 calls inside the map's area, one of them 150 m or more from any mapped road
    assert len(plan.calls) == 187 and len(plan.kept) == 81
    assert plan.selection.dropped == {
        "outside the map's area": 105,
        "more than 150 m from a mapped road": 1,
    }
    assert {a["id"] for a in plan.roster.agencies} >= {"SFFD"}
    assert {f["id"] for f in plan.roster.facilities} == {
        "SFM",
        "CPMC-PAC",
        "CPMC-CAL",
        "CHH",
        "KSF",
    }
    on_roster = {u["id"] for u in plan.roster.units}
    assert on_roster == set(plan.homes) and not on_roster & set(plan.left_out)
    config = plan.config
    assert config.type_needs["MEDICAL"] == NEED and "engine" in config.kinds_for(NEED)
    assert config.listed_candidates == 200 and config.duplicates.radius_m == 0.001
