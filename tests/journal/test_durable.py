"""SQLite writers of one file in one process queue on one lock: a writer starts the
moment its neighbour commits (not after a busy-handler sleep), and gives up after its
busy timeout like SQLite would."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from tenfour.durable import open_durable, write_transaction


def test_a_second_writer_starts_as_soon_as_the_first_commits(tmp_path: Path) -> None:
    path = str(tmp_path / "one.db")
    first, second = open_durable(path, 5.0), open_durable(path, 5.0)
    # SQLite itself would refuse at once: the wait is the in-process lock's alone.
    second.execute("PRAGMA busy_timeout = 0")
    first.execute("CREATE TABLE t (x INTEGER)")
    released = threading.Event()
    started: list[float] = []

    def hold() -> None:
        with write_transaction(first) as cur:
            cur.execute("INSERT INTO t VALUES (1)")
            released.wait()
            started.append(time.perf_counter())

    holder = threading.Thread(target=hold)
    holder.start()
    time.sleep(0.05)

    def release_soon() -> None:
        time.sleep(0.1)
        released.set()

    threading.Thread(target=release_soon).start()
    with write_transaction(second) as cur:
        began = time.perf_counter()
        cur.execute("INSERT INTO t VALUES (2)")
    holder.join()
    # SQLite's own busy handler would have slept in steps (..., 10, 15, 20 ms) past it.
    assert began - started[0] < 0.05
    assert second.execute("SELECT COUNT(*) FROM t").fetchone() == (2,)
    first.close()
    second.close()


def test_a_writer_gives_up_after_its_busy_timeout(tmp_path: Path) -> None:
    path = str(tmp_path / "one.db")
    first, second = open_durable(path, 5.0), open_durable(path, 0.1)
    first.execute("CREATE TABLE t (x INTEGER)")
    with write_transaction(first):
        started = time.perf_counter()
        with pytest.raises(sqlite3.OperationalError, match="locked"), write_transaction(second):
            pass
        assert 0.09 < time.perf_counter() - started < 1
    with write_transaction(second) as cur:  # free again
        cur.execute("INSERT INTO t VALUES (1)")
    first.close()
    second.close()
