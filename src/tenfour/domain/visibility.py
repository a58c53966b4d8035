"""Need to know: what each role may read of the state and of the journal.

What a role may not read never reaches it: the snapshot, the live feed and the
queries pass through the role's ``Sight`` at the source, so no page has to hide it.

- **Tips** are read whole (text, contact, tracking code) by the roles that triage
  them: calltaker, dispatcher, supervisor, admin. An analyst reads them without the
  tipster's ``contact`` and ``tracking_code`` (a report needs how many came in and what
  became of them, not who told). An officer reads no tip at all: the text of a tip
  promoted to an incident reaches him as that incident's (``incident.created`` and
  its timeline), never the contact or the code.
- **Audit events** (``audit.*``: logins, failures with the name typed, locks,
  denials) are read by supervisor, admin and analyst only.
- **Messages** (``message.*`` and the ``messages`` table) are read whole by the desk
  and the analyst; an officer reads only those he is a party to (addressed to him,
  his unit, his agency or all, or sent by him: the event's ``parties``), so a message
  to a unit reaches that crew's MDTs and the desk, and no one else's.

- **A hospital's account** (role ``hospital``, its member the facility's id) reads its
  own facility and the transports coming to it: the ``transport.*`` events whose
  ``destination`` is its facility (unit, incident number, patient, need) and the units
  carrying them (kind, status, position, destination): a unit is read from its
  ``transport.started`` to the facility until its ``transport.arrived`` (or its leaving
  ``transporting``), its ``unit.*`` events included, so the ambulance's position stays
  fresh on the hospital's page (``Transports`` follows which units those are, event by
  event). Nothing else: no incident's address, narrative or subjects, no other unit,
  facility, member, tip, alert, message or audit event; a transport names its incident
  only by number.

A role's view stays foldable (a hospital's excepted: a unit enters its view with the
``transport.started`` that brings it, so its client reads the snapshot again then):
its snapshot plus the events it is sent (and the ``position`` of the events it is
not) is exactly its next snapshot. So a hidden
family of events is left out of ``versions`` (its stream names carry the tip ids and
the names typed at the login prompt) and, for tips, out of ``counters``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

TipSight = Literal["whole", "redacted", "none"]
MessageSight = Literal["all", "own"]

#: What an analyst's tips leave out.
TIP_SECRETS = ("contact", "tracking_code")
#: Event families (the part of the type before the dot, and of the stream before the
#: colon) that not every role reads.
TIP, AUDIT, MESSAGE = "tip", "audit", "message"


@dataclass(frozen=True)
class Sight:
    """What one role may read: tips whole, redacted or not at all; audit or not;
    messages all, or (``own``) only those whose ``parties`` hold ``member``."""

    tips: TipSight
    audit: bool
    messages: MessageSight = "all"
    #: The member an ``own`` sight reads messages for (None: no message at all).
    member: str | None = None
    #: A hospital's sight: its facility's id; it reads only that facility and the
    #: transports to it (see the module docstring).
    facility: str | None = None

    def sees(self, event_type: str) -> bool:
        """Whether events of this type reach the role at all (for a type alone: an
        officer's messages need the event itself, ``event``)."""
        family = event_type.split(".", 1)[0]
        if self.facility is not None:
            return family in HOSPITAL_FAMILIES
        if family == TIP:
            return self.tips != "none"
        if family == AUDIT:
            return self.audit
        if family == MESSAGE:
            return self.messages == "all"
        return True

    def _party(self, parties: object) -> bool:
        return self.member is not None and isinstance(parties, list) and self.member in parties

    def _sees_stream(self, stream: str, state: Mapping[str, Any]) -> bool:
        family, _, ident = stream.partition(":")
        if self.facility is not None:
            if family == "facility":
                return ident == self.facility
            return family == "unit" and ident in self._incoming(state)
        if family == TIP:
            return self.tips != "none"
        if family == AUDIT:
            return self.audit
        if family == MESSAGE and self.messages == "own":
            message = state.get("messages", {}).get(ident)
            return message is not None and self._party(message["parties"])
        return True

    def data(self, event_type: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """An event's fields as this role reads them (a flat event or its ``data``)."""
        if event_type == "tip.received" and self.tips == "redacted":
            return {k: v for k, v in data.items() if k not in TIP_SECRETS}
        return dict(data)

    def event(self, row: Mapping[str, Any], towards: str | None = None) -> dict[str, Any] | None:
        """A flat event (``StoredEvent.to_json()``) as this role reads it, or None.
        ``towards``: the facility the event's unit was carrying a patient to just
        before it (``Transports.towards``); only a hospital's sight needs it."""
        kind = str(row["type"])
        if self.facility is not None:
            return dict(row) if self._hospital_reads(kind, row, towards) else None
        if kind.split(".", 1)[0] == MESSAGE and self.messages == "own":
            return self.data(kind, row) if self._party(row.get("parties")) else None
        return self.data(kind, row) if self.sees(kind) else None

    def _hospital_reads(self, kind: str, row: Mapping[str, Any], towards: str | None) -> bool:
        family = kind.split(".", 1)[0]
        if family == "facility":
            return row.get("facility") == self.facility
        if family == "transport":
            # Its own transports; and one that was coming here and ends elsewhere (the
            # crew turned to another door), so the page stops waiting for it.
            return self.facility in (row.get("destination"), towards)
        return family == "unit" and towards == self.facility

    def audience(self, event_type: str) -> Sight:
        """The sight that reads events of ``event_type`` exactly as this one does, with
        what does not matter for them left out: an officer's member matters for
        messages alone, so every MDT reads the other events alike (the live hub filters
        and encodes an event once per audience, not once per officer)."""
        if self.member is None or self.facility is not None:
            return self
        if event_type.split(".", 1)[0] == MESSAGE and self.messages == "own":
            return self
        return dataclasses.replace(self, member=None)

    def tip(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """One row of the tips table (``dataclasses.asdict(Tip)``) as this role reads it."""
        if self.tips == "redacted":
            return {**row, **dict.fromkeys(TIP_SECRETS)}
        return dict(row)

    def state(self, state: Mapping[str, Any]) -> dict[str, Any]:
        """A state as JSON (``state_to_json``) as this role reads it: same keys, with
        what the role may not read left out."""
        if self.facility is not None:
            return self._hospital_state(state)
        out = dict(state)
        if self.tips == "none":
            out["tips"] = {}
            out["counters"] = {k: v for k, v in state["counters"].items() if k != TIP}
        elif self.tips == "redacted":
            out["tips"] = {k: self.tip(row) for k, row in state["tips"].items()}
        if self.tips != "whole":
            out["tips_by_code"] = {}
        if self.messages == "own":
            messages = state.get("messages", {})
            out["messages"] = {k: m for k, m in messages.items() if self._party(m["parties"])}
        out["versions"] = {
            k: v for k, v in state["versions"].items() if self._sees_stream(k, state)
        }
        return out

    def _incoming(self, state: Mapping[str, Any]) -> dict[str, Any]:
        """The units carrying a patient to this sight's facility (not yet arrived)."""
        units: Mapping[str, Any] = state.get("units", {})
        return {
            k: u
            for k, u in units.items()
            if u.get("destination") == self.facility and u.get("status") == TRANSPORTING
        }

    def _hospital_state(self, state: Mapping[str, Any]) -> dict[str, Any]:
        own = state.get("facilities", {}).get(self.facility)
        out: dict[str, Any] = {k: ({} if isinstance(v, Mapping) else v) for k, v in state.items()}
        out["facilities"] = {} if own is None else {self.facility: own}
        out["units"] = self._incoming(state)
        out["versions"] = {
            k: v for k, v in state["versions"].items() if self._sees_stream(k, state)
        }
        return out


#: What a hospital's account reads events of (its own facility's, transports to it and
#: the units carrying them).
HOSPITAL_FAMILIES = frozenset({"facility", "transport", "unit"})
#: The unit status of a crew carrying a patient (``transport.started`` sets it).
TRANSPORTING = "transporting"


class Transports:
    """Which units carry a patient, and to which facility, followed event by event: a
    hospital's sight reads a unit's events only while it comes to that hospital, and a
    batch of events may both start and end a transport, so each event is judged by
    what held just before it (``towards``), not by the state after the batch."""

    def __init__(self, units: Mapping[str, Any]) -> None:
        """Start from a state's ``units`` (objects or JSON mappings)."""
        self.heading: dict[str, str] = {}
        for unit_id, unit in units.items():
            status, destination = (_field(unit, k) for k in ("status", "destination"))
            if status == TRANSPORTING and destination:
                self.heading[unit_id] = str(destination)

    def towards(self, row: Mapping[str, Any]) -> str | None:
        """The facility the event's unit was heading to before it; then follow it."""
        unit = row.get("unit")
        if not isinstance(unit, str):
            return None
        before = self.heading.get(unit)
        kind = row["type"]
        if kind == "transport.started":
            self.heading[unit] = str(row["destination"])
        elif kind == "transport.arrived" or (
            kind == "unit.status_changed" and row.get("to") != TRANSPORTING
        ):
            self.heading.pop(unit, None)
        return before


def _field(unit: Any, name: str) -> Any:
    return unit.get(name) if isinstance(unit, Mapping) else getattr(unit, name, None)


WHOLE = Sight(tips="whole", audit=True)
#: Roles not listed (and any added later) read neither tips nor audit events.
NOTHING_PRIVATE = Sight(tips="none", audit=False, messages="own")
SIGHTS: dict[str, Sight] = {
    "officer": Sight(tips="none", audit=False, messages="own"),
    "calltaker": Sight(tips="whole", audit=False),
    "dispatcher": Sight(tips="whole", audit=False),
    "supervisor": WHOLE,
    "admin": WHOLE,
    "analyst": Sight(tips="redacted", audit=True),
    "hospital": Sight(tips="none", audit=False, messages="own"),
}


def sight_of(role: str, member: str | None = None) -> Sight:
    """What ``role`` may read; an officer's messages are those of his ``member``, a
    hospital account's facility is its ``member``."""
    sight = SIGHTS.get(role, NOTHING_PRIVATE)
    if role == "hospital":
        # no member: a facility id nothing has, so it reads nothing at all
        return dataclasses.replace(sight, member=None, facility=member or "")
    if sight.messages == "own":
        return dataclasses.replace(sight, member=member)
    return sight
