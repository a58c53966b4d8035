"""Limits applied before the application reads a request: who the client is, the
public tip line's rate limit, and the size of request bodies.

``RequestLimits`` is a pure ASGI middleware, so all of it happens before FastAPI
reads or parses a byte of the body:

1. The client's address: the direct peer, or, when the peer is one of the trusted
   proxies (``Settings.trusted_proxies``; none by default), the right-most address of
   ``X-Forwarded-For`` that is not itself a trusted proxy. Anything to its left was
   written by the client and proves nothing. It is kept in the request's scope
   (``client_address``) for every part of the server that needs it.
2. ``POST /api/tips`` counts against the tip rate limit first, valid or not, so a
   flood of junk costs the server one hash and a 429 each, never a parse.
3. A body over its cap (``max_tip_body_bytes`` for tips and logins, ``max_body_bytes``
   for the rest) gets 413: at once when ``Content-Length`` says so, else as soon as the
   bytes streamed in pass the cap (chunked bodies have no length to trust).
4. The two doors anyone may knock at without an account, ``POST /api/login`` (a
   password hash of about 170 ms of CPU, in 4 threads) and ``POST /api/tips`` (a
   journal commit), are let into the application ``login_slots`` / ``tip_slots`` at
   a time, once their whole (capped) body is in: a flood of them queues on the event
   loop, holding no thread and no more than its share of the CPU and of the journal,
   so a dispatcher's commands keep their pace. Beyond ``gate_queue`` waiting, 503
   with ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import timedelta

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tenfour.api.errors import BodyTooLarge, error_response, too_large_response

LOGIN_PATH = "/api/login"

#: Where the middleware leaves the client's address in the request scope.
CLIENT_KEY = "tenfour.client"
TIPS_PATH = "/api/tips"
#: At most this many X-Forwarded-For entries are looked at, from the right.
_MAX_HOPS = 32

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class TrustedProxies:
    """The proxies whose ``X-Forwarded-For`` is believed: addresses or networks."""

    def __init__(self, entries: Iterable[str] = ()) -> None:
        networks: list[Network] = []
        for entry in entries:
            text = entry.strip()
            try:
                networks.append(ipaddress.ip_network(text, strict=False))
            except ValueError:
                raise ValueError(
                    f"trusted proxy {entry!r}: not an IP address or network "
                    "(e.g. 10.0.0.7, 10.0.0.0/8, ::1)"
                ) from None
        self.networks = tuple(networks)

    def __bool__(self) -> bool:
        return bool(self.networks)

    def trusts(self, address: str) -> bool:
        ip = _ip(address)
        return ip is not None and any(ip in network for network in self.networks)

    def client(self, peer: str, forwarded_for: list[str]) -> str:
        """The client's address given the direct peer and the X-Forwarded-For headers."""
        if not self.trusts(peer):
            return peer
        hops = [hop.strip() for value in forwarded_for for hop in value.split(",")]
        hops = [hop for hop in hops if hop][-_MAX_HOPS:]
        for hop in reversed(hops):
            if not self.trusts(hop):
                ip = _ip(hop)
                return str(ip) if ip is not None else hop[:100]
        # Every hop is a trusted proxy: the first one is the best there is.
        return hops[0] if hops else peer


def parse_proxies(values: Iterable[str]) -> tuple[str, ...]:
    """``--trusted-proxies`` values (each may hold several, comma-separated), checked."""
    entries = tuple(part.strip() for value in values for part in value.split(",") if part.strip())
    TrustedProxies(entries)  # raises ValueError naming a bad entry
    return entries


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address as proxies write it: ``1.2.3.4``, ``1.2.3.4:5678``, ``[::1]:5678``, ``::1``."""
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def client_address(scope: Scope) -> str:
    """The client's address as ``RequestLimits`` decided it (the peer without it)."""
    found = scope.get(CLIENT_KEY)
    if isinstance(found, str):
        return found
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class Gate:
    """At most ``slots`` requests of one kind inside the application at once, and at
    most ``queue`` waiting for a turn (on the event loop, holding no thread)."""

    def __init__(self, slots: int, queue: int) -> None:
        if slots < 1 or queue < 0:
            raise ValueError(f"a gate needs slots >= 1 and queue >= 0, got {slots}, {queue}")
        self.slots, self.queue = slots, queue
        self.waiting = 0
        self._free: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[bool]:
        """Yields True once inside, False at once when the queue is full."""
        loop = asyncio.get_running_loop()
        if self._free is None or self._loop is not loop:  # one per event loop (tests)
            self._free, self._loop, self.waiting = asyncio.Semaphore(self.slots), loop, 0
        free = self._free
        if free.locked() and self.waiting >= self.queue:
            yield False
            return
        self.waiting += 1
        try:
            await free.acquire()
        finally:
            self.waiting -= 1
        try:
            yield True
        finally:
            free.release()


def replay_body(body: bytes, receive: Receive) -> Receive:
    """A receive that gives a body already read, whole, then the client's own messages
    (a disconnect), for an app after a middleware that had to read it first."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class RequestLimits:
    """See the module docstring. ``app.state.runtime`` gives the tip limiter and clock."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body: int,
        max_tip_body: int,
        trusted: TrustedProxies,
        login_gate: Gate,
        tip_gate: Gate,
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.max_tip_body = max_tip_body
        self.trusted = trusted
        self.login_gate = login_gate
        self.tip_gate = tip_gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        peer = scope["client"][0] if scope.get("client") else "unknown"
        scope[CLIENT_KEY] = (
            self.trusted.client(peer, headers.getlist("x-forwarded-for")) if self.trusted else peer
        )
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"].rstrip("/") if scope["method"] == "POST" else None
        tip = path == TIPS_PATH
        if tip:
            rt = scope["app"].state.runtime
            if not rt.tips_limit.allow(scope[CLIENT_KEY], rt.now()):
                window: timedelta = rt.tips_limit.window
                refusal = error_response(
                    429,
                    "rate_limited",
                    "too many tips from here; please wait a few minutes or call 911",
                )
                refusal.headers["Retry-After"] = str(int(window.total_seconds()))
                await refusal(scope, receive, send)
                return
        # Logins and tips are small, and their bodies wait in memory for a turn.
        limit = self.max_tip_body if tip or path == LOGIN_PATH else self.max_body
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await too_large_response(limit)(scope, receive, send)
            return
        gate = self.tip_gate if tip else self.login_gate if path == LOGIN_PATH else None
        if gate is None:
            await self._counted(scope, receive, send, limit)
        else:
            await self._gated(scope, receive, send, limit, gate)

    async def _gated(
        self, scope: Scope, receive: Receive, send: Send, limit: int, gate: Gate
    ) -> None:
        """The whole body first (a slow sender must not hold a turn), then a turn."""
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > limit:
                await too_large_response(limit)(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        async with gate.turn() as inside:
            if inside:
                await self.app(scope, replay_body(b"".join(chunks), receive), send)
                return
        busy = error_response(
            503, "busy", "too many requests of this kind are waiting; try again shortly"
        )
        busy.headers["Retry-After"] = "1"
        await busy(scope, receive, send)

    async def _counted(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge:
            # Normally the app's own handler has answered it; this is for any reader
            # that let it through before answering.
            if started:
                raise
            await too_large_response(limit)(scope, receive, send)
