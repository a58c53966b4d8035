"""``tenfour calibrate``: fit a travel-time model from real dispatch records.

Wire it into the main command with ``app.add_typer(calibrate_app, name="calibrate")``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

calibrate_app = typer.Typer(
    help="Fit travel times to real dispatch records (a model for --travel-model).",
    no_args_is_help=True,
)


@calibrate_app.callback()
def calibrate() -> None:
    """Fit travel times to real dispatch records."""


@calibrate_app.command("sffd")
def calibrate_sffd(
    csv_file: Annotated[
        Path, typer.Argument(metavar="CSV", help="DataSF Fire Department Calls for Service CSV")
    ],
    out: Annotated[Path, typer.Option("--out", help="the model file to write (JSON)")],
    map_name: Annotated[
        str, typer.Option("--map", help="a shipped map name or an .osm/.osm.pbf path")
    ] = "demo",
    bands: Annotated[
        bool, typer.Option(help="fit hour-of-day factors where the data has enough trips")
    ] = True,
    turns: Annotated[
        bool,
        typer.Option(help="fit delays per left turn, right turn and U-turn (turn-aware routes)"),
    ] = True,
    evaluate: Annotated[
        bool,
        typer.Option(help="measure on held-out days and station areas (refits once per fold)"),
    ] = True,
) -> None:
    """Fit a travel model to CSV's trips from quarters, evaluate it on held-out calls,
    and write it to --out."""
    from tenfour.geo import GeoError
    from tenfour.geo.turns import transitions
    from tenfour.sim.replay.plan import plan_replay
    from tenfour.sim.replay.records import RecordError
    from tenfour.travel.fit import FitError, cross_validate, fit_model
    from tenfour.travel.model import TravelModel, read_controls
    from tenfour.travel.trips import extract_trips, startup_delays

    console = Console(highlight=False, soft_wrap=True)
    try:
        plan = plan_replay(csv_file, map_name)
    except (RecordError, GeoError) as error:
        console.print(f"[red]error[/red] {escape(str(error))}", markup=True)
        raise typer.Exit(2) from None
    found = extract_trips(plan.calls, plan.kept, plan.homes)
    trips = found.trips
    controls = read_controls(plan.roads.network)
    dropped = ", ".join(f"{n:,} {why}" for why, n in found.dropped.most_common())
    console.print(f"{len(trips):,} trips from quarters; left out: {dropped}", markup=False)
    counts = ", ".join(f"{n} {c}" for c, n in controls.counts().items())
    console.print(f"traffic controls on the map: {counts}", markup=False)
    moves = transitions(plan.roads.network).counts()
    console.print(
        "moves between arcs on the map: " + ", ".join(f"{n:,} {k}" for k, n in moves.items()),
        markup=False,
    )
    try:
        fitted = fit_model(plan.roads, controls, trips, use_bands=bands, use_turns=turns)
    except FitError as error:
        console.print(f"[red]error[/red] {escape(str(error))}", markup=True)
        raise typer.Exit(2) from None
    startup = startup_delays(plan.kept)
    report: dict[str, Any] = {**fitted.model.report, "startup": startup}
    if evaluate:
        report["evaluation"] = {
            "leave_one_day_out": cross_validate(
                plan.roads, controls, trips, lambda t: t.day, use_bands=bands, use_turns=turns
            ),
            "leave_one_station_area_out": cross_validate(
                plan.roads,
                controls,
                trips,
                lambda t: t.station_area,
                use_bands=bands,
                use_turns=turns,
            ),
        }
    model = TravelModel(
        class_factors=fitted.model.class_factors,
        control_delay_s=fitted.model.control_delay_s,
        fixed_s=fitted.model.fixed_s,
        bands=fitted.model.bands,
        turn_delay_s=fitted.model.turn_delay_s,
        startup_s={kind: s["median_s"] for kind, s in startup.items()},
        meta={
            "source": str(csv_file),
            "map": map_name,
            "trips": len(trips),
            "controls": controls.counts(),
            "moves": moves,
        },
        report=report,
    )
    model.save(out)
    _print(console, model, report)
    console.print(f"model: {out}", markup=False)


def _print(console: Console, model: Any, report: dict[str, Any]) -> None:
    for name, entry in report["parameters"].items():
        low, high = entry["ci95"]
        bound = " (at its bound)" if entry["at_bound"] else ""
        console.print(
            f"  {name:34} {entry['value']:8.3f}  ±{entry['se']:.3f}  "
            f"95 % [{low:.3f}, {high:.3f}]{bound}",
            markup=False,
        )
    for group, target in report.get("tied_groups", {}).items():
        console.print(f"  class_factor.{group} shares {target}'s (too few trips)", markup=False)
    for kind, s in report["startup"].items():
        console.print(
            f"  start-up {kind:16} median {s['median_s']:.0f} s "
            f"[{s['ci95_low_s']:.0f}, {s['ci95_high_s']:.0f}] (n={s['n']})",
            markup=False,
        )
    for scheme, result in report.get("evaluation", {}).items():
        console.print(
            f"{scheme}: {result['held_out_first_units']} held-out first units", markup=False
        )
        for label in ("map_speeds", "calibrated"):
            e = result[label]
            if not e.get("n"):
                continue
            console.print(
                f"  {label:11} within 60 s {100 * e['share_within_60s']:.1f} %, "
                f"median |error| {e['median_abs_error_s']:.0f} s, "
                f"median error {e['median_error_s']:+.0f} s",
                markup=False,
            )
