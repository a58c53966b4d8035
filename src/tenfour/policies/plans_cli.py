"""``tenfour plans``: response plans (run cards) suggested from real records, and checked.

Wire it into the main command with ``app.add_typer(plans_app, name="plans")``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

plans_app = typer.Typer(
    help="Response plans (run cards): suggest them from history, check plan files.",
    no_args_is_help=True,
)
suggest_app = typer.Typer(help="Suggest response plans from real dispatch records.")
plans_app.add_typer(suggest_app, name="suggest")


def _pct(x: object) -> str:
    return "-" if not isinstance(x, float) else f"{100 * x:.1f} %"


@suggest_app.command("sffd")
def suggest_sffd(
    csv_file: Annotated[
        Path, typer.Argument(metavar="CSV", help="DataSF Fire Department Calls for Service CSV")
    ],
    out: Annotated[
        Path | None, typer.Option("--out", help="write the suggested plans to this YAML file")
    ] = None,
    fit_days: Annotated[
        int,
        typer.Option(
            "--fit-days", help="fit on the first N local days, report on the later ones", min=1
        ),
    ] = 5,
    min_priority_calls: Annotated[
        int,
        typer.Option(help="calls a type's priority needs for a plan of its own", min=1),
    ] = 20,
    show: Annotated[int, typer.Option(help="plans to list (most calls first)", min=0)] = 15,
) -> None:
    """The most common real assignment per call type, fitted on the first days and
    measured on the held-out days (share of calls whose real assignment equals it)."""
    from tenfour.policies.planfile import dump_plan_file
    from tenfour.sim.replay.calls import group_calls
    from tenfour.sim.replay.records import RecordError, read_responses
    from tenfour.sim.replay.runcards import (
        compare,
        one_plan_for_all,
        split_by_day,
        suggest_plans,
    )

    console = Console(highlight=False, soft_wrap=True)
    try:
        calls = group_calls(read_responses(csv_file))
        fit, held, days = split_by_day(calls, fit_days)
    except (RecordError, ValueError) as error:
        console.print(f"[red]error[/red] {escape(str(error))}", markup=True)
        raise typer.Exit(2) from None
    suggestions = suggest_plans(fit, min_priority_calls)
    plans = {s.key: s.plan for s in suggestions}
    fit_span = f"{days[0]} to {days[fit_days - 1]}"
    held_span = f"{days[fit_days]} to {days[-1]}"
    console.print(
        f"{len(calls):,} calls; fitted on {len(fit):,} ({fit_span}), "
        f"held out {len(held):,} ({held_span}); {len(plans)} plans",
        markup=False,
    )
    for s in suggestions[:show]:
        needs = ", ".join(f"{k} {n}" for k, n in s.plan.items())
        console.print(
            f"  {s.key:<28} {needs:<44} {_pct(s.share):>8} of {s.of:,} calls", markup=False
        )
    for label, subset in (("fit days (in sample)", fit), ("held-out days", held)):
        result = compare(plans, subset).as_dict()
        console.print(
            f"{label}: real assignment = plan on {_pct(result['share_equal'])} of "
            f"{result['calls']:,} calls; every kind within ±1 on "
            f"{_pct(result['share_all_kinds_within_1'])}; {result['covered']:,} had a plan",
            markup=False,
        )
    baseline = compare(one_plan_for_all(fit, held), held).as_dict()
    console.print(
        f"baseline, one assignment for every type: = real on {_pct(baseline['share_equal'])} "
        f"of held-out calls; every kind within ±1 on "
        f"{_pct(baseline['share_all_kinds_within_1'])}",
        markup=False,
    )
    by_kind = compare(plans, held).as_dict()["by_kind"]
    assert isinstance(by_kind, dict)
    for kind, fit_ in by_kind.items():
        console.print(
            f"  held out, {kind:<16} {fit_['calls']:>6,} calls: equal {_pct(fit_['share_equal'])}, "
            f"within ±1 {_pct(fit_['share_within_1'])}",
            markup=False,
        )
    if out is not None:
        header = [
            f"Response plans suggested by 'tenfour plans suggest sffd' from {csv_file.name}:",
            f"the most common real assignment per call type on {fit_span} ({len(fit):,} calls).",
            "Each line: the plan; share of the type's calls that had exactly it, of how many.",
        ]
        text = dump_plan_file(plans, header)
        shares = {s.key: f"  # {_pct(s.share)} of {s.of:,}" for s in suggestions}
        lines = [
            line + shares.get(line.strip().split(":")[0], "") if line.startswith("  ") else line
            for line in text.splitlines()
        ]
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("\n".join(lines) + "\n", encoding="utf-8")
        console.print(f"plans written: {out}", markup=False)


@plans_app.command("check")
def check(plan_file: Annotated[Path, typer.Argument(metavar="FILE")]) -> None:
    """Validate a plan file; errors name the line, the field and the reason."""
    from tenfour.policies.planfile import PlanFileError, load_plan_file

    console = Console(highlight=False, soft_wrap=True)
    try:
        loaded = load_plan_file(plan_file)
    except PlanFileError as error:
        console.print(f"[red]error[/red] {escape(str(error))}", markup=True)
        raise typer.Exit(2) from None
    console.print(f"{plan_file}: {len(loaded.plans)} plans, valid", markup=False)
