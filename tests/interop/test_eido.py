"""EIDO (NENA-STA-021) over the real API: every exported document valid against the
standard's own schema, the mappings of DOMAIN.md, export -> import -> export, the
shared call-transfer sample, and bad documents refused with the field and reason."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
from typer.testing import CliRunner

from tenfour.interop import eido
from tenfour.interop.eido_cli import eido_app
from tests.api.conftest import Server, server  # noqa: F401  (the fixture)

from .standards import EIDO, eido_errors, need

HERE = {"lat": 37.7925893, "lon": -122.3958821}


def _desk(server: Server) -> str:  # noqa: F811
    token: str = server.account("dee", "dispatcher")
    return token


def _busy_incident(server: Server, token: str) -> str:  # noqa: F811
    """A 9-1-1 call's incident with a victim, a note and a unit dispatched."""
    answer = server.command(
        token,
        "call.create",
        {"text": "Fight outside the bar", "type": "ASSAULT", "priority": 2, "location": HERE},
    )
    assert answer.status_code == 200, answer.text
    incident: str = next(
        e["incident"] for e in answer.json()["events"] if e["type"] == "incident.created"
    )
    for do, payload in (
        ("subject.add", {"incident": incident, "role": "victim", "description": "man, 40s, cut"}),
        ("incident.note", {"incident": incident, "text": "caller says <two> men & a knife"}),
        ("unit.dispatch", {"incident": incident, "units": ["ZPD-3"]}),
    ):
        assert server.command(token, do, payload).status_code == 200
    return incident


def _export(server: Server, token: str, incident: str) -> dict[str, Any]:  # noqa: F811
    answer = server.get(token, f"/api/incidents/{incident}/eido")
    assert answer.status_code == 200, answer.text
    document: dict[str, Any] = answer.json()
    assert eido_errors(document) == []
    return document


def _by_id(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        c["$id"]: c
        for name, value in document.items()
        if name.endswith("Component") and isinstance(value, list)
        for c in value
    }


def _pos(document: dict[str, Any], ref: dict[str, str]) -> tuple[float, float]:
    return _point(_by_id(document)[ref["$ref"]])


def _point(location: dict[str, Any]) -> tuple[float, float]:
    found = eido.parse_location(location["locationByValue"])
    return found["lat"], found["lon"]


def _notes(document: dict[str, Any], refs: list[dict[str, str]]) -> list[str]:
    notes = _by_id(document)
    return [notes[r["$ref"]]["notesActionComments"] for r in refs]


def test_an_incident_exports_as_a_valid_eido_with_domain_mappings(server: Server) -> None:  # noqa: F811
    need(EIDO / "openapi.yaml")
    token = _desk(server)
    incident = _busy_incident(server, token)
    document = _export(server, token, incident)
    component = document["incidentComponent"]
    assert component["incidentTypeCommonRegistryText"] == "ASSAULT"
    assert component["incidentCommonPriorityNumber"] == 8  # priority 2 (DOMAIN.md)
    assert component["incidentStatusCommonRegistryText"] == ["Open"]
    assert _pos(document, component["locationReference"][0]) == (HERE["lat"], HERE["lon"])
    assert "caller says &lt;two&gt; men &amp; a knife" in _notes(
        document, component["notesReference"]
    )
    (person,) = document["personComponent"]
    assert person["personIncidentRoleRegistryText"] == ["Victim"]
    assert _notes(document, person["notesReference"]) == ["man, 40s, cut"]
    (call,) = document["callComponent"]
    assert (call["standardPrimaryCallType"], call["direction"]) == ("emergency", "incoming")
    assert _notes(document, call["notesReference"]) == ["Fight outside the bar"]
    (unit,) = document["emergencyResourceComponent"]
    assert unit["emergencyResourceName"] == "ZPD-3"
    assert unit["primaryUnitStatusRegistryText"] == "NotAvailable"
    assert unit["secondaryUnitStatusRegistryText"] == ["Dispatched"]
    assert unit["activeOnIncidentId"] == document["$id"]
    agencies = {a["$id"]: a for a in document["agencyComponent"]}
    assert agencies["testserver"]["incidentOwningAgencyIndicator"] is True
    assert any(a["agencyType"] == ["Law"] for a in agencies.values())

    # On scene, then closed: the status and the disposition follow, still valid.
    assert (
        server.command(token, "unit.status", {"unit": "ZPD-3", "status": "onscene"}).status_code
        == 200
    )
    resource = _export(server, token, incident)["emergencyResourceComponent"][0]
    assert resource["secondaryUnitStatusRegistryText"] == ["OnScene"]
    closed = server.command(
        token, "incident.close", {"incident": incident, "disposition": "ARREST"}
    )
    assert closed.status_code == 200, closed.text
    document = _export(server, token, incident)
    assert document["incidentComponent"]["incidentStatusCommonRegistryText"] == ["Closed"]
    (disposition,) = document["incidentComponent"]["dispositionComponent"]
    assert disposition["dispositionCommonRegistryCode"] == "ARREST"
    # The unit worked it (the journal says so) though it is no longer on it.
    (resource,) = document["emergencyResourceComponent"]
    assert resource["primaryUnitStatusRegistryText"] == "Available"
    assert "activeOnIncidentId" not in resource


@pytest.mark.parametrize(("priority", "number"), sorted(eido.PRIORITY_TO_EIDO.items()))
def test_priorities_map_both_ways(priority: int, number: int) -> None:
    assert eido.priority_from_eido(number) == priority


def test_every_unit_status_has_an_eido_status() -> None:
    from tenfour.domain.values import UNIT_STATUSES

    assert set(eido.UNIT_STATUS) == set(UNIT_STATUSES)


def test_export_import_export_keeps_the_incident(server: Server) -> None:  # noqa: F811
    need(EIDO / "openapi.yaml")
    token = _desk(server)
    first = _export(server, token, _busy_incident(server, token))
    answer = server.client.post(
        "/api/eido", json=first, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 201, answer.text
    imported = answer.json()["incident"]
    created = next(e for e in server.journal("incident.created") if e["incident"] == imported)
    assert created["source"] == "eido"
    assert created["by"] == "dee"
    assert created["origin"] == {
        "center": "testserver",
        "incident": first["$id"],
        "document": first["$id"],
        "format": "eido",
    }
    second = _export(server, token, imported)
    one, two = first["incidentComponent"], second["incidentComponent"]
    for name in ("incidentTypeCommonRegistryText", "incidentCommonPriorityNumber"):
        assert one[name] == two[name]
    assert _pos(first, one["locationReference"][0]) == _pos(second, two["locationReference"][0])
    people = [
        (p["personIncidentRoleRegistryText"], _notes(doc, p["notesReference"]))
        for doc in (first, second)
        for p in doc["personComponent"]
    ]
    assert people[0] == people[1]
    # The incident's notes come back as notes; the call's text comes back as a note too.
    assert set(_notes(first, one["notesReference"])) <= set(_notes(second, two["notesReference"]))
    assert "Fight outside the bar" in _notes(second, two["notesReference"])

    # The same incident sent twice is one incident here.
    again = server.client.post(
        "/api/eido", json=first, headers={"Authorization": f"Bearer {token}"}
    )
    assert again.status_code == 409, again.text
    problem = again.json()["error"]["problems"][0]
    assert problem["field"] == "with.origin.incident"
    assert imported in problem["reason"]


def _sample() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(need(EIDO / "sample-call-transfer.json").read_text())
    return loaded


def test_the_shared_call_transfer_sample_maps_and_imports(server: Server) -> None:  # noqa: F811
    sample = _sample()
    assert eido_errors(sample) == []
    payload = eido.import_payload(sample)
    assert payload["type"] == "TRANSFER"  # a call transfer: no incident type yet
    assert payload["priority"] == 2
    assert payload["location"] == {"address": "42 W Cellular Street, Wilmington, DE, US"}
    assert payload["origin"] == {
        "center": "state.pa.us",
        "document": "urn:emergency:uid:incidentid:a56e556d871:bcf.state.pa.us",
        "incident": "urn:emergency:uid:incidentid:a56e556d871:bcf.state.pa.us",
    }
    assert payload["subjects"] == [
        {
            "role": "other",
            "description": "Caller; call back sip:8195551212@osp.com or tel:8195551212",
        }
    ]
    token = _desk(server)
    headers = {"Authorization": f"Bearer {token}"}
    # Wilmington, Delaware is not on this center's map: said so, nothing created.
    answer = server.client.post("/api/eido", json=sample, headers=headers)
    assert answer.status_code == 404, answer.text
    problem = answer.json()["error"]["problems"][0]
    assert problem["field"] == "with.location.address"
    assert "42 W Cellular Street" in problem["reason"]
    assert server.journal("incident.created") == []
    # The same transfer for a street on the map imports, its caller with it.
    moved = copy.deepcopy(sample)
    location = moved["locationComponent"][0]
    location["locationByValue"] = re.sub(
        r"<civicAddress .*</civicAddress>",
        '<civicAddress xmlns="urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr">'
        "<country>US</country><A1>CA</A1><A3>San Francisco</A3><RD>Market</RD>"
        "<STS>Street</STS><HNO>100</HNO></civicAddress>",
        location["locationByValue"],
    )
    answer = server.client.post("/api/eido", json=moved, headers=headers)
    assert answer.status_code == 201, answer.text
    types = [e["type"] for e in answer.json()["events"]]
    assert types == ["incident.created", "subject.added"]
    created = answer.json()["events"][0]
    assert created["location"]["address"] == "100 Market Street, San Francisco, CA, US"
    assert created["origin"]["center"] == "state.pa.us"


def _problems(answer: Any) -> dict[str, str]:
    return {p["field"]: p["reason"] for p in answer.json()["error"]["problems"]}


@pytest.mark.parametrize(
    ("spoil", "field", "reason"),
    [
        (lambda d: d.pop("eidoVersion"), "eidoVersion", "must be '1.0'"),
        (lambda d: d.update({"$id": 7}), "$id", "required"),
        (
            lambda d: d["incidentComponent"].update(incidentCommonPriorityNumber="high"),
            "incidentComponent.incidentCommonPriorityNumber",
            "integer from 1 to 10",
        ),
        (
            lambda d: d["incidentComponent"].update(incidentCommonPriorityNumber=11),
            "incidentComponent.incidentCommonPriorityNumber",
            "got 11",
        ),
        (lambda d: d.update(personComponent={}), "personComponent", "array"),
        (
            lambda d: d["personComponent"][0].update(personIncidentRoleRegistryText="Victim"),
            "personComponent.0.personIncidentRoleRegistryText",
            "array of strings",
        ),
        (
            lambda d: d["locationComponent"][0].update(locationByValue="<presence"),
            "locationComponent.0.locationByValue",
            "not well-formed",
        ),
        (
            lambda d: d["locationComponent"][0].update(
                locationByValue=d["locationComponent"][0]["locationByValue"].replace(
                    "37.7925893 -122.3958821", "137.7 -122.3"
                )
            ),
            "locationComponent.0.locationByValue",
            "outside WGS84",
        ),
        (
            lambda d: d["incidentComponent"].update(locationReference=[{"$ref": "nowhere"}]),
            "locationReference",
            "names no locationComponent",
        ),
        (
            lambda d: d["incidentComponent"].update(notesReference=[{"ref": "x"}]),
            "incidentComponent.notesReference.0",
            "$ref",
        ),
    ],
)
def test_bad_documents_are_refused_naming_the_field(
    server: Server,  # noqa: F811
    spoil: Any,
    field: str,
    reason: str,
) -> None:
    token = _desk(server)
    document = _export(server, token, _busy_incident(server, token))
    before = len(server.journal())
    spoil(document)
    answer = server.client.post(
        "/api/eido", json=document, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 422, answer.text
    problems = _problems(answer)
    assert field in problems, problems
    assert reason in problems[field]
    assert len(server.journal()) == before


def test_import_refuses_what_is_not_an_eido_object_or_too_big(server: Server) -> None:  # noqa: F811
    token = _desk(server)
    headers = {"Authorization": f"Bearer {token}"}
    for body in (b"[1, 2]", b'"text"', b"7", b"null"):
        answer = server.client.post("/api/eido", content=body, headers=headers)
        assert answer.status_code == 422, (body, answer.text)
        assert _problems(answer) == {"body": "an EIDO document must be a JSON object"}
    for content in (b'{"eidoVersion": ', b"", b"\xff\xfe"):
        answer = server.client.post("/api/eido", content=content, headers=headers)
        assert answer.status_code == 422
        assert _problems(answer)["body"].startswith("not a JSON document")
    huge = {"eidoVersion": "1.0", "padding": "x" * 1_100_000}
    answer = server.client.post("/api/eido", json=huge, headers=headers)
    assert answer.status_code == 413


def test_who_may_import_and_export(server: Server) -> None:  # noqa: F811
    desk = _desk(server)
    incident = _busy_incident(server, desk)
    document = _export(server, desk, incident)
    officer = server.account("judy", "officer", member="hopps")
    assert server.get(officer, f"/api/incidents/{incident}/eido").status_code == 200
    answer = server.client.post(
        "/api/eido", json=document, headers={"Authorization": f"Bearer {officer}"}
    )
    assert answer.status_code == 403
    assert server.get(desk, "/api/incidents/1999-000001/eido").status_code == 404
    server.client.cookies.clear()  # logging in left a session cookie
    assert server.client.post("/api/eido", json=document).status_code == 401


def test_the_cli_exports_from_a_journal(server: Server) -> None:  # noqa: F811
    need(EIDO / "openapi.yaml")
    token = _desk(server)
    incident = _busy_incident(server, token)
    runner = CliRunner()
    database = str(server.database)
    done = runner.invoke(
        eido_app, ["export", incident, "--database", database, "--center", "cad.example.org"]
    )
    assert done.exit_code == 0, done.output
    document = json.loads(done.stdout)
    assert eido_errors(document) == []
    assert document["$id"] == f"urn:emergency:uid:incidentid:{incident}:cad.example.org"
    assert document["personComponent"][0]["personIncidentRoleRegistryText"] == ["Victim"]
    missing = runner.invoke(eido_app, ["export", "1999-000001", "--database", database])
    assert missing.exit_code == 1
    assert "no incident 1999-000001" in missing.stderr
    nowhere = runner.invoke(eido_app, ["export", incident, "--database", database + ".none"])
    assert nowhere.exit_code == 2
    assert "no journal at" in nowhere.stderr
