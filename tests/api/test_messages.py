"""Messages over the API: need to know in the snapshot and the live feed (an officer
gets the messages he is a party to, and nothing of the others, not even their stream
versions), the canned messages and hospital services in the vocabulary, and refusals
that name the field."""

from __future__ import annotations

import json
from typing import Any

from tests.api.conftest import Server
from tests.api.test_live import receive_through


def _send(server: Server, token: str, with_: dict[str, Any]) -> dict[str, Any]:
    answer = server.command(token, "message.send", with_)
    assert answer.status_code == 200, answer.text
    sent: dict[str, Any] = answer.json()["events"][0]
    return sent


def test_an_officer_is_sent_his_own_messages_only(server: Server) -> None:
    desk = server.account("claw", "dispatcher")
    judy = server.account("judy", "officer", member="hopps")  # ZPD-7
    headers = {"Authorization": f"Bearer {judy}"}
    with server.client.websocket_connect("/api/live", headers=headers) as ws:
        assert json.loads(ws.receive_text())["type"] == "snapshot"
        mine = _send(server, desk, {"to": "unit", "unit": "ZPD-7", "text": "for ZPD-7"})
        other = _send(server, desk, {"to": "unit", "unit": "ZPD-3", "text": "for ZPD-3"})
        everyone = _send(server, desk, {"to": "all", "canned": "code4"})
        received = receive_through(ws, server.rt.service.store.head())
    events = [m["event"] for m in received if m["type"] == "event"]
    assert [e["message"] for e in events if e["type"] == "message.sent"] == [
        mine["message"],
        everyone["message"],
    ]
    assert other["message"] not in json.dumps(received)

    state = server.get(judy, "/api/snapshot").json()["state"]
    assert sorted(state["messages"]) == sorted([mine["message"], everyone["message"]])
    assert f"message:{other['message']}" not in state["versions"]
    desk_state = server.get(desk, "/api/snapshot").json()["state"]
    assert len(desk_state["messages"]) == 3


def test_the_vocabulary_offers_canned_messages_and_hospital_services(server: Server) -> None:
    judy = server.account("judy", "officer", member="hopps")
    vocabulary = server.get(judy, "/api/vocabulary").json()
    assert vocabulary["canned_messages"]["code4"].startswith("Code 4")
    assert vocabulary["canned_messages"]["supervisor"] == "Need a supervisor"
    assert "trauma" in vocabulary["services"] and "stroke" in vocabulary["services"]
    assert {"message.send", "message.deliver", "message.read"} <= set(vocabulary["commands"])
    assert "facility.status" not in vocabulary["commands"]


def test_refusals_name_the_field(server: Server) -> None:
    desk = server.account("claw", "dispatcher")
    judy = server.account("judy", "officer", member="hopps")
    answer = server.command(judy, "message.send", {"to": "all", "text": "hi"})
    assert answer.status_code == 422
    assert answer.json()["error"]["problems"][0]["allowed"] == ["dispatch"]
    answer = server.command(desk, "message.send", {"to": "unit", "unit": "ZPD-99", "text": "x"})
    assert answer.status_code == 404
    assert answer.json()["error"]["problems"][0]["field"] == "with.unit"
    answer = server.command(desk, "facility.status", {"facility": "ZGH", "state": "diversion"})
    assert answer.status_code == 422
    assert "services" in answer.json()["error"]["problems"][0]["reason"]
    answer = server.command(judy, "facility.status", {"facility": "ZGH", "state": "closed"})
    assert answer.status_code == 403
