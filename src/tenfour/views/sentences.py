"""Events told as a dispatcher would write them in a log: "ZPD-7 on scene",
"Officer Judy Hopps declared OFFICER DOWN for Officer Nick Wilde".

The timeline, the MDT and reports show these sentences; the raw event type stays
beside each one (the pages put it on hover), so nothing is hidden by the wording.
People are named by rank and name, places by address, hospitals by name: the
``Names`` book learns them from the roster events that come before in the journal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: How a status reads in a sentence.
STATUS_WORDS: dict[str, str] = {
    "available": "available",
    "dispatched": "dispatched",
    "enroute": "en route",
    "onscene": "on scene",
    "pursuit": "in pursuit",
    "transporting": "transporting",
    "athospital": "at the hospital",
    "busy": "busy",
    "outofservice": "out of service",
    "offduty": "off duty",
    "with_unit": "back with the unit",
    "away": "away from the unit (on foot)",
    "down": "DOWN",
}

#: How an alert's kind reads.
ALERT_WORDS: dict[str, str] = {
    "emergency": "EMERGENCY",
    "status_check_overdue": "status check overdue",
    "member_unresponsive": "officer unresponsive",
    "dispatch_unacknowledged": "dispatch not acknowledged",
    "incident_unassigned": "incident without a unit",
    "backup_requested": "urgent backup requested",
    "plan_short": "response plan short of units",
    "policy_failed": "automatic response failed",
    "message_unread": "priority message unread",
}

PRIORITY_WORDS = {1: "P1", 2: "P2", 3: "P3", 4: "P4", 5: "P5"}


def status_word(status: object) -> str:
    return STATUS_WORDS.get(str(status), str(status))


def place(location: object) -> str:
    """An address when there is one, else the coordinates; "no location" for none."""
    if not isinstance(location, Mapping):
        return "no location"
    if location.get("address"):
        return str(location["address"])
    if location.get("lat") is not None and location.get("lon") is not None:
        return f"{float(location['lat']):.5f}, {float(location['lon']):.5f}"
    return "no location"


@dataclass
class Names:
    """What the roster events said about people and places, to name them in sentences."""

    members: dict[str, str] = field(default_factory=dict)
    facilities: dict[str, str] = field(default_factory=dict)

    def learn(self, type_: str, d: Mapping[str, Any]) -> None:
        if type_ == "member.registered":
            rank = str(d.get("rank") or "").strip()
            name = str(d.get("name") or d["member"])
            # "Chief Bogo" is registered with his rank in his name already.
            named = rank and not name.lower().startswith(rank.lower())
            self.members[d["member"]] = f"{rank.capitalize()} {name}" if named else name
        elif type_ == "facility.registered":
            self.facilities[d["facility"]] = str(d.get("name") or d["facility"])

    def member(self, member_id: object) -> str:
        return self.members.get(str(member_id), str(member_id))

    def facility(self, facility_id: object) -> str:
        return self.facilities.get(str(facility_id), str(facility_id))

    def who(self, d: Mapping[str, Any]) -> str:
        """The officer an event concerns, with his unit: "Officer Judy Hopps (ZPD-7)"."""
        if d.get("member"):
            name = self.member(d["member"])
            return f"{name} ({d['unit']})" if d.get("unit") else name
        return str(d.get("unit") or "")


def _said(d: Mapping[str, Any], key: str = "text") -> str:
    return f": {d[key]}" if d.get(key) else ""


def _created(d: Mapping[str, Any], n: Names) -> str:
    source = {
        "tip": f"from tip {d.get('tip', '')}".rstrip(),
        "call": f"from call {d.get('call', '')}".rstrip(),
        "officer": f"by {n.who(d)}" if d.get("member") or d.get("unit") else "by an officer",
        "emergency": "for the officer's emergency",
    }.get(str(d.get("source")), f"({d.get('source')})")
    return (
        f"Incident opened {source}: {d['incident_type']} "
        f"{PRIORITY_WORDS.get(d['priority'], d['priority'])} at {place(d.get('location'))}"
        + _said(d)
    )


def _updated(d: Mapping[str, Any], n: Names) -> str:
    before = d.get("before") or {}
    parts = []
    for key, now in (d.get("changes") or {}).items():
        label = {"incident_type": "type", "priority": "priority", "location": "location"}.get(
            key, key
        )
        shown = place(now) if key == "location" else now
        was = before.get(key)
        if was == now:
            continue
        if key == "location":
            was = place(was) if was else None
        parts.append(f"{label} {shown}" + (f" (was {was})" if was not in (None, "") else ""))
    why = ""
    if d.get("emergency"):
        why = f" for emergency {d['emergency']}"
    elif d.get("call"):
        why = f" by call {d['call']}"
    elif d.get("reason"):
        why = f" ({d['reason']})"
    return "Incident changed: " + ", ".join(parts) + why


def _status(d: Mapping[str, Any], n: Names) -> str:
    text = f"{d['unit']} {status_word(d['to'])}"
    if d.get("facility"):
        text += f" ({n.facility(d['facility'])})"
    if d.get("reason"):
        text += f" ({d['reason']})"
    return text


def _member_status(d: Mapping[str, Any], n: Names) -> str:
    return f"{n.who(d)} {status_word(d['to'])}" + _said(d)


def _dispatched(d: Mapping[str, Any], n: Names) -> str:
    mode = "emergency (lights and siren)" if d.get("mode") == "emergency" else "routine"
    text = f"{d['unit']} dispatched, {mode}"
    if d.get("reassign") or d.get("diverted_from"):
        text += f", taken off {d.get('diverted_from') or 'another incident'}"
    return text


def _recommended(d: Mapping[str, Any], n: Names) -> str:
    chosen = [
        f"{c['unit']} ({round(c['eta_s'])} s)" if c.get("eta_s") is not None else c["unit"]
        for c in d.get("candidates", [])[: d.get("count", 1)]
    ]
    purpose = str(d.get("purpose", "")).replace("_", " ")
    if not d.get("count"):
        return f"Recommended for {purpose}: no more units, enough are responding"
    return f"Recommended for {purpose} ({d.get('need')} x{d.get('count')}): " + (
        ", ".join(chosen) or "no unit free"
    )


def _alert(d: Mapping[str, Any], n: Names) -> str:
    kind = ALERT_WORDS.get(d["kind"], str(d["kind"]).replace("_", " "))
    about = n.who(d) if d.get("member") or d.get("unit") else ""
    text = f"ALERT: {kind}" + (f", {about}" if about else "")
    if d.get("missing"):
        text += f", missing {d['missing']}"
    return text


def _resolved(d: Mapping[str, Any], n: Names) -> str:
    kind = ALERT_WORDS.get(d["kind"], str(d["kind"]).replace("_", " "))
    return f"Alert cleared ({kind}): {d.get('reason', '')}".rstrip(": ")


def _declared(d: Mapping[str, Any], n: Names) -> str:
    where = place(d.get("location")) if d.get("location") else "location not yet known"
    return f"OFFICER DOWN: {n.who(d)} at {where}" + _said(d)


def _transport(d: Mapping[str, Any], n: Names) -> str:
    text = f"{d['unit']} transporting {d.get('patient', 'the patient')} to {n.facility(d['destination'])}"
    return text + (f" (WARNING: {d['warning']})" if d.get("warning") else "")


def _message(d: Mapping[str, Any], n: Names) -> str:
    to = d["to"]
    if to in ("unit", "agency"):
        whom = str(d.get(to))
    elif to == "member":
        whom = n.member(d.get("member"))
    else:
        whom = {"all": "all units", "dispatch": "dispatch"}.get(to, str(to))
    urgent = "Priority message" if d.get("priority") == "priority" else "Message"
    sender = f" from {n.member(d['from_member'])}" if d.get("from_member") else ""
    return f"{urgent} {d['message']}{sender} to {whom}: {d['text']}"


def _reader(d: Mapping[str, Any], n: Names) -> str:
    return "dispatch" if d["reader"] == "dispatch" else n.member(d["reader"])


def _facility_status(d: Mapping[str, Any], n: Names) -> str:
    state = str(d["state"])
    if state == "diversion":
        state = f"on diversion for {', '.join(d.get('services') or [])}"
    beds = d.get("beds") or {}
    free = f" ({', '.join(f'{k} {v}' for k, v in beds.items())} beds free)" if beds else ""
    return f"{n.facility(d['facility'])} {state}{free}"


def _arrest(d: Mapping[str, Any], n: Names) -> str:
    by = ", ".join(n.member(m) for m in d.get("members", []))
    charges = d.get("charges")
    charges = ", ".join(charges) if isinstance(charges, list) else charges
    return f"Arrest of {d['subject']}" + (f" by {by}" if by else "") + f": {charges}"


def _backup(d: Mapping[str, Any], n: Names) -> str:
    urgent = "URGENT backup" if d.get("urgency") == "urgent" else "Backup"
    who = f" by {n.who(d)}" if d.get("member") or d.get("unit") else ""
    count = d.get("count", 1)
    return f"{urgent} requested{who}: {count} unit{'s' if count != 1 else ''}"


SENTENCES: dict[str, Callable[[Mapping[str, Any], Names], str]] = {
    "agency.registered": lambda d, n: f"Agency {d['agency']} registered ({d['kind']})",
    "facility.registered": lambda d, n: f"Facility {d['name']} registered",
    "member.registered": lambda d, n: f"{n.member(d['member'])} joined {d['agency']}",
    "unit.registered": lambda d, n: f"Unit {d['unit']} registered ({d['kind']})",
    "unit.logged_on": lambda d, n: (
        f"{d['unit']} on duty: " + ", ".join(n.member(m) for m in d.get("members", []))
    ),
    "unit.logged_off": lambda d, n: f"{d['unit']} off duty",
    "tip.received": lambda d, n: f"Tip {d['tip']} received" + _said(d),
    "tip.dismissed": lambda d, n: f"Tip {d['tip']} dismissed" + _said(d, "reason"),
    "call.received": lambda d, n: (
        f"Call {d['call']} ({d['source']}): {d['incident_type']} at {place(d.get('location'))}"
        + _said(d)
    ),
    "incident.created": _created,
    "incident.linked": lambda d, n: (
        f"Call {d['call']} linked as a duplicate ({', '.join(d.get('reasons', []))})"
    ),
    "incident.unlinked": lambda d, n: (
        f"Call {d['call']} unlinked" + (f" to {d['new_incident']}" if d.get("new_incident") else "")
    ),
    "incident.updated": _updated,
    "incident.noted": lambda d, n: f"Note: {d['text']}",
    "incident.closed": lambda d, n: f"Incident closed: {d['disposition']}",
    "unit.dispatched": _dispatched,
    "unit.status_changed": _status,
    "unit.located": lambda d, n: f"{d['unit']} position {d['lat']:.5f}, {d['lon']:.5f}",
    "member.located": lambda d, n: (
        f"{n.member(d['member'])} position {d['lat']:.5f}, {d['lon']:.5f}"
    ),
    "member.status_changed": _member_status,
    "member.checked_in": lambda d, n: f"{n.who(d)} checked in" + (_said(d) or ": OK"),
    "backup.requested": _backup,
    "emergency.declared": _declared,
    "emergency.located": lambda d, n: f"Officer down located at {place(d.get('location'))}",
    "emergency.cleared": lambda d, n: (
        "Officer down cleared by supervisor"
        + _said(d)
        + "".join(
            f"; {f['unit']} stays with emergency {f['emergency']} on {f['incident']}"
            for f in d.get("follow", [])
        )
    ),
    "alert.raised": _alert,
    "alert.acknowledged": lambda d, n: "Alert acknowledged",
    "alert.resolved": _resolved,
    "recommendation.made": _recommended,
    "subject.added": lambda d, n: (
        f"{str(d['role']).capitalize()} {d['subject']} added" + _said(d, "description")
    ),
    "bolo.issued": lambda d, n: f"BOLO {d['bolo']} issued" + _said(d, "description"),
    "bolo.cancelled": lambda d, n: f"BOLO {d['bolo']} cancelled",
    "arrest.recorded": _arrest,
    "transport.started": _transport,
    "transport.arrived": lambda d, n: f"{d['unit']} arrived at {n.facility(d['destination'])}",
    "road.closed": lambda d, n: "Road closed" + (f": {d['street']}" if d.get("street") else ""),
    "road.reopened": lambda d, n: "Road reopened",
    "message.sent": _message,
    "message.delivered": lambda d, n: f"Message {d['message']} delivered to {_reader(d, n)}",
    "message.read": lambda d, n: f"Message {d['message']} read by {_reader(d, n)}",
    "facility.status_changed": _facility_status,
}


def sentence(type_: str, d: Mapping[str, Any], names: Names | None = None) -> str:
    """One line a dispatcher can read at a glance; the raw type when none is written."""
    say = SENTENCES.get(type_)
    if say is None:
        return type_.replace(".", " ").replace("_", " ")
    try:
        return say(d, names or Names())
    except (KeyError, TypeError, ValueError):
        # An event older than its sentence (a field it did not carry then): never hide it.
        return type_
