"""Need to know, at the source: what a role may not read never reaches it, neither in
its snapshot, nor on its live feed, nor in a query (ARCHITECTURE.md). And the live
feed itself: it ends with its session, takes no foreign page, and is capped.

Tips' contacts and tracking codes: calltaker, dispatcher, supervisor, admin; an
analyst reads tips without them; an officer reads no tip. Audit events (with the
names typed at the login prompt): supervisor, admin, analyst.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect
from websockets.typing import Origin

from tenfour.api.app import create_app
from tenfour.api.live import origin_allowed
from tenfour.api.settings import Settings
from tenfour.clock import SimClock

from .conftest import START, Server
from .live_server import serving

HERE = {"lat": 37.7925893, "lon": -122.3958821}
CONTACT = "call Finnick at 555-0199"
#: A name typed at the login prompt: an audit event journals it.
PROBE = "mr-big-probe"
HEARTBEAT_S = 0.3


@contextmanager
def running(tmp_path: Path, **options: Any) -> Iterator[Server]:
    clock = SimClock(START)
    database = tmp_path / "tenfour.db"
    settings = Settings(
        database=str(database),
        clock=clock,
        fast_hashing=True,
        heartbeat_s=HEARTBEAT_S,
        **options,
    )
    with TestClient(create_app(settings), client=("198.51.100.7", 50000)) as client:
        yield Server(client, clock, database)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with running(tmp_path) as server:
        yield server


def secrets(server: Server, text: str = "a van behind the bakery") -> str:
    """A tip with a contact and a failed login; returns the tip's tracking code."""
    answer = server.client.post(
        "/api/tips", json={"text": text, "location": HERE, "contact": CONTACT}
    )
    assert answer.is_success, answer.text
    code: str = answer.json()["tracking_code"]
    server.client.post("/api/login", json={"username": PROBE, "password": "wrong"})
    server.rt.service.settle()
    return code


def assert_kept_from(text: str, code: str) -> None:
    for secret in (CONTACT, code, PROBE, '"audit.', '"tip.received"'):
        assert secret not in text, f"{secret!r} reached a role that may not read it"


def feed_until(ws: Any, position: int) -> list[str]:
    """The raw texts of the feed until it has told ``position``."""
    texts = []
    while True:
        text = ws.receive_text()
        texts.append(text)
        message = json.loads(text)
        if message["type"] == "event":
            at = message["event"]["seq"]
        elif message["type"] == "position":
            at = message["position"]
        else:
            continue
        if at >= position:
            return texts


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- what each role reads ------------------------------------------------------------
def test_an_officers_snapshot_and_feed_carry_no_tip_contact_code_or_audit(
    server: Server,
) -> None:
    desk = server.account("claw", "dispatcher")
    judy = server.account("judy", "officer", member="hopps")
    before = secrets(server, "first tip")  # in the snapshot
    assert_kept_from(server.get(judy, "/api/snapshot").text, before)
    with server.client.websocket_connect("/api/live", headers=bearer(judy)) as ws:
        snapshot = ws.receive_text()
        assert_kept_from(snapshot, before)
        assert json.loads(snapshot)["state"]["tips"] == {}
        after = secrets(server, "second tip")  # on the feed
        tips = server.journal("tip.received")
        made = server.command(
            desk, "tip.promote", {"tip": tips[-1]["tip"], "type": "DRUGS", "priority": 2}
        )
        assert made.status_code == 200, made.text
        server.command(judy, "incident.close", {"incident": "x", "disposition": "X"})  # denied
        head = server.rt.service.store.head()
        texts = feed_until(ws, head)
    for text in texts:
        assert_kept_from(text, before)
        assert_kept_from(text, after)
    # the promoted tip's text reaches the officer as its incident's
    created = [json.loads(t)["event"] for t in texts if '"incident.created"' in t]
    assert created and created[0]["text"] == "second tip" and created[0]["tip"]
    # resuming from before the secrets replays them filtered too
    with server.client.websocket_connect("/api/live?after=1", headers=bearer(judy)) as ws:
        for text in feed_until(ws, head):
            assert_kept_from(text, before)
            assert_kept_from(text, after)


def test_an_officer_reads_no_tip_contact_code_or_audit_in_any_query(server: Server) -> None:
    desk = server.account("claw", "dispatcher")
    judy = server.account("judy", "officer", member="hopps")
    code = secrets(server)
    tip = server.journal("tip.received")[-1]["tip"]
    made = server.command(desk, "tip.promote", {"tip": tip, "type": "DRUGS", "priority": 2})
    incident = made.json()["events"][0]["incident"]
    paths = [
        "/api/snapshot",
        "/api/board",
        "/api/incidents?status=all",
        f"/api/incidents/{incident}",
        "/api/units",
        "/api/members",
        "/api/alerts?open_only=false",
        "/api/bolos",
        f"/api/recommendations?incident={incident}",
    ]
    for path in paths:
        answer = server.get(judy, path)
        assert answer.status_code == 200, (path, answer.text)
        assert_kept_from(answer.text, code)
    for path in ("/api/tips", "/api/journal"):
        assert server.get(judy, path).status_code == 403


@pytest.mark.parametrize("role", ["calltaker", "dispatcher"])
def test_tip_desks_read_tips_whole_and_no_audit(server: Server, role: str) -> None:
    token = server.account("desk", role)
    code = secrets(server)
    snapshot = server.get(token, "/api/snapshot").json()["state"]
    (tip,) = snapshot["tips"].values()
    assert tip["contact"] == CONTACT and tip["tracking_code"] == code
    assert snapshot["tips_by_code"] == {code: tip["id"]}
    assert PROBE not in json.dumps(snapshot) and not any(
        s.startswith("audit:") for s in snapshot["versions"]
    )
    assert [t["contact"] for t in server.get(token, "/api/tips").json()] == [CONTACT]
    with server.client.websocket_connect("/api/live?after=0", headers=bearer(token)) as ws:
        texts = feed_until(ws, server.rt.service.store.head())
    assert any(CONTACT in t for t in texts)
    assert not any(PROBE in t or '"audit.' in t for t in texts)


def test_the_journal_leaves_out_what_a_dispatcher_may_not_read_and_reads_on(
    server: Server,
) -> None:
    token = server.account("claw", "dispatcher")
    start = server.rt.service.store.head()
    secrets(server)
    page = server.get(token, f"/api/journal?after={start}").json()
    assert [e["type"] for e in page["events"]] == ["tip.received"]
    assert PROBE not in json.dumps(page)
    assert page["next_after"] == page["head"] == server.rt.service.store.head()
    # a page of nothing this role may read still moves the reader on
    failed = server.journal("audit.login_failed")[-1]["seq"]
    page = server.get(token, f"/api/journal?after={failed - 1}&limit=1").json()
    assert page["events"] == [] and page["next_after"] == failed


def test_an_analyst_reads_audit_and_tips_without_contact_or_code(server: Server) -> None:
    token = server.account("numbers", "analyst")
    code = secrets(server)
    snapshot = server.get(token, "/api/snapshot").text
    tips = server.get(token, "/api/tips").json()
    journal = server.get(token, "/api/journal").json()["events"]
    for text in (snapshot, json.dumps(tips), json.dumps(journal)):
        assert CONTACT not in text and code not in text
    assert [(t["contact"], t["tracking_code"], t["text"]) for t in tips] == [
        (None, None, "a van behind the bakery")
    ]
    assert json.loads(snapshot)["state"]["tips_by_code"] == {}
    assert any(e["type"] == "audit.login_failed" and e["user"] == PROBE for e in journal)


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_supervisors_and_admins_read_everything(server: Server, role: str) -> None:
    token = server.account("boss", role)
    code = secrets(server)
    snapshot = server.get(token, "/api/snapshot").text
    assert CONTACT in snapshot and code in snapshot
    assert any(e.get("user") == PROBE for e in server.get(token, "/api/journal").json()["events"])


# --- the feed ends with its session ----------------------------------------------------
def closed_within(ws: Any, seconds: float) -> WebSocketDisconnect:
    """Read on until the server closes; fail if that takes longer than ``seconds``."""
    began = time.monotonic()
    with pytest.raises(WebSocketDisconnect) as closed:
        while True:
            ws.receive_text()
            assert time.monotonic() - began < seconds, "the feed outlived its session"
    assert time.monotonic() - began < seconds, "the feed outlived its session"
    return closed.value


def test_logging_out_closes_the_open_feed_within_a_heartbeat(server: Server) -> None:
    token = server.account("claw", "dispatcher")
    with server.client.websocket_connect("/api/live", headers=bearer(token)) as ws:
        ws.receive_text()  # snapshot
        assert server.client.post("/api/logout", headers=bearer(token)).status_code == 204
        closed = closed_within(ws, HEARTBEAT_S + 1.0)
    assert closed.code == 4401 and closed.reason == "session ended"


def test_an_expired_session_closes_the_open_feed(server: Server) -> None:
    token = server.account("claw", "dispatcher")
    with server.client.websocket_connect("/api/live", headers=bearer(token)) as ws:
        ws.receive_text()  # snapshot
        ws.receive_text()  # a heartbeat: the session was checked and is fine
        server.advance(minutes=31)
        closed = closed_within(ws, HEARTBEAT_S + 1.0)
    assert closed.code == 4401


def test_an_open_feed_does_not_keep_its_session_alive(server: Server) -> None:
    """Only requests keep a session (the pages report a person's activity): a feed left
    open on an unattended screen, or by a program, ends when the idle time is up."""
    token = server.account("claw", "dispatcher")
    with server.client.websocket_connect("/api/live", headers=bearer(token)) as ws:
        ws.receive_text()  # snapshot
        server.advance(minutes=20)
        for _ in range(3):  # heartbeats (each checks the session) at 20 idle minutes
            assert json.loads(ws.receive_text())["type"] == "heartbeat"
        server.advance(minutes=11)
        closed = closed_within(ws, HEARTBEAT_S + 1.0)
    assert closed.code == 4401


# --- Origin ------------------------------------------------------------------------
def refused(server: Server, path: str, headers: dict[str, str]) -> WebSocketDisconnect:
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        server.client.websocket_connect(path, headers=headers) as ws,
    ):
        ws.receive_text()
    return closed.value


def opens(server: Server, headers: dict[str, str]) -> bool:
    with server.client.websocket_connect("/api/live", headers=headers) as ws:
        return bool(json.loads(ws.receive_text())["type"] == "snapshot")


@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://testserver.evil"])
def test_a_foreign_origin_is_refused(server: Server, origin: str) -> None:
    token = server.account("claw", "dispatcher")
    closed = refused(server, "/api/live", {**bearer(token), "Origin": origin})
    assert closed.code == 4403 and "origin" in closed.reason


def test_same_origin_listed_origins_and_programs_without_origin_are_let_in(
    tmp_path: Path,
) -> None:
    with running(tmp_path, allowed_origins=("https://cad.example.org",)) as server:
        token = server.account("claw", "dispatcher")
        assert opens(server, bearer(token))  # a program: no Origin
        assert opens(server, {**bearer(token), "Origin": "http://testserver"})
        assert opens(server, {**bearer(token), "Origin": "https://cad.example.org"})
        assert refused(server, "/api/live", {**bearer(token), "Origin": "https://x.org"})


@pytest.mark.parametrize(
    ("origin", "host", "allowed"),
    [
        (None, "cad.example.org", True),
        ("http://127.0.0.1:8000", "127.0.0.1:8000", True),
        ("https://CAD.example.org", "cad.example.org", True),
        ("https://cad.example.org", "cad.example.org:443", True),
        ("http://[::1]:8000", "[::1]:8000", True),
        ("https://cad.example.org/", "cad.example.org", True),
        ("http://127.0.0.1:8001", "127.0.0.1:8000", False),
        ("https://cad.example.org.evil.org", "cad.example.org", False),
        ("https://evil.org", "", False),
        ("file://", "cad.example.org", False),
        ("http://cad.example.org:99999", "cad.example.org", False),
    ],
)
def test_which_origins_are_the_servers_own(origin: str | None, host: str, allowed: bool) -> None:
    assert origin_allowed(origin, host, ()) is allowed


# --- caps ----------------------------------------------------------------------------
def test_live_feeds_are_capped_per_session_and_in_total(tmp_path: Path) -> None:
    with running(tmp_path, feed_per_session=2, feed_total=3) as server:
        one = server.account("claw", "dispatcher")
        two = server.account("judy", "officer", member="hopps")
        connect_ = server.client.websocket_connect
        with (
            connect_("/api/live", headers=bearer(one)) as a,
            connect_("/api/live", headers=bearer(one)) as b,
        ):
            a.receive_text(), b.receive_text()
            closed = refused(server, "/api/live", bearer(one))
            assert closed.code == 4429 and "this session" in closed.reason
            with connect_("/api/live", headers=bearer(two)) as c:
                c.receive_text()
                closed = refused(server, "/api/live", bearer(two))
                assert closed.code == 4429 and "server" in closed.reason
        # closed feeds are counted out
        assert opens(server, bearer(one)) and opens(server, bearer(two))


# --- the close codes reach a real client through a real server -------------------------
def test_refusals_reach_a_real_client_as_close_codes(tmp_path: Path) -> None:
    app = create_app(Settings(database=str(tmp_path / "t.db"), fast_hashing=True))
    with serving(app) as url:
        ws_url = url.replace("http://", "ws://") + "/api/live"
        with connect(ws_url) as ws, pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
        evil = Origin("https://evil.example")
        with connect(ws_url, origin=evil) as ws, pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
