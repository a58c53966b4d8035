"""Leases: which one of several nodes sharing a journal keeps time and runs the policies.

Timers and policy reactions must run on exactly one node at a time, or two nodes
raise the same alert twice (and the second counts as a second miss). The lease is
taken through the database the nodes already share:

- PostgreSQL: a session-level advisory lock held on a connection of its own. When
  the node dies (kill -9, a lost network) PostgreSQL ends the session and the lock
  is free at once; the next node to try takes it.
- SQLite: an exclusive ``flock`` on a file beside the journal. The operating system
  drops it when the process dies. An in-memory journal has no other node.

A lease is *tried*, never waited for: each node's reactor tries again every second,
so a node that dies is replaced within about that long.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import zlib
from typing import Any, Protocol

log = logging.getLogger(__name__)


class Lease(Protocol):
    """One named lease; ``try_hold`` takes it if free and reports whether it is held."""

    def try_hold(self) -> bool:
        """Take the lease if nobody holds it; True while this node holds it."""
        ...

    def release(self) -> None:
        """Give it up (on shutdown) so another node takes over at once."""
        ...

    def held_anywhere(self) -> bool:
        """True while some node, this one or another, holds the lease (readiness)."""
        ...


class SoleLease:
    """The only process there is (an in-memory journal, a scenario run): always held."""

    def try_hold(self) -> bool:
        return True

    def release(self) -> None:
        pass

    def held_anywhere(self) -> bool:
        return True


class FileLease:
    """An exclusive ``flock`` on ``path``: one holder per file across processes."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None
        self._mutex = threading.Lock()

    def try_hold(self) -> bool:
        with self._mutex:
            if self._fd is not None:
                return True
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                return False
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            self._fd = fd
            return True

    def release(self) -> None:
        with self._mutex:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
                os.close(self._fd)
                self._fd = None

    def held_anywhere(self) -> bool:
        with self._mutex:
            if self._fd is not None:
                return True
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return False  # nobody ever held it
        try:
            # A shared lock is refused while any process holds the exclusive one. When
            # it is granted the lease is free; it is let go at once (a node trying to
            # take the lease in that instant tries again a second later).
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)  # closing drops the shared lock if it was granted
        return False


class PostgresLease:
    """A session advisory lock on a connection of its own (``pg_try_advisory_lock``).

    The lock lives exactly as long as the session: if the connection breaks, the lease
    is lost (this node stops acting as timekeeper) and PostgreSQL frees it for others.
    """

    def __init__(self, dsn: str, name: str) -> None:
        self.dsn = dsn
        # Advisory locks are keyed by a 64-bit number; derive a stable one from the name.
        self.key = 0x7465_6E00_0000_0000 | zlib.crc32(name.encode())
        self._conn: Any = None
        self._mutex = threading.Lock()

    def try_hold(self) -> bool:
        import psycopg

        with self._mutex:
            try:
                if self._conn is not None:
                    # Still ours only while the session is alive: ask the server.
                    self._conn.execute("SELECT 1")
                    return True
                conn = psycopg.connect(self.dsn, autocommit=True, connect_timeout=5)
                row = conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
                if row is not None and row[0]:
                    self._conn = conn
                    return True
                conn.close()
                return False
            except psycopg.Error:
                log.warning("timekeeper lease lost or not reachable", exc_info=True)
                self._drop()
                return False

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # closing a broken connection may fail; it is gone anyway
                log.debug("closing the lease connection failed", exc_info=True)
            self._conn = None

    def release(self) -> None:
        with self._mutex:
            self._drop()  # ending the session frees the advisory lock

    def held_anywhere(self) -> bool:
        """Asks the server's lock table, on a short connection of its own; a server
        that cannot be reached counts as no holder."""
        import psycopg

        with self._mutex:
            if self._conn is not None:
                return True
        try:
            with psycopg.connect(self.dsn, autocommit=True, connect_timeout=5) as conn:
                row = conn.execute(
                    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' "
                    "AND granted AND database = (SELECT oid FROM pg_database "
                    "WHERE datname = current_database()) "
                    "AND classid::bigint = %s AND objid::bigint = %s AND objsubid = 1)",
                    (self.key >> 32, self.key & 0xFFFF_FFFF),
                ).fetchone()
        except psycopg.Error:
            log.warning("could not ask who holds the timekeeper lease", exc_info=True)
            return False
        return bool(row is not None and row[0])
