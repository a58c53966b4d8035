"""Status-check timers: who must make contact by when, and what to raise if they don't.

``Watches`` is a fold over journaled events, like state: every deadline is computed
from event times, and a fired timer advances only when its ``alert.raised`` event is
journaled. Rebuilding from the journal after a restart therefore re-creates exactly
the pending deadlines, and a timer can never fire twice for the same silence.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tenfour.domain.commands import Command, parse_command
from tenfour.domain.safety import condition_of, open_alert_for
from tenfour.domain.state import Recorded, State
from tenfour.domain.values import SYSTEM
from tenfour.policies.config import PolicyConfig

#: Events that never count as contact: automatic positions (AVL, phone GPS).
NOT_CONTACT = frozenset({"unit.located", "member.located"})

#: Watch kinds: a member's or unit's status checks, a dispatch awaiting acknowledgement,
#: a priority-1 incident awaiting its first unit, a priority message awaiting a reader.
MEMBER, UNIT, DISPATCH, UNASSIGNED = "member", "unit", "dispatch", "unassigned"
MESSAGE = "message"


@dataclass
class Watch:
    kind: str
    subject: str  # member id, unit id or incident id
    interval_s: float
    due: datetime | None  # None: dormant until the next contact
    missed: int = 0
    incident: str | None = None


def _time(at: str) -> datetime:
    return datetime.fromisoformat(at)


class Watches:
    """Every pending deadline, keyed by (kind, subject)."""

    def __init__(self, config: PolicyConfig) -> None:
        self.config = config
        self.pending: dict[tuple[str, str], Watch] = {}
        #: Deadlines whose alert the domain refused (one open alert per condition):
        #: answered, so not fired again. Keyed like the alerts, by the deadline itself.
        self.settled: set[str] = set()

    # --- folding events in -------------------------------------------------------
    def observe(self, state: State, event: Recorded) -> None:
        """Update deadlines after ``event`` (``state`` already includes it)."""
        at = _time(event.at)
        d = event.data
        timers = self.config.timers
        kind = event.type
        if kind == "member.status_changed":
            self._status_watch(MEMBER, d["member"], d["to"], at, d.get("incident"))
        elif kind == "unit.status_changed":
            self.pending.pop((DISPATCH, d["unit"]), None)
            self._status_watch(UNIT, d["unit"], d["to"], at, d.get("incident"))
            if d.get("incident") in state.incidents:
                # A unit that put itself on the incident is the unit it was waiting for.
                self._unassigned_watch(state, d["incident"], at)
        elif kind == "unit.dispatched":
            # Dispatched is not a timed status: an on-scene check from the incident it
            # was taken off must not follow it (the acknowledgement watch does instead).
            self.pending.pop((UNIT, d["unit"]), None)
            self.pending[(DISPATCH, d["unit"])] = Watch(
                DISPATCH,
                d["unit"],
                timers.dispatch_ack_s,
                at + _s(timers.dispatch_ack_s),
                0,
                d["incident"],
            )
            self.pending.pop((UNASSIGNED, d["incident"]), None)
        elif kind in ("unit.logged_off",):
            self.pending.pop((UNIT, d["unit"]), None)
            self.pending.pop((DISPATCH, d["unit"]), None)
            for member in d["members"]:
                self.pending.pop((MEMBER, member), None)
        elif kind in ("incident.created", "incident.updated"):
            self._unassigned_watch(state, d["incident"], at)
        elif kind == "incident.closed":
            self.pending.pop((UNASSIGNED, d["incident"]), None)
        elif kind == "emergency.declared" and d.get("member"):
            # The emergency itself now holds everyone's attention: no more check-ins,
            # nor for his unit when nobody on it is left standing.
            self.pending.pop((MEMBER, d["member"]), None)
            unit = state.units.get(d.get("unit") or "")
            if unit is not None and all(state.members[m].status == "down" for m in unit.members):
                self.pending.pop((UNIT, unit.id), None)
        elif kind == "message.sent" and d["priority"] == "priority":
            wait = timers.message_unread_s
            self.pending[(MESSAGE, d["message"])] = Watch(
                MESSAGE, d["message"], wait, at + _s(wait), 0, None
            )
        elif kind == "message.read":
            self.pending.pop((MESSAGE, d["message"]), None)
        elif kind == "alert.raised":
            self._advance_after_alert(d)
        # An officer's own message is contact like any act of his: ``event.by`` is he.
        if kind not in NOT_CONTACT:
            self._contact(state, event, at)

    def _status_watch(
        self, kind: str, subject: str, status: str, at: datetime, incident: str | None
    ) -> None:
        timers = self.config.timers
        interval = {"pursuit": timers.pursuit_s, "onscene": timers.onscene_s}.get(status)
        if interval is None:
            self.pending.pop((kind, subject), None)
        else:
            self.pending[(kind, subject)] = Watch(
                kind, subject, interval, at + _s(interval), 0, incident
            )

    def _unassigned_watch(self, state: State, incident_id: str, at: datetime) -> None:
        incident = state.incidents[incident_id]
        key = (UNASSIGNED, incident_id)
        condition = condition_of("incident_unassigned", None, None, incident_id, None)
        alerted = open_alert_for(state, condition) is not None
        if incident.priority == 1 and not incident.units and incident.open and not alerted:
            if key not in self.pending:
                wait = self.config.timers.unassigned_p1_s
                self.pending[key] = Watch(
                    UNASSIGNED, incident_id, wait, at + _s(wait), 0, incident_id
                )
        else:
            self.pending.pop(key, None)

    def _advance_after_alert(self, data: Mapping[str, Any]) -> None:
        alert_kind = data["kind"]
        if alert_kind in ("status_check_overdue", "member_unresponsive"):
            key = (MEMBER, data["member"]) if data.get("member") else (UNIT, data.get("unit", ""))
            watch = self.pending.get(key)
            if watch is not None and watch.due is not None:
                watch.missed += 1
                # After the second miss the alert stands; wait for contact to re-arm.
                watch.due = watch.due + _s(watch.interval_s) if watch.missed < 2 else None
        elif alert_kind == "dispatch_unacknowledged":
            self.pending.pop((DISPATCH, str(data.get("unit"))), None)
        elif alert_kind == "incident_unassigned":
            self.pending.pop((UNASSIGNED, str(data.get("incident"))), None)
        elif alert_kind == "message_unread":
            self.pending.pop((MESSAGE, str(data.get("message"))), None)

    def _contact(self, state: State, event: Recorded, at: datetime) -> None:
        """Any action a member takes himself re-arms his checks and his unit's."""
        members: set[str] = set()
        units: set[str] = set()
        if event.by in state.members:
            members.add(event.by)
        if event.type in ("member.checked_in", "member.status_changed", "backup.requested"):
            if event.data.get("member"):
                members.add(event.data["member"])
            if event.data.get("unit"):
                units.add(event.data["unit"])
        for member_id in members:
            unit = state.members[member_id].unit
            if unit:
                units.add(unit)
        for key in [(MEMBER, m) for m in members] + [(UNIT, u) for u in units]:
            watch = self.pending.get(key)
            if watch is not None:
                watch.missed, watch.due = 0, at + _s(watch.interval_s)

    # --- firing -------------------------------------------------------------------
    def _live(self) -> list[Watch]:
        return [
            w for w in self.pending.values() if w.due is not None and key_of(w) not in self.settled
        ]

    def next_due(self) -> datetime | None:
        dues = [w.due for w in self._live() if w.due is not None]
        return min(dues) if dues else None

    def due_commands(self, state: State, now: datetime) -> list[tuple[str, Command]]:
        """The alerts owed at ``now``, in deadline order, each with the idempotency key
        that makes it once-only across nodes and restarts. Pure: nothing changes until
        the resulting ``alert.raised`` events are observed."""
        owed = sorted(
            (w for w in self._live() if w.due is not None and w.due <= now),
            key=lambda w: (w.due, w.kind, w.subject),
        )
        return [(key_of(w), self._alert_for(state, w)) for w in owed]

    def settle(self, key: str) -> None:
        """The alert for this deadline was refused as already open: do not fire it again."""
        self.settled.add(key)

    def _alert_for(self, state: State, watch: Watch) -> Command:
        payload: dict[str, object] = {"incident": watch.incident}
        if watch.kind == MEMBER:
            member = state.members[watch.subject]
            payload.update(member=member.id, unit=member.unit)
            payload["incident"] = member.incident or watch.incident
        elif watch.kind in (UNIT, DISPATCH):
            payload.update(unit=watch.subject)
            payload["incident"] = state.units[watch.subject].incident or watch.incident
        if watch.kind in (MEMBER, UNIT):
            second = watch.missed >= 1
            payload["kind"] = "member_unresponsive" if second else "status_check_overdue"
            payload["severity"] = "high" if second else "normal"
            payload["text"] = (
                f"no contact from {watch.subject} for {int(watch.interval_s * (watch.missed + 1))} s"
            )
        elif watch.kind == MESSAGE:
            message = state.messages[watch.subject]
            to = message.target or ("dispatch" if message.to == "dispatch" else message.to)
            payload.update(kind="message_unread", severity="normal", message=message.id)
            if message.to in ("unit", "member"):
                payload[message.to] = message.target
            payload["text"] = (
                f"priority message {message.id} to {to} unread for {int(watch.interval_s)} s"
            )
        elif watch.kind == DISPATCH:
            payload.update(kind="dispatch_unacknowledged", severity="normal")
            payload["text"] = f"{watch.subject} has not acknowledged in {int(watch.interval_s)} s"
        else:
            payload.update(kind="incident_unassigned", severity="high")
            payload["text"] = f"priority-1 incident without a unit for {int(watch.interval_s)} s"
        clean = {k: v for k, v in payload.items() if v is not None}
        return parse_command("alert.raise", clean, SYSTEM)


def key_of(watch: Watch) -> str:
    """One deadline, named: the same on every node that folds the same journal."""
    due = watch.due.isoformat() if watch.due is not None else "-"
    return f"timer:{watch.kind}:{watch.subject}:{due}:{watch.missed}"


def _s(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)
