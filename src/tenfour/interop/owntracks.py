"""OwnTracks messages (https://owntracks.org/booklet/tech/json/) as fixes.

Used by both ways OwnTracks reports: its HTTP mode (``POST /api/avl/owntracks``,
``api.avl``) and MQTT (``interop.mqtt``, topic ``owntracks/USER/DEVICE``). Only
``_type: location`` carries a position; every other type (``transition``, ``lwt``,
``card``, ``waypoint``, ``status``, ...) is recognised and ignored, so the app never
sees an error for a message it is right to send.

Units: ``tst`` UNIX seconds, ``vel`` km/h, ``cog`` degrees, ``acc`` metres (a
negative ``acc``, as iOS sends when it does not know, means unknown).
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

from tenfour.interop.avl import Fix, Reject

SOURCE = "owntracks"
#: Biggest message accepted (a location is about 300 bytes; a card carries a photo).
MAX_MESSAGE = 65_536


def decode(body: bytes | bytearray | str) -> Any:
    """The JSON of a message; ``Reject('malformed')`` if it is not JSON."""
    if len(body) > MAX_MESSAGE:
        raise Reject("malformed", f"message of {len(body)} bytes, over {MAX_MESSAGE}")
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise Reject("malformed", f"not JSON: {error}") from None


def parse(message: Any) -> Fix | None:
    """The fix in one OwnTracks message, or None for a message that carries none.
    ``Reject('malformed')`` names the field that is missing or wrong."""
    if not isinstance(message, dict):
        raise Reject("malformed", "an OwnTracks message is a JSON object")
    kind = message.get("_type")
    if not isinstance(kind, str):
        raise Reject("malformed", "_type: missing (a string such as 'location')")
    if kind != "location":
        return None
    lat = _number(message, "lat", required=True, low=-90, high=90)
    lon = _number(message, "lon", required=True, low=-180, high=180)
    tst = _number(message, "tst", required=True, low=0, high=32_503_680_000)
    vel = _number(message, "vel", low=0, high=1_000)
    cog = _number(message, "cog", low=0, high=360)
    acc = _number(message, "acc")
    assert lat is not None and lon is not None and tst is not None
    return Fix(
        lat=lat,
        lon=lon,
        at=datetime.fromtimestamp(tst, UTC),
        speed=vel / 3.6 if vel is not None else None,
        heading=cog % 360 if cog is not None else None,
        accuracy=acc if acc is not None and 0 <= acc <= 100_000 else None,
    )


def _number(
    message: dict[str, Any],
    name: str,
    *,
    required: bool = False,
    low: float | None = None,
    high: float | None = None,
) -> float | None:
    value = message.get(name)
    if value is None:
        if required:
            raise Reject("malformed", f"{name}: missing")
        return None
    # JSON true/false are ints to Python; a position is never a boolean.
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise Reject("malformed", f"{name}: a number, not {json.dumps(value)[:40]}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise Reject("malformed", f"{name}: {value} is outside {low}..{high}")
    return float(value)
