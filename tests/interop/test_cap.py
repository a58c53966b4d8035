"""CAP 1.2 for BOLOs over the real API: alerts, Cancels and the ATOM feed valid
against OASIS's CAP-v1.2.xsd, and OASIS's own examples read into BOLO fields."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest

from tenfour.domain.commands import BoloIssue
from tenfour.interop import cap
from tests.api.conftest import Server, server  # noqa: F401  (the fixture)

from .standards import CAP, cap_examples, cap_schema, need

SCENE = {"lat": 37.7925893, "lon": -122.3958821}
NOON = "2026-11-25T12:00:00+00:00"


def _valid(xml_text: str) -> dict[str, Any]:
    """Validate against the XSD, then read it back."""
    cap_schema().validate(xml_text)
    return cap.parse_alert(xml_text)


@pytest.mark.parametrize("path", cap_examples() if CAP.exists() else [], ids=lambda p: p.name)
def test_oasis_examples_parse_and_map_to_bolo_fields(path: Any) -> None:
    text = path.read_text(encoding="utf-8")
    alert = _valid(text)
    assert alert["identifier"] and alert["sender"] and alert["info"]
    fields = cap.bolo_fields(alert)
    BoloIssue.model_validate(fields)  # what a BOLO needs, within its limits
    assert fields["description"]


def test_the_examples_are_there() -> None:
    assert len(cap_examples()) == 5


def test_oasis_geometry_and_references_are_read() -> None:
    folder = need(CAP / "oasis-appendix-examples")
    storm = cap.parse_alert((folder / "v1dot2_appendix_adot2.xml").read_bytes())
    area = storm["info"][0]["areas"][0]
    assert area["polygons"] == [
        "38.47,-120.14 38.34,-119.95 38.52,-119.74 38.62,-119.89 38.47,-120.14"
    ]
    assert cap.bolo_fields(storm)["area"] == area["polygons"][0]
    assert cap.bolo_fields(storm)["expires"] == "2003-06-17T16:00:00-07:00"
    quake = cap.parse_alert((folder / "v1dot2_appendix_adot3.xml").read_bytes())
    assert quake["msgType"] == "Update"
    assert quake["references"] == "trinet@caltech.edu,TRI13970876.1,2003-06-11T20:30:00-07:00"
    assert quake["info"][0]["areas"][0]["circles"] == ["32.9525,-115.5527 0"]


def test_a_non_cap_document_is_refused() -> None:
    with pytest.raises(ValueError, match=r"not a CAP 1\.2 alert"):
        cap.parse_alert("<feed xmlns='http://www.w3.org/2005/Atom'/>")


def _issue(server: Server, token: str, **fields: Any) -> str:  # noqa: F811
    answer = server.command(token, "bolo.issue", fields)
    assert answer.status_code == 200, answer.text
    bolo: str = answer.json()["events"][0]["bolo"]
    return bolo


def _get(server: Server, token: str, path: str) -> Any:  # noqa: F811
    answer = server.get(token, path)
    assert answer.status_code == 200, answer.text
    return answer


def test_a_bolo_is_a_cap_alert_and_its_cancel_a_cap_cancel(server: Server) -> None:  # noqa: F811
    need(CAP / "CAP-v1.2.xsd")
    token = server.account("dee", "dispatcher")
    created = server.command(
        token, "incident.create", {"type": "ROBBERY", "priority": 1, "location": SCENE}
    )
    incident = created.json()["events"][0]["incident"]
    bolo = _issue(
        server,
        token,
        description="red pickup, plate 7ABC123, two men",
        area="Financial District",
        expires=NOON,
        incident=incident,
    )
    answer = _get(server, token, f"/api/bolos/{bolo}/cap")
    assert answer.headers["content-type"].startswith("application/cap+xml")
    alert = _valid(answer.text)
    assert alert["msgType"] == "Alert"
    assert alert["status"] == "Actual"
    assert alert["sent"] == "2026-11-25T09:00:00+00:00"
    (info,) = alert["info"]
    assert info["category"] == ["Security"]
    assert (info["urgency"], info["severity"], info["certainty"]) == (
        "Immediate",
        "Severe",
        "Likely",
    )
    assert info["expires"] == NOON
    assert info["description"] == "red pickup, plate 7ABC123, two men"
    (area,) = info["areas"]
    assert area["areaDesc"] == "Financial District"
    assert area["circles"] == [f"{SCENE['lat']},{SCENE['lon']} {cap.DEFAULT_RADIUS_KM}"]

    server.advance(minutes=20)
    assert server.command(token, "bolo.cancel", {"bolo": bolo}).status_code == 200
    cancel = _valid(_get(server, token, f"/api/bolos/{bolo}/cap").text)
    assert cancel["msgType"] == "Cancel"
    assert cancel["sent"] == "2026-11-25T09:20:00+00:00"
    assert cancel["references"] == f"testserver,{alert['identifier']},{alert['sent']}"
    assert cancel["identifier"] != alert["identifier"]


@pytest.mark.parametrize(
    ("area", "circles", "polygons"),
    [
        ("37.79,-122.40 2.5", ["37.79,-122.40 2.5"], []),
        (
            "37.79,-122.40 37.80,-122.40 37.80,-122.39 37.79,-122.40",
            [],
            ["37.79,-122.40 37.80,-122.40 37.80,-122.39 37.79,-122.40"],
        ),
        ("Mission and 5th", [], []),
    ],
)
def test_an_area_in_cap_syntax_is_sent_as_geometry(
    server: Server,  # noqa: F811
    area: str,
    circles: list[str],
    polygons: list[str],
) -> None:
    need(CAP / "CAP-v1.2.xsd")
    token = server.account("dee", "dispatcher")
    bolo = _issue(server, token, description="stolen bike", area=area)
    (found,) = _valid(_get(server, token, f"/api/bolos/{bolo}/cap").text)["info"][0]["areas"]
    assert (found["areaDesc"], found["circles"], found["polygons"]) == (area, circles, polygons)


def test_the_feed_holds_the_active_bolos_as_cap(server: Server) -> None:  # noqa: F811
    need(CAP / "CAP-v1.2.xsd")
    token = server.account("dee", "dispatcher")
    lasting = _issue(server, token, description="grey van")
    short = _issue(server, token, description="blue sedan", expires="2026-11-25T09:30:00+00:00")
    cancelled = _issue(server, token, description="white truck")
    assert server.command(token, "bolo.cancel", {"bolo": cancelled}).status_code == 200

    def entries() -> dict[str, dict[str, Any]]:
        answer = _get(server, token, "/api/bolos/cap")
        assert answer.headers["content-type"].startswith("application/atom+xml")
        root = ET.fromstring(answer.text)
        assert root.tag == f"{{{cap.ATOM}}}feed"
        out = {}
        for entry in root.findall(f"{{{cap.ATOM}}}entry"):
            (alert,) = entry.find(f"{{{cap.ATOM}}}content") or []
            parsed = _valid(ET.tostring(alert, encoding="unicode"))
            out[parsed["info"][0]["headline"]] = parsed
        return out

    assert set(entries()) == {f"BOLO {lasting}", f"BOLO {short}"}
    server.advance(minutes=20)
    assert set(entries()) == {f"BOLO {lasting}", f"BOLO {short}"}
    server.advance(minutes=11)  # past 09:30 (sessions end after 30 idle minutes)
    assert set(entries()) == {f"BOLO {lasting}"}


def test_who_may_read_bolos_as_cap(server: Server) -> None:  # noqa: F811
    desk = server.account("dee", "dispatcher")
    bolo = _issue(server, desk, description="grey van")
    officer = server.account("judy", "officer", member="hopps")
    assert server.get(officer, f"/api/bolos/{bolo}/cap").status_code == 200
    assert server.get(officer, "/api/bolos/B-999999/cap").status_code == 404
    server.client.cookies.clear()
    assert server.client.get("/api/bolos/cap").status_code == 401
