"""One schema-valid example payload per command, against the demo city's roster."""

from __future__ import annotations

from typing import Any

HERE = {"lat": 37.7925893, "lon": -122.3958821}
INCIDENT = "2026-000001"

EXAMPLES: dict[str, dict[str, Any]] = {
    "road.close": {"location": HERE, "radius_m": 30, "reason": "parade"},
    "road.reopen": {"closure": "RC-000001"},
    "agency.register": {"id": "ZTA", "kind": "police", "name": "Zootopia Transit Police"},
    "facility.register": {"id": "F1", "kind": "station", "name": "Station 1", "location": HERE},
    "member.register": {"id": "newbie", "name": "New Officer", "agency": "ZPD"},
    "unit.register": {"id": "ZPD-99", "agency": "ZPD", "kind": "patrol"},
    "shift.start": {"unit": "ZPD-99", "members": ["hopps"]},
    "shift.end": {"unit": "ZPD-7"},
    "tip.submit": {"text": "Something odd at the corner"},
    "tip.promote": {"tip": "T-000001", "type": "DRUGS", "priority": 2, "location": HERE},
    "tip.dismiss": {"tip": "T-000001"},
    "call.create": {"text": "Fight", "type": "ASSAULT", "priority": 2, "location": HERE},
    "incident.create": {"type": "THEFT", "priority": 3, "location": HERE},
    "incident.initiate": {
        "member": "hopps",
        "type": "TRAFFIC_STOP",
        "priority": 4,
        "location": HERE,
    },
    "incident.import": {
        "type": "ASSAULT",
        "priority": 2,
        "location": HERE,
        "origin": {"center": "psap.example.org", "incident": "urn:emergency:uid:incidentid:1"},
    },
    "incident.update": {"incident": INCIDENT, "priority": 2},
    "incident.note": {"incident": INCIDENT, "text": "caller called back"},
    "incident.unlink": {"incident": INCIDENT, "call": "C-000001"},
    "incident.close": {"incident": INCIDENT, "disposition": "REPORT"},
    "unit.dispatch": {"incident": INCIDENT, "units": ["ZPD-3"]},
    "unit.status": {"unit": "ZPD-7", "status": "busy"},
    "unit.locate": {"unit": "ZPD-7", "lat": 37.79, "lon": -122.40},
    "member.locate": {"member": "hopps", "lat": 37.79, "lon": -122.40},
    "member.status": {"member": "hopps", "status": "away"},
    "member.checkin": {"member": "hopps"},
    "backup.request": {"incident": INCIDENT, "member": "hopps"},
    "emergency.declare": {"member": "hopps", "text": "help"},
    "emergency.clear": {"emergency": "E-000001"},
    "emergency.locate": {"emergency": "E-000001", "location": HERE},
    "alert.acknowledge": {"alert": "A-000001"},
    "subject.add": {"incident": INCIDENT, "role": "suspect", "description": "tall"},
    "bolo.issue": {"description": "grey van"},
    "bolo.cancel": {"bolo": "B-000001"},
    "arrest.record": {
        "incident": INCIDENT,
        "subject": {"description": "fox"},
        "charges": ["theft"],
    },
    "transport.start": {"unit": "ZPD-7", "patient": {"description": "x"}, "destination": "ZGH"},
    "transport.arrive": {"unit": "ZPD-7"},
    # An officer's goes to dispatch; the desk's is refused as invalid (the desk is
    # dispatch), so neither role meets a 403 for its role.
    "message.send": {"to": "dispatch", "canned": "code4"},
    "message.deliver": {"message": "MSG-000001"},
    "message.read": {"message": "MSG-000001"},
    "facility.status": {"facility": "ZGH", "state": "diversion", "services": ["trauma"]},
}
