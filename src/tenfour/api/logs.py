"""Structured logs: one line per request and per command, as JSON or for a console.

``logging_config("json" | "console")`` (``tenfour serve --log-format``, applied by
uvicorn as it starts) sends every log record of the process (ours, uvicorn's, the
libraries') through structlog's renderer on standard error: JSON lines for a log
pipeline, coloured columns for a person at a terminal; ``configure_logging`` does the
same at once, to any stream (tests). Without either (tests, library use) records go
wherever the standard ``logging`` setup sends them, and nothing is printed on its own.

``RequestLog`` (a pure ASGI middleware) gives each HTTP request an id, an incoming
``X-Request-ID`` if well-formed (a proxy's or a client's, so one request can be
followed across them), else a fresh one; echoes it in the response's ``X-Request-ID``;
binds it to every log line written while the request runs (worker threads included:
they run in a copy of its context); and writes one ``request`` line: method, path
template (``/api/incidents/{incident_id}``, never the raw path with ids or the query),
status and duration. ``log_command`` writes one ``command`` line per command handled:
its type, outcome, rejection code and journal position.

Never logged: bodies, query strings, headers, command payloads, the local variables
of a traceback's frames. Passwords, tokens, secrets and tip text reach no line
written here; ``_redact`` blanks fields of those names should any line carry one.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import sys
import time
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any, TextIO

import msgspec
import structlog
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tenfour.service import Outcome

FORMATS = ("json", "console")
#: ``serve --log-level`` choices, quietest last.
LEVELS = ("debug", "info", "warning", "error")
REQUEST_ID = "x-request-id"
#: An incoming id is kept only if it looks like an id (a UUID, nginx's $request_id,
#: a trace id): anything else would let a client write what it likes into the logs.
_WELL_FORMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
#: Field names whose values never reach a log line.
_SECRET_FIELDS = frozenset(
    {"password", "token", "secret", "authorization", "cookie", "text", "contact"}
)

#: Probes asked every few seconds by monitoring: logged at debug, not info.
QUIET = frozenset({"/api/health", "/api/ready", "/metrics"})
#: What a request's duration and outcome are reported to besides the log (metrics).
RequestObserver = Callable[[str, str, int, float], None]

_requests = logging.getLogger("tenfour.requests")
_command_lines = logging.getLogger("tenfour.commands")
_log = structlog.wrap_logger(
    _requests,
    wrapper_class=structlog.stdlib.BoundLogger,
    processors=[
        structlog.stdlib.filter_by_level,
        structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
    ],
)
_commands = structlog.wrap_logger(
    _command_lines,
    wrapper_class=structlog.stdlib.BoundLogger,
    processors=[
        structlog.stdlib.filter_by_level,
        structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
    ],
)


def default_format(stream: TextIO | None = None) -> str:
    """``console`` for a person at a terminal, ``json`` for everything else."""
    stream = stream if stream is not None else sys.stderr
    isatty = getattr(stream, "isatty", None)
    return "console" if callable(isatty) and isatty() is True else "json"


def _redact(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> Mapping[str, Any]:
    for name in _SECRET_FIELDS.intersection(event):
        event[name] = "[redacted]"
    return event


# Values JSON has no type for are written as their repr (structlog's JSONRenderer does).
_json_line = msgspec.json.Encoder(enc_hook=repr)


def _render_json(_logger: Any, _method: str, event: Mapping[str, Any]) -> str:
    """One JSON object per line. msgspec: about a tenth of ``json.dumps``'s time, on
    two lines per command (bench/RESULTS.md, group commit)."""
    return _json_line.encode(event).decode("utf-8")


def _lean_records() -> None:
    """No renderer here writes a record's thread, process or calling line, so the
    standard library is told not to collect them for each record (its documented
    optimisations, Logging HOWTO): looking up the caller's frame alone cost more
    than rendering a line. Process-wide, like the handler this formatter serves."""
    _set_record_switches((False, False, False, None))


def _record_switches() -> tuple[bool, bool, bool, str | None]:
    return logging.logThreads, logging.logProcesses, logging.logMultiprocessing, logging._srcfile


def _set_record_switches(switches: tuple[bool, bool, bool, str | None]) -> None:
    (logging.logThreads, logging.logProcesses, logging.logMultiprocessing, logging._srcfile) = (
        switches
    )


def formatter(fmt: str) -> logging.Formatter:
    """The formatter rendering every record, structlog's and plain ``logging``'s alike."""
    if fmt not in FORMATS:
        raise ValueError(f"log format {fmt!r}: must be one of {', '.join(FORMATS)}")
    _lean_records()
    renderer: Any
    # Tracebacks without the frames' local variables (structlog shows them by default):
    # a failed login's frame holds the password, a session check's the token.
    if fmt == "json":
        renderer = _render_json
        tracebacks = structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
        tail: list[Any] = [structlog.processors.ExceptionRenderer(tracebacks)]
    else:
        renderer = structlog.dev.ConsoleRenderer(
            exception_formatter=structlog.dev.RichTracebackFormatter(show_locals=False)
        )
        tail = []
    return structlog.stdlib.ProcessorFormatter(
        processors=[
            # The request id of the request being served, on every line it causes.
            structlog.contextvars.merge_contextvars,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            _redact,
            *tail,
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            renderer,
        ],
    )


def logging_config(fmt: str, level: str = "INFO") -> dict[str, Any]:
    """``logging.config.dictConfig`` settings rendering every record in ``fmt`` on
    standard error: what ``serve`` hands uvicorn (``log_config``), which applies them
    as it starts, so its own loggers are set up the same way and nothing is done to
    the process's logging until a server really runs."""
    formatter(fmt)  # a bad format fails here, before uvicorn starts
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"structured": {"()": f"{__name__}.formatter", "fmt": fmt}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "structured",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": level},
        # uvicorn's loggers hand their records to the root's handler.
        "loggers": {
            name: {"handlers": [], "propagate": True}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }


def configure_logging(
    fmt: str, *, level: int = logging.INFO, stream: TextIO | None = None
) -> Callable[[], None]:
    """Render every log record of the process in ``fmt`` on ``stream`` (standard error);
    returns the function that puts the previous setup back (tests)."""
    collected = _record_switches()
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(formatter(fmt))
    root = logging.getLogger()
    before = (root.level, list(root.handlers))
    root.handlers = [handler]
    root.setLevel(level)

    def undo() -> None:
        root.setLevel(before[0])
        root.handlers = before[1]
        _set_record_switches(collected)

    return undo


class _Ids:
    """New request ids: 32 hex digits like a uuid4's, a random half drawn once per
    process and a counter, so ids from this process never repeat and ids from
    different processes (nodes, restarts) repeat only if 64 random bits do. An id
    names a request; it is no secret (it is echoed to the client and into logs)."""

    def __init__(self) -> None:
        self._reseed()
        # A forked child (a process manager's worker) must not repeat its parent's.
        os.register_at_fork(after_in_child=self._reseed)

    def _reseed(self) -> None:
        self._prefix = os.urandom(8).hex()
        self._count = itertools.count(1)

    def new(self) -> str:
        # next() on itertools.count is atomic under the GIL: threads get distinct ids.
        return f"{self._prefix}{next(self._count) & 0xFFFF_FFFF_FFFF_FFFF:016x}"


_ids = _Ids()


def request_id(scope: Scope) -> str:
    """The incoming ``X-Request-ID`` if well-formed, else a new one."""
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = bytes(value).decode("latin-1").strip()
            if _WELL_FORMED.fullmatch(text):
                return text
            break
    return _ids.new()


def route_template(scope: Scope) -> str:
    """The route that answered (``/api/incidents/{incident_id}``), never the raw path:
    ids stay out of logs and metric labels, and the labels stay few."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return "unmatched"
    return f"{path}/{{path}}" if isinstance(route, Mount) else path


class RequestLog:
    """Pure ASGI middleware: request id, one log line per HTTP request, and the
    request's duration handed to ``observe`` (metrics). Add it outermost but one."""

    def __init__(self, app: ASGIApp, observe: RequestObserver | None = None) -> None:
        self.app = app
        self.observe = observe

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id(scope)
        bound = structlog.contextvars.bind_contextvars(request_id=rid)
        started = time.perf_counter()
        status = 500  # unless an answer starts: a crash before one is a 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"x-request-id"]
                headers.append((b"x-request-id", rid.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = route_template(scope)
            method = str(scope.get("method", ""))
            write = _log.debug if route in QUIET else _log.info
            write(
                "request",
                method=method,
                path=route,
                status=status,
                duration_ms=round(seconds * 1000, 2),
            )
            if self.observe is not None:
                self.observe(method, route, status, seconds)
            structlog.contextvars.reset_contextvars(**bound)


def log_command(outcome: Outcome) -> None:
    """One line per command handled (``Service.on_command``): names and codes only."""
    if not _command_lines.isEnabledFor(logging.INFO):
        return  # on the writer thread of every command: not even a bound logger's cost
    _commands.info(
        "command",
        type=outcome.do,
        outcome=outcome.outcome,
        code=outcome.code,
        seq=outcome.seq,
        duration_ms=round(outcome.seconds * 1000, 2),
    )
