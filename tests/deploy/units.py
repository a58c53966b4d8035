"""Nodes started as the shipped systemd unit starts them (deploy/systemd/).

The options come from ``tenfour@.service``'s ``ExecStart`` and the environment from
``tenfour.env``, with ``%i`` the node's port and ``/var/lib/tenfour`` and ``/etc/
tenfour`` moved into a temporary folder; so an option the server does not know, or a
variable it does not read, fails the deployment test instead of a center's first boot.
"""

from __future__ import annotations

import secrets
import shlex
from pathlib import Path

from tests.api.live_server import free_port
from tests.deploy.nginx import ENV_FILE, UNIT
from tests.nodes import Node


def unit_options(port: int, folder: Path) -> list[str]:
    """``tenfour serve``'s options in the unit for instance ``port`` (without --port,
    which ``Node`` gives), with the demo city instead of ``--no-demo``: it gives the
    test its roster and staff accounts."""
    lines = [line for line in UNIT.read_text().splitlines() if line.startswith("ExecStart=")]
    assert len(lines) == 1, f"{UNIT}: expected one ExecStart= line"
    command = lines[0].removeprefix("ExecStart=")
    command = command.replace("%i", str(port)).replace("/var/lib/tenfour", str(folder))
    words = shlex.split(command)
    assert Path(words[0]).name == "tenfour" and words[1] == "serve", words[:2]
    options: list[str] = []
    rest = iter(words[2:])
    for word in rest:
        if word == "--port":
            assert next(rest) == str(port)
        elif word == "--no-demo":
            options.append("--demo")
        else:
            options.append(word)
    return options


def unit_env(database: str, folder: Path) -> dict[str, str]:
    """``tenfour.env`` with this test's database, and the anchor key made as the guide
    says (hex, mode 0600) in ``folder``."""
    env: dict[str, str] = {}
    for line in ENV_FILE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            env[name.strip()] = value.strip()
    assert set(env) == {"TENFOUR_DATABASE", "TENFOUR_ANCHOR_KEY"}, sorted(env)
    key = folder / "anchor.key"
    if not key.exists():
        key.write_text(secrets.token_hex(32) + "\n")
        key.chmod(0o600)
    env["TENFOUR_DATABASE"] = database
    env["TENFOUR_ANCHOR_KEY"] = str(key)
    return env


def unit_node(database: str, folder: Path, name: str, port: int | None = None) -> Node:
    """A node started with the unit's options on ``port`` (a free one if None)."""
    port = port or free_port()
    folder.mkdir(parents=True, exist_ok=True)
    return Node(
        database,
        name=name,
        port=port,
        options=unit_options(port, folder),
        env=unit_env(database, folder),
    )
