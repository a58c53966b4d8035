"""GeoJSON (RFC 7946) of units and open incidents, and its live Server-Sent Events
stream, over the real API (the stream against a real uvicorn server)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2 as httpx

from tenfour.accounts import Passwords, open_accounts
from tenfour.api.app import create_app
from tenfour.api.settings import Settings
from tests.api.conftest import Server, server  # noqa: F401  (the fixture)
from tests.api.live_server import serving

SCENE = {"lat": 37.7925893, "lon": -122.3958821}


def _collection(server: Server, token: str, path: str) -> dict[str, Any]:  # noqa: F811
    answer = server.get(token, path)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/geo+json")
    body: dict[str, Any] = answer.json()
    assert body["type"] == "FeatureCollection"
    for feature in body["features"]:
        assert feature["type"] == "Feature" and feature["geometry"]["type"] == "Point"
    return body


def test_units_and_open_incidents_as_feature_collections(server: Server) -> None:  # noqa: F811
    token = server.account("dee", "dispatcher")
    located = server.command(
        token, "unit.locate", {"unit": "ZPD-3", "lat": 37.781, "lon": -122.411}
    )
    assert located.status_code == 200
    assert server.command(token, "shift.end", {"unit": "ZPD-4"}).status_code == 200
    units = {f["id"]: f for f in _collection(server, token, "/api/geojson/units")["features"]}
    # RFC 7946: longitude first.
    assert units["ZPD-3"]["geometry"]["coordinates"] == [-122.411, 37.781]
    assert units["ZPD-3"]["properties"]["status"] == "available"
    assert "ZPD-4" not in units  # logged off: not on the map

    made = server.command(
        token, "incident.create", {"type": "THEFT", "priority": 3, "location": SCENE}
    )
    incident = made.json()["events"][0]["incident"]
    other = server.command(
        token, "incident.create", {"type": "FIRE", "priority": 1, "location": SCENE}
    )
    closing = other.json()["events"][0]["incident"]
    done = server.command(token, "incident.close", {"incident": closing, "disposition": "NOFIRE"})
    assert done.status_code == 200
    features = _collection(server, token, "/api/geojson/incidents")["features"]
    assert [f["id"] for f in features] == [incident]
    assert features[0]["geometry"]["coordinates"] == [SCENE["lon"], SCENE["lat"]]
    assert features[0]["properties"]["type"] == "THEFT"
    assert "tip" not in features[0]["properties"]

    officer = server.account("judy", "officer", member="hopps")
    assert server.get(officer, "/api/geojson/units").status_code == 200
    server.client.cookies.clear()
    assert server.client.get("/api/geojson/incidents").status_code == 401


def _events(lines: Iterator[str]) -> Iterator[tuple[str, str]]:
    """(event, data) pairs of a Server-Sent Events stream; comments skipped."""
    kind, data = "message", list[str]()
    for line in lines:
        if line == "":
            if data:
                yield kind, "\n".join(data)
            kind, data = "message", []
        elif line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: "):
            data.append(line[6:])


def test_the_stream_sends_the_map_at_once_and_after_each_change(tmp_path: Path) -> None:
    database = tmp_path / "tenfour.db"
    app = create_app(Settings(database=str(database), fast_hashing=True, heartbeat_s=0.5))
    with serving(app) as url:
        with open_accounts(str(database), passwords=Passwords.fast()) as accounts:
            accounts.create("dee", "dispatcher", "a-long-password-1", now=datetime.now(UTC))
        login = httpx.post(
            f"{url}/api/login", json={"username": "dee", "password": "a-long-password-1"}
        )
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        with httpx.stream(
            "GET", f"{url}/api/geojson/stream", headers=headers, timeout=30
        ) as answer:
            assert answer.status_code == 200
            assert answer.headers["content-type"].startswith("text/event-stream")
            events = _events(answer.iter_lines())
            kind, data = next(events)
            assert kind == "features"
            first = json.loads(data)
            assert first["type"] == "FeatureCollection"
            sent = httpx.post(
                f"{url}/api/commands",
                json={"do": "unit.locate", "with": {"unit": "ZPD-7", "lat": 37.77, "lon": -122.42}},
                headers=headers,
            )
            assert sent.status_code == 200, sent.text
            for _kind, data in events:
                units = {f["id"]: f for f in json.loads(data)["features"]}
                if units["ZPD-7"]["geometry"]["coordinates"] == [-122.42, 37.77]:
                    break
            else:  # pragma: no cover - the stream ended first
                raise AssertionError("the stream never showed ZPD-7 move")
        # Without a session there is no stream.
        assert httpx.get(f"{url}/api/geojson/stream", timeout=10).status_code == 401


def test_the_stream_ends_with_the_session(tmp_path: Path) -> None:
    database = tmp_path / "tenfour.db"
    app = create_app(Settings(database=str(database), fast_hashing=True, heartbeat_s=0.3))
    with serving(app) as url:
        with open_accounts(str(database), passwords=Passwords.fast()) as accounts:
            accounts.create("dee", "dispatcher", "a-long-password-1", now=datetime.now(UTC))
        login = httpx.post(
            f"{url}/api/login", json={"username": "dee", "password": "a-long-password-1"}
        )
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        with httpx.stream(
            "GET", f"{url}/api/geojson/stream", headers=headers, timeout=30
        ) as answer:
            events = _events(answer.iter_lines())
            assert next(events)[0] == "features"
            assert httpx.post(f"{url}/api/logout", headers=headers).status_code in (200, 204)
            # (logging out is journaled: the map may be sent once more first)
            last = [event for event, _ in zip(events, range(3), strict=False)][-1]
            assert last == ("end", "the session ended")
