"""Decisions that keep officers safe: backup requests, emergencies, alerts, recommendations."""

from __future__ import annotations

from typing import Any

from tenfour.domain import commands as c
from tenfour.domain.errors import CommandRejected
from tenfour.domain.events import Event
from tenfour.domain.incidents import incident_updated
from tenfour.domain.lookup import (
    Context,
    actor_member,
    committed_to,
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
from tenfour.domain.state import Alert, Emergency, Incident, Member, State, Unit
from tenfour.domain.values import distance_m

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
) -> dict[str, Any] | None:
    """Where help goes: the place given; else 'at my location' (the declarer); else the
    member in distress; else his unit; else the incident he is on. None when nothing at
    all is known: an officer-down call is never refused for want of a position."""
    if cmd.location is not None:
        return point_of(cmd.location, "with.location")
    declarer = actor_member(ctx, state)
    incident = _member_incident(state, member, unit)
    # Going on scene counts as a position report (evolve puts the unit, and the crew
    # with it, at the incident), so a fix from before it is never taken here.
    for known in (
        declarer.location if declarer else None,
        member.location if member else None,
        unit.location if unit else None,
        incident.location if incident else None,
    ):
        if known:
            return dict(known)
    return None


def _member_incident(state: State, member: Member | None, unit: Unit | None) -> Incident | None:
    """The open incident the member in distress (or his unit) is on."""
    for incident_id in (member.incident if member else None, unit.incident if unit else None):
        if incident_id and state.incidents[incident_id].open:
            return state.incidents[incident_id]
    return None


def _mayday_incident(
    incident_id: str, location: dict[str, Any], text: str | None, **extra: object
) -> Event:
    data: dict[str, object] = {
        "incident": incident_id,
        "incident_type": MAYDAY,
        "priority": 1,
        "location": location,
        "source": "emergency",
        "text": text,
    }
    return Event("incident.created", f"incident:{incident_id}", {**data, **extra})


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
    on = _member_incident(state, member, unit)
    incident_id: str | None = on.id if on is not None else None
    own_scene = False
    if on is not None and location is not None:
        # One scene, one plan: help sent to the incident he was on is not help for him
        # when he is down somewhere else (a unit sent to one emergency, its officer
        # down 600 m away, is a second emergency).
        metres = distance_m(
            (float(location["lat"]), float(location["lon"])),
            (float(on.location["lat"]), float(on.location["lon"])),
        )
        own_scene = metres > ctx.same_scene_m
    if location is not None and (incident_id is None or own_scene):
        incident_id = next_incident_id(state, ctx.now)
        events.append(_mayday_incident(incident_id, location, cmd.text))
    emergency = numbered(state, "emergency", "E")
    who: dict[str, object] = {}
    if member is not None:
        who["member"] = member.id
    if unit is not None and member is not None and committed_to(state, unit) is not None:
        # His partner went down first: the unit stays with that emergency (a unit can
        # be at one scene only); this one's plan is worked out without it.
        unit = None
    if unit is not None:
        who["unit"] = unit.id
    declared: dict[str, object] = {
        "emergency": emergency,
        "incident": incident_id,
        "location": location,
        "text": cmd.text,
        **who,
    }
    if own_scene and on is not None:
        declared["own_incident"] = True
        declared["away_from"] = on.id
    if unit is not None and unit.incident and unit.incident != incident_id and incident_id:
        declared["diverted_from"] = unit.incident  # his unit stays with him from now on
    events.append(Event("emergency.declared", f"emergency:{emergency}", declared))
    alert: dict[str, object] = {
        "alert": numbered(state, "alert", "A"),
        "kind": "emergency",
        "severity": "high",
        "incident": incident_id,
        "emergency": emergency,
        "text": cmd.text,
        **who,
    }
    events.append(Event("alert.raised", f"alert:{alert['alert']}", alert))
    incident = state.incidents.get(incident_id or "")
    if incident is not None and (incident.type != MAYDAY or incident.priority != 1):
        changes: dict[str, object] = {"incident_type": MAYDAY, "priority": 1}
        events.append(incident_updated(incident, changes, emergency=emergency))
    return events


def emergency_locate(state: State, cmd: c.EmergencyLocate, ctx: Context) -> list[Event]:
    """An emergency declared with no position at all gets one: its MAYDAY incident is
    placed there and the response plan can run."""
    emergency = get_emergency(state, cmd.emergency)
    if not emergency.open:
        raise CommandRejected.one(
            "with.emergency", f"emergency {emergency.id} is already cleared", "conflict"
        )
    if emergency.location is not None:
        raise CommandRejected.one(
            "with.emergency",
            f"emergency {emergency.id} already has a location (incident {emergency.incident})",
            "conflict",
        )
    location = point_of(cmd.location, "with.location")
    incident_id = next_incident_id(state, ctx.now)
    created = _mayday_incident(incident_id, location, None, emergency=emergency.id)
    data: dict[str, object] = {
        "emergency": emergency.id,
        "incident": incident_id,
        "location": location,
    }
    if emergency.member:
        data["member"] = emergency.member
    unit = state.units.get(emergency.unit or "")
    if unit is not None:
        data["unit"] = unit.id
        if unit.incident and state.incidents[unit.incident].open:
            data["diverted_from"] = unit.incident
    return [created, Event("emergency.located", f"emergency:{emergency.id}", data)]


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
    follow = _units_that_follow(state, emergency)
    if follow:
        data["follow"] = follow
    return [Event("emergency.cleared", f"emergency:{emergency.id}", data)]


def _units_that_follow(state: State, cleared: Emergency) -> list[dict[str, str]]:
    """Units that stay with another distressed member once ``cleared`` is over.

    Two of one crew down at two scenes: their unit stayed on the first emergency's
    incident. When that one is cleared, it goes with the partner still down (DOMAIN.md:
    the distressed member's unit stays with him)."""
    follow = []
    for unit_id in sorted(_own_units(state, cleared)):
        for other in state.emergencies.values():
            if other.id == cleared.id or not other.open or other.incident is None:
                continue
            if unit_id not in _own_units(state, other):
                continue
            if state.units[unit_id].incident != other.incident:
                follow.append({"unit": unit_id, "incident": other.incident, "emergency": other.id})
            break
    return follow


def _own_units(state: State, emergency: Emergency) -> set[str]:
    """The distressed member's unit (and the unit the emergency was declared for)."""
    own = {emergency.unit} if emergency.unit else set()
    member = state.members.get(emergency.member or "")
    if member is not None and member.unit:
        own.add(member.unit)
    return {u for u in own if u in state.units}


def alert_acknowledge(state: State, cmd: c.AlertAcknowledge, ctx: Context) -> list[Event]:
    alert = get_alert(state, cmd.alert)
    if alert.acknowledged_by is not None:
        raise CommandRejected.one(
            "with.alert",
            f"alert {alert.id} was acknowledged by {alert.acknowledged_by}",
            "conflict",
        )
    if alert.resolved_at is not None:
        raise CommandRejected.one(
            "with.alert", f"alert {alert.id} is resolved: {alert.resolved_reason}", "conflict"
        )
    return [
        Event("alert.acknowledged", f"alert:{alert.id}", {"alert": alert.id, "kind": alert.kind})
    ]


def condition_of(
    kind: str,
    member: str | None,
    unit: str | None,
    incident: str | None,
    emergency: str | None,
    message: str | None = None,
) -> tuple[str | None, ...] | None:
    """What an alert is about, for "one open alert per condition" (None: each is its own)."""
    if kind == "message_unread":
        return (kind, message)
    if kind in ("status_check_overdue", "member_unresponsive"):
        return (kind, member, None if member else unit)
    if kind == "dispatch_unacknowledged":
        return (kind, unit, incident)
    if kind == "incident_unassigned":
        return (kind, incident)
    if kind in ("emergency", "plan_short"):
        return (kind, emergency)
    if kind == "backup_requested":
        return (kind, incident, member, unit)
    return None  # policy_failed: every failure is its own


def open_alert_for(state: State, condition: tuple[str | None, ...] | None) -> Alert | None:
    if condition is None:
        return None
    for alert in state.alerts.values():
        if alert.active and condition == condition_of(
            alert.kind, alert.member, alert.unit, alert.incident, alert.emergency, alert.message
        ):
            return alert
    return None


def alert_raise(state: State, cmd: c.AlertRaise, ctx: Context) -> list[Event]:
    same = open_alert_for(
        state,
        condition_of(cmd.kind, cmd.member, cmd.unit, cmd.incident, cmd.emergency, cmd.message),
    )
    if same is not None:
        raise CommandRejected.one(
            "with.kind", f"{cmd.kind} is already open as alert {same.id}", "conflict"
        )
    alert = numbered(state, "alert", "A")
    data = {"alert": alert, **cmd.model_dump(mode="json", exclude_none=True)}
    return [Event("alert.raised", f"alert:{alert}", data)]


def alert_resolve(state: State, cmd: c.AlertResolve, ctx: Context) -> list[Event]:
    alert = get_alert(state, cmd.alert)
    if alert.resolved_at is not None:
        raise CommandRejected.one(
            "with.alert",
            f"alert {alert.id} is already resolved: {alert.resolved_reason}",
            "conflict",
        )
    data: dict[str, object] = {"alert": alert.id, "kind": alert.kind, "reason": cmd.reason}
    for name in ("member", "unit", "incident", "emergency"):
        value = getattr(alert, name)
        if value is not None:
            data[name] = value
    return [Event("alert.resolved", f"alert:{alert.id}", data)]


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
