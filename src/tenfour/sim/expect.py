"""Judging a scenario's expectations against the journal it produced."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from tenfour.journal import StoredEvent
from tenfour.sim.labels import Labels
from tenfour.sim.scenario_file import Expectation, Scenario

if TYPE_CHECKING:
    from tenfour.sim.scenario_file import Step


class _Started(Protocol):
    @property
    def step(self) -> Step: ...
    @property
    def first_seq(self) -> int: ...


@dataclass(frozen=True)
class Verdict:
    expectation: Expectation
    passed: bool
    detail: str

    def line(self) -> str:
        word = "pass" if self.passed else "FAIL"
        return f"{word} {self.expectation.describe()} (line {self.expectation.line}): {self.detail}"


def _matches(actual: Any, wanted: Any) -> bool:
    if isinstance(wanted, Mapping):
        return isinstance(actual, Mapping) and all(
            _matches(actual.get(k), v) for k, v in wanted.items()
        )
    if isinstance(wanted, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(wanted)
            and all(_matches(a, w) for a, w in zip(actual, wanted, strict=True))
        )
    return bool(actual == wanted)


def _exported(event: StoredEvent) -> Mapping[str, Any]:
    """The event as ``journal.jsonl`` shows it (data plus envelope, the envelope winning),
    so a scenario can match on ``by`` or ``seq`` as well as on the event's fields."""
    return event.to_json()


def _offset(event: StoredEvent, start: datetime) -> str:
    seconds = (datetime.fromisoformat(event.at) - start).total_seconds()
    m, s = divmod(seconds, 60)
    return f"{int(m)}:{s:06.3f}".rstrip("0").rstrip(".")


def judge(
    expectation: Expectation,
    events: Sequence[StoredEvent],
    scenario: Scenario,
    started: Mapping[str, _Started],
    labels: Labels,
) -> Verdict:
    """Does the journal hold (or, for ``no_event``, not hold) such an event in the window?"""
    try:
        match = labels.substitute(expectation.match)
    except KeyError as error:
        return Verdict(expectation, False, str(error.args[0]))
    origin, floor = scenario.start, 0
    if expectation.after is not None and expectation.after in started:
        step = started[expectation.after]
        origin, floor = scenario.start + step.step.at, step.first_seq
    low = origin + (expectation.not_before or timedelta(0))
    high = origin + expectation.within if expectation.within is not None else None

    def in_window(event: StoredEvent) -> bool:
        at = datetime.fromisoformat(event.at)
        if event.seq < floor or at < low:
            return False
        if expectation.not_before is not None and at <= low:
            return False  # the window is open at its start: (after+not_before, after+within]
        return high is None or at <= high

    typed = [e for e in events if e.type == expectation.event]
    matching = [e for e in typed if _matches(_exported(e), match)]
    hits = [e for e in matching if in_window(e)]
    start = scenario.start
    if expectation.negative:
        if hits:
            first = hits[0]
            return Verdict(expectation, False, f"seen at {_offset(first, start)} (seq {first.seq})")
        return Verdict(expectation, True, "not seen")
    if hits:
        first = hits[0]
        return Verdict(expectation, True, f"seen at {_offset(first, start)} (seq {first.seq})")
    if matching:
        times = ", ".join(f"{_offset(e, start)} (seq {e.seq})" for e in matching[:3])
        return Verdict(expectation, False, f"not in the window; seen at {times}")
    near = ", ".join(
        "{" + ", ".join(f"{k}={row.get(k)}" for k in match) + "}"
        for row in map(_exported, typed[:3])
    )
    return Verdict(
        expectation, False, f"not seen; {expectation.event} events: {near or 'none at all'}"
    )
