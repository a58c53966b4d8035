"""AVL over HTTP against a real server app: OwnTracks HTTP mode, the OsmAnd / Traccar
client protocol, the admin device registry, and every refusal counted per device."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from .conftest import START, Server

OWNTRACKS = Path(__file__).resolve().parents[3] / "shared" / "standards" / "owntracks" / "test"
HERE = (37.7948573, -122.4014146)  # in the demo city


def _admin(server: Server) -> str:
    return server.account("root", "admin")


def _register(server: Server, token: str, **device: Any) -> Any:
    answer = server.client.post(
        "/api/devices", json=device, headers={"Authorization": f"Bearer {token}"}
    )
    return answer


def _basic(user: str, secret: str) -> dict[str, str]:
    raw = base64.b64encode(f"{user}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def _location(
    tst_offset_s: float = 0, lat: float = HERE[0], lon: float = HERE[1]
) -> dict[str, Any]:
    return {
        "_type": "location",
        "lat": lat,
        "lon": lon,
        "tst": int((START + timedelta(seconds=tst_offset_s)).timestamp()),
        "vel": 36,
        "cog": 270,
        "acc": 12,
        "tid": "JH",
    }


def _owntracks(server: Server, body: Any, user: str = "hopps-phone", secret: str = "s3cret-1"):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return server.client.post(
        "/api/avl/owntracks",
        content=data,
        headers={**_basic(user, secret), "Content-Type": "application/json"},
    )


def _data(server: Server, kind: str) -> list[dict[str, Any]]:
    return [dict(e.data) for e in server.rt.service.store.read() if e.type == kind]


def _stats(server: Server, token: str, device: str) -> dict[str, Any]:
    answer = server.get(token, "/api/avl/stats")
    assert answer.status_code == 200, answer.text
    return dict(answer.json()["devices"].get(device, {}))


@pytest.fixture
def owntracks_unit(server: Server) -> str:
    token = _admin(server)
    answer = _register(
        server, token, id="hopps-phone", protocol="owntracks", unit="ZPD-7", secret="s3cret-1"
    )
    assert answer.status_code == 201, answer.text
    assert answer.json() == {
        "id": "hopps-phone",
        "protocol": "owntracks",
        "unit": "ZPD-7",
        "member": None,
        "secret": True,
        "created_at": answer.json()["created_at"],
    }
    return token


# --- OwnTracks HTTP mode ----------------------------------------------------------------
def test_an_owntracks_location_moves_the_unit_with_source_device_and_device_time(
    server: Server, owntracks_unit: str
) -> None:
    answer = _owntracks(server, _location(-30))
    assert (answer.status_code, answer.json()) == (200, [])
    [event] = server.journal("unit.located")
    assert event["by"] == "avl"
    assert event["unit"] == "ZPD-7"
    assert (event["lat"], event["lon"]) == HERE
    # The device's own time, in the event's data (the export's envelope ``at`` is the
    # journal's time and wins over it in ``to_json``).
    assert _data(server, "unit.located")[0]["at"] == "2026-11-25T08:59:30Z"
    assert (event["source"], event["device"]) == ("owntracks", "hopps-phone")
    assert event["speed"] == 10.0  # 36 km/h
    assert (event["heading"], event["accuracy"]) == (270, 12)
    unit = server.rt.service.state.units["ZPD-7"]
    assert unit.location == {"lat": HERE[0], "lon": HERE[1]}
    assert _stats(server, owntracks_unit, "hopps-phone")["accepted"] == 1


@pytest.mark.skipif(not OWNTRACKS.is_dir(), reason="../shared/standards/owntracks not present")
def test_the_shared_owntracks_examples_are_taken_or_ignored_gracefully(
    server: Server, owntracks_unit: str
) -> None:
    for name in ("lwt.json", "transition.json", "status.json"):
        answer = _owntracks(server, (OWNTRACKS / name).read_bytes())
        assert (answer.status_code, answer.json()) == (200, []), name
    # A real location from the examples parses, and is refused for being in Germany.
    answer = _owntracks(server, (OWNTRACKS / "l.json").read_bytes())
    assert answer.status_code == 200 and answer.json() == []
    assert answer.headers["X-Tenfour-Rejected"].startswith("out_of_area: 52.19591, 7.68825")
    assert server.journal("unit.located") == []
    assert _stats(server, owntracks_unit, "hopps-phone")["rejected"] == {"out_of_area": 1}


def test_owntracks_needs_the_device_secret(server: Server, owntracks_unit: str) -> None:
    wrong = _owntracks(server, _location(), secret="guess")
    assert wrong.status_code == 401
    assert wrong.headers["WWW-Authenticate"].startswith("Basic")
    assert wrong.json()["error"]["message"] == "wrong secret for this device"
    bare = server.client.post("/api/avl/owntracks", json=_location())
    assert bare.status_code == 401
    unknown = _owntracks(server, _location(), user="nobody")
    assert unknown.status_code == 401
    assert "not registered" in unknown.json()["error"]["message"]
    assert server.journal("unit.located") == []
    stats = server.get(owntracks_unit, "/api/avl/stats").json()
    assert stats["devices"]["hopps-phone"]["rejected"] == {"unauthorized": 1}
    assert stats["devices"]["nobody"]["rejected"] == {"unknown_device": 1}
    assert stats["rejected"] == {"unauthorized": 2, "unknown_device": 1}


def test_owntracks_user_and_device_headers_name_a_user_slash_device(server: Server) -> None:
    token = _admin(server)
    answer = _register(
        server, token, id="judy/phone", protocol="owntracks", member="hopps", secret="pw-judy"
    )
    assert answer.status_code == 201, answer.text
    sent = server.client.post(
        "/api/avl/owntracks",
        json=_location(),
        headers={**_basic("judy", "pw-judy"), "X-Limit-U": "judy", "X-Limit-D": "phone"},
    )
    assert sent.status_code == 200, sent.text
    [event] = server.journal("member.located")
    # The member's device follows him: his unit of the moment is recorded.
    assert (event["member"], event["unit"], event["device"]) == ("hopps", "ZPD-7", "judy/phone")


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"{not json", "not JSON"),
        (json.dumps({"_type": "location", "lat": 37.79, "tst": 1}).encode(), "lon: missing"),
        (json.dumps({"_type": "location", "lat": "x", "lon": 1, "tst": 1}).encode(), "lat: a num"),
        (b'{"_type": "location", "lat": 37.79, "lon": -122.4, "tst": 1e999}', "tst: a number"),
    ],
)
def test_malformed_owntracks_messages_get_400_naming_the_field(
    server: Server, owntracks_unit: str, body: bytes, says: str
) -> None:
    answer = _owntracks(server, body)
    assert answer.status_code == 400
    assert says in answer.json()["error"]["message"]
    assert _stats(server, owntracks_unit, "hopps-phone")["rejected"] == {"malformed": 1}


def test_huge_owntracks_bodies_are_refused(server: Server, owntracks_unit: str) -> None:
    padded = {**_location(), "tag": "x" * 100_000}
    answer = _owntracks(server, padded)
    assert answer.status_code == 400 and "over 65536" in answer.json()["error"]["message"]
    huge = _owntracks(server, b" " * 2_000_000)
    assert huge.status_code == 413  # the server's body cap, before anything reads it


def test_stale_duplicate_future_and_off_duty_positions_are_refused_and_counted(
    server: Server, owntracks_unit: str
) -> None:
    assert "X-Tenfour-Rejected" not in _owntracks(server, _location(-10)).headers
    refused = {
        "duplicate": _location(-10, lat=37.79),
        "stale": _location(-20),
        "future": _location(+120),
    }
    for reason, body in refused.items():
        answer = _owntracks(server, body)
        assert answer.status_code == 200, answer.text  # the app must not retry these
        assert answer.headers["X-Tenfour-Rejected"].startswith(f"{reason}: "), reason
    assert _owntracks(server, _location(+50)).status_code == 200  # within 60 s: accepted
    server.command(_admin_token(server), "shift.end", {"unit": "ZPD-7"})
    off = _owntracks(server, _location(+55))
    assert off.headers["X-Tenfour-Rejected"].startswith("refused: ")
    assert len(server.journal("unit.located")) == 2
    stats = _stats(server, owntracks_unit, "hopps-phone")
    assert stats["accepted"] == 2
    assert stats["rejected"] == {"duplicate": 1, "future": 1, "refused": 1, "stale": 1}
    listed = server.get(owntracks_unit, "/api/devices").json()
    assert listed[0]["stats"]["rejected"] == stats["rejected"]


def _admin_token(server: Server) -> str:
    return server.account("disp", "dispatcher")


def test_avl_positions_never_reset_a_status_check_timer(server: Server) -> None:
    """DOMAIN.md: positions are AVL, not contact. hopps runs into a foot pursuit (60 s
    checks); her phone keeps reporting; the check is still overdue at 60 s."""
    token = _admin(server)
    assert (
        _register(
            server, token, id="judy", protocol="owntracks", member="hopps", secret="pw-judy"
        ).status_code
        == 201
    )
    assert _register(server, token, id="zpd7", protocol="osmand", unit="ZPD-7").status_code == 201
    officer = server.account("judyh", "officer", member="hopps")
    answer = server.command(officer, "member.status", {"member": "hopps", "status": "pursuit"})
    assert answer.status_code == 200, answer.text
    for second in (20, 40, 55):
        server.advance(seconds=20 if second != 55 else 15)
        sent = _owntracks(server, _location(second), user="judy", secret="pw-judy")
        assert "X-Tenfour-Rejected" not in sent.headers, sent.headers
        osm = server.client.get(
            "/api/avl/osmand",
            params={
                "id": "zpd7",
                "lat": HERE[0],
                "lon": HERE[1],
                "timestamp": int((START + timedelta(seconds=second)).timestamp()),
            },
        )
        assert osm.json() == {"accepted": True}
    assert len(server.journal("member.located")) == 3
    assert len(server.journal("unit.located")) == 3
    server.advance(seconds=6)  # 61 s after the pursuit began
    alerts = [a for a in server.journal("alert.raised") if a.get("member") == "hopps"]
    assert [a["kind"] for a in alerts] == ["status_check_overdue"]


# --- OsmAnd / Traccar -----------------------------------------------------------------
@pytest.fixture
def osmand_unit(server: Server) -> str:
    token = _admin(server)
    answer = _register(server, token, id="358240051111110", protocol="osmand", unit="ZPD-3")
    assert answer.status_code == 201, answer.text
    return token


def test_a_traccar_style_client_reports_by_query_form_and_json(
    server: Server, osmand_unit: str
) -> None:
    stamp = int((START - timedelta(seconds=50)).timestamp())
    params = {
        "id": "358240051111110",
        "lat": "37.788",
        "lon": "-122.3998",
        "timestamp": str(stamp),
        "speed": "20",
        "bearing": "45",
        "altitude": "15.5",
        "accuracy": "6.0",
        "batt": "88.0",
    }
    got = server.client.get("/api/avl/osmand", params=params)
    assert (got.status_code, got.json()) == (200, {"accepted": True})
    form = server.client.post(
        "/api/avl/osmand", data={**params, "timestamp": str(stamp + 10), "lat": "37.789"}
    )
    assert form.json() == {"accepted": True}
    body = {
        "device_id": "358240051111110",
        "location": {
            "timestamp": (START - timedelta(seconds=20)).isoformat().replace("+00:00", "Z"),
            "coords": {"latitude": 37.79, "longitude": -122.3998, "speed": 3.0, "heading": 10},
            "battery": {"level": 0.7},
        },
    }
    posted = server.client.post("/api/avl/osmand", json=body)
    assert posted.json() == {"accepted": True}, posted.text
    events = server.journal("unit.located")
    assert [e["lat"] for e in events] == [37.788, 37.789, 37.79]
    assert events[0]["speed"] == pytest.approx(10.29, abs=0.01)  # 20 knots in m/s
    assert {e["source"] for e in events} == {"osmand"}
    assert _data(server, "unit.located")[2]["at"] == "2026-11-25T08:59:40Z"


def test_osmand_unknown_devices_get_400_as_traccar_answers(
    server: Server, osmand_unit: str
) -> None:
    answer = server.client.get(
        "/api/avl/osmand", params={"id": "nope", "lat": 37.79, "lon": -122.4}
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "unknown_device"
    # An OwnTracks device cannot report through the OsmAnd door either.
    assert (
        _register(
            server, osmand_unit, id="ot", protocol="owntracks", unit="ZPD-4", secret="x-secret"
        ).status_code
        == 201
    )
    wrong_door = server.client.get("/api/avl/osmand", params={"id": "ot", "lat": 1, "lon": 1})
    assert wrong_door.status_code == 400 and "registered for owntracks" in wrong_door.text
    missing = server.client.get("/api/avl/osmand", params={"lat": 37.79, "lon": -122.4})
    assert missing.status_code == 400 and "id: missing" in missing.text
    stats = server.get(osmand_unit, "/api/avl/stats").json()["devices"]
    assert stats["nope"]["rejected"] == {"unknown_device": 1}
    assert stats["ot"]["rejected"] == {"unknown_device": 1}
    assert stats["?"]["rejected"] == {"malformed": 1}


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"lat": "37.79"}, "lon: missing"),
        ({"lat": "north", "lon": "-122.4"}, "lat: a number, not 'north'"),
        ({"lat": "37.79", "lon": "-122.4", "speed": "fast"}, "speed: a number"),
        ({"lat": "37.79", "lon": "-122.4", "timestamp": "soon"}, "timestamp: UNIX seconds"),
    ],
)
def test_bad_osmand_positions_get_400_naming_the_field(
    server: Server, osmand_unit: str, params: dict[str, str], says: str
) -> None:
    answer = server.client.get("/api/avl/osmand", params={"id": "358240051111110", **params})
    assert answer.status_code == 400
    assert says in answer.json()["error"]["message"]
    assert _stats(server, osmand_unit, "358240051111110")["rejected"] == {"malformed": 1}


def test_bad_traccar_json_gets_400(server: Server, osmand_unit: str) -> None:
    bad = server.client.post(
        "/api/avl/osmand",
        content=b'{"device_id": "358240051111110", "location": {"coords": 5}}',
        headers={"Content-Type": "application/json"},
    )
    assert bad.status_code == 400 and "location.coords: missing" in bad.text
    garbage = server.client.post(
        "/api/avl/osmand", content=b"{{{", headers={"Content-Type": "application/json"}
    )
    assert garbage.status_code == 400 and "not JSON" in garbage.text


# --- the registry over HTTP -----------------------------------------------------------
def test_admins_register_list_and_remove_devices(server: Server) -> None:
    token = _admin(server)
    bad = [
        ({"id": "x", "protocol": "carrier-pigeon", "unit": "ZPD-7"}, "protocol"),
        ({"id": "x", "protocol": "osmand"}, "unit"),
        ({"id": "x", "protocol": "osmand", "unit": "ZPD-7", "member": "hopps"}, "unit"),
        ({"id": "x", "protocol": "osmand", "unit": "ZPD-404"}, "unit"),
        ({"id": "x", "protocol": "osmand", "member": "nobody"}, "member"),
        ({"id": "x", "protocol": "owntracks", "unit": "ZPD-7"}, "secret"),
        ({"id": "bad id", "protocol": "osmand", "unit": "ZPD-7"}, "id"),
    ]
    for body, field in bad:
        answer = _register(server, token, **body)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["error"]["problems"][0]["field"] == field, body
    assert _register(server, token, id="m1", protocol="nmea", unit="ZPD-7").status_code == 201
    again = _register(server, token, id="m1", protocol="nmea", unit="ZPD-4")
    assert again.status_code == 409
    listed = server.get(token, "/api/devices").json()
    assert [(d["id"], d["secret"], d["stats"]["accepted"]) for d in listed] == [("m1", False, 0)]
    assert "secret_hash" not in listed[0]
    officer = server.account("judyh", "officer", member="hopps")
    assert server.get(officer, "/api/devices").status_code == 403
    headers = {"Authorization": f"Bearer {token}"}
    assert server.client.delete("/api/devices/m1", headers=headers).status_code == 204
    assert server.client.delete("/api/devices/m1", headers=headers).status_code == 404
    audit = [e for e in server.journal("audit.account") if e.get("target") == "device:m1"]
    assert [e["outcome"] for e in audit] == ["device_added", "device_removed"]
