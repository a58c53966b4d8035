"""A hospital's own account over HTTP: it sets its own facility's status and no other's,
and reads only its facility and the ambulances coming to it (``visibility.py``)."""

from __future__ import annotations

import json
from typing import Any

from tests.api.test_live import receive_through

from .conftest import Server

HERE = {"lat": 37.7925893, "lon": -122.3958821}
OTHER = {"id": "ZMC", "kind": "hospital", "name": "Zootopia Medical", "location": HERE}


def test_a_hospital_sets_its_own_status_and_no_other(server: Server) -> None:
    admin = server.account("root", "admin")
    assert server.command(admin, "facility.register", OTHER).status_code == 200
    zgh = server.account("zgh-desk", "hospital", member="ZGH")

    answer = server.command(
        zgh, "facility.status", {"facility": "ZGH", "state": "diversion", "services": ["stroke"]}
    )
    assert answer.status_code == 200, answer.text
    [changed] = server.journal("facility.status_changed")
    assert (changed["facility"], changed["by"]) == ("ZGH", "ZGH")  # set by the hospital

    answer = server.command(zgh, "facility.status", {"facility": "ZMC", "state": "closed"})
    assert answer.status_code == 403
    [problem] = answer.json()["error"]["problems"]
    assert problem["field"] == "with.facility"
    assert problem["reason"] == "a hospital account reports only its own facility (ZGH), not ZMC"
    assert len(server.journal("facility.status_changed")) == 1


def test_a_hospital_reads_only_its_own_view(server: Server) -> None:
    desk = server.account("claw", "dispatcher")
    medic = server.account("medic", "officer", member="medic1")
    zgh = server.account("zgh-desk", "hospital", member="ZGH")
    created = server.command(
        desk,
        "incident.create",
        {"type": "MEDICAL", "priority": 2, "location": HERE, "text": "Fall, 80-year-old"},
    ).json()["events"]
    incident = next(e["incident"] for e in created if e["type"] == "incident.created")
    server.command(desk, "unit.dispatch", {"incident": incident, "units": ["M-51"]})
    server.command(medic, "unit.status", {"unit": "M-51", "status": "onscene"})
    before = server.get(zgh, "/api/snapshot").json()["state"]
    assert before["units"] == {} and before["incidents"] == {}
    assert set(before["facilities"]) == {"ZGH"}

    answer = server.command(
        medic,
        "transport.start",
        {"unit": "M-51", "patient": {"description": "a woman"}, "destination": "ZGH"},
    )
    assert answer.status_code == 200, answer.text
    seen = server.get(zgh, "/api/snapshot").json()["state"]
    assert set(seen["units"]) == {"M-51"} and seen["units"]["M-51"]["destination"] == "ZGH"
    assert seen["incidents"] == {} and seen["members"] == {} and seen["tips"] == {}
    assert set(seen["facilities"]) == {"ZGH"}
    # the desk's own lists and the incident's details are not for a hospital
    for path in ("/api/board", "/api/incidents", f"/api/incidents/{incident}", "/api/units"):
        assert server.get(zgh, path).status_code == 403, path


def test_a_hospital_logging_in_to_the_web_lands_on_its_own_page(server: Server) -> None:
    zgh = server.account("zgh-desk", "hospital", member="ZGH")
    headers = {"Authorization": f"Bearer {zgh}"}
    for page in ("/", "/console"):
        answer = server.client.get(page, headers=headers, follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (303, "/hospital"), page
    assert server.client.get("/hospital", headers=headers).status_code == 200
    assert server.client.get("/account", headers=headers).status_code == 200
    # the hospital page is a hospital's: the desk is sent to its own
    desk = {"Authorization": f"Bearer {server.account('claw', 'dispatcher')}"}
    answer = server.client.get("/hospital", headers=desk, follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/console")


def _locate(server: Server, token: str, unit: str, lat: float) -> int:
    answer = server.command(token, "unit.locate", {"unit": unit, "lat": lat, "lon": -122.4})
    assert answer.status_code == 200, answer.text
    return int(answer.json()["events"][0]["seq"])


def test_a_hospitals_feed_carries_the_positions_of_ambulances_coming_to_it_only(
    server: Server,
) -> None:
    desk = server.account("claw", "dispatcher")
    medic = server.account("medic", "officer", member="medic1")
    zgh = server.account("zgh-desk", "hospital", member="ZGH")
    created = server.command(
        desk, "incident.create", {"type": "MEDICAL", "priority": 2, "location": HERE}
    ).json()["events"]
    incident = next(e["incident"] for e in created if e["type"] == "incident.created")
    server.command(desk, "unit.dispatch", {"incident": incident, "units": ["M-51"]})
    server.command(medic, "unit.status", {"unit": "M-51", "status": "onscene"})
    headers = {"Authorization": f"Bearer {zgh}"}
    with server.client.websocket_connect("/api/live", headers=headers) as ws:
        assert json.loads(ws.receive_text())["type"] == "snapshot"
        before = _locate(server, desk, "M-51", 37.71)  # on scene: not coming yet
        start = {"unit": "M-51", "patient": {"description": "a woman"}, "destination": "ZGH"}
        assert server.command(medic, "transport.start", start).status_code == 200
        coming = _locate(server, desk, "M-51", 37.72)
        other = _locate(server, desk, "ZPD-5", 37.73)  # a unit carrying no one here
        assert server.command(medic, "transport.arrive", {"unit": "M-51"}).status_code == 200
        after = _locate(server, desk, "M-51", 37.74)  # arrived: no longer coming
        received = receive_through(ws, server.rt.service.store.head())
    events: list[dict[str, Any]] = [m["event"] for m in received if m["type"] == "event"]
    located = [e["seq"] for e in events if e["type"] == "unit.located"]
    assert located == [coming]
    assert {before, other, after}.isdisjoint(e["seq"] for e in events)
    kinds = [e["type"] for e in events]
    # its status on the way is read; its status once arrived is the crew's own affair
    assert kinds == [
        "transport.started",
        "unit.status_changed",
        "unit.located",
        "transport.arrived",
    ], kinds
    # once arrived, the snapshot has no unit coming either
    assert server.get(zgh, "/api/snapshot").json()["state"]["units"] == {}


def _carrying(server: Server, desk: str, unit: str, to: str) -> None:
    """``unit`` dispatched to a new incident HERE, on scene, then carrying a patient to
    ``to``: each step by the dispatcher, as a crew's radio call is entered."""
    created = server.command(
        desk, "incident.create", {"type": "MEDICAL", "priority": 2, "location": HERE}
    ).json()["events"]
    incident = next(e["incident"] for e in created if e["type"] == "incident.created")
    patient = {"description": "a man"}
    for do, with_ in (
        ("unit.dispatch", {"incident": incident, "units": [unit]}),
        ("unit.status", {"unit": unit, "status": "onscene"}),
        ("transport.start", {"unit": unit, "patient": patient, "destination": to}),
    ):
        answer = server.command(desk, do, with_)
        assert answer.status_code == 200, answer.text


def test_a_hospital_reads_each_coming_ambulances_drive_time_by_road(server: Server) -> None:
    admin = server.account("root", "admin")
    assert server.command(admin, "facility.register", OTHER).status_code == 200
    desk = server.account("claw", "dispatcher")
    medic = server.account("medic", "officer", member="medic1")
    zgh = server.account("zgh-desk", "hospital", member="ZGH")
    assert server.get(zgh, "/api/facilities/ZGH/arrivals").json()["arrivals"] == []

    _carrying(server, desk, "M-51", "ZGH")
    _carrying(server, desk, "M-53", "ZMC")  # to the other hospital: not ZGH's
    at = {"lat": 37.7793, "lon": -122.4193}
    server.command(medic, "unit.locate", {"unit": "M-51", **at})

    answer = server.get(zgh, "/api/facilities/ZGH/arrivals")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["facility"] == "ZGH"
    [arrival] = body["arrivals"]
    assert arrival["unit"] == "M-51" and arrival["error"] is None
    assert arrival["located_at"] == server.rt.service.state.units["M-51"].located_at
    # the same drive time the map's router gives from there to the hospital
    hospital = server.rt.service.state.facilities["ZGH"].location
    assert server.rt.roads is not None
    route = server.rt.roads.route((at["lat"], at["lon"]), (hospital["lat"], hospital["lon"]))
    assert arrival["eta_s"] == round(route.eta_s, 1) > 0
    assert arrival["distance_m"] == round(route.distance_m, 1)

    # a hospital reads its own facility's only
    other = server.get(zgh, "/api/facilities/ZMC/arrivals")
    assert other.status_code == 403
    assert "only its own facility's arrivals (ZGH)" in other.json()["error"]["message"]
    [denied] = [a for a in server.journal("audit.") if a.get("outcome") == "denied"]
    assert denied["user"] == "zgh-desk" and "ZMC/arrivals" in denied["detail"]


def test_staff_read_any_facilitys_arrivals_and_bad_ones_are_told_why(server: Server) -> None:
    desk = server.account("claw", "dispatcher")
    _carrying(server, desk, "M-51", "ZGH")

    mine = server.get(desk, "/api/facilities/ZGH/arrivals").json()
    assert mine["facility"] == "ZGH"
    assert [a["unit"] for a in mine["arrivals"]] == ["M-51"]
    assert server.get(desk, "/api/facilities/ZMC/arrivals").status_code == 404
    unknown = server.get(desk, "/api/facilities/NOPE/arrivals")
    assert unknown.status_code == 404
    assert "unknown facility 'NOPE'" in unknown.json()["error"]["message"]
    malformed = server.get(desk, "/api/facilities/-x/arrivals")
    assert malformed.status_code == 422
    assert malformed.json()["error"]["problems"][0]["field"] == "path.facility"
