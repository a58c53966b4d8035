"""State as plain JSON and back: what a live client starts from before it folds events.

``state_from_json(state_to_json(s)) == s`` for every state, and a snapshot plus the
events after its position folds into the same state as a fresh snapshot (tested for
every event type), which is what lets a console resume instead of reloading.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from tenfour.domain.state import (
    Agency,
    Alert,
    Bolo,
    Call,
    Closure,
    Emergency,
    Facility,
    Incident,
    Member,
    Message,
    State,
    Subject,
    Tip,
    Unit,
)

_TABLES: dict[str, type] = {
    "agencies": Agency,
    "facilities": Facility,
    "members": Member,
    "units": Unit,
    "tips": Tip,
    "calls": Call,
    "incidents": Incident,
    "subjects": Subject,
    "alerts": Alert,
    "emergencies": Emergency,
    "bolos": Bolo,
    "closures": Closure,
    "messages": Message,
}


def state_to_json(state: State) -> dict[str, Any]:
    out: dict[str, Any] = {
        name: {key: dataclasses.asdict(row) for key, row in getattr(state, name).items()}
        for name in _TABLES
    }
    out["tips_by_code"] = dict(state.tips_by_code)
    out["counters"] = dict(state.counters)
    out["versions"] = dict(state.versions)
    out["seq"] = state.seq
    return out


def state_from_json(data: dict[str, Any]) -> State:
    state = State()
    for name, kind in _TABLES.items():
        setattr(state, name, {key: kind(**row) for key, row in data.get(name, {}).items()})
    state.tips_by_code = dict(data["tips_by_code"])
    state.counters = dict(data["counters"])
    state.versions = dict(data["versions"])
    state.seq = int(data["seq"])
    return state
