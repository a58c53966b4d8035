"""``POST /api/commands``: every change a person makes, through the one door."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse

from tenfour.api.auth import CurrentAccount, actor_of, source_of
from tenfour.api.context import Runtime, runtime
from tenfour.api.errors import ERROR_RESPONSES, rejected_response
from tenfour.api.schemas import CommandRequest, CommandResult
from tenfour.domain.commands import Command
from tenfour.domain.errors import CommandRejected

router = APIRouter(prefix="/api", tags=["commands"])


@router.post("/commands", response_model=CommandResult, responses=ERROR_RESPONSES)
async def post_command(
    body: Annotated[CommandRequest, Body()],
    request: Request,
    account: CurrentAccount,
    rt: Annotated[Runtime, Depends(runtime)],
) -> Any:
    """Run one command (DOMAIN.md vocabulary). Answers only once its events are durable;
    a retry with the same ``idempotency_key`` returns the first answer again."""
    payload = body.with_  # type: ignore[attr-defined]
    key = body.idempotency_key  # type: ignore[attr-defined]
    # Keys are per account, so one user's key can never replay another user's answer.
    scoped = f"{account.username}/{key}" if key else None
    command = Command(body.do, payload, actor_of(account), scoped)  # type: ignore[attr-defined]
    try:
        # Handled on the event loop itself, on purpose: the service takes one command
        # at a time anyway, and skipping the hop to a worker thread per request
        # measured 1.8x the throughput (bench/RESULTS.md). The only blocking part is
        # the journal's commit, well under a millisecond on SQLite.
        handled = rt.service.handle(command)
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
