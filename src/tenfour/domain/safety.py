"""Decisions that keep officers safe: backup requests, emergencies, alerts, recommendations."""

from __future__ import annotations

from typing import Any

from tenfour.domain import commands as c
from tenfour.domain.errors import CommandRejected
from tenfour.domain.events import Event
from tenfour.domain.lookup import (
    Context,
    actor_member,
    get_alert,
    get_emergency,
    get_incident,
    get_on_duty_member,
    get_on_duty_unit,
    get_open_incident,
    next_incident_id,
    numbered,
    point_of,
    require_own_unit,
    require_self,
)
from tenfour.domain.state import Member, State, Unit

#: The incident type an officer emergency turns its incident into (APCO style).
MAYDAY = "MAYDAY"


def _member_and_unit(state: State, cmd: c.MemberOrUnit) -> tuple[Member | None, Unit | None]:
    member = get_on_duty_member(state, cmd.member) if cmd.member else None
    unit_id = cmd.unit or (member.unit if member else None)
    unit = get_on_duty_unit(state, unit_id) if unit_id else None
    if member is not None and unit is not None and member.unit != unit.id:
        raise CommandRejected.one(
            "with.unit", f"member {member.id} is not on unit {unit.id}", "conflict"
        )
    return member, unit


def backup_request(state: State, cmd: c.BackupRequest, ctx: Context) -> list[Event]:
    incident = get_open_incident(state, cmd.incident)
    member, unit = _member_and_unit(state, cmd)
    if member is not None:
        require_self(ctx, member)
    elif unit is not None:
        require_own_unit(ctx, state, unit)
    location = (
        (member.location if member else None)
        or (unit.location if unit else None)
        or incident.location
    )
    data: dict[str, object] = {
        "incident": incident.id,
        "count": cmd.count,
        "urgency": cmd.urgency,
        "location": location,
    }
    if member is not None:
        data["member"] = member.id
    if unit is not None:
        data["unit"] = unit.id
    return [Event("backup.requested", f"incident:{incident.id}", data)]


def _emergency_location(
    state: State, cmd: c.EmergencyDeclare, ctx: Context, member: Member | None, unit: Unit | None
) -> dict[str, Any]:
    """Where help goes: the place given; else 'at my location' (the declarer);
    else the last known position of the member (or unit) in distress."""
    if cmd.location is not None:
        return point_of(cmd.location, "with.location")
    declarer = actor_member(ctx, state)
    for known in (
        declarer.location if declarer else None,
        member.location if member else None,
        unit.location if unit else None,
    ):
        if known:
            return dict(known)
    raise CommandRejected.one("with.location", "no position is known: give a location", "conflict")


def emergency_declare(state: State, cmd: c.EmergencyDeclare, ctx: Context) -> list[Event]:
    member, unit = _member_and_unit(state, cmd)
    for open_one in state.emergencies.values():
        if open_one.open and (
            (member is not None and open_one.member == member.id)
            or (member is None and unit is not None and open_one.unit == unit.id)
        ):
            raise CommandRejected.one(
                "with.member" if member else "with.unit",
                f"emergency {open_one.id} is already open for {member.id if member else unit.id if unit else None}",
                "conflict",
            )
    location = _emergency_location(state, cmd, ctx, member, unit)
    events: list[Event] = []
    incident_id = next(
        (
            i
            for i in (member.incident if member else None, unit.incident if unit else None)
            if i and state.incidents[i].open
        ),
        None,
    )
    if incident_id is None:
        incident_id = next_incident_id(state, ctx.now)
        events.append(
            Event(
                "incident.created",
                f"incident:{incident_id}",
                {
                    "incident": incident_id,
                    "incident_type": MAYDAY,
                    "priority": 1,
                    "location": location,
                    "source": "emergency",
                    "text": cmd.text,
                },
            )
        )
    emergency = numbered(state, "emergency", "E")
    who: dict[str, object] = {}
    if member is not None:
        who["member"] = member.id
    if unit is not None:
        who["unit"] = unit.id
    events.append(
        Event(
            "emergency.declared",
            f"emergency:{emergency}",
            {
                "emergency": emergency,
                "incident": incident_id,
                "location": location,
                "text": cmd.text,
                **who,
            },
        )
    )
    events.append(
        Event(
            "alert.raised",
            f"alert:{numbered(state, 'alert', 'A')}",
            {
                "alert": numbered(state, "alert", "A"),
                "kind": "emergency",
                "severity": "high",
                "incident": incident_id,
                "emergency": emergency,
                "text": cmd.text,
                **who,
            },
        )
    )
    incident = state.incidents.get(incident_id)
    if incident is not None and (incident.type != MAYDAY or incident.priority != 1):
        changes = {"incident_type": MAYDAY, "priority": 1}
        events.append(
            Event(
                "incident.updated",
                f"incident:{incident_id}",
                {
                    "incident": incident_id,
                    "changes": changes,
                    "before": {"incident_type": incident.type, "priority": incident.priority},
                    "emergency": emergency,
                    **changes,
                },
            )
        )
    return events


def emergency_clear(state: State, cmd: c.EmergencyClear, ctx: Context) -> list[Event]:
    emergency = get_emergency(state, cmd.emergency)
    if not emergency.open:
        raise CommandRejected.one(
            "with.emergency", f"emergency {emergency.id} is already cleared", "conflict"
        )
    data: dict[str, object] = {"emergency": emergency.id, "incident": emergency.incident}
    if emergency.member:
        data["member"] = emergency.member
    if cmd.text:
        data["text"] = cmd.text
    return [Event("emergency.cleared", f"emergency:{emergency.id}", data)]


def alert_acknowledge(state: State, cmd: c.AlertAcknowledge, ctx: Context) -> list[Event]:
    alert = get_alert(state, cmd.alert)
    if not alert.open:
        raise CommandRejected.one(
            "with.alert",
            f"alert {alert.id} was acknowledged by {alert.acknowledged_by}",
            "conflict",
        )
    return [
        Event("alert.acknowledged", f"alert:{alert.id}", {"alert": alert.id, "kind": alert.kind})
    ]


def alert_raise(state: State, cmd: c.AlertRaise, ctx: Context) -> list[Event]:
    alert = numbered(state, "alert", "A")
    data = {"alert": alert, **cmd.model_dump(mode="json", exclude_none=True)}
    return [Event("alert.raised", f"alert:{alert}", data)]


def recommendation_make(state: State, cmd: c.RecommendationMake, ctx: Context) -> list[Event]:
    if cmd.incident is not None:
        get_incident(state, cmd.incident)
    data = cmd.model_dump(exclude_none=True)
    data.setdefault("incident", None)
    stream = f"incident:{cmd.incident}" if cmd.incident else "recommendations"
    return [Event("recommendation.made", stream, data)]


def audit_record(state: State, cmd: c.AuditRecord, ctx: Context) -> list[Event]:
    data = cmd.model_dump(exclude_none=True)
    return [Event(f"audit.{cmd.action}", f"audit:{cmd.user}", data)]
