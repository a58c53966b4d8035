"""What a replay's journal says happened, per incident and per unit.

Read back from the durable journal after the run (not from the replay's memory), so
the report shows what was recorded: which incident each real call became, the
ranking the recommendation policy made for it, and when each unit was dispatched,
went en route, arrived and became available again.

Arrivals (en route, on scene) come from ``tenfour.reports.intervals``: the replay's
travel figures and ``tenfour report``'s are one implementation.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tenfour.journal import StoredEvent
from tenfour.reports.intervals import IntervalFold

CALL_TEXT = re.compile(r"^SFFD call (\S+):")


@dataclass
class Arrival:
    unit: str
    kind: str
    enroute: datetime
    on_scene: datetime

    @property
    def travel_s(self) -> float:
        return (self.on_scene - self.enroute).total_seconds()


@dataclass
class JournalFacts:
    """The journal, folded into what the report needs."""

    incident_of: dict[str, str] = field(default_factory=dict)  # call number -> incident
    ranking: dict[str, list[Mapping[str, Any]]] = field(default_factory=dict)  # by incident
    arrivals: dict[str, list[Arrival]] = field(default_factory=lambda: defaultdict(list))
    busy: dict[str, list[tuple[datetime, datetime]]] = field(
        default_factory=lambda: defaultdict(list)
    )  # unit -> [dispatched, available) intervals
    kinds: dict[str, str] = field(default_factory=dict)
    alerts: Counter[str] = field(default_factory=Counter)
    events: int = 0
    times: IntervalFold = field(default_factory=IntervalFold)  # the reports' fold

    def first_arrival(self, incident: str) -> Arrival | None:
        """The first unit on scene, as the reports define it, when its travel is known."""
        times = self.times.incidents.get(incident)
        first = times.first_unit if times else None
        if first is None or first.enroute is None or first.onscene is None:
            return None
        return Arrival(first.unit, first.kind, first.enroute, first.onscene)


def _eta(candidate: Mapping[str, Any]) -> float:
    return float(candidate.get("eta_s", math.inf))


def _at(event: StoredEvent) -> datetime:
    return datetime.fromisoformat(event.at)


def read_facts(events: Iterable[StoredEvent]) -> JournalFacts:
    """Fold journaled events into :class:`JournalFacts`."""
    facts = JournalFacts()
    number_of: dict[str, str] = {}  # call id (C-...) -> SFFD call number
    dispatched: dict[str, datetime] = {}
    for event in events:
        facts.events += 1
        facts.times.add(event)
        d = event.data
        kind = event.type
        if kind == "call.received":
            match = CALL_TEXT.match(str(d.get("text", "")))
            if match:
                number_of[str(d["call"])] = match.group(1)
        elif kind in ("incident.created", "incident.linked") and d.get("call") in number_of:
            facts.incident_of[number_of[str(d["call"])]] = str(d["incident"])
        elif kind == "recommendation.made" and d.get("purpose") == "initial":
            # a response plan journals one recommendation per need: one ranking of all
            merged = facts.ranking.get(str(d["incident"]), []) + list(d.get("candidates") or [])
            facts.ranking[str(d["incident"])] = sorted(merged, key=_eta)
        elif kind == "unit.registered":
            facts.kinds[str(d["unit"])] = str(d["kind"])
        elif kind == "unit.dispatched":
            dispatched.setdefault(str(d["unit"]), _at(event))
        elif kind == "unit.status_changed":
            _status(facts, event, dispatched)
        elif kind == "alert.raised":
            facts.alerts[str(d["kind"])] += 1
    for response in facts.times.responses():
        if response.enroute is not None and response.onscene is not None:
            facts.arrivals[response.incident].append(
                Arrival(response.unit, response.kind, response.enroute, response.onscene)
            )
    return facts


def _status(
    facts: JournalFacts,
    event: StoredEvent,
    dispatched: dict[str, datetime],
) -> None:
    d = event.data
    unit, to = str(d["unit"]), d["to"]
    if to == "available":
        since = dispatched.pop(unit, None)
        if since is not None:
            facts.busy[unit].append((since, _at(event)))
