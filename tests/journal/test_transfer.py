"""`tenfour journal export` and `import`: SQLite -> PostgreSQL -> SQLite keeps every
event, seq, version and hash; a broken, cut or misplaced file is refused, naming
the line and the field, and leaves the target empty."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tenfour.cli import app as cli
from tenfour.journal import StoredEvent, open_store
from tests.postgres import fresh_database

from .support import event

runner = CliRunner()


def _invoke(*args: str) -> Any:
    return runner.invoke(cli, list(args))


def _fill(database: str) -> tuple[StoredEvent, ...]:
    """A journal of several streams, keys, and payloads that test canonical JSON."""
    with open_store(database) as store:
        for n in range(1, 2501):  # more than one page and one import batch
            store.append([event(f"unit:ZPD-{n % 7}", n=n)])
        store.append(
            [
                event("incident:1", "incident.opened", note='Précinct ☎ "one"\n', x=0.1),
                event("incident:1", "incident.closed", big=2**70, neg=-1.5e-9, none=None),
            ],
            idempotency_key="clawhauser/first",
        )
        store.append([event("incident:2", nested={"b": [1, {"a": True}], "a": []})])
        store.save_position("policies", 2400)
        return tuple(store.read())


@pytest.fixture
def postgres() -> Iterator[str]:
    with fresh_database("tenfour_transfer") as url:
        yield url


@pytest.mark.postgres
def test_sqlite_to_postgres_to_sqlite_keeps_every_event_and_hash(
    tmp_path: Path, postgres: str
) -> None:
    source = str(tmp_path / "source.db")
    written = _fill(source)
    first, second = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    back = str(tmp_path / "back.db")

    exported = _invoke("journal", "export", "--database", source, "--out", str(first))
    assert exported.exit_code == 0, exported.output
    assert f"exported {len(written)} events" in exported.output
    imported = _invoke("journal", "import", "--database", postgres, str(first))
    assert imported.exit_code == 0, imported.output
    assert _invoke("journal", "export", "--db", postgres, "--out", str(second)).exit_code == 0
    assert _invoke("journal", "import", "--database", back, str(second)).exit_code == 0

    for database in (postgres, back):
        with open_store(database) as store:
            assert tuple(store.read()) == written
            assert store.position("policies") == 2400
        verified = _invoke("journal", "verify", "--database", database)
        assert verified.exit_code == 0, verified.output
        assert f"journal ok: {len(written)} events" in verified.output
        assert written[-1].hash in verified.output
    # The two files differ only in when they were taken.
    one, two = first.read_text().splitlines(), second.read_text().splitlines()
    assert one[1:] == two[1:]
    assert json.loads(one[0])["head_hash"] == written[-1].hash


@pytest.fixture
def export(tmp_path: Path) -> list[str]:
    """The lines of a small export."""
    source = str(tmp_path / "small.db")
    with open_store(source) as store:
        for n in range(5):
            store.append([event(f"unit:{n % 2}", n=n)])
    out = tmp_path / "small.jsonl"
    assert _invoke("journal", "export", "--database", source, "--out", str(out)).exit_code == 0
    return out.read_text().splitlines()


def _import_lines(tmp_path: Path, lines: list[str]) -> tuple[Any, str]:
    file = tmp_path / "edited.jsonl"
    file.write_text("".join(f"{line}\n" for line in lines))
    target = str(tmp_path / "target.db")
    return _invoke("journal", "import", "--database", target, str(file)), target


def _edit(lines: list[str], number: int, **changes: Any) -> list[str]:
    item = json.loads(lines[number - 1])
    item.update(changes)
    return [*lines[: number - 1], json.dumps(item), *lines[number:]]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda ls: _edit(ls, 4, data={"n": 99}), "line 4: hash: does not match"),
        (lambda ls: _edit(ls, 4, prev_hash="0" * 64), "line 4: prev_hash: does not match"),
        (lambda ls: [*ls[:3], *ls[4:]], "line 4: seq: 4 where 3 was expected"),
        (lambda ls: _edit(ls, 3, version=5), "line 3: version: stream 'unit:1' at 5"),
        (lambda ls: _edit(ls, 3, at="yesterday"), "line 3: at: not an ISO-8601 time"),
        (lambda ls: _edit(ls, 2, seq="1"), "line 2: seq: expected an integer"),
        (lambda ls: _edit(ls, 2, hash="xyz"), "line 2: hash: expected 64 lowercase hex"),
        (lambda ls: [*ls[:2], "{not json", *ls[3:]], "line 3: not JSON"),
        (lambda ls: ls[:-1], "header promises 5"),
        (lambda ls: _edit(ls, 1, format="csv"), "line 1: format: expected 'tenfour-journal'"),
    ],
)
def test_a_broken_or_cut_file_is_refused_naming_the_line(
    tmp_path: Path, export: list[str], edit: Any, message: str
) -> None:
    # The positions line (last) is dropped so that a cut file ends on an event.
    result, target = _import_lines(tmp_path, edit(export[:-1]))
    assert result.exit_code == 2
    assert message in result.output
    if Path(target).exists():
        with open_store(target) as store:
            assert store.head() == 0  # nothing half-imported


def test_import_refuses_a_journal_that_is_not_empty(tmp_path: Path, export: list[str]) -> None:
    result, target = _import_lines(tmp_path, export)
    assert result.exit_code == 0, result.output
    again, _ = _import_lines(tmp_path, export)
    assert again.exit_code == 2
    assert "the target journal is not empty (its head is seq 5)" in again.output
    with open_store(target) as store:
        assert store.head() == 5


def test_export_refuses_a_broken_journal(tmp_path: Path) -> None:
    source = tmp_path / "broken.db"
    with open_store(str(source)) as store:
        for n in range(3):
            store.append([event(n=n)])
    import sqlite3

    with sqlite3.connect(source) as conn:
        conn.execute("DROP TRIGGER journal_events_no_update")
        conn.execute("UPDATE journal_events SET data = '{\"n\":7}' WHERE seq = 2")
    out = tmp_path / "out.jsonl"
    result = _invoke("journal", "export", "--database", str(source), "--out", str(out))
    assert result.exit_code == 2
    assert "the journal is broken at seq 2" in result.output
    assert not out.exists() and not list(tmp_path.glob(".out.jsonl*"))


def test_export_never_overwrites(tmp_path: Path, export: list[str]) -> None:
    out = tmp_path / "small.jsonl"  # the fixture's own export
    result = _invoke(
        "journal", "export", "--database", str(tmp_path / "small.db"), "--out", str(out)
    )
    assert result.exit_code == 2 and "exists" in result.output
