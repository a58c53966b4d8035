"""Run a scenario: set up the roster at 0:00, play the steps on a simulated clock
through the real service and journal, then judge every expectation."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from tenfour.bootstrap import build_service
from tenfour.clock import SimClock
from tenfour.domain.commands import parse_command
from tenfour.domain.errors import CommandRejected
from tenfour.journal import EventStore, SqliteEventStore, StoredEvent
from tenfour.policies import DriveTimeOracle, PolicyConfig
from tenfour.sim.expect import Verdict, judge
from tenfour.sim.labels import Labels
from tenfour.sim.roster import RosterError, apply_roster
from tenfour.sim.scenario_file import Scenario, ScenarioError, Step


@dataclass
class StepOutcome:
    step: Step
    first_seq: int  # the first seq this step could have produced
    events: tuple[StoredEvent, ...] = ()
    error: str | None = None

    @property
    def ok(self) -> bool:
        return (self.error is not None) == self.step.reject


@dataclass
class ScenarioResult:
    scenario: Scenario
    steps: list[StepOutcome]
    verdicts: list[Verdict]
    events: list[StoredEvent]
    policy_failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(s.ok for s in self.steps) and all(v.passed for v in self.verdicts)

    def lines(self) -> list[str]:
        out = []
        for outcome in self.steps:
            if not outcome.ok:
                step = outcome.step
                what = f"step at line {step.line} ({_clock(step.at)} {step.actor} {step.do})"
                if outcome.error is None:
                    out.append(f"FAIL {what}: was accepted but should have been rejected")
                else:
                    out.append(f"FAIL {what}: rejected: {outcome.error}")
        out += [v.line() for v in self.verdicts]
        return out


def _clock(offset: timedelta) -> str:
    total = offset.total_seconds()
    h, rest = divmod(int(total), 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def run_scenario(
    scenario: Scenario,
    out_dir: Path | None = None,
    store: EventStore | None = None,
    oracle: DriveTimeOracle | None = None,
    travel_model: str | Path | None = None,
) -> ScenarioResult:
    """Play ``scenario``; write ``journal.jsonl`` (and ``journal.db``) into ``out_dir``."""
    base = Path(scenario.path).parent
    map_name = scenario.map
    if map_name != "demo" and not Path(map_name).is_absolute():
        map_name = str(base / map_name)
    try:
        config = PolicyConfig().with_overrides(scenario.config)
    except CommandRejected as error:
        raise ScenarioError(scenario.path, 0, f"bad config: {error}") from None
    if store is None:
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)
            for stale in ("journal.db", "journal.db-wal", "journal.db-shm"):
                (out_dir / stale).unlink(missing_ok=True)
        store = SqliteEventStore(out_dir / "journal.db" if out_dir else ":memory:")
    clock = SimClock(scenario.start)
    # Tracking codes are random in production; seeded here so a scenario's journal
    # is the same every run.
    rng = random.Random(scenario.name)
    tokens = lambda: f"{rng.randrange(16**8):08X}"  # noqa: E731
    service = build_service(
        store=store,
        clock=clock,
        map_name=map_name,
        config=config,
        tokens=tokens,
        oracle=oracle,
        travel_model=travel_model,
    )
    labels = Labels()
    try:
        apply_roster(service, scenario, labels)
    except RosterError as error:
        raise ScenarioError(scenario.path, error.line, str(error)) from None

    outcomes: list[StepOutcome] = []
    for step in scenario.steps:
        clock.advance_to(scenario.start + step.at)
        outcome = StepOutcome(step, store.head() + 1)
        try:
            payload = labels.substitute(step.with_)
            handled = service.handle(parse_command(step.do, payload, step.actor))
            outcome.events = handled.events
            if step.name:
                labels.record(step.name, handled.events)
        except (CommandRejected, KeyError) as error:
            outcome.error = str(error)
        outcomes.append(outcome)

    end = scenario.start + max([s.at for s in scenario.steps] + _windows(scenario, outcomes))
    clock.advance_to(end)
    events = list(store.read())
    if out_dir is not None:
        with (out_dir / "journal.jsonl").open("w", encoding="utf-8") as out:
            for event in events:
                out.write(json.dumps(event.to_json(), ensure_ascii=False) + "\n")
    starts = {o.step.name: o for o in outcomes if o.step.name}
    verdicts = [judge(e, events, scenario, starts, labels) for e in scenario.expectations]
    return ScenarioResult(scenario, outcomes, verdicts, events, list(service.policy_failures))


def _windows(scenario: Scenario, outcomes: list[StepOutcome]) -> list[timedelta]:
    """How long to keep the clock running after the last step: to the end of every
    expectation window, so late timers are seen (or seen not to fire)."""
    at = {o.step.name: o.step.at for o in outcomes if o.step.name}
    ends = []
    for e in scenario.expectations:
        if e.within is not None:
            ends.append(at.get(e.after or "", timedelta(0)) + e.within)
    return ends
