"""Headers every HTTP answer carries, whatever produced it (a route, an error handler,
a limit refusing the body, or a crash).

`X-Content-Type-Options: nosniff`: a browser takes each answer for the type it says
it is, so a tip's text or a JSON error is never run as a script or a page.
"""

from __future__ import annotations

import json
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

NOSNIFF = (b"x-content-type-options", b"nosniff")
_CRASH = json.dumps(
    {"error": {"code": "error", "message": "internal server error", "problems": []}}
).encode()


class SecurityHeaders:
    """Pure ASGI middleware (no body buffering); add it last so it is outermost."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                if not any(name.lower() == NOSNIFF[0] for name, _ in headers):
                    headers.append(NOSNIFF)
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            if not started:
                # Answered here, with the header, in the documented shape; re-raised so
                # the server still logs the crash (and sends nothing more).
                await send_with_headers(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(_CRASH)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": _CRASH})
            raise
