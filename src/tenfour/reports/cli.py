"""``tenfour report``: interval times from a journal (SQLite path or PostgreSQL URL).

Reads the journal read-only, from its first event (unit and agency kinds are
registered long before the window) but only the event types the fold uses
(``fold_store``), and writes the report into ``--out``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from tenfour.journal import JournalError, open_store
from tenfour.reports.intervals import (
    GROUPS,
    ReportError,
    Targets,
    check_window,
    fold_store,
    incident_rows,
    load_districts,
    load_targets,
    parse_by,
    parse_time,
    summarise,
)
from tenfour.reports.output import write_report


def report_command(
    database: Annotated[
        str, typer.Option("--database", help="the journal: a SQLite file or postgresql:// URL")
    ],
    out: Annotated[Path, typer.Option("--out", help="directory to write the report into")],
    start: Annotated[
        str | None,
        typer.Option("--from", help="first day or moment (ISO 8601, UTC unless zoned)"),
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="end of the window, exclusive (ISO 8601)")
    ] = None,
    by: Annotated[
        str | None, typer.Option("--by", help=f"group by, comma-separated: {', '.join(GROUPS)}")
    ] = None,
    districts: Annotated[
        Path | None, typer.Option("--districts", help="GeoJSON polygons, for --by district")
    ] = None,
    targets: Annotated[
        Path | None, typer.Option("--targets", help="YAML/JSON targets (default NFPA 1710/1221)")
    ] = None,
) -> None:
    """Call-processing, turnout, travel and total response times, 90th percentiles
    against targets, grouped; CSV, JSON and an HTML report with plots."""
    try:
        window_start = parse_time(start, "from")
        window_end = parse_time(end, "to")
        check_window(window_start, window_end)
        polygons = load_districts(districts) if districts else []
        groups = parse_by(by, districts=bool(polygons))
        goal = load_targets(targets) if targets else Targets()
    except ReportError as error:
        typer.echo(f"error: --{error.field}: {error.reason}", err=True)
        raise typer.Exit(2) from None
    began = time.perf_counter()
    try:
        if "://" not in database and not Path(database).exists():
            raise JournalError(f"no journal at {database}")
        store = open_store(database, read_only=True)
        try:
            fold = fold_store(store)
        finally:
            store.close()
    except JournalError as error:
        typer.echo(f"error: --database: {error}", err=True)
        raise typer.Exit(2) from None
    rows = incident_rows(fold, window_start, window_end, polygons)
    summary = summarise(
        fold,
        start=window_start,
        end=window_end,
        by=groups,
        targets=goal,
        districts=polygons,
        rows=rows,
    )
    elapsed = time.perf_counter() - began  # reading and figures; the plots are extra
    written = write_report(summary, rows, fold, out)
    counts = summary["incidents"]
    travel = summary["overall"]["travel_s"]
    typer.echo(
        f"{counts['count']:,} incidents ({counts['with_problems']:,} with incomplete or "
        f"inconsistent times) from {fold.events:,} events in {elapsed:.1f} s; "
        f"first-unit travel p90 {travel['p90_s'] if travel['p90_s'] is not None else '-'} s"
    )
    for path in written:
        typer.echo(f"  {path}")
