"""``WS /api/live``: a snapshot with its position, then every event as it commits.

Resume with ``?after=SEQ``: the hub keeps the latest events in memory and replays
those after SEQ; a position it no longer holds (or a client that falls too far
behind while connected) gets ``{"type": "resync"}`` and a fresh snapshot. Heartbeats
keep idle connections (and the proxies between) alive and tell the position.

Messages: ``snapshot`` {position, state}, ``event`` {event}, ``heartbeat`` {position},
``resync`` {reason}.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from contextlib import suppress
from typing import Any

from fastapi import APIRouter, Depends, WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketState

from tenfour.api.auth import COOKIE
from tenfour.api.context import Runtime, ws_runtime
from tenfour.domain.snapshot import state_to_json
from tenfour.journal import StoredEvent
from tenfour.service import Service

log = logging.getLogger(__name__)
router = APIRouter()


def _event_text(event: StoredEvent) -> str:
    return json.dumps({"type": "event", "event": event.to_json()}, ensure_ascii=False)


class Client:
    """One connected feed: a queue of ready-to-send JSON texts."""

    def __init__(self, limit: int) -> None:
        self.queue: asyncio.Queue[str | None] = asyncio.Queue()
        self.limit = limit
        self.overflowed = False

    def push(self, texts: Sequence[str]) -> None:
        if self.overflowed:
            return
        if self.queue.qsize() + len(texts) > self.limit:
            # Too far behind to catch up by replay: tell it to start again.
            self.overflowed = True
            self.queue.put_nowait(None)
            return
        for text in texts:
            self.queue.put_nowait(text)


class LiveHub:
    """Fans committed events out to every connected client, from any thread."""

    def __init__(self, service: Service, buffer: int, client_queue: int) -> None:
        self.service = service
        self.buffer = buffer
        self.client_queue = client_queue
        self.clients: set[Client] = set()
        self.loop: asyncio.AbstractEventLoop | None = None
        service.subscribe(self._on_events)

    def _on_events(self, events: Sequence[StoredEvent]) -> None:
        # Called after commit, under the service lock, on the committing thread.
        if self.loop is not None and self.clients:
            # Serialised once, whatever the number of clients.
            batch = [_event_text(e) for e in events]
            self.loop.call_soon_threadsafe(self._fan_out, batch)

    def _fan_out(self, batch: list[str]) -> None:
        for client in list(self.clients):
            client.push(batch)

    def snapshot_text(self) -> tuple[int, str]:
        state = self.service.state
        body = {"type": "snapshot", "position": state.seq, "state": state_to_json(state)}
        return state.seq, json.dumps(body, ensure_ascii=False)

    def attach(self, after: int | None) -> tuple[Client, list[str]]:
        """Register a client and return what it must be sent first, atomically with
        respect to new events: nothing is missed and nothing is sent twice."""
        client = Client(self.client_queue)
        with self.service.locked():
            head = self.service.state.seq
            first: list[str] = []
            if after is None:
                first.append(self.snapshot_text()[1])
            elif after == head:
                pass
            elif after < head and head - after <= self.buffer:
                # Replay from the journal itself, so a resume works across restarts.
                replay = self.service.store.read(after=after, limit=head - after)
                first.extend(_event_text(e) for e in replay)
            else:
                reason = (
                    f"position {after} is ahead of the journal ({head})"
                    if after > head
                    else f"position {after} is more than the feed replays behind the head"
                )
                first.append(json.dumps({"type": "resync", "reason": reason}))
                first.append(self.snapshot_text()[1])
            self.clients.add(client)
        return client, first

    def detach(self, client: Client) -> None:
        self.clients.discard(client)


def _authenticated(websocket: WebSocket, rt: Runtime) -> bool:
    header = websocket.headers.get("authorization", "")
    token = (
        header[7:].strip()
        if header.lower().startswith("bearer ")
        else websocket.cookies.get(COOKIE)
    )
    if not token:
        return False
    return rt.accounts.session(token, now=rt.now(), idle=rt.settings.session_idle) is not None


@router.websocket("/api/live")
async def live(websocket: WebSocket, rt: Runtime = Depends(ws_runtime)) -> None:  # noqa: B008
    hub: LiveHub = rt.hub  # type: ignore[assignment]
    if not _authenticated(websocket, rt):
        await websocket.close(code=4401, reason="log in first")
        return
    raw_after = websocket.query_params.get("after")
    after: int | None = None
    if raw_after is not None:
        try:
            after = int(raw_after)
            if after < 0:
                raise ValueError
        except ValueError:
            await websocket.close(code=4400, reason="after must be a non-negative integer")
            return
    await websocket.accept()
    hub.loop = asyncio.get_running_loop()
    client, first = await asyncio.to_thread(hub.attach, after)
    reader = asyncio.create_task(_drain(websocket))
    try:
        for text in first:
            await websocket.send_text(text)
        while not reader.done():
            try:
                message = await asyncio.wait_for(_next(client), timeout=rt.settings.heartbeat_s)
            except TimeoutError:
                beat = {
                    "type": "heartbeat",
                    "position": rt.service.state.seq,
                    "at": rt.now().isoformat(),
                }
                await websocket.send_text(json.dumps(beat))
                continue
            if message is None:  # fell too far behind
                hub.detach(client)
                await websocket.send_text(
                    json.dumps({"type": "resync", "reason": "too far behind"})
                )
                client, first = await asyncio.to_thread(hub.attach, None)
                for again in first:
                    await websocket.send_text(again)
                continue
            await websocket.send_text(message)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        hub.detach(client)
        reader.cancel()
        with suppress(Exception):
            if websocket.client_state == WebSocketState.CONNECTED:
                await websocket.close()


async def _next(client: Client) -> str | None:
    return await client.queue.get()


async def _drain(websocket: WebSocket) -> Any:
    """Read (and ignore) what the client sends, so a disconnect is noticed at once."""
    with suppress(WebSocketDisconnect, RuntimeError):
        while True:
            await websocket.receive_text()
