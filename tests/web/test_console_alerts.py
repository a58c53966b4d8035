"""The console's alert bar on a busy night, in a real browser against a server whose
clock the test moves (so the status-check timers fire when it says): one line per
condition, open emergencies first and pinned, a bounded bar that leaves the map its
room with "+N more" opening the rest, alerts that leave by themselves when the system
resolves them, lines that name the officer and his unit, ``ack`` that says which
alert it took, the emergency key, and the urgent-backup line with its own tone.
Each test checks what the dispatcher sees and what the journal holds."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from tenfour.clock import SimClock
from tenfour.domain.values import Actor
from tests.api.conftest import START

from .conftest import (
    Site,
    journal,
    logged_in,
    run,
    screenshot,
    start_site,
    wait_for,
    watch,
)

CLOCK = SimClock(START)
HERE = {"lat": 37.7925893, "lon": -122.3958821}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    # The night moved on by the test's clock runs 33.5 min while the page lives a few
    # seconds: the page reports its dispatcher's activity by its own clock (at most once
    # a minute), so with the 30-min idle rule whether the server still held the session
    # at the last heartbeat depended on when that report fell (CI saw the console sent
    # to the login mid-test). Idle logout has its own tests (test_login_page, tests/api/test_auth).
    yield from start_site(
        tmp_path_factory.mktemp("alerts"), clock=CLOCK, session_idle=timedelta(hours=2)
    )


@pytest.fixture(scope="module")
def console(browser: Any, site: Site) -> Iterator[Any]:
    site.account("night", "dispatcher")
    page = logged_in(browser, site, "night", "/console")
    yield page
    page.context.close()


def advance(site: Site, **delta: float) -> None:
    CLOCK.advance_to(CLOCK.now() + timedelta(**delta))
    site.rt.service.settle()


def on_scene(site: Site, unit: str, type_: str, priority: int) -> str:
    """A new incident HERE with ``unit`` dispatched to it and on scene, so its
    status-check timer runs (contact every 10 min); the incident's id."""
    made = site.command(
        "night", "incident.create", {"type": type_, "priority": priority, "location": HERE}
    )
    incident: str = made[0]["incident"]
    site.command("night", "unit.dispatch", {"incident": incident, "units": [unit]})
    site.command("night", "unit.status", {"unit": unit, "status": "onscene"})
    return incident


def lines(page: Any) -> int:
    return int(page.locator("#alerts").get_attribute("data-lines") or 0)


def test_position_ages_go_by_the_servers_clock_not_the_desk_pcs(console: Any, site: Site) -> None:
    # The map took the browser's clock: with the server's clock days apart (a desk PC
    # set wrong, or this simulated night), every unit was drawn stale.
    def marker() -> dict[str, Any]:
        found: dict[str, Any] = console.evaluate("() => window.tenfour.map.markerPosition('ZPD-7')")
        return found

    wait_for(marker)
    assert not marker()["stale"], marker()
    advance(site, minutes=3)
    wait_for(lambda: marker()["stale"], timeout=45)  # learnt at the next heartbeat


def test_five_alerts_keep_the_map_and_leave_when_resolved(
    console: Any, site: Site, errors: list[str]
) -> None:
    watch(console, errors)
    incidents = []
    for i in range(5):
        at = {"lat": HERE["lat"] + 0.002 * i, "lon": HERE["lon"]}
        made = site.command(
            "night", "incident.create", {"type": "ASSAULT", "priority": 1, "location": at}
        )
        incidents.append(made[0]["incident"])
    advance(site, seconds=31)  # a priority-1 incident with no unit alerts after 30 s
    raised = [a for a in journal(site, "alert.raised") if a["kind"] == "incident_unassigned"]
    assert sorted(a["incident"] for a in raised) == sorted(incidents)
    wait_for(lambda: lines(console) == 5)
    # the top three lines stand in the bar, one line each; the rest behind "+2 more"
    top = console.locator("#alerts .alerts-top .alert-row")
    assert top.count() == 3
    for i in range(3):
        assert top.nth(i).bounding_box()["height"] <= 44
    more = console.locator("#alerts .alerts-more")
    assert more.inner_text().startswith("+2 more")
    assert more.get_attribute("aria-expanded") == "false"
    assert console.locator("#alerts-extra").is_hidden()
    # the map keeps at least 40 % of the window's height
    window = console.viewport_size["height"]
    height = console.locator("#map").bounding_box()["height"]
    assert height >= 0.4 * window, (height, window)
    screenshot(console, "console-alerts.png")
    # a sentence for people, the raw kind on hover; oldest first
    first = top.nth(0)
    assert first.get_attribute("data-alert") == raised[0]["alert"]
    assert f"{incidents[0]} ASSAULT P1" in first.inner_text()
    assert "incident_unassigned" in first.get_attribute("title")
    assert first.locator(".what").get_attribute("title") == "incident_unassigned"
    # "+2 more" opens the rest over the map, which keeps its height
    more.click()
    extra = console.locator("#alerts-extra .alert-row")
    wait_for(lambda: extra.count() == 2 and extra.first.is_visible())
    assert console.locator("#map").bounding_box()["height"] == height
    screenshot(console, "console-alerts-more.png")
    console.keyboard.press("Escape")
    wait_for(lambda: console.locator("#alerts-extra").is_hidden())
    assert console.evaluate("() => document.activeElement.className") == "alerts-more"
    # opened again, a click elsewhere puts the extra lines away too
    more.click()
    wait_for(lambda: extra.first.is_visible())
    console.locator("#command").click()
    wait_for(lambda: console.locator("#alerts-extra").is_hidden())
    # a unit assigned: the system resolves that alert, and its line leaves by itself
    site.command("night", "unit.dispatch", {"incident": incidents[0], "units": ["ZPD-3"]})
    wait_for(lambda: lines(console) == 4)
    assert console.locator(f'.alert-row[data-alert="{raised[0]["alert"]}"]').count() == 0
    resolved = {r["alert"]: r["reason"] for r in journal(site, "alert.resolved")}
    assert resolved[raised[0]["alert"]].startswith("unit assigned")
    assert raised[0]["alert"] not in {a["alert"] for a in journal(site, "alert.acknowledged")}
    assert more.inner_text().startswith("+1 more")
    for incident in incidents:
        site.command("night", "incident.close", {"incident": incident, "disposition": "advised"})
    wait_for(lambda: lines(console) == 0)
    assert more.is_hidden()
    assert errors == []


def test_an_unresponsive_crew_is_one_line_that_names_the_officers(
    console: Any, site: Site, errors: list[str]
) -> None:
    watch(console, errors)
    incident = on_scene(site, "ZPD-7", "THEFT", 3)
    advance(site, minutes=10, seconds=1)  # on scene: contact every 10 min
    row = console.locator('.alert-row[data-line="contact:unit:ZPD-7"]')
    row.wait_for()
    assert row.get_attribute("data-kind") == "status_check_overdue"
    advance(site, minutes=10)  # the second miss: unresponsive
    wait_for(lambda: row.get_attribute("data-kind") == "member_unresponsive")
    raised = [a for a in journal(site, "alert.raised") if a.get("unit") == "ZPD-7"]
    assert [a["kind"] for a in raised] == ["status_check_overdue", "member_unresponsive"]
    # one line for the one condition, the worse alert on it, the officers by name
    assert console.locator(".alert-row").count() == 1
    assert row.get_attribute("data-alerts") == " ".join([raised[1]["alert"], raised[0]["alert"]])
    text = row.inner_text()
    assert "Officer unresponsive" in text or "OFFICER UNRESPONSIVE" in text
    assert "Officer Judy Hopps and Officer Nick Wilde (ZPD-7)" in text, text
    assert "no contact from ZPD-7" not in text.lower()
    assert "20 min" in text and incident in text
    assert "after status check overdue" in row.locator(".also").inner_text()
    assert "member_unresponsive" in row.get_attribute("title")
    screenshot(console, "console-unresponsive.png")
    # the crew checks in by radio: contact made, the system resolves both, the line goes
    site.command("night", "member.checkin", {"unit": "ZPD-7"})
    row.wait_for(state="detached")
    resolved = {r["alert"]: r["reason"] for r in journal(site, "alert.resolved")}
    assert resolved[raised[0]["alert"]] == resolved[raised[1]["alert"]] == "contact made"
    site.command("night", "incident.close", {"incident": incident, "disposition": "advised"})
    assert errors == []


def test_emergencies_come_first_ack_says_which_and_f9_jumps_there(
    console: Any, site: Site, errors: list[str]
) -> None:
    watch(console, errors)
    # priority 2: an emergency's plan does not divert a unit from it
    quiet = on_scene(site, "ZPD-9", "ASSAULT", 2)
    advance(site, minutes=10, seconds=1)
    overdue = console.locator('.alert-row[data-kind="status_check_overdue"]')
    overdue.wait_for()
    # two officers down, the second a little later: both above the older alert
    site.command("night", "emergency.declare", {"member": "mchorn", "text": "shots fired"})
    advance(site, seconds=5)
    site.command("night", "emergency.declare", {"member": "higgins", "text": "hurt"})
    wait_for(lambda: console.locator('.alert-row[data-kind="emergency"]').count() == 2)
    kinds = console.evaluate(
        "() => [...document.querySelectorAll('#alerts .alert-row')].map(r => r.dataset.kind)"
    )
    assert kinds[:2] == ["emergency", "emergency"], kinds
    assert kinds.index("status_check_overdue") > 1
    # emergencies are pinned: always in the bar, never behind "+N more"
    assert console.locator('#alerts .alerts-top .alert-row[data-kind="emergency"]').count() == 2
    first = console.locator("#alerts .alert-row").first
    assert "Officer McHorn (mchorn, ZPD-4)" in first.inner_text()
    assert "F9" in first.inner_text()

    # F9: the newest open emergency's incident in the panel, the map on it
    emergencies = sorted(
        site.rt.service.state.emergencies.values(), key=lambda e: (e.declared_at, e.id)
    )
    newest = emergencies[-1]
    assert newest.member == "higgins" and newest.incident
    console.evaluate("() => window.tenfour.map.centerOn(37.80, -122.42)")
    console.locator("#command").focus()
    console.keyboard.press("F9")
    wait_for(
        lambda: console.locator("#panel-title").text_content() == f"Incident {newest.incident}"
    )
    where = site.rt.service.state.incidents[newest.incident].location
    view = console.evaluate("() => ({...window.tenfour.map.view})")
    assert abs(view["lat"] - where["lat"]) < 1e-6 and abs(view["lon"] - where["lon"]) < 1e-6
    assert "Higgins" in console.locator("#command-result").inner_text()

    # a bare "ack" takes the top line, the older emergency, and says which it was
    top_alert = first.get_attribute("data-alert")
    said = run(console, "ack")
    assert said.startswith(f"✓ alert {top_alert} acknowledged: Emergency"), said
    assert "Officer McHorn (mchorn, ZPD-4)" in said, said
    acknowledged = [a["alert"] for a in journal(site, "alert.acknowledged")]
    assert acknowledged[-1] == top_alert
    kinds = {a.id: a.kind for a in site.rt.service.state.alerts.values()}
    assert kinds[top_alert] == "emergency"
    # the normal alert is still open: it was not taken while an emergency stood
    overdue_id = overdue.get_attribute("data-alert")
    assert overdue_id not in acknowledged
    # the help lists the key
    run(console, "help")
    help_box = console.locator("#help")
    assert "F9" in help_box.inner_text() and "newest open emergency" in help_box.inner_text()
    console.keyboard.press("Escape")
    help_box.wait_for(state="hidden")
    assert console.locator("#panel-title").text_content() == f"Incident {newest.incident}"
    # a supervisor clears both: their alerts (and any plan-short ones) leave by themselves
    site.account("sarge", "supervisor", member="bogo")
    for emergency in emergencies:
        site.command("sarge", "emergency.clear", {"emergency": emergency.id})
    wait_for(lambda: console.locator('.alert-row[data-kind="emergency"]').count() == 0)
    for incident in {e.incident for e in emergencies} | {quiet}:
        site.command(
            "night",
            "incident.close",
            {"incident": incident, "disposition": "advised", "force": True},
        )
    wait_for(lambda: lines(console) == 0)
    assert errors == []


def test_an_urgent_backup_request_is_a_line_and_a_tone(
    console: Any, site: Site, errors: list[str]
) -> None:
    watch(console, errors)
    made = site.command(
        "night", "incident.create", {"type": "ASSAULT", "priority": 2, "location": HERE}
    )
    incident = made[0]["incident"]
    before = int(console.evaluate("() => Number(document.body.dataset.tones || 0)"))
    # a real urgent request (as an officer's MDT sends it): the system raises the alert
    site.rt.service.submit(
        "backup.request",
        {"incident": incident, "member": "wolford", "unit": "ZPD-5", "urgency": "urgent"},
        Actor("dispatcher", "night"),
    )
    site.rt.service.settle()
    row = console.locator('.alert-row[data-kind="backup_requested"]')
    row.wait_for()
    assert row.get_attribute("role") == "alert"
    text = row.inner_text()
    assert "Urgent backup" in text or "URGENT BACKUP" in text
    assert "Officer Wolford (wolford, ZPD-5)" in text and incident in text, text
    # its own tone, apart from the everyday chime (and from the emergency's, still sounding)
    wait_for(lambda: "backup_requested" in console.evaluate("() => window.tenfour.tones"))
    wait_for(
        lambda: int(console.evaluate("() => Number(document.body.dataset.tones || 0)")) > before
    )
    assert [a["kind"] for a in journal(site, "alert.raised")][-1] == "backup_requested"
    assert errors == []
