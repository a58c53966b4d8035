"""The floors of bench_commit: what the HTTP stack alone costs on this machine, with no
journal and no work, so the group-commit figures can be read against them.

``FLOOR`` selects the app (``uvicorn bench.floor_app:app``, served as ``tenfour serve``
serves: httptools, uvloop when installed, no access log, no proxy headers):

- ``fastapi``: a FastAPI app whose ``POST /api/commands`` takes the same JSON body as
  the product's (validated by a Pydantic model) and answers one small JSON object.
  Nothing is written anywhere. (Not the product's own path: its commands go through
  a pure ASGI lane inside the FastAPI app, past FastAPI's routing; this is what a
  FastAPI route costs.)
- ``asgi``: a bare ASGI callable under uvicorn that reads the body, parses it and
  answers the same object: the interpreter's and the server's own cost per request.

Both answer ``GET /api/health`` (the bench waits on it) and nothing else.
"""

from __future__ import annotations

import json
import os
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field
from starlette.types import Receive, Scope, Send


class _Command(BaseModel):
    do: str
    with_: dict[str, Any] = Field(default_factory=dict, alias="with")


def _fastapi() -> FastAPI:
    made = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @made.get("/api/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @made.post("/api/commands")
    async def commands(command: _Command) -> list[dict[str, Any]]:
        return [{"do": command.do, "unit": command.with_.get("unit")}]

    return made


async def _asgi(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    status = 200
    asked = (scope["method"], scope["path"])
    if asked == ("POST", "/api/commands"):
        command = json.loads(body)
        out = json.dumps([{"do": command["do"], "unit": command["with"].get("unit")}])
    elif asked == ("GET", "/api/health"):
        out = json.dumps({"status": "ok"})
    else:
        status, out = 404, json.dumps({"detail": "Not Found"})
    data = out.encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(data))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


app: Any = _fastapi() if os.environ.get("FLOOR", "fastapi") == "fastapi" else _asgi
