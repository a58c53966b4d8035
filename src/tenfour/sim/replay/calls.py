"""Unit responses grouped into calls, and the calls kept because they lie on the map.

A call is on the map when its point lies inside the map file's declared area (the
``<bounds>`` of an OSM extract: only roads touching it were kept, so beyond it the
street grid has holes) and within ``MAX_ROAD_M`` of a mapped road (calls on piers,
in the bay or deep in a park would otherwise be placed on a far road).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import osmium

from tenfour.geo import Bounds, RoadMap, demo_map_path
from tenfour.sim.replay.mapping import priority, type_code, unit_kind
from tenfour.sim.replay.records import UnitResponse

MAX_ROAD_M = 150.0


@dataclass(frozen=True, slots=True)
class Slot:
    """One real unit response to a call: who went, and when each step happened."""

    unit: str
    kind: str
    line: int
    dispatch: datetime
    response: datetime | None
    on_scene: datetime | None
    transport: datetime | None
    hospital: datetime | None
    available: datetime | None

    @property
    def travel_s(self) -> float | None:
        """Real travel time (NFPA 1710): en route to on scene."""
        if self.response is None or self.on_scene is None:
            return None
        return (self.on_scene - self.response).total_seconds()

    @property
    def dispatch_to_scene_s(self) -> float | None:
        if self.on_scene is None:
            return None
        return (self.on_scene - self.dispatch).total_seconds()


@dataclass(frozen=True, slots=True)
class Call:
    """One call (call number) with its real unit responses in dispatch order."""

    number: str
    call_type: str
    type_code: str
    group: str
    priority: int
    received: datetime
    lat: float | None
    lon: float | None
    address: str
    disposition: str
    station_area: int | None
    slots: tuple[Slot, ...]

    @property
    def point(self) -> tuple[float, float]:
        if self.lat is None or self.lon is None:
            raise ValueError(f"call {self.number} has no location")
        return (self.lat, self.lon)

    @property
    def first(self) -> Slot | None:
        """The real first unit: the first on scene (ties: first dispatched)."""
        arrived = [s for s in self.slots if s.on_scene is not None]
        return min(arrived, key=lambda s: (s.on_scene, s.dispatch, s.line)) if arrived else None


def group_calls(rows: Iterable[UnitResponse]) -> list[Call]:
    """Rows grouped by call number, in order of received time (then call number)."""
    by_number: dict[str, list[UnitResponse]] = {}
    for row in rows:
        by_number.setdefault(row.call_number, []).append(row)
    calls = []
    for number, group in by_number.items():
        head = min(group, key=lambda r: r.line)
        slots = tuple(
            sorted(
                (
                    Slot(
                        r.unit_id,
                        unit_kind(r.unit_id, r.unit_type),
                        r.line,
                        r.dispatch,
                        r.response,
                        r.on_scene,
                        r.transport,
                        r.hospital,
                        r.available,
                    )
                    for r in group
                ),
                key=lambda s: (s.dispatch, s.line),
            )
        )
        calls.append(
            Call(
                number=number,
                call_type=head.call_type,
                type_code=type_code(head.call_type),
                group=head.call_type_group,
                priority=priority(head.priorities, head.call_type, head.call_type_group),
                received=min(r.received for r in group),
                lat=head.lat,
                lon=head.lon,
                address=head.address,
                disposition=head.disposition,
                station_area=int(head.station_area) if head.station_area.isdigit() else None,
                slots=slots,
            )
        )
    calls.sort(key=lambda c: (c.received, c.number))
    return calls


def declared_bounds(map_name: str, roads: RoadMap) -> Bounds:
    """The area an OSM extract was cut to (its header), else the box of its nodes."""
    path = demo_map_path() if map_name == "demo" else Path(map_name)
    try:
        reader = osmium.io.Reader(str(path), osmium.osm.osm_entity_bits.NOTHING)
        try:
            box = reader.header().box()
        finally:
            reader.close()
    except (RuntimeError, OSError):
        return roads.bounds
    if not box.valid():
        return roads.bounds
    return Bounds(
        float(box.bottom_left.lat),
        float(box.bottom_left.lon),
        float(box.top_right.lat),
        float(box.top_right.lon),
    )


@dataclass(frozen=True)
class CallSelection:
    """The calls to replay and, for the others, why they were left out."""

    kept: list[Call]
    dropped: Counter[str]
    area: Bounds


def select_on_map(calls: list[Call], roads: RoadMap, area: Bounds) -> CallSelection:
    """Keep the calls inside ``area`` and near a mapped road; count the rest by reason."""
    dropped: Counter[str] = Counter()
    located = []
    for call in calls:
        if call.lat is None or call.lon is None:
            dropped["no location"] += 1
        elif not (area.south <= call.lat <= area.north and area.west <= call.lon <= area.east):
            dropped["outside the map's area"] += 1
        else:
            located.append(call)
    kept = []
    if located:
        # one vectorised snap with no distance limit, then our own limit
        far = RoadMap(roads.network, max_snap_m=1e9)
        distance = far.snap_many(np.array([c.point for c in located])).distance_m
        for call, metres in zip(located, distance.tolist(), strict=True):
            if metres > MAX_ROAD_M:
                dropped[f"more than {MAX_ROAD_M:.0f} m from a mapped road"] += 1
            else:
                kept.append(call)
    return CallSelection(kept, dropped, area)
