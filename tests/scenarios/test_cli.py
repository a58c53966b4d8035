"""The `tenfour` command line, run as a user would: scenarios, the journal, accounts."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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


def test_user_add_makes_a_hospital_account_for_one_facility(tmp_path: Path) -> None:
    database = str(tmp_path / "tenfour.db")
    command = ["user", "add", "zgh", "--role", "hospital", "--database", database]
    missing = runner.invoke(app, command)
    assert missing.exit_code == 2
    assert "error: member: a hospital account needs its facility's id" in missing.output
    made = runner.invoke(app, [*command, "--member", "ZGH"])
    assert made.exit_code == 0 and "created zgh (hospital)" in made.output, made.output
    with open_accounts(database) as accounts:
        account = accounts.get("zgh")
        assert account is not None and (account.role, account.member) == ("hospital", "ZGH")


# -- accounts an admin can run (issue 10) -----------------------------------------------


def _user(database: str, *args: str, stdin: str | None = None) -> Any:
    return runner.invoke(app, ["user", *args, "--database", database], input=stdin)


def test_user_add_says_how_to_change_the_password(tmp_path: Path) -> None:
    result = _user(str(tmp_path / "t.db"), "add", "claw", "--role", "dispatcher")
    assert "change it with: tenfour user passwd claw" in result.output


def test_user_list_passwd_disable_enable_unlock_revoke_remove(tmp_path: Path) -> None:
    database = str(tmp_path / "tenfour.db")
    _user(database, "add", "hopps", "--role", "officer")
    now = datetime.now(UTC)
    with open_accounts(database) as accounts:
        phone = accounts.open_session("hopps", now=now)
        for _ in range(5):
            accounts.authenticate("hopps", "a wrong guess", now=now, source="203.0.113.5")
    listed = _user(database, "list")
    assert listed.exit_code == 0, listed.output
    [line] = listed.output.splitlines()
    assert line.split()[:2] == ["hopps", "officer"] and "sessions=1" in line
    assert "locked for 203.0.113.5 until" in line

    # A stolen MDT phone: one command cuts it off.
    revoked = _user(database, "revoke-sessions", "hopps")
    assert revoked.exit_code == 0 and revoked.output.strip() == "ended 1 sessions of hopps"
    with open_accounts(database) as accounts:
        assert accounts.session(phone, now=datetime.now(UTC)) is None

    unlocked = _user(database, "unlock", "HOPPS")
    assert unlocked.output.strip() == "unlocked hopps"
    assert _user(database, "unlock", "hopps").output.strip() == "hopps was not locked"

    changed = _user(database, "passwd", "hopps")
    assert changed.exit_code == 0 and "0 sessions ended" in changed.output
    password = changed.output.split("generated password (shown once):")[1].strip()
    chosen = _user(database, "passwd", "hopps", "--password-stdin", stdin="password1234\n")
    assert chosen.exit_code == 2 and "common" in chosen.output
    with open_accounts(database) as accounts:
        assert accounts.authenticate("hopps", password, now=datetime.now(UTC)).ok
        phone = accounts.open_session("hopps", now=datetime.now(UTC))

    disabled = _user(database, "disable", "hopps")
    assert disabled.exit_code == 0 and disabled.output.strip() == "disabled hopps; 1 sessions ended"
    assert "disabled since" in _user(database, "list").output
    with open_accounts(database) as accounts:
        assert accounts.session(phone, now=datetime.now(UTC)) is None
        assert accounts.authenticate("hopps", password, now=datetime.now(UTC)).reason == "disabled"
    assert _user(database, "enable", "hopps").output.strip() == "enabled hopps"
    assert _user(database, "remove", "hopps").output.strip() == "removed hopps"
    assert "no accounts" in _user(database, "list").output


def test_user_commands_refuse_unknown_accounts_and_missing_databases(tmp_path: Path) -> None:
    database = str(tmp_path / "tenfour.db")
    _user(database, "add", "hopps", "--role", "officer")
    for verb in ("passwd", "disable", "enable", "unlock", "revoke-sessions", "remove"):
        result = _user(database, verb, "nobody")
        assert result.exit_code == 2, verb
        assert "error: username: no account 'nobody'" in result.output, verb
    missing = _user(str(tmp_path / "none.db"), "list")
    assert missing.exit_code == 2 and "no database at" in missing.output
    assert not (tmp_path / "none.db").exists()


# -- errors on one line, whatever the path and the terminal (issue 10) -------------------


def test_errors_are_never_wrapped(tmp_path: Path) -> None:
    deep = tmp_path.joinpath(*(["a-rather-long-folder-name"] * 6))
    deep.mkdir(parents=True)
    env = {"COLUMNS": "40", "TERMINAL_WIDTH": "40"}
    missing_map = deep / "nope.osm.pbf"
    bad_scenario = deep / "bad.yaml"
    bad_scenario.write_text("name: [unclosed\n")
    cases = [
        (["map", "import", str(missing_map)], f"{missing_map}': file not found"),
        (["journal", "verify", "--db", str(deep / "none.db")], f"no journal at {deep}/none.db"),
        (["user", "list", "--database", str(deep / "x.db")], f"no database at {deep}/x.db"),
        (["scenario", "run", str(bad_scenario), "--out", str(deep / "out")], str(bad_scenario)),
        (
            ["replay", "sffd", str(deep / "calls.csv"), "--speed", "fast"],
            "'fast': give a number (times real time) or 'max'",
        ),
        (["user", "add", "x", "--database", str(deep / "y.db")], "Missing option '--role'"),
    ]
    for args, expected in cases:
        result = runner.invoke(app, args, env=env)
        assert result.exit_code == 2, (args, result.output)
        assert any(expected in line for line in result.output.splitlines()), (args, result.output)
        assert "╭" not in result.output and "│" not in result.output  # no Rich box
