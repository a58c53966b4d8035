"""A hospital's own account over HTTP: it sets its own facility's status and no other's,
and reads only its facility and the ambulances coming to it (``visibility.py``)."""

from __future__ import annotations

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


def test_a_hospital_logging_in_to_the_web_lands_on_its_account_page(server: Server) -> None:
    zgh = server.account("zgh-desk", "hospital", member="ZGH")
    headers = {"Authorization": f"Bearer {zgh}"}
    for page in ("/", "/console"):
        answer = server.client.get(page, headers=headers, follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (303, "/account"), page
    assert server.client.get("/account", headers=headers).status_code == 200
