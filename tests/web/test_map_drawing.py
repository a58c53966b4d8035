"""The console's map in a real browser: street names drawn along their roads at the
zoom the console opens at (and closer, and further out), no two labels on top of one
another or outside the canvas, and a unit whose last position is old drawn stale
(hollow, grey, with the age of its position), not as if it were there.

The server's clock starts ten minutes in the past, so the demo city's units logged on
with positions ten minutes old; then it catches up with the browser's clock and one
unit reports where it is."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import combinations, pairwise
from typing import Any

import pytest

from tenfour.clock import SimClock

from .conftest import DESKTOP, Site, log_in, map_ready, start_site, wait_for, watch

#: Where ZPD-7 reports itself: about 200 m from where it logged on.
FRESH = {"lat": 37.7962, "lon": -122.4020}

Point = tuple[float, float]


def _spread(corners: list[Point], ax: float, ay: float) -> tuple[float, float]:
    dots = [x * ax + y * ay for x, y in corners]
    return min(dots), max(dots)


def overlap(a: list[Point], b: list[Point]) -> bool:
    """Whether two (turned) rectangles overlap: no edge normal of either separates them."""
    for corners in (a, b):
        for (x1, y1), (x2, y2) in pairwise(corners[:3]):  # two edges: a rectangle has two normals
            ax, ay = y1 - y2, x2 - x1
            alo, ahi = _spread(a, ax, ay)
            blo, bhi = _spread(b, ax, ay)
            if ahi <= blo + 1e-6 or bhi <= alo + 1e-6:
                return False
    return True


def test_overlap_tells_turned_boxes_apart() -> None:
    square = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)]
    beside = [(x + 10, y) for x, y in square]
    assert overlap(square, [(x + 5, y + 5) for x, y in square])
    assert not overlap(square, beside)  # touching is not overlapping
    # a diamond whose bounding box overlaps the square's but which does not touch it
    diamond = [(16.0, 10.0), (21.0, 15.0), (16.0, 20.0), (11.0, 15.0)]
    assert not overlap(square, diamond)
    assert overlap(square, [(5.0, 10.0), (10.0, 15.0), (5.0, 20.0), (0.0, 5.0)])


@pytest.fixture(scope="module")
def clock() -> SimClock:
    return SimClock(datetime.now(UTC) - timedelta(minutes=10))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, clock: SimClock) -> Iterator[Site]:
    yield from start_site(tmp_path_factory.mktemp("map"), clock=clock)


@pytest.fixture(scope="module")
def console(browser: Any, site: Site, clock: SimClock) -> Iterator[Any]:
    site.account("mapper", "dispatcher")
    clock.advance_to(datetime.now(UTC))
    site.command("mapper", "unit.locate", {"unit": "ZPD-7", **FRESH})
    site.command(
        "mapper",
        "incident.create",
        {"type": "ASSAULT", "priority": 2, "location": {"address": "Columbus Avenue & Broadway"}},
    )
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    log_in(page, site, "mapper", "/console")
    map_ready(page)
    wait_for(lambda: page.evaluate("() => window.tenfour.map.markerPosition('ZPD-7')"))
    yield page
    context.close()


def frame(page: Any) -> dict[str, Any]:
    """The labels of a freshly drawn frame, and the canvas's size."""
    drawn: dict[str, Any] = page.evaluate(
        """() => new Promise(done => {
          const map = window.tenfour.map;
          map.request();
          requestAnimationFrame(() => requestAnimationFrame(() => done({
            labels: map.labels, dropped: map.dropped, width: map.width, height: map.height,
            k: map.view.k,
          })));
        })"""
    )
    return drawn


def assert_apart_and_inside(drawn: dict[str, Any]) -> None:
    labels = drawn["labels"]
    for label in labels:
        for x, y in label["corners"]:
            assert 0 <= x <= drawn["width"] and 0 <= y <= drawn["height"], label
    for a, b in combinations(labels, 2):
        assert not overlap(a["corners"], b["corners"]), (a["text"], b["text"])


def test_streets_are_named_at_the_default_zoom_and_no_labels_collide(
    console: Any, site: Site, errors: list[str]
) -> None:
    watch(console, errors)
    drawn = frame(console)
    streets = [label for label in drawn["labels"] if label["kind"] == "street"]
    names = {label["text"] for label in streets}
    assert len(streets) >= 8, streets
    # names of the server's own map, along their roads (some run at an angle)
    drawing = site.get("mapper", "/api/map")
    assert names <= set(drawing["names"])
    assert any(abs(label["angle"]) > 0.05 for label in streets)
    assert_apart_and_inside(drawn)
    # every unit and the incident are named beside their markers at this zoom
    named = {label["id"] for label in drawn["labels"] if label["kind"] in ("unit", "incident")}
    units = console.evaluate(
        "() => Object.values(window.tenfour.state.units)"
        ".filter(u => u.status !== 'offduty' && u.location).map(u => u.id)"
    )
    assert set(units) <= named | {d["id"] for d in drawn["dropped"]}
    assert len(named) >= len(units)  # units plus the incident: at most one left out
    assert errors == []


def test_labels_stay_apart_closer_in_and_further_out(console: Any, errors: list[str]) -> None:
    watch(console, errors)
    start = frame(console)
    console.evaluate("() => window.tenfour.map.zoom(3)")
    closer = frame(console)
    assert closer["k"] > start["k"]
    assert sum(label["kind"] == "street" for label in closer["labels"]) >= 8
    assert_apart_and_inside(closer)
    console.evaluate("() => window.tenfour.map.fit()")
    whole = frame(console)
    assert whole["k"] < start["k"]
    assert sum(label["kind"] == "street" for label in whole["labels"]) >= 3
    assert_apart_and_inside(whole)
    console.evaluate("() => window.tenfour.map.fitActivity()")
    assert errors == []


def test_a_unit_with_an_old_position_is_drawn_stale(console: Any, errors: list[str]) -> None:
    watch(console, errors)
    frame(console)
    stale = console.evaluate("() => window.tenfour.map.markerPosition('ZPD-3')")
    fresh = console.evaluate("() => window.tenfour.map.markerPosition('ZPD-7')")
    assert stale["stale"] and stale["ageMs"] > 9 * 60_000, stale
    assert not fresh["stale"] and fresh["ageMs"] < 60_000, fresh
    # hollow: the middle of the stale marker is the map's dark, the fresh one its status colour
    centre = """([x, y]) => {
      const canvas = document.querySelector('#map');
      const ratio = window.tenfour.map.ratio;
      return [...canvas.getContext('2d').getImageData(Math.round(x * ratio), Math.round(y * ratio), 1, 1).data];
    }"""
    r, g, b, _ = console.evaluate(centre, [stale["x"], stale["y"]])
    assert max(r, g, b) < 60, (r, g, b)
    r, g, b, _ = console.evaluate(centre, [fresh["x"], fresh["y"]])
    assert (r, g, b) == (0x3D, 0xDC, 0x84)  # available green
    labels = {label["id"]: label["text"] for label in frame(console)["labels"] if label["id"]}
    assert re.fullmatch(r"ZPD-3( · 1[01] min ago)?", labels["ZPD-3"]), labels
    assert labels.get("ZPD-7") == "ZPD-7"
    # the tooltip of a stale unit says how old its position is
    box = console.locator("#map").bounding_box()
    console.mouse.move(box["x"] + stale["x"], box["y"] + stale["y"])
    title = wait_for(lambda: console.locator("#map").get_attribute("title"))
    assert re.fullmatch(r"ZPD-3 · Available · position 1[01] min old \(not fresh\)", title), title
    assert console.evaluate("() => document.querySelector('#map').dataset.stale") == "10"
    assert errors == []
