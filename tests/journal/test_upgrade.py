"""Upgrading a database written by the release before recorded schema versions,
on SQLite and PostgreSQL: refused until `tenfour db upgrade`, then the journal
verifies, every event reads back as written, the tables beside it still work,
and the server starts."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tenfour.accounts import Passwords, open_accounts
from tenfour.api.app import create_app
from tenfour.api.idempotency import FingerprintStore
from tenfour.api.settings import Settings
from tenfour.cli import app as cli
from tenfour.db import CURRENT, schema_status
from tenfour.db.steps import FENCE
from tenfour.interop.devices import DeviceStore
from tenfour.journal import JournalError, StoredEvent, open_store
from tenfour.sim import load_scenario, run_scenario
from tests.postgres import fresh_database

from .previous_release import (
    DEVICE,
    FINGERPRINT,
    IDEM_KEY,
    PASSWORD,
    USERNAME,
    write_previous_release,
)

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "priority-one.yaml"
runner = CliRunner()


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> tuple[StoredEvent, ...]:
    """Real events of a dispatch (units, incidents, assignments, closes)."""
    result = run_scenario(load_scenario(SCENARIO), tmp_path_factory.mktemp("scenario"))
    assert len(result.events) > 50
    return tuple(result.events)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path / "tenfour.db")
    else:
        with fresh_database("tenfour_upgrade") as url:
            yield url


def _invoke(*args: str) -> Any:
    return runner.invoke(cli, list(args))


def test_a_previous_release_database_is_refused_then_upgraded(
    database: str, events: tuple[StoredEvent, ...]
) -> None:
    position = events[-10].seq
    write_previous_release(database, events, position=position)

    # Refused, naming the command: by serve, by the stores, by db status.
    served = _invoke("serve", "--database", database, "--port", "1")
    assert served.exit_code == 2
    assert f"tenfour db upgrade --database {database}" in served.output
    with pytest.raises(JournalError, match="tenfour db upgrade --database"):
        open_store(database)
    settings = Settings(database=database, fast_hashing=True, demo=False, anchor="none")
    with (
        pytest.raises(JournalError, match="tenfour db upgrade --database"),
        TestClient(create_app(settings)),
    ):
        pass
    # Evidence is still readable as it is: read-only opens need no upgrade.
    assert _invoke("journal", "verify", "--database", database).exit_code == 0
    status = _invoke("db", "status", "--database", database)
    assert status.exit_code == 1 and "release before recorded versions" in status.output
    assert not schema_status(database).ok and schema_status(database).legacy

    upgraded = _invoke("db", "upgrade", "--database", database)
    assert upgraded.exit_code == 0, upgraded.output
    for version in range(1, CURRENT + 1):
        assert f"step {version}:" in upgraded.output
    assert f"upgraded to schema version {CURRENT}" in upgraded.output
    again = _invoke("db", "upgrade", "--database", database)  # idempotent
    assert again.exit_code == 0 and f"already at schema version {CURRENT}" in again.output
    assert schema_status(database).ok
    status = _invoke("db", "status", "--database", database)
    assert status.exit_code == 0 and f"schema version {CURRENT} (current)" in status.output

    verified = _invoke("journal", "verify", "--database", database)
    assert verified.exit_code == 0, verified.output
    assert f"journal ok: {len(events)} events" in verified.output
    assert events[-1].hash in verified.output
    with open_store(database) as store:
        assert tuple(store.read()) == events
        assert store.position("policies") == position
    with open_accounts(database, passwords=Passwords.fast()) as accounts:
        now = datetime.now(UTC)
        assert accounts.authenticate(USERNAME, PASSWORD, now=now).ok
    devices = DeviceStore(database)
    try:
        found = devices.get(DEVICE)
        assert found is not None and found.unit == "ZPD-1"
    finally:
        devices.close()
    fingerprints = FingerprintStore(database)
    try:
        assert fingerprints.claim(IDEM_KEY, "0" * 64, datetime.now(UTC)) == FINGERPRINT
    finally:
        fingerprints.close()
    # The previous release, started on it by mistake, now refuses it by its own check.
    assert _fence(database) == FENCE

    # And the server starts, with the journal's state.
    with TestClient(create_app(settings)) as client:
        health = client.get("/api/health")
        assert health.status_code == 200
        assert health.json()["position"] == events[-1].seq


def _fence(database: str) -> int:
    if database.startswith("postgresql://"):
        with psycopg.connect(database) as conn:
            row = conn.execute("SELECT MAX(version) FROM journal_schema").fetchone()
    else:
        with sqlite3.connect(database) as lite:
            row = lite.execute("PRAGMA user_version").fetchone()
    assert row is not None
    return int(row[0])


def _shape(database: str) -> dict[str, Any]:
    """Columns, indexes and triggers of every table: what must not depend on whether
    the database was created new or upgraded."""
    if database.startswith("postgresql://"):
        with psycopg.connect(database) as conn:
            columns = conn.execute(
                "SELECT table_name, column_name, data_type, is_nullable, column_default"
                " FROM information_schema.columns WHERE table_schema = 'public'"
                " ORDER BY table_name, column_name"
            ).fetchall()
            indexes = conn.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
                " ORDER BY indexname"
            ).fetchall()
            triggers = conn.execute(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY tgname"
            ).fetchall()
        return {"columns": columns, "indexes": indexes, "triggers": triggers}
    with sqlite3.connect(database) as lite:
        tables = [r[0] for r in lite.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        columns = sorted(
            (table, *row[1:])
            for table in tables
            for row in lite.execute(f"PRAGMA table_info({table})")
        )
        indexes = sorted(
            (table, row[1], row[2], row[3])
            for table in tables
            for row in lite.execute(f"PRAGMA index_list({table})")
        )
        triggers = sorted(
            r[0] for r in lite.execute("SELECT name FROM sqlite_master WHERE type='trigger'")
        )
    return {"columns": columns, "indexes": indexes, "triggers": triggers}


def test_an_upgraded_database_has_the_shape_of_a_new_one(
    database: str, events: tuple[StoredEvent, ...], tmp_path: Path
) -> None:
    write_previous_release(database, events[:3], position=0)
    assert _invoke("db", "upgrade", "--database", database).exit_code == 0
    upgraded = _shape(database)
    if database.startswith("postgresql://"):
        with fresh_database("tenfour_new") as new:
            open_store(new).close()
            assert _shape(new) == upgraded
    else:
        new = str(tmp_path / "new.db")
        open_store(new).close()
        assert _shape(new) == upgraded
    assert any("journal_events_by_type" in str(index) for index in upgraded["indexes"])


def test_serve_creates_a_new_database_but_refuses_a_newer_one(database: str) -> None:
    assert schema_status(database).empty  # nothing there yet: serve may create it
    assert schema_status(database).problem(database) is None
    open_store(database).close()
    assert schema_status(database).ok
    if database.startswith("postgresql://"):
        with psycopg.connect(database, autocommit=True) as conn:
            conn.execute("INSERT INTO schema_version VALUES (%s, 'later', 'x')", (CURRENT + 1,))
    else:
        with sqlite3.connect(database) as lite:
            lite.execute("INSERT INTO schema_version VALUES (?, 'later', 'x')", (CURRENT + 1,))
    served = _invoke("serve", "--database", database, "--port", "1")
    assert served.exit_code == 2 and "newer than this Ten-Four" in served.output
    upgraded = _invoke("db", "upgrade", "--database", database)
    assert upgraded.exit_code == 2 and "newer than this Ten-Four" in upgraded.output


def test_upgrade_refuses_a_missing_sqlite_file(tmp_path: Path) -> None:
    missing = tmp_path / "typo.db"
    result = _invoke("db", "upgrade", "--database", str(missing))
    assert result.exit_code == 2 and f"no database at {missing}" in result.output
    assert not missing.exists()
