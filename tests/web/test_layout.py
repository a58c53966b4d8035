"""The console at every desk: a 1366x768 laptop, a 1920x1080 desk screen and a
2560x1440 second screen, on a busy shift (ten open incidents of different types, long
addresses, crews dispatched, five open alerts). Measured in the browser: no cell of the
incident list, the unit board or the alert list is cut (its text is wider than its
box), no list scrolls sideways, and the map keeps at least 40 % of the window height.
Screenshots of each size go to out/screenshots/console-WIDTH.png."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tenfour.clock import SimClock

from .conftest import Site, log_in, screenshot, start_site, wait_for, watch

#: Ten open incidents: type, priority, location, the unit sent (None: pending) and
#: what that unit does next (None: it leaves the dispatch unacknowledged).
SHIFT: list[tuple[str, int, dict[str, Any], str | None, str | None]] = [
    ("ASSAULT", 1, {"address": "Columbus Avenue & Montgomery Street"}, None, None),
    (
        "STRUCTURE_FIRE",
        1,
        {
            "lat": 37.7893,
            "lon": -122.4012,
            "address": "1455 New Montgomery Street, rear of the building, loading dock "
            "off Stevenson Street",
        },
        None,
        None,
    ),
    (
        "TRAFFIC_COLLISION_WITH_INJURIES",
        2,
        {"address": "Van Ness Avenue & Golden Gate Avenue"},
        "ZPD-3",
        None,
    ),
    ("MEDICAL", 2, {"address": "Leavenworth Street & California Street"}, "M-51", "enroute"),
    ("BURGLARY", 3, {"address": "Washington Street & Kearny Street"}, "ZPD-4", "onscene"),
    (
        "DOMESTIC",
        2,
        {
            "lat": 37.7952,
            "lon": -122.4031,
            "address": "Apartment 12B, 1001 Grant Avenue (buzzer broken, use side gate)",
        },
        "ZPD-7",
        None,
    ),
    ("SHOPLIFTING", 4, {"address": "Powell Street & Sutter Street"}, "ZPD-5", "enroute"),
    ("SUSPICIOUS_VEHICLE", 3, {"address": "North Point Street & Hyde Street"}, None, None),
    ("WELFARE_CHECK", 4, {"address": "Broadway & Sansome Street"}, "ZPD-8", None),
    ("NOISE", 5, {"address": "Pacific Avenue & Battery Street"}, None, None),
]

#: The desks: (width, height).
SIZES = [(1366, 768), (1920, 1080), (2560, 1440)]

#: Every cell (or alert part) whose text does not fit its box, by measuring in the page.
#: An element is cut if it scrolls (scrollWidth > clientWidth: text-overflow clips it,
#: an ellipsis shows) or if its contents' extent (a Range over them, chips included)
#: reaches outside its box; unless it is abbreviated with its full text in a title
#: (its own or its cell's), where the pointer shows it.
CUT = """() => {
  const cut = [];
  // whole: the element's own text is checked (a cell); else only whether it scrolls (a
  // row, whose parts are checked on their own)
  const check = (el, list, whole = true) => {
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') return;
    const text = el.textContent.trim();
    if (!text) return;
    const box = el.getBoundingClientRect();
    const range = document.createRange();
    range.selectNodeContents(el);
    const inner = range.getBoundingClientRect();
    const scrolls = style.display !== 'inline' && el.scrollWidth > el.clientWidth + 1;
    const outside = whole && (inner.left < box.left - 1 || inner.right > box.right + 1
      || inner.top < box.top - 1 || inner.bottom > box.bottom + 1);
    const titled = el.closest('[title]');
    const full = titled && titled.title.replace(/\\s+/g, ' ').includes(text.replace(/\\s+/g, ' '));
    if ((scrolls || outside) && !full) {
      cut.push({list, tag: el.tagName.toLowerCase(), text: text.slice(0, 60),
                box: Math.round(box.width), text_width: Math.round(inner.width),
                scroll: el.scrollWidth, client: el.clientWidth});
    }
  };
  for (const el of document.querySelectorAll('#incidents th, #incidents td')) check(el, 'incidents');
  for (const el of document.querySelectorAll('#units h3, #units th, #units td')) check(el, 'units');
  for (const el of document.querySelectorAll('#alerts .alert-row')) check(el, 'alerts', false);
  for (const el of document.querySelectorAll('#alerts .alert-row > *')) check(el, 'alerts');
  // a list that scrolls sideways hides its right-hand side
  for (const sel of ['.incidents-panel .body', '.units-panel .body', '#alerts', '.incident-panel .body']) {
    const el = document.querySelector(sel);
    if (el.scrollWidth > el.clientWidth + 1) {
      cut.push({list: sel, scroll: el.scrollWidth, client: el.clientWidth});
    }
  }
  return cut;
}"""

#: What the layout gives each part, in CSS pixels.
SIZES_OF = """() => {
  const rect = (sel) => document.querySelector(sel).getBoundingClientRect();
  const board = document.querySelector('.units-panel .body');
  const rows = [...document.querySelectorAll('#units tr[data-unit]')];
  const inside = board.getBoundingClientRect();
  return {
    window: {width: innerWidth, height: innerHeight},
    map: {width: rect('#map').width, height: rect('#map').height},
    alerts: rect('#alerts').height,
    units_scroll: getComputedStyle(board).overflowY,
    units: rows.length,
    units_seen: rows.filter(r => {
      const b = r.getBoundingClientRect();
      return b.top >= inside.top - 1 && b.bottom <= inside.bottom + 1;
    }).length,
    incidents: document.querySelectorAll('#incident-rows tr[data-incident]').length,
    alerts_open: document.querySelectorAll('#alerts .alert-row').length,
    page_scrolls: document.documentElement.scrollHeight > innerHeight + 1
      || document.documentElement.scrollWidth > innerWidth + 1,
  };
}"""


@pytest.fixture(scope="module")
def clock() -> SimClock:
    """A simulated clock at the real time, so the alert timers fire when the test says."""
    return SimClock(datetime.now(UTC))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, clock: SimClock) -> Iterator[Site]:
    yield from start_site(tmp_path_factory.mktemp("layout"), clock=clock)


@pytest.fixture(scope="module")
def shift(site: Site, clock: SimClock) -> list[str]:
    """The busy shift, made through the API; the clock then passes the alert timers."""
    site.account("desk", "dispatcher")
    incidents = []
    for kind, priority, location, unit, then in SHIFT:
        made = site.command(
            "desk", "incident.create", {"type": kind, "priority": priority, "location": location}
        )
        incident = made[0]["incident"]
        incidents.append(incident)
        if unit:
            site.command("desk", "unit.dispatch", {"incident": incident, "units": [unit]})
        if unit and then:
            site.command("desk", "unit.status", {"unit": unit, "status": then})
    # past the P1 "unassigned" (30 s) and "dispatch not acknowledged" (60 s) timers:
    # two pending P1s and three units still "dispatched" make five open alerts
    clock.advance_to(clock.now() + timedelta(seconds=75))
    return incidents


@pytest.fixture(scope="module")
def console(browser: Any, site: Site, shift: list[str]) -> Iterator[Any]:
    width, height = SIZES[0]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    log_in(page, site, "desk", "/console")
    page.locator('#units tr[data-unit="ZPD-7"] td').last.wait_for()
    # the incident with the longest type open in the panel, its recommendation shown
    page.locator(f'tr[data-incident="{shift[2]}"] .row-button').click()
    wait_for(lambda: page.locator("#panel-title").text_content() == f"Incident {shift[2]}")
    page.locator("#d-rec table").first.wait_for()
    yield page
    context.close()


def settle(page: Any, width: int, height: int) -> None:
    """Resize the window and wait until the map has followed."""
    page.set_viewport_size({"width": width, "height": height})
    wait_for(
        lambda: page.evaluate(
            """() => {
              const canvas = document.querySelector('#map');
              const box = canvas.parentElement.getBoundingClientRect();
              return Math.abs(canvas.getBoundingClientRect().width - Math.floor(box.width)) < 1
                && Math.abs(canvas.getBoundingClientRect().height - Math.floor(box.height)) < 1;
            }"""
        )
    )
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


@pytest.mark.parametrize(("width", "height"), SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_nothing_essential_is_cut_at_each_desk_size(
    console: Any, shift: list[str], width: int, height: int, errors: list[str]
) -> None:
    watch(console, errors)
    wait_for(lambda: console.locator("#incident-rows tr[data-incident]").count() == len(SHIFT))
    wait_for(lambda: console.locator("#alerts .alert-row").count() == 5)
    settle(console, width, height)
    path: Path = screenshot(console, f"console-{width}.png")
    assert path.stat().st_size > 10_000
    sizes = console.evaluate(SIZES_OF)
    assert sizes["incidents"] == len(SHIFT) and sizes["alerts_open"] == 5, sizes
    problems: list[str] = [f"cut: {cell}" for cell in console.evaluate(CUT)]
    # five open alerts still leave the map at least 40 % of the window's height
    if sizes["map"]["height"] < 0.4 * height:
        problems.append(f"map only {sizes['map']['height']} px high")
    # the console is one screen: nothing below or beside it to scroll to
    if sizes["page_scrolls"]:
        problems.append("the page itself scrolls")
    # every unit on duty is on the board, which scrolls inside its own panel if it must;
    # a desk screen shows them all, a laptop at least six
    if sizes["units"] != 11 or sizes["units_scroll"] not in ("auto", "scroll"):
        problems.append(f"unit board: {sizes['units']} units, overflow {sizes['units_scroll']}")
    if sizes["units_seen"] < (sizes["units"] if width >= 1920 else 6):
        problems.append(f"only {sizes['units_seen']} units in view")
    assert problems == [], f"at {width}x{height}: {problems} ({sizes})"
    assert errors == []
