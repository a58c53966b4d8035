"""evolve.js folds what the interop formats add to the state (an imported incident's
``origin``, a BOLO's ``incident`` and ``cancelled_at``) as state.py does."""

from __future__ import annotations

from py_mini_racer import MiniRacer

from tenfour.interop import eido
from tests.api.conftest import Server, server  # noqa: F401  (the fixture)
from tests.unit.test_evolve_parity import assert_same_fold, js  # noqa: F401  (the fixture)

SCENE = {"lat": 37.7925893, "lon": -122.3958821}


def test_imported_incidents_and_cap_bolos_fold_alike(server: Server, js: MiniRacer) -> None:  # noqa: F811
    token = server.account("dee", "dispatcher")
    made = server.command(
        token, "incident.create", {"type": "THEFT", "priority": 3, "location": SCENE}
    )
    incident = made.json()["events"][0]["incident"]
    with server.rt.service.locked():
        document = eido.export_incident(
            server.rt.service.state,
            incident,
            server.rt.service.timelines.of(incident),
            "peer.example.org",
            "2026-11-25T09:00:00+00:00",
        )
    answer = server.client.post(
        "/api/eido", json=document, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 201, answer.text
    imported = answer.json()["incident"]
    bolo = server.command(token, "bolo.issue", {"description": "grey van", "incident": imported})
    assert bolo.status_code == 200
    assert (
        server.command(token, "bolo.cancel", {"bolo": bolo.json()["events"][0]["bolo"]}).status_code
        == 200
    )
    state = server.rt.service.state
    assert state.incidents[imported].origin == {
        "center": "peer.example.org",
        "incident": document["$id"],
        "document": document["$id"],
        "format": "eido",
    }
    (issued,) = state.bolos.values()
    assert (issued.incident, issued.cancelled_at) == (imported, "2026-11-25T09:00:00.000Z")
    assert_same_fold(js, list(server.rt.service.store.read()))
