"""Prometheus metrics at ``GET /metrics``, for operators' monitoring.

What is measured (every name starts ``tenfour_``):

- ``commands_total{type, outcome, code}``: commands at the service's door by type
  (``incident.create``) and outcome (``accepted``, ``duplicate``, ``rejected`` with
  the rejection's ``code``, ``failed`` with the error's class); from every actor
  (people, devices, policies), through ``Service.on_command``.
- ``command_duration_seconds{type}``: how long the door took, decide to publish.
- ``journal_append_seconds``: one journal transaction, from its start to durable
  (``Service.on_append``; with group commit, one batch of commands).
- ``http_request_duration_seconds{method, route, status}``: each HTTP request, by
  route template (never the raw path).
- ``live_clients``: live feeds connected to this node now (``LiveHub``).
- ``alerts_raised_total{kind}``: alerts journaled since this process started, every
  node's (a node folds in all of them): the same on every node, so take ``max``
  across nodes, not ``sum``.
- ``timer_lag_seconds``: how late after its due time a status-check timer fired on
  this node (``Timekeeper.on_fired``): a busy or stalled timekeeper shows here.
- ``avl_accepted_total`` and ``avl_rejected_total{reason}``: device positions, read
  from the AVL feed's own counts (``Avl.totals``, also at ``/api/avl/stats``).

Labels are only types, codes, kinds, reasons and route templates: no incident
content, no names, no ids. Each app has its own ``CollectorRegistry`` (not the
process-wide default) so several apps in one process (tests) count apart.

Who may read it: an operator's scraper has no browser session. It sends
``Authorization: Bearer <token>`` with ``Settings.metrics_token`` (``tenfour serve
--metrics-token-file``), or, without a token, asks straight from one of
``Settings.metrics_networks`` (loopback by default) with no proxy in between: a
request carrying ``X-Forwarded-For``, ``Forwarded`` or ``X-Real-IP`` came through a
proxy, whose own address says nothing of who asked, and is refused without the token.
Anyone else gets 401.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, get_args

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from tenfour.api.errors import error_response
from tenfour.api.limits import TrustedProxies
from tenfour.api.settings import Settings
from tenfour.domain.commands import COMMANDS, AlertKind
from tenfour.interop.avl import REASONS, Avl
from tenfour.journal import StoredEvent
from tenfour.service import Outcome, Service

router = APIRouter()

#: Seconds: from a cached answer (1 ms) to a stalled database (10 s).
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: Seconds a timer fired late: on time (a few ms) to a timekeeper stuck for a minute.
LAG_BUCKETS = (0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
ALERT_KINDS = frozenset(get_args(AlertKind))
#: Where ``serve`` reads the scrape token from when no token file is given.
TOKEN_ENV = "TENFOUR_METRICS_TOKEN"
#: A shorter token could be guessed; 32 hex digits are 128 bits.
MIN_TOKEN = 16
#: Headers a proxy adds: their presence means the peer's address is the proxy's.
_PROXIED = ("x-forwarded-for", "forwarded", "x-real-ip")


class Metrics:
    """One app's metrics, in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.commands = Counter(
            "tenfour_commands",
            "Commands handled by type and outcome (code: the rejection's code or error class)",
            ["type", "outcome", "code"],
            registry=r,
        )
        self.command_seconds = Histogram(
            "tenfour_command_duration_seconds",
            "Time at the service's door per command: decide, append, apply, publish",
            ["type"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.append_seconds = Histogram(
            "tenfour_journal_append_seconds",
            "Time of one journal append transaction until durable",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.requests = Histogram(
            "tenfour_http_request_duration_seconds",
            "HTTP requests by method, route template and status",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.alerts = Counter(
            "tenfour_alerts_raised",
            "Alerts journaled since this process started, by kind (every node's)",
            ["kind"],
            registry=r,
        )
        for kind in sorted(ALERT_KINDS):  # every kind at 0, so rates start at once
            self.alerts.labels(kind)
        self.timer_lag = Histogram(
            "tenfour_timer_lag_seconds",
            "How late after its due time a status-check timer fired on this node",
            buckets=LAG_BUCKETS,
            registry=r,
        )
        self._readings = _Readings()
        r.register(self._readings)

    # --- wiring -------------------------------------------------------------------
    def watch(
        self, service: Service, live_clients: Callable[[], int], avl: Callable[[], Avl | None]
    ) -> Callable[[], None]:
        """Count what ``service`` does from now on; read the live clients and the AVL
        counts at each scrape. Returns the function that stops watching."""
        service.on_command.append(self.command_handled)
        service.on_append.append(self.appended)
        service.timekeeper.on_fired.append(self.timer_fired)
        unsubscribe = service.subscribe(self.events_committed)
        self._readings.live_clients = live_clients
        self._readings.avl = avl

        def stop() -> None:
            unsubscribe()
            for hooks, hook in (
                (service.on_command, self.command_handled),
                (service.on_append, self.appended),
                (service.timekeeper.on_fired, self.timer_fired),
            ):
                if hook in hooks:
                    hooks.remove(hook)  # type: ignore[arg-type]

        return stop

    # --- observers (called on whichever thread did the work; quick, never raise) ----
    def command_handled(self, outcome: Outcome) -> None:
        kind = outcome.do if outcome.do in COMMANDS else "other"
        self.commands.labels(kind, outcome.outcome, outcome.code or "").inc()
        self.command_seconds.labels(kind).observe(outcome.seconds)

    def appended(self, seconds: float, events: int) -> None:
        self.append_seconds.observe(seconds)

    def timer_fired(self, late_s: float) -> None:
        self.timer_lag.observe(max(0.0, late_s))

    def events_committed(self, events: Iterable[StoredEvent]) -> None:
        for event in events:
            if event.type == "alert.raised":
                kind = event.data.get("kind")
                self.alerts.labels(kind if kind in ALERT_KINDS else "other").inc()

    def request_done(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).observe(seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class _Readings(Collector):
    """Values read at scrape time from their owners, never copied: live feeds and the
    AVL feed's counts (so ``/metrics`` and ``/api/avl/stats`` can never disagree)."""

    def __init__(self) -> None:
        self.live_clients: Callable[[], int] | None = None
        self.avl: Callable[[], Avl | None] | None = None

    def describe(self) -> Iterator[Metric]:
        # Nothing to check at registration: the values exist only once the app starts.
        return iter(())

    def collect(self) -> Iterator[Metric]:
        if self.live_clients is not None:
            yield GaugeMetricFamily(
                "tenfour_live_clients",
                "Live feeds (WebSocket) connected to this node",
                value=self.live_clients(),
            )
        avl = self.avl() if self.avl is not None else None
        if avl is not None:
            totals: dict[str, Any] = avl.totals()
            yield CounterMetricFamily(
                "tenfour_avl_accepted",
                "Device positions accepted since this process started",
                value=totals["accepted"],
            )
            rejected = CounterMetricFamily(
                "tenfour_avl_rejected",
                "Device positions refused since this process started, by reason",
                labels=["reason"],
            )
            counts = totals["rejected"]
            for reason in REASONS:  # every reason, 0 included, so rates start at once
                rejected.add_metric([reason], counts.get(reason, 0))
            yield rejected


# --- who may read -------------------------------------------------------------------
class ScrapeAccess:
    """The rule of the module docstring: the bearer token, or a direct request from
    one of the networks. A bad network fails at once, naming it."""

    def __init__(self, token: str | None, networks: Iterable[str]) -> None:
        self.token = token or None
        try:
            # Parsed and matched as the trusted proxies are (addresses or networks).
            self.networks = TrustedProxies(networks)
        except ValueError as error:
            raise ValueError(str(error).replace("trusted proxy", "metrics network")) from None

    def allows(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            offered = header[7:].strip().encode()
            # A wrong token is refused even from an allowed network: a scraper with a
            # stale secret should hear of it, not go on working by accident.
            return self.token is not None and hmac.compare_digest(offered, self.token.encode())
        if any(name in request.headers for name in _PROXIED):
            return False
        peer = request.client.host if request.client else ""
        try:
            ipaddress.ip_address(peer)
        except ValueError:
            return False
        return self.networks.trusts(peer)


def scrape_options(
    token_file: Path | None, networks: Iterable[str] | None
) -> tuple[str | None, tuple[str, ...]]:
    """``serve``'s ``--metrics-token-file`` and ``--metrics-from``, checked: the token
    (from the file, else ``$TENFOUR_METRICS_TOKEN``, else none) and the networks.
    ``ValueError`` names the option and what is wrong with it."""
    token = os.environ.get(TOKEN_ENV) or None
    if token_file is not None:
        try:
            token = token_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as error:
            raise ValueError(f"--metrics-token-file: cannot read {token_file}: {error}") from None
        if not token:
            raise ValueError(f"--metrics-token-file: {token_file} is empty")
    if token is not None and (len(token) < MIN_TOKEN or not token.isprintable()):
        raise ValueError(
            f"metrics token: at least {MIN_TOKEN} printable characters (e.g. openssl rand -hex 32)"
        )
    if networks is None:
        return token, Settings.metrics_networks
    entries = tuple(part.strip() for item in networks for part in item.split(",") if part.strip())
    if entries in ((), ("none",)):
        return token, ()
    try:
        ScrapeAccess(token, entries)
    except ValueError as error:
        raise ValueError(f"--metrics-from: {error}") from None
    return token, entries


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """The Prometheus text exposition (see the module docstring for who may read it)."""
    access: ScrapeAccess = request.app.state.scrape_access
    if not access.allows(request):
        answer = error_response(
            401,
            "unauthenticated",
            "metrics need the scrape token (Authorization: Bearer) or a direct request "
            "from a network allowed to scrape",
        )
        answer.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return answer
    exposition: bytes = request.app.state.metrics.exposition()
    return Response(exposition, media_type=CONTENT_TYPE_LATEST)
