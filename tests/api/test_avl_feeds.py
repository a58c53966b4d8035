"""AVL feeds that are not HTTP, against the real thing: OwnTracks over MQTT through
the Mosquitto broker on 127.0.0.1:1883, and NMEA 0183 over a real TCP socket."""

from __future__ import annotations

import json
import secrets
import socket
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest
from fastapi.testclient import TestClient
from paho.mqtt.enums import CallbackAPIVersion

from tenfour.api.app import create_app
from tenfour.api.settings import Settings
from tenfour.clock import SimClock

from .conftest import START, Server

BROKER = ("127.0.0.1", 1883)
HERE = (37.7948573, -122.4014146)


def _broker_up() -> bool:
    try:
        socket.create_connection(BROKER, timeout=1).close()
    except OSError:
        return False
    return True


@pytest.fixture
def feeds(tmp_path: Path) -> Iterator[Server]:
    if not _broker_up():
        pytest.skip("no MQTT broker at 127.0.0.1:1883")
    clock = SimClock(START)
    settings = Settings(
        database=str(tmp_path / "tenfour.db"),
        clock=clock,
        fast_hashing=True,
        heartbeat_s=0.2,
        mqtt=f"mqtt://{BROKER[0]}:{BROKER[1]}",
        nmea_port=0,
    )
    with TestClient(create_app(settings), client=("198.51.100.7", 50000)) as client:
        yield Server(client, clock, tmp_path / "tenfour.db")


def _register(server: Server, token: str, **device: Any) -> None:
    answer = server.client.post(
        "/api/devices", json=device, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 201, answer.text


def _until(check: Callable[[], Any], timeout_s: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def _stats(server: Server, token: str) -> dict[str, Any]:
    answer = server.get(token, "/api/avl/stats")
    devices: dict[str, Any] = answer.json()["devices"]
    return devices


def _publisher() -> paho.Client:
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"test-{secrets.token_hex(4)}")
    client.connect(*BROKER)
    client.loop_start()
    return client


def _subscribed(server: Server) -> None:
    """A message published before the feed subscribed is not for it: wait."""
    feed = server.client.app.state.mqtt_feed  # type: ignore[attr-defined]
    assert feed.subscribed.wait(10), "the feed never subscribed"


def test_an_owntracks_phone_over_mqtt_moves_its_unit(feeds: Server) -> None:
    token = feeds.account("root", "admin")
    user = f"u{secrets.token_hex(4)}"
    _register(feeds, token, id=f"{user}/phone", protocol="owntracks", unit="ZPD-7", secret="s-1")
    publisher = _publisher()
    try:
        _subscribed(feeds)
        topic = f"owntracks/{user}/phone"
        tst = int((START - timedelta(seconds=5)).timestamp())
        location = {"_type": "location", "lat": 37.791, "lon": -122.401, "tst": tst, "vel": 18}
        for message in (
            {"_type": "lwt", "tst": tst},  # ignored
            {"_type": "transition", "event": "enter", "lat": 1, "lon": 1, "tst": tst},
            location,
            {**location, "lat": "bad"},  # malformed: counted, the feed goes on
            {**location, "tst": tst - 60},  # stale
            {**location, "tst": tst + 2, "lat": 37.792},
        ):
            publisher.publish(topic, json.dumps(message), qos=1).wait_for_publish(5)
        publisher.publish(f"owntracks/{user}/stranger", json.dumps(location), qos=1)
        events = _until(
            lambda: len(feeds.journal("unit.located")) >= 2 and feeds.journal("unit.located")
        )
        assert [(e["lat"], e["source"], e["device"]) for e in events] == [
            (37.791, "owntracks", f"{user}/phone"),
            (37.792, "owntracks", f"{user}/phone"),
        ]
        assert events[0]["speed"] == 5.0  # 18 km/h
        stats = _until(lambda: (s := _stats(feeds, token)).get(f"{user}/stranger") and s)
        assert stats[f"{user}/phone"]["accepted"] == 2
        assert stats[f"{user}/phone"]["rejected"] == {"malformed": 1, "stale": 1}
        assert stats[f"{user}/stranger"]["rejected"] == {"unknown_device": 1}
    finally:
        publisher.loop_stop()
        publisher.disconnect()


def _nmea(port: int) -> socket.socket:
    conn = socket.create_connection(("127.0.0.1", port), timeout=5)
    return conn


def _signed(body: str) -> str:
    value = 0
    for char in body[1:]:
        value ^= ord(char)
    return f"{body}*{value:02X}\r\n"


def test_a_vehicle_modem_streams_nmea_over_tcp(feeds: Server) -> None:
    token = feeds.account("root", "admin")
    _register(feeds, token, id="modem-3", protocol="nmea", unit="ZPD-3", secret="modem-pw")
    port = feeds.client.app.state.nmea_port  # type: ignore[attr-defined]
    rmc = _signed("$GPRMC,085950,A,3747.2800,N,12223.9880,W,010.0,090.0,251126,,")
    gga = _signed("$GNGGA,085955,3747.2900,N,12223.9880,W,1,08,0.9,10.0,M,0.0,M,,")
    bad_checksum = rmc[:-4] + ("00" if not rmc.endswith("*00\r\n") else "11") + "\r\n"
    with _nmea(port) as conn:
        conn.sendall(b"ID:modem-3 modem-pw\r\n")
        conn.sendall(rmc.encode())
        conn.sendall(bad_checksum.encode())
        conn.sendall(b"garbage line\r\n")
        conn.sendall(_signed("$GPGSV,3,1,11,03,03,111,00").encode())  # no position: ignored
        conn.sendall(gga.encode())
        events = _until(
            lambda: len(feeds.journal("unit.located")) >= 2 and feeds.journal("unit.located")
        )
    assert [(e["unit"], round(e["lat"], 5), e["source"]) for e in events] == [
        ("ZPD-3", 37.788, "nmea"),
        ("ZPD-3", 37.78817, "nmea"),
    ]
    assert events[0]["speed"] == pytest.approx(5.14, abs=0.01)  # 10 knots
    assert round(events[0]["lon"], 4) == -122.3998
    stats = _until(lambda: (s := _stats(feeds, token)["modem-3"])["rejected"] and s)
    assert stats["accepted"] == 2
    assert stats["rejected"] == {"malformed": 2}
    assert "checksum" in (stats["last_error"] or "") or "not an NMEA" in stats["last_error"]


def test_nmea_unknown_devices_and_wrong_secrets_are_turned_away(feeds: Server) -> None:
    token = feeds.account("root", "admin")
    _register(feeds, token, id="modem-4", protocol="nmea", unit="ZPD-4", secret="right")
    port = feeds.client.app.state.nmea_port  # type: ignore[attr-defined]
    for greeting, answer in (
        (b"ID:nobody\r\n", b"ERR unknown_device"),
        (b"ID:modem-4 wrong\r\n", b"ERR unauthorized"),
        (b"$GPRMC,1,2,3\r\n", b"ERR malformed"),
    ):
        with _nmea(port) as conn:
            conn.sendall(greeting)
            reply = conn.recv(200)
            assert reply.startswith(answer), reply
            assert conn.recv(10) == b""  # and closed
    stats = _stats(feeds, token)
    assert stats["nobody"]["rejected"] == {"unknown_device": 1}
    assert stats["modem-4"]["rejected"] == {"unauthorized": 1}
    assert stats["?"]["rejected"] == {"malformed": 1}
    assert feeds.journal("unit.located") == []
    # The listener is still there for the next modem.
    with _nmea(port) as conn:
        conn.sendall(b"ID:modem-4 right\r\n")
        conn.sendall(_signed("$GPRMC,085950,A,3747.2800,N,12223.9880,W,0.0,0.0,251126,,").encode())
        _until(lambda: feeds.journal("unit.located"))


def test_nmea_lines_too_long_are_refused_and_counted(feeds: Server) -> None:
    token = feeds.account("root", "admin")
    _register(feeds, token, id="modem-5", protocol="nmea", unit="ZPD-5")
    port = feeds.client.app.state.nmea_port  # type: ignore[attr-defined]
    with _nmea(port) as conn:
        conn.sendall(b"ID:modem-5\r\n" + b"$" + b"A" * 5000 + b"\r\n")
        assert conn.recv(200).startswith(b"ERR malformed: a line over 512 bytes")
    assert _stats(feeds, token)["modem-5"]["rejected"] == {"malformed": 1}
