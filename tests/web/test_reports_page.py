"""The analyst's reports page in a real browser: figures from the journal, filters by
keyboard, a bad filter shown beside its control, and no serious accessibility issue."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.reports.districts import write_central

from .conftest import DESKTOP, PASSWORD, Site, screenshot, start_site, watch
from .test_axe import assert_accessible

HERE = {"lat": 37.7925893, "lon": -122.3958821}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from start_site(tmp_path_factory.mktemp("reports"))


def reports_page(browser: Any, site: Site, errors: list[str]) -> Any:
    """A new page logged in as the analyst "bell", arrived at the reports."""
    page = watch(browser.new_page(viewport=DESKTOP), errors)
    page.goto(f"{site.url}/login?next=/reports")
    page.get_by_label("Username").fill("bell")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{site.url}/reports")
    return page


def test_an_analyst_reads_and_groups_the_interval_times(
    browser: Any, site: Site, errors: list[str]
) -> None:
    site.account("claw", "calltaker")
    site.account("disp", "dispatcher")
    site.account("judy", "officer", member="hopps")
    site.rt.accounts.create("bell", "analyst", PASSWORD, now=site.rt.now())
    created = site.command(
        "claw",
        "call.create",
        {"source": "911", "text": "Fight", "type": "ASSAULT", "priority": 2, "location": HERE},
    )
    incident = next(e["incident"] for e in created if e["type"] == "incident.created")
    site.command("disp", "unit.dispatch", {"incident": incident, "units": ["ZPD-7"]})
    site.command(
        "judy", "unit.status", {"unit": "ZPD-7", "status": "enroute", "incident": incident}
    )

    page = reports_page(browser, site, errors)
    page.wait_for_function(
        "() => document.getElementById('overall-count').textContent.includes('complete')"
    )
    # en route, not yet on scene: counted, and listed as incomplete with the reason
    assert "1 incident, 0 complete" in page.locator("#overall-count").text_content()
    # this server has no districts: the grouping it would refuse is not offered
    assert page.locator("input[name=by]").count() == 7
    assert page.locator("input[value=district]").count() == 0
    assert "no unit on scene" in page.locator("#problems").inner_text()
    assert_accessible(page)

    # group by incident type with the keyboard only
    page.get_by_label("incident type").focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Show").focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => !document.getElementById('groups-section').hidden")
    assert "ASSAULT" in page.locator("#groups").inner_text()
    assert page.locator("#groups-title").text_content() == "By incident type"

    # a window that ends before it starts: the server's reason, beside the "To" field
    page.get_by_label("From (day, UTC)").fill("2026-12-02")
    page.get_by_label("To (day, UTC, not included)").fill("2026-12-01")
    page.get_by_role("button", name="Show").click()
    page.wait_for_selector("#report-to[aria-invalid=true]")
    assert "Must be after From" in page.locator(".field-error").inner_text()
    assert_accessible(page)
    screenshot(page, "reports.png", full_page=True)
    assert errors == []


def test_a_dispatcher_gets_the_not_allowed_page(browser: Any, site: Site) -> None:
    if site.rt.accounts.get("disp2") is None:
        site.rt.accounts.create("disp2", "dispatcher", PASSWORD, now=site.rt.now())
    page = browser.new_page(viewport=DESKTOP)
    page.goto(f"{site.url}/login?next=/reports")
    page.get_by_label("Username").fill("disp2")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{site.url}/reports")
    assert page.locator("h1").inner_text() != "Interval times"


@pytest.fixture
def districts_site(tmp_path: Path) -> Iterator[Site]:
    """A server with one district, "Central" (``serve --districts``)."""
    yield from start_site(tmp_path, report_districts=str(write_central(tmp_path)))


def test_a_server_with_districts_offers_grouping_by_them(
    browser: Any, districts_site: Site, errors: list[str]
) -> None:
    site = districts_site
    site.account("claw", "calltaker")
    site.rt.accounts.create("bell", "analyst", PASSWORD, now=site.rt.now())
    site.command(
        "claw",
        "call.create",
        {"source": "911", "text": "Fight", "type": "ASSAULT", "priority": 2, "location": HERE},
    )
    page = reports_page(browser, site, errors)
    box = page.get_by_label("district")
    box.wait_for()
    assert box.get_attribute("value") == "district"
    box.check()
    page.get_by_role("button", name="Show").click()
    page.wait_for_function("() => !document.getElementById('groups-section').hidden")
    assert page.locator("#groups-title").text_content() == "By district"
    assert "Central" in page.locator("#groups").inner_text()
    assert_accessible(page)
    page.close()
    assert errors == []
