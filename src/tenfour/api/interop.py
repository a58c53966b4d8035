"""Ten-Four in other systems' formats over HTTP: EIDO incident exchange, CAP 1.2
BOLOs and GeoJSON (the formats themselves live in ``tenfour.interop``).

- ``GET /api/incidents/{id}/eido``: the incident as a NENA EIDO document.
- ``POST /api/eido``: an EIDO document from another center becomes an incident here
  (command ``incident.import``, journaled with its origin); 201 with the events.
- ``GET /api/bolos/{id}/cap``: a BOLO as a CAP 1.2 alert (a Cancel once cancelled).
- ``GET /api/bolos/cap``: the active BOLOs as an ATOM feed of CAP alerts.
- ``GET /api/geojson/units`` / ``/api/geojson/incidents``: FeatureCollections.
- ``GET /api/geojson/stream``: Server-Sent Events, one ``features`` event (units and
  open incidents as one FeatureCollection) at once and after every journal change,
  a comment line every ``heartbeat_s`` while idle; it ends when the session does.
  Left out of the OpenAPI document: an endless answer is no operation to fuzz; so is
  ``POST /api/eido`` (see its docstring).

This center's name in EIDO and CAP documents is ``$TENFOUR_CENTER`` if set, else the
host name the request came in on (the name other centers know it by).
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import ValidationError

from tenfour.accounts import Account
from tenfour.api.auth import actor_of, current_account, require, session_account, token_of
from tenfour.api.context import Runtime, runtime
from tenfour.api.errors import ERROR_RESPONSES, rejected_response
from tenfour.api.queries import STAFF
from tenfour.domain.commands import Command, IncidentImport, problems_from_validation
from tenfour.domain.errors import CommandRejected
from tenfour.domain.visibility import sight_of
from tenfour.interop import cap, eido, geojson

router = APIRouter(prefix="/api", tags=["interop"], responses=ERROR_RESPONSES)
Rt = Annotated[Runtime, Depends(runtime)]
StaffAccount = Annotated[Account, Depends(require(*STAFF))]
IdPath = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:@-]*$")
]
XML: dict[int | str, dict[str, Any]] = {
    200: {"description": "a CAP 1.2 document", "content": {cap.MEDIA_TYPE: {}}}
}
ATOM: dict[int | str, dict[str, Any]] = {
    200: {"description": "an ATOM feed of CAP 1.2 alerts", "content": {"application/atom+xml": {}}}
}


def center_of(request: Request) -> str:
    return os.environ.get("TENFOUR_CENTER") or request.url.hostname or "localhost"


# --- EIDO ---------------------------------------------------------------------------------
@router.get("/incidents/{incident}/eido", response_model=dict[str, Any])
def get_eido(incident: IdPath, request: Request, rt: Rt, account: StaffAccount) -> Any:
    """The incident as a NENA EIDO (STA-021) JSON document, for another center."""
    sight = sight_of(account.role)
    with rt.service.locked():
        state = rt.service.state
        if incident not in state.incidents:
            raise HTTPException(404, f"unknown incident {incident!r}")
        timeline = [e for e in rt.service.timelines.of(incident) if sight.sees(e["type"])]
        return eido.export_incident(
            state, incident, timeline, center_of(request), rt.now().isoformat()
        )


@router.post("/eido", status_code=201, include_in_schema=False)
async def post_eido(request: Request, rt: Rt) -> Any:
    """Import an EIDO (NENA-STA-021) JSON document from another center as a new
    incident here (command ``incident.import``: dispatcher, supervisor, admin), 201
    with its events. A document naming an incident already imported is refused (409);
    a field that cannot be used is named with the reason (422).

    Left out of the OpenAPI document (README documents it): whether a document can be
    imported (a location this map can place, references that resolve) is more than a
    JSON schema can say, so the document could promise no body a 201."""
    account = await anyio.to_thread.run_sync(current_account, request, rt)  # 401 first
    raw = await request.body()  # capped by api.limits (413 beyond max_body_bytes)
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return rejected_response(CommandRejected.one("body", f"not a JSON document ({error})"))
    return await anyio.to_thread.run_sync(_import, rt, account, document)


def _import(rt: Runtime, account: Account, document: Any) -> JSONResponse:
    try:
        payload = eido.import_payload(document)
        try:
            model = IncidentImport.model_validate(payload)
        except ValidationError as error:  # a value the document had, out of range
            raise CommandRejected(problems_from_validation(error, "with")) from None
        handled = rt.service.handle(Command("incident.import", model, actor_of(account)))
    except CommandRejected as rejected:
        return rejected_response(rejected)
    events = [e.to_json() for e in handled.events]
    return JSONResponse({"incident": events[0]["incident"], "events": events}, status_code=201)


# --- CAP ----------------------------------------------------------------------------------
@router.get("/bolos/cap", response_class=Response, responses=ATOM)
def get_bolo_feed(request: Request, rt: Rt, account: StaffAccount) -> Response:
    """Active BOLOs (not cancelled, not expired) as an ATOM feed of CAP 1.2 alerts."""
    now = rt.now()
    with rt.service.locked():
        state = rt.service.state
        text = cap.feed(
            cap.active_bolos(state, now), state, center_of(request), now, str(request.url)
        )
    return Response(text, media_type="application/atom+xml")


@router.get("/bolos/{bolo}/cap", response_class=Response, responses=XML)
def get_bolo_cap(bolo: IdPath, request: Request, rt: Rt, account: StaffAccount) -> Response:
    """One BOLO as a CAP 1.2 alert; a cancelled one as a CAP Cancel referencing it."""
    with rt.service.locked():
        state = rt.service.state
        found = state.bolos.get(bolo)
        if found is None:
            raise HTTPException(404, f"unknown bolo {bolo!r}")
        text = cap.bolo_alert(found, state, center_of(request))
    return Response(text, media_type=cap.MEDIA_TYPE)


# --- GeoJSON ------------------------------------------------------------------------------
GEOJSON = "application/geo+json"
GEO_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"description": "a GeoJSON FeatureCollection", "content": {GEOJSON: {}}}
}


@router.get("/geojson/units", response_class=Response, responses=GEO_RESPONSE)
def get_geojson_units(rt: Rt, account: StaffAccount) -> Response:
    """On-duty units with a known position (RFC 7946: coordinates are [lon, lat])."""
    with rt.service.locked():
        collection = geojson.units(rt.service.state)
    return Response(json.dumps(collection), media_type=GEOJSON)


@router.get("/geojson/incidents", response_class=Response, responses=GEO_RESPONSE)
def get_geojson_incidents(rt: Rt, account: StaffAccount) -> Response:
    """Open incidents at their location (RFC 7946: coordinates are [lon, lat])."""
    with rt.service.locked():
        collection = geojson.incidents(rt.service.state)
    return Response(json.dumps(collection), media_type=GEOJSON)


#: How often the stream looks for a change in the journal's position.
POLL_S = 0.25


@router.get("/geojson/stream", include_in_schema=False)
async def get_geojson_stream(request: Request, rt: Rt) -> StreamingResponse:
    account = await anyio.to_thread.run_sync(current_account, request, rt)
    if account.role not in STAFF:
        raise HTTPException(403, f"role {account.role} may not read the map")
    token = token_of(request)
    return StreamingResponse(
        _stream(request, rt, token),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _stream(request: Request, rt: Runtime, token: str | None) -> AsyncIterator[str]:
    heartbeat = rt.settings.heartbeat_s
    sent_at, idle = -1, 0.0
    while not await request.is_disconnected():
        position = rt.service.state.seq
        if position != sent_at:
            sent_at, idle = position, 0.0
            collection = await anyio.to_thread.run_sync(_collection, rt)
            yield f"id: {position}\nevent: features\ndata: {json.dumps(collection)}\n\n"
        elif idle >= heartbeat:
            idle = 0.0
            live = await anyio.to_thread.run_sync(session_account, rt, token)
            if live is None:
                yield "event: end\ndata: the session ended\n\n"
                return
            yield f": position {position}\n\n"
        await asyncio.sleep(POLL_S)
        idle += POLL_S


def _collection(rt: Runtime) -> dict[str, Any]:
    with rt.service.locked():
        return geojson.everything(rt.service.state)
