"""The text the CLI prints, and opening a journal by URL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tenfour.journal import JournalError, SqliteEventStore, VerifyReport, open_store
from tenfour.journal.cli import show, verify_text

from .support import AT, event


@pytest.fixture
def journal() -> SqliteEventStore:
    store = SqliteEventStore(":memory:")
    store.append([event("unit:ZPD-7", "unit.dispatched", unit="ZPD-7", note="code 3")])
    store.append(
        [event("unit:ZPD-7", "unit.located", at={"lat": 37.8}, empty="")], idempotency_key="k"
    )
    return store


def test_show_human_lines(journal: SqliteEventStore) -> None:
    with journal:
        lines = list(show(journal, after=0, as_json=False))
    assert lines == [
        f'1  {AT}  hopps  unit.dispatched  note="code 3" unit=ZPD-7',
        f'2  {AT}  hopps  unit.located  at={{"lat":37.8}} empty=""',
    ]


def test_show_json_lines_after_a_position(journal: SqliteEventStore) -> None:
    with journal:
        [line] = list(show(journal, after=1, as_json=True))
        [event_2] = list(journal.read(after=1))
    assert json.loads(line) == event_2.to_json()
    assert json.loads(line)["at"] == AT  # the envelope wins over the data's "at"


def test_verify_text() -> None:
    assert verify_text(VerifyReport(True, 0, None, "", "0" * 64)) == "journal ok: empty"
    assert verify_text(VerifyReport(True, 5, None, "", "ab" * 32)) == (
        f"journal ok: 5 events, chain intact, head hash {'ab' * 32}"
    )
    broken = VerifyReport(False, 2, 3, "seq 3: hash does not match", "cd" * 32)
    assert verify_text(broken) == (
        "journal BROKEN at seq 3: seq 3: hash does not match; 2 events before it are intact"
    )


def test_open_store_paths_and_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for url, file in [
        ("plain.db", tmp_path / "plain.db"),
        ("sqlite:///relative.db", tmp_path / "relative.db"),
        (f"sqlite:///{tmp_path}/absolute.db", tmp_path / "absolute.db"),
    ]:
        with open_store(url) as store:
            store.append([event()])
        assert file.exists(), url
    with open_store("sqlite:///:memory:") as store:
        assert store.head() == 0


@pytest.mark.parametrize("url", ["", "sqlite://", "sqlite:///", "mysql://host/db"])
def test_open_store_refuses_unknown_urls(url: str) -> None:
    with pytest.raises(JournalError, match="journal URL"):
        open_store(url)
