"""``GET /api/ready`` against a real server app: 200 while the database, its schema, the
map and a timekeeper are there; 503 naming the check that failed otherwise."""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg import sql

from tenfour.api.app import create_app
from tenfour.api.settings import Settings
from tenfour.clock import SimClock
from tenfour.db.schema import VERSION_TABLE
from tenfour.journal.lease import FileLease, PostgresLease
from tests.journal.support import ADMIN_URL
from tests.postgres import fresh_database

from .conftest import START, Server

ALL_OK = {"database": "ok", "schema": "ok", "map": "ok", "timekeeper": "ok"}


def test_ready_when_everything_is_up_with_no_session(server: Server) -> None:
    answer = server.client.get("/api/ready")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"ready": True, "checks": ALL_OK}


def test_not_ready_once_the_journal_is_gone(server: Server) -> None:
    server.rt.service.store.close()
    answer = server.client.get("/api/ready")
    assert answer.status_code == 503
    body = answer.json()
    assert body["ready"] is False and body["failing"] == ["database", "schema"]
    assert body["checks"]["database"] == "the journal does not answer"
    assert body["checks"]["map"] == body["checks"]["timekeeper"] == "ok"
    assert server.client.get("/api/health").status_code == 200  # alive, not ready


def test_not_ready_on_an_outdated_schema(server: Server) -> None:
    with sqlite3.connect(server.database) as other:
        other.execute(f"DELETE FROM {VERSION_TABLE} WHERE version = (SELECT MAX(version) FROM {VERSION_TABLE})")  # fmt: skip
    answer = server.client.get("/api/ready")
    assert answer.status_code == 503
    assert answer.json()["failing"] == ["schema"]
    assert "tenfour db upgrade" in answer.json()["checks"]["schema"]


def test_ready_while_another_node_keeps_time(tmp_path: Path) -> None:
    database = tmp_path / "tenfour.db"
    other = FileLease(f"{database}.timekeeper.lease")
    assert other.try_hold()  # another node's timekeeper, before this one starts
    try:
        settings = Settings(database=str(database), clock=SimClock(START), fast_hashing=True)
        with TestClient(create_app(settings)) as client:
            assert client.app.state.runtime.service.timekeeper.leading is False  # type: ignore[attr-defined]
            answer = client.get("/api/ready")
            assert answer.status_code == 200, answer.text
            assert answer.json()["checks"]["timekeeper"] == "ok"
    finally:
        other.release()


def test_a_file_lease_is_seen_held_from_another_process_only_while_it_is(tmp_path: Path) -> None:
    path = str(tmp_path / "j.db.timekeeper.lease")
    assert FileLease(path).held_anywhere() is False  # never taken: no file yet
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        assert FileLease(path).held_anywhere() is False  # a file, but nobody's lock
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a live node holds it
        assert FileLease(path).held_anywhere() is True
        fcntl.flock(fd, fcntl.LOCK_UN)  # that node died or gave it up
        asking = FileLease(path)
        assert asking.held_anywhere() is False
        assert asking.try_hold() is True  # the probe left the lease free to take
        assert asking.held_anywhere() is True
        asking.release()
    finally:
        os.close(fd)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with fresh_database("tenfour_ready") as url:
        yield url


@pytest.mark.postgres
def test_a_postgres_lease_is_seen_held_only_while_a_session_holds_it(postgres_url: str) -> None:
    holder, asker = PostgresLease(postgres_url, "timekeeper"), PostgresLease(postgres_url, "other")
    watcher = PostgresLease(postgres_url, "timekeeper")
    assert watcher.held_anywhere() is False
    assert holder.try_hold()
    try:
        assert watcher.held_anywhere() is True
        assert asker.held_anywhere() is False  # another name is another lease
    finally:
        holder.release()
    assert watcher.held_anywhere() is False


@pytest.mark.postgres
def test_postgres_ready_then_not_once_the_database_is_dropped(postgres_url: str) -> None:
    settings = Settings(database=postgres_url, clock=SimClock(START), fast_hashing=True)
    with TestClient(create_app(settings)) as client:
        answer = client.get("/api/ready")
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"ready": True, "checks": ALL_OK}
        name = postgres_url.rsplit("/", 1)[1]
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        gone = client.get("/api/ready")
        assert gone.status_code == 503
        assert "database" in gone.json()["failing"]
        assert client.get("/api/health").status_code == 200
