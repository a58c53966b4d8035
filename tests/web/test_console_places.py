"""Address autocomplete in the console (issue 12): places suggested from the demo map
as a dispatcher types the location of a command, or the incident panel's Move field,
each with how it was found; a place taken is sent as its point, and the result line
says whether it was an exact point or a guess. Checked against the journal."""

from __future__ import annotations

import math
import statistics
import time
from typing import Any

import pytest

from .conftest import Site, logged_in, screenshot, wait_for, watch
from .test_axe import assert_accessible

#: 523 Mission Street, interpolated on the demo map between the 100 and 600 blocks.
MISSION_523 = (37.7888751, -122.3987317)
#: Mission Street & 1st Street.
MISSION_AND_1ST = (37.789771, -122.397564)


@pytest.fixture(scope="module")
def console(browser: Any, site: Site) -> Any:
    site.account("placer", "dispatcher")
    page = logged_in(browser, site, "placer", "/console")
    yield page
    page.context.close()


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    north = (a[0] - b[0]) * 111_320
    east = (a[1] - b[1]) * 111_320 * math.cos(math.radians(a[0]))
    return math.hypot(north, east)


def places_for(page: Any, query: str) -> list[dict[str, str]]:
    """The places listed once the list answers ``query``: label, kind, flags."""
    page.wait_for_function(
        "(q) => { const l = document.querySelector('#choices');"
        " return l.dataset.kind === 'places' && l.dataset.query === q; }",
        arg=query,
    )
    found: list[dict[str, str]] = page.eval_on_selector_all(
        "#choices li[role=option]",
        "(items) => items.map((li) => ({id: li.id, label: li.querySelector('.label').textContent,"
        " kind: li.querySelector('.kind').textContent, ambiguous: li.dataset.ambiguous,"
        " selected: li.getAttribute('aria-selected')}))",
    )
    return found


def typed(page: Any, text: str) -> None:
    """Type ``text`` into an emptied command line, key by key, as a person would."""
    line = page.locator("#command")
    line.fill("")
    line.press_sequentially(text, delay=20)


def events_of(site: Site, kind: str, incident: str) -> list[Any]:
    """The journaled events of ``kind`` on ``incident``'s stream."""
    stream = f"incident:{incident}"
    return [e for e in site.rt.service.store.read() if e.type == kind and e.stream == stream]


def test_a_typed_address_is_suggested_and_sent_as_its_point(
    console: Any, site: Site, errors: list[str]
) -> None:
    watch(console, errors)
    typed(console, "call THEFT p3 523 Miss")
    shown = places_for(console, "523 Miss")
    assert 1 <= len(shown) <= 5, shown
    assert shown[0]["label"] == "523 Mission Street", shown
    assert "interpolated" in shown[0]["kind"], shown
    line = console.locator("#command")
    assert line.get_attribute("aria-expanded") == "true"
    assert console.locator("#choices").is_visible()
    assert_accessible(console)  # the places listed, as a screen reader finds them
    screenshot(console, "console-places.png")

    # ↓ highlights (and fills in) the first; Enter takes it and the line goes on
    line.press("ArrowDown")
    assert line.get_attribute("aria-activedescendant") == shown[0]["id"]
    assert console.locator(f"#{shown[0]['id']}").get_attribute("aria-selected") == "true"
    assert line.input_value() == "call THEFT p3 523 Mission Street"
    line.press("Enter")
    assert line.input_value() == "call THEFT p3 523 Mission Street "
    assert console.locator("#choices").is_hidden()
    assert line.get_attribute("aria-expanded") == "false"
    assert "interpolated, confidence 0.70" in console.locator("#command-result").inner_text()

    line.press_sequentially("-- bike taken from the rack", delay=10)
    assert console.locator("#choices").is_hidden()  # the caller's words are no place
    line.press("Enter")
    result = console.locator("#command-result")
    wait_for(lambda: result.get_attribute("data-kind") in ("ok", "error"))
    said = result.inner_text()
    assert said.startswith("✓ call C-"), said
    assert "· 523 Mission Street: interpolated, confidence 0.70" in said, said

    incident = said.split("incident ")[1].split()[0]
    [created] = events_of(site, "incident.created", incident)
    where = created.data["location"]
    assert where["address"] == "523 Mission Street"
    assert metres((where["lat"], where["lon"]), MISSION_523) < 5, where
    assert errors == []


def test_a_misspelt_corner_suggests_the_intersection(console: Any, errors: list[str]) -> None:
    watch(console, errors)
    typed(console, "new FIRE p2 Misson St & 1st")
    shown = places_for(console, "Misson St & 1st")
    assert shown[0]["label"] == "Mission Street & 1st Street", shown
    assert "intersection" in shown[0]["kind"]
    # Tab moves through the places as through other completions; Esc closes the list
    line = console.locator("#command")
    line.press("Tab")
    assert line.input_value() == "new FIRE p2 Mission Street & 1st Street"
    line.press("Escape")
    assert console.locator("#choices").is_hidden()
    assert line.input_value() == "new FIRE p2 Mission Street & 1st Street"
    line.press("Escape")  # a second Esc clears the line, as before
    assert line.input_value() == ""
    assert errors == []


def test_a_bare_street_is_shown_ambiguous_and_refused_with_the_reason(
    console: Any, site: Site, errors: list[str]
) -> None:
    watch(console, errors)
    typed(console, "new THEFT p3 Broadway")
    shown = places_for(console, "Broadway")
    labels = [s["label"] for s in shown]
    assert "Broadway" in labels and "Broadway Street" in labels, shown
    bare = shown[labels.index("Broadway")]
    assert bare["ambiguous"] == "true"
    assert "ambiguous, 5.2 km: give a number or a cross street" in bare["kind"], bare

    line = console.locator("#command")
    line.press("ArrowDown")
    line.press("Enter")
    result = console.locator("#command-result")
    assert "Broadway is ambiguous" in result.inner_text()
    assert result.get_attribute("data-kind") == "info"
    before = [e for e in site.rt.service.store.read() if e.type == "incident.created"]
    line.press("Enter")
    wait_for(lambda: result.get_attribute("data-kind") == "error")
    assert "give a house number, a block or a cross street" in result.inner_text()
    after = [e for e in site.rt.service.store.read() if e.type == "incident.created"]
    assert len(after) == len(before)
    assert errors == []


def test_the_panel_moves_an_incident_to_a_suggested_place(
    console: Any, site: Site, errors: list[str]
) -> None:
    watch(console, errors)
    [created] = site.command(
        "placer", "incident.create",
        {"type": "NOISE", "priority": 4, "location": {"lat": 37.7925, "lon": -122.3970}},
    )  # fmt: skip
    incident = created["incident"]
    line = console.locator("#command")
    line.fill(f"sel {incident}")
    line.press("Enter")
    wait_for(lambda: console.locator("#panel-title").text_content() == f"Incident {incident}")

    field = console.get_by_role("combobox", name=f"New location for incident {incident}")
    assert field.get_attribute("aria-expanded") == "false"
    field.press_sequentially("Mission & 1", delay=20)
    console.wait_for_function(
        "() => document.querySelector('#move-choices').dataset.query === 'Mission & 1'"
    )
    listbox = console.get_by_role("listbox", name="Places")
    first = listbox.get_by_role("option").first
    assert first.locator(".label").inner_text() == "Mission Street & 1st Street"
    assert field.get_attribute("aria-expanded") == "true"
    field.press("ArrowDown")
    assert field.get_attribute("aria-activedescendant") == first.get_attribute("id")
    assert_accessible(console)
    screenshot(console, "console-move.png")
    field.press("Enter")

    result = console.locator("#command-result")
    wait_for(lambda: "moved" in result.inner_text() or result.get_attribute("data-kind") == "error")
    said = result.inner_text()
    assert said == (
        f"✓ {incident} moved to Mission Street & 1st Street (intersection, confidence 0.95)"
    ), said
    updated = events_of(site, "incident.updated", incident)
    where = updated[-1].data["location"]
    assert where["address"] == "Mission Street & 1st Street"
    assert metres((where["lat"], where["lon"]), MISSION_AND_1ST) < 5, where
    assert field.input_value() == ""
    assert field.get_attribute("aria-expanded") == "false"

    # typed and sent without choosing: the server places it, or says why not
    field.fill("Nowhere Lane Nonesuch")
    console.locator("#move-form button[type=submit]").click()
    wait_for(lambda: result.get_attribute("data-kind") == "error")
    assert len(events_of(site, "incident.updated", incident)) == 1
    assert errors == []


def test_suggestion_latency_in_the_browser(console: Any, site: Site, errors: list[str]) -> None:
    """Keystroke to places shown, over ~50 keystrokes typed at a call-taker's pace
    (about 8 keys a second, so each key after a pause asks at once). Printed for the
    record; the target (50 ms p99 on the demo map) belongs to the benches. One request
    first: the server builds its street index on the first suggestion it is asked for."""
    watch(console, errors)
    site.get("placer", "/api/places/suggest?q=Ma")
    console.evaluate(
        """() => {
          const list = document.querySelector('#choices');
          window.__placeTimes = { down: 0, want: null, shown: 0 };
          document.addEventListener('keydown', () => {
            window.__placeTimes.down = performance.now();
            window.__placeTimes.shown = 0;
          }, true);
          new MutationObserver(() => {
            const t = window.__placeTimes;
            if (!t.shown && list.dataset.query === t.want) t.shown = performance.now();
          }).observe(list, { attributes: true, childList: true, subtree: true });
        }"""
    )
    line = console.locator("#command")
    samples: list[tuple[float, str]] = []
    for place in ("1200 Powell St", "Pine St & Leavenworth", "Ferry Build", "600 Block of Brannan"):
        line.fill("new THEFT p3 ")
        time.sleep(0.15)
        typed_so_far = ""
        for key in place:
            typed_so_far += key
            query = " ".join(typed_so_far.split())
            if len(query.replace(" ", "")) < 2 or key == " ":
                line.press("Space" if key == " " else key)
                continue
            console.evaluate("(q) => { window.__placeTimes.want = q; }", query)
            line.press(key)
            console.wait_for_function("() => window.__placeTimes.shown > 0", timeout=5000)
            took = console.evaluate("() => window.__placeTimes.shown - window.__placeTimes.down")
            samples.append((took, query))
            time.sleep(0.12)
    samples.sort()
    times = [took for took, _ in samples]
    p99 = times[min(len(times) - 1, math.ceil(0.99 * len(times)) - 1)]
    slowest = ", ".join(f"{q!r} {took:.0f} ms" for took, q in samples[-3:])
    print(
        f"\nplace suggestions, keystroke to shown in the browser: {len(times)} keys, "
        f"median {statistics.median(times):.1f} ms, p99 {p99:.1f} ms (slowest: {slowest})"
    )
    assert len(samples) >= 30
    assert p99 < 2000  # a sanity bound only: a stuck request, not a slow one
    assert errors == []
