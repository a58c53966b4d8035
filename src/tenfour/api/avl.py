"""Positions from the devices agencies own, and the device registry for admins.

* ``POST /api/avl/owntracks``: OwnTracks in HTTP mode. Basic auth per device (the
  device id, or ``USER/DEVICE`` from the app's ``X-Limit-U``/``X-Limit-D`` headers,
  and its secret); answers a JSON array (``[]``) as the app expects.
* ``GET|POST /api/avl/osmand``: the OsmAnd / Traccar client protocol (parameters or
  the Traccar client's JSON); an unknown device gets 400, as Traccar answers.
* ``GET /api/avl/stats``, ``GET|POST /api/devices``, ``DELETE /api/devices/{id}``:
  admins only.

A malformed message is answered 400 with the field and reason. A well-formed
position refused for what it says (stale, duplicate, future-dated, out of the area,
a unit off duty) is answered 200 with the reason in ``X-Tenfour-Rejected``: the
device must not retry it, since the same position would be refused again, and its
queue of later positions would wait behind it. Every refusal is counted per device.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Annotated, Any, TypeVar
from urllib.parse import parse_qsl

import anyio
from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from tenfour.accounts import Account
from tenfour.api.auth import require, source_of
from tenfour.api.commands import _one_at_a_time
from tenfour.api.context import Runtime, runtime
from tenfour.api.errors import ERROR_RESPONSES, error_response
from tenfour.domain.errors import Problem
from tenfour.interop import osmand, owntracks
from tenfour.interop.avl import Avl, Fix, Reject
from tenfour.interop.devices import Device, DeviceError, check_device

router = APIRouter(tags=["avl"])
Rt = Annotated[Runtime, Depends(runtime)]
Admin = Annotated[Account, Depends(require("admin"))]
T = TypeVar("T")


def avl_of(request: Request) -> Avl:
    avl: Avl = request.app.state.avl
    return avl


async def _blocking(call: Callable[[], T]) -> T:
    """A registry read or secret check: off the loop, beside the commands' slot."""
    return await anyio.to_thread.run_sync(call)


async def _journal(request: Request, avl: Avl, device: Device, fix: Fix, source: str) -> None:
    """The locate command, in the server's one command slot like every other."""
    await anyio.to_thread.run_sync(
        lambda: avl.ingest(device, fix, source), limiter=_one_at_a_time(request)
    )


def _malformed(reject: Reject, field: str = "body") -> JSONResponse:
    return error_response(400, "invalid", reject.detail, [Problem(field, reject.detail)])


def _refused(reject: Reject, body: Any) -> JSONResponse:
    """Refused for what it says: 200 so the device does not send it again."""
    return JSONResponse(body, headers={"X-Tenfour-Rejected": _header(str(reject))})


def _header(text: str) -> str:
    return (
        text.encode("ascii", "replace").decode("ascii").replace("\r", " ").replace("\n", " ")[:300]
    )


# --- OwnTracks, HTTP mode ---------------------------------------------------------------
@router.post("/api/avl/owntracks", responses=ERROR_RESPONSES)
async def owntracks_http(request: Request) -> Response:
    """One OwnTracks message (or an array of them) from a registered device."""
    avl = avl_of(request)
    credentials = _basic(request)
    if credentials is None:
        avl.count("?", Reject("unauthorized", "no Basic credentials"))
        return _challenge("Basic credentials (device id and secret) required")
    user, secret = credentials
    wanted = [user]
    limit_user, limit_device = request.headers.get("x-limit-u"), request.headers.get("x-limit-d")
    if limit_device:
        wanted.append(f"{limit_user or user}/{limit_device}")

    def find() -> Device:
        for device_id in wanted[:-1]:
            found = avl.devices.get(device_id)
            if found is not None and found.protocol == owntracks.SOURCE:
                avl.authenticate(found, secret)
                return found
        device = avl.device(wanted[-1], owntracks.SOURCE)
        avl.authenticate(device, secret)
        return device

    try:
        device = await _blocking(find)
    except Reject as reject:
        return _challenge(reject.detail)
    try:
        body = owntracks.decode(await request.body())
        messages = body if isinstance(body, list) else [body]
        fixes = [owntracks.parse(message) for message in messages[:100]]
    except Reject as reject:
        avl.count(device.id, reject)
        return _malformed(reject)
    refusals: list[Reject] = []
    for fix in fixes:
        if fix is None:
            continue  # transition, lwt, card, waypoint, status, ...: nothing to move
        try:
            await _journal(request, avl, device, fix, owntracks.SOURCE)
        except Reject as reject:
            refusals.append(reject)
    if refusals:
        return _refused(refusals[0], [])
    return JSONResponse([])


def _basic(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        text = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, colon, secret = text.partition(":")
    return (user, secret) if colon and user else None


def _challenge(reason: str) -> JSONResponse:
    response = error_response(401, "unauthenticated", reason)
    response.headers["WWW-Authenticate"] = 'Basic realm="tenfour-avl"'
    return response


# --- OsmAnd / Traccar -----------------------------------------------------------------
# Not in the OpenAPI document: the OsmAnd protocol is Traccar's, not ours, and it
# answers an unknown device 400 (as Traccar does), which a schema of our own would
# have to call a malformed request. Its tests are tests/api/test_avl.py.
@router.get("/api/avl/osmand", include_in_schema=False)
async def osmand_get(request: Request) -> Response:
    """A position in the OsmAnd protocol, as query parameters: ``id``, ``lat``, ``lon``,
    ``timestamp``, ``speed`` (knots), ``bearing``, ``altitude``, ``accuracy``, ``batt``."""
    return await _osmand(request)


@router.post("/api/avl/osmand", include_in_schema=False)
async def osmand_post(request: Request) -> Response:
    """A position in the OsmAnd protocol as query or form parameters, or the Traccar
    client's JSON body (``{"device_id": ..., "location": {...}}``)."""
    return await _osmand(request)


async def _osmand(request: Request) -> Response:
    avl = avl_of(request)
    now = avl.now()
    raw = await request.body() if request.method == "POST" else b""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if raw and kind == "application/json":
            try:
                body = json.loads(raw)
            except (ValueError, UnicodeDecodeError) as error:
                raise Reject("malformed", f"not JSON: {error}") from None
            device_id, fix = osmand.parse_json(body)
            params: dict[str, str] = {}
        else:
            params = dict(request.query_params)
            if raw:
                try:
                    params.update(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
                except (UnicodeDecodeError, ValueError) as error:
                    raise Reject("malformed", f"form body: {error}") from None
            device_id = osmand.device_of_params(params)
    except Reject as reject:
        avl.count("?", reject)
        return _malformed(reject)
    try:
        device = await _blocking(lambda: avl.device(device_id, osmand.SOURCE))
    except Reject as reject:
        return error_response(400, "unknown_device", reject.detail, [Problem("id", reject.detail)])
    try:
        if params:
            fix = osmand.parse_params(params, now)
    except Reject as reject:
        avl.count(device.id, reject)
        return _malformed(reject)
    try:
        await _journal(request, avl, device, fix, osmand.SOURCE)
    except Reject as reject:
        return _refused(reject, {"accepted": False, **reject.as_json()})
    return JSONResponse({"accepted": True})


# --- admins: registry and counts -----------------------------------------------------
class NewDevice(BaseModel):
    id: str = Field(min_length=1, max_length=100)
    protocol: str = Field(description="owntracks, osmand or nmea")
    unit: str | None = Field(default=None, max_length=64)
    member: str | None = Field(default=None, max_length=64)
    secret: str | None = Field(
        default=None, max_length=200, description="required for owntracks (its HTTP password)"
    )


@router.get("/api/avl/stats", responses=ERROR_RESPONSES)
def avl_stats(request: Request, admin: Admin) -> dict[str, Any]:
    """Positions accepted and refused (per reason), in all and per device, since start."""
    avl = avl_of(request)
    return {**avl.totals(), "devices": avl.stats()}


@router.get("/api/devices", responses=ERROR_RESPONSES)
def list_devices(request: Request, admin: Admin) -> list[dict[str, Any]]:
    """Every registered device with its counts since the server started."""
    avl = avl_of(request)
    stats = avl.stats()
    empty = {"accepted": 0, "rejected": {}, "last_at": None, "last_error": None}
    return [{**d.as_json(), "stats": stats.get(d.id, empty)} for d in avl.devices.list()]


@router.post("/api/devices", status_code=201, responses=ERROR_RESPONSES)
def add_device(body: NewDevice, request: Request, rt: Rt, admin: Admin) -> Any:
    """Register a device for a unit or a member (both must exist in the roster)."""
    avl = avl_of(request)
    try:
        check_device(body.id, body.protocol, body.unit, body.member, body.secret)
        if body.unit is not None and body.unit not in rt.service.state.units:
            raise DeviceError("unit", f"no unit {body.unit!r} in the roster")
        if body.member is not None and body.member not in rt.service.state.members:
            raise DeviceError("member", f"no member {body.member!r} in the roster")
        secret_hash = avl.passwords.hash(body.secret) if body.secret else None
        device = avl.devices.add(
            body.id,
            body.protocol,
            unit=body.unit,
            member=body.member,
            secret_hash=secret_hash,
            now=rt.now(),
        )
    except DeviceError as error:
        status = 409 if "already registered" in error.reason else 422
        code = "conflict" if status == 409 else "invalid"
        return error_response(status, code, str(error), [Problem(error.field, error.reason)])
    rt.audit(
        "account",
        admin.username,
        "device_added",
        source_of(request),
        f"{device.protocol} for {device.target}",
        target=f"device:{device.id}",
    )
    return JSONResponse(device.as_json(), status_code=201)


@router.delete("/api/devices/{device_id:path}", status_code=204, responses=ERROR_RESPONSES)
def remove_device(
    device_id: Annotated[str, Path(min_length=1, max_length=100)],
    request: Request,
    rt: Rt,
    admin: Admin,
) -> Response:
    """Forget a device: its positions are refused from now on."""
    if not avl_of(request).devices.remove(device_id):
        return error_response(404, "not_found", f"no device {device_id!r}")
    rt.audit(
        "account",
        admin.username,
        "device_removed",
        source_of(request),
        None,
        target=f"device:{device_id}",
    )
    return Response(status_code=204)


# --- start and stop with the server -------------------------------------------------
async def start_avl(app: Any, settings: Any, rt: Runtime) -> Callable[[], Any]:
    """Open the device registry and start the feeds ``settings`` asks for (MQTT, NMEA);
    returns the coroutine function that stops them (called by the app's lifespan)."""
    from tenfour.accounts import Passwords
    from tenfour.interop.devices import DeviceStore
    from tenfour.interop.mqtt import MqttFeed
    from tenfour.interop.nmea import NmeaListener

    devices = DeviceStore(settings.database)
    passwords = Passwords.fast() if settings.fast_hashing else Passwords()
    bounds = rt.roads.bounds if rt.roads is not None else None
    avl = app.state.avl = Avl(rt.service, devices, passwords, bounds)
    slot = getattr(app.state, "command_slot", None)
    if slot is None:
        slot = app.state.command_slot = anyio.CapacityLimiter(1)

    async def offload(call: Callable[[], object]) -> object:
        return await anyio.to_thread.run_sync(call, limiter=slot)

    feed = MqttFeed(avl, settings.mqtt) if settings.mqtt else None
    listener = NmeaListener(avl, offload) if settings.nmea_port is not None else None
    app.state.mqtt_feed = feed
    if feed is not None:
        feed.start()
    if listener is not None:
        app.state.nmea_port = await listener.start(settings.nmea_host, settings.nmea_port)

    async def stop() -> None:
        if listener is not None:
            await listener.stop()
        if feed is not None:
            await anyio.to_thread.run_sync(feed.stop)
        devices.close()

    return stop
