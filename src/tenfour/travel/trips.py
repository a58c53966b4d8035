"""Training trips from SFFD records: units that drove from their station to a call.

A trip's start must be known, so only engines and trucks (which live at a station,
``E39``/``T03`` at station 39/3) count, and only responses from quarters: the unit's
previous response in the file ended (``Available``) at least ``QUARTERS_AFTER_S``
before this dispatch, time enough to have driven home. A unit's first response in
the file is left out (where it was before is unknown). The station is the replay's
estimate (``sim.replay.stations``), the end is the call's block point; travel is en
route to on scene (NFPA 1710) and must lie within ``TRAVEL_RANGE_S`` (outside it the
times are typos or the unit stopped on the way).

Start-up delays (dispatch to en route) are measured per unit kind over every
response of the calls on the map, from quarters or not.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Final

import numpy as np

from tenfour.sim.replay.calls import Call, Slot
from tenfour.sim.replay.records import LOCAL
from tenfour.sim.replay.stations import Home

QUARTERS_AFTER_S: Final = 900.0
TRAVEL_RANGE_S: Final = (20.0, 1800.0)
STARTUP_RANGE_S: Final = (0.0, 600.0)
BOOTSTRAP_ROUNDS: Final = 500


@dataclass(frozen=True, slots=True)
class Trip:
    """One unit's drive from its station to a call."""

    call: str
    unit: str
    kind: str
    station: int
    start: tuple[float, float]
    end: tuple[float, float]
    travel_s: float
    day: str  # local date, ISO
    hour: int  # local hour of dispatch
    station_area: int | None
    priority: int
    first: bool  # the call's real first unit on scene


@dataclass(frozen=True)
class TripSet:
    trips: list[Trip]
    dropped: Counter[str]


def extract_trips(calls: list[Call], kept: list[Call], homes: dict[str, Home]) -> TripSet:
    """Trips of ``kept`` calls (on the map) by units at ``homes``; ``calls`` are every
    call of the file, for each unit's previous response."""
    previous = _previous_slots(calls)
    trips: list[Trip] = []
    dropped: Counter[str] = Counter()
    for call in kept:
        first = call.first
        for slot in call.slots:
            home = homes.get(slot.unit)
            if home is None or home.station is None:
                dropped["no known station (not an engine or truck on the map)"] += 1
                continue
            travel = slot.travel_s
            if travel is None:
                dropped["no en route or on-scene time"] += 1
                continue
            before = previous.get((call.number, slot.unit, slot.line))
            if before is None:
                dropped["first response of the unit in the file"] += 1
                continue
            if before.available is None or (
                (slot.dispatch - before.available).total_seconds() < QUARTERS_AFTER_S
            ):
                dropped["not in quarters (busy or just back)"] += 1
                continue
            low, high = TRAVEL_RANGE_S
            if not low <= travel <= high:
                dropped[f"travel outside {low:.0f}..{high:.0f} s"] += 1
                continue
            local = slot.dispatch.astimezone(LOCAL)
            trips.append(
                Trip(
                    call=call.number,
                    unit=slot.unit,
                    kind=slot.kind,
                    station=home.station,
                    start=(home.lat, home.lon),
                    end=call.point,
                    travel_s=travel,
                    day=local.date().isoformat(),
                    hour=local.hour,
                    station_area=call.station_area,
                    priority=call.priority,
                    first=slot is first,
                )
            )
    return TripSet(trips, dropped)


def _previous_slots(calls: list[Call]) -> dict[tuple[str, str, int], Slot]:
    """For each response, the same unit's response dispatched just before it."""
    by_unit: dict[str, list[tuple[Call, Slot]]] = defaultdict(list)
    for call in calls:
        for slot in call.slots:
            by_unit[slot.unit].append((call, slot))
    previous: dict[tuple[str, str, int], Slot] = {}
    for pairs in by_unit.values():
        pairs.sort(key=lambda p: (p[1].dispatch, p[1].line))
        for (_, before), (call, slot) in itertools.pairwise(pairs):
            previous[(call.number, slot.unit, slot.line)] = before
    return previous


def startup_delays(calls: list[Call], seed: int = 0) -> dict[str, dict[str, float]]:
    """Per unit kind: median dispatch to en route (s), its 95 % bootstrap interval, n."""
    delays: dict[str, list[float]] = defaultdict(list)
    low, high = STARTUP_RANGE_S
    for call in calls:
        for slot in call.slots:
            if slot.response is None:
                continue
            delay = (slot.response - slot.dispatch).total_seconds()
            if low <= delay <= high:
                delays[slot.kind].append(delay)
    rng = np.random.default_rng(seed)
    out = {}
    for kind, values in sorted(delays.items()):
        data = np.asarray(values)
        picks = rng.integers(0, data.size, (BOOTSTRAP_ROUNDS, data.size))
        medians = np.median(data[picks], axis=1)
        out[kind] = {
            "median_s": float(np.median(data)),
            "ci95_low_s": float(np.percentile(medians, 2.5)),
            "ci95_high_s": float(np.percentile(medians, 97.5)),
            "n": int(data.size),
        }
    return out
