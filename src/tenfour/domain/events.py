"""Every event type Ten-Four journals, with the fields each one always carries.

An event is what happened (``noun.verbed``). Events carry the fields of the command
that caused them under the same names at top level, plus what the system decided;
the one exception is an incident's ``type``, journaled as ``incident_type`` because
``type`` at top level is the event's own type in every export and feed.
The envelope (``seq``, ``at``, ``by``, ``stream``, ``version``) is added by the journal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: Event type -> the data fields it always carries (others may be present).
EVENTS: dict[str, frozenset[str]] = {
    name: frozenset(fields.split())
    for name, fields in {
        "agency.registered": "agency kind name",
        "facility.registered": "facility kind name location",
        "member.registered": "member name agency rank",
        "unit.registered": "unit agency kind",
        "unit.logged_on": "unit members status",
        "unit.logged_off": "unit members",
        "tip.received": "tip tracking_code text anonymous",
        "tip.dismissed": "tip",
        "call.received": "call source text incident_type priority location",
        "incident.created": "incident incident_type priority location source",
        "incident.linked": "incident call score reasons",
        "incident.unlinked": "incident call",
        "incident.updated": "incident changes",
        "incident.noted": "incident text",
        "incident.closed": "incident disposition",
        "unit.dispatched": "unit incident mode from",
        "unit.status_changed": "unit from to",
        "unit.located": "unit lat lon",
        "member.located": "member lat lon",
        "member.status_changed": "member from to",
        "member.checked_in": "member",
        "backup.requested": "incident count urgency",
        "emergency.declared": "emergency incident location",
        "emergency.cleared": "emergency",
        "alert.raised": "alert kind severity",
        "alert.acknowledged": "alert",
        "alert.resolved": "alert kind reason",
        "emergency.located": "emergency incident location",
        "recommendation.made": "incident location purpose need count candidates excluded",
        "subject.added": "subject incident role",
        "bolo.issued": "bolo",
        "bolo.cancelled": "bolo",
        "arrest.recorded": "incident subject charges members",
        "transport.started": "unit incident patient destination",
        "transport.arrived": "unit incident destination",
        "road.closed": "closure segments closed factor",
        "road.reopened": "closure",
        "message.sent": "message to text priority recipients parties",
        "message.delivered": "message reader parties",
        "message.read": "message reader parties",
        "facility.status_changed": "facility state services beds from",
        "audit.login": "user action outcome",
        "audit.logout": "user action outcome",
        "audit.login_failed": "user action outcome",
        "audit.locked": "user action outcome",
        "audit.denied": "user action outcome",
        "audit.throttled": "user action outcome",
        "audit.account": "user action outcome target",
    }.items()
}


@dataclass(frozen=True, slots=True)
class Event:
    """An event decided by the domain, before the journal gives it a place."""

    type: str
    stream: str
    data: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # A misspelt or incomplete event is a programming error: fail at once, loudly.
        required = EVENTS.get(self.type)
        if required is None:
            raise ValueError(f"unknown event type {self.type!r}")
        missing = required - self.data.keys()
        if missing:
            raise ValueError(f"{self.type} is missing {', '.join(sorted(missing))}")
