"""``POST /api/commands``: every change a person makes, through the one door.

Two ways in, one behaviour. The FastAPI route (``post_command``) documents the
command (OpenAPI) and answers whatever the lane hands it. ``CommandLane``, a pure ASGI
middleware just inside the request limits, answers a well-formed command itself,
without the framework's per-request machinery (routing, dependency solving, the
exception middlewares' wrappers): at a thousand commands a second that machinery was
most of the server's CPU (bench/RESULTS.md, group commit). It parses and validates with
the same request model, runs the same ``_run`` and answers errors through the app's own
exception handlers; any body it cannot take (bad JSON, an unknown command, a field
that fails validation, an unusual content type) goes on, replayed, to the route, so
every refusal keeps its one shape.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from email.message import Message as MimeMessage
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter, ValidationError
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from tenfour.accounts import Account
from tenfour.api.auth import (
    actor_of,
    logged_in,
    session_account,
    session_accounts,
    source_of,
    token_of,
)
from tenfour.api.context import Runtime, runtime
from tenfour.api.errors import ERROR_RESPONSES, rejected_response
from tenfour.api.idempotency import fingerprint
from tenfour.api.limits import replay_body
from tenfour.api.schemas import CommandRequest, CommandResult
from tenfour.domain.commands import Command
from tenfour.domain.errors import CommandRejected
from tenfour.journal import Batch
from tenfour.journal.sql import JournalBatch
from tenfour.service import Prepared

router = APIRouter(prefix="/api", tags=["commands"])
PATH = "/api/commands"


@router.post("/commands", response_model=CommandResult, responses=ERROR_RESPONSES)
async def post_command(
    body: Annotated[CommandRequest, Body()],
    request: Request,
    rt: Annotated[Runtime, Depends(runtime)],
) -> Any:
    """Run one command (DOMAIN.md vocabulary). Answers only once its events are durable;
    a retry with the same ``idempotency_key`` returns the first answer again, and the
    same key with a different command is refused (409)."""
    return await _run(rt, request, body)


async def _run(rt: Runtime, request: Request, request_body: Any) -> Response:
    """One validated command request (one of the per-command models, a union mypy
    cannot see), run and answered."""
    # Off the event loop, without a worker thread per request: the command joins the
    # service's group commit (``tenfour.groupcommit``), and its writer thread runs the
    # session lookup and the key binding too (they wait on the database, which must
    # never stall other requests, the live feed or /api/health). Commands that arrive
    # together are appended in one transaction; this request waits on the loop,
    # holding no thread, until its own are durable (bench/RESULTS.md, group commit).
    prepare = Preparation(rt, request, request_body)
    try:
        handled = await asyncio.wrap_future(rt.service.enqueue(prepare))
    except CommandRejected as rejected:
        if rejected.code == "forbidden" and prepare.made is not None:
            username, command = prepare.made
            detail = f"{command.do}: {rejected}"
            source = source_of(request)
            await anyio.to_thread.run_sync(
                lambda: rt.audit("denied", username, "denied", source, detail)
            )
        return rejected_response(rejected)
    return JSONResponse(
        {"events": [e.to_json() for e in handled.events], "duplicate": handled.duplicate}
    )


class Preparation:
    """What the writer thread does for one command before its batch (``Service.enqueue``):
    its session (401 unless live), the command, its idempotency key bound."""

    def __init__(self, rt: Runtime, request: Request, body: Any) -> None:
        self.rt, self.request, self.body = rt, request, body
        self.token = token_of(request)
        #: Filled by ``look_up_sessions`` when the batch's sessions were read together.
        self.looked_up = False
        self.account: Account | None = None
        #: (username, command) once made: a refusal is audited under that name.
        self.made: tuple[str, Command] | None = None

    def __call__(self) -> Command | Prepared:
        rt = self.rt
        found = self.account if self.looked_up else session_account(rt, self.token)
        account = logged_in(found)
        key = self.body.idempotency_key
        # Keys are per account, so one user's key can never replay another user's answer.
        scoped = f"{account.username}/{key}" if key else None
        command = Command(self.body.do, self.body.with_, actor_of(account), scoped)
        self.made = (account.username, command)
        return _bind_key(rt, command, key)


def look_up_sessions(rt: Runtime) -> Callable[[Sequence[object]], None]:
    """The service's ``before_batch``: the sessions of a batch's commands in one read
    (one query, not one per command: on PostgreSQL a round trip each, on SQLite a read
    of pages the journal's last commit made stale), each answered as alone."""

    def look_up(works: Sequence[object]) -> None:
        waiting = [w for w in works if isinstance(w, Preparation) and w.token]
        if not waiting:
            return
        found = session_accounts(rt, {w.token for w in waiting if w.token})
        for work in waiting:
            work.account, work.looked_up = found[work.token or ""], True

    return look_up


#: The route the lane answers for (its path names it in request logs and metrics).
_ROUTE: BaseRoute = router.routes[-1]


class CommandLane:
    """Pure ASGI middleware: ``POST /api/commands`` with a body the request model
    accepts is run here (see the module docstring); everything else passes through.
    Add it first, so that it sits inside the request limits, headers and request log."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._model: TypeAdapter[Any] = TypeAdapter(CommandRequest)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != PATH:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away before its command was whole
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        parsed = self._parse(scope, body)
        if parsed is None:
            await self.app(scope, replay_body(body, receive), send)
            return
        # As the router would: the request log and metrics name the route that answered.
        scope["route"] = _ROUTE
        request = Request(scope, receive)
        try:
            response = await _run(scope["app"].state.runtime, request, parsed)
        except Exception as error:
            handler = _handler_for(scope["app"], error)
            if handler is None:
                raise  # a crash: the outer middlewares answer 500 and log it
            response = await handler(request, error)
        await response(scope, receive, send)

    def _parse(self, scope: Scope, body: bytes) -> Any | None:
        """The validated request, or None for the route to answer (and refuse)."""
        if not body or not _json_content(scope):
            return None
        try:
            return self._model.validate_python(json.loads(body))
        except (ValueError, ValidationError):  # bad JSON (or UTF-8), or a bad field
            return None


def _json_content(scope: Scope) -> bool:
    """Whether FastAPI would read this body as JSON: ``application/json`` or
    ``application/*+json`` (its rule; a body without a content type it refuses, and so
    that one goes to the route)."""
    for name, value in scope["headers"]:
        if name == b"content-type":
            if value == b"application/json":  # what nearly every client sends
                return True
            mime = MimeMessage()
            mime["content-type"] = value.decode("latin-1")
            subtype = mime.get_content_subtype()
            return mime.get_content_maintype() == "application" and (
                subtype == "json" or subtype.endswith("+json")
            )
    return False


def _handler_for(app: Any, error: Exception) -> Any:
    """The app's own exception handler for ``error`` (nearest class first), as its
    exception middleware would choose it; None for a crash."""
    handlers = app.exception_handlers
    for cls in type(error).__mro__:
        if cls in handlers:
            return handlers[cls]
    return None


def _bind_key(rt: Runtime, command: Command, key: str | None) -> Command | Prepared:
    """Bind the key to this command before it is decided (see ``api.idempotency``):
    in its batch's transaction when the keys live beside the journal (no write of
    their own), else here, at once."""
    fingerprints = rt.fingerprints
    scoped = command.idempotency_key
    if scoped is None or fingerprints is None:
        return command
    mine = fingerprint(command.do, command.payload.model_dump(mode="json"))

    def refuse_reuse(bound: str | None) -> None:
        if bound is not None and bound != mine:
            raise CommandRejected.one(
                "idempotency_key",
                f"idempotency key {key!r} was already used for a different command; "
                "use a new key for a new command",
                "conflict",
            )

    if fingerprints.beside_journal:
        now = rt.now()

        def check(batch: Batch) -> None:
            if not isinstance(batch, JournalBatch):
                raise TypeError("keys beside the journal need a SQL journal's batch")
            refuse_reuse(fingerprints.claim_in(batch, scoped, mine, now))

        return Prepared(command, check)
    refuse_reuse(fingerprints.claim(scoped, mine, rt.now()))
    return command


def _one_at_a_time(request: Request) -> anyio.CapacityLimiter:
    """The app's one slot for running AVL fixes on a worker thread (made on the loop,
    at first use)."""
    state = request.app.state
    slot: anyio.CapacityLimiter | None = getattr(state, "command_slot", None)
    if slot is None:
        slot = state.command_slot = anyio.CapacityLimiter(1)
    return slot
