"""`tenfour db backup`: a consistent copy of a SQLite database taken while another
writer keeps committing, which verifies and holds a prefix of the live journal."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from tenfour.cli import app as cli
from tenfour.db import schema_status
from tenfour.journal import open_store

from .support import event

runner = CliRunner()


def _invoke(*args: str) -> Any:
    return runner.invoke(cli, list(args))


def test_backups_taken_while_writes_continue_are_consistent(tmp_path: Path) -> None:
    live = str(tmp_path / "live.db")
    with open_store(live) as store:
        store.append([event(n=0)])
    stop = threading.Event()
    failures: list[BaseException] = []
    written = [0]

    def write() -> None:
        # A writer of its own (as a server is), committing until told to stop.
        try:
            with open_store(live) as writer:
                while not stop.is_set():
                    writer.append([event(f"unit:{written[0] % 5}", n=written[0])])
                    written[0] += 1
        except BaseException as error:  # reported by the assertion below
            failures.append(error)

    thread = threading.Thread(target=write)
    thread.start()
    copies = []
    try:
        for n in range(3):
            before = written[0]
            out = tmp_path / f"copy-{n}.db"
            result = _invoke("db", "backup", "--database", live, "--out", str(out))
            assert result.exit_code == 0, result.output
            assert "backup journal ok" in result.output
            copies.append((out, before))
    finally:
        stop.set()
        thread.join()
    assert not failures
    assert written[0] > 0  # the writer really ran during the backups
    with open_store(live, read_only=True) as source:
        final = list(source.read())
    for out, before in copies:
        with open_store(str(out), read_only=True) as copy:
            assert copy.verify().ok
            events = list(copy.read())
        # What was committed before the backup began is in it, and it is a prefix.
        assert len(events) >= before + 1
        assert events == final[: len(events)]
        assert schema_status(str(out)).ok  # the tables beside the journal came too


def test_backup_refuses_postgres_and_an_existing_file(tmp_path: Path) -> None:
    pg = _invoke("db", "backup", "--database", "postgresql://x@127.0.0.1/db", "--out", "b.db")
    assert pg.exit_code == 2 and "pg_dump" in pg.output
    live = str(tmp_path / "live.db")
    open_store(live).close()
    taken = tmp_path / "taken.db"
    taken.write_text("keep me")
    result = _invoke("db", "backup", "--database", live, "--out", str(taken))
    assert result.exit_code == 2 and "exists" in result.output
    assert taken.read_text() == "keep me"
    missing = _invoke("db", "backup", "--database", str(tmp_path / "no.db"), "--out", "x.db")
    assert missing.exit_code == 2 and "no SQLite database" in missing.output
