"""Reading a journal one may not write (issue 10): forensics on a copy with mode 0444
in a read-only directory. `journal verify` and `journal show` open it read-only: no
migration, no file created or written, appends refused."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tenfour.journal import JournalError, SqliteEventStore, open_store

from .support import Backend, event

ROOT = Path(__file__).resolve().parents[2]


def test_a_read_only_store_reads_and_verifies_but_never_writes(backend: Backend) -> None:
    with backend.open() as store:
        store.append([event(n=1)])
        store.append([event(n=2)], idempotency_key="k")
    with open_store(backend.url, read_only=True) as evidence:
        assert [e.data["n"] for e in evidence.read()] == [1, 2]
        assert evidence.verify().ok and evidence.head() == 2
        with pytest.raises(JournalError, match="read-only"):
            evidence.append([event(n=3)])
        with pytest.raises(JournalError, match="read-only"):
            evidence.save_position("reactor", 2)
    assert backend.open().head() == 2


def test_a_read_only_open_of_no_journal_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(JournalError, match="no journal"):
        open_store(str(tmp_path / "none.db"), read_only=True)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(JournalError, match="holds no journal"):
        open_store(str(other), read_only=True)
    assert not (tmp_path / "none.db").exists()


def _snapshot(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_reading_evidence_changes_nothing_near_it(tmp_path: Path) -> None:
    folder = tmp_path / "evidence"
    folder.mkdir()
    with SqliteEventStore(folder / "journal.db") as store:
        store.append([event(n=1)])
    # An older Ten-Four's journal: schema version 1, before journal_positions.
    conn = sqlite3.connect(folder / "journal.db")
    conn.execute("DROP TABLE journal_positions")
    conn.execute("PRAGMA user_version = 1")
    conn.close()
    before = _snapshot(folder)
    with open_store(str(folder / "journal.db"), read_only=True) as evidence:
        assert evidence.verify().ok
    assert _snapshot(folder) == before  # no -wal, no -shm, no migration


@pytest.fixture
def locked_folder(tmp_path: Path) -> Iterator[Path]:
    """A journal of mode 0444 in a directory of mode 0555, made as a server would."""
    folder = tmp_path / "copy"
    folder.mkdir()
    with SqliteEventStore(folder / "journal.db") as store:
        store.append([event(n=1)])
        store.append([event(n=2)])
    (folder / "journal.db").chmod(0o444)
    folder.chmod(0o555)
    try:
        yield folder
    finally:
        folder.chmod(0o755)


def _without_root_powers() -> list[str]:
    """A prefix that makes even root obey file modes (drops CAP_DAC_OVERRIDE)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: file modes cannot be enforced")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--"]


@pytest.mark.parametrize("command", [["verify"], ["show", "--json"]])
def test_verify_and_show_read_a_copy_on_read_only_storage(
    locked_folder: Path, command: list[str]
) -> None:
    database = str(locked_folder / "journal.db")
    before = _snapshot(locked_folder)
    cli = [sys.executable, "-m", "tenfour.cli", "journal", *command, "--db", database]
    done = subprocess.run(
        [*_without_root_powers(), *cli],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    if command == ["verify"]:
        assert done.stdout.startswith("journal ok: 2 events, chain intact")
    else:
        assert len(done.stdout.splitlines()) == 2
    assert _snapshot(locked_folder) == before
