"""``tenfour journal export`` and ``tenfour journal import``: a journal as JSONL,
to move a center between SQLite and PostgreSQL (the format: `tenfour.journal.transfer`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tenfour.db.cli import DEFAULT_DB, Database
from tenfour.db.schema import shown
from tenfour.journal import JournalError, open_store
from tenfour.journal.sql import SqlEventStore
from tenfour.journal.transfer import TransferError, export_journal, import_journal, read_header


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=True,
    )


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def export_command(
    out: Annotated[Path, typer.Option("--out", help="the JSONL file to write (must not exist)")],
    database: Database = DEFAULT_DB,
) -> None:
    """Write every event (as stored: seq, version, hashes) and the reactor's position
    to a JSONL file, checking the chain as it goes. Opens the journal read-only."""
    if "://" not in database and not Path(database).exists():
        raise _fail(f"no journal at {database}")
    if out.exists():
        raise _fail(f"--out: {out} exists (an export never overwrites a file)")
    temp = out.with_name(f".{out.name}.{os.getpid()}.partial")
    try:
        with open_store(database, read_only=True) as store:
            if not isinstance(store, SqlEventStore):
                raise _fail(f"{database}: not a SQL journal")
            total = store.head()
            with _progress() as bar, temp.open("w", encoding="utf-8") as file:
                task = bar.add_task("exporting", total=total)
                report = export_journal(store, file, lambda done: bar.update(task, completed=done))
                file.flush()
                os.fsync(file.fileno())
        os.replace(temp, out)
    except JournalError as error:
        raise _fail(str(error)) from None
    except OSError as error:
        raise _fail(f"--out: {error}") from None
    finally:
        temp.unlink(missing_ok=True)
    bookmarks = ", ".join(f"{name} at {seq}" for name, seq in sorted(report.positions.items()))
    typer.echo(
        f"exported {report.events} events from {shown(database)} to {out}; "
        f"head hash {report.head_hash}" + (f"; positions: {bookmarks}" if bookmarks else "")
    )


def import_command(
    file: Annotated[Path, typer.Argument(help="a JSONL file from tenfour journal export")],
    database: Database = DEFAULT_DB,
) -> None:
    """Load an export into an EMPTY journal (a new database is created), keeping every
    seq, version and hash; the chain is checked line by line, and any error (broken
    chain, cut file, bad field) leaves the journal empty and names the line."""
    try:
        with file.open(encoding="utf-8") as lines:
            total, _ = read_header(lines.readline())
    except OSError as error:
        raise _fail(f"FILE: {error}") from None
    except (TransferError, UnicodeDecodeError) as error:
        raise _fail(f"{file}: {error}") from None
    try:
        with open_store(database) as store, file.open(encoding="utf-8") as lines:
            if not isinstance(store, SqlEventStore):
                raise _fail(f"{database}: not a SQL journal")
            with _progress() as bar:
                task = bar.add_task("importing", total=total)
                report = import_journal(store, lines, lambda done: bar.update(task, completed=done))
    except TransferError as error:
        raise _fail(f"{file}: {error}; nothing was imported") from None
    except JournalError as error:
        raise _fail(str(error)) from None
    except UnicodeDecodeError as error:
        raise _fail(f"{file}: not UTF-8 text ({error}); nothing was imported") from None
    typer.echo(
        f"imported {report.events} events into {shown(database)}; chain intact, "
        f"head hash {report.head_hash}"
    )
