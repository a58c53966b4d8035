"""Places over HTTP: autocomplete suggestions, one text geocoded, a point described;
and where geocoding meets commands: house numbers, ambiguous streets, off-map points,
and tips whose place cannot be found."""

from __future__ import annotations

from urllib.parse import quote

from .conftest import Server


def test_suggestions_contract(server: Server) -> None:
    desk = server.account("claw", "calltaker")
    answer = server.get(desk, f"/api/places/suggest?q={quote('523 Miss')}&limit=5")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["query"] == "523 Miss"
    first = body["suggestions"][0]
    assert first["label"] == "523 Mission Street" and first["match"] == "interpolated"
    assert set(first) >= {"label", "lat", "lon", "match", "confidence", "ambiguous"}
    assert 0 < first["confidence"] <= 1 and first["ambiguous"] is False
    street = server.get(desk, "/api/places/suggest?q=Misso").json()["suggestions"][0]
    assert street["match"] == "street" and street["ambiguous"] is True
    assert set(street["extent"]) == {"south", "west", "north", "east"}
    place = server.get(desk, "/api/places/suggest?q=Ferr&limit=1").json()["suggestions"]
    assert [(p["label"], p["match"]) for p in place] == [("Ferry Building", "place")]
    assert server.get(desk, "/api/places/suggest?q=%400%2C0").json()["suggestions"] == []


def test_suggestions_need_a_staff_account_and_good_input(server: Server) -> None:
    assert server.client.get("/api/places/suggest?q=Mission").status_code == 401
    desk = server.account("claw", "dispatcher")
    for query in ("q=", "q=%20%20", "q=Mission&limit=0", "q=Mission&limit=11", "q=" + "x" * 201):
        answer = server.get(desk, f"/api/places/suggest?{query}")
        assert answer.status_code == 422, query
        assert answer.json()["error"]["problems"][0]["field"].endswith(("q", "limit"))


def test_geocode_and_reverse(server: Server) -> None:
    desk = server.account("claw", "dispatcher")
    found = server.get(desk, f"/api/places/geocode?q={quote('MISSION ST/01ST ST')}").json()
    assert (found["label"], found["match"]) == ("Mission Street & 1st Street", "intersection")
    missing = server.get(desk, f"/api/places/geocode?q={quote('12 Nowhere Lane')}")
    assert missing.status_code == 404
    problem = missing.json()["error"]["problems"][0]
    assert problem == {
        "field": "q",
        "reason": "no street 'Nowhere Lane' on the map",
        "code": "not_found",
    }
    ocean = server.get(desk, f"/api/places/geocode?q={quote('@0,0')}")
    assert ocean.status_code == 404 and "outside the map" in ocean.text
    label = server.get(desk, "/api/places/reverse?lat=37.7905&lon=-122.3985").json()["label"]
    assert ", near " in label
    assert server.get(desk, "/api/places/reverse?lat=0&lon=0").status_code == 404


def test_an_incident_at_a_house_number_is_placed(server: Server) -> None:
    desk = server.account("claw", "dispatcher")
    body = {"type": "FIRE", "priority": 1, "location": {"address": "523 Mission St"}}
    answer = server.command(desk, "incident.create", body)
    assert answer.status_code == 200, answer.text
    location = answer.json()["events"][0]["location"]
    assert location["address"] == "523 Mission St"
    assert abs(location["lat"] - 37.7889) < 0.002 and abs(location["lon"] + 122.3987) < 0.002


def test_a_bare_street_is_refused_with_the_choices(server: Server) -> None:
    desk = server.account("claw", "dispatcher")
    body = {"type": "FIRE", "priority": 1, "location": {"address": "Geary"}}
    answer = server.command(desk, "incident.create", body)
    assert answer.status_code == 404
    problem = answer.json()["error"]["problems"][0]
    assert problem["field"] == "with.location.address"
    assert "give a house number, a block or a cross street" in problem["reason"]
    assert "Geary Street" in problem["reason"]


def test_a_tip_whose_place_is_not_found_is_received_for_triage(server: Server) -> None:
    for where in ({"address": "behind the old mill on Nowhere Lane"}, {"lat": 0.0, "lon": 0.0}):
        answer = server.client.post("/api/tips", json={"text": "Smoke", "location": where})
        assert answer.status_code == 201, answer.text
    received = server.journal("tip.received")
    assert [e.get("location") for e in received] == [None, None]
    texts = [e["text"] for e in received]
    assert texts[0].startswith("Smoke (location given: 'behind the old mill on Nowhere Lane'")
    assert "outside the map" in texts[1]


def test_a_tip_at_a_landmark_is_placed(server: Server) -> None:
    answer = server.client.post(
        "/api/tips",
        json={
            "text": "Food truck on fire",
            "location": {"address": "the food truck by the Ferry Building"},
        },
    )
    assert answer.status_code == 201, answer.text
    (received,) = server.journal("tip.received")
    location = received["location"]
    assert abs(location["lat"] - 37.7955) < 1e-3 and received["text"] == "Food truck on fire"
