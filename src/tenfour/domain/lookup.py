"""What every decision needs: the context of a command and checked look-ups of state.

Each ``get_*`` raises ``CommandRejected`` naming the field when the thing is unknown,
so handlers read as the rule they enforce.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tenfour.domain.errors import CommandRejected
from tenfour.domain.events import Event
from tenfour.domain.state import (
    Alert,
    Emergency,
    Facility,
    Incident,
    Member,
    State,
    Tip,
    Unit,
)
from tenfour.domain.values import Actor, Location

T = TypeVar("T")


@dataclass(frozen=True)
class DuplicateRules:
    """When a new call is the same event as an open incident (configurable).

    ``radius_m`` and ``window_s`` are hard limits: every open incident of a compatible
    type within both is a duplicate candidate. ``families`` (family -> type codes, no
    code in two families; ``policies/config.py`` checks that) makes different codes
    compatible, since two callers seldom name one event alike. Without it only the
    identical code is compatible.
    """

    radius_m: float = 150.0
    window_s: float = 1800.0
    # Not hashed: a mapping cannot be, and nothing keys on the rules.
    families: Mapping[str, frozenset[str]] = field(default_factory=dict, hash=False)

    def compatible(self, new: str, old: str) -> str | None:
        """Why a call of type ``new`` may report an incident of type ``old``, or None."""
        if new == old:
            return f"same type {old}"
        for family, codes in self.families.items():
            if new in codes and old in codes:
                return f"{new} and {old} are both {family}"
        return None


@dataclass(frozen=True)
class Context:
    """What a decision may know besides state: the time and a source of tokens."""

    now: str
    actor: Actor
    token: Callable[[], str] = field(default=lambda: "0000-0000")
    duplicates: DuplicateRules = field(default_factory=DuplicateRules)
    #: An emergency farther than this from the member's incident is a scene of its own.
    same_scene_m: float = 300.0


def _known(things: Mapping[str, T], key: str, noun: str, field_: str) -> T:
    """The ``noun`` called ``key``, or a rejection naming ``field_`` as not found."""
    thing = things.get(key)
    if thing is None:
        raise CommandRejected.one(field_, f"unknown {noun} {key!r}", "not_found")
    return thing


def get_unit(state: State, unit_id: str, field_: str = "with.unit") -> Unit:
    return _known(state.units, unit_id, "unit", field_)


def get_on_duty_unit(state: State, unit_id: str, field_: str = "with.unit") -> Unit:
    unit = get_unit(state, unit_id, field_)
    if not unit.logged_on:
        raise CommandRejected.one(field_, f"unit {unit_id} is not logged on", "conflict")
    return unit


def get_member(state: State, member_id: str, field_: str = "with.member") -> Member:
    return _known(state.members, member_id, "member", field_)


def get_on_duty_member(state: State, member_id: str, field_: str = "with.member") -> Member:
    member = get_member(state, member_id, field_)
    if not member.on_duty:
        raise CommandRejected.one(field_, f"member {member_id} is not on duty", "conflict")
    return member


def get_incident(state: State, incident_id: str, field_: str = "with.incident") -> Incident:
    return _known(state.incidents, incident_id, "incident", field_)


def get_open_incident(state: State, incident_id: str, field_: str = "with.incident") -> Incident:
    incident = get_incident(state, incident_id, field_)
    if not incident.open:
        raise CommandRejected.one(field_, f"incident {incident_id} is closed", "conflict")
    return incident


def get_tip(state: State, tip_id: str, field_: str = "with.tip") -> Tip:
    return _known(state.tips, tip_id, "tip", field_)


def get_alert(state: State, alert_id: str, field_: str = "with.alert") -> Alert:
    return _known(state.alerts, alert_id, "alert", field_)


def get_emergency(state: State, emergency_id: str, field_: str = "with.emergency") -> Emergency:
    return _known(state.emergencies, emergency_id, "emergency", field_)


def get_facility(state: State, facility_id: str, field_: str) -> Facility:
    return _known(state.facilities, facility_id, "facility", field_)


def point_of(location: Location | None, field_: str) -> dict[str, Any]:
    """A location as journaled; the service geocodes addresses before ``decide``."""
    if location is None:
        raise CommandRejected.one(field_, "a location is required")
    if not location.has_point:
        raise CommandRejected.one(field_, "the address could not be placed on the map")
    return location.as_dict()


def numbered(state: State, counter: str, prefix: str) -> str:
    """The next id of a numbered thing: ``T-000001``, ``A-000042`` ..."""
    return f"{prefix}-{state.next_number(counter):06d}"


def next_incident_id(state: State, now: str) -> str:
    """Incident numbers restart each year: ``2026-000123``."""
    year = now[:4]
    return f"{year}-{state.next_number(f'incident:{year}'):06d}"


def require_own_unit(ctx: Context, state: State, unit: Unit, field_: str = "with.unit") -> None:
    """An officer may act only for the unit he is on; desk roles for any unit."""
    if ctx.actor.role != "officer":
        return
    member = state.members.get(ctx.actor.id)
    if member is None or member.unit != unit.id:
        raise CommandRejected.one(
            field_, f"officer {ctx.actor.id} is not on unit {unit.id}", "forbidden"
        )


def require_self(ctx: Context, member: Member, field_: str = "with.member") -> None:
    """An officer may change only his own status."""
    if ctx.actor.role == "officer" and ctx.actor.id != member.id:
        raise CommandRejected.one(
            field_, f"officer {ctx.actor.id} may change only his own status", "forbidden"
        )


def committed_to(state: State, unit: Unit) -> Emergency | None:
    """The open emergency whose distressed member (or unit) this unit belongs to."""
    for emergency in state.emergencies.values():
        if not emergency.open:
            continue
        if emergency.unit == unit.id:
            return emergency
        member = state.members.get(emergency.member or "")
        if member is not None and member.unit == unit.id:
            return emergency
    return None


def require_free_to_leave(
    state: State, unit: Unit, incident_id: str, field_: str, reassign: bool | None
) -> str | None:
    """May ``unit`` go to ``incident_id``? Returns the incident it leaves (or None).

    The distressed member's unit stays with his emergency; a unit on another open
    incident is taken off it only when asked explicitly (``reassign``; ``None``: the
    command has no such choice, an officer moving his own unit)."""
    emergency = committed_to(state, unit)
    if emergency is not None and emergency.incident not in (None, incident_id):
        raise CommandRejected.one(
            field_,
            f"unit {unit.id} stays with emergency {emergency.id} on {emergency.incident} "
            "until it is cleared",
            "conflict",
        )
    other = unit.incident
    if other is None or other == incident_id or not state.incidents[other].open:
        return None
    # An available unit still attached (the unit of a member whose emergency has been
    # cleared) is not working that incident: sending it needs no reassignment, but
    # the incident it leaves is still said (and alerted if left with no unit).
    if reassign is False and unit.status != "available":
        raise CommandRejected.one(
            field_,
            f"unit {unit.id} is {unit.status} on incident {other}: "
            "dispatch with reassign: true to take it off",
            "conflict",
        )
    return other


def actor_member(ctx: Context, state: State) -> Member | None:
    """The member behind the actor, when the actor is a person on the roster."""
    return state.members.get(ctx.actor.id)


def unit_status_event(unit: Unit, to: str, **extra: object) -> Event:
    """``unit.status_changed`` from the unit's status now to ``to`` (extras left out
    when None)."""
    data: dict[str, object] = {"unit": unit.id, "from": unit.status, "to": to}
    data.update({k: v for k, v in extra.items() if v is not None})
    return Event("unit.status_changed", f"unit:{unit.id}", data)
