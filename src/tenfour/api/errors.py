"""One error shape for every 4xx: what went wrong, in which field, and why.

``{"error": {"code", "message", "problems": [{"field", "reason", "code", "allowed"?}]}}``
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from tenfour.domain.commands import COMMANDS
from tenfour.domain.errors import CommandRejected, Problem

STATUS = {"invalid": 422, "not_found": 404, "conflict": 409, "transition": 409, "forbidden": 403}


class ProblemOut(BaseModel):
    field: str = Field(description="dotted path of the field at fault, e.g. with.units.1")
    reason: str
    code: str = Field(description="invalid, not_found, conflict, transition or forbidden")
    allowed: list[str] | None = None


class ErrorBody(BaseModel):
    code: str
    message: str
    problems: list[ProblemOut] = Field(default_factory=list)


class ErrorOut(BaseModel):
    """Every 4xx answer has this shape."""

    error: ErrorBody


def error_response(
    status: int, code: str, message: str, problems: Sequence[Problem] = ()
) -> JSONResponse:
    body: dict[str, Any] = {
        "error": {
            "code": code,
            "message": message,
            "problems": [p.as_dict() for p in problems],
        }
    }
    return JSONResponse(body, status_code=status)


def rejected_response(rejected: CommandRejected) -> JSONResponse:
    code = rejected.code
    return error_response(STATUS[code], code, str(rejected), rejected.problems)


async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for item in exc.errors():
        loc = [str(p) for p in item.get("loc", ())]
        # FastAPI prefixes the part of the request: body/query/path/header/cookie;
        # the command union adds its tag (``incident.create``), which the sender
        # already knows: the field is ``with.priority``.
        if len(loc) > 2 and loc[0] == "body" and loc[1] in COMMANDS:
            del loc[1]
        where = loc[0] if loc else "body"
        path = ".".join(loc[1:]) if len(loc) > 1 else where
        problems.append(Problem(path if where == "body" else f"{where}.{path}", str(item["msg"])))
    return error_response(422, "invalid", "; ".join(str(p) for p in problems), problems)


async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "invalid"}.get(
        exc.status_code, "invalid" if exc.status_code < 500 else "error"
    )
    response = error_response(exc.status_code, code, str(exc.detail))
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def on_rejected(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CommandRejected)
    return rejected_response(exc)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": text}
    for status, text in {
        400: "malformed request",
        401: "not logged in, or the session ended",
        403: "the role may not do this",
        404: "no such thing",
        409: "conflicts with the current state (transition not allowed, already done)",
        422: "a field is missing or invalid",
        429: "too many requests from this address",
    }.items()
}
