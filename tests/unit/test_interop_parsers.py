"""The AVL protocol adapters alone: OwnTracks messages (the shared examples), OsmAnd
parameters and Traccar JSON, NMEA 0183 sentences with good and bad checksums."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tenfour.interop import nmea, osmand, owntracks
from tenfour.interop.avl import Reject
from tenfour.interop.mqtt import device_of_topic, parse_url

OWNTRACKS = Path(__file__).resolve().parents[3] / "shared" / "standards" / "owntracks" / "test"
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def _reason(call: object) -> tuple[str, str]:
    with pytest.raises(Reject) as caught:
        call()  # type: ignore[operator]
    return caught.value.reason, caught.value.detail


# --- OwnTracks -------------------------------------------------------------------------
@pytest.mark.skipif(not OWNTRACKS.is_dir(), reason="../shared/standards/owntracks not present")
def test_every_shared_owntracks_example_parses() -> None:
    seen = {}
    for path in sorted(OWNTRACKS.glob("*.json")):
        seen[path.name] = owntracks.parse(owntracks.decode(path.read_bytes()))
    assert set(seen) >= {"l.json", "l2.json", "location-5s.json", "lwt.json", "transition.json"}
    # Only locations carry a position; lwt, transition and status are recognised and skipped.
    assert seen["lwt.json"] is None and seen["transition.json"] is None
    assert seen["status.json"] is None
    fix = seen["location-5s.json"]
    assert fix is not None
    assert (fix.lat, fix.lon) == (53.430722, 5.112126)
    assert fix.at == datetime.fromtimestamp(1701263310, UTC)
    assert fix.speed == pytest.approx(1 / 3.6)  # vel is km/h, speed is m/s
    assert (fix.heading, fix.accuracy) == (252, 9)
    # iOS sends acc -1 when it does not know: unknown, not an error.
    l2 = seen["l2.json"]
    assert l2 is not None and l2.accuracy is None and l2.heading == 80


@pytest.mark.parametrize(
    ("message", "says"),
    [
        ({"_type": "location", "lon": 1, "tst": 1}, "lat: missing"),
        ({"_type": "location", "lat": "37.7", "lon": 1, "tst": 1}, "lat: a number"),
        ({"_type": "location", "lat": 91, "lon": 1, "tst": 1}, "lat: 91 is outside"),
        ({"_type": "location", "lat": 1, "lon": 1, "tst": True}, "tst: a number"),
        ({"_type": "location", "lat": 1, "lon": 1}, "tst: missing"),
        ({"lat": 1, "lon": 1, "tst": 1}, "_type: missing"),
        ([1, 2], "a JSON object"),
    ],
)
def test_bad_owntracks_messages_name_the_field(message: object, says: str) -> None:
    reason, detail = _reason(lambda: owntracks.parse(message))
    assert reason == "malformed" and says in detail


def test_owntracks_bodies_that_are_not_json_or_too_big_are_malformed() -> None:
    assert _reason(lambda: owntracks.decode(b"{not json"))[0] == "malformed"
    reason, detail = _reason(lambda: owntracks.decode(b" " * 70_000))
    assert reason == "malformed" and "over 65536" in detail


def test_owntracks_over_mqtt_names_the_device_by_its_topic() -> None:
    assert device_of_topic("owntracks/hopps/phone") == "hopps/phone"
    assert _reason(lambda: device_of_topic("owntracks/hopps"))[0] == "malformed"
    assert parse_url("mqtt://u:p%40ss@broker:1884") == ("broker", 1884, "u", "p@ss")
    assert parse_url("mqtt://127.0.0.1")[1] == 1883
    with pytest.raises(ValueError, match="expected mqtt://HOST"):
        parse_url("http://127.0.0.1:1883")


# --- OsmAnd / Traccar ------------------------------------------------------------------
def test_osmand_parameters_with_speed_in_knots_and_any_timestamp() -> None:
    params = {
        "id": "123456",
        "lat": "37.7948",
        "lon": "-122.4014",
        "timestamp": "1764061140",
        "speed": "10",
        "bearing": "90.5",
        "altitude": "12",
        "accuracy": "8",
        "batt": "77",
    }
    fix = osmand.parse_params(params, NOW)
    assert (fix.lat, fix.lon, fix.heading, fix.accuracy) == (37.7948, -122.4014, 90.5, 8)
    assert fix.speed == pytest.approx(5.1444, abs=1e-3)  # 10 knots
    assert fix.at == datetime.fromtimestamp(1764061140, UTC)
    iso = osmand.parse_params({**params, "timestamp": "2026-11-25T08:59:00Z"}, NOW)
    assert iso.at == datetime(2026, 11, 25, 8, 59, tzinfo=UTC)
    millis = osmand.parse_params({**params, "timestamp": "1764061140000"}, NOW)
    assert millis.at == fix.at
    assert osmand.parse_params({"lat": "1", "lon": "2"}, NOW).at == NOW  # no time: now


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"lat": None}, "lat: missing"),
        ({"lat": "north"}, "lat: a number, not 'north'"),
        ({"lon": "nan"}, "lon: a finite number"),
        ({"lon": "-200"}, "lon: -200 is outside"),
        ({"speed": "-3"}, "speed: -3 is outside"),
        ({"batt": "lots"}, "batt: a number"),
        ({"timestamp": "yesterday"}, "timestamp: UNIX seconds or ISO-8601"),
    ],
)
def test_bad_osmand_parameters_name_the_field(change: dict[str, str | None], says: str) -> None:
    params = {"id": "1", "lat": "37.79", "lon": "-122.40", "timestamp": "1764061140"}
    params.update({k: v for k, v in change.items() if v is not None})
    for k, v in change.items():
        if v is None:
            del params[k]
    reason, detail = _reason(lambda: osmand.parse_params(params, NOW))
    assert reason == "malformed" and says in detail


def test_the_traccar_client_json_form() -> None:
    body = {
        "device_id": "traccar-7",
        "location": {
            "timestamp": "2026-11-25T08:59:30.000Z",
            "coords": {
                "latitude": 37.79,
                "longitude": -122.40,
                "speed": 4.5,
                "heading": -1,
                "accuracy": 5,
                "altitude": 10,
            },
            "is_moving": True,
            "battery": {"level": 0.8, "is_charging": False},
        },
    }
    device, fix = osmand.parse_json(json.loads(json.dumps(body)))
    assert device == "traccar-7"
    assert (fix.lat, fix.lon, fix.speed, fix.heading) == (37.79, -122.40, 4.5, None)
    assert fix.at == datetime(2026, 11, 25, 8, 59, 30, tzinfo=UTC)
    broken = {**body, "location": {"timestamp": 1, "coords": {"latitude": "x", "longitude": 1}}}
    assert "location.coords.latitude: a number" in _reason(lambda: osmand.parse_json(broken))[1]
    assert "device_id: missing" in _reason(lambda: osmand.parse_json({"location": {}}))[1]


# --- NMEA 0183 -------------------------------------------------------------------------
def _signed(sentence: str) -> str:
    return f"{sentence}{_checksum(sentence):02X}"


def _checksum(sentence: str) -> int:
    """XOR of the characters between ``$`` and ``*``."""
    value = 0
    for char in sentence[1 : sentence.index("*")]:
        value ^= ord(char)
    return value


RMC = "$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A"
GGA = "$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47"


def test_nmea_rmc_and_gga_with_good_checksums() -> None:
    fix = nmea.parse(RMC, NOW)
    assert fix is not None
    assert (round(fix.lat, 5), round(fix.lon, 5)) == (48.1173, 11.51667)
    assert fix.at == datetime(1994, 3, 23, 12, 35, 19, tzinfo=UTC)
    assert fix.speed == pytest.approx(22.4 * 1852 / 3600)
    assert fix.heading == 84.4
    gga = nmea.parse(GGA, NOW)
    assert gga is not None and round(gga.lat, 4) == 48.1173
    # GGA has no date: the day that puts it nearest the server's clock (so one sent
    # just before midnight UTC and read just after is yesterday's).
    assert gga.at == datetime(2026, 11, 25, 12, 35, 19, tzinfo=UTC)
    late = "$GPGGA,235959,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*"
    late += f"{_checksum(late):02X}"
    after_midnight = nmea.parse(late, datetime(2026, 11, 26, 0, 0, 3, tzinfo=UTC))
    assert after_midnight is not None
    assert after_midnight.at == datetime(2026, 11, 25, 23, 59, 59, tzinfo=UTC)
    gn = "$GNRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*74"
    assert nmea.parse(gn, NOW) is not None
    # Sentences without a position are not errors.
    assert nmea.parse("$GPGSA,A,3,04,05,,09,12,,,24,,,,,2.5,1.3,2.1*39", NOW) is None


@pytest.mark.parametrize(
    ("line", "reason", "says"),
    [
        (RMC[:-2] + "6B", "malformed", "checksum does not match"),
        (RMC.split("*")[0], "malformed", "checksum"),
        ("hello", "malformed", "not an NMEA sentence"),
        ("$GPRMC,123519,V,,,,,,,230394,,*" + "00", "malformed", "checksum"),
        (_signed("$GPGGA,123519,4807.038,N,01131.000,E,0,00,,,M,,M,,*"), "no_fix", "quality 0"),
    ],
)
def test_bad_nmea_sentences_are_refused_with_a_reason(line: str, reason: str, says: str) -> None:
    got, detail = _reason(lambda: nmea.parse(line, NOW))
    assert (got, says in detail) == (reason, True), detail


def test_nmea_void_rmc_is_no_fix_and_the_greeting_names_the_device() -> None:
    void = "$GPRMC,123519,V,4807.038,N,01131.000,E,,,230394,,*"
    assert _reason(lambda: nmea.parse(f"{void}{_checksum(void):02X}", NOW))[0] == "no_fix"
    assert nmea.greeting("ID:modem-7\r\n") == ("modem-7", None)
    assert nmea.greeting("id:modem-7 s3cret") == ("modem-7", "s3cret")
    assert _reason(lambda: nmea.greeting("$GPRMC,..."))[0] == "malformed"


def test_two_mqtt_feeds_never_share_a_client_id() -> None:
    # Every feed connected as "tenfour-avl": a broker drops a client when another
    # connects with its id, so two nodes on one broker knocked each other off in turn.
    from tenfour.interop.mqtt import MqttFeed

    one = MqttFeed(None, "mqtt://127.0.0.1:1883")  # type: ignore[arg-type]
    two = MqttFeed(None, "mqtt://127.0.0.1:1883")  # type: ignore[arg-type]
    assert one.client._client_id != two.client._client_id
