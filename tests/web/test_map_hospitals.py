"""Hospitals on the console's map in a real browser: each hospital drawn with its own
marker and named at the zoom the console opens at; a diversion reported with
``facility.status`` (here by the hospital's own account) turns its marker amber and
puts the diverted services in its label, live, without a reload."""

from __future__ import annotations

from typing import Any

from .conftest import DESKTOP, Site, drawn_facility, log_in, map_ready, wait_for, watch

AMBER = (0xFF, 0xB0, 0x20)


def _pixel(page: Any, x: float, y: float) -> tuple[int, int, int]:
    r, g, b, _ = page.evaluate(
        """([x, y]) => {
          const canvas = document.querySelector('#map');
          const ratio = window.tenfour.map.ratio;
          return [...canvas.getContext('2d').getImageData(
            Math.round(x * ratio), Math.round(y * ratio), 1, 1).data];
        }""",
        [x, y],
    )
    return (r, g, b)


def test_a_diversion_set_by_the_hospital_shows_on_the_map(
    browser: Any, site: Site, errors: list[str]
) -> None:
    site.account("mapdesk", "dispatcher")
    site.account("zgh-charge", "hospital", member="ZGH")
    context = browser.new_context(viewport=DESKTOP)
    page = watch(context.new_page(), errors)
    log_in(page, site, "mapdesk", "/console")
    map_ready(page)

    open_ = wait_for(lambda: drawn_facility(page))
    assert open_["status"] == "open" and open_["text"] == "Zootopia General Hospital"
    named = {
        label["id"]: label["text"] for label in page.evaluate("() => window.tenfour.map.labels")
    }
    assert named.get("ZGH") == "Zootopia General Hospital"
    # an open hospital's marker: the pale square (its edge, beside the red H)
    assert _pixel(page, open_["x"] - 5, open_["y"] - 5) == (0xD8, 0xE2, 0xEC)

    site.command(
        "zgh-charge",
        "facility.status",
        {"facility": "ZGH", "state": "diversion", "services": ["stroke", "trauma"]},
    )
    diverted = wait_for(lambda: (h := drawn_facility(page)) and h["status"] == "diversion" and h)
    assert diverted["text"] == "Zootopia General Hospital · diversion: stroke, trauma"
    assert page.evaluate("() => document.querySelector('#map').dataset.diversions") == "1"
    named = {
        label["id"]: label["text"] for label in page.evaluate("() => window.tenfour.map.labels")
    }
    assert named.get("ZGH") == diverted["text"]
    # the amber band around the marker
    assert _pixel(page, diverted["x"] - 8, diverted["y"] - 8) == AMBER

    site.command("zgh-charge", "facility.status", {"facility": "ZGH", "state": "open"})
    reopened = wait_for(lambda: (h := drawn_facility(page)) and h["status"] == "open" and h)
    assert reopened["text"] == "Zootopia General Hospital"
    assert errors == []
    context.close()
