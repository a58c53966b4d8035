"""The issue's end-to-end story in a real browser against a real server.

A tip sent on the tip page is promoted by the dispatcher in the console, dispatched
with the keyboard command line, and acknowledged on an officer's MDT in a second
browser context; the officer's emergency reaches the console as a red alert within a
second; the console's map moves the unit as the MDT's positions arrive; and the
console's folded state equals a fresh snapshot. Screenshots go to out/screenshots/.
"""

from __future__ import annotations

from typing import Any

from .conftest import (
    DESKTOP,
    PHONE,
    ZPD7_HOME,
    Site,
    log_in,
    screenshot,
    wait_for,
    watch,
)

#: Where the tipster saw it: a corner of the demo map, about 600 m from ZPD-7.
CORNER = "Main Street & Mission Street"
#: About 450 m from ZPD-7's start, where the MDT's position moves it.
MOVED = {"latitude": 37.7915, "longitude": -122.3985}


def test_tip_to_dispatch_to_mdt_and_emergency(browser: Any, site: Site, errors: list[str]) -> None:
    site.account("claw", "dispatcher")
    site.account("judy", "officer", member="hopps")

    # --- the public sends a tip ---------------------------------------------------------
    public = browser.new_context(viewport={"width": 1000, "height": 1000})
    tip_page = watch(public.new_page(), errors)
    tip_page.goto(f"{site.url}/tip")
    tip_page.get_by_label("What happened?").fill(
        "Two people are breaking into parked cars, a grey van is waiting with its engine on."
    )
    tip_page.get_by_label("Where?").fill(CORNER)
    screenshot(tip_page, "tip.png", full_page=True)
    tip_page.get_by_role("button", name="Send tip").click()
    code = tip_page.locator("#tip-code")
    code.wait_for()
    tracking = code.inner_text()
    assert len(tracking) >= 8, tracking
    screenshot(tip_page, "tip-receipt.png", full_page=True)

    # --- the dispatcher promotes it in the console -----------------------------------
    desk = browser.new_context(viewport=DESKTOP)
    console = watch(desk.new_page(), errors)
    log_in(console, site, "claw", "/console")
    card = console.locator("article.tip", has_text="breaking into parked cars")
    card.get_by_role("button", name="Promote…").click()
    card.get_by_label("Type").fill("THEFT")
    card.get_by_label("Priority").select_option("3")
    card.get_by_role("button", name="Promote to incident").click()
    incident = wait_for(
        lambda: console.evaluate(
            "() => Object.values(window.tenfour.state.tips).find(t => t.status === 'promoted')?.incident"
        )
    )
    row = console.locator(f'tr[data-incident="{incident}"]')
    row.wait_for()
    assert "THEFT" in row.inner_text()
    # the incident panel shows the journaled recommendation, with a one-click dispatch
    console.locator("#dispatch-recommended").wait_for()
    assert "Dispatch" in console.locator("#dispatch-recommended").inner_text()

    # --- dispatched with the keyboard command line -----------------------------------
    line = console.locator("#command")
    line.focus()
    console.keyboard.type(f"d {incident[:6]}")
    console.keyboard.press("Tab")  # the only open incident starting so: completed
    assert line.input_value() == f"d {incident} "
    console.keyboard.type("ZPD-")
    console.keyboard.press("Tab")  # several units: the choices are listed
    assert console.locator("#choices li").count() >= 8
    console.keyboard.type("7")
    console.keyboard.press("Enter")
    result = console.locator("#command-result")
    wait_for(lambda: "dispatched" in result.inner_text())
    assert result.get_attribute("data-kind") == "ok", result.inner_text()
    console.locator('#units tr[data-unit="ZPD-7"][data-status="dispatched"]').wait_for()

    # --- the officer acknowledges on the MDT, in a second browser context -------------
    phone = browser.new_context(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        geolocation=ZPD7_HOME,
        permissions=["geolocation"],
    )
    mdt = watch(phone.new_page(), errors)
    log_in(mdt, site, "judy", "/mdt")
    assert mdt.locator("#unit-id").inner_text() == "ZPD-7"
    acknowledge = mdt.get_by_role("button", name="Acknowledge · en route")
    acknowledge.wait_for()
    assert incident in mdt.locator("#assignment").inner_text()
    screenshot(mdt, "mdt.png", full_page=True)
    acknowledge.click()
    mdt.locator('#status-buttons [data-status="enroute"][aria-pressed="true"]').wait_for()
    console.locator('#units tr[data-unit="ZPD-7"][data-status="enroute"]').wait_for()
    assert site.get("claw", "/api/units/ZPD-7")["status"] == "enroute"
    # the console draws ZPD-7's route and ETA to the incident
    route = wait_for(
        lambda: console.evaluate("() => window.tenfour.ui.routes.get('ZPD-7')"), timeout=5
    )
    assert route["incident"] == incident and route["eta_s"] > 0 and len(route["points"]) > 2

    # --- the tipster sees the tip was acted on ---------------------------------------
    tip_page.get_by_role("button", name="Check status").click()
    answer = tip_page.locator("#status-answer")
    answer.wait_for()
    assert answer.get_attribute("data-status") == "promoted"

    # --- an emergency on the MDT is a red alert on the console within a second ---------
    button = mdt.locator("#emergency")
    box = button.bounding_box()
    mdt.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    mdt.mouse.down()
    mdt.wait_for_timeout(1700)  # a deliberate press: held for 1.5 s
    mdt.mouse.up()
    alert = console.locator('.alert-row[data-kind="emergency"]')
    alert.wait_for(timeout=3000)
    sent_at = wait_for(lambda: mdt.evaluate("() => window.tenfour.ui.emergencySentAt"))
    alert_id = alert.get_attribute("data-alert")
    shown_at = console.evaluate(f"() => window.tenfour.ui.alertShownAt['{alert_id}']")
    latency_ms = shown_at - sent_at
    print(f"\nemergency pressed on the MDT -> red alert on the console: {latency_ms:.0f} ms")
    assert 0 <= latency_ms < 1000
    assert alert.get_attribute("role") == "alert"
    red, green, blue = _rgb(alert.evaluate("n => getComputedStyle(n).backgroundColor"))
    assert red > 150 and green < 80 and blue < 80, (red, green, blue)
    assert "hopps" in alert.inner_text() and "ZPD-7" in alert.inner_text()
    wait_for(lambda: int(console.evaluate("() => document.body.dataset.tones || 0")) > 0)
    # the MDT shows that help is coming
    help_panel = mdt.locator("#help-coming")
    help_panel.wait_for()
    wait_for(lambda: mdt.locator("#help-units li[data-unit]").count() >= 4)
    assert "help is coming" in help_panel.inner_text().lower()
    screenshot(mdt, "mdt-emergency.png", full_page=True)
    console.locator(f'tr[data-incident="{incident}"]').wait_for()
    screenshot(console, "console.png")

    # --- the dispatcher acknowledges it ---------------------------------------------------
    alert.get_by_role("button", name="Acknowledge").click()
    alert.wait_for(state="detached")
    wait_for(lambda: "acknowledged" in mdt.locator("#help-ack").inner_text())

    # --- the console's map moves the unit when the MDT's positions arrive --------------
    before = console.evaluate("() => window.tenfour.map.markerPosition('ZPD-7')")
    assert abs(before["lat"] - ZPD7_HOME["latitude"]) < 1e-6
    phone.set_geolocation(MOVED)

    def moved() -> Any:
        where = console.evaluate("() => window.tenfour.map.markerPosition('ZPD-7')")
        return where if abs(where["lat"] - MOVED["latitude"]) < 1e-6 else None

    after = wait_for(moved, timeout=10)
    assert abs(after["lon"] - MOVED["longitude"]) < 1e-6
    assert (after["x"], after["y"]) != (before["x"], before["y"])
    # south-east of where it was: lower and further right on the screen
    assert after["y"] > before["y"] and after["x"] > before["x"]
    assert site.get("claw", "/api/units/ZPD-7")["location"]["lat"] == MOVED["latitude"]

    # --- what the console folded from the feed is exactly a fresh snapshot --------------
    assert_folded_state_is_fresh(site, console)

    assert errors == []
    for context in (public, desk, phone):
        context.close()


def assert_folded_state_is_fresh(site: Site, page: Any, username: str = "claw") -> None:
    """The page's state (snapshot + every event folded in by live.js) equals a fresh
    snapshot taken at the same position."""
    for _ in range(20):
        site.rt.service.settle()
        head = site.rt.service.store.head()
        wait_for(lambda: page.evaluate("() => window.tenfour.state.seq") >= head)  # noqa: B023
        fresh = site.get(username, "/api/snapshot")
        mine = page.evaluate("() => window.tenfour.state")
        if fresh["position"] == mine["seq"]:
            assert mine == fresh["state"]
            return
    raise AssertionError("the journal never stood still long enough to compare")


def _rgb(css: str) -> tuple[int, int, int]:
    inside = css[css.index("(") + 1 : css.index(")")]
    red, green, blue = (int(float(part)) for part in inside.split(",")[:3])
    return red, green, blue
