"""How SFFD's words become Ten-Four's: incident types, priorities, unit kinds, stations.

Incident types: the DataSF "Call Type" as an upper-case code (``Medical Incident`` ->
``MEDICAL``, ``Structure Fire`` -> ``STRUCTURE_FIRE``, ...; see ``TYPE_CODES``; any
other type gets its words joined by ``_``).

Priorities (Ten-Four: 1 highest .. 5): from ``Final Priority``, else ``Priority``,
else ``Original Priority``. SFFD codes: ``3`` and ``E`` are Code 3 (lights and
siren): priority 1 for potentially life-threatening and fire calls, 2 for the other
Code 3 calls (alarms, non-life-threatening); ``A`` (older ALS code) -> 2; ``2`` and
``B`` (Code 2, non-emergency) -> 3; ``C`` and ``1`` -> 4; ``I`` or unknown -> 5.

Unit kinds: from "Unit Type" (``ENGINE`` -> ``engine``, ``MEDIC`` -> ``ambulance-als``,
``PRIVATE`` -> ``ambulance-bls``, ...), else from the unit id's prefix (E, T, B/D,
digits, AM/KM, RS, RC).
"""

from __future__ import annotations

import re

TYPE_CODES: dict[str, str] = {
    "Medical Incident": "MEDICAL",
    "Structure Fire": "STRUCTURE_FIRE",
    "Alarms": "ALARM",
    "Outside Fire": "OUTSIDE_FIRE",
    "Vehicle Fire": "VEHICLE_FIRE",
    "Traffic Collision": "TRAFFIC_COLLISION",
    "Citizen Assist / Service Call": "SERVICE_CALL",
    "Water Rescue": "WATER_RESCUE",
    "Elevator / Escalator Rescue": "ELEVATOR_RESCUE",
    "Gas Leak (Natural and LP Gases)": "GAS_LEAK",
    "Electrical Hazard": "ELECTRICAL_HAZARD",
    "Odor (Strange / Unknown)": "ODOR",
    "Smoke Investigation (Outside)": "SMOKE_INVESTIGATION",
    "Confined Space / Structure Collapse": "COLLAPSE",
    "Industrial Accidents": "INDUSTRIAL_ACCIDENT",
    "Fuel Spill": "FUEL_SPILL",
    "HazMat": "HAZMAT",
    "Other": "OTHER",
}

#: Call type groups whose Code 3 calls are priority 1.
URGENT_GROUPS = frozenset({"Potentially Life-Threatening", "Fire"})
_FIRE_TYPES = frozenset({"STRUCTURE_FIRE", "OUTSIDE_FIRE", "VEHICLE_FIRE"})

UNIT_KINDS: dict[str, str] = {
    "ENGINE": "engine",
    "TRUCK": "truck",
    "CHIEF": "chief",
    "MEDIC": "ambulance-als",
    "PRIVATE": "ambulance-bls",
    "RESCUE CAPTAIN": "rescue-captain",
    "RESCUE SQUAD": "rescue-squad",
    "SUPPORT": "support",
    "AIRPORT": "airport",
    "INVESTIGATION": "investigation",
}
_PREFIX_KINDS: tuple[tuple[str, str], ...] = (
    (r"^E\d+$", "engine"),
    (r"^T\d+$", "truck"),
    (r"^[BD]\d+$", "chief"),
    (r"^\d+$", "ambulance-als"),
    (r"^(AM|KM|SJ|BS|PT)\d+$", "ambulance-bls"),
    (r"^RS\d+$", "rescue-squad"),
    (r"^RC\d+$", "rescue-captain"),
)
_STATION_UNIT = re.compile(r"^[ET](\d+)$")
_PRIVATE = re.compile(r"^([A-Z]+)\d+$")


def type_code(call_type: str) -> str:
    """Ten-Four's incident type code for a DataSF call type."""
    known = TYPE_CODES.get(call_type.strip())
    if known:
        return known
    words = re.findall(r"[A-Za-z0-9]+", call_type.upper())
    return "_".join(words)[:40] or "OTHER"


def priority(codes: tuple[str, str, str], call_type: str, group: str) -> int:
    """Ten-Four priority from (final, priority, original) SFFD codes; see the module."""
    code = next((c.strip().upper() for c in codes if c.strip()), "")
    if code in ("3", "E"):
        urgent = group in URGENT_GROUPS or type_code(call_type) in _FIRE_TYPES
        return 1 if urgent else 2
    return {"A": 2, "2": 3, "B": 3, "C": 4, "1": 4}.get(code, 5)


def unit_kind(unit_id: str, unit_type: str) -> str:
    """Ten-Four unit kind from the "Unit Type" column, else from the id's prefix."""
    kind = UNIT_KINDS.get(unit_type.strip().upper())
    if kind:
        return kind
    for pattern, by_prefix in _PREFIX_KINDS:
        if re.match(pattern, unit_id):
            return by_prefix
    return "support"


def station_of(unit_id: str) -> int | None:
    """The station an engine or truck lives at (E39, T03 -> 39, 3); None for others."""
    match = _STATION_UNIT.match(unit_id)
    return int(match.group(1)) if match else None


def agency_of(unit_id: str, kind: str) -> str:
    """SFFD for department units; private ambulances by their id prefix (PVT-AM, ...)."""
    if kind == "ambulance-bls":
        match = _PRIVATE.match(unit_id)
        return f"PVT-{match.group(1)}" if match else "PVT"
    return "SFFD"
