"""NENA EIDO (NENA-STA-021, JSON): an incident exported for another center, and an
EIDO document from another center turned into an ``incident.import`` command.

Export follows the mappings of DOMAIN.md "Mapping to standards": priority 1..5 is
``incidentCommonPriorityNumber`` 10, 8, 6, 4, 2; a unit's status is an EIDO primary
status (Available / NotAvailable) plus a secondary one; incident type codes are
already APCO common incident types where one fits. Locations go by value as PIDF-LO
(RFC 4119 / RFC 5491: a GML point in WGS84, "lat lon" order), the address as text.

Import reads only what Ten-Four can keep: the type, priority and location of the
incident, the people it names (with their roles, the notes about them and how to
call them back) and its notes; the rest of the document stays in the sender's
journal. Every refusal names the document field and the reason, so the sender's
staff can fix the document.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from typing import Any

from tenfour.domain.errors import CommandRejected, Problem
from tenfour.domain.state import Incident, State

EIDO_VERSION = "1.0"
CONTEXT = {"@vocab": "./JSON-LD_Contexts/EmergencyIncidentDataObjectType.jsonld"}

#: Ten-Four priority (1 highest) -> EIDO incidentCommonPriorityNumber (DOMAIN.md).
PRIORITY_TO_EIDO = {1: 10, 2: 8, 3: 6, 4: 4, 5: 2}

#: Ten-Four unit status -> EIDO primary and secondary unit status (DOMAIN.md).
UNIT_STATUS: dict[str, tuple[str, list[str]]] = {
    "available": ("Available", []),
    "dispatched": ("NotAvailable", ["Dispatched"]),
    "enroute": ("NotAvailable", ["EnRoute"]),
    "onscene": ("NotAvailable", ["OnScene"]),
    # A pursuit starts from the scene; EIDO has no secondary status of its own for it
    # (unitStatusInternal keeps "pursuit").
    "pursuit": ("NotAvailable", ["OnScene"]),
    "transporting": ("NotAvailable", ["Transporting"]),
    "athospital": ("NotAvailable", ["Hospital"]),
    "busy": ("NotAvailable", []),
    "outofservice": ("NotAvailable", ["OutofService"]),
    "offduty": ("NotAvailable", ["OutofService"]),
}

#: Subject role <-> EIDO person role registry text.
ROLE_TO_EIDO = {
    "suspect": "Suspect",
    "victim": "Victim",
    "witness": "Witness",
    "patient": "Patient",
    "officer": "Responder",
    "other": "Other",
}
_ROLE_FROM_EIDO = {v.lower(): k for k, v in ROLE_TO_EIDO.items()}

AGENCY_TYPE = {"police": "Law", "fire": "Fire", "ems": "EMS"}

PIDF = "urn:ietf:params:xml:ns:pidf"
GP = "urn:ietf:params:xml:ns:pidf:geopriv10"
DM = "urn:ietf:params:xml:ns:pidf:data-model"
GML = "http://www.opengis.net/gml"
CIVIC = "urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr"
for _prefix, _uri in (("pidf", PIDF), ("gp", GP), ("dm", DM), ("gml", GML)):
    ET.register_namespace(_prefix, _uri)


# --- export ---------------------------------------------------------------------------
def incident_urn(incident: str, center: str) -> str:
    return f"urn:emergency:uid:incidentid:{incident}:{center}"


def pidf_lo(entity: str, lat: float, lon: float, at: str) -> str:
    """A PIDF-LO presence document holding one WGS84 point."""
    presence = ET.Element(f"{{{PIDF}}}presence", {"entity": entity})
    device = ET.SubElement(presence, f"{{{DM}}}device", {"id": "location"})
    geopriv = ET.SubElement(device, f"{{{GP}}}geopriv")
    info = ET.SubElement(geopriv, f"{{{GP}}}location-info")
    point = ET.SubElement(info, f"{{{GML}}}Point", {"srsName": "urn:ogc:def:crs:EPSG::4326"})
    ET.SubElement(point, f"{{{GML}}}pos").text = f"{lat} {lon}"
    ET.SubElement(geopriv, f"{{{GP}}}method").text = "Manual"
    ET.SubElement(device, f"{{{DM}}}timestamp").text = at
    return ET.tostring(presence, encoding="unicode")


class _Document:
    """Collects the components of one EIDO document, each with its prologue."""

    def __init__(self, center: str, now: str) -> None:
        self.center, self.now = center, now
        self.components: dict[str, list[dict[str, Any]]] = {}
        self._ids: set[str] = set()

    def has(self, id_: str) -> bool:
        return id_ in self._ids

    def id(self, kind: str, key: str) -> str:
        return f"urn:tenfour:{self.center}:{kind}:{key}"

    def add(
        self, name: str, id_: str, body: dict[str, Any], at: str | None = None
    ) -> dict[str, Any]:
        component = {
            "$id": id_,
            "lastUpdateTimeStamp": at or self.now,
            "updatedByAgencyReference": {"$ref": self.center},
            **body,
        }
        if id_ not in self._ids:
            self._ids.add(id_)
            self.components.setdefault(name, []).append(component)
        return {"$ref": id_}

    def note(self, key: str, text: str, at: str | None = None) -> dict[str, Any]:
        return self.add(
            "notesComponent",
            self.id("note", key),
            {"notesActionComments": html.escape(text)},
            at,
        )

    def location(self, key: str, point: Mapping[str, Any], kind: str, at: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "locationTypeDescriptionRegistryText": kind,
            "locationByValue": pidf_lo(f"pres:{key}@{self.center}", point["lat"], point["lon"], at),
        }
        if point.get("address"):
            body["locationDescriptionText"] = str(point["address"])
        return self.add("locationComponent", self.id("location", key), body, at)


def export_incident(
    state: State, incident_id: str, timeline: Sequence[Mapping[str, Any]], center: str, now: str
) -> dict[str, Any]:
    """The EIDO document of one incident, as this center (``center``, a domain name)
    knows it at ``now``. ``timeline`` is the incident's journaled events (notes,
    dispatches) as ``views.timeline.Timelines.of`` gives them."""
    incident = state.incidents[incident_id]
    doc = _Document(center, now)
    doc.add(
        "agencyComponent",
        center,
        {
            "agencyRoleDescriptionRegistryText": ["CallReceiving", "Dispatching"],
            "agencyType": ["psap"],
            "incidentOwningAgencyIndicator": True,
        },
    )
    notes = []
    for n, entry in enumerate(timeline):
        data = entry["data"]
        said = entry["type"] == "incident.noted" or entry["type"] == "incident.created"
        if said and data.get("text"):
            notes.append(doc.note(f"{incident.id}-{n}", str(data["text"]), entry["at"]))
    here = doc.location(incident.id, incident.location, "Incident", incident.created_at)
    calls = [_call(doc, state, call_id) for call_id in incident.calls if call_id in state.calls]
    for call in calls:
        doc.components.setdefault("callComponent", []).append(call)
    persons = [_person(doc, state, subject) for subject in incident.subjects]
    units = _units_of(incident, timeline, state)
    for unit_id in units:
        _resource(doc, state, unit_id, incident, center)
    body: dict[str, Any] = {
        "incidentTypeCommonRegistryText": incident.type,
        "incidentTypeInternalCode": incident.type,
        "incidentStatusCommonRegistryText": ["Closed" if incident.status == "closed" else "Open"],
        "incidentStatusInternalText": [incident.status],
        "internalIncidentId": incident.id,
        "incidentCommonPriorityNumber": PRIORITY_TO_EIDO[incident.priority],
        "incidentPriorityInternalText": str(incident.priority),
        "locationReference": [here],
    }
    if persons:
        body["personReference"] = persons
    vehicles = [{"$ref": doc.id("vehicle", u)} for u in units if doc.id("vehicle", u) in doc._ids]
    if vehicles:
        body["vehicleReference"] = vehicles
    if notes:
        body["notesReference"] = notes
    if incident.disposition:
        body["dispositionComponent"] = [
            {
                "$id": doc.id("disposition", incident.id),
                "lastUpdateTimeStamp": incident.closed_at or now,
                "updatedByAgencyReference": {"$ref": center},
                "dispositionCommonRegistryCode": incident.disposition,
                "dispositionPrimaryIndicator": True,
            }
        ]
    urn = incident_urn(incident.id, center)
    out: dict[str, Any] = {
        "$id": urn,
        "lastUpdateTimeStamp": now,
        "updatedByAgencyReference": {"$ref": center},
        "eidoVersion": EIDO_VERSION,
        "issuingElementIdentification": center,
        "incidentComponent": {
            "$id": urn,
            "lastUpdateTimeStamp": now,
            "updatedByAgencyReference": {"$ref": center},
            **body,
        },
    }
    out.update(doc.components)
    out["@context"] = CONTEXT
    return out


def _call(doc: _Document, state: State, call_id: str) -> dict[str, Any]:
    call = state.calls[call_id]
    return {
        "$id": f"urn:emergency:uid:callid:{call.id}:{doc.center}",
        "lastUpdateTimeStamp": call.received_at,
        "updatedByAgencyReference": {"$ref": doc.center},
        "standardPrimaryCallType": "emergency" if call.source == "911" else "nonEmergency",
        "localCallType": call.source,
        "direction": "incoming",
        "callStartTimestamp": call.received_at,
        "callStateRegistryText": "callEnded",
        "locationReference": [doc.location(call.id, call.location, "Caller", call.received_at)],
        "notesReference": [doc.note(call.id, call.text, call.received_at)],
    }


def _person(doc: _Document, state: State, subject_id: str) -> dict[str, Any]:
    subject = state.subjects[subject_id]
    body: dict[str, Any] = {"personIncidentRoleRegistryText": [ROLE_TO_EIDO[subject.role]]}
    text = subject.description
    if subject.member and subject.member in state.members:
        text = text or state.members[subject.member].name
    if text:
        body["notesReference"] = [doc.note(subject.id, text)]
    return doc.add("personComponent", doc.id("person", subject.id), body)


def _units_of(incident: Incident, timeline: Sequence[Mapping[str, Any]], state: State) -> list[str]:
    """Units on the incident now, then those the journal says worked it before."""
    seen = list(incident.units)
    for entry in timeline:
        unit = entry["data"].get("unit")
        if entry["type"] == "unit.dispatched" and unit in state.units and unit not in seen:
            seen.append(unit)
    return seen


def _resource(doc: _Document, state: State, unit_id: str, incident: Incident, center: str) -> None:
    unit = state.units[unit_id]
    primary, secondary = UNIT_STATUS.get(unit.status, ("NotAvailable", []))
    agency = state.agencies.get(unit.agency)
    agency_ref = doc.add(
        "agencyComponent",
        doc.id("agency", unit.agency),
        {
            "agencyRoleDescriptionRegistryText": ["Responding"],
            "agencyType": [AGENCY_TYPE.get(agency.kind, agency.kind) if agency else "Other"],
        },
    )
    agents = []
    for member_id in unit.members:
        agents.append(
            doc.add(
                "agentComponent",
                doc.id("agent", member_id),
                {"agentRoleRegistryText": ["Responder"], "agencyReference": agency_ref},
            )
        )
    body: dict[str, Any] = {
        "emergencyResourceTypeCommonRegistryText": unit.kind,
        "emergencyResourceTypeInternalText": unit.kind,
        "emergencyResourceName": unit.id,
        "resourceAttributeRegistryText": [],
        "primaryUnitStatusRegistryText": primary,
        "secondaryUnitStatusRegistryText": secondary,
        "unitStatusInternal": [unit.status],
        "agentReference": agents,
    }
    if unit.location:
        body["unitLocationReference"] = doc.location(
            unit.id, unit.location, "Unit", unit.located_at or doc.now
        )
    if unit.incident == incident.id:
        body["activeOnIncidentId"] = incident_urn(incident.id, center)
    if unit.vehicle:
        vehicle = doc.add(
            "vehicleComponent",
            doc.id("vehicle", unit.id),
            {
                "vehicleRelationshipType": ["EmergencyResource"],
                "vehicleRelationshipTimeStamp": unit.status_since or doc.now,
                "notesReference": [doc.note(f"vehicle-{unit.id}", f"vehicle {unit.vehicle}")],
            },
        )
        body["vehicleReference"] = [vehicle]
    doc.add("emergencyResourceComponent", doc.id("unit", unit.id), body, unit.status_since)


# --- import -----------------------------------------------------------------------------
class _Problems:
    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, field_: str, reason: str) -> None:
        self.items.append(Problem(field_, reason))


def _list(doc: Mapping[str, Any], name: str, problems: _Problems) -> list[Mapping[str, Any]]:
    value = doc.get(name, [])
    if not isinstance(value, list):
        problems.add(name, "must be an array of components")
        return []
    out = []
    for n, item in enumerate(value):
        if not isinstance(item, Mapping):
            problems.add(f"{name}.{n}", "must be an object")
        else:
            out.append(item)
    return out


def _refs(component: Mapping[str, Any], name: str, where: str, problems: _Problems) -> list[str]:
    value = component.get(name, [])
    if isinstance(value, Mapping):  # some references are single, not arrays
        value = [value]
    if not isinstance(value, list):
        problems.add(f"{where}.{name}", "must be an array of {$ref} objects")
        return []
    out = []
    for n, ref in enumerate(value):
        if not isinstance(ref, Mapping) or not isinstance(ref.get("$ref"), str):
            problems.add(f"{where}.{name}.{n}", "must be an object with a string $ref")
        else:
            out.append(ref["$ref"])
    return out


def _text(value: object) -> str:
    """HTML5 notes as plain text: tags dropped, entities decoded, spaces folded."""
    return " ".join(html.unescape(re.sub(r"<[^>]*>", " ", str(value))).split())


def parse_location(xml_text: str) -> dict[str, Any]:
    """A PIDF-LO document's point (``lat``/``lon``) and civic address (``address``)."""
    try:
        root = ET.fromstring(xml_text.strip())
    except ET.ParseError as error:
        raise ValueError(f"not well-formed PIDF-LO XML ({error})") from None
    found: dict[str, Any] = {}
    for pos in root.iter(f"{{{GML}}}pos"):
        parts = (pos.text or "").split()
        try:
            lat, lon = float(parts[0]), float(parts[1])
        except (IndexError, ValueError):
            raise ValueError(f"gml:pos {pos.text!r} is not 'latitude longitude'") from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValueError(f"gml:pos {pos.text!r} is outside WGS84 latitude/longitude")
        found.update(lat=lat, lon=lon)
        break
    for civic in root.iter(f"{{{CIVIC}}}civicAddress"):
        parts_by_name = {child.tag.split("}")[-1]: (child.text or "").strip() for child in civic}
        street = " ".join(
            parts_by_name[k]
            for k in ("HNO", "HNS", "PRD", "RD", "STS", "POD")
            if parts_by_name.get(k)
        )
        rest = [parts_by_name[k] for k in ("A3", "A1", "PC", "country") if parts_by_name.get(k)]
        address = ", ".join(p for p in (street, *rest) if p)
        if address:
            found["address"] = address
        break
    if not found:
        raise ValueError("holds neither a gml:pos point nor a civicAddress")
    return found


def _type_code(value: str) -> str:
    code = re.sub(r"[^A-Za-z0-9_-]+", "_", value.strip()).strip("_").upper()[:40]
    return code or "TRANSFER"


def priority_from_eido(number: int) -> int:
    """EIDO's 1..10 (10 the highest) onto Ten-Four's 1..5, the inverse of the export."""
    for priority, floor in ((1, 9), (2, 7), (3, 5), (4, 3)):
        if number >= floor:
            return priority
    return 5


_CALL_PRIORITY = {"highest": 1, "high": 2, "normal": 3, "low": 4, "lowest": 5}


def import_payload(document: object) -> dict[str, Any]:
    """The ``incident.import`` payload for an EIDO document, or ``CommandRejected``
    whose problems name each document field at fault (``incidentComponent.…``)."""
    problems = _Problems()
    if not isinstance(document, Mapping):
        raise CommandRejected.one("body", "an EIDO document must be a JSON object")
    doc_id = document.get("$id")
    if not isinstance(doc_id, str) or not doc_id:
        problems.add("$id", "required: the document's globally unique id (a string)")
    version = document.get("eidoVersion")
    if version != EIDO_VERSION:
        problems.add("eidoVersion", f"must be {EIDO_VERSION!r}, got {version!r}")
    center = _center_of(document, problems)
    incident = document.get("incidentComponent", {})
    if not isinstance(incident, Mapping):
        problems.add("incidentComponent", "must be an object")
        incident = {}
    by_id: dict[str, tuple[str, Mapping[str, Any]]] = {}
    for name in ("locationComponent", "personComponent", "notesComponent", "callbackComponent"):
        for n, item in enumerate(_list(document, name, problems)):
            if isinstance(item.get("$id"), str):
                by_id[item["$id"]] = (f"{name}.{n}", item)
    calls = _list(document, "callComponent", problems)

    type_ = _incident_type(incident, calls, problems)
    priority = _priority(incident, calls, problems)
    location = _incident_location(document, incident, calls, by_id, problems)
    notes = [
        _note(by_id, ref, problems)
        for ref in _refs(incident, "notesReference", "incidentComponent", problems)
    ]
    for n, call in enumerate(calls):
        for ref in _refs(call, "notesReference", f"callComponent.{n}", problems):
            notes.append(_note(by_id, ref, problems))
    subjects = []
    for n, person in enumerate(_list(document, "personComponent", problems)):
        subjects.append(_subject(person, f"personComponent.{n}", by_id, problems))
    if problems.items:
        raise CommandRejected(problems.items)
    origin: dict[str, Any] = {"center": center, "document": doc_id}
    incident_id = incident.get("$id") if isinstance(incident.get("$id"), str) else doc_id
    origin["incident"] = incident_id
    payload: dict[str, Any] = {
        "type": type_,
        "priority": priority,
        "location": location,
        "origin": {k: v[:300] for k, v in origin.items() if isinstance(v, str) and v},
        "subjects": subjects[:50],
        "notes": [n[:5000] for n in notes if n][:100],
    }
    return payload


def _center_of(document: Mapping[str, Any], problems: _Problems) -> str:
    """The sending center: the agency owning the incident, else the one that updated it."""
    agencies = document.get("agencyComponent")
    if isinstance(agencies, list):
        for agency in agencies:
            if (
                isinstance(agency, Mapping)
                and agency.get("incidentOwningAgencyIndicator") is True
                and isinstance(agency.get("$id"), str)
            ):
                return str(agency["$id"])
    ref = document.get("updatedByAgencyReference")
    if isinstance(ref, Mapping) and isinstance(ref.get("$ref"), str) and ref["$ref"]:
        return str(ref["$ref"])
    issuer = document.get("issuingElementIdentification")
    if isinstance(issuer, str) and issuer:
        return issuer
    problems.add(
        "updatedByAgencyReference", "required: the sending agency (or issuingElementIdentification)"
    )
    return ""


def _incident_type(
    incident: Mapping[str, Any], calls: list[Mapping[str, Any]], problems: _Problems
) -> str:
    for name in ("incidentTypeInternalCode", "incidentTypeCommonRegistryText"):
        value = incident.get(name)
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip():
            problems.add(f"incidentComponent.{name}", "must be a non-empty string")
            return "TRANSFER"
        return _type_code(value)
    for call in calls:  # a call transfer: no incident yet, the call says what it is
        if isinstance(call.get("localCallType"), str) and call["localCallType"].strip():
            return _type_code(call["localCallType"])
    return "TRANSFER"


def _priority(
    incident: Mapping[str, Any], calls: list[Mapping[str, Any]], problems: _Problems
) -> int:
    number = incident.get("incidentCommonPriorityNumber")
    if number is not None:
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 10:
            problems.add(
                "incidentComponent.incidentCommonPriorityNumber",
                f"must be an integer from 1 to 10, got {number!r}",
            )
            return 3
        return priority_from_eido(number)
    for n, call in enumerate(calls):
        level = call.get("priorityIdentifier")
        if level is not None:
            if level not in _CALL_PRIORITY:
                problems.add(
                    f"callComponent.{n}.priorityIdentifier",
                    f"must be one of {', '.join(_CALL_PRIORITY)}, got {level!r}",
                )
                return 3
            return _CALL_PRIORITY[level]
    # A 9-1-1 call transferred without a priority: treat it as urgent until triaged.
    return 2


def _incident_location(
    document: Mapping[str, Any],
    incident: Mapping[str, Any],
    calls: list[Mapping[str, Any]],
    by_id: Mapping[str, tuple[str, Mapping[str, Any]]],
    problems: _Problems,
) -> dict[str, Any] | None:
    """The incident's location by value, else the first call's, else any one sent."""
    refs = _refs(incident, "locationReference", "incidentComponent", problems)
    for n, call in enumerate(calls):
        refs += _refs(call, "locationReference", f"callComponent.{n}", problems)
    refs += [
        item["$id"]
        for where, item in by_id.values()
        if where.startswith("locationComponent") and item["$id"] not in refs
    ]
    tried = []
    for ref in refs:
        if ref not in by_id or not by_id[ref][0].startswith("locationComponent"):
            problems.add("locationReference", f"{ref!r} names no locationComponent in the document")
            return None
        where, component = by_id[ref]
        value = component.get("locationByValue")
        if value is None:
            tried.append(where)
            continue
        if not isinstance(value, str):
            problems.add(f"{where}.locationByValue", "must be a PIDF-LO XML string")
            return None
        try:
            found = parse_location(value)
        except ValueError as error:
            problems.add(f"{where}.locationByValue", str(error))
            return None
        if "lat" not in found and isinstance(component.get("locationDescriptionText"), str):
            found.setdefault("address", component["locationDescriptionText"])
        if "address" in found:
            found["address"] = found["address"][:300]
        return found
    reason = "no location by value (PIDF-LO with a point or a civic address)"
    problems.add(
        "locationComponent", reason + (f"; by reference only: {', '.join(tried)}" if tried else "")
    )
    return None


def _note(by_id: Mapping[str, tuple[str, Mapping[str, Any]]], ref: str, problems: _Problems) -> str:
    where, note = by_id.get(ref, ("", {}))
    if not where.startswith("notesComponent"):
        problems.add("notesReference", f"{ref!r} names no notesComponent in the document")
        return ""
    text = note.get("notesActionComments")
    if not isinstance(text, str):
        problems.add(f"{where}.notesActionComments", "required: the note's text (a string)")
        return ""
    return _text(text)


def _subject(
    person: Mapping[str, Any],
    where: str,
    by_id: Mapping[str, tuple[str, Mapping[str, Any]]],
    problems: _Problems,
) -> dict[str, str]:
    roles = person.get("personIncidentRoleRegistryText", [])
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        problems.add(f"{where}.personIncidentRoleRegistryText", "must be an array of strings")
        roles = []
    role = next(
        (_ROLE_FROM_EIDO[r.lower()] for r in roles if r.lower() in _ROLE_FROM_EIDO), "other"
    )
    said = [f"{', '.join(roles)}" if roles and role == "other" else ""]
    said += [
        _note(by_id, ref, problems) for ref in _refs(person, "notesReference", where, problems)
    ]
    said.append(_person_name(person))
    for ref in _refs(person, "callBackReference", where, problems):
        _, callback = by_id.get(ref, ("", {}))
        uris = callback.get("callBackInformationUri", [])
        if isinstance(uris, list) and uris:
            said.append("call back " + " or ".join(str(u) for u in uris))
    description = "; ".join(s for s in said if s)[:2000]
    return {"role": role, "description": description or "(no description sent)"}


def _person_name(person: Mapping[str, Any]) -> str:
    """A NIEM person's full name, if the sender gave one."""
    niem = person.get("ncPersonComponent")
    names = niem.get("name") if isinstance(niem, Mapping) else None
    for name in names if isinstance(names, list) else []:
        full = name.get("personFullName") if isinstance(name, Mapping) else None
        if isinstance(full, list) and full:
            first = full[0]
            text = first.get("value") if isinstance(first, Mapping) else first
            if isinstance(text, str):
                return text
    return ""
