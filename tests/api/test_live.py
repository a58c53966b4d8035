"""The live feed: snapshot + events == a fresh snapshot, for every event type and
every role; resume from a position; resync when the position is too old; heartbeats."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from starlette.websockets import WebSocketDisconnect
from websockets.sync.client import connect

from tenfour.api.app import create_app
from tenfour.api.settings import Settings
from tenfour.domain.events import EVENTS
from tenfour.domain.snapshot import state_from_json, state_to_json
from tenfour.domain.state import evolve
from tenfour.journal.model import ENVELOPE_FIELDS

from .conftest import PASSWORD, ROLES, Server
from .live_server import serving

HERE = {"lat": 37.7925893, "lon": -122.3958821}
FAR = {"lat": 37.8052, "lon": -122.4330}


@dataclass(frozen=True)
class Received:
    """An event as a live client gets it, rebuilt for ``evolve``."""

    seq: int
    type: str
    stream: str
    version: int
    at: str
    by: str
    data: dict[str, Any]

    @classmethod
    def of(cls, row: dict[str, Any]) -> Received:
        data = {k: v for k, v in row.items() if k not in ENVELOPE_FIELDS}
        return cls(
            row["seq"], row["type"], row["stream"], row["version"], row["at"], row["by"], data
        )


def every_event_type(server: Server) -> None:
    """A day's work that journals every event type there is."""
    desk = server.account("claw", "dispatcher")
    judy = server.account("judy", "officer", member="hopps")
    nick = server.account("nick", "officer", member="wilde")
    boss = server.account("chief", "supervisor", member="bogo")
    medic = server.account("medic", "officer", member="medic1")
    admin = server.account("root", "admin")
    server.client.post("/api/login", json={"username": "claw", "password": "wrong"})

    def ok(token: str, do: str, with_: dict[str, Any]) -> list[dict[str, Any]]:
        answer = server.command(token, do, with_)
        assert answer.status_code == 200, (do, answer.text)
        events: list[dict[str, Any]] = answer.json()["events"]
        return events

    ok(admin, "agency.register", {"id": "ZTA", "kind": "police", "name": "Transit"})
    ok(admin, "facility.register", {"id": "JAIL", "kind": "jail", "name": "Jail", "location": FAR})
    ok(admin, "member.register", {"id": "rookie", "name": "Rookie", "agency": "ZTA"})
    ok(admin, "unit.register", {"id": "ZTA-1", "agency": "ZTA", "kind": "patrol"})
    ok(desk, "shift.start", {"unit": "ZTA-1", "members": ["rookie"], "location": FAR})
    ok(desk, "shift.end", {"unit": "ZTA-1"})
    server.client.post("/api/tips", json={"text": "one"})
    server.client.post("/api/tips", json={"text": "two", "location": HERE, "contact": "Flash"})
    tips = server.journal("tip.received")
    ok(desk, "tip.dismiss", {"tip": tips[0]["tip"]})
    incident = ok(desk, "tip.promote", {"tip": tips[1]["tip"], "type": "DRUGS", "priority": 2})[0][
        "incident"
    ]
    ok(desk, "call.create", {"text": "again", "type": "DRUGS", "priority": 2, "location": HERE})
    ok(desk, "incident.unlink", {"incident": incident, "call": "C-000001"})
    ok(desk, "incident.update", {"incident": incident, "priority": 3})
    ok(desk, "incident.note", {"incident": incident, "text": "note"})
    ok(desk, "unit.dispatch", {"incident": incident, "units": ["ZPD-7", "M-51"]})
    ok(judy, "unit.status", {"unit": "ZPD-7", "status": "onscene", "incident": incident})
    ok(judy, "unit.locate", {"unit": "ZPD-7", "lat": 37.7926, "lon": -122.3959})
    ok(nick, "member.locate", {"member": "wilde", "lat": 37.7926, "lon": -122.3959})
    ok(judy, "member.status", {"member": "hopps", "status": "pursuit"})
    ok(judy, "member.checkin", {"member": "hopps"})
    ok(judy, "backup.request", {"incident": incident, "member": "hopps", "urgency": "urgent"})
    subject = ok(
        desk, "subject.add", {"incident": incident, "role": "suspect", "description": "fox"}
    )
    bolo = ok(desk, "bolo.issue", {"subject": subject[0]["subject"], "area": "downtown"})[0]["bolo"]
    ok(desk, "bolo.cancel", {"bolo": bolo})
    ok(
        judy,
        "arrest.record",
        {"incident": incident, "subject": {"id": subject[0]["subject"]}, "charges": ["x"]},
    )
    ok(medic, "unit.status", {"unit": "M-51", "status": "onscene", "incident": incident})
    ok(desk, "facility.status", {"facility": "ZGH", "state": "diversion", "services": ["stroke"]})
    ok(
        medic,
        "transport.start",
        {"unit": "M-51", "patient": {"member": "hopps"}, "destination": "ZGH", "need": "stroke"},
    )
    # Messages both ways, with receipts; the priority one is read only after the
    # timers below have raised its alert.
    urgent = ok(
        desk,
        "message.send",
        {"to": "unit", "unit": "ZPD-7", "text": "call", "priority": "priority"},
    )
    ok(judy, "message.deliver", {"message": urgent[0]["message"]})
    code4 = ok(nick, "message.send", {"to": "dispatch", "canned": "code4"})[0]["message"]
    ok(desk, "message.read", {"message": code4})
    ok(medic, "transport.arrive", {"unit": "M-51"})
    emergency = ok(nick, "emergency.declare", {"member": "hopps", "text": "down"})[0]["emergency"]
    alert = server.journal("alert.raised")[-1]["alert"]
    ok(desk, "alert.acknowledge", {"alert": alert})
    ok(boss, "emergency.clear", {"emergency": emergency})
    # An officer down where no position is known at all, then located by the desk.
    ok(admin, "member.register", {"id": "cadet", "name": "Cadet", "agency": "ZTA"})
    ok(admin, "unit.register", {"id": "ZTA-2", "agency": "ZTA", "kind": "patrol"})
    ok(desk, "shift.start", {"unit": "ZTA-2", "members": ["cadet"]})
    lost = ok(desk, "emergency.declare", {"member": "cadet"})[0]["emergency"]
    ok(desk, "emergency.locate", {"emergency": lost, "location": FAR})
    ok(boss, "emergency.clear", {"emergency": lost})
    server.advance(minutes=15)  # timers fire: overdue checks, unacknowledged dispatches
    ok(judy, "message.read", {"message": urgent[0]["message"]})
    ok(desk, "incident.close", {"incident": incident, "disposition": "ARREST"})
    closure = ok(desk, "road.close", {"street": "Market Street", "reason": "parade"})[0]
    ok(desk, "road.reopen", {"closure": closure["closure"]})
    server.client.post("/api/logout", headers={"Authorization": f"Bearer {boss}"})
    for _ in range(5):
        server.client.post("/api/login", json={"username": "medic", "password": "wrong"})
    for _ in range(6):  # past the burst of failed logins one address may send: throttled
        server.client.post("/api/login", json={"username": "nobody", "password": "wrong"})
    admin_headers = {"Authorization": f"Bearer {admin}"}
    server.client.post("/api/accounts/medic/unlock", headers=admin_headers)  # audit.account
    ok(admin, "incident.create", {"type": "X", "priority": 1, "location": HERE})
    server.command(judy, "incident.close", {"incident": incident, "disposition": "X"})  # denied


def receive_through(ws: Any, position: int) -> list[dict[str, Any]]:
    """The feed's events and ``position`` messages until it has told ``position``."""
    messages = []
    while True:
        message = json.loads(ws.receive_text())
        if message["type"] in ("event", "position"):
            messages.append(message)
            at = message["event"]["seq"] if message["type"] == "event" else message["position"]
            if at >= position:
                return messages


#: Event families each role is not sent (DOMAIN.md roles; tenfour.domain.visibility).
HIDDEN = {
    "officer": ("tip.", "audit."),
    "calltaker": ("audit.",),
    "dispatcher": ("audit.",),
    "supervisor": (),
    "admin": (),
    "analyst": (),
}
MEMBER = {"officer": "fangmeyer"}


def hidden(role: str, event: dict[str, Any]) -> bool:
    """Whether ``role`` (as ``MEMBER[role]``) is not sent this journaled event: a family
    it may not read, or a message it is not a party to (tests/api/test_messages.py
    checks the ones it is)."""
    if event["type"].startswith(HIDDEN[role]):
        return True
    own = role == "officer" and event["type"].startswith("message.")
    return own and MEMBER[role] not in event["parties"]


@pytest.mark.parametrize("role", ROLES)
def test_snapshot_plus_events_equals_a_fresh_snapshot_for_every_event_type(
    server: Server, role: str
) -> None:
    watcher = server.account("watch", role, member=MEMBER.get(role))
    headers = {"Authorization": f"Bearer {watcher}"}
    with server.client.websocket_connect("/api/live", headers=headers) as ws:
        first = json.loads(ws.receive_text())
        assert first["type"] == "snapshot"
        every_event_type(server)
        head = server.rt.service.store.head()
        messages = receive_through(ws, head)
    rows = [m["event"] for m in messages if m["type"] == "event"]
    journal = server.journal()
    assert [r["seq"] for r in rows] == [
        e["seq"] for e in journal if e["seq"] > first["position"] and not hidden(role, e)
    ]
    seen = {r["type"] for r in rows} | {e["type"] for e in journal}
    assert seen >= set(EVENTS), f"not exercised: {sorted(set(EVENTS) - seen)}"
    if role == "analyst":  # tips, without who told or the code to follow them
        tips = [r for r in rows if r["type"] == "tip.received"]
        assert tips and all("contact" not in r and "tracking_code" not in r for r in tips)

    state = state_from_json(first["state"])
    for message in messages:
        if message["type"] == "event":
            evolve(state, Received.of(json.loads(json.dumps(message["event"]))))
        else:  # events this role is not sent: only the position moves on
            state.seq = max(state.seq, message["position"])
    fresh = server.get(watcher, "/api/snapshot").json()
    assert fresh["position"] == head
    assert state_to_json(state) == fresh["state"]


def test_resume_after_a_position_sends_only_what_followed(server: Server) -> None:
    token = server.account("claw", "dispatcher")
    headers = {"Authorization": f"Bearer {token}"}
    position = server.rt.service.store.head()
    server.command(token, "incident.create", {"type": "X", "priority": 3, "location": HERE})
    with server.client.websocket_connect(f"/api/live?after={position}", headers=headers) as ws:
        message = json.loads(ws.receive_text())
        assert message["type"] == "event" and message["event"]["seq"] == position + 1


def test_a_position_too_old_or_ahead_gets_resync_and_a_snapshot(server: Server) -> None:
    token = server.account("claw", "dispatcher")
    headers = {"Authorization": f"Bearer {token}"}
    server.rt.hub.buffer = 3  # type: ignore[attr-defined]
    for query in ("after=0", "after=999999"):
        with server.client.websocket_connect(f"/api/live?{query}", headers=headers) as ws:
            assert json.loads(ws.receive_text())["type"] == "resync"
            snapshot = json.loads(ws.receive_text())
            assert snapshot["type"] == "snapshot"
            assert snapshot["position"] == server.rt.service.store.head()


def test_heartbeats_tell_the_position(server: Server) -> None:
    token = server.account("claw", "dispatcher")
    with server.client.websocket_connect(
        "/api/live", headers={"Authorization": f"Bearer {token}"}
    ) as ws:
        ws.receive_text()  # snapshot
        beat = json.loads(ws.receive_text())
        assert beat["type"] == "heartbeat" and beat["position"] == server.rt.service.store.head()


def test_the_feed_needs_a_session(server: Server) -> None:
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        server.client.websocket_connect("/api/live") as ws,
    ):
        ws.receive_text()
    assert closed.value.code == 4401


def test_a_closed_page_leaves_the_feed_at_once_not_at_the_next_heartbeat(tmp_path: Path) -> None:
    # A feed whose page had closed ran on until its next heartbeat (15 s by default):
    # its slot stayed taken, and stopping the server waited for it. A real server and
    # client: the test client cancels the feed itself, which hid the bug.
    app = create_app(
        Settings(database=str(tmp_path / "tenfour.db"), fast_hashing=True, heartbeat_s=60)
    )
    with serving(app) as url:
        rt = app.state.runtime
        hub: Any = rt.hub
        rt.accounts.create("claw", "dispatcher", PASSWORD, now=rt.now())
        login = httpx.post(f"{url}/api/login", json={"username": "claw", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        with connect(
            url.replace("http://", "ws://") + "/api/live", additional_headers=headers
        ) as ws:
            ws.recv(timeout=5)  # snapshot
            assert hub.open == 1
        deadline = time.monotonic() + 5
        while hub.open and time.monotonic() < deadline:
            time.sleep(0.02)
        assert hub.open == 0, "the feed outlived its page"
