"""The one path every device position takes: device -> unit or member -> locate command.

Each protocol adapter turns what its device sent into a ``Fix`` (or raises ``Reject``
with a reason), then hands it to ``Avl.ingest`` together with the device id. Here the
device is looked up in the registry, the fix is checked against the device's last
accepted one, the clock and the map, and a ``unit.locate`` or ``member.locate`` goes
through the service with the protocol as ``source``, the device id, and the device's
own time as ``at``.

Positions are AVL, not contact (DOMAIN.md): the located events never reset a
status-check timer (``policies.timers.NOT_CONTACT``).

Nothing a device sends may stop the feed: every refusal is a ``Reject`` with one of
``REASONS``, counted per device and reason (``Avl.stats``; admins see the counts at
``GET /api/devices`` and ``GET /api/avl/stats``). The counts and each device's last
accepted time live in memory: they start again with the process, and a restarted
server accepts a device's next fix whatever its time (a fix is never older than the
device's last one for long: devices send in order).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tenfour.accounts import Passwords
from tenfour.domain.commands import parse_command
from tenfour.domain.errors import CommandRejected
from tenfour.domain.values import Actor
from tenfour.geo.values import Bounds
from tenfour.interop.devices import Device, DeviceStore
from tenfour.service import Service

log = logging.getLogger(__name__)

#: Who the located events say moved the unit: the AVL feed, a system actor.
AVL = Actor("system", "avl")
#: Why a position was refused (the keys of the counts).
REASONS = (
    "unknown_device",  # no such device, or registered for another protocol
    "unauthorized",  # wrong or missing secret
    "malformed",  # not the protocol's format, a field missing or of the wrong type
    "no_fix",  # the device says it has no position (NMEA status V, fix quality 0)
    "stale",  # older than the device's last accepted position
    "duplicate",  # the same time as the device's last accepted position
    "future",  # more than FUTURE_SLACK ahead of the server's clock
    "out_of_area",  # outside the map (with MARGIN_DEG around it)
    "refused",  # the domain refused the locate (unit off duty, member unknown, ...)
)
#: How far a device's clock may run ahead of ours before its fixes are refused.
FUTURE_SLACK = timedelta(seconds=60)
#: How far around the map's box a position is still believed (about 20 km).
MARGIN_DEG = 0.2
#: Successful secret checks remembered, so a phone reporting every second costs one
#: argon2 hash (about 50 ms of CPU) per secret, not one per position.
_VERIFIED_MAX = 10_000


class Reject(Exception):
    """A position refused: ``reason`` is one of ``REASONS``, ``detail`` says what was wrong."""

    def __init__(self, reason: str, detail: str) -> None:
        assert reason in REASONS, reason
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail

    def as_json(self) -> dict[str, str]:
        return {"reason": self.reason, "detail": self.detail}


@dataclass(frozen=True)
class Fix:
    """One position as a device reported it, in our units."""

    lat: float
    lon: float
    #: The device's own time of the fix, timezone-aware.
    at: datetime
    #: Metres per second, degrees clockwise from true north, metres (radius).
    speed: float | None = None
    heading: float | None = None
    accuracy: float | None = None


@dataclass
class _DeviceStats:
    accepted: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    last_at: datetime | None = None
    last_error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "rejected": dict(sorted(self.rejected.items())),
            "last_at": self.last_at.isoformat() if self.last_at else None,
            "last_error": self.last_error,
        }


class Avl:
    """Device positions into the journal, with the checks and the counts."""

    def __init__(
        self,
        service: Service,
        devices: DeviceStore,
        passwords: Passwords,
        bounds: Bounds | None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.service = service
        self.devices = devices
        self.passwords = passwords
        self.bounds = bounds
        self.now = now or service.clock.now
        self._lock = threading.Lock()
        self._stats: dict[str, _DeviceStats] = {}
        self._verified: set[tuple[str, str, str]] = set()

    # --- the registry ---------------------------------------------------------------
    def device(self, device_id: str, protocol: str) -> Device:
        """The registered device of that id and protocol, else ``Reject`` (counted)."""
        found = self.devices.get(device_id) if device_id else None
        if found is None or found.protocol != protocol:
            why = "not registered" if found is None else f"registered for {found.protocol}"
            raise self.count(device_id, Reject("unknown_device", f"device {device_id!r}: {why}"))
        return found

    def authenticate(self, device: Device, secret: str | None) -> None:
        """Check the device's secret; a device registered without one needs none."""
        if device.secret_hash is None:
            return
        if not secret:
            raise self.count(device.id, Reject("unauthorized", "this device needs its secret"))
        digest = hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()
        key = (device.id, device.secret_hash, digest)
        with self._lock:
            if key in self._verified:
                return
        if not self.passwords.verify(device.secret_hash, secret):
            raise self.count(device.id, Reject("unauthorized", "wrong secret for this device"))
        with self._lock:
            if len(self._verified) >= _VERIFIED_MAX:
                self._verified.clear()
            self._verified.add(key)

    # --- positions ------------------------------------------------------------------
    def ingest(self, device: Device, fix: Fix, source: str) -> dict[str, Any]:
        """Check ``fix`` and journal it as the device's unit's or member's position.
        Returns the located event's data; raises ``Reject`` (counted) if refused."""
        try:
            self._check(device, fix)
        except Reject as reject:
            raise self.count(device.id, reject) from None
        payload: dict[str, Any] = {
            "lat": round(fix.lat, 7),
            "lon": round(fix.lon, 7),
            "at": fix.at.isoformat(),
            "source": source,
            "device": device.id,
        }
        for name in ("speed", "heading", "accuracy"):
            value = getattr(fix, name)
            if value is not None:
                payload[name] = round(value, 2)
        if device.unit:
            do, payload["unit"] = "unit.locate", device.unit
        else:
            do, payload["member"] = "member.locate", device.member
        try:
            handled = self.service.handle(parse_command(do, payload, AVL))
        except CommandRejected as rejected:
            raise self.count(device.id, Reject("refused", str(rejected))) from None
        with self._lock:
            stats = self._stats.setdefault(device.id, _DeviceStats())
            # Under the lock and checked again: two fixes of one device racing here
            # must not move its last time backwards.
            if stats.last_at is None or fix.at > stats.last_at:
                stats.last_at = fix.at
            stats.accepted += 1
        return dict(handled.events[0].data) if handled.events else payload

    def _check(self, device: Device, fix: Fix) -> None:
        if fix.at.tzinfo is None:
            raise Reject("malformed", "the fix's time has no timezone")
        now = self.now()
        if fix.at > now + FUTURE_SLACK:
            raise Reject(
                "future",
                f"fix time {fix.at.isoformat()} is more than {FUTURE_SLACK.seconds} s "
                f"ahead of the server's {now.isoformat()}",
            )
        with self._lock:
            stats = self._stats.get(device.id)
            last = stats.last_at if stats else None
        if last is not None and fix.at == last:
            raise Reject("duplicate", f"a fix of {fix.at.isoformat()} was accepted already")
        if last is not None and fix.at < last:
            raise Reject(
                "stale",
                f"fix time {fix.at.isoformat()} is before the last accepted {last.isoformat()}",
            )
        box = self.bounds
        if box is not None and not (
            box.south - MARGIN_DEG <= fix.lat <= box.north + MARGIN_DEG
            and box.west - MARGIN_DEG <= fix.lon <= box.east + MARGIN_DEG
        ):
            raise Reject(
                "out_of_area",
                f"{fix.lat:.5f}, {fix.lon:.5f} is outside the map "
                f"({box.south:.3f}..{box.north:.3f}, {box.west:.3f}..{box.east:.3f})",
            )

    # --- counts ---------------------------------------------------------------------
    def count(self, device_id: str, reject: Reject) -> Reject:
        """Count a refusal against the device (unknown devices under their claimed id,
        shortened) and hand it back to raise."""
        key = (device_id or "?")[:100]
        with self._lock:
            if key not in self._stats and len(self._stats) >= 10_000:
                key = "(other)"  # a flood of made-up ids must not grow memory forever
            stats = self._stats.setdefault(key, _DeviceStats())
            stats.rejected[reject.reason] += 1
            stats.last_error = str(reject)[:300]
        log.info("AVL position from %r refused: %s", key, reject)
        return reject

    def stats(self) -> dict[str, dict[str, Any]]:
        """Accepted and refused positions per device since the server started."""
        with self._lock:
            return {device: s.as_json() for device, s in sorted(self._stats.items())}

    def totals(self) -> dict[str, Any]:
        """Accepted, and refused per reason, over every device."""
        with self._lock:
            rejected: Counter[str] = Counter()
            for s in self._stats.values():
                rejected.update(s.rejected)
            return {
                "accepted": sum(s.accepted for s in self._stats.values()),
                "rejected": dict(sorted(rejected.items())),
            }
