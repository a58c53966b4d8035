"""The hospital's own page in a real browser: a hospital account lands on it after
logging in, sets a diversion for a service, and the dispatcher's map shows it live;
an ambulance the crew starts towards the hospital appears in its list, with its
patient's need, as the live feed brings it, and its drive time by road, read again as
it reports a new position."""

from __future__ import annotations

import math
from typing import Any

from .conftest import (
    DESKTOP,
    Site,
    drawn_facility,
    eta_text,
    log_in,
    map_ready,
    wait_for,
    watch,
)

HERE = {"lat": 37.7925893, "lon": -122.3958821}


def carry(site: Site, desk: str, unit: str, need: str | None = None) -> None:
    """``unit`` sent to a new incident HERE, on scene, then carrying a patient to ZGH,
    each step entered by the dispatcher ``desk``."""
    created = site.command(
        desk, "incident.create", {"type": "MEDICAL", "priority": 2, "location": HERE}
    )
    incident = next(e["incident"] for e in created if e["type"] == "incident.created")
    site.command(desk, "unit.dispatch", {"incident": incident, "units": [unit]})
    site.command(desk, "unit.status", {"unit": unit, "status": "onscene"})
    transport = {"unit": unit, "patient": {"description": "a man"}, "destination": "ZGH"}
    site.command(desk, "transport.start", transport | ({"need": need} if need else {}))


def test_a_hospital_sets_a_diversion_the_console_shows(
    browser: Any, site: Site, errors: list[str]
) -> None:
    site.account("hp-desk", "dispatcher")
    site.account("hp-zgh", "hospital", member="ZGH")
    context = browser.new_context(viewport=DESKTOP)
    desk = watch(context.new_page(), errors)
    log_in(desk, site, "hp-desk", "/console")
    map_ready(desk)
    assert wait_for(lambda: drawn_facility(desk))["status"] == "open"

    other = browser.new_context(viewport=DESKTOP)
    page = watch(other.new_page(), errors)
    log_in(page, site, "hp-zgh", "/hospital")  # where a hospital lands
    page.get_by_role("heading", name="Zootopia General Hospital").wait_for()
    page.get_by_label("On diversion for the services below").check()
    page.get_by_label("stroke").check()
    page.get_by_label("Emergency").fill("4")
    page.get_by_role("button", name="Report status").click()
    page.get_by_text("Status reported.").wait_for()

    diverted = wait_for(lambda: (h := drawn_facility(desk)) and h["status"] == "diversion" and h)
    assert diverted["text"] == "Zootopia General Hospital · diversion: stroke"
    assert page.locator("#status-now").text_content() == "On diversion (stroke)"

    # an ambulance starts towards the hospital: the page lists it, live
    carry(site, "hp-desk", "M-51", need="cardiac")
    row = page.locator("#coming tr[data-unit='M-51']")
    row.wait_for()
    assert "cardiac" in (row.text_content() or "")
    # its drive time and distance by road from where it last was, as the server routes
    # them (/api/facilities/ZGH/arrivals), beside that position's time
    cells = row.locator("td")
    wait_for(lambda: cells.nth(1).text_content() not in ("…", ""))
    [arrival] = site.get("hp-zgh", "/api/facilities/ZGH/arrivals")["arrivals"]
    assert cells.nth(1).text_content() == eta_text(arrival["eta_s"])
    # the road distance, from the same answer (format.js ``distance``)
    road = arrival["distance_m"]
    assert cells.nth(2).text_content() == (
        f"{road / 1000:.1f} km" if road >= 1000 else f"{math.floor(road + 0.5)} m"
    )
    # the ambulance reports a new position: the drive time is read again for it
    site.command("hp-desk", "unit.locate", {"unit": "M-51", "lat": 37.7793, "lon": -122.4193})
    moved = wait_for(
        lambda: (
            (a := site.get("hp-zgh", "/api/facilities/ZGH/arrivals")["arrivals"][0])["eta_s"]
            != arrival["eta_s"]
            and a
        )
    )
    wait_for(lambda: cells.nth(1).text_content() == eta_text(moved["eta_s"]))
    assert errors == []
    context.close()
    other.close()


def test_drive_times_that_cannot_be_read_say_so(
    browser: Any, site: Site, errors: list[str]
) -> None:
    site.account("hp-desk2", "dispatcher")
    site.account("hp-zgh2", "hospital", member="ZGH")
    context = browser.new_context(viewport=DESKTOP)
    page = watch(context.new_page(), errors)
    # the server's drive times fail (a database or router fault on that node)
    refusal = {"error": {"code": "unavailable", "message": "the database is unavailable"}}
    page.route(
        "**/api/facilities/*/arrivals",
        lambda route: route.fulfill(status=503, json=refusal),
    )
    log_in(page, site, "hp-zgh2", "/hospital")
    carry(site, "hp-desk2", "M-53")
    cell = page.locator("#coming tr[data-unit='M-53'] td").nth(1)
    wait_for(lambda: cell.text_content() == "unavailable")
    assert cell.get_attribute("title") == "the database is unavailable"
    # the distance falls back to the straight line, said as such
    assert (page.locator("#coming tr[data-unit='M-53'] td").nth(2).text_content() or "").endswith(
        " straight"
    )
    context.close()
    assert [e for e in errors if "503" not in e] == []
