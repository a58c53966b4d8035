"""Units driving along routes on the simulated clock (``tenfour.sim.movement``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tenfour.clock import SimClock
from tenfour.geo import load_map
from tenfour.sim.movement import Movement

START = datetime(2017, 1, 1, 8, tzinfo=UTC)
NOB_HILL = (37.7925893, -122.4158821)
MARINA = (37.8036, -122.4368)


def _setup(
    every_s: float = 60.0,
) -> tuple[SimClock, Movement, list[tuple[str, float, float, datetime]]]:
    clock = SimClock(START)
    reports: list[tuple[str, float, float, datetime]] = []
    moves = Movement(
        clock,
        load_map("demo"),
        lambda u, lat, lon: reports.append((u, lat, lon, clock.now())),
        every_s=every_s,
    )
    return clock, moves, reports


def test_a_unit_reports_every_minute_and_arrives_after_the_drive_time() -> None:
    clock, moves, reports = _setup()
    moves.place("E16", NOB_HILL)
    arrived: list[tuple[tuple[float, float], datetime]] = []
    trip = moves.drive("E16", MARINA, lambda at: arrived.append((at, clock.now())))
    route = load_map("demo").route(NOB_HILL, MARINA)
    assert trip.eta_s == pytest.approx(route.eta_s) and trip.eta_s > 120
    clock.advance_to(START + timedelta(seconds=trip.eta_s + 1))
    expected = int(trip.eta_s // 60) - (trip.eta_s % 60 == 0)
    assert [r[3] for r in reports] == [START + timedelta(minutes=k) for k in range(1, expected + 1)]
    assert arrived == [(route.points[-1], START + timedelta(seconds=trip.eta_s))]
    assert moves.where("E16") == route.points[-1] and moves.moving() == []
    # positions move steadily toward the target
    lats = [r[1] for r in reports]
    assert all(NOB_HILL[0] - 0.002 < lat < MARINA[0] + 0.002 for lat in lats)


def test_a_unit_stopped_half_way_stays_there_and_never_arrives() -> None:
    clock, moves, reports = _setup()
    moves.place("E16", NOB_HILL)
    arrived: list[object] = []
    trip = moves.drive("E16", MARINA, arrived.append)
    clock.advance_to(START + timedelta(seconds=trip.eta_s / 2))
    here = moves.stop("E16")
    assert here is not None and here == trip.position(clock.now())
    assert here not in (NOB_HILL, MARINA)
    clock.advance_to(START + timedelta(seconds=trip.eta_s * 2))
    assert arrived == [] and moves.where("E16") == here
    assert all(r[3] <= START + timedelta(seconds=trip.eta_s / 2) for r in reports)


def test_a_new_drive_starts_from_where_the_unit_is() -> None:
    clock, moves, _ = _setup(every_s=30)
    moves.place("M55", NOB_HILL)
    first = moves.drive("M55", MARINA)
    clock.advance_to(START + timedelta(seconds=first.eta_s / 3))
    here = moves.where("M55")
    assert here is not None
    second = moves.drive("M55", NOB_HILL)
    snap = load_map("demo").snap(*here)
    # interpolated positions lie on the route's legs, so on the road: snapping keeps them
    assert second.route.points[0] == pytest.approx((snap.lat, snap.lon), abs=1e-7)
    assert snap.distance_m < 1.0
    assert moves.trip("M55") is second


def test_a_unit_must_be_placed_and_the_interval_positive() -> None:
    _, moves, _ = _setup()
    with pytest.raises(ValueError, match="place it first"):
        moves.drive("T01", MARINA)
    with pytest.raises(ValueError, match="positive"):
        Movement(SimClock(START), load_map("demo"), lambda *a: None, every_s=0)


def test_routes_to_one_target_share_its_search_and_equal_fresh_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tenfour.geo import roadmap, routing

    roads = load_map("demo")
    searches: list[object] = []
    real = routing.Router.search

    def counted(self: routing.Router, *args: object, **kwargs: object) -> routing.Tree:
        searches.append(args)
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(routing.Router, "search", counted)
    target = (37.79561, -122.41243)  # a point no other test drives to
    origins = [NOB_HILL, MARINA, (37.8001, -122.4102)]
    with monkeypatch.context() as nothing_kept:
        nothing_kept.setattr(roadmap, "ROUTE_TREES", 0)  # a fresh search for each route
        fresh = [roads.route(o, target) for o in origins]
    assert len(searches) == len(origins)
    shared = [roads.route(o, target) for o in origins]
    assert len(searches) == len(origins) + 1  # one search, kept for the next drives
    assert shared == fresh
