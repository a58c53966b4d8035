"""The login page keeps the server's rules: five wrong passwords lock the account (from
that place) and the page says so, with when to try again (a name with no account is
answered the same: tests/web/test_account_pages.py), and a session unused for the idle
time ends (the page goes back to the login and says so)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from .conftest import DESKTOP, PASSWORD, Site, log_in, start_site, watch

IDLE_S = 3
REFUSED = "Wrong username or password, or too many failed logins (then wait 10 min)."
LOCKED = re.compile(
    r"Too many failed logins for this username\. Try again at \d\d:\d\d \(in 10 min\)\."
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from start_site(tmp_path_factory.mktemp("login"), session_idle=timedelta(seconds=IDLE_S))


def test_five_wrong_passwords_lock_the_account(browser: Any, site: Site, errors: list[str]) -> None:
    site.rt.accounts.create("unlucky", "dispatcher", PASSWORD, now=site.rt.now())
    context = browser.new_context(viewport=DESKTOP)
    page = watch(context.new_page(), errors)
    page.goto(f"{site.url}/login")
    summary = page.locator("#login-form [data-errors]")
    page.get_by_label("Username").fill("unlucky")
    for attempt in range(5):
        page.get_by_label("Password").fill(f"guess number {attempt}")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_function("() => !document.getElementById('login-submit').disabled")
        if attempt < 4:
            assert summary.inner_text() == REFUSED
    # the fifth locks it, and the page says so and when to try again
    assert LOCKED.fullmatch(summary.inner_text()), summary.inner_text()
    # the right password no longer opens it: still locked
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_function("() => !document.getElementById('login-submit').disabled")
    assert LOCKED.fullmatch(summary.inner_text()), summary.inner_text()
    assert page.locator("#login-form [data-errors]").is_visible()
    browser_source = "127.0.0.1"  # locked out from there (the lock is per source)
    outcome = site.rt.accounts.authenticate(
        "unlucky", PASSWORD, now=site.rt.now(), source=browser_source
    )
    assert outcome.reason == "locked"
    assert summary.get_attribute("role") == "alert"
    assert page.url.endswith("/login")
    assert errors == []
    context.close()


def test_an_idle_session_ends_and_the_page_says_so(
    browser: Any, site: Site, errors: list[str]
) -> None:
    site.rt.accounts.create("sleepy", "dispatcher", PASSWORD, now=site.rt.now())
    context = browser.new_context(viewport=DESKTOP)
    page = watch(context.new_page(), errors)
    log_in(page, site, "sleepy", "/console")
    started = time.monotonic()
    # nobody touches anything: the console goes back to the login by itself
    page.wait_for_url("**/login?next=%2Fconsole&expired=1", timeout=15_000)
    assert time.monotonic() - started >= IDLE_S - 0.5
    message = page.locator("#login-message")
    message.wait_for()
    assert message.inner_text() == (
        "Your session ended: it was not used for too long. Please log in again."
    )
    # and the server agrees: the old cookie opens nothing
    page.goto(f"{site.url}/console")
    assert page.url.endswith("/login?next=/console&expired=1")
    # logging in again goes back to the console
    page.get_by_label("Username").fill("sleepy")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/console")
    assert errors == []
    context.close()
