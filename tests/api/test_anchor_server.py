"""A server keeps its journal anchored (issue 10) and will not start on a journal cut
or rewritten behind its back."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tenfour.api.app import create_app
from tenfour.api.settings import Settings
from tenfour.clock import SimClock
from tenfour.journal import JournalError, open_store
from tenfour.journal.anchor import check_anchor, load_key, read_anchor

from .conftest import START


def settings(tmp_path: Path) -> Settings:
    return Settings(
        database=str(tmp_path / "tenfour.db"),
        clock=SimClock(START),
        fast_hashing=True,
        anchor="auto",
        anchor_key=str(tmp_path / "secret" / "anchor.key"),
    )


def test_the_server_anchors_its_journal_and_refuses_a_cut_one(tmp_path: Path) -> None:
    with TestClient(create_app(settings(tmp_path))) as client:
        assert client.get("/api/health").status_code == 200
    anchor = tmp_path / "tenfour.db.anchor"
    key = load_key(tmp_path / "secret" / "anchor.key", create=False)
    anchored = read_anchor(anchor, key)
    with open_store(str(tmp_path / "tenfour.db"), read_only=True) as store:
        assert anchored.seq == store.head() > 0  # the demo city, anchored at close
        assert check_anchor(store, anchored).ok

    conn = sqlite3.connect(tmp_path / "tenfour.db")
    conn.execute("DROP TRIGGER journal_events_no_delete")
    conn.execute("DELETE FROM journal_events WHERE seq = (SELECT MAX(seq) FROM journal_events)")
    conn.commit()
    conn.close()
    with (
        pytest.raises(JournalError, match="does not match its anchor"),
        TestClient(create_app(settings(tmp_path))),
    ):
        pass
    assert read_anchor(anchor, key) == anchored  # the evidence is kept
