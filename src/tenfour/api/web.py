"""The pages (console, MDT, hospital, tip page, login, account, admin) and what only they need
from the server:
the road drawing for the map, responding units' routes with ETAs, the ambulances
coming to a hospital with their drive times, and the vocabulary the command line
completes from.

Pages are static files; who may see one is decided here from the session cookie, so
a page never loads without a session it can use. Every page is sent with a strict
Content-Security-Policy: scripts and styles only from this server, nothing inline,
no outside connection (many dispatch centers have no internet, and a tipster's
browser should talk to nobody else).
"""

from __future__ import annotations

from typing import Annotated, Any, get_args

import numpy as np
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from tenfour.accounts import Account
from tenfour.api.auth import (
    COOKIE,
    CurrentAccount,
    require,
    session_account,
    source_of,
    token_of,
)
from tenfour.api.context import Runtime, runtime
from tenfour.api.errors import ERROR_RESPONSES
from tenfour.api.queries import STAFF, IdPath
from tenfour.domain.commands import Service, SubjectAdd
from tenfour.domain.messages import CANNED
from tenfour.domain.rules import (
    DISPATCHABLE,
    MEMBER_TRANSITIONS,
    PERMISSIONS,
    RESPONDING,
    UNIT_TRANSITIONS,
)
from tenfour.domain.values import MEMBER_STATUSES, UNIT_STATUSES
from tenfour.domain.visibility import TRANSPORTING
from tenfour.geo import GeoError, RoadMap, load_map
from tenfour.web import PAGES_DIR, STATIC_DIR
from tenfour.web.drawing import drawing_of

router = APIRouter()
Rt = Annotated[Runtime, Depends(runtime)]
Staff = Depends(require(*STAFF))

#: Roles that work at a desk (the console); officers get the MDT.
DESK = ("calltaker", "dispatcher", "supervisor", "admin", "analyst")
#: Units whose route to their incident the map draws.
ROUTED = frozenset({"dispatched", "enroute"})
#: Type codes offered by the command line besides those already in use.
COMMON_TYPES = (
    "ALARM",
    "ASSAULT",
    "BURGLARY",
    "CARDIAC",
    "DISTURBANCE",
    "DRUGS",
    "FIRE",
    "MEDICAL",
    "NOISE",
    "PURSUIT",
    "ROBBERY",
    "SHOTS",
    "STRUCTURE_FIRE",
    "SUSPICIOUS",
    "THEFT",
    "TRAFFIC",
    "TRAFFIC_STOP",
    "WELFARE",
)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "geolocation=(self), microphone=(), camera=()",
}


# --- pages -----------------------------------------------------------------------------
def _page(name: str, status_code: int = 200) -> FileResponse:
    return FileResponse(
        PAGES_DIR / f"{name}.html",
        status_code=status_code,
        media_type="text/html",
        headers=PAGE_HEADERS,
    )


def _session(request: Request, rt: Runtime) -> Account | None:
    return session_account(rt, token_of(request))


def _home_of(account: Account) -> str:
    if account.role == "hospital":
        return "/hospital"
    return "/mdt" if account.role == "officer" else "/console"


def _to_login(request: Request, page: str) -> RedirectResponse:
    # A cookie that no longer opens a session: it ended (idle) or was closed elsewhere.
    expired = "&expired=1" if request.cookies.get(COOKIE) else ""
    return RedirectResponse(f"/login?next={page}{expired}", status_code=303)


@router.get("/", include_in_schema=False)
def home(request: Request, rt: Rt) -> Response:
    account = _session(request, rt)
    return RedirectResponse(_home_of(account) if account else "/login", status_code=303)


@router.get("/console", include_in_schema=False)
def console_page(request: Request, rt: Rt) -> Response:
    account = _session(request, rt)
    if account is None:
        return _to_login(request, "/console")
    if account.role not in DESK:
        return RedirectResponse(_home_of(account), status_code=303)
    return _page("console")


@router.get("/mdt", include_in_schema=False)
def mdt_page(request: Request, rt: Rt) -> Response:
    if _session(request, rt) is None:
        return _to_login(request, "/mdt")
    return _page("mdt")


@router.get("/hospital", include_in_schema=False)
def hospital_page(request: Request, rt: Rt) -> Response:
    """A hospital's staff: their facility's status, and the ambulances coming to it."""
    account = _session(request, rt)
    if account is None:
        return _to_login(request, "/hospital")
    if account.role != "hospital":
        return RedirectResponse(_home_of(account), status_code=303)
    return _page("hospital")


@router.get("/account", include_in_schema=False)
def account_page(request: Request, rt: Rt) -> Response:
    """Anyone logged in: who they are, their password, logging out."""
    if _session(request, rt) is None:
        return _to_login(request, "/account")
    return _page("account")


@router.get("/admin", include_in_schema=False)
def admin_page(request: Request, rt: Rt) -> Response:
    """Administrators only; anyone else logged in gets a page saying so (403)."""
    account = _session(request, rt)
    if account is None:
        return _to_login(request, "/admin")
    if account.role != "admin":
        # Journaled as any denied request is (api.auth.require).
        rt.audit("denied", account.username, "denied", source_of(request), "GET /admin needs admin")
        return _page("forbidden", status_code=403)
    return _page("admin")


@router.get("/login", include_in_schema=False)
def login_page() -> Response:
    return _page("login")


@router.get("/tip", include_in_schema=False)
def tip_page() -> Response:
    return _page("tip")


def static_files() -> StaticFiles:
    """The CSS and JavaScript of the pages, to mount at ``/static``."""
    return StaticFiles(directory=STATIC_DIR)


# --- the map ---------------------------------------------------------------------------
class MapBounds(BaseModel):
    south: float
    west: float
    north: float
    east: float


class MapDrawing(BaseModel):
    """The road network as polylines (see ``tenfour.web.drawing.road_lines``)."""

    bounds: MapBounds
    resolution: float = Field(description="degrees per coordinate unit")
    origin: list[float] = Field(description="[lat, lon] the first point of each line is from")
    classes: list[str] = Field(description="road classes (OSM highway=*) lines refer to")
    names: list[str] = Field(description="street names lines refer to")
    lines: list[list[int]] = Field(
        description="[class, name, lat0, lon0, dlat1, dlon1, ...]: the first point from "
        "origin, each next point from the one before, in units of resolution"
    )


def _roads(rt: Runtime) -> RoadMap:
    return rt.roads or load_map(rt.settings.map)


@router.get(
    "/api/map",
    tags=["map"],
    response_model=MapDrawing,
    responses=ERROR_RESPONSES,
    dependencies=[Staff],
)
def get_map(request: Request, rt: Rt) -> Response:
    """The city's roads for the console's map, drawn from the server's own map data."""
    drawing = drawing_of(_roads(rt))
    headers = {"ETag": drawing.etag, "Cache-Control": "private, max-age=3600"}
    if request.headers.get("if-none-match") == drawing.etag:
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        headers["Vary"] = "Accept-Encoding"
        return Response(drawing.gzipped, media_type="application/json", headers=headers)
    return Response(drawing.body, media_type="application/json", headers=headers)


class ClosureDrawing(BaseModel):
    """An active road closure as straight road segments to draw."""

    id: str
    factor: float | None = Field(description="null: closed; else drive time multiplied")
    street: str | None
    reason: str | None
    lines: list[list[float]] = Field(description="[lat1, lon1, lat2, lon2] of each segment")


class ClosuresOut(BaseModel):
    position: int = Field(description="journal position the closures were read at")
    closures: list[ClosureDrawing]


def _segment_lines(roads: RoadMap, segments: list[int]) -> list[list[float]]:
    ids = np.array([s for s in segments if 0 <= s < roads.segment_count], dtype=np.int64)
    if not ids.size:
        return []
    arcs = roads.segment_arcs(ids)
    arc = np.where(arcs[:, 0] >= 0, arcs[:, 0], arcs[:, 1])
    net = roads.network
    a, b = net.arc_from[arc], net.arc_to[arc]
    rows = np.stack([net.lat[a], net.lon[a], net.lat[b], net.lon[b]], axis=1)
    return np.round(rows, 6).tolist()  # type: ignore[no-any-return]


@router.get(
    "/api/closures",
    tags=["map"],
    response_model=ClosuresOut,
    responses=ERROR_RESPONSES,
    dependencies=[Staff],
)
def list_closures(rt: Rt) -> ClosuresOut:
    """The roads closed or slowed now, with the geometry of their segments for the map."""
    with rt.service.locked():
        state = rt.service.state
        active = [c for c in state.closures.values() if c.active]
        position = state.seq
        rows = [(c.id, c.factor, c.street, c.reason, list(c.segments)) for c in active]
    roads = _roads(rt)
    return ClosuresOut(
        position=position,
        closures=[
            ClosureDrawing(
                id=id_,
                factor=factor,
                street=street,
                reason=reason,
                lines=_segment_lines(roads, segments),
            )
            for id_, factor, street, reason, segments in rows
        ],
    )


class RouteOut(BaseModel):
    """A responding unit's fastest road route to its incident, or a transporting
    unit's to the hospital it carries a patient to."""

    unit: str
    incident: str
    status: str
    facility: str | None = Field(
        default=None,
        description="the hospital a transporting unit's route leads to; null: the incident",
    )
    eta_s: float | None = Field(description="drive time in seconds; null with no route")
    distance_m: float | None
    points: list[list[float]] = Field(description="[lat, lon] pairs to draw, unit first")
    streets: list[str]
    error: str | None = Field(default=None, description="why there is no route, if none")


class RoutesOut(BaseModel):
    position: int = Field(description="journal position the routes were computed at")
    routes: list[RouteOut]


#: (unit, incident, status, unit position, destination position, facility or None)
Leg = tuple[str, str, str, Any, Any, str | None]


def _route(
    roads: RoadMap,
    unit: str,
    incident: str,
    status: str,
    at: Any,
    to: Any,
    facility: str | None = None,
) -> RouteOut:
    try:
        found = roads.route((at["lat"], at["lon"]), (to["lat"], to["lon"]))
    except GeoError as problem:
        return RouteOut(
            unit=unit,
            incident=incident,
            status=status,
            facility=facility,
            eta_s=None,
            distance_m=None,
            points=[],
            streets=[],
            error=str(problem),
        )
    return RouteOut(
        unit=unit,
        incident=incident,
        status=status,
        facility=facility,
        eta_s=round(found.eta_s, 1),
        distance_m=round(found.distance_m, 1),
        points=[[round(lat, 6), round(lon, 6)] for lat, lon in found.points],
        streets=list(found.streets),
    )


def _legs(rt: Runtime, only: str | None = None) -> tuple[int, list[Leg]]:
    """(position, legs) of the units on the way somewhere: to their incident
    (dispatched, en route) or carrying a patient to a hospital; read together under
    the service lock."""
    legs = []
    with rt.service.locked():
        state = rt.service.state
        for unit in state.units.values():
            if only is not None and unit.id != only:
                continue
            leg = _leg(state, unit)
            if leg is not None:
                legs.append(leg)
        return state.seq, legs


def _leg(state: Any, unit: Any) -> Leg | None:
    if unit.location is None or unit.incident is None:
        return None
    at = dict(unit.location)
    if unit.status in ROUTED:
        incident = state.incidents.get(unit.incident)
        if incident is None or incident.location.get("lat") is None:
            return None
        return (unit.id, incident.id, unit.status, at, dict(incident.location), None)
    if unit.status == TRANSPORTING and unit.destination:
        facility = state.facilities.get(unit.destination)
        if facility is None:
            return None
        return (unit.id, unit.incident, unit.status, at, dict(facility.location), facility.id)
    return None


@router.get(
    "/api/routes",
    tags=["map"],
    response_model=RoutesOut,
    responses=ERROR_RESPONSES,
    dependencies=[Staff],
)
def list_routes(rt: Rt) -> RoutesOut:
    """The road route and ETA of every unit dispatched or en route to an incident, and
    of every unit carrying a patient to a hospital."""
    position, legs = _legs(rt)
    roads = _roads(rt)
    return RoutesOut(position=position, routes=[_route(roads, *leg) for leg in legs])


@router.get(
    "/api/routes/{unit}",
    tags=["map"],
    response_model=RouteOut,
    responses=ERROR_RESPONSES,
    dependencies=[Staff],
)
def get_route(unit: IdPath, rt: Rt) -> RouteOut:
    """One unit's road route and ETA to the incident it is dispatched or en route to,
    or to the hospital it carries a patient to."""
    _, legs = _legs(rt, only=unit)
    if not legs:
        with rt.service.locked():
            found = rt.service.state.units.get(unit)
            if found is None:
                raise HTTPException(404, f"unknown unit {unit!r}")
            status, incident, located = found.status, found.incident, found.location
            destination = found.destination
        moving = status in ROUTED or (status == TRANSPORTING and destination)
        if not moving or incident is None:
            raise HTTPException(
                409,
                f"unit {unit} is {status}, not on its way to an incident or a hospital: no route",
            )
        if located is None:
            raise HTTPException(409, f"unit {unit} has no known position: no route")
        if status == TRANSPORTING:
            raise HTTPException(409, f"facility {destination} is not on the map: no route")
        raise HTTPException(409, f"incident {incident} has no position on the map: no route")
    return _route(_roads(rt), *legs[0])


class ArrivalOut(BaseModel):
    """An ambulance carrying a patient to the facility: its road drive time from where
    it last reported, and when that was."""

    unit: str
    incident: str | None
    eta_s: float | None = Field(
        description="drive time in seconds from the unit's last position; null with no route"
    )
    distance_m: float | None
    located_at: str | None = Field(description="when the unit reported that position")
    error: str | None = Field(default=None, description="why there is no drive time, if none")


class ArrivalsOut(BaseModel):
    position: int = Field(description="journal position the arrivals were read at")
    facility: str
    arrivals: list[ArrivalOut]


def _arrival(
    roads: RoadMap, unit: str, incident: str | None, at: Any, when: str | None, to: Any
) -> ArrivalOut:
    """``unit``'s drive time from ``at`` (its last position, reported ``when``; None if
    it never reported one) to ``to``: the route the map draws for it."""
    if at is None:
        return ArrivalOut(
            unit=unit,
            incident=incident,
            eta_s=None,
            distance_m=None,
            located_at=when,
            error="no known position",
        )
    route = _route(roads, unit, incident or "", TRANSPORTING, at, to)
    return ArrivalOut(
        unit=unit,
        incident=incident,
        eta_s=route.eta_s,
        distance_m=route.distance_m,
        located_at=when,
        error=route.error,
    )


@router.get(
    "/api/facilities/{facility}/arrivals",
    tags=["map"],
    response_model=ArrivalsOut,
    responses=ERROR_RESPONSES,
)
def list_arrivals(
    facility: IdPath,
    request: Request,
    account: Annotated[Account, Depends(require("hospital", *STAFF))],
    rt: Rt,
) -> ArrivalsOut:
    """The ambulances carrying a patient to a facility, each with its road drive time
    from its last position: what a hospital's page shows as they come. A hospital's
    account reads its own facility's only."""
    if account.role == "hospital" and facility != account.member:
        # Journaled as every denial is (auth.require).
        rt.audit(
            "denied",
            account.username,
            "denied",
            source_of(request),
            f"GET {request.url.path}: another facility's arrivals",
        )
        raise HTTPException(
            403, f"a hospital account reads only its own facility's arrivals ({account.member})"
        )
    with rt.service.locked():
        state = rt.service.state
        found = state.facilities.get(facility)
        if found is None:
            raise HTTPException(404, f"unknown facility {facility!r}")
        to = dict(found.location)
        coming = [
            (u.id, u.incident, None if u.location is None else dict(u.location), u.located_at)
            for u in state.units.values()
            if u.status == TRANSPORTING and u.destination == facility
        ]
        position = state.seq
    roads = _roads(rt)
    return ArrivalsOut(
        position=position,
        facility=facility,
        arrivals=[
            _arrival(roads, unit, incident, at, when, to) for unit, incident, at, when in coming
        ],
    )


# --- the vocabulary ------------------------------------------------------------------
#: The roles subject.add takes, read from the command itself so the two cannot drift.
SUBJECT_ROLES: tuple[str, ...] = get_args(SubjectAdd.model_fields["role"].annotation)


class Vocabulary(BaseModel):
    """What the pages offer and complete: statuses, allowed changes, types, commands."""

    role: str
    commands: list[str] = Field(description="the commands this account's role may issue")
    unit_statuses: list[str]
    unit_transitions: dict[str, list[str]]
    member_statuses: list[str]
    member_transitions: dict[str, list[str]] = Field(
        description="a member's own status changes he may make himself (member.status)"
    )
    subject_roles: list[str] = Field(description="the roles a subject may have (subject.add)")
    responding: list[str] = Field(description="unit statuses counted as responding")
    dispatchable: list[str] = Field(description="unit statuses a unit may be dispatched from")
    incident_types: list[str]
    session_idle_s: float = Field(description="a session ends after this long without use")
    heartbeat_s: float
    canned_messages: dict[str, str] = Field(
        default_factory=dict, description="message.send's canned messages: name -> text"
    )
    services: list[str] = Field(
        default_factory=list, description="hospital services (facility.status, transport.start)"
    )


@router.get("/api/vocabulary", tags=["map"], response_model=Vocabulary, responses=ERROR_RESPONSES)
def vocabulary(account: CurrentAccount, rt: Rt) -> Vocabulary:
    """The words of the console's command line and the MDT's buttons, from the server's
    own rules, so the pages never offer what the server would refuse."""
    with rt.service.locked():
        in_use = {i.type for i in rt.service.state.incidents.values()}
    types = sorted(set(COMMON_TYPES) | set(rt.service.config.type_needs) | in_use)
    return Vocabulary(
        role=account.role,
        commands=sorted(c for c, roles in PERMISSIONS.items() if account.role in roles),
        unit_statuses=list(UNIT_STATUSES),
        unit_transitions={k: list(v) for k, v in UNIT_TRANSITIONS.items()},
        member_statuses=list(MEMBER_STATUSES),
        member_transitions={k: list(v) for k, v in MEMBER_TRANSITIONS.items()},
        subject_roles=list(SUBJECT_ROLES),
        responding=sorted(RESPONDING),
        dispatchable=sorted(DISPATCHABLE),
        incident_types=types,
        session_idle_s=rt.settings.session_idle.total_seconds(),
        heartbeat_s=rt.settings.heartbeat_s,
        canned_messages=dict(CANNED),
        services=list(get_args(Service)),
    )
