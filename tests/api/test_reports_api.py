"""The analyst's reports over HTTP: figures from the server's own journal, who may see
them, and bad filters answered 422 naming the parameter."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tenfour.api.app import create_app
from tenfour.api.settings import Settings
from tenfour.clock import SimClock
from tests.reports.districts import write_central

from .conftest import ROLES, START, Server

HERE = {"lat": 37.7925893, "lon": -122.3958821}


def test_the_figures_follow_the_journal_as_it_grows(server: Server) -> None:
    desk = server.account("claw", "calltaker")
    dispatcher = server.account("disp", "dispatcher")
    judy = server.account("judy", "officer", member="hopps")
    analyst = server.account("bell", "analyst")
    empty = server.get(analyst, "/api/reports/intervals").json()
    assert empty["incidents"]["count"] == 0

    created = server.command(
        desk,
        "call.create",
        {"source": "911", "text": "Fight", "type": "ASSAULT", "priority": 2, "location": HERE},
    ).json()["events"]
    incident = next(e["incident"] for e in created if e["type"] == "incident.created")
    server.advance(seconds=40)
    server.command(dispatcher, "unit.dispatch", {"incident": incident, "units": ["ZPD-7"]})
    server.advance(seconds=50)
    server.command(
        judy, "unit.status", {"unit": "ZPD-7", "status": "enroute", "incident": incident}
    )
    server.advance(seconds=200)
    server.command(judy, "unit.status", {"unit": "ZPD-7", "status": "onscene"})

    answer = server.get(analyst, "/api/reports/intervals?by=type,priority")
    assert answer.status_code == 200, answer.text
    report = answer.json()
    overall = report["overall"]
    assert overall["call_processing_s"]["p90_s"] == 40.0
    assert overall["turnout_s"]["p90_s"] == 50.0
    assert overall["travel_s"]["p90_s"] == 200.0
    assert overall["response_s"]["p90_s"] == 290.0
    assert report["groups"][0]["key"] == {"type": "ASSAULT", "priority": "2"}
    assert report["incidents"] == {"count": 1, "complete": 1, "with_problems": 0}
    # a window that ends before the call leaves it out
    before = server.get(analyst, "/api/reports/intervals?from=2026-11-01&to=2026-11-25")
    assert before.json()["incidents"]["count"] == 0


@pytest.mark.parametrize("role", ROLES)
def test_only_analysts_supervisors_and_admins_read_reports(server: Server, role: str) -> None:
    member = "hopps" if role == "officer" else None
    token = server.account(f"user-{role}", role, member=member)
    answer = server.get(token, "/api/reports/intervals")
    assert answer.status_code == (200 if role in ("analyst", "supervisor", "admin") else 403)
    page = server.client.get("/reports", headers={"Authorization": f"Bearer {token}"})
    assert page.status_code in ((200,) if role in ("analyst", "supervisor", "admin") else (403,))


def test_without_a_session_the_page_goes_to_login(server: Server) -> None:
    answer = server.client.get("/reports", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith(
        "/login?next=/reports"
    )
    assert server.client.get("/api/reports/intervals").status_code == 401


@pytest.mark.parametrize(
    ("query", "field", "reason"),
    [
        (
            "by=colour",
            "query.by",
            "should match pattern '^(agency|unit|kind|type|priority|district|hour|day)",
        ),
        ("by=", "query.by", "should match pattern"),
        ("from=yesterday", "query.from", "valid datetime"),
        ("to=2026-13-01", "query.to", "valid datetime"),
    ],
)
def test_bad_filters_are_422_naming_the_parameter(
    server: Server, query: str, field: str, reason: str
) -> None:
    analyst = server.account("bell", "analyst")
    answer = server.get(analyst, f"/api/reports/intervals?{query}")
    assert answer.status_code == 422, answer.text
    problems = answer.json()["error"]["problems"]
    assert problems[0]["field"] == field and reason in problems[0]["reason"]


def test_districts_without_the_servers_districts_file_are_409(server: Server) -> None:
    analyst = server.account("bell", "analyst")
    answer = server.get(analyst, "/api/reports/intervals?by=type,district")
    assert answer.status_code == 409, answer.text
    [problem] = answer.json()["error"]["problems"]
    assert problem["field"] == "query.by"
    assert problem["reason"] == (
        "grouping by district needs a districts file (the server has none: "
        "tenfour serve --districts FILE)"
    )
    # and the list a page offers the grouping from is empty; not for a dispatcher
    assert server.get(analyst, "/api/reports/districts").json() == {"districts": []}
    desk = server.account("disp", "dispatcher")
    assert server.get(desk, "/api/reports/districts").status_code == 403


def test_a_window_ending_before_it_starts_is_empty(server: Server) -> None:
    analyst = server.account("bell", "analyst")
    answer = server.get(analyst, "/api/reports/intervals?from=2026-11-25&to=2026-11-24")
    assert answer.status_code == 200 and answer.json()["incidents"]["count"] == 0


def test_districts_group_the_figures_when_the_server_has_them(tmp_path: Path) -> None:
    path = write_central(tmp_path)
    settings = Settings(
        database=str(tmp_path / "tenfour.db"),
        clock=SimClock(START),
        fast_hashing=True,
        report_districts=str(path),
    )
    with TestClient(create_app(settings), client=("198.51.100.7", 50000)) as client:
        server = Server(client, settings.clock, tmp_path / "tenfour.db")  # type: ignore[arg-type]
        desk = server.account("claw", "calltaker")
        analyst = server.account("bell", "analyst")
        far = {"lat": 37.7862, "lon": -122.4206}  # on the map, west of the square
        for where in (HERE, far):
            assert server.command(
                desk, "call.create", {"source": "911", "text": "x", "type": "ASSAULT",
                                      "priority": 2, "location": where},
            ).status_code == 200  # fmt: skip
        listed = server.get(analyst, "/api/reports/districts")
        assert listed.status_code == 200 and listed.json() == {"districts": ["Central"]}
        answer = server.get(analyst, "/api/reports/intervals?by=district")
        assert answer.status_code == 200, answer.text
        groups = {g["key"]["district"]: g["incidents"] for g in answer.json()["groups"]}
        assert groups == {"Central": 1, "(outside)": 1}
