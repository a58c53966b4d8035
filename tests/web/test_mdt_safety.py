"""The MDT keeps a split crew safe: an officer's own foot pursuit is timed for him alone
(his partner's check-in is not his contact), dispatch's "are you OK?" prompts him with a
big check-in that goes away when he answers or dispatch reaches him, he can declare his
partner down at his own position, and a partner's emergency reaches his MDT at once,
with a tone that repeats until he silences it.

Two MDTs on one unit (ZPD-7: hopps and wilde) against a server on a simulated clock,
so the status-check timers fire when the test says.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from tenfour.clock import SimClock
from tests.api.conftest import START

from .conftest import (
    ZPD7_HOME,
    Site,
    journal_events,
    phone,
    screenshot,
    start_site,
    wait_for,
    watch,
)

CLOCK = SimClock(START)
#: Where hopps runs to on foot, 400 m from the car.
ON_FOOT = {"latitude": 37.7925893, "longitude": -122.3958821}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from start_site(tmp_path_factory.mktemp("mdt-safety"), clock=CLOCK)


@pytest.fixture(scope="module")
def crew(browser: Any, site: Site) -> Iterator[dict[str, Any]]:
    site.account("desk", "dispatcher")
    site.account("sarge", "supervisor")
    site.account("judy", "officer", member="hopps")
    site.account("nick", "officer", member="wilde")
    out: dict[str, Any] = {}
    contexts = []
    for user, name in (("judy", "hopps"), ("nick", "wilde")):
        page = phone(browser, site, user, ZPD7_HOME)
        contexts.append(page.context)
        out[name], out[f"{name}-context"] = page, page.context
    # both phones have told the server where they are
    wait_for(
        lambda: {e["member"] for e in journal_events(site, "member.located")} >= {"hopps", "wilde"}
    )
    yield out
    for context in contexts:
        context.close()


def advance(site: Site, seconds: float) -> None:
    CLOCK.advance_to(CLOCK.now() + timedelta(seconds=seconds))
    site.rt.service.settle()


def tones(page: Any) -> int:
    return int(page.evaluate("() => document.body.dataset.tones || 0"))


def test_my_foot_pursuit_is_timed_for_me_and_the_prompt_clears_when_i_check_in(
    crew: dict[str, Any], site: Site, errors: list[str]
) -> None:
    hopps, wilde = watch(crew["hopps"], errors), watch(crew["wilde"], errors)
    # her own status, apart from the unit's
    hopps.locator("#member-note").fill("northbound on Kearny after a man in a red hoodie")
    hopps.get_by_role("button", name="I'm in foot pursuit").click()
    hopps.locator('#member-buttons [data-status="pursuit"][aria-pressed="true"]').wait_for()
    changed = journal_events(site, "member.status_changed")[-1]
    assert (changed["member"], changed["to"], changed["by"]) == ("hopps", "pursuit", "hopps")
    assert changed["text"] == "northbound on Kearny after a man in a red hoodie"
    assert hopps.locator("#member-note").input_value() == ""
    state = site.rt.service.state
    assert state.members["hopps"].status == "pursuit"
    assert state.units["ZPD-7"].status == "available"  # the unit's status is its own
    assert state.members["wilde"].status == "with_unit"
    # her partner checks in from his own MDT: his contact, not hers
    advance(site, 40)
    wilde.locator("#checkin").click()
    wait_for(lambda: wilde.locator("#me-result").inner_text().startswith("✓ checked in"))
    checked = journal_events(site, "member.checked_in")[-1]
    assert (checked["member"], checked["by"]) == ("wilde", "wilde")
    assert hopps.locator("#check-prompt").is_hidden()
    before = tones(hopps)
    advance(site, 21)  # 61 s since her own last contact
    overdue = [
        a for a in journal_events(site, "alert.raised") if a["kind"] == "status_check_overdue"
    ]
    assert [a["member"] for a in overdue] == ["hopps"]
    # her MDT asks whether she is OK, at once and in big; his does not
    prompt = hopps.locator("#check-prompt")
    prompt.wait_for()
    assert "no contact from hopps" in prompt.inner_text()
    wait_for(lambda: tones(hopps) > before)  # a chime, besides the banner
    ok = hopps.get_by_role("button", name="I'm OK · check in")
    box = ok.bounding_box()
    assert box["height"] >= 64 and box["width"] >= 300
    assert wilde.locator("#check-prompt").is_hidden()
    screenshot(hopps, "mdt-check-prompt.png")
    ok.click()
    prompt.wait_for(state="hidden")
    checked = journal_events(site, "member.checked_in")[-1]
    assert (checked["member"], checked["by"]) == ("hopps", "hopps")
    resolved = wait_for(lambda: journal_events(site, "alert.resolved"))
    assert resolved[-1]["alert"] == overdue[0]["alert"]
    assert resolved[-1]["reason"] == "contact made"
    assert errors == []


def test_the_prompt_leaves_when_dispatch_reaches_me_by_radio(
    crew: dict[str, Any], site: Site, errors: list[str]
) -> None:
    hopps = watch(crew["hopps"], errors)
    advance(site, 61)  # silent again, still in her foot pursuit
    prompt = hopps.locator("#check-prompt")
    prompt.wait_for()
    alert = [a for a in journal_events(site, "alert.raised") if a.get("member") == "hopps"][-1]
    # the dispatcher raised her on the radio and records it for her
    site.command("desk", "member.checkin", {"member": "hopps", "text": "on radio, code 4"})
    prompt.wait_for(state="hidden")
    assert journal_events(site, "alert.resolved")[-1]["alert"] == alert["alert"]
    # back in the car: no more check-ins of her own
    hopps.get_by_role("button", name="I'm back with the unit").click()
    hopps.locator('#member-buttons [data-status="with_unit"][aria-pressed="true"]').wait_for()
    assert site.rt.service.state.members["hopps"].status == "with_unit"
    assert errors == []


def test_officer_down_for_my_partner_goes_to_my_position(
    crew: dict[str, Any], site: Site, errors: list[str]
) -> None:
    hopps, wilde = watch(crew["hopps"], errors), watch(crew["wilde"], errors)
    # she leaves the car on foot and finds her partner down out of sight of it
    hopps.get_by_role("button", name="I'm on foot / away").click()
    hopps.locator('#member-buttons [data-status="away"][aria-pressed="true"]').wait_for()
    crew["hopps-context"].set_geolocation(ON_FOOT)
    wait_for(
        lambda: (
            (site.rt.service.state.members["hopps"].location or {}).get("lat")
            == ON_FOOT["latitude"]
        )
    )
    # on foot, her phone moves her, not the car
    state = site.rt.service.state
    car, partner = state.units["ZPD-7"].location, state.members["wilde"].location
    assert car is not None and car["lat"] == ZPD7_HOME["latitude"]
    assert partner is not None and partner["lat"] == ZPD7_HOME["latitude"]
    # her partner is the one offered
    assert hopps.locator("#down-member").input_value() == "wilde"
    button = hopps.locator("#down")
    # a tap only asks, naming him; cancelled, nothing is sent
    button.click()
    confirm = hopps.locator("#down-confirm")
    confirm.wait_for()
    assert "Nick Wilde" in confirm.inner_text()
    hopps.get_by_role("button", name="Cancel").click()
    assert confirm.is_hidden() and journal_events(site, "emergency.declared") == []
    # held: declared
    button.focus()
    hopps.keyboard.down("Space")
    hopps.wait_for_timeout(1700)
    hopps.keyboard.up("Space")
    declared = wait_for(lambda: journal_events(site, "emergency.declared"))[-1]
    assert (declared["member"], declared["by"]) == ("wilde", "hopps")
    mine = site.rt.service.state.members["hopps"].location
    assert mine is not None
    assert (declared["location"]["lat"], declared["location"]["lon"]) == (mine["lat"], mine["lon"])
    assert (mine["lat"], mine["lon"]) == (ON_FOOT["latitude"], ON_FOOT["longitude"])
    # his MDT says help is coming, and who called it in
    wilde.locator("#help-coming").wait_for()
    assert "by Judy Hopps" in wilde.locator("#help-detail").inner_text()
    # hers shows him down (she declared it: no alarm to silence)
    banner = hopps.locator("#partner-down")
    banner.wait_for()
    assert "Nick Wilde (wilde)" in banner.inner_text() and "by you" in banner.inner_text()
    assert hopps.locator("#silence").is_hidden()
    assert "declared down" in hopps.locator("#down-result").inner_text()
    screenshot(hopps, "mdt-partner-down-declared.png")
    assert errors == []


def test_my_partners_emergency_sounds_on_my_mdt_until_i_silence_it(
    crew: dict[str, Any], site: Site, errors: list[str]
) -> None:
    hopps, wilde = watch(crew["hopps"], errors), watch(crew["wilde"], errors)
    emergency = journal_events(site, "emergency.declared")[-1]["emergency"]
    site.command("sarge", "emergency.clear", {"emergency": emergency})
    hopps.locator("#partner-down").wait_for(state="hidden")
    assert hopps.locator("#down-result").inner_text() == ""  # that one is over
    # cleared: his own emergency button is back
    button = wilde.locator("#emergency")
    button.wait_for()
    assert button.inner_text().startswith("EMERGENCY")
    before = tones(hopps)
    button.click()
    wilde.get_by_role("button", name="Yes, declare").click()
    wilde.locator("#help-coming").wait_for()
    declared = journal_events(site, "emergency.declared")[-1]
    assert (declared["member"], declared["by"]) == ("wilde", "wilde")
    # at once on her MDT, with the alarm, repeating
    banner = hopps.locator("#partner-down")
    banner.wait_for(timeout=2000)
    assert "Nick Wilde (wilde)" in banner.inner_text()
    assert "by Nick Wilde" in banner.inner_text()
    wait_for(lambda: tones(hopps) > before, timeout=2)
    first = tones(hopps)
    wait_for(lambda: tones(hopps) > first, timeout=8)
    screenshot(hopps, "mdt-partner-down.png")
    hopps.get_by_role("button", name="Silence alarm").click()
    hopps.locator("#silence").wait_for(state="hidden")
    quiet = tones(hopps)
    hopps.wait_for_timeout(5600)
    assert tones(hopps) == quiet
    assert banner.is_visible()  # silenced, still shown
    assert errors == []
