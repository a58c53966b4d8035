"""NMEA 0183 over TCP: vehicle modems and GPS pucks that stream sentences.

``tenfour serve --nmea-port N`` listens on one port for every device. A connection
opens with a greeting line naming the device, then streams sentences::

    ID:<device>            (or ``ID:<device> <secret>`` for a device with a secret)
    $GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A
    $GPGGA,123520,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47

``$GPRMC`` / ``$GNRMC`` (time, date, position, speed in knots, course) and
``$GPGGA`` / ``$GNGGA`` (time and position; the date is the server's, the day before
when that would put the fix ahead) become positions; other sentences are ignored.
Every sentence must carry its checksum, verified with pynmea2. A bad line is counted
against the device and skipped; an unknown device or a wrong secret is answered
``ERR <reason>`` and the connection closed. Nothing is sent back otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pynmea2

from tenfour.interop.avl import Avl, Fix, Reject
from tenfour.interop.devices import Device

log = logging.getLogger(__name__)

SOURCE = "nmea"
KNOT = 1852 / 3600  # metres per second
#: The longest line read (NMEA says 82 characters; some modems pad or add fields).
MAX_LINE = 512
#: A connection silent this long is closed (modems reconnect; idle sockets cost).
IDLE_S = 300.0
_POSITIONS = ("RMC", "GGA")


def parse(line: str, today: datetime) -> Fix | None:
    """The fix in one sentence, None for a sentence that carries no position (GSV,
    VTG, ...). ``Reject`` says why a sentence is refused (checksum, no fix, ...)."""
    text = line.strip()
    if not text.startswith(("$", "!")):
        raise Reject("malformed", f"not an NMEA sentence: {text[:40]!r}")
    try:
        msg = pynmea2.parse(text, check=True)
    except pynmea2.ChecksumError:
        raise Reject("malformed", f"checksum does not match: {text[:82]!r}") from None
    except pynmea2.ParseError as error:
        why = str(error.args[0]) if error.args else "cannot parse"
        raise Reject("malformed", f"{why}: {text[:82]!r}") from None
    kind = getattr(msg, "sentence_type", "")
    if kind not in _POSITIONS:
        return None
    try:
        if kind == "RMC":
            return _rmc(msg)
        return _gga(msg, today)
    except (ValueError, TypeError, AttributeError) as error:
        raise Reject("malformed", f"{kind}: {error}: {text[:82]!r}") from None


def _rmc(msg: pynmea2.RMC) -> Fix:
    if msg.status != "A":
        raise Reject("no_fix", "RMC status V: the receiver has no fix")
    if not msg.datestamp or not msg.timestamp or not msg.lat or not msg.lon:
        raise Reject("malformed", "RMC: time, date or position missing")
    at = datetime.combine(msg.datestamp, msg.timestamp).replace(tzinfo=UTC)
    speed = float(msg.spd_over_grnd) if msg.spd_over_grnd not in (None, "") else None
    course = float(msg.true_course) if msg.true_course not in (None, "") else None
    return Fix(
        lat=float(msg.latitude),
        lon=float(msg.longitude),
        at=at,
        speed=speed * KNOT if speed is not None and 0 <= speed <= 1_000 else None,
        heading=course % 360 if course is not None and 0 <= course <= 360 else None,
    )


def _gga(msg: pynmea2.GGA, today: datetime) -> Fix:
    if not msg.gps_qual or int(msg.gps_qual) == 0:
        raise Reject("no_fix", "GGA fix quality 0: the receiver has no fix")
    if not msg.timestamp or not msg.lat or not msg.lon:
        raise Reject("malformed", "GGA: time or position missing")
    day = today.astimezone(UTC).date()
    at = datetime.combine(day, msg.timestamp).replace(tzinfo=UTC)
    if at > today + timedelta(hours=12):
        at -= timedelta(days=1)  # sent just before midnight UTC, read just after
    return Fix(lat=float(msg.latitude), lon=float(msg.longitude), at=at)


def greeting(line: str) -> tuple[str, str | None]:
    """``ID:<device>`` or ``ID:<device> <secret>`` -> (device, secret)."""
    text = line.strip()
    if not text.upper().startswith("ID:"):
        raise Reject("malformed", "the first line names the device: ID:<device> [secret]")
    device, _, secret = text[3:].strip().partition(" ")
    if not device:
        raise Reject("malformed", "ID: names no device")
    return device, secret.strip() or None


#: Runs a blocking call off the event loop (the server's one command slot).
Offload = Callable[[Callable[[], object]], Awaitable[object]]


class NmeaListener:
    """The TCP listener: one device per connection, named by its greeting."""

    def __init__(self, avl: Avl, offload: Offload) -> None:
        self.avl = avl
        self.offload = offload
        self.server: asyncio.Server | None = None

    async def start(self, host: str, port: int) -> int:
        """Listen; returns the port (useful when ``port`` is 0)."""
        self.server = await asyncio.start_server(self._serve, host, port, limit=MAX_LINE)
        bound: int = self.server.sockets[0].getsockname()[1]
        log.info("NMEA 0183 listener on %s:%d", host, bound)
        return bound

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            # Open connections end with the server: close_clients is 3.13+, so each
            # handler also ends when its reader sees the socket closed.
            await self.server.wait_closed()
            self.server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        device: Device | None = None
        try:
            line = await self._line(reader)
            if line is None:
                return
            device = await self._device(line, writer)
            if device is None:
                return
            while (line := await self._line(reader)) is not None:
                if line.strip():
                    await self._sentence(device, line)
        except Reject as reject:  # a line too long: not NMEA, and not worth reading on
            self.avl.count(device.id if device else "?", reject)
            await _refuse(writer, reject)
        except (ConnectionError, TimeoutError, asyncio.IncompleteReadError):
            pass
        except Exception:  # never let one connection take the listener down
            log.exception("NMEA connection from %s failed", peer)
        finally:
            writer.close()

    async def _line(self, reader: asyncio.StreamReader) -> str | None:
        try:
            raw = await asyncio.wait_for(reader.readuntil(b"\n"), IDLE_S)
        except (asyncio.LimitOverrunError, ValueError):
            # ValueError: asyncio's own wording for a line past the limit it buffers.
            raise Reject("malformed", f"a line over {MAX_LINE} bytes") from None
        except asyncio.IncompleteReadError as partial:
            if not partial.partial:
                return None
            raw = partial.partial  # the last line, without its newline
        return raw.decode("ascii", "replace")

    async def _device(self, line: str, writer: asyncio.StreamWriter) -> Device | None:
        try:
            device_id, secret = greeting(line)
        except Reject as reject:
            self.avl.count("?", reject)
            await _refuse(writer, reject)
            return None

        def find() -> Device:
            device = self.avl.device(device_id, SOURCE)
            self.avl.authenticate(device, secret)
            return device

        try:
            found = await self.offload(find)
        except Reject as reject:
            await _refuse(writer, reject)
            return None
        assert isinstance(found, Device)
        return found

    async def _sentence(self, device: Device, line: str) -> None:
        try:
            fix = parse(line, self.avl.now())
        except Reject as reject:
            self.avl.count(device.id, reject)
            return
        if fix is None:
            return
        with contextlib.suppress(Reject):  # counted by ingest; the stream goes on
            await self.offload(lambda: self.avl.ingest(device, fix, SOURCE))


async def _refuse(writer: asyncio.StreamWriter, reject: Reject) -> None:
    writer.write(f"ERR {reject.reason}: {reject.detail}\r\n".encode("ascii", "replace"))
    with contextlib.suppress(ConnectionError):
        await writer.drain()
