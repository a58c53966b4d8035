"""Interval times from the journal: one implementation for the live reports and the replay.

Definitions (NFPA 1710 / 1221 words; every time is a journaled event's ``at``):

- **received**: the ``call.received`` (or ``tip.received``) the incident was created
  from; an incident created without a call (officer-initiated, admin) counts its
  creation as received.
- **call processing**: received to the incident's first ``unit.dispatched``.
- per unit response (one ``unit.dispatched`` until the unit is available, sent
  elsewhere or out of service): **turnout** dispatched to en route, **travel** en route
  to on scene, then transport start, at hospital and available.
- per incident, from its **first unit on scene** (earliest on scene; ties by call
  sign): turnout and travel of that unit; **total response**: received to first on
  scene.
- percentiles are numpy's default (linear interpolation), as the replay's.

An incident whose times are incomplete (never dispatched, nobody on scene, an arrival
without en route) or inconsistent (on scene before dispatch, ...) keeps every interval
that is sound and is listed with its reasons; nothing is dropped silently. A negative
interval is never used in a figure.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import yaml

from tenfour.journal import EventStore

#: Interval names, in report order.
METRICS = ("call_processing_s", "turnout_s", "travel_s", "response_s")
#: What ``--by`` may group incidents by.
GROUPS = ("agency", "unit", "kind", "type", "priority", "district", "hour", "day")
#: Unit statuses that end a response other than ``available``.
ENDING = frozenset({"busy", "outofservice", "offduty"})


class ReportError(ValueError):
    """A bad report option: names the option (``field``) and the reason."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (numpy's linear interpolation), None when there are none."""
    return float(np.percentile(values, q)) if values else None


class FoldEvent(Protocol):
    """What the fold reads of an event: a `StoredEvent` or the lighter `EventBrief`."""

    @property
    def seq(self) -> int: ...
    @property
    def type(self) -> str: ...
    @property
    def at(self) -> str: ...
    @property
    def data(self) -> Mapping[str, Any]: ...


def _at(event: FoldEvent) -> datetime:
    return datetime.fromisoformat(event.at)


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (end - start).total_seconds()


@dataclass
class UnitResponse:
    """One unit's response to one incident: dispatch until available (or sent elsewhere)."""

    unit: str
    incident: str
    kind: str
    agency: str
    dispatched: datetime | None = None
    enroute: datetime | None = None
    onscene: datetime | None = None
    transport_start: datetime | None = None
    at_hospital: datetime | None = None
    available: datetime | None = None
    ended: str = "open"  # available, reassigned, busy, outofservice, offduty, open

    @property
    def turnout_s(self) -> float | None:
        return _seconds(self.dispatched, self.enroute)

    @property
    def travel_s(self) -> float | None:
        return _seconds(self.enroute, self.onscene)

    @property
    def problems(self) -> list[str]:
        """What is missing or out of order in this response (empty when sound)."""
        out = []
        if self.onscene is not None and self.dispatched is None:
            out.append("on scene without dispatch")
        if self.onscene is not None and self.enroute is None:
            out.append("on scene without en route")
        order = (
            ("en route before dispatch", self.dispatched, self.enroute),
            ("on scene before dispatch", self.dispatched, self.onscene),
            ("on scene before en route", self.enroute, self.onscene),
        )
        out += [why for why, a, b in order if a is not None and b is not None and b < a]
        return out


@dataclass
class IncidentTimes:
    """One incident's times, type, priority and place (the last journaled) and responses."""

    incident: str
    created: datetime
    received: datetime
    incident_type: str = ""
    priority: int | None = None
    lat: float | None = None
    lon: float | None = None
    closed: datetime | None = None
    responses: list[UnitResponse] = field(default_factory=list)

    @property
    def first_dispatch(self) -> datetime | None:
        times = [r.dispatched for r in self.responses if r.dispatched is not None]
        return min(times) if times else None

    @property
    def first_unit(self) -> UnitResponse | None:
        """The first unit on scene (ties: by call sign)."""
        arrived = [r for r in self.responses if r.onscene is not None]
        return min(arrived, key=lambda r: (r.onscene, r.unit)) if arrived else None

    def intervals(self) -> dict[str, float | None]:
        """The four intervals; None when a time is missing or the interval is negative."""
        return self._intervals(self.first_unit, self.first_dispatch)

    def problems(self) -> list[str]:
        """Why this incident's times are incomplete or inconsistent (empty when sound)."""
        return self._problems(self.first_unit, self.first_dispatch)

    # The two above with the first unit and first dispatch worked out once: a year's
    # report asks for both for 70,000 incidents.
    def _intervals(
        self, first: UnitResponse | None, first_dispatch: datetime | None
    ) -> dict[str, float | None]:
        values = {
            "call_processing_s": _seconds(self.received, first_dispatch),
            "turnout_s": first.turnout_s if first else None,
            "travel_s": first.travel_s if first else None,
            "response_s": _seconds(self.received, first.onscene if first else None),
        }
        return {k: (None if v is None or v < 0 else v) for k, v in values.items()}

    def _problems(self, first: UnitResponse | None, first_dispatch: datetime | None) -> list[str]:
        out = []
        if not self.responses:
            out.append("never dispatched")
        elif first_dispatch is None:
            out.append("no unit dispatched (units on it without a dispatch)")
        if first_dispatch is not None and first_dispatch < self.received:
            out.append("dispatched before the call was received")
        if self.responses and first is None:
            out.append("no unit on scene" + (" (still open)" if self.closed is None else ""))
        if first is not None and first.onscene is not None and first.onscene < self.received:
            out.append("on scene before the call was received")
        for response in self.responses:
            out += [f"{response.unit}: {why}" for why in response.problems]
        return out


@dataclass
class IntervalFold:
    """Journaled events folded, one at a time, into incidents and unit responses.

    Incremental: feed it the journal from the start, then only what is new.
    """

    incidents: dict[str, IncidentTimes] = field(default_factory=dict)
    unit_kind: dict[str, str] = field(default_factory=dict)
    unit_agency: dict[str, str] = field(default_factory=dict)
    agency_kind: dict[str, str] = field(default_factory=dict)
    events: int = 0  # events folded (of FOLDED_TYPES only when read by `fold_store`)
    position: int = 0  # the last seq folded
    _received: dict[str, datetime] = field(default_factory=dict)  # call or tip -> at
    _open: dict[str, UnitResponse] = field(default_factory=dict)  # unit -> its response

    def add_all(self, events: Iterable[FoldEvent]) -> IntervalFold:
        for event in events:
            self.add(event)
        return self

    def add(self, event: FoldEvent) -> None:
        self.events += 1
        self.position = event.seq
        handler = _HANDLERS.get(event.type)
        if handler is not None:
            handler(self, event, event.data)

    def responses(self) -> Iterable[UnitResponse]:
        for incident in self.incidents.values():
            yield from incident.responses

    # --- handlers ---------------------------------------------------------------------
    def _received_at(self, event: FoldEvent, d: Mapping[str, Any]) -> None:
        key = d.get("call") if event.type == "call.received" else d.get("tip")
        if key is not None:
            self._received[str(key)] = _at(event)

    def _created(self, event: FoldEvent, d: Mapping[str, Any]) -> None:
        at = _at(event)
        source = d.get("call") if d.get("call") is not None else d.get("tip")
        received = self._received.get(str(source), at) if source is not None else at
        incident = IncidentTimes(str(d["incident"]), created=at, received=received)
        self.incidents[incident.incident] = incident
        self._describe(incident, d)

    def _updated(self, event: FoldEvent, d: Mapping[str, Any]) -> None:
        incident = self.incidents.get(str(d.get("incident")))
        if incident is not None:
            self._describe(incident, d)

    @staticmethod
    def _describe(incident: IncidentTimes, d: Mapping[str, Any]) -> None:
        if d.get("incident_type"):
            incident.incident_type = str(d["incident_type"])
        if d.get("priority") is not None:
            incident.priority = int(d["priority"])
        location = d.get("location")
        if isinstance(location, Mapping) and "lat" in location and "lon" in location:
            incident.lat, incident.lon = float(location["lat"]), float(location["lon"])

    def _closed(self, event: FoldEvent, d: Mapping[str, Any]) -> None:
        incident = self.incidents.get(str(d.get("incident")))
        if incident is not None:
            incident.closed = _at(event)

    def _agency(self, event: FoldEvent, d: Mapping[str, Any]) -> None:
        self.agency_kind[str(d["agency"])] = str(d.get("kind") or "")

    def _unit(self, event: FoldEvent, d: Mapping[str, Any]) -> None:
        unit = str(d["unit"])
        self.unit_kind[unit] = str(d.get("kind") or "")
        self.unit_agency[unit] = str(d.get("agency") or "")

    def _open_response(self, unit: str, incident_id: str) -> UnitResponse | None:
        incident = self.incidents.get(incident_id)
        if incident is None:
            return None  # an incident from before the journal's start: nothing to time
        response = UnitResponse(
            unit, incident_id, self.unit_kind.get(unit, ""), self.unit_agency.get(unit, "")
        )
        incident.responses.append(response)
        self._open[unit] = response
        return response

    def _dispatched(self, event: FoldEvent, d: Mapping[str, Any]) -> None:
        unit = str(d["unit"])
        before = self._open.pop(unit, None)
        if before is not None:
            before.ended = "reassigned"
        response = self._open_response(unit, str(d["incident"]))
        if response is not None:
            response.dispatched = _at(event)

    def _status(self, event: FoldEvent, d: Mapping[str, Any]) -> None:
        unit, to = str(d["unit"]), str(d["to"])
        incident = d.get("incident")
        response = self._open.get(unit)
        if incident is not None and (response is None or response.incident != str(incident)):
            if to not in ("enroute", "onscene", "transporting", "athospital"):
                return
            # on an incident without a dispatch to it (self-assigned): timed, and flagged
            if response is not None:
                response.ended = "reassigned"
            response = self._open_response(unit, str(incident))
        if response is None:
            return
        at = _at(event)
        if to == "enroute" and response.enroute is None:
            response.enroute = at
        elif to == "onscene" and response.onscene is None:
            response.onscene = at
        elif to == "transporting" and response.transport_start is None:
            response.transport_start = at
        elif to == "athospital" and response.at_hospital is None:
            response.at_hospital = at
        elif to == "available" or to in ENDING:
            response.available = at if to == "available" else None
            response.ended = to
            del self._open[unit]


_HANDLERS: dict[str, Callable[[IntervalFold, FoldEvent, Mapping[str, Any]], None]] = {
    "call.received": IntervalFold._received_at,
    "tip.received": IntervalFold._received_at,
    "incident.created": IntervalFold._created,
    "incident.updated": IntervalFold._updated,
    "incident.closed": IntervalFold._closed,
    "agency.registered": IntervalFold._agency,
    "unit.registered": IntervalFold._unit,
    "unit.dispatched": IntervalFold._dispatched,
    "unit.status_changed": IntervalFold._status,
}
#: The only event types the fold looks at (its handlers'): a report reads these alone.
FOLDED_TYPES = frozenset(_HANDLERS)


def fold_store(store: EventStore, fold: IntervalFold | None = None) -> IntervalFold:
    """``fold`` (a new one by default) brought up to ``store``'s head.

    Reads only `FOLDED_TYPES`, filtered by the database, and each event as its seq,
    type, time and payload (`EventStore.read_brief`): most of a journal's bytes are
    recommendations and positions that no interval needs (bench/RESULTS.md).
    """
    fold = fold if fold is not None else IntervalFold()
    return fold.add_all(store.read_brief(after=fold.position, types=FOLDED_TYPES))


# --- targets ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Targets:
    """Seconds each interval should stay within for ``fraction`` of incidents.

    Turnout has one target per agency kind (``default`` for the rest): NFPA 1710 gives
    60 s for EMS and 80 s for fire; police follows the fire figure here.
    """

    call_processing_s: float | None = 60.0
    turnout_s: Mapping[str, float] = field(default_factory=lambda: {"ems": 60.0, "default": 80.0})
    travel_s: float | None = 240.0
    response_s: float | None = None
    fraction: float = 0.9

    def for_metric(self, metric: str, agency_kind: str) -> float | None:
        if metric == "turnout_s":
            return self.turnout_s.get(agency_kind, self.turnout_s.get("default"))
        value: float | None = getattr(self, metric)
        return value

    def to_json(self) -> dict[str, Any]:
        return {
            "call_processing_s": self.call_processing_s,
            "turnout_s": dict(self.turnout_s),
            "travel_s": self.travel_s,
            "response_s": self.response_s,
            "fraction": self.fraction,
        }


def _seconds_value(name: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ReportError("targets", f"{name} must be a positive number of seconds, not {value!r}")
    return float(value)


def load_targets(path: str | Path) -> Targets:
    """Targets from a YAML or JSON file; every key optional, unknown keys refused."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise ReportError("targets", f"cannot read {path}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise ReportError("targets", f"{path} is not YAML or JSON: {error}") from None
    return targets_from(raw)


def targets_from(raw: Any) -> Targets:
    if not isinstance(raw, Mapping):
        raise ReportError("targets", "must be a mapping of interval names to seconds")
    known = {"call_processing_s", "turnout_s", "travel_s", "response_s", "fraction"}
    unknown = sorted(set(map(str, raw)) - known)
    if unknown:
        raise ReportError(
            "targets", f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(known))})"
        )
    base = Targets()
    turnout_raw = raw.get("turnout_s", base.turnout_s)
    if isinstance(turnout_raw, Mapping):
        turnout = {str(k): _seconds_value(f"turnout_s.{k}", v) for k, v in turnout_raw.items()}
        turnout_map = {k: v for k, v in turnout.items() if v is not None}
    else:
        single = _seconds_value("turnout_s", turnout_raw)
        turnout_map = {} if single is None else {"default": single}
    fraction = raw.get("fraction", base.fraction)
    if isinstance(fraction, bool) or not isinstance(fraction, int | float) or not 0 < fraction <= 1:
        raise ReportError("targets", f"fraction must be above 0 and at most 1, not {fraction!r}")
    return Targets(
        call_processing_s=_seconds_value(
            "call_processing_s", raw.get("call_processing_s", base.call_processing_s)
        ),
        turnout_s=turnout_map,
        travel_s=_seconds_value("travel_s", raw.get("travel_s", base.travel_s)),
        response_s=_seconds_value("response_s", raw.get("response_s", base.response_s)),
        fraction=float(fraction),
    )


# --- districts ----------------------------------------------------------------------------
@dataclass(frozen=True)
class District:
    name: str
    polygons: tuple[tuple[tuple[tuple[float, float], ...], ...], ...]  # [polygon][ring][lon, lat]

    def contains(self, lat: float, lon: float) -> bool:
        for rings in self.polygons:
            # inside the outer ring and in none of the holes
            if (
                rings
                and _in_ring(rings[0], lon, lat)
                and not any(_in_ring(hole, lon, lat) for hole in rings[1:])
            ):
                return True
        return False


def _in_ring(ring: Sequence[tuple[float, float]], x: float, y: float) -> bool:
    inside = False
    n = len(ring)
    for i in range(n):
        x1, y1 = ring[i]
        x2, y2 = ring[(i + 1) % n]
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def load_districts(path: str | Path) -> list[District]:
    """Named polygons from a GeoJSON FeatureCollection (Polygon or MultiPolygon features;
    the name from the ``name``, ``district`` or ``id`` property, else the feature id)."""
    where = "districts"
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise ReportError(where, f"cannot read {path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise ReportError(where, f"{path} is not JSON: {error}") from None
    if not isinstance(raw, dict) or raw.get("type") != "FeatureCollection":
        raise ReportError(where, f"{path} is not a GeoJSON FeatureCollection")
    districts = []
    for index, feature in enumerate(raw.get("features") or []):
        geometry = (feature or {}).get("geometry") or {}
        props = feature.get("properties") or {}
        name = next(
            (str(props[k]) for k in ("name", "district", "id") if props.get(k) is not None),
            str(feature.get("id", f"#{index + 1}")),
        )
        kind, coords = geometry.get("type"), geometry.get("coordinates") or []
        polygons: tuple[tuple[tuple[tuple[float, float], ...], ...], ...]
        try:
            if kind == "Polygon":
                polygons = (_rings(coords),)
            elif kind == "MultiPolygon":
                polygons = tuple(_rings(p) for p in coords)
            else:
                raise ValueError(f"geometry {kind!r} is not a Polygon or MultiPolygon")
        except (TypeError, ValueError, IndexError) as error:
            raise ReportError(where, f"feature {index + 1} ({name}): {error}") from None
        districts.append(District(name, polygons))
    if not districts:
        raise ReportError(where, f"{path} has no features")
    return districts


def _rings(coords: Any) -> tuple[tuple[tuple[float, float], ...], ...]:
    rings = tuple(tuple((float(p[0]), float(p[1])) for p in ring) for ring in coords)
    if not rings or any(len(r) < 3 for r in rings):
        raise ValueError("a polygon ring needs at least 3 points")
    return rings


def district_of(districts: Sequence[District], lat: float | None, lon: float | None) -> str:
    if lat is None or lon is None:
        return "(no location)"
    return next((d.name for d in districts if d.contains(lat, lon)), "(outside)")


# --- options --------------------------------------------------------------------------
def parse_by(text: str | None, *, districts: bool) -> list[str]:
    """``--by agency,kind``: the grouping names, checked."""
    if text is None or not text.strip():
        return []
    names = [name.strip() for name in text.split(",")]
    for name in names:
        if name not in GROUPS:
            raise ReportError("by", f"unknown grouping {name!r} (allowed: {', '.join(GROUPS)})")
        if name == "district" and not districts:
            raise ReportError("by", "grouping by district needs a districts file")
    return list(dict.fromkeys(names))  # a name given twice groups once


def parse_time(text: str | None, field_name: str) -> datetime | None:
    """An ISO 8601 date or date and time; without a zone it is UTC."""
    if text is None or not text.strip():
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ReportError(
            field_name,
            f"{text!r} is not an ISO 8601 date or time (e.g. 2026-11-24 or 2026-11-24T14:00Z)",
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def check_window(start: datetime | None, end: datetime | None) -> None:
    if start is not None and end is not None and end <= start:
        raise ReportError("to", "must be after from")


# --- figures -----------------------------------------------------------------------------
@dataclass(frozen=True)
class IncidentRow:
    """One incident in the report: its times, intervals, group keys and problems."""

    incident: str
    incident_type: str
    priority: int | None
    agency: str
    agency_kind: str
    unit: str
    kind: str
    district: str
    received: datetime
    created: datetime
    first_dispatch: datetime | None
    first_enroute: datetime | None
    first_onscene: datetime | None
    closed: datetime | None
    intervals: Mapping[str, float | None]
    problems: tuple[str, ...]

    def key(self, name: str) -> str:
        if name == "type":
            return self.incident_type
        if name == "priority":
            return "" if self.priority is None else str(self.priority)
        if name == "hour":
            return f"{self.received.astimezone(UTC).hour:02d}"
        if name == "day":
            return self.received.astimezone(UTC).date().isoformat()
        value: str = getattr(self, name)
        return value


def incident_rows(
    fold: IntervalFold,
    start: datetime | None = None,
    end: datetime | None = None,
    districts: Sequence[District] = (),
) -> list[IncidentRow]:
    """Incidents received in [start, end), oldest first."""
    rows = []
    for incident in fold.incidents.values():
        if (start is not None and incident.received < start) or (
            end is not None and incident.received >= end
        ):
            continue
        first = incident.first_unit
        first_dispatch = incident.first_dispatch
        lead = first or next((r for r in sorted(incident.responses, key=_dispatch_order)), None)
        unit = lead.unit if lead else ""
        agency = lead.agency if lead else ""
        rows.append(
            IncidentRow(
                incident=incident.incident,
                incident_type=incident.incident_type,
                priority=incident.priority,
                agency=agency,
                agency_kind=fold.agency_kind.get(agency, ""),
                unit=unit,
                kind=lead.kind if lead else "",
                district=district_of(districts, incident.lat, incident.lon) if districts else "",
                received=incident.received,
                created=incident.created,
                first_dispatch=first_dispatch,
                first_enroute=first.enroute if first else None,
                first_onscene=first.onscene if first else None,
                closed=incident.closed,
                intervals=incident._intervals(first, first_dispatch),
                problems=tuple(incident._problems(first, first_dispatch)),
            )
        )
    rows.sort(key=lambda r: (r.received, r.incident))
    return rows


def _dispatch_order(r: UnitResponse) -> tuple[datetime, str]:
    return (r.dispatched or datetime.max.replace(tzinfo=UTC), r.unit)


def metric_stats(rows: Sequence[IncidentRow], metric: str, targets: Targets) -> dict[str, Any]:
    """n, median, 90th percentile, target and the share within it, for one interval."""
    values = []
    within = judged = 0
    target_values = set()
    for row in rows:
        value = row.intervals.get(metric)
        if value is None:
            continue
        values.append(value)
        target = targets.for_metric(metric, row.agency_kind)
        if target is not None:
            target_values.add(target)
            judged += 1
            within += value <= target
    share = within / judged if judged else None
    # one call for both: numpy's fixed cost per call is most of a small group's time
    median, p90 = (float(v) for v in np.percentile(values, [50, 90])) if values else (None, None)
    return {
        "n": len(values),
        "median_s": median,
        "p90_s": p90,
        "target_s": sorted(target_values)
        if len(target_values) > 1
        else next(iter(target_values), None),
        "within_target": within,
        "share_within_target": share,
        "meets_target": None if share is None else share >= targets.fraction,
    }


def _stats(rows: Sequence[IncidentRow], targets: Targets) -> dict[str, Any]:
    return {metric: metric_stats(rows, metric, targets) for metric in METRICS}


def unit_figures(responses: Iterable[UnitResponse], by: str) -> dict[str, dict[str, Any]]:
    """Per unit or per unit kind, over every unit response: turnout and travel."""
    groups: dict[str, list[UnitResponse]] = defaultdict(list)
    for r in responses:
        groups[r.unit if by == "unit" else r.kind].append(r)
    out = {}
    for name, group in sorted(groups.items()):
        turnout = [t for r in group if (t := r.turnout_s) is not None and t >= 0]
        travel = [t for r in group if (t := r.travel_s) is not None and t >= 0]
        busy = [
            (r.available - r.dispatched).total_seconds()
            for r in group
            if r.available is not None and r.dispatched is not None
        ]
        out[name] = {
            "responses": len(group),
            "turnout_n": len(turnout),
            "turnout_p90_s": percentile(turnout, 90),
            "travel_n": len(travel),
            "travel_p90_s": percentile(travel, 90),
            "travel_median_s": percentile(travel, 50),
            "busy_h": round(sum(busy) / 3600, 3),
        }
    return out


def summarise(
    fold: IntervalFold,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    by: Sequence[str] = (),
    targets: Targets | None = None,
    districts: Sequence[District] = (),
    rows: Sequence[IncidentRow] | None = None,
) -> dict[str, Any]:
    """Every figure of the report (``report.json``), for incidents received in [start, end).

    ``rows``: ``incident_rows(fold, start, end, districts)``, when the caller has them.
    """
    targets = targets or Targets()
    if rows is None:
        rows = incident_rows(fold, start, end, districts)
    chosen = {row.incident for row in rows}
    responses = [r for r in fold.responses() if r.incident in chosen]
    groups: dict[tuple[str, ...], list[IncidentRow]] = defaultdict(list)
    if by:
        for row in rows:
            groups[tuple(row.key(name) for name in by)].append(row)
    reasons: Counter[str] = Counter()
    for row in rows:
        # one count per reason and incident; "ZPD-7: on scene before dispatch" counts as its reason
        reasons.update({p.split(": ", 1)[-1] for p in row.problems})
    with_problems = [row for row in rows if row.problems]
    return {
        "window": {
            "from": start.isoformat() if start else None,
            "to": end.isoformat() if end else None,
        },
        "targets": targets.to_json(),
        "by": list(by),
        "journal": {"events": fold.events, "position": fold.position},
        "incidents": {
            "count": len(rows),
            "complete": len(rows) - len(with_problems),
            "with_problems": len(with_problems),
        },
        "overall": _stats(rows, targets),
        "groups": [
            {
                "key": dict(zip(by, key, strict=True)),
                "incidents": len(group),
                **_stats(group, targets),
            }
            for key, group in sorted(groups.items())
        ],
        "units": {
            "by_kind": unit_figures(responses, "kind"),
            "by_unit": unit_figures(responses, "unit"),
        },
        "problems": {
            "by_reason": dict(reasons.most_common()),
            "incidents": [
                {"incident": r.incident, "reasons": list(r.problems)} for r in with_problems
            ],
        },
    }


def fold_journal(events: Iterable[FoldEvent]) -> IntervalFold:
    return IntervalFold().add_all(events)


__all__ = [
    "FOLDED_TYPES",
    "GROUPS",
    "METRICS",
    "District",
    "FoldEvent",
    "IncidentRow",
    "IncidentTimes",
    "IntervalFold",
    "ReportError",
    "Targets",
    "UnitResponse",
    "fold_journal",
    "fold_store",
    "incident_rows",
    "load_districts",
    "load_targets",
    "parse_by",
    "parse_time",
    "percentile",
    "summarise",
    "unit_figures",
]
