"""ETA error on held-out days: map speeds against a travel model that never saw them.

``replay sffd --held-out-days 2017-01-05,2017-01-06`` adds this to the report. The
trips are ``tenfour.travel``'s (a real unit driving from its quarters to a call: its
start is known), split by local day: a model is fitted with ``tenfour.travel.fit`` on
the trips of every other day, and both it and the map's own speeds predict the trip
of the real first unit of each call on the held-out days. The errors (predicted
minus real, so negative is optimistic) are given overall, by unit kind and by hour
band (``tenfour.travel.fit.BANDS``), and every pair is kept for the calibration plot.

The model the replay itself drives with (``--travel-model``) is not used here: its
file does not say which days it was fitted on, so a fresh fit is the only way to be
sure no held-out call was seen.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from tenfour.geo import load_map
from tenfour.sim.replay.plan import ReplayPlan
from tenfour.sim.replay.records import LOCAL

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class HeldOutError(ValueError):
    """Held-out days that cannot be used; the message names the option and the reason."""


def parse_days(text: str) -> tuple[str, ...]:
    """``2017-01-05,2017-01-06`` -> the days, sorted; a clear error for anything else."""
    days = [part.strip() for part in text.split(",") if part.strip()]
    if not days:
        raise HeldOutError("--held-out-days: give one or more local dates, e.g. 2017-01-05")
    for day in days:
        if not _DAY.match(day):
            raise HeldOutError(f"--held-out-days: {day!r} is not a date like 2017-01-05")
    return tuple(sorted(set(days)))


def check_days(plan: ReplayPlan, days: Sequence[str]) -> None:
    """Refuse, before replaying, held-out days on which no replayed call was received."""
    present = {c.received.astimezone(LOCAL).date().isoformat() for c in plan.kept}
    missing = sorted(set(days) - present)
    if missing:
        raise HeldOutError(
            f"--held-out-days: no call on the map on {', '.join(missing)} "
            f"(local days in the file: {', '.join(sorted(present)) or 'none'})"
        )


def evaluate_held_out(plan: ReplayPlan, days: Sequence[str]) -> dict[str, Any]:
    """Fit on the other days' trips, predict the held-out days' first units (module)."""
    from tenfour.travel.fit import BANDS, band_of, errors, fit_model, predict
    from tenfour.travel.model import read_controls
    from tenfour.travel.trips import extract_trips

    held_days = set(days)
    roads = load_map(plan.map_name)  # the map's own speeds, whatever the replay drove on
    controls = read_controls(roads.network)
    trips = extract_trips(plan.calls, plan.kept, plan.homes).trips
    present = {t.day for t in trips}
    missing = sorted(held_days - present)
    if missing:
        raise HeldOutError(
            f"--held-out-days: no trips from quarters on {', '.join(missing)} "
            f"(days with trips: {', '.join(sorted(present)) or 'none'})"
        )
    train = [t for t in trips if t.day not in held_days]
    held = [t for t in trips if t.day in held_days and t.first]
    fitted = fit_model(roads, controls, train)  # FitError: too few trips left to fit
    real = np.array([t.travel_s for t in held], dtype=np.float64)
    map_s = predict(roads, held, None, controls)
    model_s = predict(roads, held, fitted.model, controls)

    def compare(pick: np.ndarray) -> dict[str, Any]:
        return {
            "map_speeds": errors(map_s[pick], real[pick]),
            "calibrated": errors(model_s[pick], real[pick]),
        }

    everyone = np.ones(len(held), dtype=bool)
    kinds = sorted({t.kind for t in held})
    bands = [band_of(t.hour) for t in held]
    return {
        "held_out_days": sorted(held_days),
        "fitted_days": sorted({t.day for t in train}),
        "fit_trips": len(train),
        "held_out_first_units": len(held),
        **compare(everyone),
        "by_kind": {k: compare(np.array([t.kind == k for t in held])) for k in kinds},
        "by_band": {
            f"{name} {start}-{end} h": compare(np.array([b == i for b in bands]))
            for i, (name, start, end) in enumerate(BANDS)
            if i in bands
        },
        "pairs": [
            {
                "call": t.call,
                "unit": t.unit,
                "kind": t.kind,
                "hour": t.hour,
                "real_s": round(float(r), 1),
                "map_speeds_s": round(float(m), 1),
                "calibrated_s": round(float(c), 1),
            }
            for t, r, m, c in zip(held, real, map_s, model_s, strict=True)
        ],
    }
