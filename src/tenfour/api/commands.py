"""``POST /api/commands``: every change a person makes, through the one door."""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse

from tenfour.api.auth import actor_of, current_account, source_of
from tenfour.api.context import Runtime, runtime
from tenfour.api.errors import ERROR_RESPONSES, rejected_response
from tenfour.api.idempotency import fingerprint
from tenfour.api.schemas import CommandRequest, CommandResult
from tenfour.domain.commands import Command
from tenfour.domain.errors import CommandRejected
from tenfour.service import Handled

router = APIRouter(prefix="/api", tags=["commands"])


@router.post("/commands", response_model=CommandResult, responses=ERROR_RESPONSES)
async def post_command(
    body: Annotated[CommandRequest, Body()],
    request: Request,
    rt: Annotated[Runtime, Depends(runtime)],
) -> Any:
    """Run one command (DOMAIN.md vocabulary). Answers only once its events are durable;
    a retry with the same ``idempotency_key`` returns the first answer again, and the
    same key with a different command is refused (409)."""
    # Off the event loop: the session lookup and the service wait on the database (a
    # commit, a lock held elsewhere), which must never stall other requests, the live
    # feed or /api/health. All of it in one hop to a worker thread, and one command at
    # a time: the service takes one at a time anyway, and threads queueing on its lock
    # cost latency; commands waiting their turn wait on the loop, holding no thread.
    # The hop costs throughput when nothing stalls (bench/RESULTS.md).
    return await anyio.to_thread.run_sync(_run, request, rt, body, limiter=_one_at_a_time(request))


def _run(request: Request, rt: Runtime, body: Any) -> JSONResponse:
    account = current_account(request, rt)  # 401 unless a live session
    key = body.idempotency_key
    # Keys are per account, so one user's key can never replay another user's answer.
    scoped = f"{account.username}/{key}" if key else None
    command = Command(body.do, body.with_, actor_of(account), scoped)
    try:
        handled = _handle(rt, command, key)
    except CommandRejected as rejected:
        if rejected.code == "forbidden":
            rt.audit(
                "denied",
                account.username,
                "denied",
                source_of(request),
                f"{command.do}: {rejected}",
            )
        return rejected_response(rejected)
    return JSONResponse(
        {"events": [e.to_json() for e in handled.events], "duplicate": handled.duplicate}
    )


def _handle(rt: Runtime, command: Command, key: str | None) -> Handled:
    """Bind the key to this command first (see ``api.idempotency``), then run it."""
    if command.idempotency_key is not None and rt.fingerprints is not None:
        mine = fingerprint(command.do, command.payload.model_dump(mode="json"))
        bound = rt.fingerprints.claim(command.idempotency_key, mine, rt.now())
        if bound is not None and bound != mine:
            raise CommandRejected.one(
                "idempotency_key",
                f"idempotency key {key!r} was already used for a different command; "
                "use a new key for a new command",
                "conflict",
            )
    return rt.service.handle(command)


def _one_at_a_time(request: Request) -> anyio.CapacityLimiter:
    """The app's one slot for running commands (made on the loop, at first use)."""
    state = request.app.state
    slot: anyio.CapacityLimiter | None = getattr(state, "command_slot", None)
    if slot is None:
        slot = state.command_slot = anyio.CapacityLimiter(1)
    return slot
