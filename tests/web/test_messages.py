"""Messages between desk and field, and hospital status, in real browsers against a
server whose clock the test moves: a message to a unit reaches that crew's MDTs and no
one else's, the MDT confirms receipt and the officer's opening it reads it, and both
receipts come back to the console; an officer's canned message reaches the console,
which confirms and reads it; an unread priority message raises its alert on the
console and reading it on the MDT resolves it; a hospital set on diversion from the
console is journaled and shown in an ambulance's destination picker with the warning
for the patient's need, and the transport started anyway carries it."""

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
    logged_in,
    phone,
    start_site,
    wait_for,
    watch,
)

CLOCK = SimClock(START)
HERE = {"lat": 37.7925893, "lon": -122.3958821}
M51_HOME = {"latitude": 37.7871562, "longitude": -122.4098893}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from start_site(tmp_path_factory.mktemp("messages"), clock=CLOCK)


@pytest.fixture(scope="module")
def pages(browser: Any, site: Site) -> Iterator[dict[str, Any]]:
    site.account("desk", "dispatcher")
    site.account("judy", "officer", member="hopps")  # ZPD-7, with wilde
    site.account("fang", "officer", member="fangmeyer")  # ZPD-3
    desk = logged_in(browser, site, "desk", "/console")
    found = {"desk": desk, "judy": phone(browser, site, "judy", ZPD7_HOME)}
    found["fang"] = phone(browser, site, "fang", ZPD7_HOME)
    yield found
    for page in found.values():
        page.context.close()


def caught_up(page: Any, seq: int) -> bool:
    return bool(page.evaluate(f"() => window.tenfour.state.seq >= {seq}"))


def test_a_message_to_a_unit_reaches_its_crew_only_and_the_receipts_come_back(
    pages: dict[str, Any], site: Site, errors: list[str]
) -> None:
    desk, judy, fang = (watch(pages[k], errors) for k in ("desk", "judy", "fang"))
    desk.locator("#messages-toggle").click()
    desk.locator("#msg-to").select_option("unit")
    desk.locator("#msg-target").select_option("ZPD-7")
    desk.locator("#msg-text").fill("Come by the station after the call")
    desk.locator("#msg-form").get_by_role("button", name="Send").click()
    wait_for(lambda: desk.locator("#msg-result").inner_text().startswith("✓"))
    [sent] = journal_events(site, "message.sent")
    assert (sent["to"], sent["unit"], sent["recipients"]) == ("unit", "ZPD-7", ["hopps", "wilde"])

    # hopps's MDT gets it, unread, and confirms receipt by itself.
    item = judy.locator(f'#inbox li[data-message="{sent["message"]}"]')
    item.wait_for()
    assert "unread" in (item.get_attribute("class") or "")
    assert judy.locator("#unread").text_content() == "1 unread"
    wait_for(lambda: [d["reader"] for d in journal_events(site, "message.delivered")] == ["hopps"])
    assert journal_events(site, "message.read") == []
    # fangmeyer, on another unit, never receives it: not in his state, not on his MDT.
    wait_for(lambda: caught_up(fang, sent["seq"]))
    assert fang.evaluate("() => Object.keys(window.tenfour.state.messages)") == []
    assert fang.locator("#inbox").inner_text() == "No messages."
    assert fang.locator("#unread").is_hidden()

    # She opens it: read, text shown; the console shows both receipts.
    item.get_by_role("button").click()
    wait_for(lambda: journal_events(site, "message.read"))
    [read] = journal_events(site, "message.read")
    assert (read["message"], read["reader"], read["by"]) == (sent["message"], "hopps", "hopps")
    item.locator(".message-text", has_text="Come by the station").wait_for()
    assert judy.locator("#unread").is_hidden()
    receipts = desk.locator(f'[data-receipts="{sent["message"]}"]')
    wait_for(lambda: "read: hopps" in receipts.inner_text())
    assert "delivered: hopps" in receipts.inner_text()
    assert errors == []


def test_an_officers_canned_message_reaches_the_console_which_receipts_it(
    pages: dict[str, Any], site: Site, errors: list[str]
) -> None:
    desk, judy = watch(pages["desk"], errors), watch(pages["judy"], errors)
    judy.locator('#canned button[data-canned="supervisor"]').click()
    wait_for(lambda: judy.locator("#canned-result").inner_text().startswith("✓"))
    sent = journal_events(site, "message.sent")[-1]
    assert (sent["to"], sent["text"], sent["from_member"]) == (
        "dispatch",
        "Need a supervisor",
        "hopps",
    )
    # The console has it on screen: it confirms receipt, and shows it unread.
    wait_for(lambda: "1 unread" in desk.locator("#messages-toggle").inner_text())
    wait_for(lambda: journal_events(site, "message.delivered")[-1]["reader"] == "dispatch")
    receipt = judy.locator(f'#sent li[data-message="{sent["message"]}"] .receipt')
    wait_for(lambda: receipt.get_attribute("data-receipt") == "delivered")
    desk.locator(f'#msg-list li[data-message="{sent["message"]}"]').get_by_role(
        "button", name="Mark read"
    ).click()
    wait_for(lambda: receipt.get_attribute("data-receipt") == "read")
    assert journal_events(site, "message.read")[-1]["reader"] == "dispatch"
    # The console counts it read when its own feed brings message.read, which may come
    # after the MDT's feed did (each feed is sent on its own).
    wait_for(lambda: desk.locator("#messages-toggle").inner_text() == "Messages")
    assert errors == []


def test_an_unread_priority_message_raises_its_alert_and_reading_resolves_it(
    pages: dict[str, Any], site: Site, errors: list[str]
) -> None:
    desk, judy = watch(pages["desk"], errors), watch(pages["judy"], errors)
    sent = site.command(
        "desk",
        "message.send",
        {"to": "member", "member": "hopps", "text": "Call your sergeant", "priority": "priority"},
    )[0]
    item = judy.locator(f'#inbox li[data-message="{sent["message"]}"]')
    item.wait_for()
    # Priority and unread: first in the inbox and marked so.
    assert judy.locator("#inbox li").first.get_attribute("data-message") == sent["message"]
    assert "priority" in (item.get_attribute("class") or "")
    line = desk.locator('#alerts [data-kind="message_unread"]')
    assert line.count() == 0
    CLOCK.advance_to(CLOCK.now() + timedelta(seconds=121))  # the default: 120 s
    site.rt.service.settle()
    line.wait_for()
    [raised] = [a for a in journal_events(site, "alert.raised") if a["kind"] == "message_unread"]
    assert (raised["message"], raised["member"]) == (sent["message"], "hopps")
    item.get_by_role("button").click()
    wait_for(
        lambda: [r for r in journal_events(site, "alert.resolved") if r["kind"] == "message_unread"]
    )
    line.wait_for(state="detached")
    assert errors == []


def test_a_hospital_on_diversion_is_journaled_and_warned_in_the_transport_picker(
    browser: Any, pages: dict[str, Any], site: Site, errors: list[str]
) -> None:
    desk = watch(pages["desk"], errors)
    if desk.locator("#messages-box").is_hidden():
        desk.locator("#messages-toggle").click()
    form = desk.locator('.hospital-form[data-facility="ZGH"]')
    form.locator("select[name=state]").select_option("diversion")
    form.locator("select[name=services]").select_option(["stroke", "trauma"])
    form.locator('input[data-bed="icu"]').fill("2")
    form.get_by_role("button", name="Save").click()
    wait_for(lambda: journal_events(site, "facility.status_changed"))
    [changed] = journal_events(site, "facility.status_changed")
    assert (changed["facility"], changed["state"], changed["services"], changed["beds"]) == (
        "ZGH",
        "diversion",
        ["trauma", "stroke"],  # in the vocabulary's order
        {"icu": 2},
    )
    assert changed["by"] == "desk"
    line = desk.locator('.hospital[data-facility="ZGH"] .hospital-line')
    wait_for(lambda: "DIVERSION: trauma, stroke" in line.inner_text())

    site.account("medic", "officer", member="medic1")
    medic = watch(phone(browser, site, "medic", M51_HOME), errors)
    incident = site.command(
        "desk", "incident.create", {"type": "MEDICAL", "priority": 2, "location": HERE}
    )[0]["incident"]
    site.command("desk", "unit.dispatch", {"incident": incident, "units": ["M-51"]})
    site.command(
        "medic", "unit.status", {"unit": "M-51", "status": "onscene", "incident": incident}
    )
    medic.locator("#transport-form").wait_for()
    # The hospital is listed (never hidden) with its state...
    option = medic.locator('#transport-destination option[value="ZGH"]')
    assert "DIVERSION: trauma, stroke" in option.inner_text()
    warning = medic.locator("#transport-warning")
    assert "on diversion for trauma, stroke" in warning.inner_text()  # need not given yet
    medic.locator("#transport-need").select_option("cardiac")
    assert warning.is_hidden()  # not diverting cardiac patients
    medic.locator("#transport-need").select_option("stroke")
    assert "on diversion for stroke" in warning.inner_text() and warning.is_visible()
    # ...and a transport started anyway is journaled with the warning, shown to the crew.
    medic.get_by_label("Patient's description").fill("adult female, 70s, facial droop")
    medic.get_by_role("button", name="Start transport").click()
    wait_for(lambda: journal_events(site, "transport.started"))
    started = journal_events(site, "transport.started")[-1]
    assert (started["need"], started["warning"]) == ("stroke", started["warning"])
    assert "on diversion for stroke" in started["warning"]
    wait_for(lambda: "⚠" in medic.locator("#transport-result").inner_text())
    medic.context.close()
    assert errors == []
