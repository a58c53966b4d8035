"""What only the SQLite backend promises: WAL, fsync per commit, the schema fence."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenfour.db import CURRENT
from tenfour.db.steps import FENCE
from tenfour.journal import JournalError, SqliteEventStore

from .support import event


def _pragma(store: SqliteEventStore, name: str) -> Any:
    # The store's own connection: synchronous is a per-connection setting.
    return store._conn.execute(f"PRAGMA {name}").fetchone()[0]


def test_wal_and_synchronous_full(tmp_path: Path) -> None:
    with SqliteEventStore(tmp_path / "j.db") as store:
        assert _pragma(store, "journal_mode") == "wal"
        assert _pragma(store, "synchronous") == 2  # FULL
        # The previous release's own check reads this number and refuses the file.
        assert _pragma(store, "user_version") == FENCE


def test_in_memory_store_for_tests() -> None:
    with SqliteEventStore(":memory:") as store:
        store.append([event(), event()])
        assert store.head() == 2 and store.verify().ok


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    SqliteEventStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO schema_version VALUES (?, 'a later release', '2030-01-01T00:00:00Z')",
        (CURRENT + 1,),
    )
    conn.commit()
    conn.close()
    with pytest.raises(JournalError, match="schema version"):
        SqliteEventStore(path)


def test_opening_twice_keeps_the_schema_and_data(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    with SqliteEventStore(path) as first, SqliteEventStore(path) as second:
        first.append([event()])
        assert second.head() == 1


def test_unopenable_path_is_a_journal_error(tmp_path: Path) -> None:
    with pytest.raises(JournalError, match="SQLite journal"):
        SqliteEventStore(tmp_path / "missing-dir" / "j.db")


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(exclude_categories=["Cs"])),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(st.characters(exclude_categories=["Cs"])), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.text(max_size=8), json_values, max_size=5))
def test_any_json_payload_round_trips(data: dict[str, Any]) -> None:
    with SqliteEventStore(":memory:") as store:
        written = store.append([event(payload=data)]).events[0]
        [read] = list(store.read())
        assert read == written
        assert read.data == {"payload": data}
        assert store.verify().ok
