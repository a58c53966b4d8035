"""``sim.replay.grouped``: appends inside a group share one transaction."""

from __future__ import annotations

from pathlib import Path

import pytest

from tenfour.journal import JournalError, NewEvent, SqliteEventStore
from tenfour.sim.replay.grouped import GroupedStore


def _event(i: int) -> NewEvent:
    return NewEvent("incident.noted", "incident:X", "2017-01-01T08:00:00Z", "test", {"n": i})


def test_a_group_reads_its_own_appends_and_commits_them_together(tmp_path: Path) -> None:
    with SqliteEventStore(tmp_path / "j.db") as store:
        grouped = GroupedStore(store)
        with grouped.group():
            grouped.append([_event(1)])
            with grouped.batch() as batch:  # what the service does for each command
                batch.append([_event(2)], expected={"incident:X": 1})
            assert [e.data["n"] for e in grouped.read(0)] == [1, 2]
            assert [e.data["n"] for e in grouped.read(0, limit=1)] == [1]
            grouped.save_position("reactor", 2)
            assert grouped.position("reactor") == 2
            with pytest.raises(JournalError, match="not available while"):
                grouped.verify()
        assert grouped.groups == 1 and grouped.asked == 2
        assert store.head() == 2 and store.position("reactor") == 2
        assert store.verify().ok


def test_a_failed_group_keeps_nothing(tmp_path: Path) -> None:
    with SqliteEventStore(tmp_path / "j.db") as store:
        grouped = GroupedStore(store)
        with pytest.raises(RuntimeError), grouped.group():
            grouped.append([_event(1)])
            grouped.save_position("reactor", 1)
            raise RuntimeError("the replay broke")
        assert store.head() == 0 and store.position("reactor") is None
        assert grouped.groups == 0
        with grouped.group():
            grouped.append([_event(2)])
        assert [e.data["n"] for e in store.read()] == [2]
        assert store.position("reactor") is None  # the failed group's bookmark is gone
