"""How the live hub fans a committed batch out: filtered and encoded once per audience
(role and scope), the same texts queued for every feed of that audience; a feed that
stops reading is cut off by its own queue's bound, never holding the others; and a
batch's first message reaches every feed before any feed sends its second (an
emergency is first of its batch: it must not wait behind the rest of the batch at
199 other desks)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.websockets import WebSocketDisconnect, WebSocketState

from tenfour.api.live import Client, LiveHub, _stream
from tenfour.domain.visibility import sight_of

from .conftest import Server
from .test_need_to_know import HERE, assert_kept_from, secrets


def _hub(server: Server, loop: asyncio.AbstractEventLoop) -> LiveHub:
    hub: LiveHub = server.rt.hub  # type: ignore[assignment]
    hub.loop = loop  # batches are handed to this loop, as to the server's
    return hub


def _settle(loop: asyncio.AbstractEventLoop) -> None:
    """Run what the committing thread handed to the loop."""
    loop.run_until_complete(asyncio.sleep(0.01))


def test_feeds_of_one_audience_get_the_same_texts_and_other_roles_their_own(
    server: Server,
) -> None:
    loop = asyncio.new_event_loop()
    try:
        hub = _hub(server, loop)
        desks = [hub.attach(None, sight_of("dispatcher"))[0] for _ in range(2)]
        officer, _ = hub.attach(None, sight_of("officer", "hopps"))
        code = secrets(server, "a van behind the bakery")
        _settle(loop)
    finally:
        loop.close()
    first, second = (list(desk.texts) for desk in desks)
    assert any('"tip.received"' in (text or "") for text in first)
    # Not equal texts made twice: the very same strings, encoded once for both.
    assert len(first) == len(second)
    assert all(a is b for a, b in zip(first, second, strict=True))
    # The officer's audience got its own batch: the tip and the audit left out, and
    # a position saying how far the journal went.
    seen = [text for text in officer.texts if text is not None]
    assert seen, "the officer's feed was told nothing"
    for text in seen:
        assert_kept_from(text, code)
    assert json.loads(seen[-1]) == {"type": "position", "position": server.rt.service.state.seq}


def test_officers_share_the_texts_of_all_but_the_messages_each_may_read(
    server: Server,
) -> None:
    desk = server.account("claw", "dispatcher")
    loop = asyncio.new_event_loop()
    try:
        hub = _hub(server, loop)
        judy, _ = hub.attach(None, sight_of("officer", "hopps"))  # crew of ZPD-7
        other, _ = hub.attach(None, sight_of("officer", "fangmeyer"))  # ZPD-3
        for with_ in (
            {"to": "unit", "unit": "ZPD-7", "text": "for ZPD-7"},
            {"to": "all", "canned": "code4"},
        ):
            answer = server.command(desk, "message.send", with_)
            assert answer.status_code == 200, answer.text
        answer = server.command(desk, "unit.locate", {"unit": "ZPD-5", **HERE})
        assert answer.status_code == 200, answer.text
        _settle(loop)
    finally:
        loop.close()
    hers = [t for t in judy.texts if t is not None]
    his = [t for t in other.texts if t is not None]
    assert any("for ZPD-7" in t for t in hers)
    assert not any("for ZPD-7" in t for t in his), "a message reached an officer not party to it"
    assert any("code4" in t for t in hers) and any("code4" in t for t in his)
    # An event that is no message is one text, made once for every MDT, not per officer.
    located = [t for t in hers if '"unit.located"' in t]
    assert located and all(any(t is u for u in his) for t in located)


def test_a_feed_that_stops_reading_is_cut_off_by_its_own_bound_not_holding_others(
    server: Server,
) -> None:
    loop = asyncio.new_event_loop()
    try:
        hub = _hub(server, loop)
        hub.client_queue = 4
        stalled, _ = hub.attach(None, sight_of("dispatcher"))
        reading, _ = hub.attach(None, sight_of("dispatcher"))
        received: list[str | None] = []
        for n in range(4):
            secrets(server, f"tip {n}")  # a tip, then an audited failed login
            _settle(loop)
            received.extend(reading.texts)
            reading.texts.clear()  # this one keeps up
    finally:
        loop.close()
    assert sum('"tip.received"' in (t or "") for t in received) == 4
    assert None not in received
    # The one that stopped reading holds at most its bound, then the mark that it must
    # start again (a resync and a fresh snapshot, in ``_stream``), and nothing more.
    assert len(stalled.texts) <= hub.client_queue + 1
    assert stalled.overflowed and stalled.texts[-1] is None


class _Socket:
    """A page at the other end: records what is sent, in the order the loop sent it
    across every feed; reads nothing until closed."""

    def __init__(self, name: str, sent: list[tuple[str, dict[str, Any]]]) -> None:
        self.name, self.sent = name, sent
        self.client_state = WebSocketState.CONNECTED
        self.gone = asyncio.Event()

    async def send_text(self, text: str) -> None:
        self.sent.append((self.name, json.loads(text)))

    async def receive_text(self) -> str:
        await self.gone.wait()
        raise WebSocketDisconnect(1000)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.client_state = WebSocketState.DISCONNECTED
        self.gone.set()


def test_every_feed_sends_a_batchs_first_message_before_any_sends_its_second(
    server: Server,
) -> None:
    desk = server.account("claw", "dispatcher")
    account = server.rt.accounts.get("claw")
    assert account is not None
    for n in range(3):
        secrets(server, f"tip {n}")
    journal = list(server.rt.service.store.read())
    shown = [e for e in journal if e.type == "tip.received"]  # what a dispatcher reads
    sent: list[tuple[str, dict[str, Any]]] = []
    sockets = [_Socket(name, sent) for name in ("a", "b", "c")]

    async def scene() -> None:
        hub: LiveHub = server.rt.hub  # type: ignore[assignment]
        feeds = [
            asyncio.create_task(_stream(s, server.rt, hub, None, desk, account))  # type: ignore[arg-type]
            for s in sockets
        ]
        while len(sent) < 2 * len(sockets):  # each: its snapshot and first heartbeat
            await asyncio.sleep(0.005)
        sent.clear()
        # One committed batch of three events the dispatchers read, as the service
        # hands it to its subscribers (from the committing thread).
        await asyncio.to_thread(hub._on_events, shown)
        while len(sent) < 3 * len(sockets):
            await asyncio.sleep(0.005)
        for s in sockets:
            await s.close()
        await asyncio.gather(*feeds)

    asyncio.run(scene())
    events = [(name, m["event"]["seq"]) for name, m in sent if m["type"] == "event"]
    order = [seq for _, seq in events]
    first, second, third = (e.seq for e in shown)
    # Round by round: every feed's first, then every feed's second, then the third.
    assert order == [first] * 3 + [second] * 3 + [third] * 3, events
    assert sorted(name for name, _ in events[:3]) == ["a", "b", "c"]


def test_a_client_queue_keeps_order_and_marks_overflow_once() -> None:
    client = Client(limit=3, sight=sight_of("dispatcher"))
    client.push(["1", "2"])
    client.push([])
    assert list(client.texts) == ["1", "2"]
    client.push(["3", "4"])  # past the bound: start again
    client.push(["5"])
    assert list(client.texts) == ["1", "2", None]
