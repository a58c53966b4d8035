"""The command lane (``api.commands.CommandLane``) answers exactly as the FastAPI route
would: the same requests to two servers, one with the lane and one without, on
journals that start alike, get the same status, body and headers; what the lane
cannot take reaches the route whole."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from tenfour.api.app import create_app
from tenfour.api.commands import CommandLane
from tenfour.api.context import runtime
from tenfour.api.settings import Settings
from tenfour.clock import SimClock

from .conftest import PASSWORD, START

HERE = {"lat": 37.7925893, "lon": -122.3958821}
#: Headers that differ between any two answers whatever answered them.
VARYING = {"x-request-id", "date"}


def _server(database: Path, *, lane: bool) -> TestClient:
    clock = SimClock(START)
    settings = Settings(database=str(database), clock=clock, fast_hashing=True)
    app = create_app(settings)
    if not lane:  # the route alone, as before the lane (the stack is built at first use)
        app.user_middleware = [m for m in app.user_middleware if m.cls is not CommandLane]  # type: ignore[comparison-overlap]
    return TestClient(app, client=("198.51.100.7", 50000))


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[list[tuple[TestClient, dict[str, str]]]]:
    clients = []
    with (
        _server(tmp_path / "lane.db", lane=True) as with_lane,
        _server(tmp_path / "route.db", lane=False) as route_only,
    ):
        for client in (with_lane, route_only):
            rt = client.app.state.runtime  # type: ignore[attr-defined]
            now = rt.service.clock.now()
            rt.accounts.create("claw", "dispatcher", PASSWORD, now=now)
            rt.accounts.create("judy", "officer", PASSWORD, member="hopps", now=now)
            tokens = {}
            for name in ("claw", "judy"):
                answer = client.post("/api/login", json={"username": name, "password": PASSWORD})
                tokens[name] = answer.json()["token"]
            clients.append((client, tokens))
        yield clients


def _bearer(token: str, content_type: str | None = "application/json") -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    return headers


def _create(kind: str = "DRUGS", key: str | None = None) -> bytes:
    command: dict[str, Any] = {
        "do": "incident.create",
        "with": {"type": kind, "priority": 1, "location": HERE},
    }
    if key is not None:
        command["idempotency_key"] = key
    return json.dumps(command).encode()


CREATE = _create()

#: (who, content type, body): accepted, retried, a key reused for another command,
#: refused by the domain, refused by validation, not JSON, not a command, odd content
#: types, no session.
REQUESTS: list[tuple[str | None, str | None, bytes]] = [
    ("claw", "application/json", CREATE),
    ("claw", "application/json", _create(key="k1")),
    ("claw", "application/json", _create(key="k1")),
    ("claw", "application/json", _create("THEFT", key="k1")),
    ("claw", "application/json", b'{"do": "unit.dispatch", "with": {"incident": "I-nope"}}'),
    (
        "claw",
        "application/json",
        b'{"do": "unit.dispatch", "with": {"incident": "I-nope", "units": ["NOPE-1"]}}',
    ),
    ("claw", "application/json", b'{"do": "incident.create", "with": {"priority": 9}}'),
    ("claw", "application/json", b'{"do": "no.such.command", "with": {}}'),
    ("claw", "application/json", b'{"do": "incident.create", "with": {}, "extra": 1}'),
    ("claw", "application/json", b"{not json"),
    ("claw", "application/json", b"\xff\xfe"),
    ("claw", "application/json", b"[]"),
    ("claw", "application/json", b""),
    ("claw", "text/plain", CREATE),
    ("claw", "application/vnd.tenfour+json", CREATE),
    ("claw", "application/json; charset=utf-8", CREATE),
    ("claw", None, CREATE),
    ("judy", "application/json", _create("THEFT")),
    (None, "application/json", CREATE),
    ("nobody", "application/json", CREATE),
]


def _answer(
    client: TestClient, tokens: dict[str, str], who: str | None, ctype: str | None, body: bytes
) -> tuple[int, Any, dict[str, str]]:
    headers: dict[str, str] = {}
    if who is not None:
        headers = _bearer(tokens.get(who, "not-a-session-token"), ctype)
    elif ctype is not None:
        headers = {"Content-Type": ctype}
    answer = client.post("/api/commands", content=body, headers=headers)
    try:
        payload: Any = answer.json()
    except ValueError:
        payload = answer.text
    kept = {k: v for k, v in answer.headers.items() if k not in VARYING}
    return answer.status_code, payload, kept


def test_the_lane_answers_every_request_as_the_route_does(
    pair: list[tuple[TestClient, dict[str, str]]],
) -> None:
    (lane, lane_tokens), (route, route_tokens) = pair
    statuses = set()
    for who, ctype, body in REQUESTS:
        mine = _answer(lane, lane_tokens, who, ctype, body)
        theirs = _answer(route, route_tokens, who, ctype, body)
        assert mine == theirs, (who, ctype, body)
        statuses.add(mine[0])
    # The battery reached every kind of answer (else it proves less than it says).
    assert {200, 401, 403, 404, 409, 422} <= statuses
    for client in (lane, route):
        rt = client.app.state.runtime  # type: ignore[attr-defined]
        rt.service.settle()
    journals = [
        [(e.type, e.stream, e.version, e.by) for e in c.app.state.runtime.service.store.read()]  # type: ignore[attr-defined]
        for c, _ in pair
    ]
    assert journals[0] == journals[1]


async def _echo(scope: Scope, receive: Receive, send: Send) -> None:
    """An inner app that answers with the body it was given."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body", False):
            break
    await send({"type": "http.response.start", "status": 299, "headers": []})
    await send({"type": "http.response.body", "body": body})


@pytest.mark.parametrize(
    ("path", "body", "ctype"),
    [
        ("/api/commands", b"{not json", "application/json"),
        ("/api/commands", b'{"do": "incident.create", "with": {}}', "application/json"),
        ("/api/commands", b'{"do": "incident.create", "with": {}}', "text/plain"),
        ("/api/tips", b'{"text": "hi"}', "application/json"),
    ],
)
def test_what_the_lane_cannot_take_reaches_the_app_whole(
    path: str, body: bytes, ctype: str
) -> None:
    client = TestClient(CommandLane(_echo))  # no lifespan: the echo app has none
    answer = client.post(path, content=body, headers={"Content-Type": ctype})
    assert (answer.status_code, answer.content) == (299, body)


def test_a_client_gone_before_its_body_is_whole_gets_no_answer() -> None:
    import asyncio

    sent: list[Message] = []
    messages: list[Message] = [
        {"type": "http.request", "body": b'{"do": ', "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive() -> Message:
        return messages.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {"type": "http", "method": "POST", "path": "/api/commands", "headers": []}
    asyncio.run(CommandLane(_echo)(scope, receive, send))
    assert sent == []


def test_a_well_formed_command_is_answered_by_the_lane_itself(tmp_path: Path) -> None:
    """The route's dependencies are never solved for it: with them broken, the lane
    still answers (and a body it cannot take reaches the broken route)."""

    def broken() -> None:
        raise RuntimeError("the route was reached")

    client = _server(tmp_path / "t.db", lane=True)
    with client:
        rt = client.app.state.runtime  # type: ignore[attr-defined]
        rt.accounts.create("claw", "dispatcher", PASSWORD, now=rt.service.clock.now())
        token = client.post("/api/login", json={"username": "claw", "password": PASSWORD})
        headers = _bearer(token.json()["token"])
        client.app.dependency_overrides[runtime] = broken  # type: ignore[attr-defined]
        assert client.post("/api/commands", content=CREATE, headers=headers).status_code == 200
        with pytest.raises(RuntimeError, match="the route was reached"):
            client.post("/api/commands", content=CREATE, headers=_bearer("x", "text/plain"))
