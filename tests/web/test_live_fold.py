"""live.js folds every event type into the console's state exactly as the server's
``evolve`` does: after a day that journals every event there is, the page's state
equals a fresh snapshot (the Python side of this is tests/api/test_live.py). So do an
officer's MDT and an analyst's console, which are sent only what their roles may read
(no tips for the officer, tips without contact or code for the analyst, no audit
events for the officer)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tenfour.clock import SimClock
from tenfour.domain.events import EVENTS
from tests.api.conftest import START, Server
from tests.api.test_live import every_event_type

from .conftest import DESKTOP, PHONE, Site, log_in, start_site, wait_for, watch
from .test_story import assert_folded_state_is_fresh

CLOCK = SimClock(START)
HERE = {"lat": 37.7925893, "lon": -122.3958821}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    # a simulated clock, so the day's timers fire when the test says
    yield from start_site(tmp_path_factory.mktemp("fold"), clock=CLOCK)


def test_the_console_folds_every_event_type_into_a_fresh_snapshot(
    browser: Any, site: Site, errors: list[str]
) -> None:
    site.account("watcher", "supervisor")
    site.account("beat", "officer", member="fangmeyer")
    site.account("numbers", "analyst")
    context = browser.new_context(viewport=DESKTOP)
    page = watch(context.new_page(), errors)
    log_in(page, site, "watcher", "/console")
    phone = browser.new_context(viewport=PHONE)
    mdt = watch(phone.new_page(), errors)
    log_in(mdt, site, "beat", "/mdt")
    reports = browser.new_context(viewport=DESKTOP)
    analyst = watch(reports.new_page(), errors)
    log_in(analyst, site, "numbers", "/console")
    first = page.evaluate("() => window.tenfour.state.seq")
    # the same day's work as the API's own test, through the same running server
    client = TestClient(site.app, client=("198.51.100.9", 50000))
    try:
        every_event_type(Server(client, CLOCK, Path(site.rt.settings.database)))
    finally:
        client.close()
    seen = {e.type for e in site.rt.service.store.read(after=first)}
    # (road closures are another issue's, still on its way to that day's work)
    wanted = {t for t in EVENTS if not t.startswith("road.")}
    assert seen >= wanted, sorted(wanted - seen)
    assert_folded_state_is_fresh(site, page, "watcher")
    wait_for(lambda: page.locator(".alert-row").count() >= 1)  # the timers' alerts
    assert_folded_state_is_fresh(site, mdt, "beat")
    assert mdt.evaluate("() => window.tenfour.state.tips") == {}
    assert_folded_state_is_fresh(site, analyst, "numbers")
    tips = analyst.evaluate("() => Object.values(window.tenfour.state.tips)")
    assert tips and all(t["contact"] is None and t["tracking_code"] is None for t in tips)
    assert errors == []
    context.close()
    phone.close()
    reports.close()


def test_a_lost_connection_resumes_from_its_position(
    browser: Any, site: Site, errors: list[str]
) -> None:
    if "desk2" not in site.tokens:
        site.account("desk2", "dispatcher")
    context = browser.new_context(viewport=DESKTOP)
    page = watch(context.new_page(), errors)
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    log_in(page, site, "desk2", "/console")
    assert sockets and "after=" not in sockets[0]
    position = page.evaluate("() => window.tenfour.state.seq")
    # the connection drops (a proxy, a network blip); work goes on meanwhile
    page.evaluate("() => window.tenfour.feed.socket.close(4000, 'test')")
    made = site.command(
        "desk2", "incident.create", {"type": "NOISE", "priority": 4, "location": HERE}
    )
    page.wait_for_function("() => window.tenfour.feed.socket?.url.includes('after=')")
    assert page.evaluate("() => window.tenfour.feed.socket.url").endswith(
        f"/api/live?after={position}"
    )
    page.locator(f'tr[data-incident="{made[0]["incident"]}"]').wait_for()
    assert page.locator("#conn").get_attribute("data-status") == "live"
    assert_folded_state_is_fresh(site, page, "desk2")
    assert errors == []
    context.close()
