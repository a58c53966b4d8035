"""Commands that reach the writer thread together have their sessions read in one query
(``api.commands.look_up_sessions``): each still gets the answer it would get alone (a
live session runs, an ended one is refused with 401, a forbidden one is audited under
its own user), and a failed lookup fails no command by itself."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from fastapi import HTTPException
from pydantic import TypeAdapter
from starlette.requests import Request

from tenfour.api import commands
from tenfour.api.commands import _run
from tenfour.api.context import Runtime
from tenfour.api.schemas import CommandRequest

from .conftest import Server

LOCATE = {"do": "unit.locate", "with": {"unit": "ZPD-3", "lat": 37.79, "lon": -122.4}}


def _request(rt: Runtime, token: str) -> Request:
    scope: dict[str, Any] = {
        "type": "http",
        "method": "POST",
        "path": "/api/commands",
        "headers": [(b"authorization", f"Bearer {token}".encode())],
        "client": ("198.51.100.7", 50000),
        "app": None,
    }
    return Request(scope)


def _in_one_batch(rt: Runtime, tokens: list[str]) -> list[Any]:
    """Run one command per token through ``_run``, all queued while the writer thread is
    held by another job, so that they make one batch; their answers (or errors)."""
    gate = threading.Event()

    def hold() -> Any:
        gate.wait(10)
        raise RuntimeError("only holding the writer thread")

    held = rt.service.enqueue(hold)
    body = TypeAdapter(CommandRequest).validate_python(LOCATE)

    async def all_queued() -> None:
        gate.set()  # runs after every _run below has queued its command

    async def main() -> list[Any]:
        runs = [_run(rt, _request(rt, token), body) for token in tokens]
        return await asyncio.gather(*runs, all_queued(), return_exceptions=True)

    answers = asyncio.run(main())[:-1]
    with pytest.raises(RuntimeError):
        held.result(10)
    return answers


def test_a_batch_reads_its_sessions_once_and_answers_each_alone(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt = server.rt
    claw = server.account("claw", "dispatcher")
    judy = server.account("judy", "officer", member="hopps")
    gone = server.account("mchorn", "supervisor")
    assert rt.accounts.close_session(gone)
    lookups: list[tuple[str, Any]] = []
    many, one = rt.accounts.sessions_for, rt.accounts.session

    def sessions_for(tokens: Any, **kw: Any) -> Any:
        tokens = list(tokens)
        lookups.append(("many", sorted(tokens)))
        return many(tokens, **kw)

    def session(token: str, **kw: Any) -> Any:
        lookups.append(("one", token))
        return one(token, **kw)

    monkeypatch.setattr(rt.accounts, "sessions_for", sessions_for)
    monkeypatch.setattr(rt.accounts, "session", session)

    answers = _in_one_batch(rt, [claw, judy, gone, claw])

    assert lookups == [("many", sorted({claw, judy, gone}))]
    ok, forbidden, unknown, again = answers
    assert ok.status_code == 200 and again.status_code == 200
    assert isinstance(unknown, HTTPException) and unknown.status_code == 401
    assert forbidden.status_code == 403
    denied = [e for e in server.journal("audit.") if e.get("outcome") == "denied"]
    assert [(e["user"], e["detail"].split(":")[0]) for e in denied] == [("judy", "unit.locate")]


def test_a_failed_batch_lookup_leaves_each_command_its_own(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt = server.rt
    claw = server.account("claw", "dispatcher")
    gone = server.account("mchorn", "supervisor")
    assert rt.accounts.close_session(gone)

    def broken(rt: Runtime, tokens: Any) -> Any:
        raise RuntimeError("the batch lookup broke")

    monkeypatch.setattr(commands, "session_accounts", broken)

    ok, unknown = _in_one_batch(rt, [claw, gone])

    assert ok.status_code == 200
    assert isinstance(unknown, HTTPException) and unknown.status_code == 401
