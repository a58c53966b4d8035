"""``tenfour map``: import OpenStreetMap extracts as map files, list and describe them.

Wired into the main command as ``app.add_typer(map_app, name="map")``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from tenfour.geo.errors import MapError

map_app = typer.Typer(
    help="Road maps: import OpenStreetMap extracts for drive times.", no_args_is_help=True
)


class _Bar:
    """Rich progress: one row per import step, a bar where the amount of work is known."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task: TaskID | None = None

    def stage(self, description: str, total: float | None) -> None:
        if self._task is not None:
            task = self._progress.tasks[self._task]
            self._progress.update(
                self._task, total=task.completed or 1, completed=task.completed or 1
            )
        self._task = self._progress.add_task(description, total=total)

    def update(self, completed: float) -> None:
        if self._task is not None:
            self._progress.update(self._task, completed=completed)

    def finish(self) -> None:
        self.stage("done", 1)
        self.update(1)


@map_app.command("import")
def map_import(
    file: Annotated[Path, typer.Argument(help="an OpenStreetMap extract (.osm.pbf, .osm)")],
    name: Annotated[
        str | None, typer.Option(help="the map's name (default: the file name up to its first dot)")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="write this file instead of NAME.tenfour-map in the maps folder"),
    ] = None,
) -> None:
    """Turn FILE into a compact map file that `tenfour serve --map NAME` loads in a blink."""
    from tenfour.geo.maps import import_map

    # soft_wrap: an error stays on one line whatever the terminal width (no break
    # inserted in the middle of a long path); escape: a path's [brackets] are text.
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    try:
        with Progress(*columns, console=console, transient=False) as progress:
            bar = _Bar(progress)
            done = import_map(file, name=name, out=out, progress=bar)
            bar.finish()
    except MapError as error:
        console.print(f"[red]error[/red] {escape(str(error))}")
        raise typer.Exit(2) from None
    typer.echo(
        f"imported {done.name}: {done.nodes:,} nodes, {done.arcs:,} arcs, "
        f"{done.bytes / 1e6:.1f} MB in {done.path} ({done.seconds:.1f} s)"
    )
    typer.echo(f"serve it with: tenfour serve --map {done.name}")


@map_app.command("list")
def map_list() -> None:
    """The imported maps, in the folders `--map NAME` looks in."""
    from tenfour.geo.maps import installed_maps, maps_dirs

    found = False
    for name, path in installed_maps():
        found = True
        typer.echo(f"{name}\t{path.stat().st_size / 1e6:.1f} MB\t{path}")
    if not found:
        typer.echo("no imported maps in " + ", ".join(str(d) for d in maps_dirs()))


@map_app.command("info")
def map_info(
    map_name: Annotated[str, typer.Argument(metavar="MAP", help="a map name or a map file path")],
) -> None:
    """What a map file holds, and how long it takes to load."""
    from tenfour.geo.roadmap import RoadMap, load_map

    started = time.perf_counter()
    try:
        roads: RoadMap = load_map(map_name)
    except MapError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    seconds = time.perf_counter() - started
    typer.echo(f"nodes {roads.node_count:,}, arcs {roads.arc_count:,}, loaded in {seconds:.2f} s")
    for key, value in roads.meta.items():
        typer.echo(f"{key}: {value}")
