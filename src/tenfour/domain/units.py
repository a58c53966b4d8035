"""Decisions about the roster, shifts, unit and member status, positions and transports."""

from __future__ import annotations

from tenfour.domain import commands as c
from tenfour.domain.errors import CommandRejected
from tenfour.domain.events import Event
from tenfour.domain.incidents import subject_for_transport
from tenfour.domain.lookup import (
    Context,
    get_facility,
    get_member,
    get_on_duty_member,
    get_on_duty_unit,
    get_open_incident,
    get_unit,
    point_of,
    require_free_to_leave,
    require_own_unit,
    require_self,
    unit_status_event,
)
from tenfour.domain.messages import diversion_warning
from tenfour.domain.rules import (
    DISPATCHABLE,
    MEMBER_TRANSITIONS,
    REPEATABLE,
    UNIT_ON_INCIDENT,
    UNIT_TRANSITIONS,
)
from tenfour.domain.state import State


def _new_id(exists: bool, field_: str, what: str, ident: str) -> None:
    if exists:
        raise CommandRejected.one(field_, f"{what} {ident!r} already exists", "conflict")


def agency_register(state: State, cmd: c.AgencyRegister, ctx: Context) -> list[Event]:
    _new_id(cmd.id in state.agencies, "with.id", "agency", cmd.id)
    data = {"agency": cmd.id, "kind": cmd.kind, "name": cmd.name}
    return [Event("agency.registered", f"agency:{cmd.id}", data)]


def facility_register(state: State, cmd: c.FacilityRegister, ctx: Context) -> list[Event]:
    _new_id(cmd.id in state.facilities, "with.id", "facility", cmd.id)
    data = {
        "facility": cmd.id,
        "kind": cmd.kind,
        "name": cmd.name,
        "location": point_of(cmd.location, "with.location"),
    }
    return [Event("facility.registered", f"facility:{cmd.id}", data)]


def _known_agency(state: State, agency: str) -> None:
    if agency not in state.agencies:
        raise CommandRejected.one(
            "with.agency", f"unknown agency {agency!r}", "not_found", allowed=sorted(state.agencies)
        )


def member_register(state: State, cmd: c.MemberRegister, ctx: Context) -> list[Event]:
    _new_id(cmd.id in state.members, "with.id", "member", cmd.id)
    _known_agency(state, cmd.agency)
    data: dict[str, object] = {
        "member": cmd.id,
        "name": cmd.name,
        "agency": cmd.agency,
        "rank": cmd.rank,
    }
    if cmd.radio:
        data["radio"] = cmd.radio
    return [Event("member.registered", f"member:{cmd.id}", data)]


def unit_register(state: State, cmd: c.UnitRegister, ctx: Context) -> list[Event]:
    _new_id(cmd.id in state.units, "with.id", "unit", cmd.id)
    _known_agency(state, cmd.agency)
    data: dict[str, object] = {"unit": cmd.id, "agency": cmd.agency, "kind": cmd.kind}
    if cmd.home is not None:
        data["home"] = point_of(cmd.home, "with.home")
    return [Event("unit.registered", f"unit:{cmd.id}", data)]


def shift_start(state: State, cmd: c.ShiftStart, ctx: Context) -> list[Event]:
    unit = get_unit(state, cmd.unit)
    if unit.logged_on:
        raise CommandRejected.one("with.unit", f"unit {unit.id} is already logged on", "conflict")
    if len(set(cmd.members)) != len(cmd.members):
        raise CommandRejected.one("with.members", "a member is listed twice")
    for i, member_id in enumerate(cmd.members):
        member = get_member(state, member_id, f"with.members.{i}")
        if member.on_duty:
            raise CommandRejected.one(
                f"with.members.{i}",
                f"member {member.id} is already on unit {member.unit}",
                "conflict",
            )
    if ctx.actor.role == "officer" and ctx.actor.id not in cmd.members:
        raise CommandRejected.one(
            "with.members", f"officer {ctx.actor.id} may start only his own shift", "forbidden"
        )
    data: dict[str, object] = {"unit": unit.id, "members": list(cmd.members), "status": "available"}
    if cmd.vehicle:
        data["vehicle"] = cmd.vehicle
    if cmd.location is not None:
        data["location"] = point_of(cmd.location, "with.location")
    elif unit.home is not None:
        data["location"] = unit.home
    return [Event("unit.logged_on", f"unit:{unit.id}", data)]


def shift_end(state: State, cmd: c.ShiftEnd, ctx: Context) -> list[Event]:
    unit = get_on_duty_unit(state, cmd.unit)
    require_own_unit(ctx, state, unit)
    if unit.status in UNIT_ON_INCIDENT or unit.status == "athospital":
        raise CommandRejected.one(
            "with.unit", f"unit {unit.id} is {unit.status} on incident {unit.incident}", "conflict"
        )
    data: dict[str, object] = {"unit": unit.id, "members": list(unit.members), "from": unit.status}
    if unit.incident is not None:
        data["incident"] = unit.incident  # it leaves it: the incident may be uncovered now
    return [Event("unit.logged_off", f"unit:{unit.id}", data)]


def unit_dispatch(state: State, cmd: c.UnitDispatch, ctx: Context) -> list[Event]:
    incident = get_open_incident(state, cmd.incident)
    if len(set(cmd.units)) != len(cmd.units):
        raise CommandRejected.one("with.units", "a unit is listed twice")
    events = []
    for i, unit_id in enumerate(cmd.units):
        field_ = f"with.units.{i}"
        unit = get_on_duty_unit(state, unit_id, field_)
        if unit.incident == incident.id and unit.status != "available":
            raise CommandRejected.one(
                field_, f"unit {unit.id} is already {unit.status} on {incident.id}", "conflict"
            )
        if unit.status not in DISPATCHABLE:
            raise CommandRejected.one(
                field_,
                f"unit {unit.id} is {unit.status} and cannot be dispatched",
                "transition",
                allowed=sorted(DISPATCHABLE),
            )
        leaves = require_free_to_leave(state, unit, incident.id, field_, cmd.reassign)
        data: dict[str, object] = {
            "unit": unit.id,
            "incident": incident.id,
            "mode": cmd.mode,
            "from": unit.status,
        }
        if leaves is not None:
            data["diverted_from"] = leaves
        if leaves is not None and cmd.reassign:
            data["reassign"] = True
        events.append(Event("unit.dispatched", f"unit:{unit.id}", data))
    return events


def unit_status(state: State, cmd: c.UnitStatusChange, ctx: Context) -> list[Event]:
    unit = get_on_duty_unit(state, cmd.unit)
    require_own_unit(ctx, state, unit)
    if cmd.status == unit.status in REPEATABLE and cmd.incident in (None, unit.incident):
        # A repeat ("on scene" pressed again, or after an on-view incident put the unit
        # on scene already) is contact from the crew, not a mistake to refuse.
        location = point_of(cmd.location, "with.location") if cmd.location else None
        return [unit_status_event(unit, cmd.status, incident=unit.incident, location=location)]
    allowed = UNIT_TRANSITIONS[unit.status]
    if cmd.status not in allowed:
        raise CommandRejected.one(
            "with.status",
            f"unit {unit.id} cannot go from {unit.status} to {cmd.status}",
            "transition",
            allowed=allowed,
        )
    incident_id = cmd.incident or unit.incident
    if cmd.status in UNIT_ON_INCIDENT:
        if incident_id is None:
            raise CommandRejected.one(
                "with.incident", f"{cmd.status} needs an incident: the unit is on none", "conflict"
            )
        incident = get_open_incident(state, incident_id)
        if incident.id != unit.incident and cmd.status not in ("enroute", "onscene"):
            raise CommandRejected.one(
                "with.incident", f"unit {unit.id} is not on incident {incident.id}", "conflict"
            )
        # A unit putting itself on another incident leaves its own (said in the event,
        # so an incident left uncovered is alerted); the distressed member's may not.
        leaves = require_free_to_leave(state, unit, incident.id, "with.incident", None)
    elif cmd.incident is not None and cmd.incident != unit.incident:
        raise CommandRejected.one(
            "with.incident", f"unit {unit.id} is not on incident {cmd.incident}", "conflict"
        )
    else:
        leaves = None
    location = point_of(cmd.location, "with.location") if cmd.location else None
    return [
        unit_status_event(
            unit, cmd.status, incident=incident_id, location=location, diverted_from=leaves
        )
    ]


def unit_locate(state: State, cmd: c.UnitLocate, ctx: Context) -> list[Event]:
    unit = get_on_duty_unit(state, cmd.unit)
    require_own_unit(ctx, state, unit)
    return [
        Event("unit.located", f"unit:{unit.id}", cmd.model_dump(mode="json", exclude_none=True))
    ]


def member_locate(state: State, cmd: c.MemberLocate, ctx: Context) -> list[Event]:
    member = get_on_duty_member(state, cmd.member)
    require_self(ctx, member)
    data = cmd.model_dump(mode="json", exclude_none=True)
    if member.unit:
        data["unit"] = member.unit
    return [Event("member.located", f"member:{member.id}", data)]


def member_status(state: State, cmd: c.MemberStatusChange, ctx: Context) -> list[Event]:
    member = get_on_duty_member(state, cmd.member)
    require_self(ctx, member)
    if cmd.status == "down":
        raise CommandRejected.one(
            "with.status", "an officer down is declared with emergency.declare", "transition"
        )
    allowed = MEMBER_TRANSITIONS[member.status]
    if cmd.status not in allowed:
        raise CommandRejected.one(
            "with.status",
            f"member {member.id} cannot go from {member.status} to {cmd.status}",
            "transition",
            allowed=allowed,
        )
    if cmd.unit is not None and cmd.unit != member.unit:
        raise CommandRejected.one(
            "with.unit", f"member {member.id} is not on unit {cmd.unit}", "conflict"
        )
    if cmd.incident is not None:
        get_open_incident(state, cmd.incident)
    data: dict[str, object] = {"member": member.id, "from": member.status, "to": cmd.status}
    if member.unit:
        data["unit"] = member.unit
    incident = cmd.incident or member.incident
    if incident:
        data["incident"] = incident
    if cmd.location is not None:
        data["location"] = point_of(cmd.location, "with.location")
    if cmd.text:
        data["text"] = cmd.text
    return [Event("member.status_changed", f"member:{member.id}", data)]


def member_checkin(state: State, cmd: c.MemberCheckin, ctx: Context) -> list[Event]:
    if cmd.member is not None:
        member = get_on_duty_member(state, cmd.member)
        require_self(ctx, member)
        unit_id = member.unit
        member_id: str | None = member.id
    else:
        assert cmd.unit is not None  # the payload model guarantees member or unit
        unit = get_on_duty_unit(state, cmd.unit)
        require_own_unit(ctx, state, unit)
        unit_id, member_id = unit.id, (ctx.actor.id if ctx.actor.id in unit.members else None)
    data: dict[str, object] = {"member": member_id, "unit": unit_id}
    if cmd.text:
        data["text"] = cmd.text
    stream = f"member:{member_id}" if member_id else f"unit:{unit_id}"
    return [Event("member.checked_in", stream, data)]


def transport_start(state: State, cmd: c.TransportStart, ctx: Context) -> list[Event]:
    unit = get_on_duty_unit(state, cmd.unit)
    require_own_unit(ctx, state, unit)
    incident_id = cmd.incident or unit.incident
    if incident_id is None:
        raise CommandRejected.one("with.incident", f"unit {unit.id} is on no incident", "conflict")
    if unit.incident != incident_id:
        raise CommandRejected.one(
            "with.incident", f"unit {unit.id} is not on incident {incident_id}", "conflict"
        )
    if "transporting" not in UNIT_TRANSITIONS[unit.status]:
        raise CommandRejected.one(
            "with.unit",
            f"unit {unit.id} is {unit.status}; a transport starts on scene",
            "transition",
            allowed=("onscene",),
        )
    facility = get_facility(state, cmd.destination, "with.destination")
    patient, events = subject_for_transport(state, cmd.patient, incident_id)
    data: dict[str, object] = {
        "unit": unit.id,
        "incident": incident_id,
        "patient": patient,
        "destination": facility.id,
        "destination_location": facility.location,
    }
    if cmd.patient.member:
        data["patient_member"] = cmd.patient.member
    if cmd.need is not None:
        data["need"] = cmd.need
    # A hospital on diversion is warned of, not refused: the crew may know better
    # (the patient is crashing and it is the closest door).
    warning = diversion_warning(state, facility.id, cmd.need)
    if warning is not None:
        data["warning"] = warning
    events.append(Event("transport.started", f"unit:{unit.id}", data))
    events.append(unit_status_event(unit, "transporting", incident=incident_id))
    return events


def transport_arrive(state: State, cmd: c.TransportArrive, ctx: Context) -> list[Event]:
    unit = get_on_duty_unit(state, cmd.unit)
    require_own_unit(ctx, state, unit)
    if unit.status != "transporting":
        raise CommandRejected.one(
            "with.unit", f"unit {unit.id} is {unit.status}, not transporting", "transition"
        )
    destination = cmd.destination or unit.destination
    if cmd.destination is not None:
        get_facility(state, cmd.destination, "with.destination")
    data: dict[str, object] = {
        "unit": unit.id,
        "incident": unit.incident,
        "destination": destination,
    }
    return [
        Event("transport.arrived", f"unit:{unit.id}", data),
        unit_status_event(unit, "athospital", incident=unit.incident, facility=destination),
    ]
