"""An idempotency key names one command: a retry of it gets the first answer with
``duplicate: true``; the same key with a different command is refused (409), naming
the key, and writes nothing. Fingerprints are kept on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tenfour.api.idempotency import FingerprintStore, fingerprint
from tests.postgres import fresh_database

from .conftest import Server

AT = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
HERE = {"lat": 37.79, "lon": -122.4}


def test_a_key_reused_for_a_different_command_is_refused(server: Server) -> None:
    desk = server.account("claw", "dispatcher")
    first = server.command(desk, "unit.locate", {"unit": "ZPD-3", **HERE}, key="k-1")
    assert first.status_code == 200 and first.json()["duplicate"] is False
    head = len(server.journal())

    other = server.command(desk, "unit.locate", {"unit": "ZPD-4", **HERE}, key="k-1")
    assert other.status_code == 409, other.text
    error = other.json()["error"]
    assert error["code"] == "conflict" and "'k-1'" in error["message"]
    assert error["problems"][0]["field"] == "idempotency_key"
    assert len(server.journal()) == head  # nothing written

    other_do = server.command(desk, "unit.status", {"unit": "ZPD-3", "status": "busy"}, key="k-1")
    assert other_do.status_code == 409

    again = server.command(desk, "unit.locate", {"unit": "ZPD-3", **HERE}, key="k-1")
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert again.json()["events"] == first.json()["events"]
    assert len(server.journal()) == head


def test_the_same_command_however_spelled_is_a_retry(server: Server) -> None:
    desk = server.account("claw", "dispatcher")
    body = {"unit": "ZPD-3", "lat": 37.79, "lon": -122.4}
    first = server.command(desk, "unit.locate", body, key="k-2")
    assert first.status_code == 200
    respelled = {"lon": -122.4, "lat": 37.790, "unit": "ZPD-3"}
    again = server.command(desk, "unit.locate", respelled, key="k-2")
    assert again.status_code == 200 and again.json()["duplicate"] is True


def test_keys_are_per_account(server: Server) -> None:
    desk = server.account("claw", "dispatcher")
    boss = server.account("chief", "supervisor", member="bogo")
    assert (
        server.command(desk, "unit.locate", {"unit": "ZPD-3", **HERE}, key="k").status_code == 200
    )
    answer = server.command(boss, "unit.locate", {"unit": "ZPD-4", **HERE}, key="k")
    assert answer.status_code == 200 and answer.json()["duplicate"] is False


def test_a_refused_command_still_binds_its_key(server: Server) -> None:
    desk = server.account("claw", "dispatcher")
    refused = server.command(desk, "unit.locate", {"unit": "NOPE-1", **HERE}, key="k-3")
    assert refused.status_code == 404
    # The same command again is decided again; another one under that key is refused.
    assert (
        server.command(desk, "unit.locate", {"unit": "NOPE-1", **HERE}, key="k-3").status_code
        == 404
    )
    answer = server.command(desk, "unit.locate", {"unit": "ZPD-3", **HERE}, key="k-3")
    assert answer.status_code == 409


def test_the_server_binds_a_key_in_the_commands_own_transaction(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    def own_write(*args: object) -> None:
        raise AssertionError("a keyed command paid a write of its own for its key")

    monkeypatch.setattr(FingerprintStore, "claim", own_write)
    desk = server.account("claw", "dispatcher")
    first = server.command(desk, "unit.locate", {"unit": "ZPD-3", **HERE}, key="k-4")
    assert first.status_code == 200 and first.json()["duplicate"] is False
    other = server.command(desk, "unit.locate", {"unit": "ZPD-4", **HERE}, key="k-4")
    assert other.status_code == 409, other.text
    again = server.command(desk, "unit.locate", {"unit": "ZPD-3", **HERE}, key="k-4")
    assert again.status_code == 200 and again.json()["duplicate"] is True


def test_the_fingerprint_is_canonical() -> None:
    assert fingerprint("a.b", {"x": 1, "y": [1, 2]}) == fingerprint("a.b", {"y": [1, 2], "x": 1})
    assert fingerprint("a.b", {"x": 1}) != fingerprint("a.c", {"x": 1})
    assert fingerprint("a.b", {"x": 1}) != fingerprint("a.b", {"x": 2})


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path / "keys.db")
    else:
        with fresh_database("tenfour_keys") as url:
            yield url


def test_a_key_is_bound_once_and_for_good(database: str) -> None:
    store = FingerprintStore(database)
    try:
        assert store.claim("u/k", "aaa", AT) is None
        assert store.claim("u/k", "aaa", AT) == "aaa"
        assert store.claim("u/k", "bbb", AT) == "aaa"
        assert store.claim("v/k", "bbb", AT) is None
    finally:
        store.close()
    reopened = FingerprintStore(database)  # a restart, or another node
    try:
        assert reopened.claim("u/k", "bbb", AT) == "aaa"
    finally:
        reopened.close()
