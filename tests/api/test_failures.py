"""Honest failures: a database that fails or stalls answers 503 in the error shape with
``Retry-After`` (logged loudly) and the server recovers by itself; commands wait on
the database off the event loop, so ``/api/health`` answers meanwhile; PostgreSQL
connections carry connect, lock and statement timeouts, so nothing waits forever."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2 as httpx
import psycopg
import pytest
from fastapi import FastAPI

from tenfour.api.app import create_app
from tenfour.api.context import Runtime
from tenfour.api.settings import Settings
from tenfour.durable import connect_postgres
from tests.postgres import fresh_database

from .conftest import PASSWORD, Server
from .live_server import serving

LOCATE = {"do": "unit.locate", "with": {"unit": "ZPD-3", "lat": 37.79, "lon": -122.4}}


def _unavailable(answer: Any) -> None:
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    assert int(answer.headers["retry-after"]) >= 1
    error = answer.json()["error"]
    assert error["code"] == "unavailable" and error["problems"] == []
    assert "database" in error["message"]


@contextmanager
def sqlite_write_lock(path: Path) -> Iterator[None]:
    """Another process's writer holding the SQLite file's one write lock."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.rollback()
        other.close()


def _short_busy_timeouts(rt: Runtime, ms: int) -> None:
    """Make the server's SQLite connections give up on a held lock after ``ms``."""
    for conn in (rt.service.store._conn, rt.accounts._conn, rt.fingerprints._conn):  # type: ignore[attr-defined, union-attr]
        conn.execute(f"PRAGMA busy_timeout = {ms}")


# -- SQLite, in process -------------------------------------------------------------


def test_a_locked_journal_answers_503_and_the_server_recovers(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    desk = server.account("claw", "dispatcher")
    _short_busy_timeouts(server.rt, 100)
    with sqlite_write_lock(server.database):
        answer = server.client.post(
            "/api/commands", json=LOCATE, headers={"Authorization": f"Bearer {desk}"}
        )
        _unavailable(answer)
        keyed = server.client.post(
            "/api/commands",
            json={**LOCATE, "idempotency_key": "k"},
            headers={"Authorization": f"Bearer {desk}"},
        )
        _unavailable(keyed)
    assert "DATABASE FAILURE answering POST /api/commands" in caplog.text
    assert any(r.levelname == "ERROR" for r in caplog.records)
    # The lock gone, the same server works again: nothing to restart.
    assert server.command(desk, "unit.locate", LOCATE["with"]).status_code == 200  # type: ignore[arg-type]
    again = server.command(desk, "unit.locate", LOCATE["with"], key="k")  # type: ignore[arg-type]
    assert again.status_code == 200 and again.json()["duplicate"] is False


def test_reads_of_a_session_do_not_fail_when_its_use_cannot_be_recorded(server: Server) -> None:
    desk = server.account("claw", "dispatcher")
    server.advance(minutes=1)  # the session's last use is now old enough to be written
    _short_busy_timeouts(server.rt, 100)
    with sqlite_write_lock(server.database):
        for path in ("/api/board", "/api/units", "/api/me"):
            assert server.get(desk, path).status_code == 200, path


# -- a real server over HTTP: /api/health while a command waits ----------------------


@contextmanager
def real_server(database: str) -> Iterator[tuple[str, Runtime, str]]:
    """A uvicorn server on ``database``; yields its URL, runtime and a dispatcher token."""
    app: FastAPI = create_app(Settings(database=database, fast_hashing=True))
    with serving(app, proxy_headers=False) as url:
        rt: Runtime = app.state.runtime
        rt.accounts.create("claw", "dispatcher", PASSWORD, now=datetime.now(UTC))
        answer = httpx.post(f"{url}/api/login", json={"username": "claw", "password": PASSWORD})
        answer.raise_for_status()
        yield url, rt, answer.json()["token"]


class Pending:
    """A command sent from a thread: its answer (or the error) and how long it took."""

    def __init__(self, url: str, token: str) -> None:
        self.answer: Any = None
        self.took = 0.0
        self._thread = threading.Thread(target=self._send, args=(url, token))
        self._thread.start()

    def _send(self, url: str, token: str) -> None:
        started = time.perf_counter()
        try:
            self.answer = httpx.post(
                f"{url}/api/commands",
                json=LOCATE,
                headers={"Authorization": f"Bearer {token}"},
                timeout=60,
            )
        except Exception as error:  # reported by the test's assertions
            self.answer = error
        self.took = time.perf_counter() - started

    def wait(self, timeout_s: float) -> Any:
        self._thread.join(timeout_s)
        assert not self._thread.is_alive(), f"the command still hangs after {timeout_s} s"
        return self.answer


def health_times(url: str, seconds: float) -> list[float]:
    """Poll /api/health for ``seconds``; how long each answer took."""
    times: list[float] = []
    deadline = time.perf_counter() + seconds
    with httpx.Client(timeout=10) as client:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            assert client.get(f"{url}/api/health").status_code == 200
            times.append(time.perf_counter() - started)
            time.sleep(0.05)
    return times


def test_health_answers_while_a_command_waits_on_a_locked_sqlite_file(tmp_path: Path) -> None:
    database = tmp_path / "tenfour.db"
    with real_server(str(database)) as (url, rt, token):
        _short_busy_timeouts(rt, 3000)
        with sqlite_write_lock(database):
            pending = Pending(url, token)
            times = health_times(url, 1.0)
            assert pending.answer is None  # still waiting for the lock
        # A health check stuck behind the lock could not answer before the lock goes,
        # which is after the poll: the poll would time out. Answering again and again
        # while the command waits is the promise (its latency is benchmarked, not here).
        assert len(times) >= 2, times
        assert pending.wait(10).status_code == 200  # done once the lock went


# -- a real server on PostgreSQL -----------------------------------------------------


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with fresh_database("tenfour_stall") as url:
        yield url


@contextmanager
def table_locked(url: str, table: str = "journal_events") -> Iterator[None]:
    """Another session holding the strongest lock on ``table``: not even reads pass."""
    with psycopg.connect(url) as other:
        other.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        yield
        other.rollback()


@pytest.mark.postgres
def test_health_answers_while_a_command_waits_on_a_locked_table(postgres_url: str) -> None:
    with real_server(postgres_url) as (url, _rt, token):
        with table_locked(postgres_url):
            pending = Pending(url, token)
            times = health_times(url, 1.5)
            assert pending.answer is None  # still waiting for the lock
        # A health check stuck behind the lock could not answer before the lock goes,
        # which is after the poll: the poll would time out. Answering again and again
        # while the command waits is the promise (its latency is benchmarked, not here).
        assert len(times) >= 2, times
        assert pending.wait(10).status_code == 200  # done once the lock went


@pytest.mark.postgres
def test_a_command_gives_up_on_a_lock_held_too_long_with_503(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    # The URL's own lock_timeout (1 s here, 5 s by default) wins over the default.
    short = f"{postgres_url}?options=-c%20lock_timeout%3D1000"
    with real_server(short) as (url, _rt, token):
        with table_locked(postgres_url):
            pending = Pending(url, token)
            times = health_times(url, 2.0)
            answer = pending.wait(10)
        _unavailable(answer)
        assert 0.9 < pending.took < 5, pending.took
        # A health check stuck behind the lock could not answer before the lock goes,
        # which is after the poll: the poll would time out. Answering again and again
        # while the command waits is the promise (its latency is benchmarked, not here).
        assert len(times) >= 2, times
        assert "DATABASE FAILURE" in caplog.text and "lock timeout" in caplog.text
        later = httpx.post(
            f"{url}/api/commands", json=LOCATE, headers={"Authorization": f"Bearer {token}"}
        )
        assert later.status_code == 200, later.text


@pytest.mark.postgres
def test_lost_database_connections_answer_503_then_recover(postgres_url: str) -> None:
    with real_server(postgres_url) as (url, _rt, token):
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        answers = []
        with httpx.Client(timeout=30, headers={"Authorization": f"Bearer {token}"}) as client:
            for _ in range(6):
                answers.append(client.post(f"{url}/api/commands", json=LOCATE))
                if answers[-1].status_code == 200:
                    break
        # The first use of a cut connection fails (503); the store then reconnects.
        assert len(answers) >= 2 and answers[-1].status_code == 200, answers
        for failed in answers[:-1]:
            _unavailable(failed)


@pytest.mark.postgres
def test_store_connections_carry_timeouts(postgres_url: str) -> None:
    with connect_postgres(postgres_url) as conn:
        assert conn.execute("SHOW lock_timeout").fetchone() == ("5s",)
        assert conn.execute("SHOW statement_timeout").fetchone() == ("15s",)
        assert conn.info.get_parameters().get("connect_timeout") == "5"
    override = f"{postgres_url}?options=-c%20statement_timeout%3D2s&connect_timeout=3"
    with connect_postgres(override) as conn:
        assert conn.execute("SHOW statement_timeout").fetchone() == ("2s",)
        assert conn.execute("SHOW lock_timeout").fetchone() == ("5s",)
        assert conn.info.get_parameters().get("connect_timeout") == "3"
