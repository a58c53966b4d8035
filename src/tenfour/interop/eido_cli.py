"""``tenfour eido``: export an incident from a journal as a NENA EIDO document.

Wired into the main command as ``app.add_typer(eido_app, name="eido")``. The journal
is opened read-only and replayed, so an export from evidence changes nothing.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from tenfour.domain.state import State, evolve
from tenfour.interop.eido import export_incident
from tenfour.journal import JournalError, open_store
from tenfour.views.timeline import Timelines

eido_app = typer.Typer(help="NENA EIDO incident exchange.", no_args_is_help=True)


@eido_app.callback()
def eido_group() -> None:
    """NENA EIDO incident exchange (``export``; imports arrive at ``POST /api/eido``)."""


@eido_app.command("export")
def eido_export(
    incident: Annotated[str, typer.Argument(help="the incident id, e.g. 2026-000001")],
    database: Annotated[
        str,
        typer.Option(
            "--database",
            "--db",
            help="journal: a SQLite file, sqlite:///path or postgresql://...",
            envvar="TENFOUR_DATABASE",
        ),
    ] = "tenfour.db",
    center: Annotated[
        str,
        typer.Option(
            help="this center's name in the document (a domain name)", envvar="TENFOUR_CENTER"
        ),
    ] = "localhost",
) -> None:
    """Print INCIDENT as an EIDO (NENA-STA-021) JSON document."""
    if "://" not in database and not Path(database).exists():
        typer.echo(f"no journal at {database}", err=True)
        raise typer.Exit(2)
    try:
        store = open_store(database, read_only=True)
    except JournalError as error:
        typer.echo(f"cannot open the journal: {error}", err=True)
        raise typer.Exit(2) from None
    state, timelines = State(), Timelines()
    last = None
    with store:
        for event in store.read():
            evolve(state, event)
            timelines.apply(event)
            last = event.at
    if incident not in state.incidents:
        typer.echo(f"no incident {incident} in {database}", err=True)
        raise typer.Exit(1)
    # "Now" is the journal's last event: the document says what the journal knew.
    now = last or datetime.now(UTC).isoformat()
    document = export_incident(state, incident, timelines.of(incident), center, now)
    sys.stdout.write(json.dumps(document, indent=2) + "\n")
