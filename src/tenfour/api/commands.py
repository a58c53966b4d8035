"""``POST /api/commands``: every change a person makes, through the one door."""

from __future__ import annotations

import asyncio
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
from tenfour.journal import Batch
from tenfour.journal.sql import JournalBatch
from tenfour.service import Prepared

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
    # Off the event loop, without a worker thread per request: the command joins the
    # service's group commit (``tenfour.groupcommit``), and its writer thread runs the
    # session lookup and the key binding too (they wait on the database, which must
    # never stall other requests, the live feed or /api/health). Commands that arrive
    # together are appended in one transaction; this request waits on the loop,
    # holding no thread, until its own are durable (bench/RESULTS.md, group commit).
    made: list[tuple[str, Command]] = []
    request_body: Any = body  # one of the per-command models (a union mypy cannot see)

    def prepare() -> Command | Prepared:
        account = current_account(request, rt)  # 401 unless a live session
        key = request_body.idempotency_key
        # Keys are per account, so one user's key can never replay another user's answer.
        scoped = f"{account.username}/{key}" if key else None
        command = Command(request_body.do, request_body.with_, actor_of(account), scoped)
        made.append((account.username, command))
        return _bind_key(rt, command, key)

    try:
        handled = await asyncio.wrap_future(rt.service.enqueue(prepare))
    except CommandRejected as rejected:
        if rejected.code == "forbidden" and made:
            username, command = made[0]
            detail = f"{command.do}: {rejected}"
            source = source_of(request)
            await anyio.to_thread.run_sync(
                lambda: rt.audit("denied", username, "denied", source, detail)
            )
        return rejected_response(rejected)
    return JSONResponse(
        {"events": [e.to_json() for e in handled.events], "duplicate": handled.duplicate}
    )


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
