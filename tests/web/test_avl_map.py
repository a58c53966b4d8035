"""A unit's marker moving on the console as an OwnTracks phone publishes over MQTT:
the real Mosquitto broker on 127.0.0.1:1883, a real server subscribed to it, and the
console in Chromium. Each point the phone publishes must reach the map (drawn there,
fresh) and the journal (``unit.located`` with ``source: owntracks``), in order.

The topic's user is new on every run, so runs side by side on one broker do not see
each other's positions."""

from __future__ import annotations

import json
import secrets
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from .conftest import DESKTOP, Site, log_in, map_ready, screenshot, start_site, wait_for, watch

BROKER = ("127.0.0.1", 1883)
#: ZPD-7 drives south-east from where it logs on (37.7948573, -122.4014146), about
#: 110 m a leg, down towards the Embarcadero.
PATH = [(37.7941, -122.4005), (37.7933, -122.3996), (37.7925, -122.3987), (37.7917, -122.3978)]


def _broker_up() -> bool:
    try:
        socket.create_connection(BROKER, timeout=1).close()
    except OSError:
        return False
    return True


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    if not _broker_up():
        pytest.skip("no MQTT broker at 127.0.0.1:1883 (apt-get install mosquitto)")
    tmp: Path = tmp_path_factory.mktemp("avl-map")
    yield from start_site(tmp, mqtt=f"mqtt://{BROKER[0]}:{BROKER[1]}")


@pytest.fixture
def phone() -> Iterator[paho.Client]:
    """An OwnTracks client's connection to the broker."""
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"phone-{secrets.token_hex(6)}")
    client.connect(*BROKER)
    client.loop_start()
    try:
        yield client
    finally:
        client.loop_stop()
        client.disconnect()


def _marker(page: Any, unit: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = page.evaluate(
        "unit => window.tenfour.map.markerPosition(unit)", unit
    )
    return found


def _on_screen(page: Any, lat: float, lon: float) -> dict[str, float]:
    """Where the map's current view puts a point, and the canvas's size: the view may
    change between two looks (a resize, a fit), so a marker is judged against the view
    it was drawn in."""
    found: dict[str, float] = page.evaluate(
        """([lat, lon]) => {
          const map = window.tenfour.map;
          const [x, y] = map.project(lat, lon);
          return {x, y, width: map.width, height: map.height};
        }""",
        [lat, lon],
    )
    return found


def _located(site: Site) -> list[dict[str, Any]]:
    site.rt.service.settle()
    return [dict(e.data) for e in site.rt.service.store.read() if e.type == "unit.located"]


def test_a_units_marker_follows_its_owntracks_phone_over_mqtt(
    browser: Any, site: Site, phone: paho.Client, errors: list[str]
) -> None:
    user = f"hopps{secrets.token_hex(4)}"
    device = f"{user}/phone"
    admin = site.account("avl-admin", "admin")
    answer = httpx.post(
        f"{site.url}/api/devices",
        json={"id": device, "protocol": "owntracks", "unit": "ZPD-7", "secret": "phone-pw-1"},
        headers={"Authorization": f"Bearer {admin}"},
    )
    assert answer.status_code == 201, answer.text
    # A message published before the server subscribed would be lost to it.
    assert site.app.state.mqtt_feed.subscribed.wait(10), "the server never subscribed"

    site.account("avl-desk", "dispatcher")
    context = browser.new_context(viewport=DESKTOP)
    try:
        console = watch(context.new_page(), errors)
        log_in(console, site, "avl-desk", "/console")
        map_ready(console)
        start = wait_for(lambda: _marker(console, "ZPD-7"))
        assert abs(start["lat"] - 37.7948573) < 1e-6, start

        # The phone's clock: a few seconds behind ours, one fix a second.
        first_tst = int(time.time()) - len(PATH) - 5
        seen = [start]
        for step, (lat, lon) in enumerate(PATH):
            message = {
                "_type": "location",
                "lat": lat,
                "lon": lon,
                "tst": first_tst + step,
                "vel": 30,
                "cog": 135,
                "acc": 8,
                "tid": "JH",
            }
            sent = phone.publish(f"owntracks/{user}/phone", json.dumps(message), qos=1)
            sent.wait_for_publish(5)

            def arrived(lat: float = lat) -> dict[str, Any] | None:
                where = _marker(console, "ZPD-7")
                return where if where and abs(where["lat"] - lat) < 1e-6 else None

            where = wait_for(arrived, timeout=10)
            assert abs(where["lon"] - lon) < 1e-6, where
            assert where["stale"] is False and where["ageMs"] is not None, where
            # Drawn where it is, on the canvas, and moved from where it was: south-east,
            # so further right and lower than the last point in the same view.
            here = _on_screen(console, lat, lon)
            assert abs(where["x"] - here["x"]) < 0.5 and abs(where["y"] - here["y"]) < 0.5
            assert 0 <= here["x"] <= here["width"] and 0 <= here["y"] <= here["height"], here
            was = _on_screen(console, seen[-1]["lat"], seen[-1]["lon"])
            assert here["x"] - was["x"] > 2 and here["y"] - was["y"] > 2, (was, here)
            seen.append(where)
        screenshot(console, "console-avl-mqtt.png")
    finally:
        context.close()

    located = [e for e in _located(site) if e.get("device") == device]
    assert [(e["lat"], e["lon"]) for e in located] == PATH
    assert {(e["unit"], e["source"]) for e in located} == {("ZPD-7", "owntracks")}
    assert [e["at"] for e in located] == [
        time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(first_tst + step))
        for step in range(len(PATH))
    ]
    stats = httpx.get(
        f"{site.url}/api/avl/stats", headers={"Authorization": f"Bearer {admin}"}
    ).json()["devices"][device]
    assert (stats["accepted"], stats["rejected"]) == (len(PATH), {})
    assert errors == []
