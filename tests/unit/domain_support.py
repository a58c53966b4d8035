"""Helpers for the pure domain and policy tests: no database, no map.

- ``Rec``: a journaled event as ``evolve`` sees it (seq, type, stream, version, at, by,
  data), its data passed through JSON like the journal's canonical form.
- ``run``: parse a raw ``{do, with}`` pair, ``decide`` it and fold the events into the
  state, so a multi-step story reads as the commands of its actors.
- ``rejection``: the first ``Problem`` of a rejected command, after checking that the
  state did not change.
- ``roster``: a small dispatch center (ZPD police, ZFD ems, hospital ZGH, units logged
  on at known distances north of ``PLACE``) built through the commands themselves.
- ``Desk``: state + journal + status-check watches, with the policy loop of the
  service (``react`` breadth first) for the policy tests.
- ``StraightLine`` / ``TableOracle``: fake drive-time oracles.
"""

from __future__ import annotations

import copy
import functools
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tenfour.domain import (
    Actor,
    Command,
    CommandRejected,
    Context,
    Event,
    Problem,
    State,
    decide,
    evolve,
    parse_command,
)
from tenfour.domain.values import distance_m
from tenfour.policies import PolicyConfig, Watches, react
from tenfour.policies.recommend import DriveTimeOracle

# --- time ----------------------------------------------------------------------------
T0 = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
"""The story clock's 0:00; the roster logs on an hour earlier."""


def moment(seconds: float = 0) -> datetime:
    return T0 + timedelta(seconds=seconds)


def at(seconds: float = 0) -> str:
    """The journal's time format (UTC, milliseconds, ``Z``) ``seconds`` after ``T0``."""
    return moment(seconds).isoformat(timespec="milliseconds").replace("+00:00", "Z")


NOW = at(0)
ROSTER_TIME = at(-3600)
TOKEN = "TEST-TOKEN-0001"

DISPATCHER = "dispatcher:clawhauser"
CALLTAKER = "calltaker:ursula"
SUPERVISOR = "supervisor:bogo"
ADMIN = "admin:root"
SYSTEM = "system"

# --- places ----------------------------------------------------------------------------
PLACE: dict[str, float] = {"lat": 37.79, "lon": -122.40}
"""Where the stories happen; the roster's units stand north of it."""

_M_PER_DEG_LAT = 111_195.0


def offset(
    north_m: float = 0, east_m: float = 0, base: Mapping[str, float] = PLACE
) -> dict[str, float]:
    """A point ``north_m`` metres north and ``east_m`` metres east of ``base``."""
    lat = base["lat"] + north_m / _M_PER_DEG_LAT
    lon = base["lon"] + east_m / (_M_PER_DEG_LAT * math.cos(math.radians(base["lat"])))
    return {"lat": round(lat, 7), "lon": round(lon, 7)}


def north(metres: float) -> dict[str, float]:
    return offset(north_m=metres)


# --- journaled events ---------------------------------------------------------------------
@dataclass(frozen=True)
class Rec:
    """A journaled event: what ``evolve``, ``react`` and ``Watches`` read."""

    seq: int
    type: str
    stream: str
    version: int
    at: str
    by: str
    data: Mapping[str, Any]


Observer = Callable[[State, Rec], None]


def record(
    state: State,
    events: Iterable[Event],
    *,
    at: str = NOW,
    by: str = "clawhauser",
    observers: Sequence[Observer] = (),
) -> list[Rec]:
    """Give ``events`` their place in the journal and fold them into ``state``."""
    out = []
    for event in events:
        rec = Rec(
            seq=state.seq + 1,
            type=event.type,
            stream=event.stream,
            version=state.versions.get(event.stream, 0) + 1,
            at=at,
            by=by,
            data=json.loads(json.dumps(dict(event.data))),
        )
        evolve(state, rec)
        for observe in observers:
            observe(state, rec)
        out.append(rec)
    return out


def refold(log: Iterable[Rec]) -> State:
    """A fresh state built from the journal (copies, so the log stays untouched)."""
    state = State()
    for rec in log:
        evolve(state, copy.deepcopy(rec))
    return state


# --- commands ----------------------------------------------------------------------------
def command(do: object, with_: object, actor: str = DISPATCHER) -> Command:
    return parse_command(do, with_, Actor.parse(actor))


def context(actor: str = DISPATCHER, now: str = NOW, token: str = TOKEN) -> Context:
    return Context(now=now, actor=Actor.parse(actor), token=lambda: token)


def decide_only(
    state: State,
    do: str,
    with_: Mapping[str, Any] | None,
    actor: str = DISPATCHER,
    now: str = NOW,
    token: str = TOKEN,
) -> list[Event]:
    """The events a command would yield, without folding them."""
    return decide(state, command(do, with_, actor), context(actor, now, token))


def run_recorded(
    state: State,
    do: str,
    with_: Mapping[str, Any] | None,
    actor: str = DISPATCHER,
    now: str = NOW,
    token: str = TOKEN,
    *,
    log: list[Rec] | None = None,
    observers: Sequence[Observer] = (),
) -> list[Rec]:
    events = decide_only(state, do, with_, actor, now, token)
    recs = record(state, events, at=now, by=Actor.parse(actor).by, observers=observers)
    if log is not None:
        log.extend(recs)
    return recs


def run(
    state: State,
    do: str,
    with_: Mapping[str, Any] | None,
    actor: str = DISPATCHER,
    now: str = NOW,
    token: str = TOKEN,
    *,
    log: list[Rec] | None = None,
) -> list[Event]:
    """Decide a raw command on ``state`` and fold its events in; returns the events."""
    recs = run_recorded(state, do, with_, actor, now, token, log=log)
    return [Event(r.type, r.stream, r.data) for r in recs]


def rejection(
    state: State,
    do: object,
    with_: object,
    actor: str = DISPATCHER,
    now: str = NOW,
) -> Problem:
    """The first problem of a command that must be rejected; checks state is unchanged."""
    before = copy.deepcopy(state)
    with pytest.raises(CommandRejected) as caught:
        decide(state, command(do, with_, actor), context(actor, now))
    assert state == before, "a rejected command changed the state"
    problems = caught.value.problems
    assert problems, "a rejection must name at least one problem"
    return problems[0]


def types(events: Iterable[Event | Rec]) -> list[str]:
    return [e.type for e in events]


def only(events: Iterable[Event | Rec], type_: str) -> Mapping[str, Any]:
    """The data of the one event of ``type_``."""
    found = [e.data for e in events if e.type == type_]
    assert len(found) == 1, f"expected one {type_}, got {len(found)}"
    return found[0]


# --- the roster ------------------------------------------------------------------------------
MEMBERS: dict[str, tuple[str, str, str]] = {
    # id: (name, agency, rank)
    "hopps": ("Judy Hopps", "ZPD", "officer"),
    "wilde": ("Nick Wilde", "ZPD", "officer"),
    "fangmeyer": ("Fangmeyer", "ZPD", "officer"),
    "mchorn": ("McHorn", "ZPD", "officer"),
    "wolford": ("Wolford", "ZPD", "officer"),
    "delgato": ("Delgato", "ZPD", "officer"),
    "higgins": ("Higgins", "ZPD", "officer"),
    "bogo": ("Chief Bogo", "ZPD", "chief"),
    "trunkaby": ("Trunkaby", "ZPD", "officer"),
    "medic1": ("Antelope Medic One", "ZFD", "paramedic"),
    "medic2": ("Antelope Medic Two", "ZFD", "paramedic"),
}

#: Units logged on at 0:00: (agency, kind, members, metres north of PLACE).
ON_DUTY: dict[str, tuple[str, str, list[str], float]] = {
    "ZPD-1": ("ZPD", "patrol", ["hopps", "wilde"], 300),
    "ZPD-2": ("ZPD", "patrol", ["fangmeyer"], 500),
    "ZPD-3": ("ZPD", "patrol", ["mchorn"], 1000),
    "ZPD-4": ("ZPD", "patrol", ["wolford"], 1500),
    "ZPD-5": ("ZPD", "patrol", ["delgato"], 2000),
    "ZPD-6": ("ZPD", "patrol", ["higgins"], 2500),
    "ZPD-S1": ("ZPD", "supervisor", ["bogo"], 800),
    "M-51": ("ZFD", "ambulance-als", ["medic1"], 1200),
    "M-52": ("ZFD", "ambulance-bls", ["medic2"], 600),
}
#: Registered but not logged on (its member trunkaby is off duty).
OFF_DUTY_UNIT = "ZPD-9"
PATROLS = ["ZPD-1", "ZPD-2", "ZPD-3", "ZPD-4", "ZPD-5", "ZPD-6"]
HOSPITAL = "ZGH"
HOSPITAL_AT = offset(-2000, -1500)


@functools.cache
def _roster() -> tuple[State, tuple[Rec, ...]]:
    state, log = State(), list[Rec]()

    def admin(do: str, with_: dict[str, Any]) -> None:
        run(state, do, with_, ADMIN, ROSTER_TIME, log=log)

    admin("agency.register", {"id": "ZPD", "kind": "police", "name": "Zootopia Police"})
    admin("agency.register", {"id": "ZFD", "kind": "ems", "name": "Zootopia Fire and EMS"})
    admin(
        "facility.register",
        {"id": HOSPITAL, "kind": "hospital", "name": "Zootopia General", "location": HOSPITAL_AT},
    )
    for member, (name, agency, rank) in MEMBERS.items():
        admin("member.register", {"id": member, "name": name, "agency": agency, "rank": rank})
    for unit, (agency, kind, _, _) in ON_DUTY.items():
        admin("unit.register", {"id": unit, "agency": agency, "kind": kind})
    admin("unit.register", {"id": OFF_DUTY_UNIT, "agency": "ZPD", "kind": "patrol"})
    for unit, (_, _, members, metres) in ON_DUTY.items():
        with_: dict[str, Any] = {"unit": unit, "members": members, "location": north(metres)}
        run(state, "shift.start", with_, DISPATCHER, ROSTER_TIME, log=log)
    return state, tuple(log)


def roster() -> State:
    """A fresh copy of the roster state (each test may change it freely)."""
    return copy.deepcopy(_roster()[0])


def roster_log() -> list[Rec]:
    """The journal that built ``roster()``."""
    return copy.deepcopy(list(_roster()[1]))


# --- common story steps ------------------------------------------------------------------------
def new_incident(
    state: State,
    type_: str = "NOISE",
    priority: int = 4,
    location: Mapping[str, Any] = PLACE,
    now: str = NOW,
    *,
    log: list[Rec] | None = None,
) -> str:
    """A calltaker opens an incident; returns its number."""
    events = run(
        state,
        "incident.create",
        {"type": type_, "priority": priority, "location": dict(location)},
        CALLTAKER,
        now,
        log=log,
    )
    return str(only(events, "incident.created")["incident"])


#: The unit.status steps from ``dispatched`` to each status of a unit on an incident.
_PATHS: dict[str, list[str]] = {
    "dispatched": [],
    "enroute": ["enroute"],
    "onscene": ["onscene"],
    "pursuit": ["enroute", "pursuit"],
    "transporting": ["onscene", "transporting"],
}


def put_on(
    state: State,
    unit: str,
    incident: str,
    status: str = "onscene",
    now: str = NOW,
    *,
    log: list[Rec] | None = None,
) -> None:
    """Dispatch ``unit`` to ``incident`` and bring it to ``status`` through real commands."""
    run(state, "unit.dispatch", {"incident": incident, "units": [unit]}, now=now, log=log)
    for step in _PATHS[status]:
        with_ = {"unit": unit, "status": step, "incident": incident}
        run(state, "unit.status", with_, now=now, log=log)


# --- fake drive-time oracles ---------------------------------------------------------------------
@dataclass
class StraightLine:
    """Drive time = great-circle distance at ``speed_mps``; ``unreachable`` origins get inf."""

    speed_mps: float = 10.0
    unreachable: list[tuple[float, float]] = field(default_factory=list)
    calls: int = 0

    def rank(
        self, to: tuple[float, float], origins: Sequence[tuple[float, float]]
    ) -> tuple[Sequence[float], Sequence[float]]:
        self.calls += 1
        etas, dists = [], []
        for origin in origins:
            if _near_any(origin, self.unreachable):
                etas.append(math.inf)
                dists.append(math.inf)
            else:
                metres = distance_m(origin, to)
                etas.append(metres / self.speed_mps)
                dists.append(metres)
        return etas, dists


@dataclass
class TableOracle:
    """Drive times looked up by origin point (a one-way street makes near units slow)."""

    table: Mapping[tuple[float, float], tuple[float, float]]

    def rank(
        self, to: tuple[float, float], origins: Sequence[tuple[float, float]]
    ) -> tuple[Sequence[float], Sequence[float]]:
        rows = [self.table[_key(origin)] for origin in origins]
        return [r[0] for r in rows], [r[1] for r in rows]


def _key(point: tuple[float, float]) -> tuple[float, float]:
    return (round(point[0], 7), round(point[1], 7))


def _near_any(point: tuple[float, float], points: Sequence[tuple[float, float]]) -> bool:
    return any(distance_m(point, p) < 1 for p in points)


def pair(point: Mapping[str, float]) -> tuple[float, float]:
    return (point["lat"], point["lon"])


# --- a desk with policies ------------------------------------------------------------------------
class Desk:
    """State, journal and status-check watches, fed through the same steps as the service."""

    def __init__(
        self,
        state: State | None = None,
        *,
        config: PolicyConfig | None = None,
        oracle: DriveTimeOracle | None = None,
    ) -> None:
        self.state = state if state is not None else roster()
        self.config = config or PolicyConfig()
        self.oracle: DriveTimeOracle = oracle or StraightLine()
        self.watches = Watches(self.config)
        self.log: list[Rec] = []
        self.policy_failures: list[str] = []

    def _observe(self, state: State, rec: Rec) -> None:
        self.watches.observe(state, rec)

    def run(
        self,
        do: str,
        with_: Mapping[str, Any] | None,
        actor: str = DISPATCHER,
        now: float = 0,
        *,
        react_too: bool = False,
    ) -> list[Rec]:
        """Handle one command at ``now`` seconds; with ``react_too`` the policies answer."""
        recs = run_recorded(
            self.state, do, with_, actor, at(now), log=self.log, observers=[self._observe]
        )
        if react_too:
            return recs + self.settle(recs, now)
        return recs

    def new_incident(
        self,
        type_: str = "NOISE",
        priority: int = 4,
        location: Mapping[str, Any] = PLACE,
        now: float = 0,
    ) -> str:
        """A calltaker opens an incident at the desk; returns its number."""
        with_ = {"type": type_, "priority": priority, "location": dict(location)}
        recs = self.run("incident.create", with_, CALLTAKER, now)
        return str(only(recs, "incident.created")["incident"])

    def put_on(self, unit: str, incident: str, status: str = "onscene", now: float = 0) -> None:
        """Dispatch ``unit`` and bring it to ``status``, as ``put_on`` does, at the desk."""
        self.run("unit.dispatch", {"incident": incident, "units": [unit]}, now=now)
        for step in _PATHS[status]:
            self.run("unit.status", {"unit": unit, "status": step, "incident": incident}, now=now)

    def system(self, cmd: Command, now: float) -> list[Rec]:
        """A policy's command, journaled by system; a rejection is kept, never raised."""
        try:
            events = decide(self.state, cmd, context(SYSTEM, at(now)))
        except CommandRejected as rejected:
            self.policy_failures.append(f"{cmd.do} by system rejected: {rejected}")
            return []
        recs = record(self.state, events, at=at(now), by="system", observers=[self._observe])
        self.log.extend(recs)
        return recs

    def settle(self, recs: Iterable[Rec], now: float) -> list[Rec]:
        """The policy loop of the service: react to each event, breadth first, until quiet."""
        queue, out = list(recs), []
        while queue:
            rec = queue.pop(0)
            for cmd in react(self.state, rec, self.config, self.oracle):
                new = self.system(cmd, now)
                out += new
                queue += new
        return out

    def tick(self, now: float) -> list[Rec]:
        """The timer firing at ``now``: raise what is owed (the alerts are observed)."""
        out = []
        for _key, cmd in self.watches.due_commands(self.state, moment(now)):
            out += self.system(cmd, now)
        return out

    def due(self, now: float) -> list[dict[str, Any]]:
        """What the timers would raise at ``now``, as alert payloads (without raising)."""
        return [
            cmd.payload.model_dump(exclude_none=True)
            for _key, cmd in self.watches.due_commands(self.state, moment(now))
        ]


# --- a desk with a bit of everything, for the role matrix ---------------------------------------
@dataclass(frozen=True)
class Busy:
    """The numbers of the things ``busy_desk`` opened."""

    tip: str = "T-000001"
    incident: str = "2026-000001"  # NOISE, priority 4, at PLACE: calls C-000001, C-000002
    linked_call: str = "C-000002"
    medical: str = "2026-000002"  # MEDICAL, priority 2: M-51 on scene, M-52 transporting
    mayday: str = "2026-000003"  # delgato's emergency E-000001 (alert A-000001)
    subject: str = "S-000001"
    bolo: str = "B-000001"
    emergency: str = "E-000001"
    alert: str = "A-000001"
    closure: str = "RC-000001"  # road segments 3 and 4 closed
    message: str = "MSG-000001"  # hopps to dispatch: "Code 4"


BUSY = Busy()


@functools.cache
def _busy_desk() -> State:
    state = roster()
    run(state, "tip.submit", {"text": "Night Howlers traded on Main Street"}, "public")
    noise = {"text": "loud party", "type": "NOISE", "priority": 4}
    run(state, "call.create", {**noise, "location": PLACE}, CALLTAKER)
    run(state, "call.create", {**noise, "location": offset(20)}, CALLTAKER)
    medical = new_incident(state, "MEDICAL", 2, offset(0, 800))
    put_on(state, "M-51", medical)
    put_on(state, "M-52", medical)
    patient = {"description": "adult male, fall"}
    run(state, "transport.start", {"unit": "M-52", "patient": patient, "destination": HOSPITAL})
    subject = {"incident": BUSY.incident, "role": "witness", "description": "neighbour"}
    run(state, "subject.add", subject)
    run(state, "bolo.issue", {"description": "black fox, silver patches", "area": "Main St"})
    run(state, "emergency.declare", {"member": "delgato"})
    run(state, "road.close", {"segments": [3, 4], "reason": "water main"})
    run(state, "message.send", {"to": "dispatch", "canned": "code4"}, "officer:hopps")
    return state


def unplaced_emergency(state: State) -> str:
    """Trunkaby starts a shift on ZPD-9 with no position known anywhere and is declared
    down: an emergency with no location (DOMAIN.md: never refused). Returns its id."""
    run(state, "shift.start", {"unit": OFF_DUTY_UNIT, "members": ["trunkaby"]}, DISPATCHER)
    events = run(state, "emergency.declare", {"member": "trunkaby"}, DISPATCHER)
    declared = only(events, "emergency.declared")
    assert declared["location"] is None and declared["incident"] is None
    return str(declared["emergency"])


def busy_desk() -> State:
    """The roster with an open tip, a noise incident with a linked call, a medical call
    with an ambulance on scene and one transporting, a BOLO and an open emergency."""
    return copy.deepcopy(_busy_desk())
