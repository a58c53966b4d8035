"""CAP 1.2 (OASIS Common Alerting Protocol) for BOLOs: a BOLO as a CAP alert, a
cancelled BOLO as a CAP Cancel, active BOLOs as an ATOM feed of alerts, and CAP
alerts read back into BOLO fields.

A BOLO is category ``Security``, urgency ``Immediate``, severity ``Severe`` and
certainty ``Likely`` (a lookout is asked for now, about a danger reported but not
observed by the center itself). Its area: the BOLO's ``area`` text is the CAP
``areaDesc``; when that text is itself CAP geometry (``lat,lon radius_km`` for a
circle, or ``lat,lon lat,lon ...`` closed for a polygon) it is sent as such, else a
BOLO issued on an incident gets a circle of ``DEFAULT_RADIUS_KM`` around it.

The feed (``GET /api/bolos/cap``) is ATOM (RFC 4287), as public CAP feeds are: one
entry per active BOLO, its alert inside ``<content type="application/cap+xml">``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from tenfour.domain.state import Bolo, State

CAP = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/cap+xml"
DEFAULT_RADIUS_KM = 5.0
URGENCY, SEVERITY, CERTAINTY = "Immediate", "Severe", "Likely"

ET.register_namespace("cap", CAP)
ET.register_namespace("atom", ATOM)

_POINT = r"-?\d+(?:\.\d+)?,-?\d+(?:\.\d+)?"
_CIRCLE = re.compile(rf"^\s*({_POINT})\s+(\d+(?:\.\d+)?)\s*$")
_POLYGON = re.compile(rf"^\s*{_POINT}(?:\s+{_POINT}){{3,}}\s*$")


def cap_time(iso: str) -> str:
    """CAP's dateTime: seconds, an explicit offset, never ``Z`` nor fractions."""
    moment = datetime.fromisoformat(iso).replace(microsecond=0)
    text = moment.isoformat()
    return text[:-6] + "+00:00" if text.endswith("+00:00") else text


def identifier(sender: str, bolo: str) -> str:
    return f"urn:tenfour:{sender}:bolo:{bolo}"


def _geometry(bolo: Bolo, state: State) -> tuple[list[str], list[str]]:
    """The area's (circles, polygons) in CAP syntax."""
    text = bolo.area or ""
    if _CIRCLE.match(text):
        return [" ".join(text.split())], []
    if _POLYGON.match(text) and _closed(text):
        return [], [" ".join(text.split())]
    incident = state.incidents.get(bolo.incident or "")
    if incident is not None:
        where = incident.location
        return [f"{where['lat']},{where['lon']} {DEFAULT_RADIUS_KM}"], []
    return [], []


def _closed(polygon: str) -> bool:
    points = polygon.split()
    return points[0] == points[-1]


def _alert_element(bolo: Bolo, state: State, sender: str, *, cancel: bool = False) -> ET.Element:
    alert = ET.Element(f"{{{CAP}}}alert")

    def add(parent: ET.Element, name: str, text: str) -> ET.Element:
        child = ET.SubElement(parent, f"{{{CAP}}}{name}")
        child.text = text
        return child

    sent = cap_time(bolo.cancelled_at if cancel and bolo.cancelled_at else bolo.issued_at)
    add(alert, "identifier", identifier(sender, bolo.id) + (":cancel" if cancel else ""))
    add(alert, "sender", sender)
    add(alert, "sent", sent)
    add(alert, "status", "Actual")
    add(alert, "msgType", "Cancel" if cancel else "Alert")
    add(alert, "scope", "Restricted")
    add(alert, "restriction", "law enforcement and public safety staff only")
    if cancel:
        add(
            alert,
            "references",
            f"{sender},{identifier(sender, bolo.id)},{cap_time(bolo.issued_at)}",
        )
    if bolo.incident:
        add(alert, "incidents", bolo.incident)
    info = ET.SubElement(alert, f"{{{CAP}}}info")
    add(info, "language", "en-US")
    add(info, "category", "Security")
    add(info, "event", "BOLO")
    add(info, "urgency", "Past" if cancel else URGENCY)
    add(info, "severity", "Minor" if cancel else SEVERITY)
    add(info, "certainty", CERTAINTY)
    if bolo.expires:
        add(info, "expires", cap_time(bolo.expires))
    add(info, "senderName", sender)
    headline = f"BOLO {bolo.id}" + (" cancelled" if cancel else "")
    add(info, "headline", headline)
    if bolo.description:
        add(info, "description", bolo.description)
    subject = state.subjects.get(bolo.subject or "")
    if subject is not None:
        parameter = ET.SubElement(info, f"{{{CAP}}}parameter")
        add(parameter, "valueName", "subjectRole")
        add(parameter, "value", subject.role)
    circles, polygons = _geometry(bolo, state)
    area = ET.SubElement(info, f"{{{CAP}}}area")
    add(area, "areaDesc", bolo.area or "the center's service area")
    for polygon in polygons:
        add(area, "polygon", polygon)
    for circle in circles:
        add(area, "circle", circle)
    return alert


def bolo_alert(bolo: Bolo, state: State, sender: str) -> str:
    """The BOLO as one CAP 1.2 document: an Alert, or a Cancel once it is cancelled."""
    element = _alert_element(bolo, state, sender, cancel=not bolo.active)
    return ET.tostring(element, encoding="unicode", xml_declaration=True)


def active_bolos(state: State, now: datetime) -> list[Bolo]:
    """BOLOs still in force: not cancelled and not expired."""
    return [
        bolo
        for bolo in state.bolos.values()
        if bolo.active and (bolo.expires is None or datetime.fromisoformat(bolo.expires) > now)
    ]


def feed(bolos: Iterable[Bolo], state: State, sender: str, now: datetime, url: str) -> str:
    """An ATOM feed of the BOLOs' CAP alerts."""
    root = ET.Element(f"{{{ATOM}}}feed")

    def add(parent: ET.Element, name: str, text: str) -> ET.Element:
        child = ET.SubElement(parent, f"{{{ATOM}}}{name}")
        child.text = text
        return child

    add(root, "id", f"urn:tenfour:{sender}:bolos")
    add(root, "title", f"Active BOLOs of {sender}")
    add(root, "updated", cap_time(now.isoformat()))
    author = ET.SubElement(root, f"{{{ATOM}}}author")
    add(author, "name", sender)
    ET.SubElement(root, f"{{{ATOM}}}link", {"rel": "self", "href": url})
    for bolo in bolos:
        entry = ET.SubElement(root, f"{{{ATOM}}}entry")
        add(entry, "id", identifier(sender, bolo.id))
        add(entry, "title", f"BOLO {bolo.id}: {bolo.description or ''}".strip())
        add(entry, "updated", cap_time(bolo.issued_at))
        content = ET.SubElement(entry, f"{{{ATOM}}}content", {"type": MEDIA_TYPE})
        content.append(_alert_element(bolo, state, sender))
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


# --- reading CAP ------------------------------------------------------------------------
def parse_alert(xml_text: str | bytes) -> dict[str, Any]:
    """A CAP 1.2 alert's fields: the envelope, and each info block with its areas."""
    root = ET.fromstring(xml_text)
    if root.tag != f"{{{CAP}}}alert":
        raise ValueError(f"not a CAP 1.2 alert: the root element is {root.tag}")

    def text(parent: ET.Element, name: str) -> str | None:
        child = parent.find(f"{{{CAP}}}{name}")
        return child.text.strip() if child is not None and child.text else None

    def texts(parent: ET.Element, name: str) -> list[str]:
        return [c.text.strip() for c in parent.findall(f"{{{CAP}}}{name}") if c.text]

    out: dict[str, Any] = {
        name: text(root, name)
        for name in ("identifier", "sender", "sent", "status", "msgType", "scope", "references")
    }
    out["info"] = []
    for info in root.findall(f"{{{CAP}}}info"):
        block: dict[str, Any] = {
            name: text(info, name)
            for name in (
                "event",
                "urgency",
                "severity",
                "certainty",
                "headline",
                "description",
                "instruction",
                "expires",
            )
        }
        block["category"] = texts(info, "category")
        block["areas"] = [
            {
                "areaDesc": text(area, "areaDesc"),
                "polygons": texts(area, "polygon"),
                "circles": texts(area, "circle"),
            }
            for area in info.findall(f"{{{CAP}}}area")
        ]
        out["info"].append(block)
    return out


def bolo_fields(alert: Mapping[str, Any]) -> dict[str, Any]:
    """A parsed alert as ``bolo.issue`` fields (description, area, expires): what a
    center keeps of another's alert when it issues it as a BOLO of its own."""
    info = alert["info"][0] if alert["info"] else {}
    said = [info.get("headline"), info.get("description"), info.get("instruction")]
    description = "\n".join(s for s in said if s) or info.get("event") or alert["identifier"]
    fields: dict[str, Any] = {"description": description[:2000]}
    areas = info.get("areas", [])
    if areas:
        first = areas[0]
        geometry = (first["circles"] or first["polygons"] or [None])[0]
        area = geometry if geometry and len(geometry) <= 300 else first["areaDesc"]
        if area:
            fields["area"] = area[:300]
    if info.get("expires"):
        fields["expires"] = info["expires"]
    return fields
