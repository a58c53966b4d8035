"""Road closures end to end: placed on the map, journaled through ``Service.handle``,
applied to drive times within the same command, reopened, and replayed at start-up."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tenfour.bootstrap import MapOracle, build_service
from tenfour.clock import SimClock
from tenfour.domain import CommandRejected
from tenfour.domain.values import Actor
from tenfour.geo import ClosureError, load_map
from tenfour.geo.closures import MAX_SEGMENTS, place_closure
from tenfour.journal import SqliteEventStore
from tenfour.service import Service

ADMIN = Actor("admin", "setup")
DESK = Actor("dispatcher", "clawhauser")
OFFICER = Actor("officer", "hopps")
UNIT_AT = {"lat": 37.7880097, "lon": -122.3998107}  # 2nd Street
SCENE = {"lat": 37.8010, "lon": -122.4100}  # Filbert Street
ON_ROUTE = "Kearny Street"  # the fastest route from the unit to the scene takes it


def start(path: Path) -> Service:
    store = SqliteEventStore(str(path))
    return build_service(store=store, clock=SimClock(datetime(2026, 3, 1, tzinfo=UTC)))


def staffed(path: Path) -> Service:
    service = start(path)
    service.submit("agency.register", {"id": "ZPD", "kind": "police", "name": "ZPD"}, ADMIN)
    service.submit("unit.register", {"id": "ZPD-1", "agency": "ZPD", "kind": "patrol"}, ADMIN)
    service.submit("shift.start", {"unit": "ZPD-1", "location": UNIT_AT}, ADMIN)
    return service


def eta(service: Service) -> float:
    etas, _ = service.oracle.rank((SCENE["lat"], SCENE["lon"]), [(UNIT_AT["lat"], UNIT_AT["lon"])])
    return float(etas[0])


def test_close_detours_reopen_restores_and_replay_remembers(tmp_path: Path) -> None:
    db = tmp_path / "journal.db"
    service = staffed(db)
    before = eta(service)
    assert (
        ON_ROUTE
        in load_map("demo")
        .route((UNIT_AT["lat"], UNIT_AT["lon"]), (SCENE["lat"], SCENE["lon"]))
        .streets
    )
    closed = service.submit("road.close", {"street": ON_ROUTE, "reason": "parade"}, DESK)
    event = closed.events[0]
    assert event.type == "road.closed" and event.data["closure"] == "RC-000001"
    assert event.data["closed"] is True and event.data["factor"] is None
    assert len(event.data["segments"]) > 10 and event.data["street"] == ON_ROUTE
    assert event.data["map"] == load_map("demo").fingerprint
    during = eta(service)
    assert during > before + 5
    # the recommendation for a new incident ranks with the closure in force
    service.submit("incident.create", {"type": "THEFT", "priority": 3, "location": SCENE}, DESK)
    made = [e for e in service.store.read(after=0) if e.type == "recommendation.made"]
    assert made[-1].data["candidates"][0]["eta_s"] == round(during, 1)

    replayed = start(db)  # a restart folds the journal in: the closure holds again
    assert eta(replayed) == pytest.approx(during, abs=1e-9)

    service.submit("road.reopen", {"closure": "RC-000001"}, DESK)
    assert eta(service) == pytest.approx(before, abs=1e-9)
    assert eta(start(db)) == pytest.approx(before, abs=1e-9)
    assert not service.state.closures["RC-000001"].active


def test_a_slow_down_and_a_point_closure(tmp_path: Path) -> None:
    service = staffed(tmp_path / "j.db")
    before = eta(service)
    slow = service.submit("road.close", {"street": ON_ROUTE, "factor": 3.0}, DESK).events[0]
    assert slow.data["closed"] is False and slow.data["factor"] == 3.0
    slowed = eta(service)
    assert slowed > before
    service.submit("road.reopen", {"closure": slow.data["closure"]}, DESK)
    # a point closure takes the segment nearest the point, with its street name
    roads = load_map("demo")
    snap = roads.snap(37.7946, -122.4039)
    point = service.submit(
        "road.close", {"location": {"lat": 37.7946, "lon": -122.4039}, "radius_m": 0}, DESK
    ).events[0]
    assert point.data["segments"] == [snap.segment] and point.data["street"] == snap.street


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"location": {"lat": 10.0, "lon": 10.0}}, "with.location"),
        ({"street": "No Such Boulevard"}, "with.street"),
        ({"street": "   "}, "with.street"),
        ({"segment": 10**9}, "with.segments"),
        (
            {"street": "Kearny Street", "location": {"lat": 37.7700, "lon": -122.4700}},
            "with.street",
        ),
    ],
)
def test_a_closure_nowhere_on_the_map_is_rejected(
    tmp_path: Path, payload: dict[str, object], field: str
) -> None:
    service = staffed(tmp_path / "j.db")
    with pytest.raises(CommandRejected) as rejected:
        service.submit("road.close", payload, DESK)
    assert rejected.value.problems[0].field == field
    assert not service.state.closures


def test_who_may_close_and_what_can_be_reopened(tmp_path: Path) -> None:
    service = staffed(tmp_path / "j.db")
    with pytest.raises(CommandRejected, match=r"may not road\.close"):
        service.submit("road.close", {"street": ON_ROUTE}, OFFICER)
    with pytest.raises(CommandRejected) as unknown:
        service.submit("road.reopen", {"closure": "RC-000009"}, DESK)
    assert unknown.value.problems[0].code == "not_found"
    closure = service.submit("road.close", {"segment": 5}, DESK).events[0].data["closure"]
    service.submit("road.reopen", {"closure": closure}, DESK)
    with pytest.raises(CommandRejected, match="already reopened"):
        service.submit("road.reopen", {"closure": closure}, DESK)
    with pytest.raises(CommandRejected) as nowhere:
        service.submit("road.close", {"reason": "x"}, DESK)
    assert "location, a street or a segment" in str(nowhere.value)


def test_without_a_map_engine_a_closure_needs_its_segments(tmp_path: Path) -> None:
    class Straight:
        def rank(
            self, to: tuple[float, float], origins: Sequence[tuple[float, float]]
        ) -> tuple[Sequence[float], Sequence[float]]:
            return [0.0] * len(origins), [0.0] * len(origins)

    service = Service(
        store=SqliteEventStore(":memory:"),
        clock=SimClock(datetime(2026, 3, 1, tzinfo=UTC)),
        oracle=Straight(),
    )
    with pytest.raises(CommandRejected, match="no map is loaded"):
        service.submit("road.close", {"street": ON_ROUTE}, DESK)
    event = service.submit("road.close", {"segments": [3, 1, 3]}, DESK).events[0]
    assert event.data["segments"] == [1, 3]


def test_place_closure_forms() -> None:
    roads = load_map("demo")
    near = place_closure(roads, lat=37.7946, lon=-122.4039, radius_m=80)  # Clay Street
    assert len(near.segments) > 5 and roads.snap(37.7946, -122.4039).segment in near.segments
    street = place_closure(roads, street="kearny st")
    assert street.street == ON_ROUTE and set(near.segments) - set(street.segments)
    corner = (37.7945, -122.4047)  # Kearny Street & Clay Street
    one = place_closure(roads, lat=corner[0], lon=corner[1], street="Kearny")
    assert len(one.segments) == 1 and one.segments[0] in street.segments
    both_ways = place_closure(roads, lat=corner[0], lon=corner[1], street="Kearny", radius_m=60)
    assert len(both_ways.segments) >= 2 and set(both_ways.segments) <= set(street.segments)
    assert place_closure(roads, segments=[4, 2]).segments == (2, 4)
    with pytest.raises(ClosureError, match="location"):
        place_closure(roads)
    too_many = list(range(MAX_SEGMENTS + 1))
    with pytest.raises(ClosureError, match="more than"):
        place_closure(roads, segments=too_many)


def test_oracle_keeps_positions_and_forgets_old_ones() -> None:
    oracle = MapOracle(load_map("demo"))
    to = (SCENE["lat"], SCENE["lon"])
    here = (UNIT_AT["lat"], UNIT_AT["lon"])
    etas, dists = oracle.rank(to, [here, (0.0, 0.0), here])
    assert math.isfinite(etas[0]) and etas[0] == etas[2] and math.isinf(etas[1])
    assert math.isfinite(dists[0]) and math.isinf(dists[1])
    assert len(oracle.index) == 1
    off, _ = oracle.rank((0.0, 0.0), [here])
    assert math.isinf(off[0])
    roads = oracle.roads
    expected = roads.drive_times(to, [here])
    assert etas[0] == pytest.approx(float(expected.eta_s[0]), abs=1e-9)
    assert dists[0] == pytest.approx(float(expected.distance_m[0]), abs=1e-6)
