"""Response plans (run cards) suggested from real dispatch records, and judged honestly.

``suggest_plans`` takes, per call type, the most common real assignment (unit kinds
and their counts, every unit the call got); where one priority of a type has enough
calls of its own (``min_priority_calls``) and its most common assignment differs, that
priority gets its own plan (``TYPE/P1``). ``compare`` measures a set of plans against
real assignments: the share of calls whose assignment equals the plan, and per unit
kind the share within one unit. ``split_by_day`` fits on the first local days and
holds out the rest, so the figures are for calls the plans never saw.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from tenfour.policies.config import MAX_PLAN_UNITS, plan_key
from tenfour.sim.replay.calls import Call
from tenfour.sim.replay.records import LOCAL

Assignment = tuple[tuple[str, int], ...]  # sorted (kind, units)
#: A need in a plan has at most this many units (``policies.config.UnitCount``).
MAX_NEED_UNITS = 20


def assignment(kinds: Iterable[str]) -> Assignment:
    """The units of one call as sorted ``(kind, count)`` pairs."""
    return tuple(sorted(Counter(kinds).items()))


def real_assignment(call: Call) -> Assignment:
    return assignment(s.kind for s in call.slots)


@dataclass(frozen=True)
class Suggestion:
    """One suggested plan: the assignment, how many calls had it, of how many."""

    key: str
    plan: dict[str, int]
    share: float
    calls: int
    of: int


def _mode(assignments: Counter[Assignment]) -> Assignment:
    # the most common; ties go to the smaller assignment, then the name (stable files)
    return min(assignments, key=lambda a: (-assignments[a], sum(n for _, n in a), a))


def _plan(a: Assignment) -> dict[str, int]:
    plan = {kind: min(n, MAX_NEED_UNITS) for kind, n in a}
    while sum(plan.values()) > MAX_PLAN_UNITS:  # never in real data; keeps files valid
        biggest = max(plan, key=lambda k: plan[k])
        plan[biggest] -= 1
    return plan


def suggest_plans(calls: Sequence[Call], min_priority_calls: int = 20) -> list[Suggestion]:
    """The most common real assignment per call type (and priority, see the module)."""
    by_type: dict[str, Counter[Assignment]] = defaultdict(Counter)
    by_priority: dict[tuple[str, int], Counter[Assignment]] = defaultdict(Counter)
    for call in calls:
        if not call.slots:
            continue
        real = real_assignment(call)
        by_type[call.type_code][real] += 1
        by_priority[(call.type_code, call.priority)][real] += 1
    out: list[Suggestion] = []
    for code in sorted(by_type, key=lambda c: (-sum(by_type[c].values()), c)):
        counts = by_type[code]
        best = _mode(counts)
        total = sum(counts.values())
        for (c, p), pcounts in sorted(by_priority.items()):
            n = sum(pcounts.values())
            if c != code or n < min_priority_calls:
                continue
            pbest = _mode(pcounts)
            if pbest != best:
                out.append(
                    Suggestion(
                        plan_key(code, p), _plan(pbest), pcounts[pbest] / n, pcounts[pbest], n
                    )
                )
        out.append(
            Suggestion(plan_key(code), _plan(best), counts[best] / total, counts[best], total)
        )
    return out


def one_plan_for_all(fit: Sequence[Call], calls: Iterable[Call]) -> dict[str, dict[str, int]]:
    """The baseline: the most common assignment of all ``fit`` calls, for every type of
    ``calls`` (what a plan per type must beat)."""
    counts = Counter(real_assignment(c) for c in fit if c.slots)
    if not counts:
        return {}
    best = _plan(_mode(counts))
    return {c.type_code: dict(best) for c in calls}


def plan_of(plans: Mapping[str, Mapping[str, int]], call: Call) -> dict[str, int] | None:
    """The plan a call gets: its type's at its priority, else its type's, else None."""
    for key in (plan_key(call.type_code, call.priority), plan_key(call.type_code)):
        if key in plans:
            return dict(plans[key])
    return None


@dataclass
class KindFit:
    calls: int = 0  # calls where the plan or the real assignment has this kind
    equal: int = 0
    within_one: int = 0

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            "calls": self.calls,
            "share_equal": self.equal / self.calls if self.calls else None,
            "share_within_1": self.within_one / self.calls if self.calls else None,
        }


@dataclass
class Comparison:
    """How a set of chosen assignments compares with the real ones."""

    calls: int = 0
    covered: int = 0  # calls whose type had a plan
    equal: int = 0
    all_within_one: int = 0
    by_kind: dict[str, KindFit] = field(default_factory=lambda: defaultdict(KindFit))

    def add(
        self, chosen: Mapping[str, int] | None, real: Mapping[str, int], covered: bool = True
    ) -> None:
        """One call: ``chosen`` (None: no plan) against ``real``; ``covered`` False
        for units chosen without a plan of the call's type."""
        self.calls += 1
        if chosen is None:
            chosen = {}
        elif covered:
            self.covered += 1
        kinds = {k for k, n in chosen.items() if n} | {k for k, n in real.items() if n}
        same, near = True, True
        for kind in kinds:
            fit = self.by_kind[kind]
            fit.calls += 1
            gap = abs(chosen.get(kind, 0) - real.get(kind, 0))
            fit.equal += gap == 0
            fit.within_one += gap <= 1
            same &= gap == 0
            near &= gap <= 1
        self.equal += same
        self.all_within_one += near

    def as_dict(self) -> dict[str, object]:
        n = self.calls
        return {
            "calls": n,
            "covered": self.covered,
            "share_equal": self.equal / n if n else None,
            "share_all_kinds_within_1": self.all_within_one / n if n else None,
            "by_kind": {
                k: self.by_kind[k].as_dict()
                for k in sorted(self.by_kind, key=lambda k: (-self.by_kind[k].calls, k))
            },
        }


def compare(plans: Mapping[str, Mapping[str, int]], calls: Iterable[Call]) -> Comparison:
    """Each call's plan against its real assignment (see ``Comparison``)."""
    out = Comparison()
    for call in calls:
        if call.slots:
            out.add(plan_of(plans, call), dict(real_assignment(call)))
    return out


def local_day(call: Call) -> date:
    return call.received.astimezone(LOCAL).date()


def split_by_day(calls: Sequence[Call], fit_days: int) -> tuple[list[Call], list[Call], list[date]]:
    """Calls of the first ``fit_days`` local days, the calls of the later days, and
    the days in order. At least one day is held out."""
    days = sorted({local_day(c) for c in calls})
    if len(days) < 2:
        raise ValueError(f"the records span {len(days)} day(s): a day split needs at least 2")
    if not 1 <= fit_days < len(days):
        raise ValueError(
            f"--fit-days {fit_days}: the records span {len(days)} days, give 1 to {len(days) - 1}"
        )
    fit_on = set(days[:fit_days])
    fit = [c for c in calls if local_day(c) in fit_on]
    held = [c for c in calls if local_day(c) not in fit_on]
    return fit, held, days


def replay_comparison(
    choices: Iterable[tuple[Call, Mapping[str, int], Mapping[str, int]]],
    plans: Mapping[str, Mapping[str, int]],
) -> dict[str, object]:
    """A planned replay's units sent per call against the real assignment, overall and
    by local day (so days a suggested plan file was fitted on can be set apart)."""
    sent = Comparison()
    days: dict[date, Comparison] = defaultdict(Comparison)
    for call, kinds, _wanted in choices:
        real, covered = dict(real_assignment(call)), plan_of(plans, call) is not None
        sent.add(kinds, real, covered)
        days[local_day(call)].add(kinds, real, covered)
    by_day = {
        day.isoformat(): {"calls": c.calls, "share_equal": c.as_dict()["share_equal"]}
        for day, c in sorted(days.items())
    }
    return {**sent.as_dict(), "by_day": by_day}
