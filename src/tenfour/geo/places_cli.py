"""``tenfour places import`` and ``tenfour geocode``: address data into a map file, and
a CSV file's addresses geocoded in bulk.

Wired into the main command as ``app.add_typer(places_app, name="places")`` and
``app.command("geocode")(geocode_command)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from tenfour.geo.cli import _Bar
from tenfour.geo.errors import MapError

places_app = typer.Typer(
    help="Address points and named places of a map: import them, for the geocoder.",
    no_args_is_help=True,
)
# how many skipped lines are shown (all are counted)
SHOWN_ERRORS = 20


def _console() -> Console:
    # one line per error whatever the terminal width; a path's [brackets] stay text
    return Console(stderr=True, highlight=False, soft_wrap=True)


def _columns() -> tuple[object, ...]:
    return (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
            TextColumn("{task.completed:,.0f}"), TimeElapsedColumn())  # fmt: skip


@places_app.command("import")
def places_import(
    file: Annotated[
        Path,
        typer.Argument(
            help="OpenAddresses-style CSV (LON, LAT, NUMBER, STREET, UNIT, CITY, POSTCODE; "
            "optional KIND point/block) or places CSV (NAME, LAT, LON, CATEGORY, ALIASES, ADDRESS)"
        ),
    ],
    map_name: Annotated[
        str, typer.Option("--map", help="the imported map to add them to (name or map file)")
    ],
) -> None:
    """Add FILE's address points or places to a map file (importing it again replaces them)."""
    from tenfour.geo.placeimport import import_places

    console = _console()
    try:
        with Progress(*_columns(), console=console, transient=False) as progress:  # type: ignore[arg-type]
            bar = _Bar(progress)
            done = import_places(file, map_name=map_name, progress=bar)
            bar.finish()
    except MapError as error:
        console.print(f"[red]error[/red] {escape(str(error))}")
        raise typer.Exit(2) from None
    for line_error in done.errors[:SHOWN_ERRORS]:
        console.print(f"[yellow]skipped[/yellow] {escape(str(file))} {escape(str(line_error))}")
    if done.error_count > SHOWN_ERRORS:
        console.print(f"... and {done.error_count - SHOWN_ERRORS:,} more lines skipped")
    typer.echo(
        f"imported {done.kept:,} {done.kind} of {done.rows:,} rows into {done.map_path} "
        f"(revision {done.revision}; {done.off_map:,} off the map, {done.error_count:,} "
        f"lines skipped; {done.seconds:.1f} s)"
    )


def geocode_command(
    file: Annotated[Path, typer.Argument(help="a CSV file with an address column")],
    column: Annotated[str, typer.Option(help="the column holding the address text")],
    out: Annotated[Path, typer.Option(help="where to write the CSV with lat, lon, match ...")],
    map_name: Annotated[
        str, typer.Option("--map", help="map name, map file or OSM file (default: the demo)")
    ] = "demo",
) -> None:
    """Geocode a CSV column: adds lat, lon, match, confidence and note to each row (rows
    that cannot be placed keep empty coordinates and say why)."""
    from tenfour.geo.batch import geocode_csv
    from tenfour.geo.roadmap import load_map

    console = _console()
    try:
        roads = load_map(map_name)
        with Progress(*_columns(), console=console, transient=False) as progress:  # type: ignore[arg-type]
            task = progress.add_task("geocoding (rows)", total=None)
            result = geocode_csv(
                file, out, column=column, roads=roads,
                progress=lambda n: progress.update(task, completed=n),
            )  # fmt: skip
    except MapError as error:
        console.print(f"[red]error[/red] {escape(str(error))}")
        raise typer.Exit(2) from None
    typer.echo(
        f"geocoded {result.rows:,} rows into {out}: {result.placed:,} placed, "
        f"{result.ambiguous:,} ambiguous, {result.failed:,} not found"
    )
