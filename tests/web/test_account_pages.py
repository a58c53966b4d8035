"""The account pages in a real browser: anyone changes their own password (/account);
an administrator sees every account and live session and disables, enables, unlocks
and ends sessions, confirming first (/admin); others get a clear 403 page; and the
login page says when a name is locked, and until when, the same whether or not an
account of that name exists."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx2 as httpx
import pytest

from .conftest import DESKTOP, PASSWORD, PHONE, Site, screenshot, start_site, watch

NEW = "grey heron over the harbour"
LOCKED = re.compile(
    r"Too many failed logins for this username\. Try again at \d\d:\d\d \(in 10 min\)\."
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    # Every browser here logs in from 127.0.0.1: a burst large enough for the module's
    # deliberate failures (the throttle's own page test has a site of its own).
    yield from start_site(tmp_path_factory.mktemp("accounts"), login_burst=100)


def log_in_to(page: Any, site: Site, username: str, wanted: str, password: str = PASSWORD) -> None:
    """Through the login page, asking for `wanted`, as a bookmark would."""
    page.goto(f"{site.url}/login?next={wanted}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()


def settled(page: Any, button_id: str) -> None:
    page.wait_for_function(f"() => !document.getElementById('{button_id}').disabled")


def test_an_officer_changes_his_password_on_the_account_page(
    browser: Any, site: Site, errors: list[str]
) -> None:
    site.rt.accounts.create("judy", "officer", PASSWORD, member="hopps", now=site.rt.now())
    phone_token = httpx.post(
        f"{site.url}/api/login", json={"username": "judy", "password": PASSWORD}
    ).json()["token"]
    context = browser.new_context(viewport=PHONE)
    page = watch(context.new_page(), errors)
    log_in_to(page, site, "judy", "/account")
    page.wait_for_url(f"{site.url}/account")
    page.wait_for_function("() => document.getElementById('me-role').textContent === 'officer'")
    assert page.locator("#me-username").inner_text() == "judy"
    assert page.locator("#me-member").inner_text() == "hopps"
    assert page.get_by_role("link", name="Back to the MDT").get_attribute("href") == "/mdt"
    assert page.locator("#admin-link").is_hidden()
    form = page.locator("#password-form")
    summary = form.locator("[data-errors]")

    def submit(current: str, new: str, again: str) -> None:
        page.get_by_label("Current password").fill(current)
        page.get_by_label("New password", exact=True).fill(new)
        page.get_by_label("New password again").fill(again)
        page.get_by_role("button", name="Change password").click()
        settled(page, "password-submit")

    # the two new ones differ: said next to the second, before asking the server
    submit(PASSWORD, NEW, NEW + "!")
    again = page.get_by_label("New password again")
    assert again.get_attribute("aria-invalid") == "true"
    assert page.locator("#new-password-again-error").inner_text() == (
        "Does not match the new password"
    )
    assert page.evaluate("() => document.activeElement.id") == "new-password-again"
    # a wrong current password: named, emptied, focused
    submit("not my password", NEW, NEW)
    current = page.get_by_label("Current password")
    assert page.locator("#current-password-error").inner_text() == "Is not your current password"
    assert current.input_value() == "" and current.get_attribute("aria-invalid") == "true"
    assert page.evaluate("() => document.activeElement.id") == "current-password"
    # too short: said before asking the server
    submit(PASSWORD, "short", "short")
    assert page.locator("#new-password-error").inner_text() == "At least 12 characters"
    # the policy: a common password is refused, and the reason shown
    submit(PASSWORD, "password1234", "password1234")
    assert (
        page.locator("#new-password-error")
        .inner_text()
        .startswith("Is one of the most common passwords")
    )
    assert summary.inner_text() == "Please correct the marked field."
    screenshot(page, "account-refused.png")
    # a good one: changed, the phone's session is over, this page goes on
    submit(PASSWORD, NEW, NEW)
    done = page.locator("#password-done")
    assert done.inner_text() == (
        "Your password was changed. 1 other session was ended; you are still logged in here."
    )
    assert page.evaluate("() => document.activeElement.id") == "password-done"
    assert summary.is_hidden() and page.locator("[aria-invalid]").count() == 0
    screenshot(page, "account-changed.png")
    stale = httpx.get(f"{site.url}/api/me", headers={"Authorization": f"Bearer {phone_token}"})
    assert stale.status_code == 401
    page.reload()
    page.wait_for_function("() => document.getElementById('me-role').textContent === 'officer'")
    assert page.url.endswith("/account")
    failed = httpx.post(f"{site.url}/api/login", json={"username": "judy", "password": PASSWORD})
    assert failed.status_code == 401
    # and logging out from here works
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login?loggedout=1")
    log_in_to(page, site, "judy", "/account", password=NEW)
    page.wait_for_url(f"{site.url}/account")
    assert errors == []
    context.close()


def _row(page: Any, table: str, username: str) -> Any:
    return page.locator(f"#{table} tbody tr[data-account='{username}']")


def test_an_admin_disables_unlocks_and_ends_sessions_after_confirming(
    browser: Any, site: Site, errors: list[str]
) -> None:
    rt = site.rt
    rt.accounts.create("root", "admin", PASSWORD, now=rt.now())
    rt.accounts.create("fangmeyer", "officer", PASSWORD, member="fangmeyer", now=rt.now())
    fang = httpx.post(
        f"{site.url}/api/login", json={"username": "fangmeyer", "password": PASSWORD}
    ).json()["token"]
    for _ in range(5):  # someone guesses fangmeyer's password from a lost phone
        rt.accounts.authenticate("fangmeyer", "guess", now=rt.now(), source="203.0.113.9")
    context = browser.new_context(viewport=DESKTOP)
    page = watch(context.new_page(), errors)
    log_in_to(page, site, "root", "/admin")
    page.wait_for_url(f"{site.url}/admin")
    page.wait_for_function("() => document.body.dataset.loaded === 'true'")
    row = _row(page, "accounts", "fangmeyer")
    cells = row.locator("th, td").all_inner_texts()
    assert cells[:3] == ["fangmeyer", "officer", "fangmeyer"]
    assert re.fullmatch(r"Locked from 203\.0\.113\.9 until \d{4}-\d\d-\d\d \d\d:\d\d", cells[3])
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", cells[4])  # last login
    assert cells[5] == "1"
    mine = _row(page, "accounts", "root")
    assert mine.get_by_role("button", name="Disable").count() == 0  # never oneself
    assert "(you)" in mine.inner_text()
    sessions = page.locator("#sessions tbody")
    assert sessions.locator("tr[data-account='root']").inner_text().endswith("this one")
    assert sessions.locator("tr[data-account='fangmeyer']").count() == 1
    screenshot(page, "admin.png", full_page=True)

    # Disable asks first; cancelling changes nothing
    row.get_by_role("button", name="Disable fangmeyer").click()
    dialog = page.locator("dialog#confirm")
    dialog.wait_for()
    assert dialog.get_by_role("heading").inner_text() == "Disable fangmeyer?"
    assert "and 1 live session ends now" in dialog.inner_text()
    screenshot(page, "admin-confirm.png")
    dialog.get_by_role("button", name="Cancel").click()
    assert dialog.is_hidden()
    assert page.evaluate("() => document.activeElement.textContent").startswith("Disable")
    assert rt.accounts.status("fangmeyer", now=rt.now()).disabled_at is None  # type: ignore[union-attr]
    # confirmed: disabled, its session ended at once
    row.get_by_role("button", name="Disable fangmeyer").click()
    dialog.get_by_role("button", name="Disable").click()
    message = page.locator("#admin-message")
    message.get_by_text("fangmeyer is disabled; 1 session ended.").wait_for()
    assert "Disabled" in row.locator("td").nth(2).inner_text()
    assert sessions.locator("tr[data-account='fangmeyer']").count() == 0
    assert (
        httpx.get(f"{site.url}/api/me", headers={"Authorization": f"Bearer {fang}"}).status_code
        == 401
    )
    # enabled and unlocked again: it may log in from everywhere
    row.get_by_role("button", name="Enable fangmeyer").click()
    message.get_by_text("fangmeyer may log in again.").wait_for()
    row.get_by_role("button", name="Unlock fangmeyer").click()
    message.get_by_text("fangmeyer is unlocked.").wait_for()
    assert row.locator("td").nth(2).inner_text() == "Active"
    back = httpx.post(f"{site.url}/api/login", json={"username": "fangmeyer", "password": PASSWORD})
    assert back.status_code == 200
    # Revoke sessions asks too, then ends them (the password still works)
    page.get_by_role("button", name="Refresh").click()
    message.get_by_text("Up to date.").wait_for()
    row.get_by_role("button", name="Revoke sessions fangmeyer").click()
    assert "the password still works" in dialog.inner_text()
    dialog.get_by_role("button", name="Revoke sessions").click()
    message.get_by_text("1 session of fangmeyer ended.").wait_for()
    assert sessions.locator("tr[data-account='fangmeyer']").count() == 0
    audits = [(e["outcome"], e["target"]) for e in _journal(site, "audit.account")]
    assert audits[-4:] == [
        ("disabled", "fangmeyer"),
        ("enabled", "fangmeyer"),
        ("unlocked", "fangmeyer"),
        ("sessions_revoked", "fangmeyer"),
    ]
    assert errors == []
    context.close()


def _journal(site: Site, kind: str) -> list[dict[str, Any]]:
    site.rt.service.settle()
    return [e.to_json() for e in site.rt.service.store.read() if e.type == kind]


def test_others_get_a_clear_403_page_and_strangers_the_login(
    browser: Any, site: Site, errors: list[str]
) -> None:
    site.rt.accounts.create("claw", "dispatcher", PASSWORD, now=site.rt.now())
    stranger = httpx.get(f"{site.url}/admin", follow_redirects=False)
    assert stranger.status_code == 303 and stranger.headers["location"] == "/login?next=/admin"
    assert httpx.get(f"{site.url}/account", follow_redirects=False).headers["location"] == (
        "/login?next=/account"
    )
    context = browser.new_context(viewport=DESKTOP)
    page = watch(context.new_page(), errors)
    # a dispatcher asked for /admin: the login sends him to his console instead
    log_in_to(page, site, "claw", "/admin")
    page.wait_for_url(f"{site.url}/console")
    answer = page.goto(f"{site.url}/admin")
    assert answer.status == 403
    assert page.get_by_role("heading", level=1).inner_text() == "Administrators only"
    assert page.get_by_role("link", name="Your account").get_attribute("href") == "/account"
    assert _journal(site, "audit.denied")[-1]["detail"] == "GET /admin needs admin"
    # the browser reports the page's own 403, which is the point here; nothing else
    assert [
        e for e in errors if not e.endswith(f"status of 403 (Forbidden) ({site.url}/admin)")
    ] == []
    context.close()


def tab_to(page: Any, element_id: str, most: int = 8) -> list[str]:
    """Press Tab from the skip link (the page's first stop) until `element_id` has
    focus; the ids passed on the way."""
    page.locator(".skip-link").focus()
    passed = []
    for _ in range(most):
        page.keyboard.press("Tab")
        now: str = page.evaluate("() => document.activeElement.id")
        passed.append(now)
        if now == element_id:
            return passed
    raise AssertionError(f"#{element_id} not reached by Tab: {passed}")


@pytest.mark.parametrize(
    ("role", "page_path"), [("dispatcher", "/console"), ("admin", "/console"), ("officer", "/mdt")]
)
def test_the_console_and_the_mdt_link_to_the_account_page(
    browser: Any, site: Site, errors: list[str], role: str, page_path: str
) -> None:
    """Nothing on the console or the MDT led to /account: a dispatcher or an officer
    could change his password only by typing its address. The console's bar also leads
    an admin to /admin. Each link is a few Tabs from the top, named for what it does;
    on the MDT it is in the bar's menu (one button keeps the bar one row on a phone)."""
    username = f"links-{role}"
    if site.rt.accounts.get(username) is None:
        member = "wilde" if role == "officer" else None
        site.rt.accounts.create(username, role, PASSWORD, member=member, now=site.rt.now())
    context = browser.new_context(viewport=PHONE if page_path == "/mdt" else DESKTOP)
    page = watch(context.new_page(), errors)
    log_in_to(page, site, username, page_path)
    page.wait_for_url(f"{site.url}{page_path}")
    page.locator("#conn[data-status=live]").wait_for()
    account = page.get_by_role("link", name="My account: change password")
    admin = page.get_by_role("link", name="Admin: accounts and sessions")
    # among the first stops in the bar after the skip link (only the sound button, when
    # shown, and the console's messages button come before it)
    first = "menu-button" if page_path == "/mdt" else "account-link"
    path = tab_to(page, first)
    assert path[-1] == first and set(path[:-1]) <= {"sound", "messages-toggle"}, path
    if page_path == "/mdt":
        menu = page.locator("#menu-button")
        assert menu.get_attribute("aria-label") == "Menu: my account, log out"
        assert account.count() == 0  # closed: nothing to tab through on the way down
        page.keyboard.press("Enter")
        account.wait_for()
        page.keyboard.press("Escape")  # closes, back on the menu's button
        account.wait_for(state="hidden")
        assert page.evaluate("() => document.activeElement.id") == "menu-button"
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        screenshot(page, "mdt-menu.png", clip={"x": 0, "y": 0, "width": 390, "height": 260})
    else:
        tab_to(page, "account-link")
    assert page.evaluate("() => document.activeElement.id") == "account-link"
    assert account.get_attribute("href") == "/account"
    if role == "admin":
        assert admin.get_attribute("href") == "/admin"
        assert tab_to(page, "admin-link")[-2:] == ["account-link", "admin-link"]
        tab_to(page, "account-link")
    else:
        assert admin.count() == 0  # not offered where the server would refuse
    page.keyboard.press("Enter")
    page.wait_for_url(f"{site.url}/account")
    page.locator("#password-form").wait_for()
    assert errors == []
    context.close()


def test_the_login_page_says_a_name_is_locked_whether_or_not_it_exists(
    browser: Any, site: Site, errors: list[str]
) -> None:
    site.rt.accounts.create("unlucky", "dispatcher", PASSWORD, now=site.rt.now())
    context = browser.new_context(viewport=DESKTOP)
    page = watch(context.new_page(), errors)
    page.goto(f"{site.url}/login")
    summary = page.locator("#login-form [data-errors]")
    said: dict[str, list[str]] = {}
    for name in ("unlucky", "nobody-by-this-name"):
        page.get_by_label("Username").fill(name)
        said[name] = []
        for attempt in range(6):
            page.get_by_label("Password").fill(f"guess number {attempt}")
            page.get_by_role("button", name="Log in").click()
            settled(page, "login-submit")
            said[name].append(summary.inner_text())
    assert said["unlucky"] == said["nobody-by-this-name"]
    assert all(LOCKED.fullmatch(text) for text in said["unlucky"][4:]), said
    assert summary.get_attribute("role") == "alert"
    screenshot(page, "login-locked.png")
    assert errors == []
    context.close()


@pytest.fixture(scope="module")
def throttled_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from start_site(
        tmp_path_factory.mktemp("throttled"), login_burst=2, login_refill=timedelta(seconds=30)
    )


def test_the_login_page_says_when_this_device_may_try_again(
    browser: Any, throttled_site: Site, errors: list[str]
) -> None:
    context = browser.new_context(viewport=DESKTOP)
    page = watch(context.new_page(), errors)
    page.goto(f"{throttled_site.url}/login")
    summary = page.locator("#login-form [data-errors]")
    for attempt in range(3):
        page.get_by_label("Username").fill(f"someone{attempt}")
        page.get_by_label("Password").fill("guess")
        page.get_by_role("button", name="Log in").click()
        settled(page, "login-submit")
    assert re.fullmatch(
        r"Too many failed logins from this device\. Try again at \d\d:\d\d:\d\d \(in 30 s\)\.",
        summary.inner_text(),
    ), summary.inner_text()
    assert page.evaluate("() => document.activeElement.id") == "password"
    assert errors == []
    context.close()
