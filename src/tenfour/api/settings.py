"""How a server is set up: where its journal is, which map, and its safety numbers.

The policy numbers (status-check timers, the MAYDAY plan, duplicate limits, ...) come
from a YAML file with the keys of a scenario's ``config:`` block, checked in full by
``load_policy_config`` before the server starts: a center must not find out at the
first pursuit that its timer setting was misspelt and silently left at the default.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from tenfour.clock import Clock
from tenfour.domain.errors import CommandRejected, Problem
from tenfour.policies.config import PolicyConfig
from tenfour.sim.yaml_lines import LineDict, YamlFileError, line_at, read_yaml_file

#: pydantic's reason for a key the model does not have; said plainly instead.
_EXTRA = "Extra inputs are not permitted"


class ConfigFileError(ValueError):
    """A policy settings file that cannot be used: the file, the line, the field and why."""


@dataclass
class Settings:
    database: str = "tenfour.db"
    map: str = "demo"
    #: A travel model file (``tenfour calibrate``): drive times as learnt from history.
    travel_model: str | None = None
    #: Named polygons (GeoJSON) for ``/api/reports/intervals?by=district``.
    report_districts: str | None = None
    #: Load the demo city (roster and staff accounts) into an empty journal.
    demo: bool = True
    session_idle: timedelta = timedelta(minutes=30)
    #: A session ends this long after login however busy it is (a stolen phone too).
    session_lifetime: timedelta = timedelta(hours=12)
    #: Failed logins of one account from one source that lock that source out of it,
    #: and for how long; failures from ``lock_sources`` sources lock it for everyone.
    max_failed_logins: int = 5
    lock_for: timedelta = timedelta(minutes=10)
    lock_sources: int = 3
    #: Failed logins one source may send in a burst, then one per ``login_refill`` (429).
    login_burst: int = 10
    login_refill: timedelta = timedelta(seconds=6)
    #: Public tips allowed per address per window.
    tips_per_window: int = 5
    tip_window: timedelta = timedelta(minutes=10)
    #: Largest request body accepted, in bytes (413 beyond), and for the public tip form.
    max_body_bytes: int = 1_048_576
    max_tip_body_bytes: int = 65_536
    #: Proxies (addresses or networks) whose X-Forwarded-For is believed; none by default.
    trusted_proxies: tuple[str, ...] = ()
    #: Logins (password hashing) and tips let in at once; more wait their turn, up to
    #: ``gate_queue`` of each (503 beyond), so floods of them cannot starve commands.
    login_slots: int = 1
    tip_slots: int = 1
    gate_queue: int = 200
    #: Move what start-up loaded out of the garbage collector's sight (``gc.freeze``):
    #: shorter pauses. For a server process (``tenfour serve``), not a test suite.
    freeze_gc: bool = False
    #: Seconds between heartbeats of an idle live feed; its session is checked as often.
    heartbeat_s: float = 15.0
    #: Events the live feed keeps in memory for clients that resume.
    feed_buffer: int = 20_000
    #: Messages a slow live client may lag before it is told to start again.
    client_queue: int = 5_000
    #: Live feeds one session may hold open, and the whole server (4429 beyond).
    feed_per_session: int = 8
    feed_total: int = 2_000
    #: Browser origins (``https://cad.example.org``) that may open the live feed besides
    #: the server's own, e.g. behind a proxy that does not pass the Host on (4403 else).
    allowed_origins: tuple[str, ...] = ()
    #: Cookies marked Secure: True, False, or None for "when the request came over https"
    #: (so http://127.0.0.1 development works and TLS deployments are covered).
    secure_cookies: bool | None = None
    #: Cheap password hashing for tests only.
    fast_hashing: bool = False
    #: The chain's head kept outside the database (tenfour.journal.anchor): the anchor
    #: file ("auto": beside a SQLite journal; None or "none": no anchor) and its key file
    #: (None: $TENFOUR_ANCHOR_KEY, else ~/.config/tenfour/anchor.key).
    anchor: str | None = None
    anchor_key: str | None = None
    #: Print how to log in (the demo accounts' generated passwords) at start.
    announce: bool = False
    #: The clock (tests inject a simulated one); None means wall-clock time.
    clock: Clock | None = None
    #: Policy settings (timers, response plans, ...); None means the defaults.
    config: PolicyConfig | None = None
    #: OwnTracks over MQTT: the broker to subscribe ``owntracks/+/+`` on
    #: (``mqtt://[USER[:PASSWORD]@]HOST[:PORT]``); None: no subscription.
    mqtt: str | None = None
    #: NMEA 0183 over TCP: the port to listen on (0: any free one); None: no listener.
    nmea_port: int | None = None
    nmea_host: str = "127.0.0.1"
    #: Who may read ``GET /metrics`` (tenfour.api.metrics): a scraper sending this
    #: bearer token, or, without one, a request straight from these networks (not
    #: through a proxy). ``()``: the token only; no token set: those networks only.
    metrics_token: str | None = None
    metrics_networks: tuple[str, ...] = ("127.0.0.0/8", "::1")


def load_policy_config(path: str | Path) -> PolicyConfig:
    """The defaults with the overrides in the YAML file at ``path`` (the keys of a
    scenario's ``config:`` block); ``ConfigFileError`` names what is wrong and where."""
    where = str(path)
    try:
        raw = read_yaml_file(path)
    except YamlFileError as error:
        raise ConfigFileError(str(error)) from None
    if raw is None:
        return PolicyConfig()  # an empty file: nothing overridden
    if not isinstance(raw, LineDict):
        raise ConfigFileError(
            f"{where}: policy settings are a YAML mapping (timers:, mayday:, duplicates:, ...)"
        )
    try:
        return PolicyConfig().with_overrides(raw)
    except CommandRejected as rejected:
        lines = [_describe(where, raw, problem) for problem in rejected.problems]
        raise ConfigFileError("\n".join(lines)) from None


def _describe(where: str, raw: LineDict, problem: Problem) -> str:
    """``FILE:LINE: config.timers.pursuit_s: reason``, an unknown key with the allowed ones."""
    path = problem.field.split(".")[1:]  # after the leading "config"
    line = line_at(raw, path)
    reason = problem.reason
    if reason == _EXTRA:
        allowed = _settings_at(path[:-1])
        reason = "unknown setting" + (f" (allowed: {', '.join(allowed)})" if allowed else "")
    return f"{where}:{line}: {problem.field}: {reason}" if line else f"{where}: {problem}"


def _settings_at(path: list[str]) -> list[str]:
    """The setting names of the section at ``path`` (``["timers"]``), if it is one."""
    model: Any = PolicyConfig
    for key in path:
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return []
        field = model.model_fields.get(key)
        model = field.annotation if field is not None else None
    if isinstance(model, type) and issubclass(model, BaseModel):
        return sorted(model.model_fields)
    return []
