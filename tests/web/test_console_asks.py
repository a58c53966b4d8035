"""The console asks before a surprise: a unit taken off another incident, an incident
closed with a unit still in pursuit. The question stands in the command line's
confirm box; y or Enter goes ahead (and sends reassign or force), n or Esc sends
nothing. Each test checks what the dispatcher sees and what the journal holds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import Site, journal, logged_in, screenshot, wait_for, watch

HERE = {"lat": 37.7925893, "lon": -122.3958821}
THERE = {"lat": 37.7948573, "lon": -122.4014146}


@pytest.fixture(scope="module")
def console(browser: Any, site: Site) -> Iterator[Any]:
    site.account("desk", "dispatcher")
    page = logged_in(browser, site, "desk", "/console")
    yield page
    page.context.close()


def incident(site: Site, type_: str, priority: int, at: dict[str, float]) -> str:
    made = site.command(
        "desk", "incident.create", {"type": type_, "priority": priority, "location": at}
    )
    ident: str = made[0]["incident"]
    return ident


def submit(page: Any, text: str) -> None:
    line = page.locator("#command")
    page.locator("#command-result").evaluate("n => { n.textContent = ''; n.dataset.kind = ''; }")
    line.fill(text)
    line.press("Enter")


def outcome(page: Any) -> str:
    result = page.locator("#command-result")
    wait_for(lambda: result.get_attribute("data-kind") in ("ok", "error", "info"))
    said: str = result.inner_text()
    return said


def question(page: Any) -> str:
    box = page.locator("#confirm")
    box.wait_for()
    text: str = box.locator(".question").inner_text()
    return text


def test_a_unit_on_another_incident_is_sent_only_when_confirmed(
    console: Any, site: Site, errors: list[str]
) -> None:
    watch(console, errors)
    first = incident(site, "ASSAULT", 2, HERE)
    second = incident(site, "THEFT", 3, THERE)
    site.command("desk", "unit.dispatch", {"incident": first, "units": ["ZPD-3", "ZPD-4"]})
    site.command("desk", "unit.status", {"unit": "ZPD-3", "status": "enroute"})
    console.locator(f'tr[data-incident="{second}"]').wait_for()
    line = console.locator("#command")

    # n: nothing is sent, the line stays as typed
    submit(console, f"d {second} ZPD-3")
    assert question(console) == (
        f"ZPD-3 is en route on {first} (ASSAULT P2). Take it off and send it to {second}?"
    )
    line.press("n")
    console.locator("#confirm").wait_for(state="hidden")
    assert outcome(console) == f"Not sent: ZPD-3 stays on {first}"
    assert line.input_value() == f"d {second} ZPD-3"
    # Esc: the same
    submit(console, f"d {second} ZPD-3")
    question(console)
    line.press("Escape")
    assert outcome(console) == f"Not sent: ZPD-3 stays on {first}"
    sent = [d for d in journal(site, "unit.dispatched") if d["incident"] == second]
    assert sent == []
    assert site.rt.service.state.units["ZPD-3"].incident == first

    # y: sent with reassign, taken off the first incident
    submit(console, f"d {second} ZPD-3")
    question(console)
    line.press("y")
    said = outcome(console)
    assert said == f"✓ ZPD-3 dispatched to {second} (taken ZPD-3 off {first})", said
    (moved,) = [d for d in journal(site, "unit.dispatched") if d["incident"] == second]
    assert moved["unit"] == "ZPD-3" and moved["reassign"] is True
    assert moved["diverted_from"] == first
    assert line.input_value() == ""

    # Enter confirms too
    submit(console, f"d {second} ZPD-4")
    assert question(console).startswith(f"ZPD-4 is dispatched on {first}")
    line.press("Enter")
    assert outcome(console).startswith(f"✓ ZPD-4 dispatched to {second}")
    assert site.rt.service.state.units["ZPD-4"].incident == second

    # a unit on no incident is sent at once, without a question
    submit(console, f"d {second} ZPD-5")
    assert outcome(console) == f"✓ ZPD-5 dispatched to {second}"
    assert console.locator("#confirm").is_hidden()
    for ident in (first, second):
        site.command("desk", "incident.close", {"incident": ident, "disposition": "advised"})
    assert errors == []


def test_closing_on_a_pursuit_asks_and_lists_what_is_committed(
    console: Any, site: Site, errors: list[str]
) -> None:
    watch(console, errors)
    chase = incident(site, "PURSUIT", 2, HERE)
    site.command("desk", "unit.dispatch", {"incident": chase, "units": ["ZPD-6", "ZPD-8"]})
    for status in ("enroute", "pursuit"):
        site.command("desk", "unit.status", {"unit": "ZPD-6", "status": status})
    console.locator(f'tr[data-incident="{chase}"]').wait_for()
    line = console.locator("#command")

    submit(console, f"close {chase} arrest")
    assert question(console) == f"{chase} still has ZPD-6 in pursuit. Close it anyway?"
    screenshot(console, "console-confirm.png")
    line.press("n")
    assert outcome(console) == f"Not closed: {chase} stays open"
    assert [d for d in journal(site, "incident.closed") if d["incident"] == chase] == []

    # the panel's close form asks the same, answered with the mouse
    console.locator(f'tr[data-incident="{chase}"] button').click()
    console.locator("#close-disposition").fill("arrest")
    console.get_by_role("button", name="Close incident").click()
    assert question(console) == f"{chase} still has ZPD-6 in pursuit. Close it anyway?"
    console.get_by_role("button", name="Keep open (n)").click()
    assert outcome(console) == f"Not closed: {chase} stays open"
    assert site.rt.service.state.incidents[chase].open

    submit(console, f"close {chase} arrest")
    question(console)
    line.press("y")
    said = outcome(console)
    assert said == f"✓ incident {chase} closed: ARREST (with ZPD-6 in pursuit)", said
    (closed,) = [d for d in journal(site, "incident.closed") if d["incident"] == chase]
    assert closed["disposition"] == "ARREST" and sorted(closed["units"]) == ["ZPD-6", "ZPD-8"]
    assert errors == []


def test_refusals_are_shown_in_words(console: Any, site: Site, errors: list[str]) -> None:
    watch(console, errors)
    ident = incident(site, "THEFT", 4, HERE)
    console.locator(f'tr[data-incident="{ident}"]').wait_for()
    before = len(journal(site, "unit.dispatched"))
    submit(console, f"d {ident} ZPD-99")
    assert outcome(console) == "✗ No unit ZPD-99"
    submit(console, "d 2026-999999 ZPD-3")
    assert outcome(console) == "✗ No incident 2026-999999"
    submit(console, "ack A-999999")
    assert outcome(console) == "✗ No alert A-999999"
    assert len(journal(site, "unit.dispatched")) == before
    site.command("desk", "incident.close", {"incident": ident, "disposition": "advised"})
    assert errors == []
