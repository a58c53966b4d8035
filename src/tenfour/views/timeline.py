"""Incident timelines: every journaled event that concerns an incident, in order."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from tenfour.domain.state import Recorded
from tenfour.views.sentences import Names, sentence


def describe(type_: str, d: Mapping[str, Any], names: Names | None = None) -> str:
    """One line a dispatcher can read at a glance (see ``views.sentences``)."""
    return sentence(type_, d, names)


class Timelines:
    """Incident id -> its timeline entries; fed every event by the service."""

    def __init__(self) -> None:
        self._entries: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._names = Names()

    def apply(self, event: Recorded) -> None:
        self._names.learn(event.type, event.data)
        incident = event.data.get("incident")
        if not isinstance(incident, str):
            return
        self._entries[incident].append(
            {
                "seq": event.seq,
                "at": event.at,
                "by": event.by,
                "type": event.type,
                "text": describe(event.type, event.data, self._names),
                "data": dict(event.data),
            }
        )
        if event.type == "incident.unlinked":
            self._entries[event.data["new_incident"]].append(self._entries[incident][-1])

    def of(self, incident: str) -> list[dict[str, Any]]:
        return list(self._entries.get(incident, []))
