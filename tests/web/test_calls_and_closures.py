"""911 calls and road closures from the console's command line: a call makes an
incident, a second one at the same place is linked as a duplicate (and unlinked from
the panel), and a closed street is drawn on the map until it is reopened."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Site, logged_in, run, screenshot, wait_for, watch

#: Near where Market Street and Mission Street run side by side, for the screenshot.
MARKET_AND_SECOND = [37.7915, -122.4005]


@pytest.fixture(scope="module")
def console(browser: Any, site: Site) -> Any:
    site.account("taker", "dispatcher")
    page = logged_in(browser, site, "taker", "/console")
    yield page
    page.context.close()


def test_calls_make_incidents_and_duplicates_link(
    console: Any, site: Site, errors: list[str]
) -> None:
    watch(console, errors)
    said = run(console, "call ASSAULT p2 Main Street & Mission Street -- two men fighting")
    assert said.startswith("✓ call C-") and "incident 20" in said, said
    incident = said.split("incident ")[1].split()[0]
    wait_for(lambda: console.locator("#panel-title").text_content() == f"Incident {incident}")
    assert site.get("taker", f"/api/incidents/{incident}")["source"] == "call"

    said = run(console, "call assault p2 Main Street & Mission Street caller=Ann -- still fighting")
    assert f"linked to {incident} as a duplicate: score " in said, said
    assert "same type" in said and " m," in said, said
    call = said.split()[2]
    duplicate = console.locator(f'#d-calls li[data-call="{call}"]')
    duplicate.wait_for()
    assert "still fighting" in duplicate.inner_text()
    assert console.locator("#d-calls li").count() == 2
    assert site.get("taker", f"/api/incidents/{incident}")["calls"][1]["id"] == call

    duplicate.get_by_role("button", name=f"Unlink call {call}").click()
    result = console.locator("#command-result")
    wait_for(lambda: "unlinked" in result.inner_text())
    created = result.inner_text().split("new incident ")[1]
    assert created != incident
    wait_for(lambda: console.locator("#panel-title").text_content() == f"Incident {created}")
    assert console.locator(f'tr[data-incident="{created}"]').count() == 1
    assert [c["id"] for c in site.get("taker", f"/api/incidents/{created}")["calls"]] == [call]
    assert len(site.get("taker", f"/api/incidents/{incident}")["calls"]) == 1
    assert errors == []


def drawn(page: Any) -> list[dict[str, Any]]:
    closures: list[dict[str, Any]] = page.evaluate("() => window.tenfour.map.drawnClosures")
    return closures


def test_a_closed_street_is_drawn_until_reopened(
    console: Any, site: Site, errors: list[str]
) -> None:
    watch(console, errors)
    said = run(console, "close Market Street -- parade")
    assert said.startswith("✓ RC-") and "Market Street closed" in said, said
    closure = said.split()[1].rstrip(":")
    wait_for(lambda: [c["id"] for c in drawn(console)] == [closure])
    (shown,) = drawn(console)
    assert shown["kind"] == "closed" and shown["segments"] > 10
    said = run(console, "slow Mission Street x3 -- roadworks")
    assert "slowed \u00d73" in said, said
    slowed = said.split()[1].rstrip(":")
    wait_for(lambda: len(drawn(console)) == 2)
    assert {c["id"]: c["kind"] for c in drawn(console)} == {closure: "closed", slowed: "slowed"}
    assert console.locator("#map").get_attribute("data-closures") == "2"
    # the closure ids complete on the line
    line = console.locator("#command")
    line.fill("reopen RC")
    line.press("Tab")
    assert console.locator("#choices li").all_inner_texts() == [closure, slowed]
    line.press("Escape")
    console.evaluate(
        "([lat, lon]) => { window.tenfour.map.centerOn(lat, lon); window.tenfour.map.zoom(2.5); }",
        MARKET_AND_SECOND,
    )
    screenshot(console, "console-closure.png")
    assert run(console, f"reopen {closure}") == f"✓ {closure} reopened"
    wait_for(lambda: [c["id"] for c in drawn(console)] == [slowed])
    assert run(console, f"reopen {slowed} -- done") == f"✓ {slowed} reopened"
    wait_for(lambda: drawn(console) == [])
    assert errors == []
