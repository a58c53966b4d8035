"""Incident timelines: every journaled event that concerns an incident, in order."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from tenfour.domain.state import Recorded


def describe(type_: str, d: Mapping[str, Any]) -> str:
    """One line a dispatcher can read at a glance."""
    match type_:
        case "incident.created":
            return f"{d['incident_type']} P{d['priority']} created from {d['source']}"
        case "unit.dispatched":
            return f"{d['unit']} dispatched ({d['mode']})"
        case "unit.status_changed":
            return f"{d['unit']} {d['from']} -> {d['to']}"
        case "member.status_changed":
            return f"{d['member']} {d['from']} -> {d['to']}" + (
                f": {d['text']}" if d.get("text") else ""
            )
        case "recommendation.made":
            units = ", ".join(
                f"{c['unit']} {c['eta_s']:.0f}s" for c in d["candidates"][: d["count"]]
            )
            return f"recommended for {d['purpose']} ({d['need']} x{d['count']}): {units or 'none'}"
        case "alert.raised":
            who = d.get("member") or d.get("unit") or d.get("incident") or ""
            return f"ALERT {d['kind']} {who}".rstrip()
        case "incident.noted" | "member.checked_in":
            return str(d.get("text") or type_)
        case _:
            return type_


class Timelines:
    """Incident id -> its timeline entries; fed every event by the service."""

    def __init__(self) -> None:
        self._entries: dict[str, list[dict[str, Any]]] = defaultdict(list)

    def apply(self, event: Recorded) -> None:
        incident = event.data.get("incident")
        if not isinstance(incident, str):
            return
        self._entries[incident].append(
            {
                "seq": event.seq,
                "at": event.at,
                "by": event.by,
                "type": event.type,
                "text": describe(event.type, event.data),
                "data": dict(event.data),
            }
        )
        if event.type == "incident.unlinked":
            self._entries[event.data["new_incident"]].append(self._entries[incident][-1])

    def of(self, incident: str) -> list[dict[str, Any]]:
        return list(self._entries.get(incident, []))
