"""The `tenfour` command line, run as a user would: scenarios, the journal, accounts."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from tenfour.accounts import open_accounts
from tenfour.cli import app

ROOT = Path(__file__).resolve().parents[2]
STORY = ROOT / "scenarios" / "routine-backup.yaml"
runner = CliRunner()


def test_scenario_run_passes_and_its_journal_verifies(tmp_path: Path) -> None:
    result = runner.invoke(app, ["scenario", "run", str(STORY), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "5 passed, 0 failed" in result.output
    assert all(line.startswith(("pass", "routine-backup")) for line in result.output.splitlines())
    verify = runner.invoke(app, ["journal", "verify", "--db", str(tmp_path / "journal.db")])
    assert verify.exit_code == 0 and "journal ok" in verify.output


def test_a_failing_expectation_exits_non_zero(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        STORY.read_text().replace("unit: ZPD-6, mode: routine}", "unit: ZPD-3, mode: routine}")
    )
    result = runner.invoke(app, ["scenario", "run", str(broken), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "FAIL event unit.dispatched" in result.output


def test_a_bad_scenario_file_names_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(STORY.read_text().replace("do: backup.request", "do: backup.beg"))
    result = runner.invoke(app, ["scenario", "run", str(bad), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "bad.yaml:" in result.output and "unknown command 'backup.beg'" in result.output


def test_journal_verify_names_the_first_altered_row(tmp_path: Path) -> None:
    runner.invoke(app, ["scenario", "run", str(STORY), "--out", str(tmp_path)])
    database = tmp_path / "journal.db"
    with sqlite3.connect(database) as db:
        for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='trigger'").fetchall():
            db.execute(f"DROP TRIGGER {name}")  # the append-only guard, as an attacker would
        table = db.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND sql LIKE '%prev_hash%'"
        ).fetchone()[0]
        db.execute(f"UPDATE {table} SET data = replace(data, 'ZPD-6', 'ZPD-9') WHERE seq = 12")
    result = runner.invoke(app, ["journal", "verify", "--db", str(database)])
    assert result.exit_code == 1
    assert "BROKEN at seq 12" in result.output


def test_journal_show_json_after_a_position(tmp_path: Path) -> None:
    runner.invoke(app, ["scenario", "run", str(STORY), "--out", str(tmp_path)])
    result = runner.invoke(
        app, ["journal", "show", "--db", str(tmp_path / "journal.db"), "--after", "15", "--json"]
    )
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert rows[0]["seq"] == 16 and all({"seq", "type", "at", "by"} <= r.keys() for r in rows)


def test_journal_commands_refuse_a_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["journal", "verify", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 2 and "no journal" in result.output


def test_user_add_creates_an_account_with_a_one_time_password(tmp_path: Path) -> None:
    database = str(tmp_path / "tenfour.db")
    result = runner.invoke(
        app, ["user", "add", "claw", "--role", "dispatcher", "--database", database]
    )
    assert result.exit_code == 0, result.output
    password = result.output.split("generated password (shown once):")[1].strip()
    with open_accounts(database) as accounts:
        assert accounts.authenticate("claw", password, now=datetime.now(UTC)).ok
    again = runner.invoke(
        app, ["user", "add", "claw", "--role", "dispatcher", "--database", database]
    )
    assert again.exit_code == 2 and "username" in again.output
    bad = runner.invoke(app, ["user", "add", "x", "--role", "sheriff", "--database", database])
    assert bad.exit_code == 2 and "role" in bad.output
