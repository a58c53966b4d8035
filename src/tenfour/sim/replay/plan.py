"""Everything a replay needs before the clock starts: calls, roster, hospitals, policies.

``plan_replay(csv, map)`` reads the file, keeps the calls on the map, estimates the
stations, and builds the roster the scenario machinery enters (``apply_roster``):

- agencies: ``SFFD`` (fire) and one per private ambulance company prefix
  (``PVT-AM``, ``PVT-KM``, ...; kind ems);
- facilities: the main hospitals on the map (``HOSPITALS``, approximate points from
  their street addresses; Zuckerberg SF General, St. Mary's, UCSF Parnassus and the
  VA lie off this map and are left out);
- units: every unit of the data whose home (see ``stations``) lies within
  ``UNIT_REACH_M`` of a mapped road, placed on the nearest road point; members: none.

The policies get a replay need ``sffd`` answered by every unit kind of the roster,
for every incident type of the data, and list every eligible unit ranked by drive
time (``listed_candidates``): the replay reads that ranking to fill each response.
The shipped demo-city response plans are dropped; with ``plans`` (a plan file, see
``policies.planfile``) those plans are the whole set, and a type without one gets
the nearest unit of any kind.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tenfour.geo import OutsideMapError, RoadMap, load_map
from tenfour.policies import PolicyConfig
from tenfour.policies.planfile import PlanFile
from tenfour.sim.replay.calls import (
    Call,
    CallSelection,
    declared_bounds,
    group_calls,
    select_on_map,
)
from tenfour.sim.replay.posts import PostError, PostsFile
from tenfour.sim.replay.records import read_responses
from tenfour.sim.replay.stations import Home, Station, estimate_stations, unit_homes
from tenfour.travel.model import TravelModel

#: Units farther than this from every mapped road are not replayed.
UNIT_REACH_M = 1000.0
NEED = "sffd"
#: On-scene status checks are for police officers; the data has no check-ins, so
#: every long fire job would raise an alert. Effectively off: 30 days.
ONSCENE_CHECK_S = 30 * 86_400


@dataclass(frozen=True, slots=True)
class Hospital:
    id: str
    name: str
    lat: float
    lon: float


HOSPITALS: tuple[Hospital, ...] = (
    Hospital("SFM", "Saint Francis Memorial Hospital (900 Hyde St)", 37.7893, -122.4168),
    Hospital("CPMC-PAC", "CPMC Pacific Campus (2333 Buchanan St)", 37.7914, -122.4316),
    Hospital("CPMC-CAL", "CPMC California Campus (3700 California St)", 37.7866, -122.4553),
    Hospital("CHH", "Chinese Hospital (845 Jackson St)", 37.7957, -122.4093),
    Hospital("KSF", "Kaiser Permanente San Francisco (2425 Geary Blvd)", 37.7829, -122.4419),
)


@dataclass
class Roster:
    """A roster in the shape ``sim.roster.apply_roster`` enters."""

    agencies: list[dict[str, Any]] = field(default_factory=list)
    facilities: list[dict[str, Any]] = field(default_factory=list)
    members: list[dict[str, Any]] = field(default_factory=list)
    units: list[dict[str, Any]] = field(default_factory=list)
    incidents: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ReplayPlan:
    source: str
    map_name: str
    roads: RoadMap
    rows: int
    calls: list[Call]  # every call of the file
    selection: CallSelection
    stations: dict[int, Station]
    homes: dict[str, Home]  # on the roster, at their road point
    left_out: dict[str, str]  # unit -> why it is not on the roster
    hospitals: tuple[Hospital, ...]
    roster: Roster
    config: PolicyConfig
    travel_model: TravelModel | None = None
    plans: PlanFile | None = None
    #: Configured ambulance posts (``--posts``); without, they are estimated (posts.py).
    posts: PostsFile | None = None

    @property
    def kept(self) -> list[Call]:
        return self.selection.kept


def plan_replay(
    csv_path: str | Path,
    map_name: str = "demo",
    travel_model: TravelModel | None = None,
    plans: PlanFile | None = None,
    posts: PostsFile | None = None,
) -> ReplayPlan:
    """Read ``csv_path`` and prepare the replay on ``map_name`` (see the module); with
    ``travel_model``, the map drives at the model's times (``tenfour.travel``); with
    ``plans``, Ten-Four's response plans choose the kinds and counts of units."""
    rows = read_responses(csv_path)
    roads = load_map(map_name)
    if travel_model is not None:
        from tenfour.travel.model import calibrated_map

        roads = calibrated_map(roads, travel_model)
    calls = group_calls(rows)
    selection = select_on_map(calls, roads, declared_bounds(map_name, roads))
    stations = estimate_stations(calls)
    homes, left_out = _place(unit_homes(calls, stations), roads)
    hospitals = tuple(h for h in HOSPITALS if on_map(roads, h.lat, h.lon))
    roster = _roster(homes, hospitals)
    if posts is not None:
        known = sorted({h.agency for h in homes.values()})
        for agency in posts.posts:
            if agency not in known:
                raise PostError(
                    f"posts.{agency}: no such agency on the replay's roster "
                    f"(agencies: {', '.join(known) or 'none'})"
                )
    codes = {c.type_code for c in selection.kept}
    kinds = {h.kind for h in homes.values()}
    return ReplayPlan(
        source=str(csv_path),
        map_name=map_name,
        roads=roads,
        rows=len(rows),
        calls=calls,
        selection=selection,
        stations=stations,
        homes=homes,
        left_out=left_out,
        hospitals=hospitals,
        roster=roster,
        config=replay_config(kinds, codes, plans),
        travel_model=travel_model,
        plans=plans,
        posts=posts,
    )


def replay_config(kinds: set[str], codes: set[str], plans: PlanFile | None = None) -> PolicyConfig:
    """The default policies plus what a fire department replay needs (see the module)."""
    config = PolicyConfig().with_overrides(
        {"needs": dict(plans.needs)} if plans is not None and plans.needs else None
    )
    # validated already (as a plan file, or the empty set): the plans are the whole set
    return config.model_copy(update={"plans": dict(plans.plans) if plans else {}}).with_overrides(
        {
            "needs": {NEED: sorted(kinds) or ["engine"]},
            "type_needs": {code: NEED for code in sorted(codes)},
            "initial_units": {p: 1 for p in range(1, 6)},
            "listed_candidates": 200,
            "timers": {"onscene_s": ONSCENE_CHECK_S},
            # Every call of the data got its own units, so none is merged into another
            # incident: the smallest radius and window the settings allow, score 1.
            "duplicates": {"radius_m": 0.001, "window_s": 0.001},
        }
    )


def on_map(roads: RoadMap, lat: float, lon: float, reach_m: float = UNIT_REACH_M) -> bool:
    try:
        return roads.snap(lat, lon).distance_m <= reach_m
    except OutsideMapError:
        return False


def _place(homes: list[Home], roads: RoadMap) -> tuple[dict[str, Home], dict[str, str]]:
    placed: dict[str, Home] = {}
    left_out: dict[str, str] = {}
    for home in homes:
        try:
            snap = roads.snap(home.lat, home.lon)
        except OutsideMapError:
            snap = None
        if snap is None or snap.distance_m > UNIT_REACH_M:
            left_out[home.unit] = (
                f"home ({home.method}) more than {UNIT_REACH_M:.0f} m from the map"
            )
            continue
        placed[home.unit] = Home(
            home.unit, home.kind, home.agency, snap.lat, snap.lon, home.station, home.method
        )
    return placed, left_out


def _roster(homes: dict[str, Home], hospitals: tuple[Hospital, ...]) -> Roster:
    agencies = sorted({h.agency for h in homes.values()})
    roster = Roster()
    for agency in agencies:
        if agency == "SFFD":
            roster.agencies.append(
                {"id": "SFFD", "kind": "fire", "name": "San Francisco Fire Department"}
            )
        else:
            prefix = agency.removeprefix("PVT-")
            name = f"Private ambulance company ({prefix} units)"
            roster.agencies.append({"id": agency, "kind": "ems", "name": name})
    for h in hospitals:
        roster.facilities.append(
            {"id": h.id, "kind": "hospital", "name": h.name, "at": {"lat": h.lat, "lon": h.lon}}
        )
    for home in homes.values():
        roster.units.append(
            {
                "id": home.unit,
                "agency": home.agency,
                "kind": home.kind,
                "at": {"lat": home.lat, "lon": home.lon},
            }
        )
    return roster


def responses_by_left_out(plan: ReplayPlan) -> Counter[str]:
    """Responses to kept calls by units not on the roster, by unit kind."""
    counts: Counter[str] = Counter()
    for call in plan.kept:
        for slot in call.slots:
            if slot.unit in plan.left_out:
                counts[slot.kind] += 1
    return counts
