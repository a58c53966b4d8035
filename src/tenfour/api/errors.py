"""One error shape for every 4xx and 503: what went wrong, in which field, and why.

``{"error": {"code", "message", "problems": [{"field", "reason", "code", "allowed"?}],
"more_problems"?}}``: at most ``MAX_PROBLEMS`` problems are listed; ``more_problems``
says how many more there were (a body of 10,000 unknown keys must not come back as a
10,000-line answer). A database that fails or times out answers 503 in the same
shape with ``Retry-After``, logged loudly; the stores reconnect by themselves.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from tenfour.domain.commands import COMMANDS
from tenfour.domain.errors import CommandRejected, Problem

log = logging.getLogger(__name__)

STATUS = {"invalid": 422, "not_found": 404, "conflict": 409, "transition": 409, "forbidden": 403}
#: Problems listed in one error at most; the rest are counted in ``more_problems``.
MAX_PROBLEMS = 20
#: Seconds a client is asked to wait after a 503 (the stores reconnect meanwhile).
RETRY_AFTER_S = 2


class ProblemOut(BaseModel):
    field: str = Field(description="dotted path of the field at fault, e.g. with.units.1")
    reason: str
    code: str = Field(description="invalid, not_found, conflict, transition or forbidden")
    allowed: list[str] | None = None


class ErrorBody(BaseModel):
    code: str
    message: str
    problems: list[ProblemOut] = Field(default_factory=list)
    more_problems: int | None = Field(
        default=None, description="problems found beyond those listed (at most 20 are)"
    )


class ErrorOut(BaseModel):
    """Every 4xx (and 503) answer has this shape."""

    error: ErrorBody


def error_response(
    status: int,
    code: str,
    message: str,
    problems: Sequence[Problem] = (),
    *,
    total: int | None = None,
) -> JSONResponse:
    """``total``: how many problems there were, when only some were passed."""
    listed = [_bounded(p.as_dict()) for p in problems[:MAX_PROBLEMS]]
    error: dict[str, Any] = {"code": code, "message": message, "problems": listed}
    more = max(len(problems) if total is None else total, len(problems)) - len(listed)
    if more > 0:
        error["more_problems"] = more
        error["message"] = f"{message} (and {more} more problems)"
    return JSONResponse({"error": error}, status_code=status)


def _bounded(problem: dict[str, object]) -> dict[str, object]:
    """A field path is the sender's own key names: never echo megabytes of them."""
    for name, cap in (("field", 200), ("reason", 1000)):
        text = problem[name]
        if isinstance(text, str) and len(text) > cap:
            problem[name] = text[:cap] + "..."
    return problem


def rejected_response(rejected: CommandRejected) -> JSONResponse:
    code = rejected.code
    message = "; ".join(str(p) for p in rejected.problems[:MAX_PROBLEMS])
    return error_response(STATUS[code], code, message or str(rejected), rejected.problems)


async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = []
    errors = exc.errors()
    for item in errors[:MAX_PROBLEMS]:
        loc = [str(p) for p in item.get("loc", ())]
        # FastAPI prefixes the part of the request: body/query/path/header/cookie;
        # the command union adds its tag (``incident.create``), which the sender
        # already knows: the field is ``with.priority``.
        if len(loc) > 2 and loc[0] == "body" and loc[1] in COMMANDS:
            del loc[1]
        where = loc[0] if loc else "body"
        path = ".".join(loc[1:]) if len(loc) > 1 else where
        problems.append(Problem(path if where == "body" else f"{where}.{path}", str(item["msg"])))
    # Only the listed ones are described; the rest are counted.
    message = "; ".join(str(p) for p in problems[:MAX_PROBLEMS])
    return error_response(422, "invalid", message, problems, total=len(errors))


class BodyTooLarge(StarletteHTTPException):
    """A request body over its cap (``tenfour.api.limits``). An HTTPException, so
    FastAPI's body reading passes it on untouched (it wraps anything else in a 400)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, too_large_message(limit))
        self.limit = limit


def too_large_message(limit: int) -> str:
    return f"the request body is larger than this endpoint's limit of {limit:,} bytes"


def too_large_response(limit: int) -> JSONResponse:
    return error_response(
        413, "too_large", too_large_message(limit), [Problem("body", f"at most {limit} bytes")]
    )


async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc, BodyTooLarge):
        return too_large_response(exc.limit)
    code = {
        401: "unauthenticated",
        403: "forbidden",
        404: "not_found",
        405: "invalid",
        413: "too_large",
        429: "rate_limited",
    }.get(exc.status_code, "invalid" if exc.status_code < 500 else "error")
    response = error_response(exc.status_code, code, str(exc.detail))
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def on_rejected(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CommandRejected)
    return rejected_response(exc)


def unavailable_response() -> JSONResponse:
    response = error_response(
        503,
        "unavailable",
        "the database is not answering (failed or timed out); nothing was changed "
        "unless a retry with the same idempotency key says so; try again shortly",
    )
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response


async def on_database_error(request: Request, exc: Exception) -> JSONResponse:
    """A journal or account store failure (lost connection, timeout, lock, disk): 503.
    Logged loudly, with the cause; the stores reconnect on their next use."""
    log.error(
        "DATABASE FAILURE answering %s %s: %s: %s",
        request.method,
        request.url.path,
        type(exc).__name__,
        exc,
        exc_info=exc,
    )
    return unavailable_response()


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": text}
    for status, text in {
        400: "malformed request",
        401: "not logged in, or the session ended",
        403: "the role may not do this",
        404: "no such thing",
        409: "conflicts with the current state (transition not allowed, already done), "
        "or an idempotency key reused for a different command",
        413: "the request body is over its limit",
        422: "a field is missing or invalid",
        429: "too many requests from this address",
        503: "the database failed or timed out; retry after Retry-After seconds",
    }.items()
}
