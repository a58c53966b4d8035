"""``tenfour db ...``: the database's schema version, its upgrade, and online backups.

An upgrade is never implicit: ``serve`` refuses an outdated database and names
``tenfour db upgrade``, which an operator runs with the servers stopped, after a
backup (``tenfour db backup`` for SQLite, ``pg_dump`` for PostgreSQL).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from tenfour.db.schema import SchemaError, schema_history, schema_status, shown, upgrade
from tenfour.db.steps import STEPS

db_app = typer.Typer(
    help="The database: schema version, upgrade, online backup.", no_args_is_help=True
)
#: The database option every command that opens one shares (serve, user, journal,
#: device, db): one spelling, one environment variable, one default.
Database = Annotated[
    str,
    typer.Option(
        "--database",
        "--db",
        help="the database: a SQLite file, sqlite:///path or postgresql://...",
        envvar="TENFOUR_DATABASE",
    ),
]
DEFAULT_DB = "tenfour.db"


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


@db_app.command("status")
def db_status(database: Database = DEFAULT_DB) -> None:
    """Show the schema version and the steps taken or pending; exit 1 unless current."""
    try:
        status = schema_status(database)
        taken = schema_history(database)
    except SchemaError as error:
        raise _fail(str(error)) from None
    typer.echo(f"database {shown(database)}: {status.describe()}")
    for version, description, applied_at in taken:
        typer.echo(f"  {version}  {applied_at}  {description}")
    for step in STEPS[status.current :]:
        if not status.empty:
            typer.echo(f"  {step.version}  pending               {step.description}")
    problem = status.problem(database)
    if problem is not None:
        typer.echo(problem)
    if not status.ok:
        raise typer.Exit(1)


@db_app.command("upgrade")
def db_upgrade(database: Database = DEFAULT_DB) -> None:
    """Bring the database to this release's schema version (all steps in one
    transaction: on any error nothing changes). Running it again does nothing."""
    console = Console(highlight=False, soft_wrap=True)

    def progress(version: int, description: str, took: float | None) -> None:
        if took is None:
            console.print(f"  step {version}: {description} ...", markup=False)
        else:
            console.print(f"  step {version}: done in {took:.2f} s", markup=False)

    try:
        before = schema_status(database)
        if before.ok:
            typer.echo(f"database {shown(database)}: already at schema version {before.current}")
            return
        typer.echo(f"database {shown(database)}: {before.describe()}")
        with console.status("upgrading (one transaction)"):
            _, now = upgrade(database, progress)
    except SchemaError as error:
        raise _fail(str(error)) from None
    typer.echo(f"database {shown(database)}: upgraded to schema version {now}")


@db_app.command("backup")
def db_backup(
    out: Annotated[Path, typer.Option("--out", help="the backup file to write (must not exist)")],
    database: Database = DEFAULT_DB,
    verify: Annotated[bool, typer.Option(help="verify the copy's hash chain once written")] = True,
) -> None:
    """Copy a SQLite database while the server runs (SQLite's backup API: a
    consistent snapshot; writers go on). PostgreSQL: use pg_dump (docs/deploy.md)."""
    from tenfour.db.backup import backup

    console = Console(highlight=False, soft_wrap=True)
    try:
        with console.status(f"copying {shown(database)}"):
            report = backup(database, out, verify=verify)
    except SchemaError as error:
        raise _fail(str(error)) from None
    size = report.bytes / 1e6
    typer.echo(f"backup written: {out} ({size:.1f} MB in {report.seconds:.2f} s)")
    if report.journal is not None:
        from tenfour.journal.cli import verify_text

        typer.echo(f"backup {verify_text(report.journal)}")
        if not report.journal.ok:
            raise typer.Exit(1)
