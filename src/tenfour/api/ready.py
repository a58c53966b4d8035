"""``GET /api/ready``: may this node be sent traffic? (``/api/health`` is liveness.)

A load balancer or orchestrator asks it every few seconds, without a session. Each
check answers ``"ok"`` or a short reason naming what is wrong, never content:

- ``database``: the journal answers a cheap query (its head) within ``TIMEOUT_S``.
- ``schema``: the journal's schema is the one this release writes (``_schema_current``).
- ``map``: the road map is loaded.
- ``timekeeper``: some node, this one or another, holds the timekeeper lease, so
  status-check timers and policies are running somewhere.

200 with ``{"ready": true, "checks": {...}}`` when all pass; 503 with the same body,
``ready`` false and ``failing`` naming the checks that did not, otherwise.
"""

from __future__ import annotations

import logging
from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from tenfour.api.context import Runtime

log = logging.getLogger(__name__)
router = APIRouter()

#: A journal slower than this to answer its head is not ready for traffic.
TIMEOUT_S = 2.0
OK = "ok"


def _database(rt: Runtime) -> str:
    try:
        rt.service.store.head()
    except Exception as error:  # closed, unreachable, locked: not ready, whichever
        log.warning("readiness: the journal did not answer: %s", type(error).__name__)
        return "the journal does not answer"
    return OK


def _schema_current(rt: Runtime) -> str:
    """``ok`` when the journal's database is at the schema version this release needs,
    else where it stands (``tenfour.db.schema``, read only, on a connection of its own)."""
    from tenfour.db.schema import dialect_of, schema_status, sqlite_file

    database = rt.settings.database
    try:
        if dialect_of(database) == "sqlite" and sqlite_file(database) in ("", ":memory:"):
            return OK  # made by the store itself, at the current version; nobody else sees it
        status = schema_status(database)
    except Exception as error:  # SchemaError, or the database went away meanwhile
        log.warning("readiness: the schema version could not be read: %s", type(error).__name__)
        return "the schema version cannot be read"
    return OK if status.ok else f"{status.describe()}: run tenfour db upgrade"


def _map(rt: Runtime) -> str:
    return OK if rt.roads is not None else "no road map is loaded"


def _timekeeper(rt: Runtime) -> str:
    timekeeper = rt.service.timekeeper
    if timekeeper.leading:
        return OK
    try:
        held = timekeeper.lease.held_anywhere()
    except Exception as error:
        log.warning("readiness: the timekeeper lease could not be asked: %s", error)
        held = False
    return OK if held else "no node keeps time (the timekeeper lease is free)"


def checks(rt: Runtime) -> dict[str, str]:
    """Every check, in a fixed order (blocking: run off the event loop)."""
    database = _database(rt)
    return {
        "database": database,
        # No schema to read from a journal that does not answer.
        "schema": _schema_current(rt) if database == OK else "not checked: no database",
        "map": _map(rt),
        "timekeeper": _timekeeper(rt),
    }


@router.get(
    "/api/ready",
    tags=["queries"],
    responses={
        200: {"description": "ready: every check answered ok"},
        503: {"description": "not ready: the checks, and the names of those failing"},
    },
)
async def ready(request: Request) -> JSONResponse:
    """Readiness: 200 when the database, schema, map and timekeeper checks pass, else
    503 naming the failing ones. No session needed; no content in the answer."""
    rt: Runtime = request.app.state.runtime
    state = request.app.state
    slot: anyio.CapacityLimiter | None = getattr(state, "ready_slot", None)
    if slot is None:
        slot = state.ready_slot = anyio.CapacityLimiter(1)
    found = {"database": f"no answer within {TIMEOUT_S:g} s"}
    # Off the loop (the checks wait on the database), one probe at a time, and bounded:
    # a stalled database answers "not ready" in TIMEOUT_S, and probes repeated during
    # the stall wait for the one slot instead of piling up threads.
    with anyio.move_on_after(TIMEOUT_S):
        found = await anyio.to_thread.run_sync(checks, rt, limiter=slot, abandon_on_cancel=True)
    failing = [name for name, result in found.items() if result != OK]
    body: dict[str, Any] = {"ready": not failing, "checks": found}
    if failing:
        body["failing"] = failing
    return JSONResponse(body, status_code=503 if failing else 200)
