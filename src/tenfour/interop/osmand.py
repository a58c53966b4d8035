"""The OsmAnd / Traccar client protocol (https://www.traccar.org/osmand/) as fixes.

Two forms reach ``GET|POST /api/avl/osmand`` (``api.avl``):

* parameters, in the query string or a form body, as OsmAnd and the older Traccar
  clients send them: ``id`` (or ``deviceid``), ``lat``, ``lon``, ``timestamp`` (UNIX
  seconds, milliseconds, or ISO-8601), ``speed`` in knots, ``bearing`` (or
  ``heading``) degrees, ``altitude`` and ``accuracy`` metres, ``batt`` percent;
* the JSON body of the current Traccar client:
  ``{"device_id": ..., "location": {"timestamp": ISO, "coords": {"latitude",
  "longitude", "speed" (m/s), "heading", "accuracy", "altitude"}, "battery": ...}}``.

Like Traccar, an unknown device is answered 400 (the caller does that).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from tenfour.interop.avl import Fix, Reject

SOURCE = "osmand"
KNOT = 1852 / 3600  # metres per second


def device_of_params(params: Mapping[str, str]) -> str:
    device = params.get("id") or params.get("deviceid") or ""
    if not device:
        raise Reject("malformed", "id: missing (the device identifier)")
    return device


def parse_params(params: Mapping[str, str], now: datetime) -> Fix:
    """The fix in OsmAnd parameters; ``Reject('malformed')`` names the bad one."""
    lat = _number(params.get("lat"), "lat", required=True, low=-90, high=90)
    lon = _number(params.get("lon"), "lon", required=True, low=-180, high=180)
    speed = _number(params.get("speed"), "speed", low=0, high=1_000)
    bearing = _number(params.get("bearing", params.get("heading")), "bearing", low=0, high=360)
    accuracy = _number(params.get("accuracy"), "accuracy", low=0, high=100_000)
    _number(params.get("altitude"), "altitude")
    _number(params.get("batt"), "batt", low=0, high=100)
    stamp = params.get("timestamp")
    assert lat is not None and lon is not None
    return Fix(
        lat=lat,
        lon=lon,
        at=parse_time(stamp, "timestamp") if stamp else now,
        speed=speed * KNOT if speed is not None else None,
        heading=bearing % 360 if bearing is not None else None,
        accuracy=accuracy,
    )


def parse_json(body: Any) -> tuple[str, Fix]:
    """The device id and fix of a Traccar client JSON body."""
    if not isinstance(body, dict):
        raise Reject("malformed", "the body is a JSON object with device_id and location")
    device = body.get("device_id")
    if not isinstance(device, str) or not device:
        raise Reject("malformed", "device_id: missing (a string)")
    location = body.get("location")
    if isinstance(location, list) and location:
        location = location[0]  # the client may batch; the first is the oldest
    if not isinstance(location, dict):
        raise Reject("malformed", "location: missing (an object with timestamp and coords)")
    coords = location.get("coords")
    if not isinstance(coords, dict):
        raise Reject("malformed", "location.coords: missing (an object)")

    def field(name: str, **limits: Any) -> float | None:
        value = coords.get(name)
        if isinstance(value, str | bool):
            raise Reject("malformed", f"location.coords.{name}: a number, not {value!r}"[:120])
        return _number(value, f"location.coords.{name}", **limits)

    lat = field("latitude", required=True, low=-90, high=90)
    lon = field("longitude", required=True, low=-180, high=180)
    speed = field("speed")
    heading = field("heading")
    accuracy = field("accuracy")
    stamp = location.get("timestamp")
    if not isinstance(stamp, str | int | float) or isinstance(stamp, bool):
        raise Reject("malformed", "location.timestamp: missing (ISO-8601 or UNIX seconds)")
    assert lat is not None and lon is not None
    return device, Fix(
        lat=lat,
        lon=lon,
        at=parse_time(str(stamp), "location.timestamp"),
        # The client reports -1 for "unknown"; anything negative is unknown.
        speed=speed if speed is not None and 0 <= speed <= 1_000 else None,
        heading=heading % 360 if heading is not None and 0 <= heading <= 360 else None,
        accuracy=accuracy if accuracy is not None and 0 <= accuracy <= 100_000 else None,
    )


def parse_time(text: str, name: str) -> datetime:
    """UNIX seconds or milliseconds, or ISO-8601 (a time without zone is UTC)."""
    text = text.strip()
    try:
        number = float(text)
    except ValueError:
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            why = f"{name}: UNIX seconds or ISO-8601, not {text[:40]!r}"
            raise Reject("malformed", why) from None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if not math.isfinite(number) or number < 0:
        raise Reject("malformed", f"{name}: {text[:40]!r} is not a time")
    if number > 1e11:  # milliseconds (seconds would be past the year 5000)
        number /= 1000
    try:
        return datetime.fromtimestamp(number, UTC)
    except (OverflowError, OSError, ValueError):
        raise Reject("malformed", f"{name}: {text[:40]!r} is not a time") from None


def _number(
    value: Any,
    name: str,
    *,
    required: bool = False,
    low: float | None = None,
    high: float | None = None,
) -> float | None:
    if value is None or value == "":
        if required:
            raise Reject("malformed", f"{name}: missing")
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise Reject("malformed", f"{name}: a number, not {str(value)[:40]!r}") from None
    if not math.isfinite(number):
        raise Reject("malformed", f"{name}: a finite number, not {str(value)[:40]!r}")
    if (low is not None and number < low) or (high is not None and number > high):
        raise Reject("malformed", f"{name}: {number:g} is outside {low}..{high}")
    return number
