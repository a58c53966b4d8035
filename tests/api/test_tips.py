"""The public tip line: no account, a tracking code, a rate limit, and privacy."""

from __future__ import annotations

import sqlite3

from .conftest import Server

AGENT = "TipsterPhone/1.0 (unique-agent-7781)"


def test_an_anonymous_tip_gets_a_code_and_only_its_status(server: Server) -> None:
    answer = server.client.post("/api/tips", json={"text": "Suspicious van"})
    assert answer.status_code == 201
    code = answer.json()["tracking_code"]
    assert server.client.get(f"/api/tips/{code}").json() == {"status": "received"}
    assert server.client.get("/api/tips/ZZZZ-ZZZZ-ZZZZ").status_code == 404


def test_the_receipt_says_whether_the_place_was_found(server: Server) -> None:
    # A tip whose place the map does not know is still received (its words kept for a
    # call-taker); the tipster is told so rather than left to think it was placed.
    def placed(location: object) -> object:
        body = {"text": "Loud bang", **({"location": location} if location else {})}
        answer = server.client.post("/api/tips", json=body)
        assert answer.status_code == 201, answer.text
        return answer.json()["placed"]

    assert placed(None) is None
    assert placed({"address": "Main Street & Mission Street"}) is True
    assert placed({"address": "Nowhere Street & Neverland Avenue"}) is False
    assert placed({"lat": 0.0, "lon": 0.0}) is False


def test_tips_are_rate_limited_per_address(server: Server) -> None:
    limit = server.rt.settings.tips_per_window
    codes = [
        server.client.post("/api/tips", json={"text": f"tip {i}"}).status_code
        for i in range(limit + 1)
    ]
    assert codes == [201] * limit + [429]
    server.advance(minutes=11)
    assert server.client.post("/api/tips", json={"text": "later"}).status_code == 201


def test_no_address_or_header_of_a_tipster_is_stored(server: Server) -> None:
    headers = {
        "User-Agent": AGENT,
        "X-Forwarded-For": "203.0.113.99",
        "Referer": "https://x.example/unique-ref",
    }
    assert (
        server.client.post("/api/tips", json={"text": "I saw it"}, headers=headers).status_code
        == 201
    )
    tip = server.journal("tip.received")[-1]
    assert tip["by"] == "public" and tip["anonymous"] is True
    # Nothing anywhere in the database file (journal, accounts, WAL) names the sender.
    with sqlite3.connect(server.database) as db:
        dump = "\n".join(db.iterdump())
    for secret in ("198.51.100.7", "203.0.113.99", "unique-agent-7781", "unique-ref"):
        assert secret not in dump
    for path in server.database.parent.iterdir():
        assert b"198.51.100.7" not in path.read_bytes(), path


def test_a_bad_tip_names_the_field(server: Server) -> None:
    answer = server.client.post("/api/tips", json={"text": ""})
    assert answer.status_code == 422
    assert answer.json()["error"]["problems"][0]["field"] == "text"
    answer = server.client.post("/api/tips", json={"text": "x", "location": {"lat": 91, "lon": 0}})
    assert answer.status_code == 422
    assert answer.json()["error"]["problems"][0]["field"].startswith("location")
