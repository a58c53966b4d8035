"""The pages in a real browser: headless Chromium (Debian's) driven by Playwright,
against a real uvicorn server with the demo city, one server per test module.

Without /usr/bin/chromium the browser tests skip, unless CI is set: then they fail,
so a CI machine that lost its browser cannot pass by skipping.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from fastapi import FastAPI

from tenfour.api.app import create_app
from tenfour.api.context import Runtime
from tenfour.api.settings import Settings
from tests.api.live_server import serving

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # the console's alarm must sound without a click first, as on a dispatch desk
    "--autoplay-policy=no-user-gesture-required",
]
PASSWORD = "correct horse battery staple"
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "out" / "screenshots"
#: A desk screen and a phone.
DESKTOP = {"width": 1600, "height": 900}
PHONE = {"width": 390, "height": 844}
#: Where ZPD-7 (hopps and wilde) starts its shift in the demo city.
ZPD7_HOME = {"latitude": 37.7948573, "longitude": -122.4014146}


def _playwright() -> Any:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - depends on the machine
        if os.environ.get("CI"):
            raise
        pytest.skip("playwright is not installed (pip install playwright)")
    return sync_playwright


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: CI must install Debian's chromium")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium) and CI is not set")
    sync_playwright = _playwright()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Site:
    """A running server and what the tests need of it."""

    url: str
    app: FastAPI
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def rt(self) -> Runtime:
        rt: Runtime = self.app.state.runtime
        return rt

    def account(self, username: str, role: str, member: str | None = None) -> str:
        """Create an account (as ``tenfour user add`` would) and return a bearer token."""
        self.rt.accounts.create(username, role, PASSWORD, member=member, now=self.rt.now())
        answer = httpx.post(
            f"{self.url}/api/login", json={"username": username, "password": PASSWORD}
        )
        answer.raise_for_status()
        token: str = answer.json()["token"]
        self.tokens[username] = token
        return token

    def get(self, username: str, path: str) -> Any:
        answer = httpx.get(
            f"{self.url}{path}", headers={"Authorization": f"Bearer {self.tokens[username]}"}
        )
        answer.raise_for_status()
        return answer.json()

    def command(self, username: str, do: str, with_: dict[str, Any]) -> list[dict[str, Any]]:
        answer = httpx.post(
            f"{self.url}/api/commands",
            json={"do": do, "with": with_},
            headers={"Authorization": f"Bearer {self.tokens[username]}"},
        )
        assert answer.status_code == 200, answer.text
        events: list[dict[str, Any]] = answer.json()["events"]
        return events


def eta_text(seconds: float) -> str:
    """A drive time as the pages write it (format.js ``eta``: ``Math.round``, which
    rounds halves up where Python's ``round`` rounds them to even)."""
    minutes, rest = divmod(math.floor(seconds + 0.5), 60)
    if not minutes:
        return f"{rest} s"
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"


def start_site(tmp: Path, **settings: Any) -> Iterator[Site]:
    app = create_app(Settings(database=str(tmp / "tenfour.db"), fast_hashing=True, **settings))
    with serving(app) as url:
        yield Site(url, app)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from start_site(tmp_path_factory.mktemp("web"))


def log_in(page: Any, site: Site, username: str, landing: str) -> None:
    """Log in through the login page, as a person would."""
    page.goto(f"{site.url}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{landing}")
    page.wait_for_function("() => window.tenfour && window.tenfour.state")


def logged_in(browser: Any, site: Site, username: str, landing: str, **options: Any) -> Any:
    """A page in a browser context of its own (Playwright's ``options``; a desk screen
    unless they say otherwise), logged in as ``username`` and arrived at ``landing``.
    The caller closes ``page.context`` when done."""
    context = browser.new_context(**{"viewport": DESKTOP, **options})
    page = context.new_page()
    log_in(page, site, username, landing)
    return page


#: An officer's phone: small, touch, and allowed to tell the MDT where it is.
PHONE_CONTEXT: dict[str, Any] = {
    "viewport": PHONE,
    "is_mobile": True,
    "has_touch": True,
    "permissions": ["geolocation"],
}


def phone(browser: Any, site: Site, username: str, where: dict[str, float]) -> Any:
    """``username``'s MDT on a phone standing at ``where`` (latitude, longitude)."""
    return logged_in(browser, site, username, "/mdt", **PHONE_CONTEXT, geolocation=where)


def journal(site: Site, type_: str) -> list[dict[str, Any]]:
    """The data of every committed event of ``type_``, once reactions have settled."""
    site.rt.service.settle()
    return [dict(e.data) for e in site.rt.service.store.read() if e.type == type_]


def journal_events(site: Site, type_: str) -> list[dict[str, Any]]:
    """Every committed event of ``type_`` as exported (``to_json``: its data and
    envelope in one flat object), once reactions have settled."""
    site.rt.service.settle()
    return [e.to_json() for e in site.rt.service.store.read() if e.type == type_]


def run(page: Any, text: str) -> str:
    """Type ``text`` into the console's command line, press Enter, and return what the
    result line says about it (cleared first, so an earlier answer is never read)."""
    line = page.locator("#command")
    result = page.locator("#command-result")
    result.evaluate("n => { n.textContent = ''; n.dataset.kind = ''; }")
    line.fill(text)
    line.press("Enter")
    wait_for(lambda: result.get_attribute("data-kind") in ("ok", "error", "info"))
    said: str = result.inner_text()
    return said


def screenshot(page: Any, name: str, **options: Any) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), **options)
    return path


def map_ready(page: Any) -> None:
    """Wait until the console's map has loaded its roads and drawn once."""
    page.wait_for_function("() => document.querySelector('#map').dataset.ready === 'true'")


def drawn_facility(page: Any, facility: str = "ZGH") -> dict[str, Any] | None:
    """A facility as the console's map last drew it (id, x, y, status, text), after a
    fresh frame; None while it is not drawn."""
    drawn: dict[str, Any] | None = page.evaluate(
        """id => new Promise(done => {
          const map = window.tenfour.map;
          map.request();
          requestAnimationFrame(() => requestAnimationFrame(() => done(
            (map.drawnFacilities || []).find(f => f.id === id) || null)));
        })""",
        facility,
    )
    return drawn


def wait_for(check: Callable[[], Any], timeout: float = 10.0, every: float = 0.05) -> Any:
    """Poll ``check`` until it returns something true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting after {timeout} s (last: {value!r})")
        time.sleep(every)


@pytest.fixture
def errors() -> list[str]:
    """JavaScript errors seen by pages that ``watch`` them (a test asserts none)."""
    return []


def watch(page: Any, errors: list[str]) -> Any:
    """Collect the page's JavaScript errors. An API's 4xx answer is part of a test (a
    wrong password, a refused command); the browser reports it, and it is left out."""

    def on_console(message: Any) -> None:
        if message.type != "error":
            return
        source = (message.location or {}).get("url", "")
        if "Failed to load resource" in message.text and "/api/" in source:
            return
        errors.append(f"{page.url}: {message.text} ({source})")

    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
    page.on("console", on_console)
    return page
