"""Scenario labels: ``"@pursuit"`` stands for what the step named ``pursuit`` made.

A step may create or act on several things (an emergency also raises an alert and
takes over an incident); the field a label is used in picks which one is meant,
and otherwise the thing the step's first event is about.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tenfour.journal import StoredEvent
from tenfour.sim.scenario_file import LABEL

#: Fields that name the things a label can stand for.
KINDS = ("incident", "emergency", "alert", "tip", "call", "subject", "bolo", "unit", "member")


class Labels:
    def __init__(self) -> None:
        self._things: dict[str, dict[str, str]] = {}
        self._primary: dict[str, str] = {}

    def record(self, name: str, events: Sequence[StoredEvent]) -> None:
        things: dict[str, str] = {}
        for event in events:
            for kind in KINDS:
                value = event.data.get(kind)
                if isinstance(value, str):
                    things.setdefault(kind, value)
        self._things[name] = things
        if events:
            first = events[0]
            noun = first.type.split(".")[0]
            primary = first.data.get(noun)
            if not isinstance(primary, str):
                primary = next(iter(things.values()), None)
            if primary is not None:
                self._primary[name] = primary

    def known(self, name: str) -> bool:
        return name in self._things

    def resolve(self, value: str, field: str | None) -> str:
        """The id ``value`` (``"@name"``) stands for when used in ``field``."""
        found = LABEL.match(value)
        if found is None:
            return value
        name = found.group(1)
        if name not in self._things:
            raise KeyError(f"label @{name} has no result (was its step rejected?)")
        things = self._things[name]
        if field in things:
            return things[field]
        if name in self._primary:
            return self._primary[name]
        raise KeyError(f"label @{name} made nothing to stand for in {field or 'this place'}")

    def substitute(self, value: Any, field: str | None = None) -> Any:
        """``value`` with every ``"@label"`` replaced, looking at the field it sits in."""
        if isinstance(value, str):
            return self.resolve(value, field) if LABEL.match(value) else value
        if isinstance(value, dict):
            return {k: self.substitute(v, k) for k, v in value.items()}
        if isinstance(value, list):
            # a list's items take the singular of the list's field: units -> unit
            singular = field[:-1] if field and field.endswith("s") else field
            return [self.substitute(v, singular) for v in value]
        return value
