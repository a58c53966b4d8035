"""``GET /metrics`` against a real server app: commands by type and outcome, live feeds,
AVL refusals, alerts and timers, and who may read it at all."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from tenfour.api.app import create_app
from tenfour.api.metrics import TOKEN_ENV, scrape_options
from tenfour.api.settings import Settings
from tenfour.cli import app as cli
from tenfour.clock import SimClock

from .conftest import START, Server

HERE = {"lat": 37.7925893, "lon": -122.3958821}
TOKEN = "scrape-token-for-tests-0123456789"


def scrape(server: Server) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of the exposition: (name, labels) -> value."""
    answer = server.client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def value(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """The usual test server (a client at a documentation address), with a scrape token."""
    clock = SimClock(START)
    database = tmp_path / "tenfour.db"
    settings = Settings(
        database=str(database),
        clock=clock,
        fast_hashing=True,
        heartbeat_s=0.2,
        metrics_token=TOKEN,
    )
    with TestClient(create_app(settings), client=("198.51.100.7", 50000)) as client:
        yield Server(client, clock, database)


def test_commands_are_counted_by_type_and_outcome(server: Server) -> None:
    desk = server.account("claw", "dispatcher")
    before = scrape(server)
    created = server.command(
        desk, "incident.create", {"type": "BURGLARY", "priority": 2, "location": HERE,
                                  "text": "Secret-Witness-Name saw it"}
    )  # fmt: skip
    assert created.status_code == 200, created.text
    incident = created.json()["events"][0]["incident"]
    refused = server.command(desk, "incident.close", {"incident": "I-404", "disposition": "X"})
    assert refused.status_code == 404, refused.text
    after = scrape(server)

    accepted = (
        "tenfour_commands_total",
        {"type": "incident.create", "outcome": "accepted", "code": ""},
    )
    rejected = (
        "tenfour_commands_total",
        {"type": "incident.close", "outcome": "rejected", "code": "not_found"},
    )
    for name, labels in (accepted, rejected):
        assert value(after, name, **labels) - value(before, name, **labels) == 1
    timed = "tenfour_command_duration_seconds_count"
    assert (
        value(after, timed, type="incident.create") - value(before, timed, type="incident.create")
        == 1
    )
    appends = "tenfour_journal_append_seconds_count"
    assert value(after, appends) > value(before, appends)
    route = {"method": "POST", "route": "/api/commands", "status": "200"}
    assert value(after, "tenfour_http_request_duration_seconds_count", **route) >= 1

    # Labels are names and codes: nothing of what the incident says, nor its id.
    text = server.client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
    assert "Secret-Witness-Name" not in text and f'"{incident}"' not in text


def test_the_live_clients_gauge_follows_a_websocket(server: Server) -> None:
    watcher = server.account("watch", "dispatcher")
    assert value(scrape(server), "tenfour_live_clients") == 0
    headers = {"Authorization": f"Bearer {watcher}"}
    with server.client.websocket_connect("/api/live", headers=headers) as ws:
        assert ws.receive_json()["type"] == "snapshot"
        assert value(scrape(server), "tenfour_live_clients") == 1
    # The server notices the close on its own loop: wait for it (bounded).
    deadline = time.monotonic() + 10
    while value(scrape(server), "tenfour_live_clients") != 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert value(scrape(server), "tenfour_live_clients") == 0


def test_an_avl_refusal_shows_up_as_in_the_avl_stats(server: Server) -> None:
    admin = server.account("root", "admin")
    name = "tenfour_avl_rejected_total"
    assert value(scrape(server), name, reason="unauthorized") == 0
    answer = server.client.post("/api/avl/owntracks", json={"_type": "location"})
    assert answer.status_code == 401
    samples = scrape(server)
    assert value(samples, name, reason="unauthorized") == 1
    assert value(samples, name, reason="stale") == 0  # every reason is listed
    stats = server.get(admin, "/api/avl/stats").json()
    assert stats["rejected"] == {"unauthorized": 1}
    assert value(samples, "tenfour_avl_accepted_total") == stats["accepted"] == 0


def test_alerts_by_kind_and_the_timer_lag(server: Server) -> None:
    nick = server.account("nick", "officer", member="wilde")
    judy = server.account("judy", "officer", member="hopps")
    before = scrape(server)
    assert value(before, "tenfour_alerts_raised_total", kind="emergency") == 0
    declared = server.command(
        nick, "emergency.declare", {"member": "wilde", "text": "Officer down"}
    )
    assert declared.status_code == 200, declared.text
    assert value(scrape(server), "tenfour_alerts_raised_total", kind="emergency") == 1

    pursuit = server.command(judy, "member.status", {"member": "hopps", "status": "pursuit"})
    assert pursuit.status_code == 200, pursuit.text
    server.advance(seconds=61)  # past the pursuit check-in interval (60 s)
    after = scrape(server)
    fired = value(after, "tenfour_timer_lag_seconds_count") - value(
        before, "tenfour_timer_lag_seconds_count"
    )
    assert fired >= 1
    overdue = value(after, "tenfour_alerts_raised_total", kind="status_check_overdue")
    assert overdue == 1


def test_metrics_are_refused_to_whoever_is_not_allowed(tmp_path: Path) -> None:
    settings = Settings(
        database=str(tmp_path / "tenfour.db"),
        clock=SimClock(START),
        fast_hashing=True,
        metrics_token=TOKEN,
    )
    app = create_app(settings)
    with TestClient(app, client=("198.51.100.7", 50000)) as outsider:
        refused = outsider.get("/metrics")
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "unauthenticated"
        assert refused.headers["www-authenticate"].startswith("Bearer")
        assert "tenfour_" not in refused.text
        assert (
            outsider.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        )
        # A session, even an admin's, is not the scrape token.
        admin = Server(outsider, SimClock(START), tmp_path / "tenfour.db").account("root", "admin")
        session = outsider.get("/metrics", headers={"Authorization": f"Bearer {admin}"})
        assert session.status_code == 401
        allowed = outsider.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert allowed.status_code == 200 and "tenfour_commands_total" in allowed.text
    with TestClient(app, client=("127.0.0.1", 50000)) as local:
        assert local.get("/metrics").status_code == 200  # straight from loopback: no token
        # Through a proxy on this host: the peer is loopback, the asker anyone.
        proxied = local.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
        assert proxied.status_code == 401
        assert local.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_a_bad_metrics_network_stops_the_app_at_once(tmp_path: Path) -> None:
    settings = Settings(database=str(tmp_path / "tenfour.db"), metrics_networks=("10.0.0.300",))
    with pytest.raises(ValueError, match=r"metrics network '10\.0\.0\.300'"):
        create_app(settings)


def test_two_apps_in_one_process_count_apart(tmp_path: Path) -> None:
    apps = []
    for name in ("a", "b"):
        settings = Settings(
            database=str(tmp_path / f"{name}.db"), clock=SimClock(START), fast_hashing=True
        )
        apps.append(create_app(settings))
    with (
        TestClient(apps[0], client=("127.0.0.1", 1)) as a,
        TestClient(apps[1], client=("127.0.0.1", 2)) as b,
    ):
        a.get("/api/health")
        a.get("/api/health")
        b.get("/api/health")
        health = 'tenfour_http_request_duration_seconds_count{method="GET",route="/api/health",status="200"}'
        assert f"{health} 2.0" in a.get("/metrics").text
        assert f"{health} 1.0" in b.get("/metrics").text


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (["--log-format", "xml"], ["--log-format", "'xml'"]),
        (["--log-level", "loud"], ["--log-level", "'loud'"]),
        (["--metrics-from", "10.0.0.300"], ["--metrics-from", "10.0.0.300"]),
        (["--metrics-token-file", "/nonexistent/token"], ["--metrics-token-file", "cannot read"]),
    ],
)
def test_bad_observability_options_stop_serve(
    monkeypatch: pytest.MonkeyPatch, options: list[str], words: list[str]
) -> None:
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: pytest.fail("served"))
    result = CliRunner().invoke(cli, ["serve", *options])
    assert result.exit_code == 2, result.output
    for word in words:
        assert word in result.output


def test_log_level_reaches_every_logger_serve_configures(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(kw))
    database = str(tmp_path / "t.db")
    result = CliRunner().invoke(cli, ["serve", "--database", database, "--log-level", "WARNING"])
    assert result.exit_code == 0, result.output
    assert seen["log_level"] == "warning"
    assert seen["log_config"]["root"]["level"] == "WARNING"


def test_scrape_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    assert scrape_options(None, None) == (None, ("127.0.0.0/8", "::1"))
    assert scrape_options(None, ["none"]) == (None, ())
    assert scrape_options(None, ["10.0.0.0/8, 192.168.1.7", "::1"]) == (
        None,
        ("10.0.0.0/8", "192.168.1.7", "::1"),
    )
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    assert scrape_options(None, None)[0] == TOKEN
    short = tmp_path / "short"
    short.write_text("abc\n", encoding="utf-8")
    with pytest.raises(ValueError, match="at least 16"):
        scrape_options(short, None)
    empty = tmp_path / "empty"
    empty.write_text("\n", encoding="utf-8")
    with pytest.raises(ValueError, match="is empty"):
        scrape_options(empty, None)
