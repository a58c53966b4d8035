"""The travel-time model, its JSON file, and the arc times it gives a road map.

A trip's predicted travel time (en route to on scene) is::

    band factor(hour) x (sum over its arcs of (class factor x map time
                                               + control delay of the node entered)
                         + sum over its moves of the turn delay of the move's kind)
    + fixed_s

- class factors: per road class *group* (``CLASS_GROUPS``: OSM ``highway`` values
  with their ``_link`` roads), multiplying the map's own arc time;
- control delays: seconds added to every arc that enters a node with
  ``highway=traffic_signals`` or ``highway=stop`` (read from the OSM file);
- turn delays: seconds per left turn, right turn and U-turn, the kind of each move
  from one arc to the next read from the graph's geometry (``geo.turns``; a straight
  move, and any move through a node joining only two streets, is free);
- ``fixed_s``: per trip, whatever does not scale with the route (pulling out of
  quarters, finding the address, parking the apparatus);
- band factors: per hour-of-day band, multiplying the driven part; the reference
  band (factor 1) is what the drive-time index uses;
- start-up delay per unit kind (dispatch to en route), reported apart: it is not
  travel and is never added to a drive time.

The index gets :func:`arc_times`; :func:`calibrated_map` makes a :class:`RoadMap`
whose own arc times are the model's, so rankings, routes, unit movement and road
closures all drive at the calibrated speeds. Its rankings stay exact: the index is
customised with these weights like with any others. Turn delays need the turn-expanded
graph: :func:`drive_time_index` gives a :class:`~tenfour.geo.turns.TurnIndex` when the
model has any, the node-based index (no extra cost) when it has none.

File versions: 2 adds ``turn_delay_s``; a version-1 file reads with no turn delays.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from tenfour.geo import DriveTimeIndex, RoadMap
from tenfour.geo.osm import MIN_ARC_TIME_S, RoadNetwork
from tenfour.geo.turns import TURNS, TurnIndex

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

FORMAT: Final = "tenfour-travel-model"
VERSION: Final = 2
#: Versions this code reads (1: before turn delays, read as none).
READS: Final = (1, 2)

#: Road class groups, fastest first; OSM classes not listed fall in "local".
GROUPS: Final = ("motorway", "trunk", "primary", "secondary", "tertiary", "local")
CLASS_GROUPS: Final[Mapping[str, str]] = {
    "motorway": "motorway",
    "motorway_link": "motorway",
    "trunk": "trunk",
    "trunk_link": "trunk",
    "primary": "primary",
    "primary_link": "primary",
    "secondary": "secondary",
    "secondary_link": "secondary",
    "tertiary": "tertiary",
    "tertiary_link": "tertiary",
}
#: OSM node ``highway`` values whose delay the model fits.
CONTROLS: Final = ("traffic_signals", "stop")
#: Sanity limits of a model file: a factor outside them is a typo, not a city.
FACTOR_RANGE: Final = (0.05, 20.0)
MAX_DELAY_S: Final = 600.0


class TravelModelError(ValueError):
    """A model file that cannot be used: which file, which field, and why."""

    def __init__(self, where: str, field_name: str, message: str) -> None:
        self.where, self.field = where, field_name
        super().__init__(f"{where}: {field_name}: {message}")


@dataclass(frozen=True, slots=True)
class HourBand:
    """Hours ``start`` (inclusive) to ``end`` (exclusive), local time, 0..24."""

    start: int
    end: int
    factor: float

    def holds(self, hour: int) -> bool:
        return self.start <= hour < self.end


@dataclass(frozen=True)
class TravelModel:
    """Fitted travel parameters (see the module); ``report`` is the fit's record."""

    class_factors: Mapping[str, float]
    control_delay_s: Mapping[str, float]
    fixed_s: float = 0.0
    bands: tuple[HourBand, ...] = ()
    startup_s: Mapping[str, float] = field(default_factory=dict)
    meta: Mapping[str, Any] = field(default_factory=dict)
    report: Mapping[str, Any] = field(default_factory=dict)
    #: seconds per move of each kind of ``TURNS`` (missing kinds: 0)
    turn_delay_s: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def identity(cls) -> TravelModel:
        """The map's own speeds: every factor 1, no delays."""
        return cls({g: 1.0 for g in GROUPS}, {c: 0.0 for c in CONTROLS})

    @property
    def has_turn_delays(self) -> bool:
        """True when some turn costs time (the index then needs the expanded graph)."""
        return any(self.turn_delay_s.get(k, 0.0) > 0.0 for k in TURNS)

    def band_factor(self, hour: int | None) -> float:
        if hour is None:
            return 1.0
        return next((b.factor for b in self.bands if b.holds(hour)), 1.0)

    def travel_s(self, drive_s: float | FloatArray, hour: int | None = None) -> Any:
        """Predicted travel from a drive time under :func:`arc_times` (reference band)."""
        return self.band_factor(hour) * drive_s + self.fixed_s

    # ---- the file -----------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "class_factors": dict(self.class_factors),
            "control_delay_s": dict(self.control_delay_s),
            "turn_delay_s": {k: float(self.turn_delay_s.get(k, 0.0)) for k in TURNS},
            "fixed_s": self.fixed_s,
            "hour_bands": [
                {"start": b.start, "end": b.end, "factor": b.factor} for b in self.bands
            ],
            "startup_s": dict(self.startup_s),
            "meta": dict(self.meta),
            "report": dict(self.report),
        }

    def save(self, path: str | Path) -> None:
        text = json.dumps(self.to_json(), indent=2, sort_keys=False, allow_nan=False)
        Path(path).write_text(text + "\n", encoding="utf-8")


def load_model(path: str | Path) -> TravelModel:
    """Read and check a model file; raises :class:`TravelModelError` naming the field."""
    where = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise TravelModelError(where, "file", f"cannot read: {error.strerror or error}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise TravelModelError(where, "file", f"not JSON ({error})") from None
    return model_from_json(data, where)


def model_from_json(data: Any, where: str = "travel model") -> TravelModel:
    """A :class:`TravelModel` from its JSON form, every field checked."""
    if not isinstance(data, dict):
        raise TravelModelError(where, "file", "expected a JSON object")
    if data.get("format") != FORMAT:
        raise TravelModelError(where, "format", f"expected {FORMAT!r}, got {data.get('format')!r}")
    version = data.get("version")
    if isinstance(version, bool) or version not in READS:
        readable = ", ".join(str(v) for v in READS)
        raise TravelModelError(
            where, "version", f"version {version!r} is not supported (only {readable})"
        )
    factors = _numbers(data, "class_factors", where, FACTOR_RANGE)
    unknown = sorted(set(factors) - set(GROUPS))
    if unknown:
        raise TravelModelError(
            where, "class_factors", f"unknown group {unknown[0]!r} (groups: {', '.join(GROUPS)})"
        )
    missing = [g for g in GROUPS if g not in factors]
    if missing:
        raise TravelModelError(where, "class_factors", f"no factor for group {missing[0]!r}")
    delays = _numbers(data, "control_delay_s", where, (0.0, MAX_DELAY_S))
    unknown = sorted(set(delays) - set(CONTROLS))
    if unknown:
        raise TravelModelError(
            where,
            "control_delay_s",
            f"unknown control {unknown[0]!r} (controls: {', '.join(CONTROLS)})",
        )
    turns: dict[str, float] = {}
    if version >= 2:  # version 1 had no turn delays: none are applied
        turns = _numbers(data, "turn_delay_s", where, (0.0, MAX_DELAY_S))
        unknown = sorted(set(turns) - set(TURNS))
        if unknown:
            raise TravelModelError(
                where, "turn_delay_s", f"unknown turn {unknown[0]!r} (turns: {', '.join(TURNS)})"
            )
    fixed = _number(data.get("fixed_s", 0.0), "fixed_s", where, (0.0, MAX_DELAY_S))
    startup = _numbers(data, "startup_s", where, (0.0, MAX_DELAY_S), required=False)
    bands = _bands(data.get("hour_bands", []), where)
    meta = data.get("meta", {})
    report = data.get("report", {})
    for name, value in (("meta", meta), ("report", report)):
        if not isinstance(value, dict):
            raise TravelModelError(where, name, "expected a JSON object")
    return TravelModel(
        class_factors=factors,
        control_delay_s={c: delays.get(c, 0.0) for c in CONTROLS},
        fixed_s=fixed,
        bands=bands,
        startup_s=startup,
        meta=meta,
        report=report,
        turn_delay_s={k: turns.get(k, 0.0) for k in TURNS},
    )


def _number(value: Any, name: str, where: str, limits: tuple[float, float]) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TravelModelError(where, name, f"expected a number, got {value!r}")
    number = float(value)
    low, high = limits
    if not math.isfinite(number) or not low <= number <= high:
        raise TravelModelError(where, name, f"{number} is outside {low:g}..{high:g}")
    return number


def _numbers(
    data: dict[str, Any],
    name: str,
    where: str,
    limits: tuple[float, float],
    *,
    required: bool = True,
) -> dict[str, float]:
    if name not in data:
        if required:
            raise TravelModelError(where, name, "missing")
        return {}
    values = data[name]
    if not isinstance(values, dict):
        raise TravelModelError(where, name, "expected an object of name: number")
    return {str(k): _number(v, f"{name}.{k}", where, limits) for k, v in values.items()}


def _bands(values: Any, where: str) -> tuple[HourBand, ...]:
    if not isinstance(values, list):
        raise TravelModelError(where, "hour_bands", "expected a list")
    bands = []
    for i, item in enumerate(values):
        name = f"hour_bands[{i}]"
        if not isinstance(item, dict):
            raise TravelModelError(where, name, "expected an object with start, end, factor")
        start = item.get("start")
        end = item.get("end")
        if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end <= 24:
            raise TravelModelError(
                where,
                name,
                f"start {start!r} and end {end!r} must be hours with 0 <= start < end <= 24",
            )
        factor = _number(item.get("factor"), f"{name}.factor", where, FACTOR_RANGE)
        bands.append(HourBand(start, end, factor))
    bands.sort(key=lambda b: b.start)
    for a, b in itertools.pairwise(bands):
        if b.start < a.end:
            raise TravelModelError(
                where, "hour_bands", f"bands {a.start}-{a.end} and {b.start}-{b.end} overlap"
            )
    return tuple(bands)


# ---- the model on a map -------------------------------------------------------------


def arc_groups(network: RoadNetwork) -> NDArray[np.int64]:
    """Index into ``GROUPS`` of every arc's road class group."""
    local = GROUPS.index("local")
    by_class = np.array(
        [GROUPS.index(CLASS_GROUPS[c]) if c in CLASS_GROUPS else local for c in network.classes]
        or [local],
        dtype=np.int64,
    )
    groups: NDArray[np.int64] = by_class[network.arc_class]
    return groups


@dataclass(frozen=True)
class Controls:
    """Nodes of a network with a traffic control, per kind of ``CONTROLS``."""

    nodes: Mapping[str, BoolArray]
    source: str

    @classmethod
    def none(cls, network: RoadNetwork) -> Controls:
        return cls({c: np.zeros(network.node_count, dtype=bool) for c in CONTROLS}, "none")

    def counts(self) -> dict[str, int]:
        return {c: int(mask.sum()) for c, mask in self.nodes.items()}


def read_controls(network: RoadNetwork, path: str | Path | None = None) -> Controls:
    """Traffic signal and stop nodes of ``network`` from its OSM file (``path``, else
    the file it was loaded from). A map file (``.tenfour-map``) keeps no node tags:
    then no controls are known and the delays are not applied."""
    import osmium

    source = Path(path) if path is not None else Path(network.source)
    if not source.is_file() or source.suffix == ".tenfour-map":
        return Controls.none(network)
    wanted: dict[str, list[int]] = {c: [] for c in CONTROLS}
    try:
        for node in osmium.FileProcessor(str(source), osmium.osm.NODE).with_filter(
            osmium.filter.KeyFilter("highway")
        ):
            value = node.tags.get("highway")
            if value in wanted:
                wanted[value].append(node.id)
    except RuntimeError:
        return Controls.none(network)
    nodes = {}
    for control, ids in wanted.items():
        mask = np.zeros(network.node_count, dtype=bool)
        if ids:
            found = np.asarray(ids, dtype=np.int64)
            where = np.searchsorted(network.node_id, found)
            where = np.clip(where, 0, max(network.node_count - 1, 0))
            hit = network.node_id[where] == found
            mask[where[hit]] = True
        nodes[control] = mask
    return Controls(nodes, str(source))


def arc_times(
    network: RoadNetwork, model: TravelModel, controls: Controls, hour: int | None = None
) -> FloatArray:
    """Every arc's travel time under ``model`` (the reference band unless ``hour``)."""
    factors = np.array([model.class_factors[g] for g in GROUPS], dtype=np.float64)
    times = factors[arc_groups(network)] * network.arc_time_s
    for control, mask in controls.nodes.items():
        delay = model.control_delay_s.get(control, 0.0)
        if delay:
            times = times + delay * mask[network.arc_to]
    times = np.maximum(times * model.band_factor(hour), MIN_ARC_TIME_S)
    return np.ascontiguousarray(times, dtype=np.float64)


def calibrated_map(roads: RoadMap, model: TravelModel, controls: Controls | None = None) -> RoadMap:
    """A :class:`RoadMap` like ``roads`` whose own arc times are the model's."""
    net = roads.network
    controls = controls if controls is not None else read_controls(net)
    times = arc_times(net, model, controls)
    return RoadMap(
        dataclasses.replace(net, arc_time_s=times),
        max_snap_m=roads.max_snap_m,
        meta={**roads.meta, "travel_model": dict(model.meta)},
        places=lambda: roads.places,
    )


def drive_time_index(
    roads: RoadMap,
    model: TravelModel,
    arc_time_s: FloatArray | None = None,
    *,
    engine: str = "auto",
) -> DriveTimeIndex:
    """An empty drive-time index on ``roads`` (arc times already the model's, as from
    :func:`calibrated_map`, or ``arc_time_s``) that also pays the model's turn delays:
    on the turn-expanded graph when it has any, node-based otherwise."""
    if model.has_turn_delays:
        return TurnIndex(roads, model.turn_delay_s, arc_time_s, engine=engine)
    return DriveTimeIndex(roads, arc_time_s, engine=engine)
