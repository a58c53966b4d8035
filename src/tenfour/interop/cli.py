"""``tenfour device ...``: the AVL device registry from the command line.

Like ``tenfour user ...`` these work on the database directly and take effect at once
on a running server (every position looks its device up); over HTTP an admin's
changes are journaled as audit events (``POST /api/devices``).
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from tenfour.db.cli import DEFAULT_DB, Database
from tenfour.interop.devices import (
    PROTOCOLS,
    DeviceError,
    DeviceStore,
    DeviceStoreError,
    check_device,
)

device_app = typer.Typer(
    help="AVL devices (OwnTracks, OsmAnd/Traccar, NMEA) and whom they move.",
    no_args_is_help=True,
)


@device_app.command("add")
def device_add(
    device_id: Annotated[
        str, typer.Argument(metavar="ID", help="what the device sends: OwnTracks USER/DEVICE, ...")
    ],
    protocol: Annotated[str, typer.Option(help=" | ".join(PROTOCOLS))],
    unit: Annotated[str | None, typer.Option(help="the unit its positions move")] = None,
    member: Annotated[
        str | None, typer.Option(help="the member it follows (and his unit of the moment)")
    ] = None,
    secret_stdin: Annotated[
        bool,
        typer.Option(help="read the device's secret (HTTP password, NMEA greeting) from stdin"),
    ] = False,
    database: Database = DEFAULT_DB,
) -> None:
    """Register a device for a unit or a member."""
    from tenfour.accounts import Passwords

    secret = sys.stdin.readline().rstrip("\r\n") if secret_stdin else None
    try:
        check_device(device_id, protocol, unit, member, secret)
    except DeviceError as error:
        field = "--secret-stdin" if error.field == "secret" else f"--{error.field}"
        field = "ID" if error.field == "id" else field
        typer.echo(f"error: {field}: {error.reason}", err=True)
        raise typer.Exit(2) from None
    secret_hash = Passwords().hash(secret) if secret else None
    with _Registry(database) as devices:
        try:
            device = devices.add(
                device_id,
                protocol,
                unit=unit,
                member=member,
                secret_hash=secret_hash,
                now=datetime.now(UTC),
            )
        except DeviceError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(2) from None
    typer.echo(f"added {device.id} ({device.protocol}) for {device.target}")


@device_app.command("list")
def device_list(database: Database = DEFAULT_DB) -> None:
    """Every registered device: protocol, whom it moves, whether it has a secret."""
    with _Registry(database) as devices:
        found = devices.list()
    if not found:
        typer.echo("no devices")
        return
    for d in found:
        secret = "secret" if d.secret_hash else "no secret"
        typer.echo(f"{d.id:<32} {d.protocol:<10} {d.target:<24} {secret}")


@device_app.command("remove")
def device_remove(
    device_id: Annotated[str, typer.Argument(metavar="ID")],
    database: Database = DEFAULT_DB,
) -> None:
    """Forget a device: its positions are refused from now on."""
    with _Registry(database) as devices:
        if not devices.remove(device_id):
            typer.echo(f"error: no device {device_id!r}", err=True)
            raise typer.Exit(2)
    typer.echo(f"removed {device_id}")


class _Registry:
    """The registry of an existing database (never creates a database), or exit 2."""

    def __init__(self, database: str) -> None:
        if "://" not in database and not Path(database).exists():
            typer.echo(f"error: no database at {database}", err=True)
            raise typer.Exit(2)
        try:
            self.devices = DeviceStore(database)
        except DeviceStoreError as error:
            typer.echo(f"error: cannot open the device registry: {error}", err=True)
            raise typer.Exit(2) from None

    def __enter__(self) -> DeviceStore:
        return self.devices

    def __exit__(self, *exc: object) -> None:
        self.devices.close()
