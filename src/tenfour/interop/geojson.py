"""GeoJSON (RFC 7946) of the live picture: units and open incidents as FeatureCollections
any GIS can load, in RFC 7946's ``[longitude, latitude]`` order.

A unit without a known position, or logged off, is left out (a map cannot place it);
so is a closed incident. Properties carry what a map labels and colours by, never a
tip or who called: need to know holds for every role that may read the board.
"""

from __future__ import annotations

from typing import Any

from tenfour.domain.state import State


def _point(location: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [location["lon"], location["lat"]]}


def units(state: State) -> dict[str, Any]:
    """On-duty units with a known position."""
    features = []
    for unit in sorted(state.units.values(), key=lambda u: u.id):
        if not unit.logged_on or not unit.location or unit.location.get("lat") is None:
            continue
        features.append(
            {
                "type": "Feature",
                "id": unit.id,
                "geometry": _point(unit.location),
                "properties": {
                    "kind": "unit",
                    "unit": unit.id,
                    "agency": unit.agency,
                    "unit_kind": unit.kind,
                    "status": unit.status,
                    "status_since": unit.status_since,
                    "incident": unit.incident,
                    "located_at": unit.located_at,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def incidents(state: State) -> dict[str, Any]:
    """Open incidents at their location."""
    features = []
    for incident in sorted(state.incidents.values(), key=lambda i: (i.priority, i.created_at)):
        if not incident.open:
            continue
        properties: dict[str, Any] = {
            "kind": "incident",
            "incident": incident.id,
            "type": incident.type,
            "priority": incident.priority,
            "created_at": incident.created_at,
            "units": list(incident.units),
            "source": incident.source,
        }
        if incident.location.get("address"):
            properties["address"] = incident.location["address"]
        features.append(
            {
                "type": "Feature",
                "id": incident.id,
                "geometry": _point(incident.location),
                "properties": properties,
            }
        )
    return {"type": "FeatureCollection", "features": features}


def everything(state: State) -> dict[str, Any]:
    """Units and open incidents in one collection (the live stream's message)."""
    return {
        "type": "FeatureCollection",
        "features": incidents(state)["features"] + units(state)["features"],
    }
