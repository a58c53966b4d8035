"""OwnTracks over MQTT: subscribe ``owntracks/+/+`` on a broker and ingest.

``tenfour serve --mqtt mqtt://HOST:PORT`` (``mqtt://USER:PASSWORD@HOST:PORT`` when the
broker wants a login). The topic ``owntracks/USER/DEVICE`` names the device: register
it as ``USER/DEVICE``. The broker authenticates the phones (its ACLs say who may
publish on which topic), so a device that reports only over MQTT needs no secret of
its own; its secret, if any, is for the HTTP mode.

paho-mqtt runs its network loop in a thread of its own; each message is ingested in
that thread (the service's calls block, which is what that thread is for), so a slow
journal slows the subscription, never the web server's event loop. paho reconnects
by itself when the broker goes away.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from typing import Any
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from tenfour.interop import owntracks
from tenfour.interop.avl import Avl, Reject

log = logging.getLogger(__name__)

TOPIC = "owntracks/+/+"


def parse_url(url: str) -> tuple[str, int, str | None, str | None]:
    """``mqtt://[USER[:PASSWORD]@]HOST[:PORT]`` -> host, port, user, password."""
    parts = urlsplit(url)
    if parts.scheme != "mqtt" or not parts.hostname:
        raise ValueError(f"{url!r}: expected mqtt://HOST[:PORT]")
    try:
        port = parts.port or 1883
    except ValueError:
        raise ValueError(f"{url!r}: the port is a number 1-65535") from None
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    return parts.hostname, port, user, password


def device_of_topic(topic: str) -> str:
    """``owntracks/USER/DEVICE`` -> ``USER/DEVICE`` (sub-topics such as ``/event``
    or ``/info`` carry no position and are ignored by the subscription itself)."""
    parts = topic.split("/")
    if len(parts) != 3 or parts[0] != "owntracks" or not parts[1] or not parts[2]:
        raise Reject("malformed", f"topic {topic[:120]!r} is not owntracks/USER/DEVICE")
    return f"{parts[1]}/{parts[2]}"


class MqttFeed:
    """A subscription to OwnTracks positions on one broker."""

    def __init__(self, avl: Avl, url: str, client_id: str | None = None) -> None:
        # One id per process: a broker drops a client when another connects with its
        # id, so two server nodes (or a test beside a bench) would knock each other off.
        client_id = client_id or f"tenfour-avl-{socket.gethostname()}-{os.getpid()}-{id(self):x}"
        self.avl = avl
        self.host, self.port, user, password = parse_url(url)
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
        if user is not None:
            self.client.username_pw_set(user, password)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(min_delay=1, max_delay=30)
        #: Set once the broker acknowledged the subscription (tests, health checks).
        self.subscribed = threading.Event()
        self.client.on_subscribe = self._on_subscribe

    def start(self) -> None:
        """Connect in the background (a broker that is down is retried, not fatal)."""
        self.client.connect_async(self.host, self.port, keepalive=30)
        self.client.loop_start()

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(
        self, client: paho.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        if reason.is_failure:
            log.warning("MQTT broker %s:%d refused us: %s", self.host, self.port, reason)
            return
        # Subscribed again on every connect: a broker that restarted forgot us.
        client.subscribe(TOPIC, qos=1)
        log.info("MQTT: subscribed to %s on %s:%d", TOPIC, self.host, self.port)

    def _on_subscribe(
        self, client: paho.Client, userdata: Any, mid: int, reasons: Any, props: Any
    ) -> None:
        if reasons and not reasons[0].is_failure:
            self.subscribed.set()
        else:
            log.warning("MQTT broker refused the subscription to %s: %s", TOPIC, reasons)

    def _on_message(self, client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        try:
            self.ingest(message.topic, message.payload)
        except Reject:
            pass  # counted; the subscription goes on
        except Exception:  # never let one message stop paho's loop
            log.exception("MQTT message on %r failed", message.topic[:120])

    def ingest(self, topic: str, payload: bytes | bytearray) -> dict[str, Any] | None:
        """One published message: the located event's data, None if it has no position."""
        try:
            device_id = device_of_topic(topic)
        except Reject as reject:
            raise self.avl.count("?", reject) from None
        if not payload:
            return None  # a retained message being cleared
        device = self.avl.device(device_id, owntracks.SOURCE)
        try:
            fix = owntracks.parse(owntracks.decode(payload))
        except Reject as reject:
            raise self.avl.count(device.id, reject) from None
        if fix is None:
            return None
        return self.avl.ingest(device, fix, owntracks.SOURCE)
