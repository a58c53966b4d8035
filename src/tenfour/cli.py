"""The ``tenfour`` command line: scenarios and the journal (more verbs join as they land)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from tenfour.db.cli import DEFAULT_DB, Database, db_app
from tenfour.geo.cli import map_app
from tenfour.geo.places_cli import geocode_command, places_app
from tenfour.interop.cli import device_app
from tenfour.interop.eido_cli import eido_app
from tenfour.journal import JournalError, open_store
from tenfour.journal.cli import show, verify_text
from tenfour.journal.transfer_cli import export_command, import_command
from tenfour.policies.plans_cli import plans_app
from tenfour.reports.cli import report_command
from tenfour.sim.replay.cli import replay_app
from tenfour.travel.cli import calibrate_app

if TYPE_CHECKING:
    from tenfour.accounts import AccountStore

T = TypeVar("T")
# rich_markup_mode=None: usage errors are printed plain, on one line however long the
# path in them and however narrow the terminal (Rich would box and wrap them).
app = typer.Typer(
    help="Ten-Four computer-aided dispatch.", no_args_is_help=True, rich_markup_mode=None
)
scenario_app = typer.Typer(
    help="Run scenario files (drills, acceptance tests).", no_args_is_help=True
)
journal_app = typer.Typer(help="Read and verify the journal.", no_args_is_help=True)
app.add_typer(scenario_app, name="scenario")
app.add_typer(journal_app, name="journal")
app.add_typer(map_app, name="map")
app.add_typer(places_app, name="places")
app.command("geocode")(geocode_command)
app.command("report")(report_command)
app.add_typer(replay_app, name="replay")
app.add_typer(calibrate_app, name="calibrate")
app.add_typer(plans_app, name="plans")
app.add_typer(eido_app, name="eido")
app.add_typer(device_app, name="device")
app.add_typer(db_app, name="db")
journal_app.command("export")(export_command)
journal_app.command("import")(import_command)


AnchorFile = Annotated[
    Path | None,
    typer.Option(
        "--anchor",
        help="the anchor file (the chain's head kept outside the database); "
        "default: DB.anchor beside a SQLite journal, if there is one",
    ),
]
AnchorKey = Annotated[
    Path | None,
    typer.Option(
        "--anchor-key",
        help="the anchor's key file (default: $TENFOUR_ANCHOR_KEY, "
        "else ~/.config/tenfour/anchor.key)",
    ),
]


TravelModelOption = Annotated[
    Path | None,
    typer.Option(
        "--travel-model",
        help="drive at the times a model from 'tenfour calibrate' learnt (default: map speeds)",
    ),
]


def _travel_model(path: Path | None) -> str | None:
    """The model file, checked in full before anything starts (exit 2 with the reason)."""
    if path is None:
        return None
    from tenfour.travel.model import TravelModelError, load_model

    try:
        load_model(path)
    except TravelModelError as error:
        typer.echo(f"error: --travel-model: {error}", err=True)
        raise typer.Exit(2) from None
    return str(path)


@scenario_app.command("run")
def scenario_run(
    file: Annotated[Path, typer.Argument(help="the scenario YAML file")],
    out: Annotated[Path, typer.Option("--out", help="folder for journal.jsonl and journal.db")],
    timeline: Annotated[bool, typer.Option(help="print the journal as a timeline")] = False,
    travel_model: TravelModelOption = None,
) -> None:
    """Run FILE on a simulated clock and check every expectation."""
    from tenfour.sim import ScenarioError, load_scenario, run_scenario
    from tenfour.sim.report import timeline_lines

    console = Console(highlight=False, soft_wrap=True)
    started = time.perf_counter()
    try:
        scenario = load_scenario(file)
        result = run_scenario(scenario, out, travel_model=_travel_model(travel_model))
    except ScenarioError as error:
        console.print(f"[red]error[/red] {escape(str(error))}", markup=True)
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
    trusted_proxies: Annotated[
        list[str] | None,
        typer.Option(
            "--trusted-proxies",
            help="proxies whose X-Forwarded-For is believed: addresses or networks, "
            "comma-separated or repeated (default: none; the peer's address is used)",
        ),
    ] = None,
    allowed_origins: Annotated[
        list[str] | None,
        typer.Option(
            "--allowed-origins",
            help="browser origins besides the server's own that may open the live feed "
            "(https://cad.example.org), comma-separated or repeated",
        ),
    ] = None,
    secure_cookies: Annotated[
        bool | None,
        typer.Option(
            "--secure-cookies/--no-secure-cookies",
            help="mark the session cookie Secure (default: when the request came over https)",
        ),
    ] = None,
    session_lifetime: Annotated[
        float,
        typer.Option(help="hours a session lasts after login, however busy", min=0.01),
    ] = 12.0,
    anchor: Annotated[
        Path | None,
        typer.Option(
            help="keep the journal's head in this file, signed (default: DB.anchor beside a "
            "SQLite journal; 'none' for no anchor)"
        ),
    ] = None,
    anchor_key: AnchorKey = None,
    travel_model: TravelModelOption = None,
    districts: Annotated[
        Path | None,
        typer.Option(help="GeoJSON polygons: the reports page's and API's grouping by district"),
    ] = None,
    mqtt: Annotated[
        str | None,
        typer.Option(
            help="subscribe to OwnTracks positions (owntracks/+/+) on this broker: "
            "mqtt://[USER[:PASSWORD]@]HOST[:PORT]"
        ),
    ] = None,
    nmea_port: Annotated[
        int | None,
        typer.Option(
            help="listen for NMEA 0183 devices on this TCP port (on --host); each "
            "connection starts with the line ID:<device>",
            min=0,
            max=65535,
        ),
    ] = None,
    log_format: Annotated[
        str | None,
        typer.Option(
            help="json (one JSON object a line) or console; default: console at a "
            "terminal, else json"
        ),
    ] = None,
    log_level: Annotated[
        str,
        typer.Option(
            help="debug, info, warning or error. info writes a line per request and per "
            "command; warning keeps failures and warnings only (about a quarter more "
            "commands a second under load: bench/RESULTS.md, group commit)"
        ),
    ] = "info",
    ws_compression: Annotated[
        bool,
        typer.Option(
            help="compress the live feed (permessage-deflate): smaller snapshots on slow "
            "links, but every alert to every desk costs twice the CPU (bench/RESULTS.md)"
        ),
    ] = False,
    metrics_token_file: Annotated[
        Path | None,
        typer.Option(
            help="a file holding the bearer token Prometheus sends to read /metrics "
            "(default: $TENFOUR_METRICS_TOKEN, else none)"
        ),
    ] = None,
    metrics_from: Annotated[
        list[str] | None,
        typer.Option(
            help="networks that may read /metrics without the token, straight (not "
            "through a proxy): comma-separated or repeated; 'none' for the token only "
            "(default: 127.0.0.0/8, ::1)"
        ),
    ] = None,
) -> None:
    """Run the dispatch server (HTTP API, live feed) on the embedded or a PostgreSQL journal."""
    import uvicorn

    from tenfour.api.logs import FORMATS, LEVELS, default_format, logging_config
    from tenfour.api.metrics import scrape_options

    if log_format is not None and log_format not in FORMATS:
        typer.echo(f"error: --log-format: {log_format!r} is not json or console", err=True)
        raise typer.Exit(2)
    if log_level.lower() not in LEVELS:
        typer.echo(f"error: --log-level: {log_level!r} is not one of {', '.join(LEVELS)}", err=True)
        raise typer.Exit(2)
    try:
        metrics_token, metrics_networks = scrape_options(metrics_token_file, metrics_from)
    except ValueError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None

    from tenfour.api.app import create_app
    from tenfour.api.settings import ConfigFileError, Settings, load_policy_config

    # Checked in full before anything starts: a misspelt timer must stop the server,
    # not leave a safety interval at its default unnoticed.
    try:
        policy = load_policy_config(config) if config is not None else None
    except ConfigFileError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    from tenfour.api.limits import parse_proxies

    try:
        proxies = parse_proxies(trusted_proxies or ())
    except ValueError as error:
        typer.echo(f"error: --trusted-proxies: {error}", err=True)
        raise typer.Exit(2) from None
    settings = Settings(database=database, map=map_name, demo=demo, announce=True, config=policy)
    settings.travel_model = _travel_model(travel_model)
    if districts is not None:
        from tenfour.reports.intervals import ReportError, load_districts

        try:
            load_districts(districts)  # refused now, not at an analyst's first report
        except ReportError as error:
            typer.echo(f"error: --districts: {error.reason}", err=True)
            raise typer.Exit(2) from None
        settings.report_districts = str(districts)
    if mqtt is not None:
        from tenfour.interop.mqtt import parse_url

        try:
            parse_url(mqtt)
        except ValueError as error:
            typer.echo(f"error: --mqtt: {error}", err=True)
            raise typer.Exit(2) from None
    settings.mqtt, settings.nmea_port, settings.nmea_host = mqtt, nmea_port, host
    settings.trusted_proxies = proxies
    settings.metrics_token, settings.metrics_networks = metrics_token, metrics_networks
    origins = [o.strip() for item in allowed_origins or () for o in item.split(",") if o.strip()]
    for origin in origins:
        if not origin.startswith(("http://", "https://")):
            typer.echo(
                f"error: --allowed-origins: {origin!r} is not http(s)://HOST[:PORT]", err=True
            )
            raise typer.Exit(2)
    settings.allowed_origins = tuple(origins)
    settings.freeze_gc = True
    settings.secure_cookies = secure_cookies
    settings.session_lifetime = timedelta(hours=session_lifetime)
    settings.anchor = str(anchor) if anchor is not None else "auto"
    settings.anchor_key = str(anchor_key) if anchor_key is not None else None
    from tenfour.journal.anchor import default_key_path, resolve_anchor

    try:
        anchored = resolve_anchor(database, settings.anchor)
    except JournalError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    if anchored is not None:
        typer.echo(
            f"journal head anchored in {anchored} (key {anchor_key or default_key_path()}); "
            "check it with: tenfour journal verify"
        )
    # An outdated (or newer) schema stops the server here, naming the command that
    # upgrades it; an empty database is created by the stores at the current version.
    from tenfour.db import SchemaError, schema_status

    try:
        problem = schema_status(database).problem(database)
    except SchemaError as error:
        problem = str(error)
    if problem is not None:
        typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(2)
    settings_from = f", policy settings {config}" if config is not None else ""
    typer.echo(
        f"Ten-Four: journal {database}, map {map_name}{settings_from}, http://{host}:{port}/"
    )
    # Every log line, uvicorn's too, structured (tenfour.api.logs); uvicorn's access log
    # off: the app writes its own request lines (request id, route template, no query).
    # Security-relevant access is journaled (audit.*) besides.
    # proxy_headers off: uvicorn would otherwise believe X-Forwarded-For from any local
    # client; the app believes it only from --trusted-proxies (tenfour.api.limits).
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level=log_level.lower(),
        log_config=logging_config(log_format or default_format(), log_level.upper()),
        access_log=False,
        proxy_headers=False,
        # Off by default: compressing each message doubled the CPU of sending an
        # emergency to 200 desks (p99 60-73 ms against 37-44 ms, bench_api --fan-out-only).
        ws_per_message_deflate=ws_compression,
    )


user_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
app.add_typer(user_app, name="user")


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="the username")],
    role: Annotated[
        str,
        typer.Option(help="officer, calltaker, dispatcher, supervisor, admin, analyst, hospital"),
    ],
    member: Annotated[
        str | None,
        typer.Option(help="the roster member an officer acts as; a hospital's facility id"),
    ] = None,
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
        typer.echo(f"change it with: tenfour user passwd {account.username}")
        typer.echo(f"generated password (shown once): {password}")


# The commands below run on the database directly, as `user add` does: they take
# effect at once on a running server (every request reads its session), but they are
# not journaled (only the server's one door journals); over HTTP an admin's are
# (POST /api/accounts/{name}/..., audit.account events).


@user_app.command("list")
def user_list(database: Database = DEFAULT_DB) -> None:
    """Every account: role, member, live sessions, last login, and whether it is
    disabled or locked (for everyone, or for some sources)."""
    from datetime import UTC, datetime

    with _accounts(database) as accounts:
        statuses = accounts.statuses(now=datetime.now(UTC))
    if not statuses:
        typer.echo("no accounts (add one: tenfour user add NAME --role ROLE)")
    for status in statuses:
        account = status.account
        state = []
        if status.disabled_at is not None:
            state.append(f"disabled since {_when(status.disabled_at)}")
        if status.locked_until is not None:
            state.append(f"locked for everyone until {_when(status.locked_until)}")
        state += [f"locked for {src} until {_when(until)}" for src, until in status.locked_sources]
        last = _when(status.last_login_at) if status.last_login_at else "never"
        typer.echo(
            f"{account.username:<16} {account.role:<11} member={account.member or '-'}"
            f" sessions={status.sessions} last_login={last} {'; '.join(state) or 'ok'}"
        )


@user_app.command("passwd")
def user_passwd(
    name: Annotated[str, typer.Argument(help="the username")],
    database: Database = DEFAULT_DB,
    password_stdin: Annotated[
        bool, typer.Option(help="read the new password from standard input")
    ] = False,
) -> None:
    """Set a new password (generated and shown once unless given on stdin); it also
    unlocks the account and ends all of its sessions."""
    from datetime import UTC, datetime

    from tenfour.accounts import generate_password

    password = sys.stdin.readline().rstrip("\n") if password_stdin else generate_password()
    with _accounts(database) as accounts:
        ended = _account_call(lambda: accounts.set_password(name, password, now=datetime.now(UTC)))
    typer.echo(f"password changed for {name.lower()}; {ended} sessions ended")
    if not password_stdin:
        typer.echo(f"generated password (shown once): {password}")


@user_app.command("disable")
def user_disable(
    name: Annotated[str, typer.Argument(help="the username")], database: Database = DEFAULT_DB
) -> None:
    """Refuse the account's logins and end its sessions at once (a lost or stolen device)."""
    from datetime import UTC, datetime

    with _accounts(database) as accounts:
        ended = _account_call(lambda: accounts.disable(name, now=datetime.now(UTC)))
    typer.echo(f"disabled {name.lower()}; {ended} sessions ended")


@user_app.command("enable")
def user_enable(
    name: Annotated[str, typer.Argument(help="the username")], database: Database = DEFAULT_DB
) -> None:
    """Allow a disabled account to log in again."""
    with _accounts(database) as accounts:
        was = _account_call(lambda: accounts.enable(name))
    typer.echo(f"enabled {name.lower()}" if was else f"{name.lower()} was not disabled")


@user_app.command("unlock")
def user_unlock(
    name: Annotated[str, typer.Argument(help="the username")], database: Database = DEFAULT_DB
) -> None:
    """Clear every lockout of the account (for everyone and for each source)."""
    from datetime import UTC, datetime

    with _accounts(database) as accounts:
        was = _account_call(lambda: accounts.unlock(name, now=datetime.now(UTC)))
    typer.echo(f"unlocked {name.lower()}" if was else f"{name.lower()} was not locked")


@user_app.command("revoke-sessions")
def user_revoke_sessions(
    name: Annotated[str, typer.Argument(help="the username")], database: Database = DEFAULT_DB
) -> None:
    """End every session of the account now (a stolen MDT phone); the password still works."""
    with _accounts(database) as accounts:
        _account_call(lambda: _known(accounts, name))
        ended = accounts.close_sessions_of(name)
    typer.echo(f"ended {ended} sessions of {name.lower()}")


@user_app.command("remove")
def user_remove(
    name: Annotated[str, typer.Argument(help="the username")], database: Database = DEFAULT_DB
) -> None:
    """Remove the account and its sessions (the journal keeps what it did)."""
    with _accounts(database) as accounts:
        _account_call(lambda: _known(accounts, name))
        accounts.delete(name)
    typer.echo(f"removed {name.lower()}")


def _accounts(database: str):  # type: ignore[no-untyped-def]
    """The account store of an existing database (never creates one), or exit 2."""
    from tenfour.accounts import AccountStoreError, open_accounts

    if "://" not in database and not Path(database).exists():
        typer.echo(f"error: no database at {database}", err=True)
        raise typer.Exit(2)
    try:
        return open_accounts(database)
    except AccountStoreError as error:
        typer.echo(f"error: cannot open the accounts: {error}", err=True)
        raise typer.Exit(2) from None


def _account_call(call: Callable[[], T]) -> T:
    """`call()`, or exit 2 with the account error it raised (unknown name, bad password)."""
    from tenfour.accounts import AccountError

    try:
        return call()
    except AccountError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None


def _known(accounts: AccountStore, name: str) -> None:
    from tenfour.accounts import UnknownAccountError

    if accounts.get(name) is None:
        raise UnknownAccountError(name.lower())


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


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
def journal_verify(
    database: Database = DEFAULT_DB, anchor: AnchorFile = None, anchor_key: AnchorKey = None
) -> None:
    """Check the hash chain, and the head against its anchor; exit 1 and name the first
    bad row if anything was changed, removed or rewritten. Opens the journal read-only."""
    from tenfour.journal.anchor import (
        AnchorError,
        ForgedAnchorError,
        check_anchor,
        default_key_path,
        load_key,
        read_anchor,
        resolve_anchor,
    )

    with _store(database) as store:
        report = store.verify()
        typer.echo(verify_text(report))
        if not report.ok:
            raise typer.Exit(1)
        beside = resolve_anchor(database, "auto")
        path = anchor if anchor is not None else beside
        if path is None or (anchor is None and not path.exists()):
            typer.echo(
                "note: no anchor checked, so a removed or rewritten tail cannot be seen "
                "(give --anchor FILE; see SECURITY.md)"
            )
            return
        try:
            key = load_key(anchor_key or default_key_path(), create=False)
            verdict = check_anchor(store, read_anchor(path, key))
        except ForgedAnchorError as error:
            typer.echo(f"journal BROKEN: {error}")
            raise typer.Exit(1) from None
        except AnchorError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(2) from None
    if not verdict.ok:
        typer.echo(f"journal BROKEN at seq {verdict.bad_seq}: {verdict.reason}")
        raise typer.Exit(1)
    typer.echo(f"anchor ok: {verdict.reason} ({path})")


@journal_app.command("head")
def journal_head(
    database: Database = DEFAULT_DB,
    seq: Annotated[
        int | None, typer.Option(help="print this row's hash instead, to compare", min=0)
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object")] = False,
) -> None:
    """Print the journal's head (last seq and its hash) for an outside notary to keep;
    later, `--seq N` prints row N's hash to compare with what the notary kept."""
    import json

    from tenfour.journal.anchor import head_hash

    with _store(database) as store:
        at = store.head() if seq is None else seq
        digest = head_hash(store, at)
        when = next(iter(store.read(after=at - 1, limit=1)), None) if at else None
    if digest is None:
        typer.echo(f"error: the journal has no seq {at} (its head is lower)", err=True)
        raise typer.Exit(1)
    moment = when.at if when is not None else None
    if as_json:
        typer.echo(json.dumps({"seq": at, "hash": digest, "at": moment}))
    else:
        typer.echo(f"seq {at} hash {digest}" + (f" at {moment}" if moment else ""))


def _store(database: str):  # type: ignore[no-untyped-def]
    """The journal opened read-only: verify, show and head on evidence change nothing."""
    if "://" not in database and not Path(database).exists():
        typer.echo(f"no journal at {database}", err=True)
        raise typer.Exit(2)
    try:
        return open_store(database, read_only=True)
    except JournalError as error:
        typer.echo(f"cannot open the journal: {error}", err=True)
        raise typer.Exit(2) from None


if __name__ == "__main__":  # pragma: no cover
    app()
