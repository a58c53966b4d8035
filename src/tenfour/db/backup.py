"""Online backup of a SQLite database, with SQLite's backup API, while a server runs.

The copy is taken in ONE step (``pages=-1``): one read transaction, so it is a
consistent snapshot of the moment it started. In WAL mode a reader blocks no
writer, so the server keeps committing meanwhile; its commits after that moment
are simply not in the copy. (A copy in several steps would restart from the
beginning every time another connection writes, which under steady traffic may
be never done.)

The copy is written beside the target under a temporary name, fsync'd and renamed,
so a crash never leaves a half-written file under the backup's name; then it is
opened read-only and its journal's hash chain verified.

PostgreSQL is backed up with ``pg_dump`` (docs/deploy.md).
"""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from tenfour.db.schema import SchemaError, dialect_of, sqlite_file
from tenfour.journal.model import VerifyReport


@dataclass(frozen=True, slots=True)
class BackupReport:
    """What was copied: the file, its size, the seconds it took, and its journal's check."""

    out: Path
    bytes: int
    seconds: float
    journal: VerifyReport | None


def backup(database: str, out: Path, *, verify: bool = True) -> BackupReport:
    """Copy the SQLite `database` to `out` (which must not exist) while others write.

    `SchemaError` for a PostgreSQL URL (use pg_dump), a missing source, an existing
    `out`, or a failed copy (the partial file is removed)."""
    if dialect_of(database) == "postgres":
        raise SchemaError(
            "--database: a PostgreSQL database is backed up with pg_dump "
            "(see docs/deploy.md), not with tenfour db backup"
        )
    source_path = sqlite_file(database)
    if source_path in ("", ":memory:") or not Path(source_path).is_file():
        raise SchemaError(f"--database: no SQLite database at {source_path}")
    if out.exists():
        raise SchemaError(f"--out: {out} exists (a backup never overwrites a file)")
    if not out.parent.is_dir():
        raise SchemaError(f"--out: no folder {out.parent}")
    temp = out.with_name(f".{out.name}.{os.getpid()}.partial")
    started = time.perf_counter()
    try:
        # A plain connection (not mode=ro): a read-only one cannot create the -shm a
        # WAL file needs when no server has it open.
        source = sqlite3.connect(source_path, timeout=30.0)
        try:
            target = sqlite3.connect(temp)
            try:
                source.backup(target, pages=-1)
                # The copy keeps WAL mode; fold everything into the one file.
                target.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                target.close()
        finally:
            source.close()
        _fsync(temp)
        Path(f"{temp}-wal").unlink(missing_ok=True)
        Path(f"{temp}-shm").unlink(missing_ok=True)
        os.replace(temp, out)
        _fsync(out.parent)
    except sqlite3.Error as error:
        raise SchemaError(f"backup of {source_path} failed: {error}") from None
    finally:
        for leftover in (temp, Path(f"{temp}-wal"), Path(f"{temp}-shm")):
            leftover.unlink(missing_ok=True)
    seconds = time.perf_counter() - started
    report = None
    if verify:
        from tenfour.journal import open_store

        with open_store(str(out), read_only=True) as copy:
            report = copy.verify()
    return BackupReport(out, out.stat().st_size, seconds, report)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
