"""The running server's parts, shared by every route: service, accounts, live hub."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from fastapi import Request, WebSocket

from tenfour.accounts import AccountStore
from tenfour.api.idempotency import FingerprintStore
from tenfour.api.ratelimit import RateLimiter
from tenfour.api.settings import Settings
from tenfour.api.throttle import TokenBuckets
from tenfour.domain.commands import parse_command
from tenfour.domain.errors import CommandRejected
from tenfour.domain.values import SYSTEM
from tenfour.geo import RoadMap
from tenfour.service import Service

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    service: Service
    accounts: AccountStore
    tips_limit: RateLimiter
    hub: object  # tenfour.api.live.LiveHub; typed loosely to avoid an import cycle
    #: The road map the pages draw and route on (the service's own, cached per process).
    roads: RoadMap | None = None
    #: Which command each idempotency key was first used for (409 on reuse).
    fingerprints: FingerprintStore | None = None
    #: Failed logins allowed per source before it must wait (api.throttle); None: no limit.
    login_throttle: TokenBuckets | None = None

    def now(self) -> datetime:
        return self.service.clock.now()

    def audit(
        self,
        action: str,
        user: str,
        outcome: str,
        source: str | None,
        detail: str | None,
        *,
        target: str | None = None,
    ) -> None:
        """Journal an access event. Auditing must never fail a login silently: a
        rejected audit command is a bug, logged loudly."""
        payload = {
            "action": action,
            "user": _printable(user)[:200] or "?",
            "outcome": outcome[:200] or "?",
        }
        if source:
            payload["source"] = source[:200]
        if detail:
            payload["detail"] = _printable(detail)[:2000]
        if target:
            payload["target"] = _printable(target)[:200]
        try:
            self.service.handle(parse_command("audit.record", payload, SYSTEM))
        except CommandRejected:
            log.exception("audit event rejected")


def _printable(text: str) -> str:
    """A name typed at the login prompt is the attacker's choice: journal it escaped."""
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)


async def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


async def ws_runtime(websocket: WebSocket) -> Runtime:
    rt: Runtime = websocket.app.state.runtime
    return rt
