"""The officer's MDT on a phone: status buttons follow the server's rules, check-in and
backup (for as many units as asked), and an emergency button that needs a deliberate press (held, or confirmed)."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Site, journal_events, phone, wait_for, watch

#: Where ZPD-3 (fangmeyer) starts its shift.
ZPD3_HOME = {"latitude": 37.7880097, "longitude": -122.3998107}
HERE = {"lat": 37.7925893, "lon": -122.3958821}


@pytest.fixture(scope="module")
def mdt(browser: Any, site: Site) -> Any:
    site.account("claw", "dispatcher")
    site.account("fang", "officer", member="fangmeyer")
    page = phone(browser, site, "fang", ZPD3_HOME)
    yield page
    page.context.close()


def test_my_unit_and_the_status_buttons(mdt: Any, site: Site, errors: list[str]) -> None:
    watch(mdt, errors)
    assert mdt.locator("#unit-id").inner_text() == "ZPD-3"
    assert "Fangmeyer" in mdt.locator("#who").inner_text()
    # the phone's position reached the server, for the member and the unit
    wait_for(lambda: journal_events(site, "unit.located"))
    located = journal_events(site, "member.located")[-1]
    assert located["member"] == "fangmeyer" and located["lat"] == ZPD3_HOME["latitude"]
    # available: "pursuit" is not a change the server allows from here
    buttons = mdt.locator("#status-buttons button")
    assert buttons.count() == 6
    assert (
        mdt.locator('#status-buttons [data-status="available"]').get_attribute("aria-pressed")
        == "true"
    )
    assert mdt.locator('#status-buttons [data-status="pursuit"]').is_disabled()
    big = mdt.locator('#status-buttons [data-status="busy"]').bounding_box()
    assert big["height"] >= 48 and big["width"] >= 140  # a thumb's target
    mdt.locator('#status-buttons [data-status="busy"]').click()
    mdt.locator('#status-buttons [data-status="busy"][aria-pressed="true"]').wait_for()
    mdt.locator('#status-buttons [data-status="available"]').click()
    mdt.locator('#status-buttons [data-status="available"][aria-pressed="true"]').wait_for()
    assert site.get("claw", "/api/units/ZPD-3")["status"] == "available"
    assert errors == []


def test_check_in_and_backup(mdt: Any, site: Site, errors: list[str]) -> None:
    watch(mdt, errors)
    checked = mdt.locator("#me-result")
    mdt.locator("#checkin").click()
    wait_for(lambda: checked.inner_text().startswith("✓ checked in"))
    assert journal_events(site, "member.checked_in")[-1]["member"] == "fangmeyer"
    result = mdt.locator("#action-result")
    # backup needs an incident: said plainly, nothing sent
    mdt.get_by_role("button", name="Request backup").click()
    wait_for(lambda: "needs an incident" in result.inner_text())
    incident = site.command(
        "claw", "incident.create", {"type": "ASSAULT", "priority": 3, "location": HERE}
    )[0]["incident"]
    site.command("claw", "unit.dispatch", {"incident": incident, "units": ["ZPD-3"]})
    mdt.get_by_role("button", name="Acknowledge · en route").click()
    mdt.locator('#status-buttons [data-status="enroute"][aria-pressed="true"]').wait_for()
    assert mdt.get_by_label("How many units").input_value() == "1"
    mdt.get_by_role("button", name="Request backup").click()
    wait_for(lambda: result.inner_text() == "✓ backup of 1 unit requested from dispatch")
    requested = journal_events(site, "backup.requested")[-1]
    assert requested["incident"] == incident and requested["urgency"] == "routine"
    assert requested["count"] == 1
    # the incident's details and timeline are on the MDT
    mdt.locator("#incident-details li", has_text="ZPD-3 dispatched").wait_for()
    # a BOLO issued at the desk shows on the MDT
    site.command("claw", "bolo.issue", {"description": "grey van, plate 4ABC123"})
    mdt.locator("#bolos .bolo", has_text="grey van").wait_for()
    assert errors == []


def test_urgent_backup_for_two_units_sends_the_nearest_two(
    mdt: Any, site: Site, errors: list[str]
) -> None:
    """The founding story's officer asks for two units: the MDT asked for one, always.
    She chooses how many (1 to 4, 1 by default); urgent sends that many at once, named
    on her screen, and the choice goes back to 1."""
    watch(mdt, errors)
    incident = site.command(
        "claw", "incident.create", {"type": "PURSUIT", "priority": 1, "location": HERE}
    )[0]["incident"]
    site.command(
        "claw", "unit.dispatch", {"incident": incident, "units": ["ZPD-3"], "reassign": True}
    )
    mdt.locator("#assignment .id", has_text=incident).wait_for()
    picker = mdt.get_by_label("How many units")
    assert picker.locator("option").all_inner_texts() == ["1 unit", "2 units", "3 units", "4 units"]
    picker.select_option("2")
    mdt.get_by_role("button", name="Urgent backup").click()
    result = mdt.locator("#action-result")
    wait_for(lambda: "are being sent" in result.inner_text())
    requested = journal_events(site, "backup.requested")[-1]
    assert (requested["incident"], requested["count"], requested["urgency"]) == (
        incident,
        2,
        "urgent",
    )
    sent = [
        e["unit"]
        for e in journal_events(site, "unit.dispatched")
        if e["seq"] > requested["seq"] and e["by"] == "system"
    ]
    assert len(sent) == 2 and "ZPD-3" not in sent, sent
    assert all(site.get("claw", f"/api/units/{u}")["incident"] == incident for u in sent)
    assert (
        result.inner_text() == f"✓ urgent backup requested: {sent[0]} and {sent[1]} are being sent"
    )
    assert picker.input_value() == "1"
    assert errors == []


def test_a_short_press_asks_to_confirm_and_can_be_cancelled(
    mdt: Any, site: Site, errors: list[str]
) -> None:
    watch(mdt, errors)
    button = mdt.locator("#emergency")
    button.click()  # a tap, not a hold
    confirm = mdt.locator("#emergency-confirm")
    confirm.wait_for()
    assert mdt.evaluate("() => document.activeElement.id") == "confirm-yes"
    mdt.get_by_role("button", name="Cancel").click()
    assert confirm.is_hidden()
    assert mdt.evaluate("() => document.activeElement.id") == "emergency"
    # a key pressed and let go at once: the same
    mdt.keyboard.press("Space")
    confirm.wait_for()
    mdt.get_by_role("button", name="Cancel").click()
    assert journal_events(site, "emergency.declared") == []
    assert errors == []


def test_holding_space_declares_the_emergency_and_help_is_shown(
    mdt: Any, site: Site, errors: list[str]
) -> None:
    watch(mdt, errors)
    button = mdt.locator("#emergency")
    button.focus()
    mdt.keyboard.down("Space")
    mdt.wait_for_timeout(700)
    progress = float(button.evaluate("b => b.style.getPropertyValue('--progress')") or 0)
    assert 0.2 < progress < 0.9  # the fill shows how long is left
    assert journal_events(site, "emergency.declared") == []
    mdt.wait_for_timeout(1000)
    mdt.keyboard.up("Space")
    help_panel = mdt.locator("#help-coming")
    help_panel.wait_for()
    declared = journal_events(site, "emergency.declared")
    assert len(declared) == 1 and declared[0]["member"] == "fangmeyer"
    assert declared[0]["unit"] == "ZPD-3"
    # the MDT sent where the phone is
    assert declared[0]["location"]["lat"] == ZPD3_HOME["latitude"]
    wait_for(lambda: mdt.locator("#help-units li[data-unit]").count() >= 4)
    # with ETAs for the units on their way
    wait_for(lambda: "ETA" in mdt.locator("#help-units").inner_text())
    assert mdt.locator("#emergency-box").is_hidden()
    # an ambulance of the plan that leaves with a patient is not "coming" any more: its
    # route to the hospital gives no ETA here
    state = site.rt.service.state
    incident = state.emergencies[declared[0]["emergency"]].incident
    assert incident is not None
    [ambulance] = [
        u for u in state.incidents[incident].units if state.units[u].kind.startswith("ambulance")
    ]
    site.command("claw", "unit.status", {"unit": ambulance, "status": "onscene"})
    transport = {"unit": ambulance, "patient": {"description": "a bystander"}}
    site.command("claw", "transport.start", {**transport, "destination": "ZGH"})
    assert site.get("claw", f"/api/routes/{ambulance}")["facility"] == "ZGH"
    row = mdt.locator(f'#help-units li[data-unit="{ambulance}"]')
    wait_for(lambda: "Transporting" in row.inner_text(), timeout=15)
    assert "ETA" not in row.inner_text()
    # down, his own buttons follow the server's rules (the vocabulary's
    # member_transitions): back with the unit, away or on scene, not "in pursuit"
    mine = mdt.locator("#member-buttons")
    wait_for(lambda: mine.locator('[data-status="pursuit"]').is_disabled())
    for status in ("with_unit", "away", "onscene"):
        assert mine.locator(f'[data-status="{status}"]').is_enabled(), status
    assert errors == []


def test_once_cleared_the_emergency_button_works_again(
    mdt: Any, site: Site, errors: list[str]
) -> None:
    """A cleared emergency left the button saying "SENDING…" and deaf to presses: the
    officer could not call for help a second time in the same shift."""
    watch(mdt, errors)
    site.account("sarge", "supervisor")
    first = journal_events(site, "emergency.declared")[-1]["emergency"]
    site.command("sarge", "emergency.clear", {"emergency": first})
    mdt.locator("#help-coming").wait_for(state="hidden")
    button = mdt.locator("#emergency")
    button.wait_for()
    assert button.inner_text().startswith("EMERGENCY")
    assert float(button.evaluate("b => b.style.getPropertyValue('--progress')") or 0) == 0
    button.click()
    mdt.get_by_role("button", name="Yes, declare").click()
    mdt.locator("#help-coming").wait_for()
    declared = journal_events(site, "emergency.declared")
    assert len(declared) == 2 and declared[-1]["member"] == "fangmeyer"
    assert declared[-1]["emergency"] != first
    assert errors == []
