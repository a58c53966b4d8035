"""``WS /api/live``: a snapshot with its position, then every event as it commits.

Resume with ``?after=SEQ``: the hub keeps the latest events in memory and replays
those after SEQ; a position it no longer holds (or a client that falls too far
behind while connected) gets ``{"type": "resync"}`` and a fresh snapshot. Heartbeats
keep idle connections (and the proxies between) alive and tell the position.

Messages: ``snapshot`` {position, at, state}, ``event`` {event}, ``heartbeat`` {position,
at}, ``position`` {position}, ``resync`` {reason}.

Need to know: each feed reads through its role's ``Sight`` (``tenfour.domain.
visibility``): the snapshot and the events leave out what the role may not read. When
the last events of a batch are all left out, a ``position`` message says how far the
journal went, so snapshot + events + positions still fold into the role's fresh
snapshot exactly.

Fan-out: a committed batch is filtered and encoded once per audience (``Sight.
audience``: all MDTs read the events that are no messages alike) and the same texts
are queued for every feed of that audience. Each feed sends from its own task and
queue, so a slow page holds only itself (past ``client_queue`` texts it is told to
resync); and it yields after each send while it has more, so a batch's first message
(an emergency's) reaches every feed before any feed sends its second.

The feed is held to its session: the session is checked again at least every
``heartbeat_s`` (without counting as use: only requests keep a session alive), and a
feed whose session ended is closed with 4401. The upgrade is refused (the socket
accepted, then closed with a code a browser can read) for a foreign ``Origin`` (4403),
no session (4401), a bad ``after`` (4400), and too many feeds for the session or the
server (4429).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections import Counter, deque
from collections.abc import Mapping, Sequence
from contextlib import suppress
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketState

from tenfour.accounts import Account
from tenfour.api.auth import COOKIE, session_account
from tenfour.api.context import Runtime, ws_runtime
from tenfour.domain.snapshot import state_to_json
from tenfour.domain.visibility import Sight, Transports, sight_of
from tenfour.journal import StoredEvent
from tenfour.service import Service

log = logging.getLogger(__name__)
router = APIRouter()

#: Close codes (4000-4999 are the application's): the reason says more.
BAD_REQUEST, SESSION_ENDED, FOREIGN_ORIGIN, TOO_MANY = 4400, 4401, 4403, 4429
TRY_AGAIN = 1013  # RFC 6455's "try again later"
_DEFAULT_PORTS = {"http": 80, "https": 443}


#: Texts already made in one fan-out: (index in the batch, audience) -> the text, or
#: None when that audience may not read the event.
Made = dict[tuple[int, Sight], str | None]


def _texts(
    sight: Sight,
    rows: Sequence[Mapping[str, Any]],
    made: Made | None = None,
    towards: Sequence[str | None] | None = None,
) -> list[str]:
    """What one role is sent of these events (flat JSON, in order): the ones it may
    read, and a ``position`` when the last of them are ones it may not. ``made``
    shares the work between sights: an event is filtered and encoded once per
    audience (``Sight.audience``), the same text for every feed of that audience.
    ``towards``: for each row, where its unit was carrying a patient just before it
    (``Transports.towards``; a hospital's sight reads those units' events)."""
    made = {} if made is None else made
    texts: list[str] = []
    shown = 0
    for index, row in enumerate(rows):
        key = (index, sight.audience(str(row["type"])))
        if key in made:
            text = made[key]
        else:
            seen = key[1].event(row, None if towards is None else towards[index])
            text = (
                None
                if seen is None
                else json.dumps({"type": "event", "event": seen}, ensure_ascii=False)
            )
            made[key] = text
        if text is not None:
            texts.append(text)
            shown = int(row["seq"])
    if rows and shown < int(rows[-1]["seq"]):
        texts.append(json.dumps({"type": "position", "position": int(rows[-1]["seq"])}))
    return texts


class Client:
    """One connected feed: the ready-to-send JSON texts it has yet to send, in order
    (``None``: it fell too far behind and must start again)."""

    def __init__(self, limit: int, sight: Sight) -> None:
        self.texts: deque[str | None] = deque()
        self.limit = limit
        self.sight = sight
        self.overflowed = False
        #: Set by ``wait`` while the feed's task sleeps; ``wake`` resolves it. One future
        #: and one hop back to the task: a feed per desk, woken for every batch.
        self._waiter: asyncio.Future[None] | None = None

    def push(self, texts: Sequence[str]) -> None:
        """Queue one batch (on the loop). The texts are shared by every client of the
        same sight: the same string objects, encoded once (``LiveHub._on_events``)."""
        if self.overflowed or not texts:
            return
        if len(self.texts) + len(texts) > self.limit:
            # Too far behind to catch up by replay: tell it to start again.
            self.overflowed = True
            self.texts.append(None)
        else:
            self.texts.extend(texts)
        self.wake()

    def wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def wait(self, seconds: float, reader: asyncio.Task[Any]) -> None:
        """Sleep until a batch comes, ``seconds`` pass or ``reader`` ends (the page
        went away), whichever is first."""
        if self.texts or reader.done():
            return
        loop = asyncio.get_running_loop()
        self._waiter = loop.create_future()
        timer = loop.call_later(seconds, self.wake)
        reader.add_done_callback(self._woken_by_reader)
        try:
            await self._waiter
        finally:
            timer.cancel()
            reader.remove_done_callback(self._woken_by_reader)
            self._waiter = None

    def _woken_by_reader(self, _reader: asyncio.Task[Any]) -> None:
        self.wake()


class LiveHub:
    """Fans committed events out to every connected client, from any thread."""

    def __init__(self, service: Service, buffer: int, client_queue: int) -> None:
        self.service = service
        self.buffer = buffer
        self.client_queue = client_queue
        self.clients: set[Client] = set()
        self.loop: asyncio.AbstractEventLoop | None = None
        #: Open feeds per session (by a hash of its token), and in all; loop only.
        self.per_session: Counter[str] = Counter()
        self.open = 0
        with service.locked():
            # Followed from this state on, batch by batch, whether any feed is open or
            # not: a hospital's feed opened later needs where each unit is heading.
            self.transports = Transports(service.state.units)
            service.subscribe(self._on_events)

    def _on_events(self, events: Sequence[StoredEvent]) -> None:
        # Called after commit, under the service lock, on the committing thread. The
        # clients attached now are exactly those whose first messages stop before
        # these events (``attach`` takes the same lock).
        if not events:
            return
        rows = [e.to_json() for e in events]
        towards = [self.transports.towards(row) for row in rows]
        if self.loop is None or not self.clients:
            return
        targets = list(self.clients)
        # Filtered and serialised once per audience, whatever the number of clients:
        # every feed of one audience is handed the same strings.
        made: Made = {}
        sights = {c.sight for c in targets}
        batches = {sight: _texts(sight, rows, made, towards) for sight in sights}
        self.loop.call_soon_threadsafe(self._fan_out, targets, batches)

    def _fan_out(self, targets: list[Client], batches: dict[Sight, list[str]]) -> None:
        for client in targets:
            if client in self.clients:
                client.push(batches[client.sight])

    def snapshot_text(self, sight: Sight) -> tuple[int, str]:
        state = self.service.state
        body = {
            "type": "snapshot",
            "position": state.seq,
            # The server's time, so a page ages positions right from its first drawing
            # (the heartbeat that follows would come a frame too late for that).
            "at": self.service.clock.now().isoformat(),
            "state": sight.state(state_to_json(state)),
        }
        return state.seq, json.dumps(body, ensure_ascii=False)

    def attach(self, after: int | None, sight: Sight) -> tuple[Client, list[str]]:
        """Register a client and return what it must be sent first, atomically with
        respect to new events: nothing is missed and nothing is sent twice."""
        client = Client(self.client_queue, sight)
        with self.service.locked():
            head = self.service.state.seq
            first: list[str] = []
            if after is None:
                first.append(self.snapshot_text(sight)[1])
            elif after == head:
                pass
            elif sight.facility is not None:
                # A hospital's view is not foldable (a unit enters it with the transport
                # that brings it), and ``transports`` holds the head, not ``after``.
                first.append(self.snapshot_text(sight)[1])
            elif after < head and head - after <= self.buffer:
                # Replay from the journal itself, so a resume works across restarts.
                replay = self.service.store.read(after=after, limit=head - after)
                first.extend(_texts(sight, [e.to_json() for e in replay]))
            else:
                reason = (
                    f"position {after} is ahead of the journal ({head})"
                    if after > head
                    else f"position {after} is more than the feed replays behind the head"
                )
                first.append(json.dumps({"type": "resync", "reason": reason}))
                first.append(self.snapshot_text(sight)[1])
            self.clients.add(client)
        return client, first

    def detach(self, client: Client) -> None:
        self.clients.discard(client)

    def admit(self, session: str, *, per_session: int, total: int) -> str | None:
        """Count one more feed of ``session`` in, or say why not (on the loop only)."""
        if self.per_session[session] >= per_session:
            return f"this session has {per_session} live feeds open already, the most allowed"
        if self.open >= total:
            return f"the server has {total} live feeds open, the most allowed; try again later"
        self.per_session[session] += 1
        self.open += 1
        return None

    def release(self, session: str) -> None:
        self.open -= 1
        self.per_session[session] -= 1
        if self.per_session[session] <= 0:
            del self.per_session[session]


def _token(websocket: WebSocket) -> str | None:
    header = websocket.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return websocket.cookies.get(COOKIE) or None


def _netloc(scheme: str, netloc: str) -> str | None:
    """``host[:port]`` as compared: lower case, the scheme's default port left out."""
    try:
        parts = urlsplit(f"//{netloc}")
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not host:
        return None
    return host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"


def origin_allowed(origin: str | None, host: str, allowed: Sequence[str]) -> bool:
    """A browser's ``Origin`` may open the feed if it is the server's own (the ``Host``
    it asked) or listed in ``allowed``; programs send no ``Origin`` and are let in (they
    still need a session)."""
    if origin is None:
        return True
    origin = origin.strip().rstrip("/").lower()
    if origin in {a.strip().rstrip("/").lower() for a in allowed}:
        return True
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    if parts.scheme not in _DEFAULT_PORTS or parts.path or parts.query:
        return False
    own = _netloc(parts.scheme, host)
    return own is not None and _netloc(parts.scheme, parts.netloc) == own


async def _refuse(websocket: WebSocket, code: int, reason: str) -> None:
    # Accepted first: a close before the handshake completes reaches a browser as a
    # bare HTTP 403 (close code 1006), and the page could not tell why.
    await websocket.accept()
    await websocket.close(code=code, reason=reason)


@router.websocket("/api/live")
async def live(websocket: WebSocket, rt: Runtime = Depends(ws_runtime)) -> None:  # noqa: B008
    hub: LiveHub = rt.hub  # type: ignore[assignment]
    settings = rt.settings
    origin = websocket.headers.get("origin")
    if not origin_allowed(origin, websocket.headers.get("host", ""), settings.allowed_origins):
        await _refuse(websocket, FOREIGN_ORIGIN, f"origin {origin!r} is not allowed")
        return
    token = _token(websocket)
    try:
        account = await asyncio.to_thread(session_account, rt, token)
    except Exception:  # the accounts' database failed: say so, the page tries again
        log.warning("could not check a live feed's session", exc_info=True)
        await _refuse(websocket, TRY_AGAIN, "sessions cannot be checked now; try again")
        return
    if token is None or account is None:
        await _refuse(websocket, SESSION_ENDED, "log in first")
        return
    raw_after = websocket.query_params.get("after")
    after: int | None = None
    if raw_after is not None:
        try:
            after = int(raw_after)
            if after < 0:
                raise ValueError
        except ValueError:
            await _refuse(websocket, BAD_REQUEST, "after must be a non-negative integer")
            return
    session = hashlib.sha256(token.encode()).hexdigest()
    refusal = hub.admit(session, per_session=settings.feed_per_session, total=settings.feed_total)
    if refusal is not None:
        await _refuse(websocket, TOO_MANY, refusal)
        return
    try:
        await websocket.accept()
        await _stream(websocket, rt, hub, after, token, account)
    finally:
        hub.release(session)


async def _stream(
    websocket: WebSocket,
    rt: Runtime,
    hub: LiveHub,
    after: int | None,
    token: str,
    account: Account,
) -> None:
    loop = asyncio.get_running_loop()
    hub.loop = loop
    sight = sight_of(account.role, account.member)
    every = rt.settings.heartbeat_s
    client, first = await asyncio.to_thread(hub.attach, after, sight)
    reader = asyncio.create_task(_drain(websocket))
    checked = loop.time()
    try:
        for text in first:
            await websocket.send_text(text)
        # The server's time at once, not at the first heartbeat: pages age positions
        # and incidents by it, whatever the desk PC's own clock says.
        beat = {"type": "heartbeat", "position": rt.service.state.seq}
        await websocket.send_text(json.dumps({**beat, "at": rt.now().isoformat()}))
        while not reader.done():
            message, idle = await _next(client, max(0.0, checked + every - loop.time()), reader)
            if reader.done():  # the page went away: stop now, not at the next heartbeat
                return
            if loop.time() - checked >= every:
                ended = await _session_ended(rt, token, account)
                if ended is not None:
                    await websocket.close(code=SESSION_ENDED, reason=ended)
                    return
                checked = loop.time()
            if idle:
                beat = {"type": "heartbeat", "position": rt.service.state.seq}
                await websocket.send_text(json.dumps({**beat, "at": rt.now().isoformat()}))
                continue
            if message is None:  # fell too far behind
                hub.detach(client)
                await websocket.send_text(
                    json.dumps({"type": "resync", "reason": "too far behind"})
                )
                client, first = await asyncio.to_thread(hub.attach, None, sight)
                for again in first:
                    await websocket.send_text(again)
                continue
            await websocket.send_text(message)
            if client.texts:
                # More to send: let the other feeds send theirs first. A batch reaches
                # every client's first message before any client's second, so an
                # emergency reaches the 200th desk after 200 sends, not after the
                # 199 desks before it have sent every event of the batch (and of the
                # reactor's follow-ups queued meanwhile).
                await asyncio.sleep(0)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        hub.detach(client)
        reader.cancel()
        with suppress(Exception):
            if websocket.client_state == WebSocketState.CONNECTED:
                await websocket.close()


async def _session_ended(rt: Runtime, token: str, account: Account) -> str | None:
    """Why the feed's session no longer holds (logged out, expired, revoked, role
    changed), or None. Looking does not count as use of the session."""
    try:
        now = await asyncio.to_thread(session_account, rt, token, touch=False)
    except Exception:  # the accounts' database failed: keep the feed, look again later
        log.warning("could not check a live feed's session; will try again", exc_info=True)
        return None
    if now is None:
        return "session ended"
    if now.role != account.role:
        return "session ended: the account's role changed"
    return None


async def _next(client: Client, wait: float, reader: asyncio.Task[Any]) -> tuple[str | None, bool]:
    """The next message (None: the client fell too far behind), or (None, True) when
    none came within ``wait`` seconds or the client went away (``reader`` done)."""
    if not client.texts:
        await client.wait(wait, reader)
        if not client.texts:
            return None, True
    return client.texts.popleft(), False


async def _drain(websocket: WebSocket) -> Any:
    """Read (and ignore) what the client sends, so a disconnect is noticed at once."""
    with suppress(WebSocketDisconnect, RuntimeError):
        while True:
            await websocket.receive_text()
