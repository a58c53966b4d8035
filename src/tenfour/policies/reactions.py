"""Reactions to events: initial recommendations, backup, the MAYDAY plan, welfare checks.

``react`` maps one journaled event to the commands the system issues in answer. The
commands go back through ``service.handle`` like anyone else's, so they are checked,
journaled and published the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tenfour.domain.commands import Command, parse_command
from tenfour.domain.rules import SERVING
from tenfour.domain.safety import condition_of, open_alert_for
from tenfour.domain.state import Recorded, State
from tenfour.domain.values import SYSTEM
from tenfour.policies.alerts import committed_units, plan_gaps, resolutions
from tenfour.policies.config import PolicyConfig
from tenfour.policies.recommend import (
    DriveTimeOracle,
    Ranked,
    recommend,
    responding_units,
)
from tenfour.policies.timers import Watches


def _system(do: str, payload: dict[str, Any]) -> Command:
    return parse_command(do, payload, SYSTEM)


def _journal(ranked: Ranked) -> Command:
    return _system("recommendation.make", ranked.payload)


def _dispatch(
    incident: str, units: list[str], mode: str, *, reassign: bool = False
) -> list[Command]:
    if not units:
        return []
    payload = {"incident": incident, "units": units, "mode": mode, "reassign": reassign}
    return [_system("unit.dispatch", payload)]


def on_incident_created(
    state: State, event: Recorded, config: PolicyConfig, oracle: DriveTimeOracle
) -> list[Command]:
    """A new incident nobody is on yet gets its response plan recommended (not
    dispatched): one ``recommendation.made`` per need, each filled nearest first with
    units no earlier need took, as the MAYDAY plan records it. The dispatcher accepts
    it with one ``unit.dispatch`` of the chosen units (DOMAIN.md)."""
    d = event.data
    if d.get("unit") or d["source"] == "emergency":
        return []  # an officer is already there, or the MAYDAY plan answers it
    key, needs = config.plan_for(d["incident_type"], int(d["priority"]))
    commands: list[Command] = []
    chosen: list[str] = []
    for need, count in needs.items():
        ranked = recommend(
            state,
            location=d["location"],
            need=need,
            count=count,
            purpose="initial",
            incident=d["incident"],
            oracle=oracle,
            config=config,
            taken=chosen,
            reason=_plan_reason(key, needs) if key else None,
        )
        chosen += ranked.chosen
        commands.append(_journal(ranked))
    return commands


def _plan_reason(key: str, needs: Mapping[str, int]) -> str:
    return f"response plan {key}: " + ", ".join(f"{n} {c}" for n, c in needs.items())


def on_backup_requested(
    state: State, event: Recorded, config: PolicyConfig, oracle: DriveTimeOracle
) -> list[Command]:
    """Urgent: send the nearest available police units now. Routine: recommend only.

    Units already responding (besides the requester's own) count toward the request,
    so a second request for help already on its way adds none.
    """
    d = event.data
    own = state.units[d["unit"]].id if d.get("unit") else None
    kinds = config.kinds_for("police")
    responding = [u for u in responding_units(state, d["incident"], kinds) if u != own]
    missing = max(0, int(d["count"]) - len(responding))
    reason = None
    if missing == 0:
        reason = f"{len(responding)} units already responding: none added"
    ranked = recommend(
        state,
        location=d["location"],
        need="police",
        count=missing,
        purpose="backup",
        incident=d["incident"],
        oracle=oracle,
        config=config,
        exclude=[own] if own else [],
        reason=reason,
    )
    ranked.payload["responding"] = responding
    commands = [_journal(ranked)]
    if d["urgency"] == "urgent":
        commands += _dispatch(d["incident"], ranked.chosen, "emergency")
        commands += _backup_alert(state, d, ranked.chosen)
    return commands


def _backup_alert(state: State, d: Mapping[str, Any], sent: list[str]) -> list[Command]:
    """``backup_requested`` (high): an officer called for help urgently; a person must
    see it even though the system has already sent the units (DOMAIN.md "Alerts")."""
    member, unit = d.get("member"), d.get("unit")
    if open_alert_for(state, condition_of("backup_requested", member, unit, d["incident"], None)):
        return []
    who = member or unit or "an officer"
    sending = (
        f"sent {', '.join(sent)}" if sent else "no unit added (enough responding or none free)"
    )
    payload = {
        "kind": "backup_requested",
        "severity": "high",
        "incident": d["incident"],
        "member": member,
        "unit": unit,
        "text": f"urgent backup requested by {who} on {d['incident']}: {sending}",
    }
    return [_system("alert.raise", {k: v for k, v in payload.items() if v is not None})]


def plan(
    state: State,
    emergency_id: str,
    config: PolicyConfig,
    oracle: DriveTimeOracle,
    *,
    topup: bool = False,
) -> list[Command]:
    """The MAYDAY response plan for one emergency: each need filled on its own incident,
    nearest first, diverting from low-priority work (reassignments by system). Run when
    the emergency is declared or located, and again when a unit is taken off it; a plan
    that cannot be filled raises ``plan_short`` saying what is missing."""
    emergency = state.emergencies.get(emergency_id)
    if emergency is None or not emergency.open:
        return []
    if emergency.incident is None or emergency.location is None:
        return []  # declared with no position at all: runs once it is located
    incident = state.incidents.get(emergency.incident)
    if incident is None or not incident.open:
        return []
    own = committed_units(state, emergency.id)
    commands: list[Command] = []
    chosen: list[str] = []
    gaps: list[dict[str, object]] = []
    for need, wanted in config.mayday.items():
        kinds = config.kinds_for(need)
        responding = [
            u for u in responding_units(state, incident.id, kinds, SERVING) if u not in own
        ]
        missing = max(0, wanted - len(responding))
        if missing == 0 and topup:
            continue  # the first plan journals every need; a top-up only what is missing
        ranked = recommend(
            state,
            location=emergency.location,
            need=need,
            count=missing,
            purpose="emergency",
            incident=incident.id,
            oracle=oracle,
            config=config,
            exclude=[*own, *chosen],
            allow_divert=True,
            reason=f"{len(responding)} already responding" if responding else None,
        )
        ranked.payload["responding"] = responding
        commands.append(_journal(ranked))
        chosen += ranked.chosen
        if len(ranked.chosen) < missing:
            found = len(responding) + len(ranked.chosen)
            gaps.append({"need": need, "wanted": wanted, "found": found})
    # One dispatch per unit: a unit taken a moment earlier must not sink the others.
    for unit in chosen:
        commands += _dispatch(incident.id, [unit], "emergency", reassign=True)
    return commands + plan_short(state, emergency.id, gaps)


def plan_short(
    state: State, emergency_id: str, gaps: list[dict[str, object]], why: str = ""
) -> list[Command]:
    """``plan_short`` (high) saying what a plan could not find (once per emergency)."""
    emergency = state.emergencies[emergency_id]
    if not gaps:
        return []
    if open_alert_for(state, condition_of("plan_short", None, None, None, emergency_id)):
        return []
    lacking = ", ".join(f"{g['need']} {g['found']} of {g['wanted']}" for g in gaps) + why
    payload: dict[str, Any] = {
        "kind": "plan_short",
        "severity": "high",
        "emergency": emergency_id,
        "incident": emergency.incident,
        "member": emergency.member,
        "missing": gaps,
        "text": f"MAYDAY plan for {emergency_id} is short: {lacking}",
    }
    return [_system("alert.raise", {k: v for k, v in payload.items() if v is not None})]


def on_incident_closed(
    state: State, event: Recorded, config: PolicyConfig, oracle: DriveTimeOracle
) -> list[Command]:
    """An incident closed by force under an open emergency: its units are released, but
    the member is still down until a supervisor clears it. Say so, as a plan short."""
    commands: list[Command] = []
    for emergency in state.emergencies.values():
        if emergency.open and emergency.incident == event.data["incident"]:
            gaps = plan_gaps(state, emergency.id, config)
            why = f" (incident {emergency.incident} was closed with the emergency open)"
            commands += plan_short(state, emergency.id, gaps, why)
    return commands


def on_emergency(
    state: State, event: Recorded, config: PolicyConfig, oracle: DriveTimeOracle
) -> list[Command]:
    """``emergency.declared`` / ``emergency.located``: run the plan for it."""
    return plan(state, event.data["emergency"], config, oracle)


def on_position(
    state: State, event: Recorded, config: PolicyConfig, oracle: DriveTimeOracle
) -> list[Command]:
    """An emergency declared where no position was known is placed by the first fix of
    the member in distress, his unit, or whoever declared it: the plan can then run."""
    d = event.data
    commands: list[Command] = []
    for emergency in state.emergencies.values():
        if not emergency.open or emergency.location is not None:
            continue
        if event.type == "member.located":
            mine = d["member"] in (emergency.member, emergency.declared_by)
        else:
            mine = d["unit"] == emergency.unit
        if mine:
            where = {"lat": d["lat"], "lon": d["lon"]}
            commands.append(
                _system("emergency.locate", {"emergency": emergency.id, "location": where})
            )
    return commands


def _left(state: State, event: Recorded) -> tuple[str, str] | None:
    """The incident a unit left with this event (for another, by logging off, or by no
    longer serving an emergency or a priority-1 incident), and why; None otherwise."""
    d = event.data
    if d.get("diverted_from"):
        return d["diverted_from"], f"{d.get('unit')} was taken to {d.get('incident')}"
    if event.type == "emergency.cleared" and d.get("follow") and d.get("incident"):
        gone = ", ".join(f"{f['unit']} went on with {f['emergency']}" for f in d["follow"])
        return d["incident"], gone
    if event.type == "unit.logged_off" and d.get("incident"):
        return d["incident"], f"{d['unit']} logged off"
    if event.type == "unit.status_changed" and d["to"] not in SERVING:
        incident = state.incidents.get(d.get("incident") or "")
        if incident is not None and (incident.priority == 1 or _has_emergency(state, incident.id)):
            return incident.id, f"{d['unit']} went {d['to']}"
    return None


def on_unit_moved(
    state: State, event: Recorded, config: PolicyConfig, oracle: DriveTimeOracle
) -> list[Command]:
    """A unit left an incident: the incident left behind is alerted at once if nobody is
    on it now (DOMAIN.md: no incident goes uncovered in silence)."""
    left = _left(state, event)
    return uncovered(state, left[0], left[1]) if left else []


def top_up(
    state: State, event: Recorded, config: PolicyConfig, oracle: DriveTimeOracle
) -> list[Command]:
    """An emergency on the incident a unit left gets its plan filled up again: the first
    one still short that has no plan_short alert yet. Run as several steps, each on the
    state the one before left, so two emergencies on one scene never pick the same unit."""
    left = _left(state, event)
    if left is None:
        return []
    for emergency in state.emergencies.values():
        if not emergency.open or emergency.incident != left[0]:
            continue
        if not plan_gaps(state, emergency.id, config):
            continue
        if open_alert_for(state, condition_of("plan_short", None, None, None, emergency.id)):
            continue
        return plan(state, emergency.id, config, oracle, topup=True)
    return []


#: Emergencies on one scene that a single unit's leaving may leave short, one step each.
_TOP_UPS: list[Reaction] = [top_up, top_up, top_up]


def _has_emergency(state: State, incident_id: str) -> bool:
    return any(e.open and e.incident == incident_id for e in state.emergencies.values())


def uncovered(state: State, incident_id: str, why: str) -> list[Command]:
    """``incident_unassigned`` at once for an open incident that has no unit left."""
    incident = state.incidents.get(incident_id)
    if incident is None or not incident.open or incident.units:
        return []
    if open_alert_for(state, condition_of("incident_unassigned", None, None, incident_id, None)):
        return []
    payload = {
        "kind": "incident_unassigned",
        "severity": "high" if incident.priority == 1 else "normal",
        "incident": incident_id,
        "text": f"priority-{incident.priority} incident {incident_id} has no unit: {why}",
    }
    return [_system("alert.raise", payload)]


def on_alert_raised(
    state: State, event: Recorded, config: PolicyConfig, oracle: DriveTimeOracle
) -> list[Command]:
    """A member who stopped answering: recommend backup to the last known position."""
    d = event.data
    if d["kind"] != "member_unresponsive":
        return []
    member = state.members.get(d.get("member") or "")
    unit = state.units.get(d.get("unit") or "")
    location = (member.location if member else None) or (unit.location if unit else None)
    if location is None:
        return []
    own = unit.id if unit else (member.unit if member else None)
    incident = d.get("incident")
    ranked = recommend(
        state,
        location=location,
        need="police",
        count=1,
        purpose="unresponsive",
        incident=incident if incident in state.incidents else None,
        oracle=oracle,
        config=config,
        exclude=[own] if own else [],
        reason="last known position of the unresponsive "
        + (f"member {member.id}" if member else f"unit {own}"),
    )
    return [_journal(ranked)]


Reaction = Callable[[State, Recorded, PolicyConfig, DriveTimeOracle], list[Command]]

REACTIONS: dict[str, list[Reaction]] = {
    "incident.created": [on_incident_created, on_unit_moved, *_TOP_UPS],
    "backup.requested": [on_backup_requested],
    "emergency.declared": [on_emergency, on_unit_moved, *_TOP_UPS],
    "emergency.located": [on_emergency, on_unit_moved, *_TOP_UPS],
    "alert.raised": [on_alert_raised],
    "member.located": [on_position],
    "unit.located": [on_position],
    "unit.dispatched": [on_unit_moved, *_TOP_UPS],
    "unit.logged_off": [on_unit_moved, *_TOP_UPS],
    "incident.closed": [on_incident_closed],
    # A cleared emergency's unit may go on to a partner still down (``follow``).
    "emergency.cleared": [on_unit_moved, *_TOP_UPS],
    "unit.status_changed": [on_unit_moved, *_TOP_UPS],
}


Step = Callable[[State], list[Command]]


def steps(
    event: Recorded,
    config: PolicyConfig,
    oracle: DriveTimeOracle,
    watches: Watches | None = None,
) -> list[Step]:
    """The system's answers to ``event``, as steps the reactor runs one after another,
    each on the state its predecessor's commands left (so a top-up never takes a unit
    that the plan before it has just sent), and last the end of every alert whose
    condition has now ended."""
    own: list[Step] = [
        _bind(reaction, event, config, oracle) for reaction in REACTIONS.get(event.type, ())
    ]
    # Alerts whose condition this event ended are resolved first: a reaction may set
    # the same condition up again (a unit re-dispatched), which is then a new alert.
    return [lambda state: list(resolutions(state, event.type, config, watches)), *own]


def _bind(
    reaction: Reaction, event: Recorded, config: PolicyConfig, oracle: DriveTimeOracle
) -> Step:
    return lambda state: reaction(state, event, config, oracle)


def react(
    state: State,
    event: Recorded,
    config: PolicyConfig,
    oracle: DriveTimeOracle,
    watches: Watches | None = None,
) -> list[Command]:
    """Every step's commands worked out on ``state`` as it is (pure unit tests; the
    reactor runs ``steps`` one at a time instead)."""
    return [c for step in steps(event, config, oracle, watches) for c in step(state)]
