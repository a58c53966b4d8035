"""Reactions to events: initial recommendations, backup, the MAYDAY plan, welfare checks.

``react`` maps one journaled event to the commands the system issues in answer. The
commands go back through ``service.handle`` like anyone else's, so they are checked,
journaled and published the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tenfour.domain.commands import Command, parse_command
from tenfour.domain.state import Recorded, State
from tenfour.domain.values import SYSTEM
from tenfour.policies.config import PolicyConfig
from tenfour.policies.recommend import (
    DriveTimeOracle,
    Ranked,
    recommend,
    responding_units,
)


def _system(do: str, payload: dict[str, Any]) -> Command:
    return parse_command(do, payload, SYSTEM)


def _journal(ranked: Ranked) -> Command:
    return _system("recommendation.make", ranked.payload)


def _dispatch(incident: str, units: list[str], mode: str) -> list[Command]:
    if not units:
        return []
    return [_system("unit.dispatch", {"incident": incident, "units": units, "mode": mode})]


def on_incident_created(
    state: State, event: Recorded, config: PolicyConfig, oracle: DriveTimeOracle
) -> list[Command]:
    """A new incident nobody is on yet gets a recommendation (not a dispatch)."""
    d = event.data
    if d.get("unit") or d["source"] == "emergency":
        return []  # an officer is already there, or the MAYDAY plan answers it
    need = config.type_needs.get(d["incident_type"], "police")
    ranked = recommend(
        state,
        location=d["location"],
        need=need,
        count=config.initial_units.get(int(d["priority"]), 1),
        purpose="initial",
        incident=d["incident"],
        oracle=oracle,
        config=config,
    )
    return [_journal(ranked)]


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
    return commands


def on_emergency_declared(
    state: State, event: Recorded, config: PolicyConfig, oracle: DriveTimeOracle
) -> list[Command]:
    """The MAYDAY response plan: each need filled, nearest first, diverting if needed."""
    d = event.data
    own = d.get("unit")
    commands: list[Command] = []
    chosen: list[str] = []
    for need, wanted in config.mayday.items():
        kinds = config.kinds_for(need)
        responding = [u for u in responding_units(state, d["incident"], kinds) if u != own]
        missing = max(0, wanted - len(responding))
        ranked = recommend(
            state,
            location=d["location"],
            need=need,
            count=missing,
            purpose="emergency",
            incident=d["incident"],
            oracle=oracle,
            config=config,
            exclude=[own, *chosen] if own else chosen,
            allow_divert=True,
            reason=f"{len(responding)} already responding" if responding else None,
        )
        ranked.payload["responding"] = responding
        commands.append(_journal(ranked))
        chosen += ranked.chosen
    # One dispatch per unit: a unit taken a moment earlier must not sink the others.
    for unit in chosen:
        commands += _dispatch(d["incident"], [unit], "emergency")
    return commands


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

REACTIONS: dict[str, Reaction] = {
    "incident.created": on_incident_created,
    "backup.requested": on_backup_requested,
    "emergency.declared": on_emergency_declared,
    "alert.raised": on_alert_raised,
}


def react(
    state: State, event: Recorded, config: PolicyConfig, oracle: DriveTimeOracle
) -> list[Command]:
    """The commands the system issues in answer to ``event`` (often none)."""
    reaction = REACTIONS.get(event.type)
    return reaction(state, event, config, oracle) if reaction else []
