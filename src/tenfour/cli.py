"""The ``tenfour`` command line: scenarios and the journal (more verbs join as they land)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from tenfour.journal import JournalError, open_store
from tenfour.journal.cli import show, verify_text

app = typer.Typer(help="Ten-Four computer-aided dispatch.", no_args_is_help=True)
scenario_app = typer.Typer(help="Run scenario files (drills, acceptance tests).", no_args_is_help=True)
journal_app = typer.Typer(help="Read and verify the journal.", no_args_is_help=True)
app.add_typer(scenario_app, name="scenario")
app.add_typer(journal_app, name="journal")

DEFAULT_DB = "tenfour.db"
Database = Annotated[
    str,
    typer.Option(
        "--database",
        "--db",
        help="journal: a SQLite file, sqlite:///path or postgresql://...",
        envvar="TENFOUR_DATABASE",
    ),
]


@scenario_app.command("run")
def scenario_run(
    file: Annotated[Path, typer.Argument(help="the scenario YAML file")],
    out: Annotated[Path, typer.Option("--out", help="folder for journal.jsonl and journal.db")],
    timeline: Annotated[bool, typer.Option(help="print the journal as a timeline")] = False,
) -> None:
    """Run FILE on a simulated clock and check every expectation."""
    from tenfour.sim import ScenarioError, load_scenario, run_scenario
    from tenfour.sim.report import timeline_lines

    console = Console(highlight=False, soft_wrap=True)
    started = time.perf_counter()
    try:
        scenario = load_scenario(file)
        result = run_scenario(scenario, out)
    except ScenarioError as error:
        console.print(f"[red]error[/red] {error}", markup=True)
        raise typer.Exit(2) from None
    if timeline:
        for line in timeline_lines(result):
            console.print(line, markup=False)
    for line in result.lines():
        style = "green" if line.startswith("pass") else "bold red"
        console.print(line, style=style, markup=False)
    for failure in result.policy_failures:
        console.print(f"note: {failure}", style="yellow", markup=False)
    passed = sum(v.passed for v in result.verdicts)
    failed = len(result.lines()) - passed
    took = time.perf_counter() - started
    console.print(
        f"{scenario.name}: {passed} passed, {failed} failed; {len(result.events)} events "
        f"in {out / 'journal.jsonl'} ({took:.2f} s)",
        markup=False,
    )
    if not result.passed:
        raise typer.Exit(1)


@journal_app.command("show")
def journal_show(
    database: Database = DEFAULT_DB,
    after: Annotated[int, typer.Option(help="show events after this seq", min=0)] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object a line")] = False,
) -> None:
    """List journaled events in order."""
    with _store(database) as store:
        for line in show(store, after, as_json):
            sys.stdout.write(line + "\n")


@journal_app.command("verify")
def journal_verify(database: Database = DEFAULT_DB) -> None:
    """Check the hash chain; exit 1 and name the first bad row if anything was changed."""
    with _store(database) as store:
        report = store.verify()
    typer.echo(verify_text(report))
    if not report.ok:
        raise typer.Exit(1)


def _store(database: str):  # type: ignore[no-untyped-def]
    if "://" not in database and not Path(database).exists():
        typer.echo(f"no journal at {database}", err=True)
        raise typer.Exit(2)
    try:
        return open_store(database)
    except JournalError as error:
        typer.echo(f"cannot open the journal: {error}", err=True)
        raise typer.Exit(2) from None


if __name__ == "__main__":  # pragma: no cover
    app()
