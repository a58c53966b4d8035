"""The incident panel tells the truth: the recommendation names a unit as no longer
available only when it is not; a closed incident says it is closed, with its
disposition and closing time, and its age stops; a changed type shows what it was;
the timeline reads as sentences with the raw event type on hover. ``help`` opens over
the panel without dropping the selection, and ``sel`` moves the map to the incident."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import Site, journal, logged_in, run, screenshot, wait_for, watch

HERE = {"lat": 37.7925893, "lon": -122.3958821}


@pytest.fixture(scope="module")
def console(browser: Any, site: Site) -> Iterator[Any]:
    site.account("panel", "dispatcher")
    page = logged_in(browser, site, "panel", "/console")
    yield page
    page.context.close()


def create(site: Site, type_: str, priority: int) -> str:
    made = site.command(
        "panel", "incident.create", {"type": type_, "priority": priority, "location": HERE}
    )
    ident: str = made[0]["incident"]
    return ident


def test_a_unit_is_called_unavailable_only_when_it_is(
    console: Any, site: Site, errors: list[str]
) -> None:
    watch(console, errors)
    ident = create(site, "ASSAULT", 1)
    rec = wait_for(lambda: site.get("panel", f"/api/recommendations?incident={ident}"))[-1]
    ranked = [c["unit"] for c in rec["candidates"]]
    assert rec["count"] == 2 and len(ranked) >= 3
    first, second, third = ranked[:3]
    # the third in rank is sent by hand: one more is needed, the first in rank, and the
    # second (still available) is not "no longer available"
    site.command("panel", "unit.dispatch", {"incident": ident, "units": [third]})
    assert run(console, f"sel {ident}") == f"✓ showing {ident}"
    button = console.locator("#dispatch-recommended")
    wait_for(lambda: button.is_enabled() and button.inner_text().startswith(f"Dispatch {first} ("))
    box = console.locator("#d-rec")
    assert second not in button.inner_text()
    assert "no longer available" not in box.inner_text()
    assert "next in rank" not in box.inner_text()
    assert site.rt.service.state.units[second].status == "available"
    # the first in rank goes busy: now it truly cannot go, and the panel says what it is
    site.command("panel", "unit.status", {"unit": first, "status": "busy"})
    wait_for(lambda: button.inner_text().startswith(f"Dispatch {second} ("))
    hint = box.locator(".hint[data-gone]")
    wait_for(lambda: hint.count() == 1)
    assert hint.inner_text() == f"{first} now busy: next in rank instead."
    button.click()
    wait_for(lambda: site.rt.service.state.units[second].incident == ident)
    sent = [d["unit"] for d in journal(site, "unit.dispatched") if d["incident"] == ident]
    assert sent == [third, second]
    site.command("panel", "unit.status", {"unit": first, "status": "available"})
    assert errors == []


def test_a_closed_incident_says_so_and_its_age_stops(
    console: Any, site: Site, errors: list[str]
) -> None:
    watch(console, errors)
    ident = create(site, "THEFT", 1)
    site.command("panel", "unit.dispatch", {"incident": ident, "units": ["ZPD-11"]})
    assert run(console, f"sel {ident}") == f"✓ showing {ident}"
    said = run(console, "close . report taken")
    assert said == f"✓ incident {ident} closed: REPORT TAKEN", said
    (closed,) = [d for d in journal(site, "incident.closed") if d["incident"] == ident]
    assert closed["units"] == ["ZPD-11"]
    notice = console.locator("#d-head .closed-notice")
    notice.wait_for()
    assert notice.inner_text().startswith("Closed ") and "REPORT TAKEN" in notice.inner_text()
    units = console.locator("#d-units")
    wait_for(lambda: "ZPD-11 released" in units.inner_text())
    assert "No unit assigned yet" not in console.locator("#incident-detail").inner_text()
    age = console.locator("#d-head .incident-head .age")
    assert age.get_attribute("data-since") is None and age.get_attribute("data-late") is None
    shown = age.inner_text()
    console.wait_for_timeout(1500)
    assert age.inner_text() == shown  # stopped
    assert console.locator("#close-form").is_hidden()
    assert "Closed: nothing to dispatch" in console.locator("#d-rec").inner_text()
    assert errors == []


def test_help_opens_over_the_panel_and_sel_moves_the_map(
    console: Any, site: Site, errors: list[str]
) -> None:
    watch(console, errors)
    ident = create(site, "NOISE", 5)
    site.command("panel", "unit.dispatch", {"incident": ident, "units": ["ZPD-9"]})
    console.locator(f'tr[data-incident="{ident}"]').wait_for()
    console.evaluate("() => window.tenfour.map.centerOn(37.80, -122.42)")
    assert run(console, f"sel {ident}") == f"✓ showing {ident}"
    view = console.evaluate("() => ({...window.tenfour.map.view})")
    assert abs(view["lat"] - HERE["lat"]) < 1e-6 and abs(view["lon"] - HERE["lon"]) < 1e-6
    console.locator("#d-timeline li").first.wait_for()
    entries_shown = console.locator("#d-timeline li").count()

    said = run(console, "help d")
    assert "commands and keys shown" in said
    dialog = console.locator("#help")
    assert dialog.is_visible()
    assert console.locator('#help tr[data-word="d"]').get_attribute("aria-current") == ""
    # the panel and the selection stay as they were
    assert console.locator("#panel-title").text_content() == f"Incident {ident}"
    assert console.evaluate("() => window.tenfour.ui.selected") == ident
    screenshot(console, "console-help.png")
    console.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert console.evaluate("() => document.activeElement.id") == "command"
    assert console.locator("#d-head .incident-head .id").inner_text() == ident
    assert console.locator("#d-timeline li").count() == entries_shown

    # the timeline: the server's sentence, the raw type on hover
    entries = site.get("panel", f"/api/incidents/{ident}")["timeline"]
    dispatched = next(e for e in entries if e["type"] == "unit.dispatched")
    shown = console.locator('#d-timeline li[data-type="unit.dispatched"] .what')
    shown.wait_for()
    assert shown.get_attribute("title") == "unit.dispatched"
    assert shown.inner_text() == dispatched["text"] != "unit.dispatched"
    assert errors == []


def test_a_changed_type_shows_what_it_was(console: Any, site: Site, errors: list[str]) -> None:
    watch(console, errors)
    ident = create(site, "DRUGS", 3)
    site.command("panel", "unit.dispatch", {"incident": ident, "units": ["ZPD-5"]})
    site.command("panel", "unit.status", {"unit": "ZPD-5", "status": "onscene"})
    assert run(console, f"sel {ident}") == f"✓ showing {ident}"
    # the officer on it goes down: the incident becomes the MAYDAY, priority 1
    site.command("panel", "emergency.declare", {"member": "wolford", "text": "officer down"})
    updated = [d for d in journal(site, "incident.updated") if d["incident"] == ident]
    assert updated and updated[0]["before"]["incident_type"] == "DRUGS"
    assert updated[0]["changes"]["incident_type"] == "MAYDAY"
    kind = console.locator("#d-head .incident-head .type")
    wait_for(lambda: kind.inner_text() == "MAYDAY (was DRUGS)")
    screenshot(console, "console-was-type.png")
    assert console.locator("#d-head .prio").inner_text() == "P1"
    assert errors == []


def test_the_dispatcher_adds_a_subject_from_the_line_and_the_panel_lists_it(
    console: Any, site: Site, errors: list[str]
) -> None:
    """The story's 7:31: the dispatcher records the suspect a caller describes. There
    was no way to send subject.add from the console."""
    watch(console, errors)
    ident = create(site, "PURSUIT", 1)
    assert run(console, f"sel {ident}") == f"✓ showing {ident}"
    subjects = console.locator("#d-subjects")
    assert "None recorded" in subjects.inner_text()
    # Tab completes the role
    line = console.locator("#command")
    line.fill("subj . sus")
    line.press("Tab")
    assert line.input_value() == "subj . suspect "
    said = run(console, "subj . suspect -- black fox, silver patches on back, on foot")
    added = [d for d in journal(site, "subject.added") if d["incident"] == ident]
    assert len(added) == 1
    assert (added[0]["role"], added[0]["description"]) == (
        "suspect",
        "black fox, silver patches on back, on foot",
    )
    suspect = added[0]["subject"]
    assert said == f"✓ suspect {suspect} added to {ident}"
    # the panel lists it at once: role, id, description
    row = subjects.locator(f'li[data-subject="{suspect}"]')
    row.wait_for()
    assert row.locator(".role").text_content() == "suspect"
    assert row.locator(".id").text_content() == suspect
    assert row.locator(".what").text_content() == "black fox, silver patches on back, on foot"
    assert console.locator("#subjects-title").text_content() == "Subjects (1)"
    # a role the domain does not know is named before anything is sent
    said = run(console, "subj . thief -- a fox")
    assert said.startswith("✗ 'thief' is not a subject role (allowed: suspect, victim"), said
    assert len([d for d in journal(site, "subject.added") if d["incident"] == ident]) == 1
    # an arrest recorded on the MDT marks the subject arrested
    site.account("panel-cop", "officer", member="wilde")
    site.command(
        "panel-cop",
        "arrest.record",
        {"incident": ident, "subject": {"id": suspect}, "charges": ["assault on an officer"]},
    )
    row.locator(".arrested").wait_for()
    assert subjects.locator("li").count() == 1
    # the help lists the command
    run(console, "help subj")
    assert (
        "subj INCIDENT ROLE -- DESCRIPTION"
        in console.locator('#help tr[data-word="subj"]').inner_text()
    )
    console.keyboard.press("Escape")
    console.locator("#help").wait_for(state="hidden")
    screenshot(console, "console-subjects.png")
    assert errors == []


def test_a_long_result_leaves_the_usage_hint_on_one_line(
    console: Any, site: Site, errors: list[str]
) -> None:
    """An acknowledged alert's whole text on the status line squeezed the usage hint
    beside it into a column one word wide, and the footer grew over the map."""
    watch(console, errors)
    ident = create(site, "ASSAULT", 2)
    site.command("panel", "unit.dispatch", {"incident": ident, "units": ["ZPD-11"]})
    site.account("panel-grizzoli", "officer", member="grizzoli")
    site.command(
        "panel-grizzoli",
        "backup.request",
        {"member": "grizzoli", "incident": ident, "urgency": "urgent", "count": 1},
    )
    row = console.locator('#alerts .alert-row[data-kind="backup_requested"]', has_text=ident)
    alert = row.get_attribute("data-alert")
    said = run(console, f"ack {alert}")
    assert said.startswith(f"✓ alert {alert} acknowledged: Urgent backup") and len(said) > 150
    hint = console.locator("#command-hint").bounding_box()
    result = console.locator("#command-result").bounding_box()
    footer = console.locator("footer.cmdline").bounding_box()
    assert hint and result and footer
    assert hint["height"] < 24 and hint["width"] > 150, hint  # one line, still readable
    assert footer["height"] < 110, footer
    assert errors == []
