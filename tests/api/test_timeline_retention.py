"""An old closed incident, its timeline gone from memory, reads the same over the API:
its detail, recommendations and EIDO document come back from the journal."""

from __future__ import annotations

from typing import Any

import pytest

from tenfour.views.timeline import KEEP_CLOSED_VARIABLE

from .conftest import Server

HERE = {"lat": 37.7925893, "lon": -122.3958821}


@pytest.fixture
def keep_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """Set before the server starts: only the last closed incident stays in memory."""
    monkeypatch.setenv(KEEP_CLOSED_VARIABLE, "1")


def close_one(server: Server, desk: str) -> str:
    created = server.command(
        desk, "incident.create", {"type": "THEFT", "priority": 3, "location": HERE}
    ).json()["events"]
    incident: str = created[0]["incident"]
    server.command(desk, "unit.dispatch", {"incident": incident, "units": ["ZPD-7"]})
    server.command(desk, "incident.note", {"incident": incident, "text": "suspect fled north"})
    server.command(desk, "incident.close", {"incident": incident, "disposition": "REPORT"})
    return incident


def reads(server: Server, token: str, incident: str) -> list[Any]:
    paths = [
        f"/api/incidents/{incident}",
        f"/api/recommendations?incident={incident}",
        f"/api/incidents/{incident}/eido",
    ]
    answers = [server.get(token, path) for path in paths]
    assert [a.status_code for a in answers] == [200, 200, 200], [a.text for a in answers]
    return [a.json() for a in answers]


def test_an_old_closed_incident_reads_the_same_after_it_left_memory(
    keep_one: None, server: Server
) -> None:
    desk = server.account("claw", "dispatcher")
    analyst = server.account("ana", "analyst")
    old = close_one(server, desk)
    timelines = server.rt.service.timelines
    assert timelines.in_memory(old)
    before = {token: reads(server, token, old) for token in (desk, analyst)}
    detail = before[desk][0]
    assert "incident.closed" in [e["type"] for e in detail["timeline"]]
    assert detail["recommendations"], "the incident had a recommendation"
    close_one(server, desk)
    assert not timelines.in_memory(old)
    for token, answers in before.items():
        assert reads(server, token, old) == answers
