"""``tenfour replay``: replay real dispatch records through Ten-Four and report.

Wire it into the main command with ``app.add_typer(replay_app, name="replay")``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

if TYPE_CHECKING:
    from tenfour.sim.replay.plan import ReplayPlan

replay_app = typer.Typer(
    help="Replay real dispatch records and compare Ten-Four's decisions.", no_args_is_help=True
)


@replay_app.callback()
def replay() -> None:
    """Replay real dispatch records through Ten-Four and compare its decisions."""


def parse_speed(text: str) -> float | None:
    """``max`` (None: as fast as possible) or a positive factor of real time."""
    if text.strip().lower() == "max":
        return None
    try:
        speed = float(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r}: give a number (times real time) or 'max'") from None
    if not math.isfinite(speed) or speed <= 0:
        raise typer.BadParameter(f"{text!r}: the speed must be a positive number or 'max'")
    return speed


@replay_app.command("sffd")
def replay_sffd(
    csv_file: Annotated[
        Path, typer.Argument(metavar="CSV", help="DataSF Fire Department Calls for Service CSV")
    ],
    map_name: Annotated[
        str, typer.Option("--map", help="a shipped map name or an .osm/.osm.pbf path")
    ] = "demo",
    speed: Annotated[
        str, typer.Option(help="'max' (simulated clock, as fast as possible) or N x real time")
    ] = "max",
    out: Annotated[Path, typer.Option("--out", help="folder for journal.db and the report")] = Path(
        "out/replay-sffd"
    ),
    as_dispatched: Annotated[
        bool,
        typer.Option("--as-dispatched", help="send the units the real dispatchers sent"),
    ] = False,
    locate_every: Annotated[
        float, typer.Option(help="seconds between positions of a driving unit", min=1.0)
    ] = 60.0,
    travel_model: Annotated[
        Path | None,
        typer.Option(
            "--travel-model", help="a model from 'tenfour calibrate' (default: map speeds)"
        ),
    ] = None,
    plans: Annotated[
        Path | None,
        typer.Option(
            "--plans",
            help="a response plan file ('tenfour plans suggest'): Ten-Four chooses kinds "
            "and counts",
        ),
    ] = None,
    posts: Annotated[
        Path | None,
        typer.Option(
            "--posts",
            help="a YAML file of ambulance posts per agency (default: estimated from the "
            "calls before each moment)",
        ),
    ] = None,
    held_out_days: Annotated[
        str | None,
        typer.Option(
            "--held-out-days",
            help="local dates (2017-01-05,2017-01-06): the report compares map speeds and "
            "a travel model fitted without these days on their calls",
        ),
    ] = None,
) -> None:
    """Replay CSV on the map through the real service and journal, then report."""
    from tenfour.geo import GeoError
    from tenfour.sim.replay.engine import ReplayOptions, run_replay
    from tenfour.sim.replay.heldout import HeldOutError, check_days, parse_days
    from tenfour.sim.replay.plan import plan_replay
    from tenfour.sim.replay.posts import PostError, load_posts_file
    from tenfour.sim.replay.records import RecordError
    from tenfour.sim.replay.report import write_report

    console = Console(highlight=False, soft_wrap=True)
    pace = parse_speed(speed)
    from tenfour.policies.planfile import PlanFileError, load_plan_file
    from tenfour.travel.model import TravelModelError, load_model

    try:
        model = None if travel_model is None else load_model(travel_model)
        plan_file = None if plans is None else load_plan_file(plans)
        post_file = None if posts is None else load_posts_file(posts)
        days = () if held_out_days is None else parse_days(held_out_days)
        plan = plan_replay(csv_file, map_name, model, plan_file, post_file)
        check_days(plan, days)
    except (
        RecordError,
        GeoError,
        TravelModelError,
        PlanFileError,
        PostError,
        HeldOutError,
    ) as error:
        console.print(f"[red]error[/red] {escape(str(error))}", markup=True)
        raise typer.Exit(2) from None
    _describe(console, plan)
    if as_dispatched and plans is not None:
        console.print(
            "[red]error[/red] --plans and --as-dispatched exclude each other", markup=True
        )
        raise typer.Exit(2)
    options = ReplayOptions(
        as_dispatched=as_dispatched,
        speed=pace,
        locate_every_s=locate_every,
        plans=plans is not None,
        held_out_days=days,
    )
    with Progress(
        TextColumn("[bold]replay[/bold]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("calls · {task.fields[clock]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("replay", total=len(plan.kept), clock="")
        run = run_replay(
            plan,
            out,
            options,
            lambda done, _total, now: progress.update(
                task, completed=done, clock=now.strftime("%Y-%m-%d %H:%M UTC")
            ),
        )
    summary = write_report(run, out)
    _conclude(console, summary, out)


def _describe(console: Console, plan: ReplayPlan) -> None:
    dropped = ", ".join(f"{n:,} {why}" for why, n in plan.selection.dropped.items()) or "none"
    console.print(
        f"{plan.rows:,} unit responses, {len(plan.calls):,} calls; {len(plan.kept):,} on the "
        f"map, dropped: {dropped}",
        markup=False,
    )
    console.print(
        f"roster: {len(plan.homes)} units at estimated homes ({len(plan.stations)} stations "
        f"estimated), {len(plan.left_out)} units left out (home off the map), "
        f"{len(plan.hospitals)} hospitals",
        markup=False,
    )


def _conclude(console: Console, s: dict[str, Any], out: Path) -> None:
    first, err, journal = s["first_unit"], s["eta_error_real_first_unit"], s["journal"]
    travel = s["travel_p90_s"]

    def pct(x: float | None) -> str:
        return "-" if x is None else f"{100 * x:.1f} %"

    def sec(x: float | None) -> str:
        return "-" if x is None else f"{x:.0f} s"

    lines = [
        f"calls replayed: {s['calls_replayed']:,} ({s['mode']} units)",
        f"first unit recommended = real: {first['agree']:,} of {first['calls_compared']:,} "
        f"({pct(first['agreement_share'])})",
        f"ETA error, real first unit: median |error| {sec(err['median_abs_error_s'])}, "
        f"within 60 s {pct(err['share_within_60s'])}, median {sec(err['median_error_s'])} "
        f"({err['n']:,} calls)",
        f"travel p90: real {sec(travel['real_first_unit_travel'])}, "
        f"replayed {sec(travel['replayed_first_unit_travel'])}",
        f"journal: {journal['events']:,} events in {journal['replay_wall_s']:.1f} s, "
        f"verified: {journal.get('verified')}; rejected commands: {journal['rejected_commands']}",
        f"report: {out / 'report.html'}",
    ]
    if s.get("plans"):
        p = s["plans"]
        lines.insert(
            -2,
            f"units sent by plan = real assignment: {pct(p['share_equal'])} of "
            f"{p['calls']:,} calls; every kind within ±1: {pct(p['share_all_kinds_within_1'])}",
        )
    held = s.get("held_out_eta")
    if held:
        m, k = held["map_speeds"], held["calibrated"]
        lines.insert(
            -1,
            f"held-out days {', '.join(held['held_out_days'])}: ETA within 60 s, map speeds "
            f"{pct(m.get('share_within_60s'))} (median |error| {sec(m.get('median_abs_error_s'))}"
            f", median {sec(m.get('median_error_s'))}), calibrated on the other days "
            f"{pct(k.get('share_within_60s'))} ({sec(k.get('median_abs_error_s'))}, "
            f"{sec(k.get('median_error_s'))}); {held['held_out_first_units']:,} calls",
        )
    for line in lines:
        console.print(line, markup=False)
