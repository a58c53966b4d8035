"""Places for the console: autocomplete suggestions as a call-taker types an address,
one text geocoded with how it was found, and a point described in words.

``GET /api/places/suggest?q=523%20Miss&limit=5`` answers ``{"query": ..., "suggestions":
[{"label", "lat", "lon", "match", "confidence", "ambiguous", "note"?, "extent"?,
"alternatives"?}, ...]}``, best first; ``match`` is how each was found (point,
interpolated, block, intersection, place, street). A bare street is ``ambiguous`` with
its ``extent`` (south, west, north, east): its point is only where to look.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from tenfour.api.auth import require
from tenfour.api.context import Runtime, runtime
from tenfour.api.errors import ERROR_RESPONSES
from tenfour.domain.errors import CommandRejected
from tenfour.geo import GeoError, RoadMap, load_map
from tenfour.geo.geocoding import MAX_QUERY_CHARS

router = APIRouter(prefix="/api/places", tags=["queries"], responses=ERROR_RESPONSES)
# officers search too (MDT on-view incidents)
Staff = Depends(require("officer", "calltaker", "dispatcher", "supervisor", "admin", "analyst"))
Rt = Annotated[Runtime, Depends(runtime)]
Text = Annotated[
    str,
    Query(
        min_length=1, max_length=MAX_QUERY_CHARS, pattern=r"^[^\x00]*\S[^\x00]*$",
        description="the address text as typed so far",
    ),
]  # fmt: skip


def _roads(rt: Runtime) -> RoadMap:
    return rt.roads or load_map(rt.settings.map)


@router.get("/suggest", dependencies=[Staff])
def suggest(rt: Rt, q: Text, limit: Annotated[int, Query(ge=1, le=10)] = 5) -> dict[str, Any]:
    """Up to ``limit`` places ``q`` may become (autocomplete), best first."""
    try:
        found = _roads(rt).suggest(q, limit)
    except GeoError:
        found = []  # nothing to suggest (off the map): the typist goes on typing
    return {"query": q, "suggestions": [f.as_json() for f in found]}


@router.get("/geocode", dependencies=[Staff])
def geocode(rt: Rt, q: Text) -> dict[str, Any]:
    """The best reading of ``q``, with how it was found and its alternatives; 404 with
    the reason when it is nowhere on the map."""
    try:
        return _roads(rt).locate(q).as_json()
    except GeoError as error:  # off the map too: nowhere on it, like an unknown address
        raise CommandRejected.one("q", str(error), "not_found") from None


@router.get("/reverse", dependencies=[Staff])
def reverse(
    rt: Rt,
    lat: Annotated[float, Query(ge=-90, le=90, allow_inf_nan=False)],
    lon: Annotated[float, Query(ge=-180, le=180, allow_inf_nan=False)],
) -> dict[str, Any]:
    """A point in words: "523 Mission Street, near Mission Street & 1st Street"."""
    try:
        return {"label": _roads(rt).describe(lat, lon), "lat": lat, "lon": lon}
    except GeoError as error:
        raise CommandRejected.one("lat", str(error), "not_found") from None
