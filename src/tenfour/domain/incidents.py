"""Decisions about tips, calls, incidents, subjects, arrests and BOLOs."""

from __future__ import annotations

from datetime import datetime

from tenfour.domain import commands as c
from tenfour.domain.errors import CommandRejected
from tenfour.domain.events import Event
from tenfour.domain.lookup import (
    Context,
    actor_member,
    get_incident,
    get_member,
    get_on_duty_member,
    get_on_duty_unit,
    get_open_incident,
    get_tip,
    next_incident_id,
    numbered,
    point_of,
    require_free_to_leave,
    require_own_unit,
    unit_status_event,
)
from tenfour.domain.rules import SERVING
from tenfour.domain.state import Incident, State
from tenfour.domain.values import distance_m


def _seconds_between(earlier: str, later: str) -> float:
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds()


def incident_updated(incident: Incident, changes: dict[str, object], **extra: object) -> Event:
    """``incident.updated``: the changes (also at top level, to match on) and what each
    field was before, plus why (``call``, ``emergency``, ``reason``) when the system did it."""
    before = {k: _was(incident, k) for k in changes}
    data = {"incident": incident.id, "changes": changes, "before": before, **changes, **extra}
    return Event("incident.updated", f"incident:{incident.id}", data)


def _was(incident: Incident, field_: str) -> object:
    return incident.type if field_ == "incident_type" else getattr(incident, field_)


def tip_submit(state: State, cmd: c.TipSubmit, ctx: Context) -> list[Event]:
    tip = numbered(state, "tip", "T")
    data: dict[str, object] = {
        "tip": tip,
        "tracking_code": ctx.token(),
        "text": cmd.text,
        "anonymous": cmd.contact is None,
    }
    if cmd.location is not None:
        data["location"] = point_of(cmd.location, "with.location")
    if cmd.contact is not None:
        data["contact"] = cmd.contact
    return [Event("tip.received", f"tip:{tip}", data)]


def tip_promote(state: State, cmd: c.TipPromote, ctx: Context) -> list[Event]:
    tip = get_tip(state, cmd.tip)
    if tip.status != "received":
        raise CommandRejected.one("with.tip", f"tip {tip.id} is already {tip.status}", "conflict")
    if cmd.location is not None:
        location = point_of(cmd.location, "with.location")
    elif tip.location is not None:
        location = tip.location
    else:
        raise CommandRejected.one("with.location", "the tip has no location: give one", "conflict")
    incident = next_incident_id(state, ctx.now)
    return [
        Event(
            "incident.created",
            f"incident:{incident}",
            {
                "incident": incident,
                "incident_type": cmd.type.upper(),
                "priority": cmd.priority,
                "location": location,
                "source": "tip",
                "tip": tip.id,
                "text": tip.text,
            },
        )
    ]


def tip_dismiss(state: State, cmd: c.TipDismiss, ctx: Context) -> list[Event]:
    tip = get_tip(state, cmd.tip)
    if tip.status != "received":
        raise CommandRejected.one("with.tip", f"tip {tip.id} is already {tip.status}", "conflict")
    data: dict[str, object] = {"tip": tip.id}
    if cmd.reason:
        data["reason"] = cmd.reason
    return [Event("tip.dismissed", f"tip:{tip.id}", data)]


def _duplicate_of(
    state: State, cmd: c.CallCreate, location: dict[str, object], ctx: Context
) -> tuple[Incident, float, list[str]] | None:
    """The open incident this call most likely reports again, with score and reasons.

    Distance and age are the limits: any open incident of a compatible type within
    both is a candidate. The score only ranks the candidates (nearer and newer is
    likelier the same event) and shows the dispatcher how close the match was.
    """
    rules = ctx.duplicates
    call_type = cmd.type.upper()
    here = (float(location["lat"]), float(location["lon"]))  # type: ignore[arg-type]
    best: tuple[Incident, float, list[str]] | None = None
    for incident in state.incidents.values():
        if not incident.open:
            continue
        why = rules.compatible(call_type, incident.type)
        if why is None:
            continue
        metres = distance_m(here, (incident.location["lat"], incident.location["lon"]))
        age = _seconds_between(incident.created_at, ctx.now)
        if metres > rules.radius_m or age > rules.window_s:
            continue
        score = round(0.6 * (1 - metres / rules.radius_m) + 0.4 * (1 - age / rules.window_s), 3)
        reasons = [
            why,
            f"{metres:.0f} m from the incident (limit {rules.radius_m:.0f} m)",
            f"incident opened {age / 60:.1f} min ago (limit {rules.window_s / 60:.0f} min)",
        ]
        if best is None or score > best[1]:
            best = (incident, score, reasons)
    return best


def call_create(state: State, cmd: c.CallCreate, ctx: Context) -> list[Event]:
    location = point_of(cmd.location, "with.location")
    call = numbered(state, "call", "C")
    data: dict[str, object] = {
        "call": call,
        "source": cmd.source,
        "text": cmd.text,
        "incident_type": cmd.type.upper(),
        "priority": cmd.priority,
        "location": location,
    }
    if cmd.caller:
        data["caller"] = cmd.caller
    events = [Event("call.received", f"call:{call}", data)]
    duplicate = _duplicate_of(state, cmd, location, ctx)
    if duplicate is not None:
        incident, score, reasons = duplicate
        events.append(
            Event(
                "incident.linked",
                f"incident:{incident.id}",
                {"incident": incident.id, "call": call, "score": score, "reasons": reasons},
            )
        )
        if cmd.priority < incident.priority:
            # A caller who reports worse than the incident says (a shot in the fight)
            # must not be buried under its lower priority: the incident takes the
            # call's, with the timers and ordering that come with it.
            events.append(
                incident_updated(
                    incident,
                    {"priority": cmd.priority},
                    call=call,
                    reason=f"linked call {call} is priority {cmd.priority}",
                )
            )
        return events
    incident_id = next_incident_id(state, ctx.now)
    events.append(
        Event(
            "incident.created",
            f"incident:{incident_id}",
            {
                "incident": incident_id,
                "incident_type": cmd.type.upper(),
                "priority": cmd.priority,
                "location": location,
                "source": "call",
                "call": call,
                "text": cmd.text,
            },
        )
    )
    return events


def incident_create(state: State, cmd: c.IncidentCreate, ctx: Context) -> list[Event]:
    incident = next_incident_id(state, ctx.now)
    data: dict[str, object] = {
        "incident": incident,
        "incident_type": cmd.type.upper(),
        "priority": cmd.priority,
        "location": point_of(cmd.location, "with.location"),
        "source": ctx.actor.role,
    }
    if cmd.text:
        data["text"] = cmd.text
    return [Event("incident.created", f"incident:{incident}", data)]


def incident_import(state: State, cmd: c.IncidentImport, ctx: Context) -> list[Event]:
    """An incident transferred from another center (an EIDO document): created with its
    origin, then its people and notes, so the journal says where it came from."""
    origin = cmd.origin.model_dump(exclude_none=True)
    if cmd.origin.incident is not None:
        sent = (cmd.origin.center, cmd.origin.incident)
        for known in state.incidents.values():
            if known.origin and (known.origin.get("center"), known.origin.get("incident")) == sent:
                raise CommandRejected.one(
                    "with.origin.incident",
                    f"{cmd.origin.center}'s incident {cmd.origin.incident} is already"
                    f" incident {known.id}",
                    "conflict",
                )
    incident = next_incident_id(state, ctx.now)
    stream = f"incident:{incident}"
    data: dict[str, object] = {
        "incident": incident,
        "incident_type": cmd.type.upper(),
        "priority": cmd.priority,
        "location": point_of(cmd.location, "with.location"),
        "source": "eido",
        "origin": origin,
    }
    if cmd.text:
        data["text"] = cmd.text
    events = [Event("incident.created", stream, data)]
    first = state.next_number("subject")
    for n, subject in enumerate(cmd.subjects):
        events.append(
            Event(
                "subject.added",
                stream,
                {
                    "subject": f"S-{first + n:06d}",
                    "incident": incident,
                    "role": subject.role,
                    "description": subject.description,
                },
            )
        )
    for note in cmd.notes:
        events.append(Event("incident.noted", stream, {"incident": incident, "text": note}))
    return events


def incident_initiate(state: State, cmd: c.IncidentInitiate, ctx: Context) -> list[Event]:
    """An officer starts an incident himself (on view, pursuit): his unit is on it."""
    member = get_on_duty_member(state, cmd.member) if cmd.member else None
    unit_id = cmd.unit or (member.unit if member else None)
    if unit_id is None:
        raise CommandRejected.one("with.unit", "the member is on no unit: give a unit", "conflict")
    unit = get_on_duty_unit(state, unit_id)
    if member is not None and member.unit != unit.id:
        raise CommandRejected.one(
            "with.unit", f"member {member.id} is not on unit {unit.id}", "conflict"
        )
    if member is not None and ctx.actor.role == "officer" and ctx.actor.id != member.id:
        raise CommandRejected.one(
            "with.member", f"officer {ctx.actor.id} may initiate only for himself", "forbidden"
        )
    require_own_unit(ctx, state, unit)
    incident = next_incident_id(state, ctx.now)
    # His unit goes with him: the incident it was on may be left uncovered (alerted).
    leaves = require_free_to_leave(state, unit, incident, "with.unit", None)
    data: dict[str, object] = {
        "incident": incident,
        "incident_type": cmd.type.upper(),
        "priority": cmd.priority,
        "location": point_of(cmd.location, "with.location"),
        "source": "officer",
        "unit": unit.id,
    }
    if leaves is not None:
        data["diverted_from"] = leaves
    if member is not None:
        data["member"] = member.id
    if cmd.text:
        data["text"] = cmd.text
    events = [Event("incident.created", f"incident:{incident}", data)]
    if unit.status not in SERVING:
        # He is at it (an on-view stop, a pursuit): his unit is working it, so it is
        # neither recommended for the next call nor taken off it without reassign.
        events.append(
            unit_status_event(unit, "onscene", incident=incident, reason="officer-initiated")
        )
    return events


def incident_update(state: State, cmd: c.IncidentUpdate, ctx: Context) -> list[Event]:
    incident = get_open_incident(state, cmd.incident)
    changes: dict[str, object] = {}
    if cmd.type is not None and cmd.type.upper() != incident.type:
        changes["incident_type"] = cmd.type.upper()
    if cmd.priority is not None and cmd.priority != incident.priority:
        emergency = next(
            (e for e in state.emergencies.values() if e.open and e.incident == incident.id),
            None,
        )
        if emergency is not None and cmd.priority != 1:
            raise CommandRejected.one(
                "with.priority",
                f"emergency {emergency.id} is open on {incident.id}: it stays priority 1",
                "conflict",
            )
        changes["priority"] = cmd.priority
    if cmd.location is not None:
        location = point_of(cmd.location, "with.location")
        if location != incident.location:
            changes["location"] = location
    if not changes:
        raise CommandRejected.one("with", "nothing would change", "conflict")
    return [incident_updated(incident, changes)]


def incident_note(state: State, cmd: c.IncidentNote, ctx: Context) -> list[Event]:
    incident = get_incident(state, cmd.incident)
    return [
        Event(
            "incident.noted", f"incident:{incident.id}", {"incident": incident.id, "text": cmd.text}
        )
    ]


def incident_unlink(state: State, cmd: c.IncidentUnlink, ctx: Context) -> list[Event]:
    """Undo a duplicate link: the call becomes an incident of its own."""
    incident = get_incident(state, cmd.incident)
    if cmd.call not in incident.calls:
        raise CommandRejected.one(
            "with.call", f"call {cmd.call} is not linked to incident {incident.id}", "conflict"
        )
    call = state.calls[cmd.call]
    new_id = next_incident_id(state, ctx.now)
    return [
        Event(
            "incident.unlinked",
            f"incident:{incident.id}",
            {"incident": incident.id, "call": call.id, "new_incident": new_id},
        ),
        Event(
            "incident.created",
            f"incident:{new_id}",
            {
                "incident": new_id,
                "incident_type": call.type,
                "priority": call.priority,
                "location": call.location,
                "source": "call",
                "call": call.id,
                "text": call.text,
            },
        ),
    ]


#: Unit statuses an incident may not be closed under (someone still needs it open).
_KEEP_OPEN = ("pursuit", "transporting")


def incident_close(state: State, cmd: c.IncidentClose, ctx: Context) -> list[Event]:
    incident = get_open_incident(state, cmd.incident)
    if not cmd.force:
        busy = [
            f"{u} is {state.units[u].status}"
            for u in incident.units
            if state.units[u].status in _KEEP_OPEN
        ]
        busy += [
            f"emergency {e.id} is open"
            for e in state.emergencies.values()
            if e.open and e.incident == incident.id
        ]
        if busy:
            raise CommandRejected.one(
                "with.incident",
                f"incident {incident.id} cannot close: {'; '.join(busy)} (force: true closes it)",
                "conflict",
            )
    events = [
        Event(
            "incident.closed",
            f"incident:{incident.id}",
            {
                "incident": incident.id,
                "disposition": cmd.disposition.upper(),
                "units": list(incident.units),
            },
        )
    ]
    # Units still on the incident are cleared: each gets its own status event so the
    # board and the timers never have to infer a status change after the fact.
    for unit_id in incident.units:
        unit = state.units[unit_id]
        if unit.status != "available":
            events.append(
                unit_status_event(unit, "available", incident=incident.id, reason="incident closed")
            )
    return events


def subject_add(state: State, cmd: c.SubjectAdd, ctx: Context) -> list[Event]:
    incident = get_incident(state, cmd.incident)
    subject = numbered(state, "subject", "S")
    return [
        Event(
            "subject.added",
            f"incident:{incident.id}",
            {
                "subject": subject,
                "incident": incident.id,
                "role": cmd.role,
                "description": cmd.description,
            },
        )
    ]


def _subject(
    state: State, ref: c.SubjectRef, incident: str, default_role: str, field_: str
) -> tuple[str, list[Event]]:
    """Resolve a subject given by id, or record a new one given inline."""
    if ref.id is not None:
        if ref.id not in state.subjects:
            raise CommandRejected.one(f"{field_}.id", f"unknown subject {ref.id!r}", "not_found")
        return ref.id, []
    if ref.member is not None:
        get_member(state, ref.member, f"{field_}.member")
    subject = numbered(state, "subject", "S")
    data: dict[str, object] = {
        "subject": subject,
        "incident": incident,
        "role": ref.role or default_role,
        "description": ref.description,
    }
    if ref.member is not None:
        data["member"] = ref.member
    return subject, [Event("subject.added", f"incident:{incident}", data)]


def arrest_record(state: State, cmd: c.ArrestRecord, ctx: Context) -> list[Event]:
    incident = get_incident(state, cmd.incident)
    for i, member_id in enumerate(cmd.members):
        get_member(state, member_id, f"with.members.{i}")
    members = list(cmd.members)
    me = actor_member(ctx, state)
    if not members and me is not None:
        members = [me.id]
    subject, events = _subject(state, cmd.subject, incident.id, "suspect", "with.subject")
    events.append(
        Event(
            "arrest.recorded",
            f"incident:{incident.id}",
            {
                "incident": incident.id,
                "subject": subject,
                "charges": list(cmd.charges),
                "members": members,
            },
        )
    )
    return events


def bolo_issue(state: State, cmd: c.BoloIssue, ctx: Context) -> list[Event]:
    if cmd.subject is not None and cmd.subject not in state.subjects:
        raise CommandRejected.one("with.subject", f"unknown subject {cmd.subject!r}", "not_found")
    if cmd.incident is not None:
        get_incident(state, cmd.incident)
    bolo = numbered(state, "bolo", "B")
    data: dict[str, object] = {"bolo": bolo}
    data.update(cmd.model_dump(mode="json", exclude_none=True))
    if cmd.subject is not None and cmd.description is None:
        data["description"] = state.subjects[cmd.subject].description
    return [Event("bolo.issued", f"bolo:{bolo}", data)]


def bolo_cancel(state: State, cmd: c.BoloCancel, ctx: Context) -> list[Event]:
    bolo = state.bolos.get(cmd.bolo)
    if bolo is None:
        raise CommandRejected.one("with.bolo", f"unknown bolo {cmd.bolo!r}", "not_found")
    if not bolo.active:
        raise CommandRejected.one("with.bolo", f"bolo {bolo.id} is already cancelled", "conflict")
    return [Event("bolo.cancelled", f"bolo:{bolo.id}", {"bolo": bolo.id})]


def subject_for_transport(
    state: State, ref: c.SubjectRef, incident: str
) -> tuple[str, list[Event]]:
    """Patients are subjects too: reuse the inline-subject rule for transports."""
    return _subject(state, ref, incident, "patient", "with.patient")
