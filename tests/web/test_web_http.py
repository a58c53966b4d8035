"""The pages and the map endpoints over plain HTTP: who gets which page, the road
drawing, routes with ETAs, the vocabulary, and static files that reach nowhere else."""

from __future__ import annotations

import gzip
import itertools
import json
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tenfour.api.app import create_app
from tenfour.api.settings import Settings
from tenfour.api.web import CSP
from tenfour.clock import SimClock
from tenfour.domain.rules import MEMBER_TRANSITIONS, UNIT_TRANSITIONS
from tenfour.geo import load_map
from tenfour.web import PAGES_DIR, STATIC_DIR
from tenfour.web.drawing import road_chains, road_lines
from tests.api.conftest import PASSWORD, START, Server

HERE = {"lat": 37.7925893, "lon": -122.3958821}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    clock = SimClock(START)
    database = tmp_path / "tenfour.db"
    settings = Settings(database=str(database), clock=clock, fast_hashing=True)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield Server(client, clock, database)


def cookie_login(server: Server, username: str, role: str, member: str | None = None) -> None:
    """Log in the test client as a browser does: the session cookie is kept."""
    server.rt.accounts.create(username, role, PASSWORD, member=member, now=server.clock.now())
    answer = server.client.post("/api/login", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200


# --- pages ------------------------------------------------------------------------------
@pytest.mark.parametrize("page", ["/login", "/tip"])
def test_public_pages_are_served_with_a_strict_policy(server: Server, page: str) -> None:
    answer = server.client.get(page)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.headers["content-security-policy"] == CSP
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert answer.headers["cache-control"] == "no-store"
    assert "<main" in answer.text


@pytest.mark.parametrize("page", ["/console", "/mdt"])
def test_staff_pages_send_strangers_to_the_login(server: Server, page: str) -> None:
    answer = server.client.get(page)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/login?next={page}"
    assert server.client.get("/").headers["location"] == "/login"


def test_a_dead_session_cookie_is_told_it_expired(server: Server) -> None:
    server.client.cookies.set("tenfour_session", "not-a-session")
    answer = server.client.get("/console")
    assert answer.headers["location"] == "/login?next=/console&expired=1"


def test_each_role_gets_its_page(server: Server) -> None:
    cookie_login(server, "claw", "dispatcher")
    assert server.client.get("/").headers["location"] == "/console"
    assert server.client.get("/console").status_code == 200
    assert server.client.get("/mdt").status_code == 200  # a desk may look at an MDT
    server.client.cookies.clear()
    cookie_login(server, "judy", "officer", member="hopps")
    assert server.client.get("/").headers["location"] == "/mdt"
    assert server.client.get("/console").headers["location"] == "/mdt"
    mdt = server.client.get("/mdt")
    assert mdt.status_code == 200 and "emergency" in mdt.text.lower()


def test_static_files_are_served(server: Server) -> None:
    js = server.client.get("/static/js/console.js")
    assert js.status_code == 200
    assert "javascript" in js.headers["content-type"]
    css = server.client.get("/static/css/tenfour.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]
    assert server.client.get("/static/js/nothing.js").status_code == 404
    assert server.client.get("/static/../api/web.py").status_code == 404


def test_the_pages_load_nothing_from_outside_and_nothing_bundled() -> None:
    """No tiles, fonts or scripts from the internet; no third-party or built bundles."""
    files = [p for p in [*PAGES_DIR.rglob("*"), *STATIC_DIR.rglob("*")] if p.is_file()]
    assert {p.suffix for p in files} <= {".html", ".css", ".js", ".svg"}
    for path in files:
        # an XML namespace is a name, not a place anything is loaded from
        text = path.read_text(encoding="utf-8").replace('xmlns="http://www.w3.org/2000/svg"', "")
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", text), path
        assert "sourceMappingURL" not in text and ".min." not in path.name, path
        if path.suffix == ".js":
            for target in re.findall(r"""^\s*import\b[^"']*["']([^"']+)["']""", text, re.M):
                # a page's own modules, side by side or one folder up (js/mdt/ -> js/)
                assert target.startswith(("./", "../")), target
                found = (path.parent / target).resolve()
                assert found.is_file() and found.is_relative_to(STATIC_DIR.resolve()), target
        if path.suffix == ".html":
            # nothing inline: the Content-Security-Policy would block it anyway
            assert not re.search(r"<script(?![^>]*\bsrc=)", text), path
            assert " style=" not in text and "<style" not in text, path
            assert re.search(r'<html lang="en">', text), path


# --- the map ------------------------------------------------------------------------------
def test_the_map_is_for_staff_only(server: Server) -> None:
    assert server.client.get("/api/map").status_code == 401
    assert server.client.get("/api/routes").status_code == 401
    assert server.client.get("/api/routes/ZPD-3").status_code == 401
    assert server.client.get("/api/vocabulary").status_code == 401


def test_the_map_draws_the_roads_small_and_cached(server: Server) -> None:
    token = server.account("judy", "officer", member="hopps")
    headers = {"Authorization": f"Bearer {token}"}
    answer = server.client.get("/api/map", headers=headers)
    assert answer.status_code == 200
    assert len(answer.content) < 300_000
    drawing = answer.json()
    bounds = drawing["bounds"]
    roads = load_map("demo")
    assert bounds["south"] == roads.bounds.south and bounds["east"] == roads.bounds.east
    # every point decodes to a point of the map
    lat0, lon0 = drawing["origin"]
    for line in drawing["lines"][:200]:
        lats = lat0 + np.cumsum(line[2::2]) * drawing["resolution"]
        lons = lon0 + np.cumsum(line[3::2]) * drawing["resolution"]
        assert (lats >= bounds["south"] - 1e-5).all() and (lats <= bounds["north"] + 1e-5).all()
        assert (lons >= bounds["west"] - 1e-5).all() and (lons <= bounds["east"] + 1e-5).all()
        assert drawing["classes"][line[0]] and isinstance(drawing["names"][line[1]], str)
    # gzip when asked, and a revalidation costs nothing
    raw = server.client.get(
        "/api/map", headers={**headers, "Accept-Encoding": "gzip"}, follow_redirects=False
    )
    assert raw.headers["content-encoding"] == "gzip"
    etag = answer.headers["etag"]
    again = server.client.get("/api/map", headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""


def test_the_drawing_has_every_stretch_of_road_exactly_once() -> None:
    roads = load_map("demo")
    net = roads.network
    drawn = [
        (min(a, b), max(a, b))
        for _, _, nodes in road_chains(roads)
        for a, b in itertools.pairwise(nodes)
    ]
    expected = {
        (min(a, b), max(a, b))
        for a, b in zip(net.arc_from.tolist(), net.arc_to.tolist(), strict=True)
        if a != b
    }
    assert len(drawn) == len(set(drawn)), "a stretch drawn twice"
    assert set(drawn) == expected
    drawing = road_lines(roads)
    assert len(drawing["lines"]) < len(expected) / 5, "segments were not chained"
    # and the lines decode to the nodes' positions, to the metre
    lat0, lon0 = drawing["origin"]
    step = drawing["resolution"]
    for line, (_, _, nodes) in zip(drawing["lines"], road_chains(roads), strict=True):
        lats = lat0 + np.cumsum(line[2::2]) * step
        lons = lon0 + np.cumsum(line[3::2]) * step
        assert np.abs(lats - net.lat[nodes]).max() <= step
        assert np.abs(lons - net.lon[nodes]).max() <= step


def test_routes_of_responding_units_with_etas(server: Server) -> None:
    desk = server.account("claw", "dispatcher")
    headers = {"Authorization": f"Bearer {desk}"}
    assert server.client.get("/api/routes", headers=headers).json()["routes"] == []
    made = server.command(desk, "incident.create", {"type": "X", "priority": 2, "location": HERE})
    incident = made.json()["events"][0]["incident"]
    server.command(desk, "unit.dispatch", {"incident": incident, "units": ["ZPD-3", "ZPD-9"]})
    routes = server.client.get("/api/routes", headers=headers).json()
    assert routes["position"] == server.rt.service.state.seq
    by_unit = {r["unit"]: r for r in routes["routes"]}
    assert set(by_unit) == {"ZPD-3", "ZPD-9"}
    one = server.client.get("/api/routes/ZPD-3", headers=headers).json()
    assert one == by_unit["ZPD-3"]
    unit = server.rt.service.state.units["ZPD-3"]
    assert unit.location is not None
    expected = load_map("demo").route(
        (unit.location["lat"], unit.location["lon"]), (HERE["lat"], HERE["lon"])
    )
    assert one["incident"] == incident and one["status"] == "dispatched"
    assert one["eta_s"] == round(expected.eta_s, 1) and one["eta_s"] > 0
    assert one["distance_m"] == round(expected.distance_m, 1)
    assert one["points"][0] == pytest.approx([unit.location["lat"], unit.location["lon"]], abs=1e-3)
    assert one["points"][-1] == pytest.approx([HERE["lat"], HERE["lon"]], abs=1e-3)
    assert one["streets"] and one["error"] is None
    # ZPD-9 is further away than ZPD-3
    assert by_unit["ZPD-9"]["eta_s"] > one["eta_s"]


def test_a_unit_carrying_a_patient_is_routed_to_the_hospital(server: Server) -> None:
    desk = server.account("claw", "dispatcher")
    headers = {"Authorization": f"Bearer {desk}"}
    made = server.command(desk, "incident.create", {"type": "X", "priority": 2, "location": HERE})
    incident = made.json()["events"][0]["incident"]
    server.command(desk, "unit.dispatch", {"incident": incident, "units": ["M-51"]})
    one = server.client.get("/api/routes/M-51", headers=headers).json()
    assert one["facility"] is None and one["status"] == "dispatched"
    server.command(desk, "unit.status", {"unit": "M-51", "status": "onscene"})
    idle = server.client.get("/api/routes/M-51", headers=headers)
    assert idle.status_code == 409
    assert "onscene, not on its way to an incident or a hospital" in idle.text
    patient = {"description": "a man"}
    answer = server.command(
        desk, "transport.start", {"unit": "M-51", "patient": patient, "destination": "ZGH"}
    )
    assert answer.status_code == 200, answer.text
    one = server.client.get("/api/routes/M-51", headers=headers).json()
    assert (one["facility"], one["incident"], one["status"]) == ("ZGH", incident, "transporting")
    hospital = server.rt.service.state.facilities["ZGH"].location
    assert one["points"][-1] == pytest.approx([hospital["lat"], hospital["lon"]], abs=1e-3)
    # the same drive time the hospital's own list gives, and in the list of all routes
    [arrival] = server.client.get("/api/facilities/ZGH/arrivals", headers=headers).json()[
        "arrivals"
    ]
    assert (arrival["eta_s"], arrival["distance_m"]) == (one["eta_s"], one["distance_m"])
    assert one in server.client.get("/api/routes", headers=headers).json()["routes"]


def test_a_route_of_a_unit_not_on_its_way_is_a_clear_error(server: Server) -> None:
    desk = server.account("claw", "dispatcher")
    headers = {"Authorization": f"Bearer {desk}"}
    missing = server.client.get("/api/routes/ZPD-99", headers=headers)
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == "unknown unit 'ZPD-99'"
    idle = server.client.get("/api/routes/ZPD-3", headers=headers)
    assert idle.status_code == 409
    assert "available, not on its way" in idle.json()["error"]["message"]
    bad = server.client.get("/api/routes/%20bad", headers=headers)
    assert bad.status_code == 422


def test_the_vocabulary_follows_the_role(server: Server) -> None:
    desk = server.account("claw", "dispatcher")
    officer = server.account("judy", "officer", member="hopps")
    words = server.get(desk, "/api/vocabulary").json()
    assert words["role"] == "dispatcher"
    assert {"unit.dispatch", "incident.create", "alert.acknowledge"} <= set(words["commands"])
    assert "alert.raise" not in words["commands"]  # the system's own
    assert words["unit_transitions"] == {k: list(v) for k, v in UNIT_TRANSITIONS.items()}
    # the MDT's own-status buttons follow the server's rules, not a copy in the page
    assert words["member_transitions"] == {k: list(v) for k, v in MEMBER_TRANSITIONS.items()}
    assert words["member_transitions"]["down"] == ["with_unit", "away", "onscene"]
    # the roles the command line's `subj` completes, from subject.add itself
    assert words["subject_roles"] == ["suspect", "victim", "witness", "patient", "officer", "other"]
    assert "THEFT" in words["incident_types"] and words["session_idle_s"] == 1800
    theirs = server.get(officer, "/api/vocabulary").json()
    assert "emergency.declare" in theirs["commands"]
    assert "incident.close" not in theirs["commands"]


def test_the_openapi_document_describes_the_map_endpoints(server: Server) -> None:
    paths = server.client.get("/openapi.json").json()["paths"]
    assert {"/api/map", "/api/routes", "/api/routes/{unit}", "/api/vocabulary"} <= set(paths)
    assert "/console" not in paths and "/static" not in json.dumps(paths)


def test_gzip_body_is_the_json(server: Server) -> None:
    token = server.account("claw", "dispatcher")
    from tenfour.web.drawing import drawing_of

    drawing = drawing_of(server.rt.roads or load_map("demo"))
    assert gzip.decompress(drawing.gzipped) == drawing.body
    assert json.loads(drawing.body) == server.get(token, "/api/map").json()
