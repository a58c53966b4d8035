"""The chain's head kept outside the database (issue 10): a journal whose last rows
were deleted, or whose tail was rewritten with recomputed hashes, still verifies as
a chain; its anchor tells. Run on every backend (see conftest.py)."""

from __future__ import annotations

import json
import logging
import os
import stat
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tenfour.cli import app
from tenfour.journal import EventStore, JournalError, SqliteEventStore
from tenfour.journal.anchor import (
    Anchorer,
    AnchorError,
    ForgedAnchorError,
    anchor_store,
    check_anchor,
    load_key,
    read_anchor,
    write_anchor,
)
from tenfour.journal.chain import row_hash

from .support import Backend, event


@pytest.fixture
def key_path(tmp_path: Path) -> Path:
    return tmp_path / "keys" / "anchor.key"


@pytest.fixture
def anchor_path(tmp_path: Path) -> Path:
    return tmp_path / "journal.anchor"


def fill(store: EventStore, count: int) -> None:
    for n in range(count):
        store.append([event(n=n)])


def rewrite_tail(backend: Backend, from_seq: int) -> None:
    """Change row `from_seq` and recompute every hash after it, as an attacker with
    full database access would: the chain itself stays perfect."""
    rows = backend.query(
        "SELECT seq, stream, version, event_type, occurred_at, actor, data, idempotency_key,"
        " prev_hash, hash FROM journal_events WHERE seq >= ? ORDER BY seq",
        [from_seq],
    )
    prev = rows[0][8]
    for row in rows:
        seq, stream, version, type_, at, by, data, key = row[:8]
        if seq == from_seq:
            data = data.replace('"n":', '"n_changed":')
        digest = row_hash(seq, stream, version, type_, at, by, data, key, prev)
        backend.tamper(
            "UPDATE journal_events SET data = ?, prev_hash = ?, hash = ? WHERE seq = ?",
            [data, prev, digest, seq],
        )
        prev = digest


def test_the_anchor_follows_the_head(
    backend: Backend, store: EventStore, anchor_path: Path, key_path: Path
) -> None:
    anchor_store(store, anchor_path, key_path, every_appends=1)
    assert read_anchor(anchor_path, load_key(key_path, create=False)).seq == 0
    fill(store, 3)
    anchored = read_anchor(anchor_path, load_key(key_path, create=False))
    [last] = list(store.read(after=2))
    assert (anchored.seq, anchored.hash) == (3, last.hash)
    assert check_anchor(store, anchored).ok


def test_writes_are_few_and_the_close_writes_the_last_head(
    backend: Backend, anchor_path: Path, key_path: Path
) -> None:
    store = backend.open()
    anchorer = anchor_store(store, anchor_path, key_path, every_appends=50, every_s=3600)
    fill(store, 120)
    assert anchorer.writes == 3  # at the start, then after 50 and 100 appends
    key = load_key(key_path, create=False)
    assert read_anchor(anchor_path, key).seq == 100
    store.close()
    assert read_anchor(anchor_path, key).seq == 120


def test_a_quiet_journal_is_anchored_within_the_interval(
    backend: Backend, store: EventStore, anchor_path: Path, key_path: Path
) -> None:
    anchor_store(store, anchor_path, key_path, every_appends=1000, every_s=0.2)
    time.sleep(0.25)
    fill(store, 1)  # due at once (the last write is old)
    fill(store, 1)  # pending: the timer writes it
    key = load_key(key_path, create=False)
    assert read_anchor(anchor_path, key).seq == 1
    deadline = time.monotonic() + 5
    while read_anchor(anchor_path, key).seq != 2:
        assert time.monotonic() < deadline, "the timer never wrote the last head"
        time.sleep(0.05)


def test_truncation_is_detected_naming_the_first_missing_row(
    backend: Backend, anchor_path: Path, key_path: Path
) -> None:
    with backend.open() as store:
        anchor_store(store, anchor_path, key_path)
        fill(store, 5)
    backend.tamper("DELETE FROM journal_events WHERE seq > 3")
    with backend.open() as store:
        assert store.verify().ok  # the chain alone cannot tell
        verdict = check_anchor(store, read_anchor(anchor_path, load_key(key_path, create=False)))
        assert not verdict.ok and verdict.bad_seq == 4
        assert verdict.reason.startswith("TRUNCATED: the journal ends at seq 3")
        assert "seq 4-5 removed" in verdict.reason
        # A server must not start on it (nor overwrite the anchor that shows it).
        with pytest.raises(JournalError, match="does not match its anchor"):
            anchor_store(store, anchor_path, key_path)
    assert read_anchor(anchor_path, load_key(key_path, create=False)).seq == 5


def test_a_rewritten_tail_is_detected(backend: Backend, anchor_path: Path, key_path: Path) -> None:
    with backend.open() as store:
        anchor_store(store, anchor_path, key_path)
        fill(store, 5)
    rewrite_tail(backend, 3)
    with backend.open() as store:
        assert store.verify().ok  # a perfect chain again
        verdict = check_anchor(store, read_anchor(anchor_path, load_key(key_path, create=False)))
        assert not verdict.ok and verdict.bad_seq == 5
        assert verdict.reason.startswith("REWRITTEN: seq 5 has hash")


def test_truncated_then_appended_again_is_a_rewrite(
    backend: Backend, anchor_path: Path, key_path: Path
) -> None:
    with backend.open() as store:
        anchor_store(store, anchor_path, key_path)
        fill(store, 5)
    backend.tamper("DELETE FROM journal_events WHERE seq > 3")
    with backend.open() as store:
        fill(store, 4)  # the head is past the anchor again, with other rows
        verdict = check_anchor(store, read_anchor(anchor_path, load_key(key_path, create=False)))
        assert (verdict.ok, verdict.bad_seq) == (False, 5)


def test_a_forged_anchor_or_another_key_is_refused(
    store: EventStore, anchor_path: Path, key_path: Path, tmp_path: Path
) -> None:
    anchor_store(store, anchor_path, key_path, every_appends=1)
    fill(store, 5)
    data = json.loads(anchor_path.read_text())
    anchor_path.write_text(json.dumps({**data, "seq": 3}))  # moved back to hide a cut
    with pytest.raises(ForgedAnchorError, match="signature does not match"):
        read_anchor(anchor_path, load_key(key_path, create=False))
    write_anchor(anchor_path, load_key(key_path, create=False), 5, data["hash"])
    other = load_key(tmp_path / "other.key", create=True)
    with pytest.raises(ForgedAnchorError):
        read_anchor(anchor_path, other)
    anchor_path.write_text("not json")
    with pytest.raises(AnchorError, match="cannot be read"):
        read_anchor(anchor_path, other)


def test_the_key_is_created_once_with_mode_0600(key_path: Path) -> None:
    with pytest.raises(AnchorError, match="no anchor key"):
        load_key(key_path, create=False)
    key = load_key(key_path, create=True)
    assert len(key) == 32
    assert stat.S_IMODE(os.stat(key_path).st_mode) == 0o600
    assert load_key(key_path, create=True) == key == load_key(key_path, create=False)


def test_the_anchor_never_moves_backwards(anchor_path: Path, key_path: Path) -> None:
    key = load_key(key_path, create=True)
    anchorer = Anchorer(anchor_path, key, every_appends=1)
    anchorer.note(5, "a" * 64)
    anchorer.note(3, "b" * 64)
    anchorer.close()
    assert (read_anchor(anchor_path, key).seq, anchorer.writes) == (5, 1)


def test_an_anchor_that_cannot_be_written_never_fails_an_append(
    store: EventStore, tmp_path: Path, key_path: Path, caplog: Any
) -> None:
    folder = tmp_path / "gone"
    folder.mkdir()
    anchor_store(store, folder / "a.anchor", key_path, every_appends=1)
    (folder / "a.anchor").unlink()
    folder.rmdir()
    with caplog.at_level(logging.ERROR, logger="tenfour.journal.anchor"):
        fill(store, 2)
    assert store.head() == 2
    assert "could not move the journal anchor" in caplog.text


# -- tenfour journal verify --anchor / journal head --------------------------------------

runner = CliRunner()


def verify(backend: Backend, anchor_path: Path, key_path: Path) -> Any:
    anchor = ["--anchor", str(anchor_path), "--anchor-key", str(key_path)]
    return runner.invoke(app, ["journal", "verify", "--db", backend.url, *anchor])


def test_cli_verify_names_the_row_of_a_truncation_or_rewrite(
    backend: Backend, anchor_path: Path, key_path: Path
) -> None:
    with backend.open() as store:
        anchor_store(store, anchor_path, key_path)
        fill(store, 6)
    intact = verify(backend, anchor_path, key_path)
    assert intact.exit_code == 0, intact.output
    assert intact.output.splitlines()[1].startswith("anchor ok: matches the anchor at seq 6")

    rewrite_tail(backend, 5)
    rewritten = verify(backend, anchor_path, key_path)
    assert rewritten.exit_code == 1
    assert rewritten.output.splitlines()[0].startswith("journal ok: 6 events")  # the chain
    assert "journal BROKEN at seq 6: REWRITTEN: seq 6 has hash" in rewritten.output

    backend.tamper("DELETE FROM journal_events WHERE seq > 4")
    truncated = verify(backend, anchor_path, key_path)
    assert truncated.exit_code == 1
    assert "journal BROKEN at seq 5: TRUNCATED: the journal ends at seq 4" in truncated.output


def test_cli_verify_refuses_a_forged_anchor_and_a_missing_key(
    backend: Backend, anchor_path: Path, key_path: Path, tmp_path: Path
) -> None:
    with backend.open() as store:
        anchor_store(store, anchor_path, key_path)
        fill(store, 2)
    data = json.loads(anchor_path.read_text())
    anchor_path.write_text(json.dumps({**data, "seq": 1}))
    forged = verify(backend, anchor_path, key_path)
    assert forged.exit_code == 1 and "signature does not match" in forged.output
    no_key = verify(backend, anchor_path, tmp_path / "nowhere.key")
    assert no_key.exit_code == 2 and "no anchor key" in no_key.output
    assert not (tmp_path / "nowhere.key").exists()  # verify never makes a key
    no_anchor = verify(backend, tmp_path / "none.anchor", key_path)
    assert no_anchor.exit_code == 2 and "no anchor at" in no_anchor.output


def test_cli_verify_finds_the_anchor_beside_a_sqlite_journal(
    tmp_path: Path, key_path: Path
) -> None:
    database = tmp_path / "tenfour.db"
    with SqliteEventStore(database) as store:
        anchor_store(store, tmp_path / "tenfour.db.anchor", key_path)
        fill(store, 3)
    args = ["journal", "verify", "--db", str(database), "--anchor-key", str(key_path)]
    assert "anchor ok" in runner.invoke(app, args).output
    unanchored = tmp_path / "other.db"
    with SqliteEventStore(unanchored) as store:
        fill(store, 1)
    plain = runner.invoke(app, ["journal", "verify", "--db", str(unanchored)])
    assert plain.exit_code == 0 and "note: no anchor checked" in plain.output


def test_cli_head_for_a_notary(backend: Backend, store: EventStore) -> None:
    fill(store, 3)
    rows = list(store.read())
    head = runner.invoke(app, ["journal", "head", "--db", backend.url])
    assert head.exit_code == 0
    assert head.output.strip() == f"seq 3 hash {rows[2].hash} at {rows[2].at}"
    second = runner.invoke(app, ["journal", "head", "--db", backend.url, "--seq", "2", "--json"])
    assert json.loads(second.output) == {"seq": 2, "hash": rows[1].hash, "at": rows[1].at}
    beyond = runner.invoke(app, ["journal", "head", "--db", backend.url, "--seq", "9"])
    assert beyond.exit_code == 1 and "no seq 9" in beyond.output
