"""The FastAPI application: ``create_app(settings)`` wires journal, accounts, service,
live hub and routes; the lifespan opens and closes them."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import yaml
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from tenfour import __version__
from tenfour.accounts import (
    AccountError,
    AccountStore,
    AccountStoreError,
    Passwords,
    generate_password,
    open_accounts,
)
from tenfour.api import accounts as admin_accounts
from tenfour.api import auth, avl, commands, docs, interop, live, places, queries, ready, tips, web
from tenfour.api import reports as analyst_reports
from tenfour.api.context import Runtime
from tenfour.api.errors import on_database_error, on_http_error, on_rejected, on_validation_error
from tenfour.api.headers import SecurityHeaders
from tenfour.api.idempotency import FingerprintStore, FingerprintStoreError
from tenfour.api.limits import Gate, RequestLimits, TrustedProxies
from tenfour.api.logs import RequestLog, log_command
from tenfour.api.metrics import Metrics, ScrapeAccess
from tenfour.api.metrics import router as metrics_router
from tenfour.api.ratelimit import RateLimiter
from tenfour.api.settings import Settings
from tenfour.api.throttle import TokenBuckets
from tenfour.bootstrap import build_service
from tenfour.clock import RealClock
from tenfour.domain.errors import CommandRejected
from tenfour.geo import load_map
from tenfour.interop.devices import DeviceStoreError
from tenfour.journal import JournalError, open_store
from tenfour.journal.anchor import anchor_store, default_key_path, resolve_anchor
from tenfour.service import Service
from tenfour.sim.roster import apply_roster

log = logging.getLogger(__name__)
DEMO_CITY = Path(__file__).resolve().parent.parent / "data" / "demo-city.yaml"


class _DemoRoster:
    def __init__(self, data: dict[str, Any]) -> None:
        self.agencies = data.get("agencies") or []
        self.facilities = data.get("facilities") or []
        self.members = data.get("members") or []
        self.units = data.get("units") or []
        self.incidents = data.get("incidents") or []
        self.accounts = data.get("accounts") or []


def load_demo(service: Service, accounts: AccountStore) -> dict[str, str]:
    """Fill an empty center with the demo city; return new accounts' generated passwords."""
    demo = _DemoRoster(yaml.safe_load(DEMO_CITY.read_text(encoding="utf-8")))
    if service.store.head() == 0:
        apply_roster(service, demo)
    passwords: dict[str, str] = {}
    if not accounts.list():
        now = service.clock.now()
        for item in demo.accounts:
            password = generate_password()
            accounts.create(
                item["username"], item["role"], password, member=item.get("member"), now=now
            )
            passwords[item["username"]] = password
    return passwords


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    trusted = TrustedProxies(settings.trusted_proxies)  # a bad entry fails here, at once
    scrape_access = ScrapeAccess(settings.metrics_token, settings.metrics_networks)  # likewise
    metrics = Metrics()  # this app's own registry: apps in one process count apart

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = open_store(settings.database)
        anchor = resolve_anchor(settings.database, settings.anchor)
        if anchor is not None:
            key = Path(settings.anchor_key) if settings.anchor_key else default_key_path()
            try:
                anchor_store(store, anchor, key)  # refuses a cut or rewritten journal
            except BaseException:
                store.close()
                raise
        accounts = open_accounts(
            settings.database, passwords=Passwords.fast() if settings.fast_hashing else None
        )
        clock = settings.clock or RealClock()
        service = build_service(
            store=store,
            clock=clock,
            map_name=settings.map,
            config=settings.config,
            react_inline=False,
            travel_model=settings.travel_model,
        )
        hub = live.LiveHub(service, settings.feed_buffer, settings.client_queue)
        stop_metrics = metrics.watch(
            service, lambda: len(hub.clients), lambda: getattr(app.state, "avl", None)
        )
        service.on_command.append(log_command)
        stop_following = service.follow_journal()
        # The journal's own database: keys are bound in its batches (api.idempotency).
        fingerprints = FingerprintStore(settings.database, beside_journal=True)
        app.state.runtime = Runtime(
            settings=settings,
            service=service,
            accounts=accounts,
            tips_limit=RateLimiter(settings.tips_per_window, settings.tip_window),
            hub=hub,
            roads=load_map(settings.map),
            fingerprints=fingerprints,
            login_throttle=TokenBuckets(settings.login_burst, settings.login_refill),
        )
        # The writer thread reads the sessions of a batch's commands in one query.
        service.before_batch = commands.look_up_sessions(app.state.runtime)
        app.state.demo_passwords = load_demo(service, accounts) if settings.demo else {}
        # Device positions (tenfour.interop): the registry, MQTT and NMEA feeds.
        stop_avl = await avl.start_avl(app, settings, app.state.runtime)
        if settings.announce:
            _announce(app.state.demo_passwords)
        if settings.freeze_gc:
            # What start-up loaded (map, state, indexes) lives as long as the server:
            # out of the cycle collector's sight, a full collection no longer walks it
            # (it paused every request for 50-150 ms under a flood; bench_abuse).
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            stop_metrics()
            await stop_avl()
            if stop_following is not None:
                stop_following()
            service.close()
            if isinstance(clock, RealClock):
                clock.stop()
            accounts.close()
            fingerprints.close()
            store.close()

    app = FastAPI(
        title="Ten-Four CAD",
        version=__version__,
        description="Computer-aided dispatch: commands in the DOMAIN.md vocabulary, "
        "queries of the board and journal, and a live event feed.",
        lifespan=lifespan,
        # Our own /docs (api.docs): FastAPI's loads its scripts from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.metrics, app.state.scrape_access = metrics, scrape_access
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(CommandRejected, on_rejected)
    app.add_exception_handler(AccountError, _on_account_error)
    for failure in (JournalError, AccountStoreError, FingerprintStoreError, DeviceStoreError):
        app.add_exception_handler(failure, on_database_error)
    # Innermost: well-formed commands are answered without the framework's routing
    # and dependency machinery (api.commands), inside every limit, header and log.
    app.add_middleware(commands.CommandLane)
    # Before anything reads a body: client address, tip rate limit, body size caps.
    app.add_middleware(
        RequestLimits,
        max_body=settings.max_body_bytes,
        max_tip_body=settings.max_tip_body_bytes,
        trusted=trusted,
        login_gate=Gate(settings.login_slots, settings.gate_queue),
        tip_gate=Gate(settings.tip_slots, settings.gate_queue),
    )
    for module in (auth, commands, queries, places, tips, live, web):
        app.include_router(module.router)
    app.include_router(admin_accounts.router)
    app.include_router(avl.router)
    app.include_router(interop.router)
    app.include_router(analyst_reports.router)
    app.include_router(docs.router)
    app.include_router(ready.router)
    app.include_router(metrics_router)
    app.mount("/static", web.static_files(), name="static")
    # Outermost: nosniff on every answer, the limits' refusals and crashes included.
    app.add_middleware(SecurityHeaders)
    # Around even that: every answer, a crash's 500 too, carries its request id and
    # is logged and timed once (tenfour.api.logs, tenfour.api.metrics).
    app.add_middleware(RequestLog, observe=metrics.request_done)

    @app.get("/api/health", tags=["queries"])
    async def health() -> dict[str, Any]:
        """On the event loop, taking no lock and touching no database: it answers
        while a command waits on a stalled database, and says so by its own speed."""
        rt: Runtime = app.state.runtime
        return {
            "ok": True,
            "position": rt.service.state.seq,
            "version": __version__,
            # Which node of several keeps time and runs the policies (operators, tests).
            "timekeeper": rt.service.timekeeper.leading,
            "reactor_position": rt.service.reactor.position,
        }

    return app


def _announce(passwords: dict[str, str]) -> None:
    if passwords:
        print("Demo accounts and their generated passwords (shown only now):", flush=True)
        for username, password in passwords.items():
            print(f"  {username:<12} {password}", flush=True)
        print("Change one with: tenfour user passwd NAME", flush=True)
    else:
        print(
            "Log in with an existing account, or add one: tenfour user add NAME --role ROLE",
            flush=True,
        )


async def _on_account_error(request: Any, exc: Exception) -> JSONResponse:
    from tenfour.api.errors import error_response
    from tenfour.domain.errors import Problem

    field = getattr(exc, "field", "body")
    return error_response(422, "invalid", str(exc), [Problem(str(field), str(exc))])
