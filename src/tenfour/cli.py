"""The ``tenfour`` command line: scenarios and the journal (more verbs join as they land)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from tenfour.geo.cli import map_app
from tenfour.journal import JournalError, open_store
from tenfour.journal.cli import show, verify_text
from tenfour.sim.replay.cli import replay_app

app = typer.Typer(help="Ten-Four computer-aided dispatch.", no_args_is_help=True)
scenario_app = typer.Typer(
    help="Run scenario files (drills, acceptance tests).", no_args_is_help=True
)
journal_app = typer.Typer(help="Read and verify the journal.", no_args_is_help=True)
app.add_typer(scenario_app, name="scenario")
app.add_typer(journal_app, name="journal")
app.add_typer(map_app, name="map")
app.add_typer(replay_app, name="replay")

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


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on", min=1, max=65535)] = 8000,
    database: Database = DEFAULT_DB,
    map_name: Annotated[
        str,
        typer.Option(
            "--map",
            help="demo, an imported map name, a .tenfour-map file, or an .osm/.osm.pbf path",
        ),
    ] = "demo",
    demo: Annotated[bool, typer.Option(help="load the demo city into an empty journal")] = True,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="policy settings (YAML, the keys of a scenario's config: block)",
        ),
    ] = None,
) -> None:
    """Run the dispatch server (HTTP API, live feed) on the embedded or a PostgreSQL journal."""
    import uvicorn

    from tenfour.api.app import create_app
    from tenfour.api.settings import ConfigFileError, Settings, load_policy_config

    # Checked in full before anything starts: a misspelt timer must stop the server,
    # not leave a safety interval at its default unnoticed.
    try:
        policy = load_policy_config(config) if config is not None else None
    except ConfigFileError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    settings = Settings(database=database, map=map_name, demo=demo, announce=True, config=policy)
    settings_from = f", policy settings {config}" if config is not None else ""
    typer.echo(
        f"Ten-Four: journal {database}, map {map_name}{settings_from}, http://{host}:{port}/"
    )
    # No per-request access log: security-relevant access is journaled (audit.*) instead.
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info", access_log=False)


user_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
app.add_typer(user_app, name="user")


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="the username")],
    role: Annotated[
        str, typer.Option(help="officer, calltaker, dispatcher, supervisor, admin, analyst")
    ],
    member: Annotated[str | None, typer.Option(help="the roster member an officer acts as")] = None,
    database: Database = DEFAULT_DB,
    password_stdin: Annotated[
        bool, typer.Option(help="read the password from standard input")
    ] = False,
) -> None:
    """Create a staff account; prints a generated password (shown once) unless one is given on stdin."""
    from datetime import UTC, datetime

    from tenfour.accounts import AccountError, generate_password, open_accounts

    password = sys.stdin.readline().rstrip("\n") if password_stdin else generate_password()
    with open_accounts(database) as accounts:
        try:
            account = accounts.create(name, role, password, member=member, now=datetime.now(UTC))
        except AccountError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(2) from None
    typer.echo(f"created {account.username} ({account.role})")
    if not password_stdin:
        typer.echo(f"generated password (shown once): {password}")


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
