"""Fitting a :class:`TravelModel` to trips, and measuring it on trips it never saw.

**Features.** Each trip runs from the map node nearest its start to the node nearest
its end along the fastest route under the current weights, turn delays included (a
search on the turn-expanded graph, ``geo.turns``); the route gives, per road class
group, the map's time spent on it, the number of signals and stop signs it enters,
and its left turns, right turns and U-turns. The route depends on the weights, so the
fit alternates: routes under the map's times, fit, routes under the fitted times and
turn delays, fit again (``ROUTE_ROUNDS``).

**Fit.** ``scipy.optimize.least_squares`` on log(predicted) - log(real) with a soft
L1 loss (a few trips where the engine stopped on the way must not drag the rest);
factors are fitted as logarithms, delays within ``0..DELAY_BOUND_S`` (turn delays
within ``0..TURN_BOUND_S``; a turn kind made on fewer than ``MIN_TURN_TRIPS`` trips
keeps 0). A U-turn costs the left turn's delay plus its own, fitted, extra: were it
cheaper than a left turn, routes would dodge left turns by U-turning just past the
junction (a node a few metres on) and turning right. A class group
driven on too little (``MIN_GROUP_TRIPS``) shares the factor of the next group down
the list; an hour band with fewer than ``MIN_BAND_TRIPS`` trips keeps factor 1.
Uncertainty: standard errors from the Jacobian at the solution (``(JᵀJ)⁻¹ σ²``, an
approximation under a robust loss), reported with 95 % intervals.

**Evaluation.** For the unit really first on scene, from quarters: the predicted
travel (map speeds: the drive-time index on the map's times, as the replay does;
calibrated: the index on the model's arc times, then :meth:`TravelModel.travel_s`)
against the real en-route-to-on-scene time, only on calls the model was not fitted
on: leave one day out (each local day predicted by a model fitted on the others) and
leave one station area out (calls of a first-due area predicted by a model fitted
on the calls of every other area).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import least_squares
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from tenfour.geo import RoadMap
from tenfour.geo.index import DriveTimeIndex
from tenfour.geo.turns import KINDS, TURNS, TurnGraph, move_counts
from tenfour.travel.model import (
    CONTROLS,
    GROUPS,
    Controls,
    HourBand,
    TravelModel,
    arc_groups,
    arc_times,
    drive_time_index,
)
from tenfour.travel.trips import Trip

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

ROUTE_ROUNDS: Final = 3
MIN_GROUP_TRIPS: Final = 20  # trips driving at least 10 s on the group
MIN_CONTROL_TRIPS: Final = 20  # trips entering at least one such control
MIN_TURN_TRIPS: Final = 20  # trips making at least one such turn
MIN_BAND_TRIPS: Final = 50
DELAY_BOUND_S: Final = 120.0
TURN_BOUND_S: Final = 60.0
#: A fitted delay below this is 0: records are timed to the second, and the solver
#: leaves a delay at its bound 0 as 1e-20 or, on noise-free trips, 5e-4.
NEGLIGIBLE_S: Final = 0.01
FIXED_BOUND_S: Final = 300.0
#: Class factors stay within this range: beyond it a thinly driven group would buy a
#: tiny residual with impossible speeds (a factor 0.1 is 600 km/h on a trunk road).
FACTOR_BOUNDS: Final = (0.5, 5.0)
#: Hour-of-day bands (local time); "day" is the reference (factor 1, used by the index).
BANDS: Final = (("night", 0, 7), ("day", 7, 16), ("peak", 16, 19), ("evening", 19, 24))
REFERENCE_BAND: Final = "day"
WITHIN_S: Final = 60.0


class FitError(ValueError):
    """Too few trips (or none on the map) to fit a model."""


# ---- features -------------------------------------------------------------------------


@dataclass(frozen=True)
class Features:
    group_s: FloatArray  # (trips, GROUPS): map time on each group along the route
    controls: FloatArray  # (trips, CONTROLS): signals / stops entered
    turns: FloatArray  # (trips, TURNS): left turns, right turns, U-turns made
    band: IntArray  # (trips,): index into BANDS
    travel_s: FloatArray  # (trips,): real travel


class Router:
    """Fastest node-to-node routes on one map (turns priced), for the features of trips."""

    def __init__(self, roads: RoadMap, controls: Controls) -> None:
        net = roads.network
        self.net = net
        self.groups = arc_groups(net)
        self.controls = controls
        self.control_mask = np.stack([controls.nodes[c] for c in CONTROLS], axis=1)
        lat0 = float(np.mean(net.lat))
        self._scale = np.cos(np.radians(lat0))
        self._tree = cKDTree(np.column_stack([net.lat, net.lon * self._scale]))
        self.turns = TurnGraph(net)

    def nodes(self, points: Sequence[tuple[float, float]]) -> IntArray:
        arr = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        _, found = self._tree.query(np.column_stack([arr[:, 0], arr[:, 1] * self._scale]))
        return np.asarray(found, dtype=np.int64)

    def features(
        self,
        starts: IntArray,
        ends: IntArray,
        weights: FloatArray,
        turn_delay_s: Mapping[str, float] | None = None,
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Per trip ``starts[i] -> ends[i]`` (road nodes), along its fastest route under
        arc times ``weights`` and ``turn_delay_s``: map time per class group, controls
        entered, turns made (a trip ending where it starts drives nowhere)."""
        net = self.net
        g = self.turns
        expanded = g.weights(weights, g.move_times(turn_delay_s or {}))
        graph = csr_array((expanded, (g.arc_from, g.arc_to)), shape=(g.node_count,) * 2)
        sources, which = np.unique(starts, return_inverse=True)
        origin = g.start_node(sources)
        _, pred = dijkstra(graph, directed=True, indices=origin, return_predecessors=True)
        group_s = np.zeros((starts.size, len(GROUPS)))
        counts = np.zeros((starts.size, len(CONTROLS)))
        turns = np.zeros((starts.size, len(TURNS)))
        targets = g.end_node(ends).tolist()
        for i, (row, end) in enumerate(zip(which.tolist(), ends.tolist(), strict=True)):
            if end == int(sources[row]):
                continue
            node = targets[i]
            path = [node]
            start = int(origin[row])
            while node != start:
                node = int(pred[row, node])
                if node < 0:  # unreachable: the map keeps one strong component, so never
                    break
                path.append(node)
            if node < 0:
                continue
            arcs, moves = move_counts(g, path[::-1])
            group_s[i] = np.bincount(
                self.groups[arcs], weights=net.arc_time_s[arcs], minlength=len(GROUPS)
            )
            counts[i] = self.control_mask[net.arc_to[arcs]].sum(axis=0)
            turns[i] = np.bincount(g.moves.kind[moves], minlength=len(KINDS))[1:]
        return group_s, counts, turns


def band_of(hour: int) -> int:
    return next(i for i, (_, start, end) in enumerate(BANDS) if start <= hour < end)


# ---- the fit --------------------------------------------------------------------------


@dataclass
class _Layout:
    """Which parameters are free, and how the model's values come from them."""

    group_param: list[int]  # per group: index of its log factor parameter
    fitted_groups: list[str]
    tied: dict[str, str]
    controls: list[str]  # fitted controls
    turns: list[str]  # fitted turn kinds
    bands: list[int]  # fitted (non-reference) bands

    # x holds: log factors of fitted groups, control delays, turn delays, fixed_s,
    # log band factors

    @property
    def size(self) -> int:
        return len(self.fitted_groups) + len(self.controls) + len(self.turns) + 1 + len(self.bands)

    def unpack(self, x: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, float, FloatArray]:
        g = len(self.fitted_groups)
        factors = np.exp(x[:g])[self.group_param]
        delays = np.zeros(len(CONTROLS))
        for k, name in enumerate(self.controls):
            delays[CONTROLS.index(name)] = x[g + k]
        c = g + len(self.controls)
        turns = np.zeros(len(TURNS))
        for k, name in enumerate(self.turns):
            turns[TURNS.index(name)] = x[c + k]
        # a U-turn is a left turn and more (x holds the more): were it cheaper, routes
        # would dodge every left turn by a U-turn just past the junction and a right
        turns[TURNS.index("u")] += turns[TURNS.index("left")]
        f = c + len(self.turns)
        fixed = float(x[f])
        band = np.ones(len(BANDS))
        for k, b in enumerate(self.bands):
            band[b] = np.exp(x[f + 1 + k])
        return factors, delays, turns, fixed, band


def _layout(features: Features, use_bands: bool, use_turns: bool) -> _Layout:
    driven = (features.group_s >= 10.0).sum(axis=0)
    fitted = [g for i, g in enumerate(GROUPS) if driven[i] >= MIN_GROUP_TRIPS]
    if not fitted:
        fitted = ["local"]
    tied: dict[str, str] = {}
    group_param = []
    for i, g in enumerate(GROUPS):
        if g in fitted:
            group_param.append(fitted.index(g))
            continue
        below = [f for f in fitted if GROUPS.index(f) > i]
        target = below[0] if below else fitted[-1]
        tied[g] = target
        group_param.append(fitted.index(target))
    entered = (features.controls >= 1).sum(axis=0)
    controls = [c for i, c in enumerate(CONTROLS) if entered[i] >= MIN_CONTROL_TRIPS]
    made = (features.turns >= 1).sum(axis=0)
    turns = [t for i, t in enumerate(TURNS) if use_turns and made[i] >= MIN_TURN_TRIPS]
    reference = [name for name, _, _ in BANDS].index(REFERENCE_BAND)
    trips_per_band = np.bincount(features.band, minlength=len(BANDS))
    bands = [
        b
        for b in range(len(BANDS))
        if use_bands and b != reference and trips_per_band[b] >= MIN_BAND_TRIPS
    ]
    return _Layout(group_param, fitted, tied, controls, turns, bands)


def _predict(layout: _Layout, x: FloatArray, f: Features) -> FloatArray:
    factors, delays, turns, fixed, band = layout.unpack(x)
    drive = f.group_s @ factors + f.controls @ delays + f.turns @ turns
    predicted: FloatArray = band[f.band] * drive + fixed
    return np.maximum(predicted, 1.0)


@dataclass
class FitResult:
    model: TravelModel
    features: Features
    x: FloatArray


def fit_model(
    roads: RoadMap,
    controls: Controls,
    trips: Sequence[Trip],
    *,
    use_bands: bool = True,
    use_turns: bool = True,
    rounds: int = ROUTE_ROUNDS,
    router: Router | None = None,
) -> FitResult:
    """Fit a model to ``trips`` on ``roads`` (see the module); raises :class:`FitError`."""
    if len(trips) < 10:
        raise FitError(f"{len(trips)} trips: at least 10 are needed to fit a travel model")
    router = router or Router(roads, controls)
    starts = router.nodes([t.start for t in trips])
    ends = router.nodes([t.end for t in trips])
    band = np.array([band_of(t.hour) for t in trips], dtype=np.int64)
    travel = np.array([t.travel_s for t in trips], dtype=np.float64)
    weights = roads.network.arc_time_s
    model = TravelModel.identity()
    x: FloatArray | None = None
    layout: _Layout | None = None
    features: Features | None = None
    for _ in range(max(1, rounds)):
        group_s, counts, turns = router.features(starts, ends, weights, model.turn_delay_s)
        features = Features(group_s, counts, turns, band, travel)
        if layout is None:
            layout = _layout(features, use_bands, use_turns)
            x = _start(layout)
        assert x is not None
        x = _solve(layout, x, features)
        model = _model(layout, x)
        weights = arc_times(roads.network, model, controls)
    assert layout is not None and features is not None and x is not None
    report = _report(layout, x, features)
    return FitResult(
        TravelModel(
            model.class_factors,
            model.control_delay_s,
            model.fixed_s,
            model.bands,
            report=report,
            turn_delay_s=model.turn_delay_s,
        ),
        features,
        x,
    )


def _start(layout: _Layout) -> FloatArray:
    return np.concatenate(
        [
            np.full(len(layout.fitted_groups), np.log(1.0)),
            np.full(len(layout.controls), 5.0),
            np.full(len(layout.turns), 5.0),
            [20.0],
            np.zeros(len(layout.bands)),
        ]
    )


def _bounds(layout: _Layout) -> tuple[FloatArray, FloatArray]:
    g, c, b = len(layout.fitted_groups), len(layout.controls), len(layout.bands)
    t = len(layout.turns)
    low = np.concatenate(
        [
            np.full(g, np.log(FACTOR_BOUNDS[0])),
            np.zeros(c),
            np.zeros(t),
            [0.0],
            np.full(b, np.log(0.3)),
        ]
    )
    high = np.concatenate(
        [
            np.full(g, np.log(FACTOR_BOUNDS[1])),
            np.full(c, DELAY_BOUND_S),
            np.full(t, TURN_BOUND_S),
            [FIXED_BOUND_S],
            np.full(b, np.log(3.0)),
        ]
    )
    return low, high


def _solve(layout: _Layout, x0: FloatArray, f: Features) -> FloatArray:
    low, high = _bounds(layout)
    observed = np.log(f.travel_s)

    def residuals(x: FloatArray) -> FloatArray:
        out: FloatArray = np.log(_predict(layout, x, f)) - observed
        return out

    result = least_squares(
        residuals, np.clip(x0, low + 1e-9, high - 1e-9), bounds=(low, high),
        loss="soft_l1", f_scale=0.3, method="trf",
    )  # fmt: skip
    solved: FloatArray = result.x
    return solved


def _model(layout: _Layout, x: FloatArray) -> TravelModel:
    factors, delays, turns, fixed, band = layout.unpack(x)
    bands = tuple(HourBand(start, end, float(band[i])) for i, (_, start, end) in enumerate(BANDS))
    # a negligible delay is 0: a model without turn delays keeps the node-based index
    delays = np.where(delays < NEGLIGIBLE_S, 0.0, delays)
    turns = np.where(turns < NEGLIGIBLE_S, 0.0, turns)
    return TravelModel(
        class_factors={g: float(factors[i]) for i, g in enumerate(GROUPS)},
        control_delay_s={c: float(delays[i]) for i, c in enumerate(CONTROLS)},
        fixed_s=fixed,
        bands=bands if layout.bands else (),
        turn_delay_s={t: float(turns[i]) for i, t in enumerate(TURNS)},
    )


def _report(layout: _Layout, x: FloatArray, f: Features) -> dict[str, Any]:
    """Fitted values with standard errors and 95 % intervals, and the residuals."""
    low, high = _bounds(layout)
    step = 1e-6
    base = np.log(_predict(layout, x, f))
    jac = np.empty((base.size, x.size))
    for k in range(x.size):  # the Jacobian of the plain residuals, by forward differences
        moved = x.copy()
        moved[k] += step if moved[k] + step <= high[k] else -step
        jac[:, k] = (np.log(_predict(layout, moved, f)) - base) / (moved[k] - x[k])
    residual = base - np.log(f.travel_s)
    dof = max(1, residual.size - x.size)
    sigma2 = float(residual @ residual) / dof
    cov = np.linalg.pinv(jac.T @ jac) * sigma2
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    at_bound = (np.abs(x - low) < 1e-6) | (np.abs(x - high) < 1e-6)
    params: dict[str, Any] = {}
    g, c, t = len(layout.fitted_groups), len(layout.controls), len(layout.turns)
    for k, name in enumerate(layout.fitted_groups):
        params[f"class_factor.{name}"] = _log_entry(x[k], se[k], at_bound[k])
    for k, name in enumerate(layout.controls):
        params[f"control_delay_s.{name}"] = _entry(x[g + k], se[g + k], at_bound[g + k])
    for k, name in enumerate(layout.turns):
        j = g + c + k
        label = "u_beyond_left" if name == "u" else name
        params[f"turn_delay_s.{label}"] = _entry(x[j], se[j], at_bound[j])
    at = g + c + t
    params["fixed_s"] = _entry(x[at], se[at], at_bound[at])
    for k, b in enumerate(layout.bands):
        j = at + 1 + k
        params[f"band_factor.{BANDS[b][0]}"] = _log_entry(x[j], se[j], at_bound[j])
    seconds = np.exp(base) - f.travel_s
    return {
        "trips": int(residual.size),
        "parameters": params,
        "tied_groups": dict(layout.tied),
        "not_fitted_controls": [c for c in CONTROLS if c not in layout.controls],
        "not_fitted_turns": [t for t in TURNS if t not in layout.turns],
        "turns_per_trip": {name: float(np.mean(f.turns[:, i])) for i, name in enumerate(TURNS)},
        "reference_band": REFERENCE_BAND,
        "bands": {name: [start, end] for name, start, end in BANDS},
        "residuals": {
            "log_median": float(np.median(residual)),
            "log_mad": float(np.median(np.abs(residual - np.median(residual)))),
            "median_abs_s": float(np.median(np.abs(seconds))),
            "median_s": float(np.median(seconds)),
            "share_within_60s": float(np.mean(np.abs(seconds) <= WITHIN_S)),
            "note": "in-sample (the trips the model was fitted on)",
        },
        "uncertainty": "standard errors from the Jacobian at the solution, (J'J)^-1 s^2",
    }


def _entry(value: float, se: float, at_bound: bool) -> dict[str, Any]:
    return {
        "value": float(value),
        "se": float(se),
        "ci95": [float(value - 1.96 * se), float(value + 1.96 * se)],
        "at_bound": bool(at_bound),
    }


def _log_entry(log_value: float, se: float, at_bound: bool) -> dict[str, Any]:
    value = float(np.exp(log_value))
    return {
        "value": value,
        "se": value * float(se),
        "ci95": [float(np.exp(log_value - 1.96 * se)), float(np.exp(log_value + 1.96 * se))],
        "at_bound": bool(at_bound),
    }


# ---- evaluation -----------------------------------------------------------------------


def predict(
    roads: RoadMap, trips: Sequence[Trip], model: TravelModel | None, controls: Controls
) -> FloatArray:
    """Predicted travel of each trip: the drive-time index from its start to its end
    (map speeds when ``model`` is None, else the model's arc times, turn delays and
    overhead)."""
    if model is None:
        index = DriveTimeIndex(roads, None, engine="dijkstra")
    else:
        times = arc_times(roads.network, model, controls)
        index = drive_time_index(roads, model, times, engine="dijkstra")
    starts = sorted({t.start for t in trips})
    index.place_many(starts, starts)
    out = np.empty(len(trips))
    for i, trip in enumerate(trips):
        drive = float(index.drive_times(trip.end, [trip.start]).eta_s[0])
        out[i] = drive if model is None else float(model.travel_s(drive, trip.hour))
    return out


def errors(predicted: FloatArray, real: FloatArray) -> dict[str, Any]:
    """Share within 60 s, median absolute and signed error (predicted - real)."""
    if predicted.size == 0:
        return {"n": 0}
    error = predicted - real
    return {
        "n": int(error.size),
        "share_within_60s": float(np.mean(np.abs(error) <= WITHIN_S)),
        "median_abs_error_s": float(np.median(np.abs(error))),
        "median_error_s": float(np.median(error)),
        "p90_abs_error_s": float(np.percentile(np.abs(error), 90)),
    }


def cross_validate(
    roads: RoadMap,
    controls: Controls,
    trips: Sequence[Trip],
    fold_of: Callable[[Trip], object],
    *,
    use_bands: bool = True,
    use_turns: bool = True,
) -> dict[str, Any]:
    """Each fold's real first units predicted by a model fitted on the other folds."""
    router = Router(roads, controls)
    folds: dict[object, list[int]] = defaultdict(list)
    for i, trip in enumerate(trips):
        folds[fold_of(trip)].append(i)
    calibrated = np.full(len(trips), np.nan)
    skipped = 0
    for key, members in folds.items():
        held = [trips[i] for i in members if trips[i].first]
        if not held:
            continue
        train = [t for t in trips if fold_of(t) != key]
        try:
            fitted = fit_model(
                roads, controls, train, use_bands=use_bands, use_turns=use_turns, router=router
            )
        except FitError:
            skipped += len(held)
            continue
        values = predict(roads, held, fitted.model, controls)
        for i, value in zip([i for i in members if trips[i].first], values, strict=True):
            calibrated[i] = value
    mask = ~np.isnan(calibrated)
    held_trips = [t for t, m in zip(trips, mask.tolist(), strict=True) if m]
    real = np.array([t.travel_s for t in held_trips])
    baseline = predict(roads, held_trips, None, controls)
    ours = calibrated[mask]
    result: dict[str, Any] = {
        "folds": len(folds),
        "held_out_first_units": len(held_trips),
        "skipped": skipped,
        "map_speeds": errors(baseline, real),
        "calibrated": errors(ours, real),
        "by_kind": {},
        "by_band": {},
    }
    for kind in sorted({t.kind for t in held_trips}):
        pick = np.array([t.kind == kind for t in held_trips])
        result["by_kind"][kind] = {
            "map_speeds": errors(baseline[pick], real[pick]),
            "calibrated": errors(ours[pick], real[pick]),
        }
    for b, (name, _, _) in enumerate(BANDS):
        pick = np.array([band_of(t.hour) == b for t in held_trips])
        if pick.any():
            result["by_band"][name] = {
                "map_speeds": errors(baseline[pick], real[pick]),
                "calibrated": errors(ours[pick], real[pick]),
            }
    return result
