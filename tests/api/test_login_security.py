"""Logins under attack (issue 10): throttled per source, locked per (account, source)
before the whole account, every refusal alike; sessions' absolute lifetime; Secure
cookies; nosniff on every answer; /docs with no third-party script."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tenfour.api.app import create_app
from tenfour.api.settings import Settings
from tenfour.api.web import CSP
from tenfour.clock import SimClock

from .conftest import PASSWORD, START, Server

REFUSED = "wrong username or password, or too many failed logins (then wait 10 min)"
HOME = "198.51.100.7"  # the server fixture's client address


def login(client: TestClient, username: str, password: str) -> Any:
    return client.post("/api/login", json={"username": username, "password": password})


def from_address(server: Server, address: str) -> TestClient:
    """Another client of the same running server, from another address."""
    return TestClient(server.client.app, client=(address, 40000))


def test_unknown_wrong_locked_and_disabled_are_answered_alike(server: Server) -> None:
    now = server.clock.now()
    for name in ("claw", "locked", "off"):
        server.rt.accounts.create(name, "dispatcher", PASSWORD, now=now)
    server.rt.accounts.disable("off", now=now)
    attacker = from_address(server, "203.0.113.5")
    prober = from_address(server, "203.0.113.6")
    for _ in range(5):
        login(attacker, "locked", "nope")
        login(prober, "ghost", "nope")  # no such account
    answers = [
        login(server.client, "nobody", PASSWORD),
        login(server.client, "claw", "wrong password"),
        login(server.client, "off", PASSWORD),
    ]
    assert [a.status_code for a in answers] == [401] * 3
    assert {a.json()["error"]["message"] for a in answers} == {REFUSED}
    assert {a.json()["error"]["code"] for a in answers} == {"unauthenticated"}
    outcomes = [e["outcome"] for e in server.journal("audit.login_failed")[-3:]]
    assert outcomes == ["unknown_user", "bad_password", "disabled"]
    # A locked account is told so, and so is a name with no account after as many
    # failures: the same answer, so the lock tells nothing either (api.lockout).
    locked = [login(attacker, "locked", PASSWORD), login(prober, "ghost", PASSWORD)]
    assert [a.status_code for a in locked] == [401] * 2
    assert locked[0].json() == locked[1].json()
    assert locked[0].headers["retry-after"] == locked[1].headers["retry-after"] == "600"
    assert [e["outcome"] for e in server.journal("audit.login_failed")[-2:]] == [
        "locked",
        "unknown_user",
    ]


def test_one_source_cannot_lock_a_dispatcher_out(server: Server) -> None:
    server.rt.accounts.create("claw", "dispatcher", PASSWORD, now=server.clock.now())
    attacker = from_address(server, "203.0.113.5")
    for _ in range(8):
        assert login(attacker, "claw", "guess").status_code == 401
    [locked] = server.journal("audit.locked")
    assert locked["outcome"].startswith("locked from 203.0.113.5 until")
    assert login(attacker, "claw", PASSWORD).status_code == 401  # that source is out
    assert login(server.client, "claw", PASSWORD).status_code == 200  # the console is not


def test_failures_from_three_sources_lock_the_account_for_everyone(server: Server) -> None:
    server.rt.accounts.create("claw", "dispatcher", PASSWORD, now=server.clock.now())
    for n in range(3):
        attacker = from_address(server, f"203.0.113.{n + 1}")
        for _ in range(5):
            login(attacker, "claw", "guess")
    assert server.journal("audit.locked")[-1]["outcome"].startswith("locked everywhere until")
    assert login(server.client, "claw", PASSWORD).status_code == 401
    server.advance(minutes=10)
    assert login(server.client, "claw", PASSWORD).status_code == 200


def test_failed_logins_are_throttled_per_source_before_any_hashing(server: Server) -> None:
    server.rt.accounts.create("claw", "dispatcher", PASSWORD, now=server.clock.now())
    checked = 0
    authenticate = server.rt.accounts.authenticate

    def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal checked
        checked += 1
        return authenticate(*args, **kwargs)

    server.rt.accounts.authenticate = counting  # type: ignore[method-assign]
    codes = [login(server.client, f"user{n}", "guess").status_code for n in range(13)]
    assert codes == [401] * 10 + [429] * 3
    assert checked == 10  # the refused ones cost no password check at all
    refused = login(server.client, "claw", PASSWORD)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "6"
    assert refused.json()["error"]["message"].startswith("too many failed logins from here")
    [throttled] = server.journal("audit.throttled")  # once, not once per refusal
    assert throttled["source"] == HOME
    # Another address is not held up, and the first one gets a token back in 6 s.
    assert login(from_address(server, "203.0.113.9"), "claw", PASSWORD).status_code == 200
    server.advance(seconds=6)
    assert login(server.client, "claw", PASSWORD).status_code == 200


def test_a_whole_shift_logging_in_from_one_address_is_not_throttled(server: Server) -> None:
    for n in range(30):
        server.rt.accounts.create(f"desk{n}", "dispatcher", PASSWORD, now=server.clock.now())
    assert all(login(server.client, f"desk{n}", PASSWORD).status_code == 200 for n in range(30))


def test_a_session_ends_twelve_hours_after_login_however_busy(server: Server) -> None:
    token = server.account("claw", "dispatcher")
    for _ in range(36):  # used every 20 minutes, for 12 hours
        server.advance(minutes=20)
        assert server.get(token, "/api/me").status_code == 200
    server.advance(seconds=1)
    assert server.get(token, "/api/me").status_code == 401


def test_the_cookie_lives_as_long_as_a_session_may(server: Server) -> None:
    server.rt.accounts.create("claw", "dispatcher", PASSWORD, now=server.clock.now())
    cookie = login(server.client, "claw", PASSWORD).headers["set-cookie"].lower()
    assert "max-age=43200" in cookie


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[Any]:
    clients: list[TestClient] = []

    def make(
        base_url: str = "http://testserver", peer: str = "testclient", **settings: Any
    ) -> TestClient:
        app = create_app(
            Settings(
                database=str(tmp_path / f"t{len(clients)}.db"),
                clock=SimClock(START),
                fast_hashing=True,
                **settings,
            )
        )
        client = TestClient(app, base_url=base_url, client=(peer, 50000))
        client.__enter__()
        clients.append(client)
        client.app.state.runtime.accounts.create(  # type: ignore[attr-defined]
            "claw", "dispatcher", PASSWORD, now=START
        )
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.mark.parametrize(
    ("base_url", "setting", "secure"),
    [
        ("http://testserver", None, False),  # http://127.0.0.1 development
        ("https://testserver", None, True),  # served over TLS: Secure by default
        ("http://testserver", True, True),  # --secure-cookies
        ("https://testserver", False, False),  # --no-secure-cookies
    ],
)
def test_secure_cookies(
    make_server: Any, base_url: str, setting: bool | None, secure: bool
) -> None:
    client = make_server(base_url, secure_cookies=setting)
    cookie = login(client, "claw", PASSWORD).headers["set-cookie"].lower()
    assert ("; secure" in cookie) is secure


@pytest.mark.parametrize(("peer", "secure"), [("10.0.0.7", True), ("203.0.113.5", False)])
def test_secure_cookies_behind_a_trusted_proxy_that_says_https(
    make_server: Any, peer: str, secure: bool
) -> None:
    client = make_server(peer=peer, trusted_proxies=("10.0.0.0/8",))
    answer = client.post(
        "/api/login",
        json={"username": "claw", "password": PASSWORD},
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.9"},
    )
    assert ("; secure" in answer.headers["set-cookie"].lower()) is secure


def test_every_answer_says_nosniff(server: Server) -> None:
    token = server.account("claw", "dispatcher")
    answers = [
        server.client.get("/api/health"),
        server.client.get("/api/board"),  # 401
        server.get(token, "/api/board"),
        server.get(token, "/api/nothing-here"),  # 404
        server.client.post("/api/login", json={"username": 3}),  # 422
        server.client.get("/login"),
        server.client.get("/static/css/tenfour.css"),
        server.client.get("/openapi.json"),
        server.client.get("/docs"),
    ]
    for answer in answers:
        assert answer.headers.get("x-content-type-options") == "nosniff", answer.request.url
        assert answer.headers.get_list("x-content-type-options") == ["nosniff"]


def test_a_crash_is_answered_with_nosniff_too(server: Server) -> None:
    def boom() -> None:
        raise RuntimeError("boom")

    server.client.app.add_api_route("/api/boom", boom)  # type: ignore[attr-defined]
    client = TestClient(server.client.app, raise_server_exceptions=False)
    answer = client.get("/api/boom")
    assert answer.status_code == 500
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.json()["error"]["code"] == "error"


def test_docs_need_no_third_party_script(server: Server) -> None:
    page = server.client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == CSP
    assert "<script>" not in page.text and "style=" not in page.text  # nothing inline
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/") and not s.startswith("//") for s in sources)
    for source in sources:
        asset = server.client.get(source)
        assert asset.status_code == 200, source
        kind = asset.headers["content-type"].split(";")[0]
        assert kind in ("text/css", "text/javascript", "image/svg+xml")
    bundle = server.client.get("/docs/swagger-ui-bundle.js")
    assert "SwaggerUIBundle" in bundle.text
    assert "cdn.jsdelivr" not in server.client.get("/docs/init.js").text
    assert server.client.get("/docs/../../app.py").status_code == 404
    assert server.client.get("/docs/index.html").status_code == 404
    assert server.client.get("/redoc").status_code == 404
    assert server.client.get("/openapi.json").json()["info"]["title"] == "Ten-Four CAD"


def test_the_demo_printout_says_how_to_change_a_password(capsys: Any) -> None:
    from tenfour.api.app import _announce

    _announce({"hopps": "k7qm-x4tr-9hwa-pc3e"})
    printed = capsys.readouterr().out
    assert "  hopps        k7qm-x4tr-9hwa-pc3e" in printed
    assert "tenfour user passwd NAME" in printed
