"""Alert lifecycle: when an alert's condition has ended, and the system resolves it.

DOMAIN.md ("Alerts"): one open alert per condition; a person acknowledges it; the
system resolves it (``alert.resolved`` with a reason) when its condition ends. Each
kind's condition is stated once here, as a pure function of state (and, for missed
check-ins, of the status-check fold), so the reactor and the safety tests agree on it.
"""

from __future__ import annotations

from collections.abc import Iterator

from tenfour.domain.commands import Command, parse_command
from tenfour.domain.rules import SERVING
from tenfour.domain.state import Alert, State
from tenfour.domain.values import SYSTEM
from tenfour.policies.config import PolicyConfig
from tenfour.policies.recommend import responding_units
from tenfour.policies.timers import MEMBER, UNIT, Watches

#: Events that change no alert's condition: automatic positions (never contact) and
#: the system's own records. Any act of a person may be his contact.
QUIET = frozenset({"unit.located", "member.located", "recommendation.made", "alert.resolved"})


def plan_gaps(state: State, emergency_id: str, config: PolicyConfig) -> list[dict[str, object]]:
    """What an emergency's response plan still lacks on its own incident, need by need."""
    emergency = state.emergencies[emergency_id]
    if emergency.incident is None:
        return [{"need": need, "wanted": n, "found": 0} for need, n in config.mayday.items()]
    own = committed_units(state, emergency_id)
    gaps: list[dict[str, object]] = []
    for need, wanted in config.mayday.items():
        found = [
            u
            for u in responding_units(state, emergency.incident, config.kinds_for(need), SERVING)
            if u not in own
        ]
        if len(found) < wanted:
            gaps.append({"need": need, "wanted": wanted, "found": len(found)})
    return gaps


def committed_units(state: State, emergency_id: str) -> set[str]:
    """The distressed member's unit (and the unit named in the emergency)."""
    emergency = state.emergencies[emergency_id]
    units = {emergency.unit} if emergency.unit else set()
    member = state.members.get(emergency.member or "")
    if member is not None and member.unit:
        units.add(member.unit)
    return units


def _check_ended(alert: Alert, watches: Watches | None) -> str | None:
    key = (MEMBER, alert.member) if alert.member else (UNIT, alert.unit or "")
    if watches is None:
        return None
    watch = watches.pending.get(key)
    if watch is None:
        return "no longer on a timed status"
    if watch.missed == 0:
        return "contact made"
    return None


def ended(
    state: State, alert: Alert, config: PolicyConfig, watches: Watches | None = None
) -> str | None:
    """Why ``alert``'s condition no longer holds, or None while it does."""
    kind = alert.kind
    if kind == "policy_failed":
        return None  # only a person can say a failure has been dealt with
    if kind in ("emergency", "plan_short") and alert.emergency:
        emergency = state.emergencies.get(alert.emergency)
        if emergency is None or not emergency.open:
            return "emergency cleared"
        if kind == "plan_short" and not plan_gaps(state, emergency.id, config):
            return "plan filled"
        return None
    incident = state.incidents.get(alert.incident or "")
    if kind in ("status_check_overdue", "member_unresponsive"):
        member = state.members.get(alert.member or "")
        if member is not None and member.status == "down":
            return "emergency declared for the member"
        if member is not None and not member.on_duty:
            return "member off duty"
        return _check_ended(alert, watches)
    if kind == "dispatch_unacknowledged":
        unit = state.units.get(alert.unit or "")
        if unit is None or unit.incident != alert.incident:
            return "unit no longer on the incident"
        if unit.status != "dispatched":
            return f"unit acknowledged ({unit.status})"
        return None
    if kind == "incident_unassigned":
        if incident is None or not incident.open:
            return "incident closed"
        if incident.units:
            return f"unit assigned ({', '.join(incident.units)})"
        return None
    if kind == "backup_requested" and (incident is None or not incident.open):
        return "incident closed"
    if kind == "message_unread":
        message = state.messages.get(alert.message or "")
        if message is None or message.read:
            return (
                f"message read by {', '.join(sorted(message.read))}"
                if message
                else "no such message"
            )
        return None
    return None


def resolutions(
    state: State, event_type: str, config: PolicyConfig, watches: Watches | None
) -> Iterator[Command]:
    """``alert.resolve`` for every active alert whose condition has ended."""
    if event_type in QUIET:
        return
    for alert in list(state.alerts.values()):
        if not alert.active:
            continue
        reason = ended(state, alert, config, watches)
        if reason is not None:
            yield parse_command("alert.resolve", {"alert": alert.id, "reason": reason}, SYSTEM)
