"""The API's documentation page, under the same Content-Security-Policy as every page.

FastAPI's own /docs and /redoc load Swagger UI and ReDoc from a CDN and start them
with an inline script: both against the pages' policy (scripts only from this
server, nothing inline) and useless in a dispatch center without internet. Here
`/docs` is Swagger UI from the files of the installed `fastapi-offline` package,
started by `/docs/init.js`; `/openapi.json` is FastAPI's as always. Without those
files `/docs` says where the document is instead. ReDoc is not offered: it injects
inline styles, which the policy forbids.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, HTMLResponse, Response

from tenfour.api.web import PAGE_HEADERS

router = APIRouter(include_in_schema=False)

#: The Swagger UI files served, and their types; nothing else from the package.
ASSETS = {"swagger-ui.css": "text/css", "swagger-ui-bundle.js": "text/javascript"}

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Ten-Four CAD - API</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
"""

_NO_ASSETS = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Ten-Four CAD - API</title></head>
<body>
<h1>Ten-Four CAD API</h1>
<p>The API is described by its OpenAPI document: <a href="/openapi.json">/openapi.json</a>.
(Install the <code>fastapi-offline</code> package to browse it here.)</p>
</body>
</html>
"""

_INIT = """// Starts Swagger UI on this server's own OpenAPI document; no outside address at all.
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  layout: "BaseLayout",
});
"""


@cache
def assets_dir() -> Path | None:
    """Where the installed package keeps Swagger UI, or None when it is not installed."""
    spec = importlib.util.find_spec("fastapi_offline")
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "static"
    return folder if all((folder / name).is_file() for name in ASSETS) else None


@router.get("/docs")
def docs_page() -> HTMLResponse:
    page = _PAGE if assets_dir() is not None else _NO_ASSETS
    return HTMLResponse(page, headers=PAGE_HEADERS)


@router.get("/docs/init.js")
def docs_init() -> Response:
    return Response(_INIT, media_type="text/javascript", headers=PAGE_HEADERS)


@router.get("/docs/{name}")
def docs_asset(name: str) -> FileResponse:
    folder = assets_dir()
    if folder is None or name not in ASSETS:
        raise HTTPException(404, f"no documentation file {name!r}")
    return FileResponse(
        folder / name,
        media_type=ASSETS[name],
        headers={**PAGE_HEADERS, "Cache-Control": "public, max-age=86400"},
    )
