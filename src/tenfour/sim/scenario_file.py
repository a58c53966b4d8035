"""The scenario file format (SCENARIOS.md): parsed and checked before anything runs.

Unknown keys, unknown commands, bad times and unresolved labels are errors naming
the line, so a drill author fixes the file instead of debugging a half-run.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tenfour.domain.commands import COMMANDS
from tenfour.domain.values import Actor
from tenfour.domain.vocabulary import ENVELOPE, EVENT_FIELDS
from tenfour.sim.yaml_lines import LineDict, YamlFileError, line_of, read_yaml_file

LABEL = re.compile(r"^@([A-Za-z0-9_.-]+)$")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")


class ScenarioError(ValueError):
    """A problem in a scenario file, with the file and line it is on."""

    def __init__(self, path: str, line: int, message: str) -> None:
        self.path, self.line, self.message = path, line, message
        super().__init__(f"{path}:{line}: {message}" if line else f"{path}: {message}")


def parse_duration(text: object) -> timedelta:
    """``500ms``, ``1s``, ``2m``, ``1h``, ``1m30s``; a bare number is seconds."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return timedelta(seconds=float(text))
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"bad duration {text!r} (use 500ms, 1s, 2m, 1h)")
    spec = text.strip()
    parts = _DURATION.findall(spec)
    if not parts or "".join(n + u for n, u in parts) != spec:
        raise ValueError(f"bad duration {text!r} (use 500ms, 1s, 2m, 1h)")
    unit_s = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    return timedelta(seconds=sum(float(n) * unit_s[u] for n, u in parts))


def parse_offset(text: object) -> timedelta:
    """A step time after start: ``m:ss`` or ``h:mm:ss`` (seconds may have decimals)."""
    if not isinstance(text, str):
        raise ValueError(f"bad time {text!r}: write it in quotes as m:ss or h:mm:ss")
    parts = text.strip().split(":")
    try:
        if len(parts) == 2:
            h, m, s = 0, int(parts[0]), float(parts[1])
        elif len(parts) == 3:
            h, m, s = int(parts[0]), int(parts[1]), float(parts[2])
        else:
            raise ValueError
    except ValueError:
        raise ValueError(f"bad time {text!r}: use m:ss or h:mm:ss") from None
    if m < 0 or h < 0 or not 0 <= s < 60 or (len(parts) == 3 and m >= 60):
        raise ValueError(f"bad time {text!r}: minutes and seconds out of range")
    return timedelta(hours=h, minutes=m, seconds=s)


@dataclass(frozen=True)
class Step:
    line: int
    at: timedelta
    actor: Actor
    do: str
    with_: dict[str, Any]
    name: str | None = None
    reject: bool = False


@dataclass(frozen=True)
class Expectation:
    line: int
    event: str
    negative: bool
    match: dict[str, Any]
    after: str | None
    within: timedelta | None
    not_before: timedelta | None

    def describe(self) -> str:
        text = f"{'no_event' if self.negative else 'event'} {self.event}"
        if self.match:
            text += " " + ", ".join(f"{k}={v}" for k, v in self.match.items())
        if self.after:
            text += f" after {self.after}"
        if self.not_before is not None:
            text += f" not before {_short(self.not_before)}"
        if self.within is not None:
            text += f" within {_short(self.within)}"
        return text


def _short(delta: timedelta) -> str:
    seconds = delta.total_seconds()
    if seconds >= 120 and seconds % 60 == 0:
        return f"{seconds / 60:g}m"
    return f"{seconds:g}s"


@dataclass
class Scenario:
    path: str
    name: str
    title: str
    map: str
    start: datetime
    config: dict[str, Any]
    agencies: list[dict[str, Any]]
    facilities: list[dict[str, Any]]
    members: list[dict[str, Any]]
    units: list[dict[str, Any]]
    incidents: list[dict[str, Any]]
    steps: list[Step]
    expectations: list[Expectation] = field(default_factory=list)


_TOP = {
    "scenario", "title", "description", "map", "start", "config", "agencies",
    "facilities", "members", "units", "incidents", "steps", "expect",
}  # fmt: skip
_KEYS = {
    "agencies": ({"id", "kind"}, {"name"}),
    "facilities": ({"id", "kind", "at"}, {"name"}),
    "members": ({"id", "agency"}, {"name", "rank", "radio"}),
    "units": ({"id", "agency", "kind"}, {"vehicle", "members", "at", "status"}),
    "incidents": ({"name", "type", "priority", "at"}, {"units", "unit_status", "text"}),
}
_STEP = ({"at", "as", "do"}, {"name", "with", "reject"})
_EXPECT: tuple[set[str], set[str]] = (
    set(),
    {"event", "no_event", "match", "after", "within", "not_before"},
)


def _check_keys(path: str, item: Any, required: set[str], optional: set[str], what: str) -> None:
    if not isinstance(item, dict):
        raise ScenarioError(path, line_of(item), f"each {what} must be a mapping")
    for key in item:
        if key not in required | optional:
            allowed = ", ".join(sorted(required | optional))
            raise ScenarioError(
                path, line_of(item, key), f"unknown key {key!r} in {what} (allowed: {allowed})"
            )
    for key in sorted(required - item.keys()):
        raise ScenarioError(path, line_of(item), f"{what} is missing {key!r}")


def _labels_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        found = LABEL.match(value)
        if found:
            yield found.group(1)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _labels_in(v)
    elif isinstance(value, list):
        for v in value:
            yield from _labels_in(v)


def load_scenario(path: str | Path) -> Scenario:
    """Read and check a scenario file; raise ``ScenarioError`` naming the line."""
    where = str(path)
    try:
        raw = read_yaml_file(path)
    except YamlFileError as error:
        raise ScenarioError(error.path, error.line, error.reason) from None
    if not isinstance(raw, LineDict):
        raise ScenarioError(where, 0, "a scenario is a YAML mapping (scenario:, steps:, ...)")
    _check_keys(where, raw, {"scenario", "steps"}, _TOP - {"scenario", "steps"}, "scenario")
    try:
        start = datetime.fromisoformat(str(raw.get("start", "2026-01-01T00:00:00Z")))
    except ValueError:
        raise ScenarioError(
            where, line_of(raw, "start"), "start must be an ISO-8601 time"
        ) from None
    if start.tzinfo is None:
        raise ScenarioError(where, line_of(raw, "start"), "start needs a time zone, e.g. Z")

    lists: dict[str, list[dict[str, Any]]] = {}
    for section, (required, optional) in _KEYS.items():
        items = raw.get(section) or []
        if not isinstance(items, list):
            raise ScenarioError(where, line_of(raw, section), f"{section} must be a list")
        for item in items:
            _check_keys(where, item, required, optional, section.rstrip("s").replace("ie", "y"))
        lists[section] = items

    steps = _steps(where, raw)
    names = [s.name for s in steps if s.name]
    names += [i["name"] for i in lists["incidents"]]
    expectations = _expectations(where, raw, set(names))
    config = raw.get("config") or {}
    if not isinstance(config, dict):
        raise ScenarioError(where, line_of(raw, "config"), "config must be a mapping")
    return Scenario(
        path=where,
        name=str(raw["scenario"]),
        title=str(raw.get("title", raw["scenario"])),
        map=str(raw.get("map", "demo")),
        start=start,
        config=config,
        agencies=lists["agencies"],
        facilities=lists["facilities"],
        members=lists["members"],
        units=lists["units"],
        incidents=lists["incidents"],
        steps=steps,
        expectations=expectations,
    )


def _steps(where: str, raw: LineDict) -> list[Step]:
    items = raw.get("steps")
    if not isinstance(items, list) or not items:
        raise ScenarioError(where, line_of(raw, "steps"), "steps must be a non-empty list")
    known: set[str] = {
        str(i.get("name")) for i in raw.get("incidents") or [] if isinstance(i, dict)
    }
    steps: list[Step] = []
    for item in items:
        _check_keys(where, item, *_STEP, "step")
        line = line_of(item)
        try:
            at = parse_offset(item["at"])
        except ValueError as error:
            raise ScenarioError(where, line_of(item, "at"), str(error)) from None
        try:
            actor = Actor.parse(str(item["as"]))
        except ValueError as error:
            raise ScenarioError(where, line_of(item, "as"), str(error)) from None
        if item["do"] not in COMMANDS:
            raise ScenarioError(where, line_of(item, "do"), f"unknown command {item['do']!r}")
        with_ = item.get("with") or {}
        if not isinstance(with_, dict):
            raise ScenarioError(where, line_of(item, "with"), "with must be a mapping")
        for label in _labels_in(with_):
            if label not in known:
                raise ScenarioError(
                    where,
                    line_of(item, "with"),
                    f"label @{label} is not defined by an earlier step",
                )
        name = item.get("name")
        if name is not None:
            if name in known:
                raise ScenarioError(where, line_of(item, "name"), f"label {name!r} is used twice")
            known.add(str(name))
        if steps and at < steps[-1].at:
            raise ScenarioError(where, line_of(item, "at"), "steps must be in time order")
        steps.append(
            Step(line, at, actor, item["do"], dict(with_), name, bool(item.get("reject", False)))
        )
    return steps


def _check_match_keys(where: str, event: str, match: dict[str, Any]) -> None:
    """Refuse a match key that ``event`` never carries: misspelt, such a key would make
    an ``event`` expectation fail for a puzzling reason and a ``no_event`` one pass
    whatever happened. Only top-level keys are checked; nested values (a location's
    ``lat``) are compared as they are."""
    fields = EVENT_FIELDS[event]
    for key in match:
        if key not in fields and key not in ENVELOPE:
            raise ScenarioError(
                where,
                line_of(match, key),
                f"match key {key!r}: {event} events carry no such field"
                f" (its fields: {', '.join(sorted(fields))};"
                f" every event's: {', '.join(sorted(ENVELOPE))})",
            )


def _expectations(where: str, raw: LineDict, names: set[str]) -> list[Expectation]:
    items = raw.get("expect") or []
    if not isinstance(items, list):
        raise ScenarioError(where, line_of(raw, "expect"), "expect must be a list")
    out = []
    for item in items:
        _check_keys(where, item, *_EXPECT, "expectation")
        line = line_of(item)
        if ("event" in item) == ("no_event" in item):
            raise ScenarioError(where, line, "give exactly one of event or no_event")
        event = str(item.get("event") or item.get("no_event"))
        if event not in EVENT_FIELDS:
            raise ScenarioError(where, line, f"unknown event type {event!r}")
        match = item.get("match") or {}
        if not isinstance(match, dict):
            raise ScenarioError(where, line_of(item, "match"), "match must be a mapping")
        _check_match_keys(where, event, match)
        after = item.get("after")
        for label in _labels_in(match):
            if label not in names:
                raise ScenarioError(
                    where, line_of(item, "match"), f"label @{label} is not the name of any step"
                )
        if after is not None and after not in names:
            raise ScenarioError(
                where, line_of(item, "after"), f"after: {after!r} is not the name of any step"
            )
        durations: dict[str, timedelta | None] = {}
        for key in ("within", "not_before"):
            try:
                durations[key] = parse_duration(item[key]) if key in item else None
            except ValueError as error:
                raise ScenarioError(where, line_of(item, key), str(error)) from None
        within, not_before = durations["within"], durations["not_before"]
        out.append(
            Expectation(line, event, "no_event" in item, dict(match), after, within, not_before)
        )
    return out
