"""The dispatch board: open incidents, units with status and time in status, open alerts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from tenfour.domain.state import Alert, State


def _elapsed(since: str | None, now: datetime) -> float | None:
    if since is None:
        return None
    return round((now - datetime.fromisoformat(since)).total_seconds(), 1)


def alert_rank(state: State, alert: Alert) -> tuple[int, str, str]:
    """DOMAIN.md: every list of alerts puts open emergencies first, then high, then normal."""
    emergency = state.emergencies.get(alert.emergency or "")
    if alert.kind == "emergency" and emergency is not None and emergency.open:
        tier = 0
    else:
        tier = 1 if alert.severity == "high" else 2
    return (tier, alert.raised_at, alert.id)


def in_order(state: State, alerts: Iterable[Alert]) -> list[Alert]:
    return sorted(alerts, key=lambda a: alert_rank(state, a))


def board(state: State, now: datetime) -> dict[str, Any]:
    """What a dispatcher's main screen shows, ordered as it should be read.

    Incidents: highest priority first, then oldest first. Units: by agency, kind, id.
    Alerts: open emergencies first, then high severity, then normal; oldest first.
    """
    incidents = sorted(
        (i for i in state.incidents.values() if i.open),
        key=lambda i: (i.priority, i.created_at, i.id),
    )
    units = sorted(
        (u for u in state.units.values() if u.logged_on),
        key=lambda u: (u.agency, u.kind, u.id),
    )
    alerts = in_order(state, (a for a in state.alerts.values() if a.open))
    return {
        "position": state.seq,
        "at": now.isoformat(),
        "incidents": [
            {
                "incident": i.id,
                "type": i.type,
                "priority": i.priority,
                "location": i.location,
                "status": "active" if i.units else "pending",
                "units": list(i.units),
                "created_at": i.created_at,
                "elapsed_s": _elapsed(i.created_at, now),
            }
            for i in incidents
        ],
        "units": [
            {
                "unit": u.id,
                "agency": u.agency,
                "kind": u.kind,
                "status": u.status,
                "status_since": u.status_since,
                "elapsed_s": _elapsed(u.status_since, now),
                "incident": u.incident,
                "members": list(u.members),
                "location": u.location,
            }
            for u in units
        ],
        "alerts": [
            {
                "alert": a.id,
                "kind": a.kind,
                "severity": a.severity,
                "raised_at": a.raised_at,
                "member": a.member,
                "unit": a.unit,
                "incident": a.incident,
                "text": a.text,
            }
            for a in alerts
        ],
        "emergencies": [
            {"emergency": e.id, "member": e.member, "unit": e.unit, "incident": e.incident}
            for e in state.emergencies.values()
            if e.open
        ],
    }
