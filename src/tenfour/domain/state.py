"""The dispatch center's current state, folded from events by ``evolve``.

State is never edited directly: ``evolve`` applies one recorded event at a time, so
replaying the journal from the start rebuilds exactly the same state. ``evolve``
updates the state object it is given (and returns it) because copying thousands of
units per event would be waste; ``decide`` only ever reads it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


class Recorded(Protocol):
    """What ``evolve`` needs of a journaled event (``journal.StoredEvent`` fits)."""

    @property
    def seq(self) -> int: ...
    @property
    def type(self) -> str: ...
    @property
    def stream(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def at(self) -> str: ...
    @property
    def by(self) -> str: ...
    @property
    def data(self) -> Mapping[str, Any]: ...


Point = dict[str, Any]  # {"lat": .., "lon": .., "address"?: ..}


@dataclass
class Agency:
    id: str
    kind: str
    name: str


@dataclass
class Facility:
    id: str
    kind: str
    name: str
    location: Point
    #: A hospital's reported state: open, diversion (for ``diversion``'s services), closed.
    status: str = "open"
    diversion: list[str] = field(default_factory=list)
    #: Free beds by kind, as last reported.
    beds: dict[str, int] = field(default_factory=dict)
    status_by: str | None = None
    status_at: str | None = None


@dataclass
class Member:
    id: str
    name: str
    agency: str
    rank: str
    status: str = "offduty"
    status_since: str | None = None
    unit: str | None = None
    incident: str | None = None
    location: Point | None = None
    located_at: str | None = None

    @property
    def on_duty(self) -> bool:
        return self.status != "offduty"


@dataclass
class Unit:
    id: str
    agency: str
    kind: str
    home: Point | None = None
    status: str = "offduty"
    status_since: str | None = None
    incident: str | None = None
    members: list[str] = field(default_factory=list)
    vehicle: str | None = None
    location: Point | None = None
    located_at: str | None = None
    #: The facility a transport is heading to, while transporting.
    destination: str | None = None

    @property
    def logged_on(self) -> bool:
        return self.status != "offduty"


@dataclass
class Incident:
    id: str
    type: str
    priority: int
    location: Point
    source: str
    created_at: str
    status: str = "open"
    units: list[str] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)
    tip: str | None = None
    disposition: str | None = None
    closed_at: str | None = None
    #: Where a transferred incident came from (``source`` "eido"): center, their id.
    origin: dict[str, Any] | None = None

    @property
    def open(self) -> bool:
        return self.status == "open"


@dataclass
class Tip:
    id: str
    #: None only in a view of the state for a role that may not read it (an analyst's).
    tracking_code: str | None
    text: str
    location: Point | None
    contact: str | None
    received_at: str
    status: str = "received"
    incident: str | None = None


@dataclass
class Call:
    id: str
    source: str
    text: str
    type: str
    priority: int
    location: Point
    received_at: str
    incident: str | None = None


@dataclass
class Subject:
    id: str
    incident: str
    role: str
    description: str | None
    member: str | None = None


@dataclass
class Alert:
    id: str
    kind: str
    severity: str
    raised_at: str
    member: str | None = None
    unit: str | None = None
    incident: str | None = None
    emergency: str | None = None
    text: str | None = None
    acknowledged_by: str | None = None
    acknowledged_at: str | None = None
    #: Set when the system saw the alert's condition end (contact made, unit assigned...).
    resolved_at: str | None = None
    resolved_reason: str | None = None
    #: The priority message a ``message_unread`` alert is about.
    message: str | None = None

    @property
    def open(self) -> bool:
        """Still asks for a person: neither acknowledged nor resolved."""
        return self.acknowledged_by is None and self.resolved_at is None

    @property
    def active(self) -> bool:
        """Its condition still holds (acknowledged or not): one per condition."""
        return self.resolved_at is None


@dataclass
class Emergency:
    id: str
    member: str | None
    unit: str | None
    #: None only while no position at all is known (no incident can be placed yet).
    incident: str | None
    location: Point | None
    declared_at: str
    declared_by: str
    cleared_at: str | None = None

    @property
    def open(self) -> bool:
        return self.cleared_at is None


@dataclass
class Bolo:
    id: str
    description: str | None
    subject: str | None
    area: str | None
    expires: str | None
    issued_at: str
    active: bool = True
    #: The incident it was issued on (its place centres the CAP alert's area).
    incident: str | None = None
    cancelled_at: str | None = None


@dataclass
class Closure:
    """A road closed (``factor`` None) or slowed down, on the map's ``segments``."""

    id: str
    segments: list[int]
    factor: float | None
    closed_at: str
    closed_by: str
    street: str | None = None
    location: Point | None = None
    reason: str | None = None
    map: str | None = None
    reopened_at: str | None = None

    @property
    def active(self) -> bool:
        return self.reopened_at is None


@dataclass
class Message:
    """A message between desk and field, with its receipts: reader -> when (a member
    id, or ``dispatch`` for the desk)."""

    id: str
    to: str
    target: str | None
    text: str
    priority: str
    sent_at: str
    sent_by: str
    recipients: list[str]
    parties: list[str]
    from_member: str | None = None
    canned: str | None = None
    delivered: dict[str, str] = field(default_factory=dict)
    read: dict[str, str] = field(default_factory=dict)


@dataclass
class State:
    """Everything ``decide`` may look at. Built only by ``evolve``."""

    agencies: dict[str, Agency] = field(default_factory=dict)
    facilities: dict[str, Facility] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=dict)
    units: dict[str, Unit] = field(default_factory=dict)
    tips: dict[str, Tip] = field(default_factory=dict)
    tips_by_code: dict[str, str] = field(default_factory=dict)
    calls: dict[str, Call] = field(default_factory=dict)
    incidents: dict[str, Incident] = field(default_factory=dict)
    subjects: dict[str, Subject] = field(default_factory=dict)
    alerts: dict[str, Alert] = field(default_factory=dict)
    emergencies: dict[str, Emergency] = field(default_factory=dict)
    bolos: dict[str, Bolo] = field(default_factory=dict)
    closures: dict[str, Closure] = field(default_factory=dict)
    messages: dict[str, Message] = field(default_factory=dict)
    #: How many of each numbered thing exist, for the next id ("incident:2026" per year).
    counters: dict[str, int] = field(default_factory=dict)
    #: Version of each journal stream, for optimistic concurrency.
    versions: dict[str, int] = field(default_factory=dict)
    #: Position of the last event folded in.
    seq: int = 0

    def next_number(self, counter: str) -> int:
        return self.counters.get(counter, 0) + 1


def _count(state: State, counter: str) -> None:
    state.counters[counter] = state.counters.get(counter, 0) + 1


def _point(value: Any) -> Point | None:
    return dict(value) if isinstance(value, Mapping) else None


def _detach_unit(state: State, unit: Unit) -> None:
    if unit.incident and unit.incident in state.incidents:
        units = state.incidents[unit.incident].units
        if unit.id in units:
            units.remove(unit.id)
    unit.incident = None


def _attach_unit(state: State, unit: Unit, incident_id: str) -> None:
    if unit.incident != incident_id:
        _detach_unit(state, unit)
    unit.incident = incident_id
    incident = state.incidents.get(incident_id)
    if incident is not None and unit.id not in incident.units:
        incident.units.append(unit.id)


def _set_unit_status(unit: Unit, status: str, at: str) -> None:
    if unit.status != status:
        unit.status = status
        unit.status_since = at


# --- one function per event type ------------------------------------------------------
def _agency_registered(s: State, e: Recorded) -> None:
    d = e.data
    s.agencies[d["agency"]] = Agency(d["agency"], d["kind"], d["name"])


def _facility_registered(s: State, e: Recorded) -> None:
    d = e.data
    s.facilities[d["facility"]] = Facility(d["facility"], d["kind"], d["name"], dict(d["location"]))


def _member_registered(s: State, e: Recorded) -> None:
    d = e.data
    s.members[d["member"]] = Member(d["member"], d["name"], d["agency"], d["rank"])


def _unit_registered(s: State, e: Recorded) -> None:
    d = e.data
    s.units[d["unit"]] = Unit(d["unit"], d["agency"], d["kind"], home=_point(d.get("home")))


def _unit_logged_on(s: State, e: Recorded) -> None:
    d = e.data
    unit = s.units[d["unit"]]
    unit.members = list(d["members"])
    unit.vehicle = d.get("vehicle")
    _set_unit_status(unit, d["status"], e.at)
    if d.get("location"):
        unit.location, unit.located_at = _point(d["location"]), e.at
    for member_id in unit.members:
        member = s.members[member_id]
        member.unit, member.status, member.status_since = unit.id, "with_unit", e.at
        if unit.location:
            member.location, member.located_at = dict(unit.location), e.at


def _unit_logged_off(s: State, e: Recorded) -> None:
    unit = s.units[e.data["unit"]]
    _detach_unit(s, unit)
    _set_unit_status(unit, "offduty", e.at)
    for member_id in unit.members:
        member = s.members[member_id]
        member.unit, member.incident = None, None
        member.status, member.status_since = "offduty", e.at
    unit.members = []


def _tip_received(s: State, e: Recorded) -> None:
    d = e.data
    _count(s, "tip")
    code = d.get("tracking_code")  # left out of an analyst's feed (need to know)
    s.tips[d["tip"]] = Tip(
        d["tip"], code, d["text"], _point(d.get("location")), d.get("contact"), e.at
    )
    if code is not None:
        s.tips_by_code[code] = d["tip"]


def _tip_dismissed(s: State, e: Recorded) -> None:
    s.tips[e.data["tip"]].status = "dismissed"


def _call_received(s: State, e: Recorded) -> None:
    d = e.data
    _count(s, "call")
    s.calls[d["call"]] = Call(
        d["call"],
        d["source"],
        d["text"],
        d["incident_type"],
        d["priority"],
        dict(d["location"]),
        e.at,
    )


def _incident_created(s: State, e: Recorded) -> None:
    d = e.data
    _count(s, f"incident:{d['incident'][:4]}")
    incident = Incident(
        d["incident"], d["incident_type"], d["priority"], dict(d["location"]), d["source"], e.at
    )
    s.incidents[incident.id] = incident
    if d.get("origin"):
        incident.origin = dict(d["origin"])
    if d.get("tip"):
        incident.tip = d["tip"]
        tip = s.tips.get(d["tip"])  # not in an officer's view (need to know)
        if tip is not None:
            tip.status, tip.incident = "promoted", incident.id
    if d.get("call"):
        s.calls[d["call"]].incident = incident.id
        incident.calls.append(d["call"])
    if d.get("unit"):
        _attach_unit(s, s.units[d["unit"]], incident.id)
    if d.get("member"):
        member = s.members[d["member"]]
        member.incident = incident.id
        member.location, member.located_at = dict(incident.location), e.at


def _incident_linked(s: State, e: Recorded) -> None:
    d = e.data
    s.calls[d["call"]].incident = d["incident"]
    s.incidents[d["incident"]].calls.append(d["call"])


def _incident_unlinked(s: State, e: Recorded) -> None:
    d = e.data
    calls = s.incidents[d["incident"]].calls
    if d["call"] in calls:
        calls.remove(d["call"])
    s.calls[d["call"]].incident = None


def _incident_updated(s: State, e: Recorded) -> None:
    incident = s.incidents[e.data["incident"]]
    changes = e.data["changes"]
    if "incident_type" in changes:
        incident.type = changes["incident_type"]
    if "priority" in changes:
        incident.priority = changes["priority"]
    if "location" in changes:
        incident.location = dict(changes["location"])


def _incident_closed(s: State, e: Recorded) -> None:
    incident = s.incidents[e.data["incident"]]
    incident.status, incident.disposition, incident.closed_at = (
        "closed",
        e.data["disposition"],
        e.at,
    )
    for unit_id in list(incident.units):
        unit = s.units[unit_id]
        if unit.incident == incident.id:
            unit.incident = None
    incident.units = []
    for member in s.members.values():
        if member.incident == incident.id:
            member.incident = None


def _unit_dispatched(s: State, e: Recorded) -> None:
    unit = s.units[e.data["unit"]]
    _attach_unit(s, unit, e.data["incident"])
    _set_unit_status(unit, "dispatched", e.at)


def _unit_status_changed(s: State, e: Recorded) -> None:
    d = e.data
    unit = s.units[d["unit"]]
    _set_unit_status(unit, d["to"], e.at)
    if d["to"] not in ("transporting", "athospital"):
        unit.destination = None
    if d["to"] in ("available", "outofservice", "offduty"):
        _detach_unit(s, unit)
    elif d.get("incident"):
        _attach_unit(s, unit, d["incident"])
    if d.get("location") and d["location"].get("lat") is not None:
        unit.location, unit.located_at = _point(d["location"]), e.at
    elif d["to"] == "onscene" and unit.incident in s.incidents:
        # "On scene" is a position report of its own: the incident's place. A fix from
        # before it must not send help to where the crew was before it arrived.
        where = s.incidents[unit.incident].location
        unit.location, unit.located_at = {"lat": where["lat"], "lon": where["lon"]}, e.at
        for member_id in unit.members:
            member = s.members[member_id]
            if member.status == "with_unit":
                member.location, member.located_at = dict(unit.location), e.at


def _unit_located(s: State, e: Recorded) -> None:
    unit = s.units[e.data["unit"]]
    unit.location = {"lat": e.data["lat"], "lon": e.data["lon"]}
    unit.located_at = e.at


def _member_located(s: State, e: Recorded) -> None:
    member = s.members[e.data["member"]]
    member.location = {"lat": e.data["lat"], "lon": e.data["lon"]}
    member.located_at = e.at


def _member_status_changed(s: State, e: Recorded) -> None:
    d = e.data
    member = s.members[d["member"]]
    if member.status != d["to"]:
        member.status, member.status_since = d["to"], e.at
    if d.get("incident"):
        member.incident = d["incident"]
    if d.get("location") and d["location"].get("lat") is not None:
        member.location, member.located_at = _point(d["location"]), e.at


def _alert_raised(s: State, e: Recorded) -> None:
    d = e.data
    _count(s, "alert")
    s.alerts[d["alert"]] = Alert(
        d["alert"],
        d["kind"],
        d["severity"],
        e.at,
        member=d.get("member"),
        unit=d.get("unit"),
        incident=d.get("incident"),
        emergency=d.get("emergency"),
        text=d.get("text"),
        message=d.get("message"),
    )


def _alert_acknowledged(s: State, e: Recorded) -> None:
    alert = s.alerts[e.data["alert"]]
    alert.acknowledged_by, alert.acknowledged_at = e.by, e.at


def _alert_resolved(s: State, e: Recorded) -> None:
    alert = s.alerts[e.data["alert"]]
    alert.resolved_at, alert.resolved_reason = e.at, e.data["reason"]


def _emergency_declared(s: State, e: Recorded) -> None:
    d = e.data
    _count(s, "emergency")
    s.emergencies[d["emergency"]] = Emergency(
        d["emergency"],
        d.get("member"),
        d.get("unit"),
        d.get("incident"),
        _point(d.get("location")),
        e.at,
        e.by,
    )
    if d.get("member"):
        member = s.members[d["member"]]
        member.status, member.status_since = "down", e.at
        if d.get("incident"):
            member.incident = d["incident"]
    _commit_unit(s, d)


def _emergency_located(s: State, e: Recorded) -> None:
    d = e.data
    emergency = s.emergencies[d["emergency"]]
    emergency.location, emergency.incident = dict(d["location"]), d["incident"]
    if emergency.member:
        s.members[emergency.member].incident = d["incident"]
    _commit_unit(s, d)


def _commit_unit(s: State, d: Mapping[str, Any]) -> None:
    """The distressed member's unit stays with him: it is on his emergency's incident."""
    if d.get("unit") and d.get("incident"):
        _attach_unit(s, s.units[d["unit"]], d["incident"])


def _emergency_cleared(s: State, e: Recorded) -> None:
    s.emergencies[e.data["emergency"]].cleared_at = e.at
    for follow in e.data.get("follow", []):
        # The unit goes on to the partner still down (safety.emergency_clear).
        _attach_unit(s, s.units[follow["unit"]], follow["incident"])


def _subject_added(s: State, e: Recorded) -> None:
    d = e.data
    _count(s, "subject")
    s.subjects[d["subject"]] = Subject(
        d["subject"], d["incident"], d["role"], d.get("description"), d.get("member")
    )
    s.incidents[d["incident"]].subjects.append(d["subject"])


def _bolo_issued(s: State, e: Recorded) -> None:
    d = e.data
    _count(s, "bolo")
    s.bolos[d["bolo"]] = Bolo(
        d["bolo"],
        d.get("description"),
        d.get("subject"),
        d.get("area"),
        d.get("expires"),
        e.at,
        incident=d.get("incident"),
    )


def _bolo_cancelled(s: State, e: Recorded) -> None:
    bolo = s.bolos[e.data["bolo"]]
    bolo.active, bolo.cancelled_at = False, e.at


def _transport_started(s: State, e: Recorded) -> None:
    s.units[e.data["unit"]].destination = e.data["destination"]


def _road_closed(s: State, e: Recorded) -> None:
    d = e.data
    _count(s, "closure")
    s.closures[d["closure"]] = Closure(
        d["closure"],
        [int(x) for x in d["segments"]],
        None if d["closed"] else float(d["factor"]),
        e.at,
        e.by,
        street=d.get("street"),
        location=_point(d.get("location")),
        reason=d.get("reason"),
        map=d.get("map"),
    )


def _road_reopened(s: State, e: Recorded) -> None:
    s.closures[e.data["closure"]].reopened_at = e.at


def _message_sent(s: State, e: Recorded) -> None:
    d = e.data
    to = d["to"]
    s.messages[d["message"]] = Message(
        d["message"],
        to,
        d.get(to) if to in ("unit", "member", "agency") else None,
        d["text"],
        d["priority"],
        e.at,
        e.by,
        list(d["recipients"]),
        list(d["parties"]),
        d.get("from_member"),
        d.get("canned"),
    )


def _message_delivered(s: State, e: Recorded) -> None:
    message = s.messages.get(e.data["message"])
    if message is not None:
        message.delivered.setdefault(e.data["reader"], e.at)


def _message_read(s: State, e: Recorded) -> None:
    message = s.messages.get(e.data["message"])
    if message is not None:
        message.read.setdefault(e.data["reader"], e.at)


def _facility_status_changed(s: State, e: Recorded) -> None:
    d = e.data
    facility = s.facilities[d["facility"]]
    facility.status = d["state"]
    facility.diversion = list(d["services"])
    facility.beds = dict(d["beds"])
    facility.status_by = e.by
    facility.status_at = e.at


def _nothing(s: State, e: Recorded) -> None:
    """Events that are history only (notes, requests, recommendations) change no state."""


_APPLY: dict[str, Callable[[State, Recorded], None]] = {
    "agency.registered": _agency_registered,
    "facility.registered": _facility_registered,
    "member.registered": _member_registered,
    "unit.registered": _unit_registered,
    "unit.logged_on": _unit_logged_on,
    "unit.logged_off": _unit_logged_off,
    "tip.received": _tip_received,
    "tip.dismissed": _tip_dismissed,
    "call.received": _call_received,
    "incident.created": _incident_created,
    "incident.linked": _incident_linked,
    "incident.unlinked": _incident_unlinked,
    "incident.updated": _incident_updated,
    "incident.noted": _nothing,
    "incident.closed": _incident_closed,
    "unit.dispatched": _unit_dispatched,
    "unit.status_changed": _unit_status_changed,
    "unit.located": _unit_located,
    "member.located": _member_located,
    "member.status_changed": _member_status_changed,
    "member.checked_in": _nothing,
    "backup.requested": _nothing,
    "emergency.declared": _emergency_declared,
    "emergency.cleared": _emergency_cleared,
    "alert.raised": _alert_raised,
    "alert.acknowledged": _alert_acknowledged,
    "alert.resolved": _alert_resolved,
    "emergency.located": _emergency_located,
    "recommendation.made": _nothing,
    "subject.added": _subject_added,
    "bolo.issued": _bolo_issued,
    "bolo.cancelled": _bolo_cancelled,
    "arrest.recorded": _nothing,
    "transport.started": _transport_started,
    "transport.arrived": _nothing,
    "road.closed": _road_closed,
    "road.reopened": _road_reopened,
    "message.sent": _message_sent,
    "message.delivered": _message_delivered,
    "message.read": _message_read,
    "facility.status_changed": _facility_status_changed,
    "audit.login": _nothing,
    "audit.logout": _nothing,
    "audit.login_failed": _nothing,
    "audit.locked": _nothing,
    "audit.denied": _nothing,
    "audit.throttled": _nothing,
    "audit.account": _nothing,
}


def evolve(state: State, event: Recorded) -> State:
    """Fold one journaled event into ``state`` (in place) and return it."""
    apply = _APPLY.get(event.type)
    if apply is None:
        # An event type this version does not know (written by a newer node): keep
        # position and versions so concurrency checks stay right, change nothing else.
        pass
    else:
        apply(state, event)
    state.versions[event.stream] = event.version
    state.seq = event.seq
    return state
